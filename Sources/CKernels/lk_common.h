// Shared by every kernel path: ggml block layouts (ggml-common.h), our activation formats, and the
// unpacking of one weight block into a uniform integer form that the path's dot product consumes.
#ifndef LK_COMMON_H
#define LK_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// ggml_type numbers (ggml.h).
enum {
    T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8,
    T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30
};

static inline float lk_half(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) { bits = sign; }
        else {                                   // subnormal: renormalise
            exp = 127 - 15 + 1;
            while ((man & 0x400) == 0) { man <<= 1; exp--; }
            bits = sign | (exp << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}
static inline float lk_bf16(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
static inline uint16_t lk_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t lk_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

// ---------------------------------------------------------------------------------------------------
// Activation formats.
// K family (256-element weight blocks): ggml's block_q8_K — d, 256 int8, and the sum of every 16.
typedef struct { float d; int8_t q[256]; int16_t bsums[16]; } lk_act_k;
// Legacy family (32-element weight blocks): d, the integer sum of the block, 32 int8.
typedef struct { float d; int32_t sum; int8_t q[32]; } lk_act_l;

// ---------------------------------------------------------------------------------------------------
// Unpacked K-family weight block: value_i = d·sc_g·(u_i − off) − dmin·mn_g with g = i / 16.
// u is unsigned (≤ 63), so u8 × s8 products never saturate a 16-bit pair sum (2·63·128 < 2^15).
typedef struct {
    uint8_t u[256];
    int16_t scx[128];     // sc in maddubs/madd layout: scx[16c + j] = sc[2c + (j >= 8)], c = 32-element chunk
    int16_t sc[16];
    int16_t mn[16];
    float d, dmin;
    int32_t off;
} lk_kblock;

// Unpacked legacy block (32 elements): value_i = d·u_i + m; for Q8_0 (is_signed) value_i = d·(int8)u_i.
typedef struct { uint8_t u[32]; float d, m; } lk_lblock;

static inline void lk_kfinish(lk_kblock *b) {
    for (int c = 0; c < 8; c++)
        for (int j = 0; j < 16; j++) b->scx[16 * c + j] = b->sc[2 * c + (j >= 8)];
}

// ggml's get_scale_min_k4: 8 pairs of 6-bit (scale, min) in 12 bytes.
static inline void lk_scale_min_k4(int j, const uint8_t *q, int *sc, int *mn) {
    if (j < 4) { *sc = q[j] & 63; *mn = q[j + 4] & 63; }
    else { *sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4); *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

// block_q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
static inline void lk_unpack_q2_K(const uint8_t *src, lk_kblock *b) {
    const uint8_t *scales = src, *q = src + 16;
    b->d = lk_half(lk_u16(src + 80)); b->dmin = lk_half(lk_u16(src + 82)); b->off = 0;
    int s = 0, y = 0;
    for (int half = 0; half < 2; half++) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int part = 0; part < 2; part++) {
                b->sc[s] = scales[s] & 0x0F; b->mn[s] = scales[s] >> 4; s++;
                const uint8_t *qq = q + 16 * part;
                for (int l = 0; l < 16; l++) b->u[y + l] = (qq[l] >> shift) & 3;
                y += 16;
            }
        }
        q += 32;
    }
    lk_kfinish(b);
}

// block_q3_K (110 bytes): hmask[32], qs[64], scales[12] (16 six-bit scales biased by 32), d.
static inline void lk_unpack_q3_K(const uint8_t *src, lk_kblock *b) {
    const uint8_t *hm = src, *q = src + 32;
    b->d = lk_half(lk_u16(src + 108)); b->dmin = 0; b->off = 4;
    uint32_t a0 = lk_u32(src + 96), a1 = lk_u32(src + 100), t = lk_u32(src + 104);
    const uint32_t k1 = 0x03030303u, k2 = 0x0F0F0F0Fu;
    uint32_t w[4] = { (a0 & k2) | (((t >> 0) & k1) << 4), (a1 & k2) | (((t >> 2) & k1) << 4),
                      ((a0 >> 4) & k2) | (((t >> 4) & k1) << 4), ((a1 >> 4) & k2) | (((t >> 6) & k1) << 4) };
    uint8_t sb[16]; memcpy(sb, w, 16);           // little-endian: byte s is scale s
    for (int s = 0; s < 16; s++) { b->sc[s] = (int16_t)((int)sb[s] - 32); b->mn[s] = 0; }
    int y = 0; uint8_t m = 1;
    for (int half = 0; half < 2; half++) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int part = 0; part < 2; part++) {
                const uint8_t *qq = q + 16 * part, *hh = hm + 16 * part;
                // value = (q − (h ? 0 : 4)) = u − 4 with u = q + (h ? 4 : 0)
                for (int l = 0; l < 16; l++) b->u[y + l] = (uint8_t)(((qq[l] >> shift) & 3) + ((hh[l] & m) ? 4 : 0));
                y += 16;
            }
            m <<= 1;
        }
        q += 32;
    }
    lk_kfinish(b);
}

