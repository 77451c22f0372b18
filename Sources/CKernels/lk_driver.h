// The row driver, compiled once per kernel path. The including file defines LK_GEMV (the function's
// name) and three row dot products:
//   float kdot_row(const lk_kblock *w, const lk_act_k *a, int64_t nb)      K family, nb blocks of 256
//   float ldot_row(const lk_lblock *w, const lk_act_l *a, int64_t nb, int is_signed)   legacy, nb of 32
//   float fdot(const float *w, const float *x, int64_t k)                  float weights
// Each weight row is unpacked once into a cache-resident buffer, then dotted with every activation row,
// so a batch of m rows reads the weights once.
#include <stdlib.h>

#ifndef LK_UNPACK_K
#define LK_UNPACK_K lk_unpack_k
#endif
#ifndef LK_UNPACK_L
#define LK_UNPACK_L lk_unpack_l
#endif

static void *lk_scratch(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes < 64 ? 64 : bytes) != 0) return NULL;
    return p;
}

// Asks for the raw blocks of weight rows [r, r1) ∩ [r, r + n) while the current tile computes: the unpack of the
// next tile then finds them in cache instead of stalling on memory (perf, a PIQA sensitivity run on Gemma: 12 % of
// the time sat in the unpack, on the first load of each LM-head block). Data movement only: no result changes.
#define LK_PREFETCH_AHEAD 4                                  // rows ahead in the one-row loops
static inline void lk_prefetch_rows(const uint8_t *W, size_t row_bytes, int64_t r, int64_t n, int64_t r1) {
    if (r + n > r1) n = r1 - r;
    if (n <= 0) return;
    const uint8_t *p = W + (size_t)r * row_bytes, *end = p + (size_t)n * row_bytes;
    for (; p < end; p += 64) __builtin_prefetch(p, 0, 3);
}

static void lk_dequant_float_row(uint32_t t, const uint8_t *src, float *dst, int64_t k) {
    if (t == T_F32) { memcpy(dst, src, (size_t)k * 4); return; }
    for (int64_t j = 0; j < k; j++) {
        uint16_t h = lk_u16(src + 2 * j);
        dst[j] = t == T_F16 ? lk_half(h) : lk_bf16(h);
    }
}

