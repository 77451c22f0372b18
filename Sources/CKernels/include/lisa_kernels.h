// lisa_kernels: matrix × few-rows products on weights kept in their ggml blocks.
//
// Activations are quantized per block to 8 bits (our own formats, the scheme of ggml's q8_0 / q8_K dot
// products) and multiplied with the weight blocks in integer arithmetic. Four paths, chosen at start-up
// from the CPU: a portable C path (every architecture), AVX2+FMA, AVX-512BW, AVX-512BW+VNNI (x86-64 only).
#ifndef LISA_KERNELS_H
#define LISA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel paths, slowest first. LK_PATH_AUTO picks the best the CPU supports.
enum {
    LK_PATH_SCALAR = 0,
    LK_PATH_AVX2 = 1,
    LK_PATH_AVX512 = 2,
    LK_PATH_AVX512VNNI = 3,
    LK_PATH_COUNT = 4,
    LK_PATH_AUTO = -1
};

/// 1 when this CPU (and this build) can run `path`.
int lk_path_supported(int path);
/// The best supported path.
int lk_best_path(void);
/// "scalar", "avx2", "avx512", "avx512-vnni".
const char *lk_path_name(int path);

/// 1 when weights of ggml type `type` (enum ggml_type numbering) have a kernel here.
int lk_type_supported(uint32_t type);
/// Elements per weight block of `type` (32 or 256; 1 for F32/F16/BF16).
int64_t lk_block_elems(uint32_t type);
/// Bytes one quantized activation row of k elements takes for weights of `type`
/// (k must be a multiple of lk_block_elems(type); F32/F16/BF16 weights take Float32 activations).
size_t lk_act_row_bytes(uint32_t type, int64_t k);
/// Quantizes one activation row x[k] for products with weights of `type` into `out`
/// (lk_act_row_bytes bytes).
void lk_quantize_act(uint32_t type, const float *x, void *out, int64_t k);
/// lk_quantize_act in plain C (the reference the SIMD quantizer is tested against: the same bytes).
void lk_quantize_act_portable(uint32_t type, const float *x, void *out, int64_t k);

/// y[i·ldy + r] = Σ_j W[r, j] · x_i[j] for rows r in [r0, r1) of W and activation rows i in [0, m):
/// W: rows of `row_bytes` bytes of ggml blocks of `type`, k elements each; xq: m quantized activation
/// rows of lk_act_row_bytes(type, k) bytes (lk_quantize_act). Runs on the calling thread.
/// Returns 0, or −1 when the type or path is not supported.
int lk_gemv(int path, uint32_t type, const void *w, size_t row_bytes, int64_t k, int64_t r0, int64_t r1,
            const void *xq, int64_t m, float *y, int64_t ldy);

/// Dequantizes one weight row of k elements of `type` (reference arithmetic; used by tests and the
/// F16/BF16 paths). Returns 0, or −1 for an unsupported type.
int lk_dequant_row(uint32_t type, const void *src, float *dst, int64_t k);

/// Dequantizes `rows` weight rows (`row_bytes` apart) of k elements of `type` into dst [rows, k] in ggml's own
/// arithmetic, bit for bit the GGUF reader's (the exact path's tiles). Returns 0, or −1 for an unsupported type.
int lk_dequant_rows(uint32_t type, const void *src, size_t row_bytes, int64_t rows, int64_t k, float *dst);

/// y[i·ldy + r] = Σ_j W[r, j]·x_i[j] for rows r in [r0, r1) and m Float32 activation rows x [m, k]: each weight row
/// dequantized exactly into `scratch` [k], then Float32 dot products (16 lanes, fixed order). The exact path's
/// product for few rows (a decoding step, a last-row LM head). Returns 0, or −1 for an unsupported type.
int lk_dequant_gemv(uint32_t type, const void *w, size_t row_bytes, int64_t k, int64_t r0, int64_t r1,
                    const float *x, int64_t m, float *y, int64_t ldy, float *scratch);

/// One query row's attention products (decoding steps, where a BLAS call costs more than the work and its
/// spinning threads take the cores from the quantized kernels):
/// scores[s] = scale · Σ_j q[j]·K[s·ldk + j] for s < S, and out[j] = Σ_s p[s]·V[s·ldv + j] for j < hd.
void lk_attn_scores(const float *q, const float *K, int64_t S, int64_t hd, int64_t ldk, float scale, float *scores);
void lk_attn_pv(const float *p, const float *V, int64_t S, int64_t hd, int64_t ldv, float *out);

/// The same two products on an F16 cache (K16, V16 binary16): each value widened exactly, then the Float32 kernels'
/// arithmetic in their order, so the result is the same bits as widening the cache first (F16C where the CPU has it).
void lk_attn_scores_f16(const float *q, const uint16_t *K16, int64_t S, int64_t hd, int64_t ldk, float scale,
                        float *scores);
void lk_attn_pv_f16(const float *p, const uint16_t *V16, int64_t S, int64_t hd, int64_t ldv, float *out);

/// lk_attn_scores / lk_attn_scores_f16 on a cache of either element type (`half`: K is binary16, else Float32).
void lk_attn_scores_kv(const float *q, const void *K, int half, int64_t S, int64_t hd, int64_t ldk, float scale,
                       float *scores);
/// lk_attn_pv / lk_attn_pv_f16 on a cache of either element type.
void lk_attn_pv_kv(const float *p, const void *V, int half, int64_t S, int64_t hd, int64_t ldv, float *out);

/// Float32 ↔ IEEE binary16 for n values (round to nearest even; F16C where the CPU has it). Used by the
/// F16 KV cache.
void lk_f32_to_f16(const float *x, uint16_t *y, int64_t n);
void lk_f16_to_f32(const uint16_t *x, float *y, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