// block_q4_K (144 bytes): d, dmin, scales[12], qs[128].
static inline void lk_unpack_q4_K(const uint8_t *src, lk_kblock *b) {
    const uint8_t *scales = src + 4, *q = src + 16;
    b->d = lk_half(lk_u16(src)); b->dmin = lk_half(lk_u16(src + 2)); b->off = 0;
    for (int c = 0; c < 4; c++) {
        int sc0, m0, sc1, m1;
        lk_scale_min_k4(2 * c, scales, &sc0, &m0); lk_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
        b->sc[4 * c] = b->sc[4 * c + 1] = (int16_t)sc0; b->mn[4 * c] = b->mn[4 * c + 1] = (int16_t)m0;
        b->sc[4 * c + 2] = b->sc[4 * c + 3] = (int16_t)sc1; b->mn[4 * c + 2] = b->mn[4 * c + 3] = (int16_t)m1;
        for (int l = 0; l < 32; l++) { b->u[64 * c + l] = q[l] & 0x0F; b->u[64 * c + 32 + l] = q[l] >> 4; }
        q += 32;
    }
    lk_kfinish(b);
}

// block_q5_K (176 bytes): d, dmin, scales[12], qh[32], qs[128].
static inline void lk_unpack_q5_K(const uint8_t *src, lk_kblock *b) {
    const uint8_t *scales = src + 4, *qh = src + 16, *ql = src + 48;
    b->d = lk_half(lk_u16(src)); b->dmin = lk_half(lk_u16(src + 2)); b->off = 0;
    uint8_t u1 = 1, u2 = 2;
    for (int c = 0; c < 4; c++) {
        int sc0, m0, sc1, m1;
        lk_scale_min_k4(2 * c, scales, &sc0, &m0); lk_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
        b->sc[4 * c] = b->sc[4 * c + 1] = (int16_t)sc0; b->mn[4 * c] = b->mn[4 * c + 1] = (int16_t)m0;
        b->sc[4 * c + 2] = b->sc[4 * c + 3] = (int16_t)sc1; b->mn[4 * c + 2] = b->mn[4 * c + 3] = (int16_t)m1;
        for (int l = 0; l < 32; l++) {
            b->u[64 * c + l] = (uint8_t)((ql[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0));
            b->u[64 * c + 32 + l] = (uint8_t)((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0));
        }
        ql += 32; u1 <<= 2; u2 <<= 2;
    }
    lk_kfinish(b);
}

// block_q6_K (210 bytes): ql[128], qh[64], int8 scales[16], d. value = d·sc·(q − 32).
static inline void lk_unpack_q6_K(const uint8_t *src, lk_kblock *b) {
    const uint8_t *ql = src, *qh = src + 128; const int8_t *sc = (const int8_t *)(src + 192);
    b->d = lk_half(lk_u16(src + 208)); b->dmin = 0; b->off = 32;
    for (int g = 0; g < 16; g++) { b->sc[g] = sc[g]; b->mn[g] = 0; }
    for (int h = 0; h < 2; h++) {
        uint8_t *u = b->u + 128 * h;
        for (int l = 0; l < 32; l++) {
            u[l] = (uint8_t)((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4));
            u[l + 32] = (uint8_t)((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4));
            u[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            u[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
        ql += 64; qh += 32;
    }
    lk_kfinish(b);
}

// Legacy blocks (32 elements).
static inline void lk_unpack_q4_0(const uint8_t *src, lk_lblock *b) {
    b->d = lk_half(lk_u16(src)); b->m = -8.0f * b->d;
    for (int j = 0; j < 16; j++) { b->u[j] = src[2 + j] & 0x0F; b->u[j + 16] = src[2 + j] >> 4; }
}
static inline void lk_unpack_q4_1(const uint8_t *src, lk_lblock *b) {
    b->d = lk_half(lk_u16(src)); b->m = lk_half(lk_u16(src + 2));
    for (int j = 0; j < 16; j++) { b->u[j] = src[4 + j] & 0x0F; b->u[j + 16] = src[4 + j] >> 4; }
}
static inline void lk_unpack_q5_0(const uint8_t *src, lk_lblock *b) {
    b->d = lk_half(lk_u16(src)); b->m = -16.0f * b->d;
    uint32_t qh = lk_u32(src + 2); const uint8_t *qs = src + 6;
    for (int j = 0; j < 16; j++) {
        b->u[j] = (uint8_t)((qs[j] & 0x0F) | (((qh >> j) << 4) & 0x10));
        b->u[j + 16] = (uint8_t)((qs[j] >> 4) | ((qh >> (j + 12)) & 0x10));
    }
}
static inline void lk_unpack_q5_1(const uint8_t *src, lk_lblock *b) {
    b->d = lk_half(lk_u16(src)); b->m = lk_half(lk_u16(src + 2));
    uint32_t qh = lk_u32(src + 4); const uint8_t *qs = src + 8;
    for (int j = 0; j < 16; j++) {
        b->u[j] = (uint8_t)((qs[j] & 0x0F) | (((qh >> j) << 4) & 0x10));
        b->u[j + 16] = (uint8_t)((qs[j] >> 4) | ((qh >> (j + 12)) & 0x10));
    }
}
static inline void lk_unpack_q8_0(const uint8_t *src, lk_lblock *b) {
    b->d = lk_half(lk_u16(src)); b->m = 0;
    memcpy(b->u, src + 2, 32);                    // int8 values, read back as signed by the Q8_0 dot
}

static inline int lk_is_k(uint32_t t) { return t == T_Q2_K || t == T_Q3_K || t == T_Q4_K || t == T_Q5_K || t == T_Q6_K; }
static inline int lk_is_legacy(uint32_t t) { return t == T_Q4_0 || t == T_Q4_1 || t == T_Q5_0 || t == T_Q5_1 || t == T_Q8_0; }
static inline int lk_is_float(uint32_t t) { return t == T_F32 || t == T_F16 || t == T_BF16; }
static inline size_t lk_block_bytes(uint32_t t) {
    switch (t) {
    case T_Q4_0: return 18; case T_Q4_1: return 20; case T_Q5_0: return 22; case T_Q5_1: return 24; case T_Q8_0: return 34;
    case T_Q2_K: return 84; case T_Q3_K: return 110; case T_Q4_K: return 144; case T_Q5_K: return 176; case T_Q6_K: return 210;
    case T_F32: return 4; case T_F16: case T_BF16: return 2;
    default: return 0;
    }
}

static inline void lk_unpack_k(uint32_t t, const uint8_t *src, lk_kblock *b) {
    switch (t) {
    case T_Q2_K: lk_unpack_q2_K(src, b); break;
    case T_Q3_K: lk_unpack_q3_K(src, b); break;
    case T_Q4_K: lk_unpack_q4_K(src, b); break;
    case T_Q5_K: lk_unpack_q5_K(src, b); break;
    default: lk_unpack_q6_K(src, b); break;
    }
}
static inline void lk_unpack_l(uint32_t t, const uint8_t *src, lk_lblock *b) {
    switch (t) {
    case T_Q4_0: lk_unpack_q4_0(src, b); break;
    case T_Q4_1: lk_unpack_q4_1(src, b); break;
    case T_Q5_0: lk_unpack_q5_0(src, b); break;
    case T_Q5_1: lk_unpack_q5_1(src, b); break;
    default: lk_unpack_q8_0(src, b); break;
    }
}

// Σ_g over the block's bsums: the parts of a K dot product that need no weight values:
// off·Σ sc_g·bsum_g and Σ mn_g·bsum_g.
static inline void lk_k_corrections(const lk_kblock *w, const lk_act_k *a, int32_t *s2, int32_t *s3) {
    int32_t x = 0, y = 0;
    for (int g = 0; g < 16; g++) { x += w->sc[g] * a->bsums[g]; y += w->mn[g] * a->bsums[g]; }
    *s2 = x * w->off; *s3 = y;
}

void lk_f32_to_f16_f16c(const float *x, uint16_t *y, int64_t n);
int lk_quant_block_avx2(const float *x, int8_t *q, int n, float *d);
void lk_attn_scores_f16_f16c(const float *q, const uint16_t *K16, int64_t S, int64_t hd, int64_t ldk, float scale,
                             float *scores);
void lk_attn_pv_f16_f16c(const float *p, const uint16_t *V16, int64_t S, int64_t hd, int64_t ldv, float *out);
void lk_f16_to_f32_f16c(const uint16_t *x, float *y, int64_t n);

// The one Float32 formula for a K block's contribution, given its exact integer sums s1 = Σ_g sc_g·Σ(u − off)·q and
// s3 = Σ_g mn_g·bsum_g: every path and every row count uses it (built with -ffp-contract=off), so a row's result does
// not depend on the kernel path or on how many activation rows share the call.
static inline float lk_kblock_value(float ad, float d, float dmin, int32_t s1, int32_t s3) {
    return ad * (d * (float)s1 - dmin * (float)s3);
}

// Path entry points (one per file; the driver in lk_driver.h).
int lk_gemv_scalar(uint32_t, const void *, size_t, int64_t, int64_t, int64_t, const void *, int64_t, float *, int64_t);
int lk_gemv_avx2(uint32_t, const void *, size_t, int64_t, int64_t, int64_t, const void *, int64_t, float *, int64_t);
int lk_gemv_avx512(uint32_t, const void *, size_t, int64_t, int64_t, int64_t, const void *, int64_t, float *, int64_t);
int lk_gemv_avx512vnni(uint32_t, const void *, size_t, int64_t, int64_t, int64_t, const void *, int64_t, float *, int64_t);

#endif
