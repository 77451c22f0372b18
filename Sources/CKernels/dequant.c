// Dequantization of whole weight rows in ggml's own arithmetic (ggml-quants.c dequantize_row_*), bit for bit
// equal to the GGUF reader's (Sources/GGUF/DequantK.swift, DequantLegacy.swift): the exact path's tiles.
// Each value is one or two roundings of the same operands in the same order — (q − off)·d for Q4_0/Q5_0,
// q·d + m for Q4_1/Q5_1, q·d for Q8_0, (d·sc)·q − dmin·mn for the K family — so -ffp-contract=off (the
// target's flag) keeps them unfused, and each inner loop runs 16 or 32 lanes for the vectorizer.
#include "lisa_kernels.h"
#include "lk_common.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__clang__) && defined(__linux__)
#define LK_DQ_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LK_DQ_CLONES
#endif

// value_j = (d·sc_g)·(u_j − off) − dmin·mn_g, g = j / 16 (the unpacked K block's contract)
static inline void lk_dq_kblock(const lk_kblock *b, float *y) {
    for (int g = 0; g < 16; g++) {
        const float ds = b->d * (float)b->sc[g], dm = b->dmin * (float)b->mn[g];
        const uint8_t *u = b->u + 16 * g;
        for (int j = 0; j < 16; j++) y[16 * g + j] = ds * (float)((int)u[j] - b->off) - dm;
    }
}

static inline void lk_dq_legacy(uint32_t t, const uint8_t *s, float *y) {
    float d = lk_half(lk_u16(s));
    switch (t) {
    case T_Q4_0:
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((int)(s[2 + j] & 0x0F) - 8) * d;
            y[j + 16] = (float)((int)(s[2 + j] >> 4) - 8) * d;
        }
        break;
    case T_Q4_1: {
        const float m = lk_half(lk_u16(s + 2));
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(s[4 + j] & 0x0F) * d + m;
            y[j + 16] = (float)(s[4 + j] >> 4) * d + m;
        }
        break;
    }
    case T_Q5_0: {
        uint32_t qh; memcpy(&qh, s + 2, 4);
        for (int j = 0; j < 16; j++) {
            const uint32_t h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
            y[j] = (float)((int)((s[6 + j] & 0x0F) | h0) - 16) * d;
            y[j + 16] = (float)((int)((s[6 + j] >> 4) | h1) - 16) * d;
        }
        break;
    }
    case T_Q5_1: {
        const float m = lk_half(lk_u16(s + 2));
        uint32_t qh; memcpy(&qh, s + 4, 4);
        for (int j = 0; j < 16; j++) {
            const uint32_t h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
            y[j] = (float)((s[8 + j] & 0x0F) | h0) * d + m;
            y[j + 16] = (float)((s[8 + j] >> 4) | h1) * d + m;
        }
        break;
    }
    default:   // Q8_0
        for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)s[2 + j] * d;
    }
}

LK_DQ_CLONES
int lk_dequant_rows(uint32_t type, const void *src, size_t row_bytes, int64_t rows, int64_t k, float *dst) {
    if (!lk_type_supported(type) || k % lk_block_elems(type) != 0) return -1;
    const size_t bb = lk_block_bytes(type);
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *s = (const uint8_t *)src + (size_t)r * row_bytes;
        float *y = dst + r * k;
        if (lk_is_k(type)) {
            lk_kblock b;
            for (int64_t i = 0; i < k / 256; i++) { lk_unpack_k(type, s + (size_t)i * bb, &b); lk_dq_kblock(&b, y + 256 * i); }
        } else if (lk_is_legacy(type)) {
            for (int64_t i = 0; i < k / 32; i++) lk_dq_legacy(type, s + (size_t)i * bb, y + 32 * i);
        } else if (type == T_F32) {
            memcpy(y, s, (size_t)k * 4);
        } else if (type == T_F16) {
            for (int64_t j = 0; j < k; j++) y[j] = lk_half(lk_u16(s + 2 * j));
        } else {
            for (int64_t j = 0; j < k; j++) y[j] = lk_bf16(lk_u16(s + 2 * j));
        }
    }
    return 0;
}

// y[i·ldy + r] = Σ_j W[r, j]·x_i[j] for rows r in [r0, r1) and activation rows i < m, each weight row dequantized
// exactly (lk_dequant_rows) into `scratch` [k] and dotted in Float32 with 16 independent partial sums (lanes) per
// activation row, added in a fixed order: the exact path's few-row products without dequantizing the whole matrix.
LK_DQ_CLONES
int lk_dequant_gemv(uint32_t type, const void *w, size_t row_bytes, int64_t k, int64_t r0, int64_t r1,
                    const float *x, int64_t m, float *y, int64_t ldy, float *scratch) {
    if (!lk_type_supported(type) || k % lk_block_elems(type) != 0) return -1;
    for (int64_t r = r0; r < r1; r++) {
        lk_dequant_rows(type, (const uint8_t *)w + (size_t)r * row_bytes, row_bytes, 1, k, scratch);
        for (int64_t i = 0; i < m; i++) {
            const float *xi = x + i * k;
            float lane[16] = {0};
            int64_t j = 0;
            for (; j + 16 <= k; j += 16)
                for (int l = 0; l < 16; l++) lane[l] += scratch[j + l] * xi[j + l];
            float tail = 0;
            for (; j < k; j++) tail += scratch[j] * xi[j];
            float s = 0;
            for (int l = 0; l < 16; l++) s += lane[l];
            y[i * ldy + r] = s + tail;
        }
    }
    return 0;
}
