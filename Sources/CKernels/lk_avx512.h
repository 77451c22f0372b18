// AVX-512BW body, included by path_avx512.c and path_avx512vnni.c (LK_VNNI 1: the K products'
// madd + add fuse into vpdpwssd and the legacy products into vpdpbusd).
#include <immintrin.h>
#define LK_LTILE_R 4
#include "lk_ldot_avx2.h"
#define LK_KTILE_NATIVE 1
#define LK_KTILE_R 4
#include "lk_ktile_avx2.h"


static inline float kdot_row(const lk_kblock *w, const lk_act_k *a, int64_t nb) {
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        __m512i acc = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
            __m512i U = _mm512_loadu_si512((const void *)(w[b].u + 64 * c));
            __m512i A = _mm512_loadu_si512((const void *)(a[b].q + 64 * c));
            __m512i S = _mm512_loadu_si512((const void *)(w[b].scx + 32 * c));
            __m512i P = _mm512_maddubs_epi16(U, A);
#if LK_VNNI
            acc = _mm512_dpwssd_epi32(acc, P, S);
#else
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(P, S));
#endif
        }
        __m256i acc8 = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
        __m256i bs = _mm256_loadu_si256((const __m256i *)a[b].bsums);
        __m256i c2 = _mm256_mullo_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w[b].sc), bs),
                                        _mm256_set1_epi32(w[b].off));
        __m256i c3 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w[b].mn), bs);
        sum += lk_kblock_value(a[b].d, w[b].d, w[b].dmin, lk_hsum8(_mm256_sub_epi32(acc8, c2)), lk_hsum8(c3));
    }
    return sum;
}

// Four activation rows against one unpacked weight row: U and the scales are loaded once for all four (measured
// 1.4× faster than four single-row products for k-quants at 8 rows, 2026-12-01; legacy blocks gained nothing).
static inline void kdot_rows4(const lk_kblock *w, const lk_act_k *a, int64_t nb, float out[4]) {
    float f[4] = { 0, 0, 0, 0 };
    for (int64_t b = 0; b < nb; b++) {
        __m512i acc[4] = { _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512() };
        for (int c = 0; c < 4; c++) {
            const __m512i U = _mm512_loadu_si512((const void *)(w[b].u + 64 * c));
            const __m512i S = _mm512_loadu_si512((const void *)(w[b].scx + 32 * c));
            for (int r = 0; r < 4; r++) {
                const __m512i P = _mm512_maddubs_epi16(U, _mm512_loadu_si512((const void *)(a[r * nb + b].q + 64 * c)));
#if LK_VNNI
                acc[r] = _mm512_dpwssd_epi32(acc[r], P, S);
#else
                acc[r] = _mm512_add_epi32(acc[r], _mm512_madd_epi16(P, S));
#endif
            }
        }
        for (int r = 0; r < 4; r++) {
            const lk_act_k *ar = &a[r * nb + b];
            __m256i acc8 = _mm256_add_epi32(_mm512_castsi512_si256(acc[r]), _mm512_extracti64x4_epi64(acc[r], 1));
            __m256i bs = _mm256_loadu_si256((const __m256i *)ar->bsums);
            __m256i c2 = _mm256_mullo_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w[b].sc), bs),
                                            _mm256_set1_epi32(w[b].off));
            __m256i c3 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w[b].mn), bs);
            f[r] += lk_kblock_value(ar->d, w[b].d, w[b].dmin, lk_hsum8(_mm256_sub_epi32(acc8, c2)), lk_hsum8(c3));
        }
    }
    for (int r = 0; r < 4; r++) out[r] = f[r];
}
#define LK_HAS_KROWS4 1

static inline float fdot(const float *w, const float *x, int64_t k) {
    __m512 acc = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= k; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(w + j), _mm512_loadu_ps(x + j), acc);
    float s = _mm512_reduce_add_ps(acc);
    for (; j < k; j++) s += w[j] * x[j];
    return s;
}

// The K tile's main loop on 512-bit vectors (64 bytes per maddubs; the corrections and Float32 part are
// lk_ktile_block's): each 16-lane sum is folded to 8 lanes, which is exact integer arithmetic.
static inline void kdot_tile(const lk_kblock *w, const lk_act_k *a, int64_t nb, float out[LK_KTILE_R][4]) {
    __m128 f[LK_KTILE_R];
    for (int r = 0; r < LK_KTILE_R; r++) f[r] = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const lk_act_k *const ab[4] = { &a[b], &a[nb + b], &a[2 * nb + b], &a[3 * nb + b] };
        __m512i acc[LK_KTILE_R][4];
        for (int r = 0; r < LK_KTILE_R; r++)
            for (int c = 0; c < 4; c++) acc[r][c] = _mm512_setzero_si512();
        for (int ch = 0; ch < 4; ch++) {
            __m512i U[LK_KTILE_R], S[LK_KTILE_R];
            for (int r = 0; r < LK_KTILE_R; r++) {
                U[r] = _mm512_loadu_si512((const void *)(w[r * nb + b].u + 64 * ch));
                S[r] = _mm512_loadu_si512((const void *)(w[r * nb + b].scx + 32 * ch));
            }
            for (int c = 0; c < 4; c++) {
                const __m512i A = _mm512_loadu_si512((const void *)(ab[c]->q + 64 * ch));
                for (int r = 0; r < LK_KTILE_R; r++) {
                    const __m512i P = _mm512_maddubs_epi16(U[r], A);
#if LK_VNNI
                    acc[r][c] = _mm512_dpwssd_epi32(acc[r][c], P, S[r]);
#else
                    acc[r][c] = _mm512_add_epi32(acc[r][c], _mm512_madd_epi16(P, S[r]));
#endif
                }
            }
        }
        __m256i acc8[LK_KTILE_R][4];
        for (int r = 0; r < LK_KTILE_R; r++)
            for (int c = 0; c < 4; c++)
                acc8[r][c] = _mm256_add_epi32(_mm512_castsi512_si256(acc[r][c]), _mm512_extracti64x4_epi64(acc[r][c], 1));
        lk_ktile_block(w, nb, b, ab, acc8, f);
    }
    for (int r = 0; r < LK_KTILE_R; r++) _mm_storeu_ps(out[r], f[r]);
}
