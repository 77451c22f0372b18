// AVX2 unpacking of the block types our models use most (Q4_0, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K); the others
// fall back to the portable unpack. Included by the AVX2 and AVX-512 paths, inside their target region.
#include <immintrin.h>

static inline float lk_f16c(uint16_t h) { return _cvtsh_ss(h); }

// 32 bytes, byte i = 0xFF where bit i of the 32-bit word is set.
static inline __m256i lk_bits_to_bytes(uint32_t bits) {
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
                                         1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick);   // byte i = byte i/8 of bits
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// 16 packed bytes → 32 nibbles: low nibbles first, then high nibbles.
static inline __m256i lk_nibbles16(const uint8_t *p) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    __m128i q = _mm_loadu_si128((const __m128i *)p);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
}

static inline void lk_store_scx(lk_kblock *b) {
    for (int c = 0; c < 8; c++)
        _mm256_storeu_si256((__m256i *)(b->scx + 16 * c),
                            _mm256_set_m128i(_mm_set1_epi16(b->sc[2 * c + 1]), _mm_set1_epi16(b->sc[2 * c])));
}

static inline void lk_k4_scales(const uint8_t *scales, lk_kblock *b) {
    for (int c = 0; c < 4; c++) {
        int sc0, m0, sc1, m1;
        lk_scale_min_k4(2 * c, scales, &sc0, &m0); lk_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
        b->sc[4 * c] = b->sc[4 * c + 1] = (int16_t)sc0; b->mn[4 * c] = b->mn[4 * c + 1] = (int16_t)m0;
        b->sc[4 * c + 2] = b->sc[4 * c + 3] = (int16_t)sc1; b->mn[4 * c + 2] = b->mn[4 * c + 3] = (int16_t)m1;
    }
}

static inline void lk_unpack_k_simd(uint32_t t, const uint8_t *src, lk_kblock *b) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3), b4 = _mm256_set1_epi8(0x10);
    switch (t) {
    case T_Q4_K: {
        b->d = lk_f16c(lk_u16(src)); b->dmin = lk_f16c(lk_u16(src + 2)); b->off = 0;
        lk_k4_scales(src + 4, b);
        const uint8_t *q = src + 16;
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
            _mm256_storeu_si256((__m256i *)(b->u + 64 * c), _mm256_and_si256(v, m4));
            _mm256_storeu_si256((__m256i *)(b->u + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
        }
        break;
    }
    case T_Q5_K: {
        b->d = lk_f16c(lk_u16(src)); b->dmin = lk_f16c(lk_u16(src + 2)); b->off = 0;
        lk_k4_scales(src + 4, b);
        const __m256i h = _mm256_loadu_si256((const __m256i *)(src + 16));
        const uint8_t *q = src + 48;
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
            // bit 2c of qh → +16 on the low nibbles, bit 2c+1 on the high ones
            __m256i h0 = _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(h, 2 * c), 4), b4);
            __m256i h1 = _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(h, 2 * c + 1), 4), b4);
            _mm256_storeu_si256((__m256i *)(b->u + 64 * c), _mm256_or_si256(_mm256_and_si256(v, m4), h0));
            _mm256_storeu_si256((__m256i *)(b->u + 64 * c + 32),
                                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), h1));
        }
        break;
    }
    case T_Q6_K: {
        b->d = lk_f16c(lk_u16(src + 208)); b->dmin = 0; b->off = 32;
        const int8_t *sc = (const int8_t *)(src + 192);
        for (int g = 0; g < 16; g++) { b->sc[g] = sc[g]; b->mn[g] = 0; }
        for (int hh = 0; hh < 2; hh++) {
            const uint8_t *ql = src + 64 * hh, *qh = src + 128 + 32 * hh;
            uint8_t *u = b->u + 128 * hh;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i H = _mm256_loadu_si256((const __m256i *)qh);
            __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(H, m3), 4);
            __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 2), m3), 4);
            __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 4), m3), 4);
            __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 6), m3), 4);
            _mm256_storeu_si256((__m256i *)u, _mm256_or_si256(_mm256_and_si256(l0, m4), h0));
            _mm256_storeu_si256((__m256i *)(u + 32), _mm256_or_si256(_mm256_and_si256(l1, m4), h1));
            _mm256_storeu_si256((__m256i *)(u + 64), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), h2));
            _mm256_storeu_si256((__m256i *)(u + 96), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), h3));
        }
        break;
    }
    default: lk_unpack_k(t, src, b); return;     // Q2_K, Q3_K: portable (its lk_kfinish fills scx)
    }
    lk_store_scx(b);
}

