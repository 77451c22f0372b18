// AVX-512BW: 64 bytes per maddubs.
#include "lk_common.h"
#if defined(__x86_64__) || defined(_M_X64)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
#define LK_VNNI 0
#include "lk_avx512.h"
#include "lk_unpack_avx2.h"
#define LK_GEMV lk_gemv_avx512
#include "lk_driver.h"
#pragma clang attribute pop
#else
int lk_gemv_avx512(uint32_t t, const void *w, size_t rb, int64_t k, int64_t r0, int64_t r1, const void *xq, int64_t m,
                   float *y, int64_t ldy) { (void)t; (void)w; (void)rb; (void)k; (void)r0; (void)r1; (void)xq; (void)m; (void)y; (void)ldy; return -1; }
#endif
