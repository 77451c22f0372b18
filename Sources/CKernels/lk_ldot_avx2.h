// The legacy-block row dot product (AVX2 intrinsics), shared by the AVX2 and both AVX-512 paths: maddubs + madd
// per 32-element block (vpdpbusd on 256-bit vectors measured slower for one row: Gemma's Q8_0 LM head 27 vs 33
// GMAC/s, 2026-12-01; the tiles below use it, where it measured faster). Included inside the path's target region.

static inline int32_t lk_hsum8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

static inline float lk_hsum_f32_256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float ldot_row(const lk_lblock *w, const lk_act_l *a, int64_t nb, int is_signed) {
    __m256 facc = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    float msum = 0;
    for (int64_t b = 0; b < nb; b++) {
        __m256i U = _mm256_loadu_si256((const __m256i *)w[b].u);
        __m256i A = _mm256_loadu_si256((const __m256i *)a[b].q);
        __m256i P = is_signed ? _mm256_maddubs_epi16(_mm256_sign_epi8(U, U), _mm256_sign_epi8(A, U))
                              : _mm256_maddubs_epi16(U, A);
        __m256i I = _mm256_madd_epi16(P, ones);
        facc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), _mm256_set1_ps(w[b].d * a[b].d), facc);
        if (!is_signed) msum += w[b].m * a[b].d * (float)a[b].sum;
    }
    return lk_hsum_f32_256(facc) + msum;
}



// LK_LTILE_R weight rows × LK_LTILE_C activation rows of legacy blocks in registers: each U and A load serves
// several products, and every product runs ldot_row's operations in ldot_row's order, so a row's result is the
// same bits whichever kernel computed it (the tests check m = 9 against m = 1). The per-block scale products are
// the same IEEE operations done four lanes at a time: ad4/sum4 hold the four activation rows' d and block sum
// (lk_act_l, gathered per block by the driver), so d_w·d_a and the min term m_w·d_a·sum cost one vector
// multiply per weight row instead of one scalar product per pair.
#ifndef LK_LTILE_R
#define LK_LTILE_R 2
#endif
#define LK_LTILE_C 4
static inline void ldot_tile(const lk_lblock *w, const lk_act_l *a, const float *ad4, const float *sum4, int64_t nb,
                             int is_signed, float out[LK_LTILE_R][LK_LTILE_C]) {
    __m256 facc[LK_LTILE_R][LK_LTILE_C];                       // per product, ldot_row's accumulator
    __m128 msum[LK_LTILE_R];                                   // per weight row, ldot_row's msum of each act row
    for (int r = 0; r < LK_LTILE_R; r++) {
        msum[r] = _mm_setzero_ps();
        for (int c = 0; c < LK_LTILE_C; c++) facc[r][c] = _mm256_setzero_ps();
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < nb; b++) {
        const __m128 ad = _mm_loadu_ps(ad4 + 4 * b);
        __m256i U[LK_LTILE_R], Ua[LK_LTILE_R];
        float dd[LK_LTILE_R][LK_LTILE_C];                     // d_w · d_a, as ldot_row's scalar product
        for (int r = 0; r < LK_LTILE_R; r++) {
            const lk_lblock *wb = &w[r * nb + b];
            U[r] = _mm256_loadu_si256((const __m256i *)wb->u);
            Ua[r] = is_signed ? _mm256_sign_epi8(U[r], U[r]) : U[r];
            _mm_storeu_ps(dd[r], _mm_mul_ps(_mm_set1_ps(wb->d), ad));
            if (!is_signed)
                msum[r] = _mm_add_ps(msum[r], _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(wb->m), ad), _mm_loadu_ps(sum4 + 4 * b)));
        }
        for (int c = 0; c < LK_LTILE_C; c++) {
            const __m256i A = _mm256_loadu_si256((const __m256i *)a[c * nb + b].q);
            for (int r = 0; r < LK_LTILE_R; r++) {
#if LK_VNNI
                // vpdpbusd: the same 4-element integer sums in one instruction (no 16-bit intermediate; maddubs
                // never saturates on these blocks either: |w| ≤ 128, |a| ≤ 127, so the sums are equal). bench roof,
                // Gemma, 8 / 32 / 512 rows: Q5_0 88 → 105 / 111 → 129 / 123 → 149 GMAC/s, Q8_0 94 → 101 / 101 →
                // 111 / 125 → 146 (2026-12-01)
                (void)ones;
                __m256i I = _mm256_dpbusd_epi32(_mm256_setzero_si256(), Ua[r], is_signed ? _mm256_sign_epi8(A, U[r]) : A);
#else
                __m256i P = _mm256_maddubs_epi16(Ua[r], is_signed ? _mm256_sign_epi8(A, U[r]) : A);
                __m256i I = _mm256_madd_epi16(P, ones);
#endif
                facc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), _mm256_broadcast_ss(&dd[r][c]), facc[r][c]);
            }
        }
    }
    for (int r = 0; r < LK_LTILE_R; r++) {
        float ms[LK_LTILE_C];
        _mm_storeu_ps(ms, msum[r]);
        for (int c = 0; c < LK_LTILE_C; c++) out[r][c] = lk_hsum_f32_256(facc[r][c]) + ms[c];
    }
}
#define LK_HAS_LTILE 1