static inline void lk_unpack_l_simd(uint32_t t, const uint8_t *src, lk_lblock *b) {
    switch (t) {
    case T_Q4_0:
        b->d = lk_f16c(lk_u16(src)); b->m = -8.0f * b->d;
        _mm256_storeu_si256((__m256i *)b->u, lk_nibbles16(src + 2));
        break;
    case T_Q5_0: {
        b->d = lk_f16c(lk_u16(src)); b->m = -16.0f * b->d;
        __m256i hi = _mm256_and_si256(lk_bits_to_bytes(lk_u32(src + 2)), _mm256_set1_epi8(0x10));
        _mm256_storeu_si256((__m256i *)b->u, _mm256_or_si256(lk_nibbles16(src + 6), hi));
        break;
    }
    case T_Q8_0:
        b->d = lk_f16c(lk_u16(src)); b->m = 0;
        _mm256_storeu_si256((__m256i *)b->u, _mm256_loadu_si256((const __m256i *)(src + 2)));
        break;
    default: lk_unpack_l(t, src, b); break;
    }
}

#define LK_UNPACK_K lk_unpack_k_simd
#define LK_UNPACK_L lk_unpack_l_simd

// ---------------------------------------------------------------------------------------------------
// One activation row (decoding): Q4_K and Q6_K rows dotted straight from their blocks, in registers, without
// the unpacked buffer (the buffer pays off only when several activation rows share it).


static inline __m256i lk_scale_pair(int lo, int hi) {          // madd scales: 8 lanes lo, then 8 lanes hi
    return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo));
}

static inline float lk_q4_K_row1(const uint8_t *row, const lk_act_k *a, int64_t nb) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *src = row + 144 * b;
        const float d = lk_f16c(lk_u16(src)), dmin = lk_f16c(lk_u16(src + 2));
        int sc[8], mn[8];
        for (int j = 0; j < 8; j++) lk_scale_min_k4(j, src + 4, &sc[j], &mn[j]);
        const uint8_t *q = src + 16;
        __m256i acc = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
            __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
            __m256i A0 = _mm256_loadu_si256((const __m256i *)(a[b].q + 64 * c));
            __m256i A1 = _mm256_loadu_si256((const __m256i *)(a[b].q + 64 * c + 32));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, A0), _mm256_set1_epi16((short)sc[2 * c])));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, A1), _mm256_set1_epi16((short)sc[2 * c + 1])));
        }
        int32_t msum = 0;
        for (int j = 0; j < 8; j++) msum += mn[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        sum += lk_kblock_value(a[b].d, d, dmin, lk_hsum8(acc), msum);
    }
    return sum;
}

static inline float lk_q6_K_row1(const uint8_t *row, const lk_act_k *a, int64_t nb) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *src = row + 210 * b;
        const int8_t *sc = (const int8_t *)(src + 192);
        const float d = lk_f16c(lk_u16(src + 208));
        __m256i acc = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = src + 64 * h, *qh = src + 128 + 32 * h;
            const int8_t *aq = a[b].q + 128 * h;
            const int g = 8 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i H = _mm256_loadu_si256((const __m256i *)qh);
            __m256i u0 = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(H, m3), 4));
            __m256i u1 = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 2), m3), 4));
            __m256i u2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 4), m3), 4));
            __m256i u3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H, 6), m3), 4));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u0, _mm256_loadu_si256((const __m256i *)aq)),
                                                          lk_scale_pair(sc[g], sc[g + 1])));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u1, _mm256_loadu_si256((const __m256i *)(aq + 32))),
                                                          lk_scale_pair(sc[g + 2], sc[g + 3])));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u2, _mm256_loadu_si256((const __m256i *)(aq + 64))),
                                                          lk_scale_pair(sc[g + 4], sc[g + 5])));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u3, _mm256_loadu_si256((const __m256i *)(aq + 96))),
                                                          lk_scale_pair(sc[g + 6], sc[g + 7])));
        }
        int32_t corr = 0;                              // value = d·sc·(u − 32): subtract 32·Σ sc_g·bsum_g
        for (int gg = 0; gg < 16; gg++) corr += sc[gg] * a[b].bsums[gg];
        sum += lk_kblock_value(a[b].d, d, 0.0f, lk_hsum8(acc) - 32 * corr, 0);
    }
    return sum;
}

// A row kernel for one activation row, or NULL where the unpacked buffer path serves.
typedef float (*lk_row1_fn)(const uint8_t *, const lk_act_k *, int64_t);
static inline lk_row1_fn lk_row1_kernel(uint32_t t) {
    return t == T_Q4_K ? lk_q4_K_row1 : t == T_Q6_K ? lk_q6_K_row1 : NULL;
}
#define LK_ROW1 lk_row1_kernel
