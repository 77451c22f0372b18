// The legacy-block row dot product (AVX2 intrinsics), shared by the AVX2 and both AVX-512 paths: maddubs + madd
// per 32-element block (vpdpbusd on 256-bit vectors measured slower here: 74 vs 48 ms for Gemma's Q8_0 LM head at
// 8 rows, 2026-12-01). Included inside the path's target region.

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


