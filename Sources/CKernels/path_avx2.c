// AVX2 + FMA: 32 weight bytes × 32 activation bytes per maddubs; the K family's 16-element scales are
// applied by the following madd (ggml's scheme for q4_K·q8_K).
#include "lk_common.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "lk_ldot_avx2.h"
#include "lk_ktile_avx2.h"


// off·Σ sc·bsum and Σ mn·bsum as two 8-lane int32 vectors.
#define LK_CORRECTIONS(wb, ab, c2, c3) do {                                                      \
        __m256i bs = _mm256_loadu_si256((const __m256i *)(ab)->bsums);                              \
        c2 = _mm256_mullo_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(wb)->sc), bs), \
                                _mm256_set1_epi32((wb)->off));                                      \
        c3 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(wb)->mn), bs);                  \
    } while (0)

static inline float kdot_row(const lk_kblock *w, const lk_act_k *a, int64_t nb) {
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        __m256i acc = _mm256_setzero_si256();
        for (int c = 0; c < 8; c++) {
            __m256i U = _mm256_loadu_si256((const __m256i *)(w[b].u + 32 * c));
            __m256i A = _mm256_loadu_si256((const __m256i *)(a[b].q + 32 * c));
            __m256i S = _mm256_loadu_si256((const __m256i *)(w[b].scx + 16 * c));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(U, A), S));
        }
        __m256i c2, c3;
        LK_CORRECTIONS(&w[b], &a[b], c2, c3);
        sum += lk_kblock_value(a[b].d, w[b].d, w[b].dmin, lk_hsum8(_mm256_sub_epi32(acc, c2)), lk_hsum8(c3));
    }
    return sum;
}

// Four activation rows against one unpacked weight row (see lk_avx512.h).
static inline void kdot_rows4(const lk_kblock *w, const lk_act_k *a, int64_t nb, float out[4]) {
    float f[4] = { 0, 0, 0, 0 };
    for (int64_t b = 0; b < nb; b++) {
        __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        const int8_t *q0 = a[b].q, *q1 = a[nb + b].q, *q2 = a[2 * nb + b].q, *q3 = a[3 * nb + b].q;
        for (int c = 0; c < 8; c++) {
            const __m256i U = _mm256_loadu_si256((const __m256i *)(w[b].u + 32 * c));
            const __m256i S = _mm256_loadu_si256((const __m256i *)(w[b].scx + 16 * c));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(U, _mm256_loadu_si256((const __m256i *)(q0 + 32 * c))), S));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(U, _mm256_loadu_si256((const __m256i *)(q1 + 32 * c))), S));
            acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_maddubs_epi16(U, _mm256_loadu_si256((const __m256i *)(q2 + 32 * c))), S));
            acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_maddubs_epi16(U, _mm256_loadu_si256((const __m256i *)(q3 + 32 * c))), S));
        }
        const __m256i accs[4] = { acc0, acc1, acc2, acc3 };
        for (int r = 0; r < 4; r++) {
            const lk_act_k *ar = &a[r * nb + b];
            __m256i c2, c3;
            LK_CORRECTIONS(&w[b], ar, c2, c3);
            f[r] += lk_kblock_value(ar->d, w[b].d, w[b].dmin, lk_hsum8(_mm256_sub_epi32(accs[r], c2)), lk_hsum8(c3));
        }
    }
    for (int r = 0; r < 4; r++) out[r] = f[r];
}
#define LK_HAS_KROWS4 1

static inline float fdot(const float *w, const float *x, int64_t k) {
    __m256 acc = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= k; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + j), _mm256_loadu_ps(x + j), acc);
    float s = lk_hsum_f32_256(acc);
    for (; j < k; j++) s += w[j] * x[j];
    return s;
}

#include "lk_unpack_avx2.h"
void lk_f32_to_f16_f16c(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}
void lk_f16_to_f32_f16c(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = _cvtsh_ss(x[i]);
}

#define LK_GEMV lk_gemv_avx2
#include "lk_driver.h"
#pragma clang attribute pop
#else
void lk_f32_to_f16_f16c(const float *x, uint16_t *y, int64_t n) { (void)x; (void)y; (void)n; }
void lk_f16_to_f32_f16c(const uint16_t *x, float *y, int64_t n) { (void)x; (void)y; (void)n; }
int lk_gemv_avx2(uint32_t t, const void *w, size_t rb, int64_t k, int64_t r0, int64_t r1, const void *xq, int64_t m,
                 float *y, int64_t ldy) { (void)t; (void)w; (void)rb; (void)k; (void)r0; (void)r1; (void)xq; (void)m; (void)y; (void)ldy; return -1; }
#endif