int LK_GEMV(uint32_t t, const void *w, size_t row_bytes, int64_t k, int64_t r0, int64_t r1,
            const void *xq, int64_t m, float *y, int64_t ldy) {
    const uint8_t *W = (const uint8_t *)w;
    if (lk_is_k(t)) {
        const int64_t nb = k / 256; const size_t bb = lk_block_bytes(t);
#ifdef LK_ROW1
        if (m == 1 && LK_ROW1(t)) {                    // decoding: dot straight from the blocks
            const lk_row1_fn f = LK_ROW1(t);
            for (int64_t r = r0; r < r1; r++) {
                lk_prefetch_rows(W, row_bytes, r + LK_PREFETCH_AHEAD, 1, r1);
                y[r] = f(W + (size_t)r * row_bytes, (const lk_act_k *)xq, nb);
            }
            return 0;
        }
#endif
        lk_kblock *buf = (lk_kblock *)lk_scratch((size_t)nb * sizeof(lk_kblock));
        if (!buf) return -2;
        const lk_act_k *act = (const lk_act_k *)xq;
        int64_t r = r0;
#ifdef LK_HAS_KTILE
        lk_kblock *tile = m >= 4 ? (lk_kblock *)lk_scratch((size_t)(LK_KTILE_R * nb) * sizeof(lk_kblock)) : NULL;
        for (; tile && r + LK_KTILE_R <= r1; r += LK_KTILE_R) {        // [LK_KTILE_R, nb] unpacked weight rows
            for (int u = 0; u < LK_KTILE_R; u++) {
                const uint8_t *row = W + (size_t)(r + u) * row_bytes;
                for (int64_t b = 0; b < nb; b++) LK_UNPACK_K(t, row + (size_t)b * bb, &tile[u * nb + b]);
            }
            lk_prefetch_rows(W, row_bytes, r + LK_KTILE_R, LK_KTILE_R, r1);
            int64_t i = 0;
            for (; i + 4 <= m; i += 4) {
                float o[LK_KTILE_R][4];
                kdot_tile(tile, act + i * nb, nb, o);
                for (int u = 0; u < LK_KTILE_R; u++)
                    for (int c = 0; c < 4; c++) y[(i + c) * ldy + r + u] = o[u][c];
            }
            for (; i < m; i++)
                for (int u = 0; u < LK_KTILE_R; u++) y[i * ldy + r + u] = kdot_row(&tile[u * nb], act + i * nb, nb);
        }
        free(tile);
#endif
        for (; r < r1; r++) {
            const uint8_t *row = W + (size_t)r * row_bytes;
            lk_prefetch_rows(W, row_bytes, r + LK_PREFETCH_AHEAD, 1, r1);
            for (int64_t b = 0; b < nb; b++) LK_UNPACK_K(t, row + (size_t)b * bb, &buf[b]);
            int64_t i = 0;
#ifdef LK_HAS_KROWS4
            for (; i + 4 <= m; i += 4) {
                float o[4];
                kdot_rows4(buf, act + i * nb, nb, o);
                for (int u = 0; u < 4; u++) y[(i + u) * ldy + r] = o[u];
            }
#endif
            for (; i < m; i++) y[i * ldy + r] = kdot_row(buf, act + i * nb, nb);
        }
        free(buf);
        return 0;
    }
    if (lk_is_legacy(t)) {
        const int64_t nb = k / 32; const size_t bb = lk_block_bytes(t);
        lk_lblock *buf = (lk_lblock *)lk_scratch((size_t)nb * sizeof(lk_lblock));
        if (!buf) return -2;
        const lk_act_l *act = (const lk_act_l *)xq;
        const int is_signed = t == T_Q8_0;
        int64_t r = r0;
#ifdef LK_HAS_LTILE
        const int64_t mt = m / LK_LTILE_C;                                // whole activation tiles
        lk_lblock *tile = mt > 0 ? (lk_lblock *)lk_scratch((size_t)(LK_LTILE_R * nb) * sizeof(lk_lblock)) : NULL;
        float *ad4 = tile ? (float *)lk_scratch((size_t)(2 * mt * nb * 4) * sizeof(float)) : NULL;  // [mt, nb, 4] d
        float *sum4 = ad4 ? ad4 + mt * nb * 4 : NULL;                     // [mt, nb, 4] block sums as Float32
        if (!ad4) { free(tile); tile = NULL; }
        for (int64_t q = 0; q < mt * LK_LTILE_C && ad4; q++)
            for (int64_t b = 0; b < nb; b++) {
                const int64_t at = ((q / LK_LTILE_C) * nb + b) * 4 + q % LK_LTILE_C;
                ad4[at] = act[q * nb + b].d; sum4[at] = (float)act[q * nb + b].sum;
            }
        for (; tile && r + LK_LTILE_R <= r1; r += LK_LTILE_R) {        // [LK_LTILE_R, nb] unpacked weight rows
            for (int u = 0; u < LK_LTILE_R; u++) {
                const uint8_t *row = W + (size_t)(r + u) * row_bytes;
                for (int64_t b = 0; b < nb; b++) LK_UNPACK_L(t, row + (size_t)b * bb, &tile[u * nb + b]);
            }
            lk_prefetch_rows(W, row_bytes, r + LK_LTILE_R, LK_LTILE_R, r1);
            int64_t i = 0;
            for (; i + LK_LTILE_C <= m; i += LK_LTILE_C) {
                float o[LK_LTILE_R][LK_LTILE_C];
                const float *ad = ad4 + (i / LK_LTILE_C) * nb * 4, *sm = sum4 + (i / LK_LTILE_C) * nb * 4;
                if (is_signed) ldot_tile(tile, act + i * nb, ad, sm, nb, 1, o);
                else ldot_tile(tile, act + i * nb, ad, sm, nb, 0, o);
                for (int u = 0; u < LK_LTILE_R; u++)
                    for (int c = 0; c < LK_LTILE_C; c++) y[(i + c) * ldy + r + u] = o[u][c];
            }
            for (; i < m; i++)
                for (int u = 0; u < LK_LTILE_R; u++) y[i * ldy + r + u] = ldot_row(&tile[u * nb], act + i * nb, nb, is_signed);
        }
        free(tile); free(ad4);
#endif
        for (; r < r1; r++) {
            const uint8_t *row = W + (size_t)r * row_bytes;
            lk_prefetch_rows(W, row_bytes, r + LK_PREFETCH_AHEAD, 1, r1);
            for (int64_t b = 0; b < nb; b++) LK_UNPACK_L(t, row + (size_t)b * bb, &buf[b]);
            for (int64_t i = 0; i < m; i++) y[i * ldy + r] = ldot_row(buf, act + i * nb, nb, is_signed);
        }
        free(buf);
        return 0;
    }
    if (lk_is_float(t)) {
        float *buf = (float *)lk_scratch((size_t)k * 4);
        if (!buf) return -2;
        const float *act = (const float *)xq;
        for (int64_t r = r0; r < r1; r++) {
            const float *row;
            if (t == T_F32) row = (const float *)(W + (size_t)r * row_bytes);
            else { lk_dequant_float_row(t, W + (size_t)r * row_bytes, buf, k); row = buf; }
            for (int64_t i = 0; i < m; i++) y[i * ldy + r] = fdot(row, act + i * k, k);
        }
        free(buf);
        return 0;
    }
    return -1;
}
