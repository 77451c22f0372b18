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

// lk_quant_block (dispatch.c) on 8 lanes, n a multiple of 32: the same max |x|, the same id = 127 / amax and
// x·id products, and cvtps rounds to nearest even as lrintf does in the default rounding mode, so q and d are the
// same values. Returns 0 (the caller then runs the scalar code) for blocks with a NaN, an infinity or all zeros,
// whose handling stays in one place.
int lk_quant_block_avx2(const float *x, int8_t *q, int n, float *d) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 mx = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
    for (int i = 0; i < n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        mx = _mm256_max_ps(mx, _mm256_andnot_ps(sign, v));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    if (_mm256_movemask_ps(bad) || !(amax > 0) || isinf(amax)) return 0;
    const __m256 id = _mm256_set1_ps(127.0f / amax);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    for (int i = 0; i < n; i += 32) {
        __m256i r[4];
        for (int u = 0; u < 4; u++) {
            const __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * u), id));
            r[u] = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
        }
        // int32 → int8 in order: packs interleave the 128-bit lanes, the permute restores element order
        const __m256i p16a = _mm256_packs_epi32(r[0], r[1]), p16b = _mm256_packs_epi32(r[2], r[3]);
        const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        const __m256i ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + i), ordered);
    }
    *d = amax / 127.0f;
    return 1;
}

// The F16-cache attention products with F16C (multiply, then add: no FMA, as the Float32 kernels under
// -ffp-contract=off; see lk_attn_scores_f16 in dispatch.c for the order they keep).
void lk_attn_scores_f16_f16c(const float *q, const uint16_t *K16, int64_t S, int64_t hd, int64_t ldk, float scale,
                             float *scores) {
    int64_t s = 0;
    if (hd % 16 == 0) {
        // four keys at a time: the q loads serve four keys, and the four sequential sums of 16 partials (the order
        // above, kept per key) run as four independent chains instead of one — the chain was most of the time
        for (; s + 4 <= S; s += 4) {
            __m256 a[4][2];
            for (int u = 0; u < 4; u++) a[u][0] = a[u][1] = _mm256_setzero_ps();
            for (int64_t j = 0; j < hd; j += 16) {
                const __m256 q0 = _mm256_loadu_ps(q + j), q1 = _mm256_loadu_ps(q + j + 8);
                for (int u = 0; u < 4; u++) {
                    const uint16_t *k = K16 + (s + u) * ldk + j;
                    a[u][0] = _mm256_add_ps(a[u][0], _mm256_mul_ps(q0, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)k))));
                    a[u][1] = _mm256_add_ps(a[u][1], _mm256_mul_ps(q1, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + 8)))));
                }
            }
            float acc[4][16];
            for (int u = 0; u < 4; u++) { _mm256_storeu_ps(acc[u], a[u][0]); _mm256_storeu_ps(acc[u] + 8, a[u][1]); }
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (int v = 0; v < 16; v++) { t0 += acc[0][v]; t1 += acc[1][v]; t2 += acc[2][v]; t3 += acc[3][v]; }
            scores[s] = scale * t0; scores[s + 1] = scale * t1; scores[s + 2] = scale * t2; scores[s + 3] = scale * t3;
        }
    }
    for (; s < S; s++) {
        const uint16_t *k = K16 + s * ldk;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();        // acc[0..7], acc[8..15]
        int64_t j = 0;
        for (; j + 16 <= hd; j += 16) {
            const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + j)));
            const __m256 k1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + j + 8)));
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(q + j), k0));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(q + j + 8), k1));
        }
        float acc[16];
        _mm256_storeu_ps(acc, a0); _mm256_storeu_ps(acc + 8, a1);
        float t = 0;
        for (int u = 0; u < 16; u++) t += acc[u];
        for (; j < hd; j++) t += q[j] * _cvtsh_ss(k[j]);
        scores[s] = scale * t;
    }
}

void lk_attn_pv_f16_f16c(const float *p, const uint16_t *V16, int64_t S, int64_t hd, int64_t ldv, float *out) {
    for (int64_t j = 0; j < hd; j++) out[j] = 0;
    for (int64_t s = 0; s < S; s++) {
        const float w = p[s];
        if (w == 0) continue;
        const uint16_t *v = V16 + s * ldv;
        const __m256 W = _mm256_set1_ps(w);
        int64_t j = 0;
        for (; j + 8 <= hd; j += 8) {
            const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + j)));
            _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_loadu_ps(out + j), _mm256_mul_ps(W, x)));
        }
        for (; j < hd; j++) out[j] += w * _cvtsh_ss(v[j]);
    }
}

#define LK_GEMV lk_gemv_avx2
#include "lk_driver.h"
#pragma clang attribute pop
#else
int lk_quant_block_avx2(const float *x, int8_t *q, int n, float *d) { (void)x; (void)q; (void)n; (void)d; return 0; }
void lk_attn_scores_f16_f16c(const float *q, const uint16_t *K16, int64_t S, int64_t hd, int64_t ldk, float scale,
                             float *scores) { (void)q; (void)K16; (void)S; (void)hd; (void)ldk; (void)scale; (void)scores; }
void lk_attn_pv_f16_f16c(const float *p, const uint16_t *V16, int64_t S, int64_t hd, int64_t ldv, float *out) {
    (void)p; (void)V16; (void)S; (void)hd; (void)ldv; (void)out; }
void lk_f32_to_f16_f16c(const float *x, uint16_t *y, int64_t n) { (void)x; (void)y; (void)n; }
void lk_f16_to_f32_f16c(const uint16_t *x, float *y, int64_t n) { (void)x; (void)y; (void)n; }
int lk_gemv_avx2(uint32_t t, const void *w, size_t rb, int64_t k, int64_t r0, int64_t r1, const void *xq, int64_t m,
                 float *y, int64_t ldy) { (void)t; (void)w; (void)rb; (void)k; (void)r0; (void)r1; (void)xq; (void)m; (void)y; (void)ldy; return -1; }
#endif
