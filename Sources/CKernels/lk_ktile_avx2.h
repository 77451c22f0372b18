// LK_KTILE_R weight rows × 4 activation rows of K-family blocks in registers (AVX2 intrinsics, shared by the AVX2
// and AVX-512 paths; included inside the path's target region). The integer sums s1, s3 of every block are exact,
// so they may be formed in any order: here the corrections are reduced four activation rows at a time (hadd) and
// off·Σ sc·bsum is skipped where off = 0, Σ mn·bsum where the type has no mins. The Float32 part is lk_kblock_value's formula done four lanes at a time
// (the same IEEE operations per lane) and summed in block order, so a row's result is the same bits as kdot_row's
// (the tests check m = 9 against m = 1 and every path against the portable one). A path with its own main loop
// defines LK_KTILE_NATIVE and its kdot_tile, calling lk_ktile_block per block.
#ifndef LK_KTILE_R
#define LK_KTILE_R 2
#endif

// [Σ a, Σ b, Σ c, Σ d] of four 8-lane int32 vectors.
static inline __m128i lk_hsum4x8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// One block's corrections and Float32 part for LK_KTILE_R weight rows × 4 activation rows, given the main integer
// sums acc[r][c] (8 lanes each): adds ad·(d·s1 − dmin·s3) to f[r]'s four lanes.
static inline void lk_ktile_block(const lk_kblock *w, int64_t nb, int64_t b, const lk_act_k *const ab[4],
                                  __m256i acc[LK_KTILE_R][4], __m128 f[LK_KTILE_R]) {
    const __m256i bs[4] = { _mm256_loadu_si256((const __m256i *)ab[0]->bsums), _mm256_loadu_si256((const __m256i *)ab[1]->bsums),
                            _mm256_loadu_si256((const __m256i *)ab[2]->bsums), _mm256_loadu_si256((const __m256i *)ab[3]->bsums) };
    const __m128 ad = _mm_set_ps(ab[3]->d, ab[2]->d, ab[1]->d, ab[0]->d);
    for (int r = 0; r < LK_KTILE_R; r++) {
        const lk_kblock *wb = &w[r * nb + b];
        __m128i s1 = lk_hsum4x8(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        if (wb->off) {
            const __m256i sc = _mm256_loadu_si256((const __m256i *)wb->sc);
            const __m128i x = lk_hsum4x8(_mm256_madd_epi16(sc, bs[0]), _mm256_madd_epi16(sc, bs[1]),
                                         _mm256_madd_epi16(sc, bs[2]), _mm256_madd_epi16(sc, bs[3]));
            s1 = _mm_sub_epi32(s1, _mm_mullo_epi32(x, _mm_set1_epi32(wb->off)));
        }
        __m128i s3 = _mm_setzero_si128();
        if (!wb->off) {                                        // Q3_K and Q6_K (off ≠ 0) have no mins: mn = 0, s3 = 0
            const __m256i mn = _mm256_loadu_si256((const __m256i *)wb->mn);
            s3 = lk_hsum4x8(_mm256_madd_epi16(mn, bs[0]), _mm256_madd_epi16(mn, bs[1]),
                            _mm256_madd_epi16(mn, bs[2]), _mm256_madd_epi16(mn, bs[3]));
        }
        // lk_kblock_value: ad · (d·s1 − dmin·s3), lane by lane
        const __m128 v = _mm_mul_ps(ad, _mm_sub_ps(_mm_mul_ps(_mm_set1_ps(wb->d), _mm_cvtepi32_ps(s1)),
                                                   _mm_mul_ps(_mm_set1_ps(wb->dmin), _mm_cvtepi32_ps(s3))));
        f[r] = _mm_add_ps(f[r], v);
    }
}

#ifndef LK_KTILE_NATIVE
// The AVX2 main loop: 32 bytes per maddubs, the 16-element scales applied by the following madd.
static inline void kdot_tile(const lk_kblock *w, const lk_act_k *a, int64_t nb, float out[LK_KTILE_R][4]) {
    __m128 f[LK_KTILE_R];                                      // per weight row, the four rows' running sums
    for (int r = 0; r < LK_KTILE_R; r++) f[r] = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const lk_act_k *const ab[4] = { &a[b], &a[nb + b], &a[2 * nb + b], &a[3 * nb + b] };
        __m256i acc[LK_KTILE_R][4];
        for (int r = 0; r < LK_KTILE_R; r++)
            for (int c = 0; c < 4; c++) acc[r][c] = _mm256_setzero_si256();
        for (int ch = 0; ch < 8; ch++) {
            __m256i U[LK_KTILE_R], S[LK_KTILE_R];
            for (int r = 0; r < LK_KTILE_R; r++) {
                U[r] = _mm256_loadu_si256((const __m256i *)(w[r * nb + b].u + 32 * ch));
                S[r] = _mm256_loadu_si256((const __m256i *)(w[r * nb + b].scx + 16 * ch));
            }
            for (int c = 0; c < 4; c++) {
                const __m256i A = _mm256_loadu_si256((const __m256i *)(ab[c]->q + 32 * ch));
                for (int r = 0; r < LK_KTILE_R; r++)
                    acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_madd_epi16(_mm256_maddubs_epi16(U[r], A), S[r]));
            }
        }
        lk_ktile_block(w, nb, b, ab, acc, f);
    }
    for (int r = 0; r < LK_KTILE_R; r++) _mm_storeu_ps(out[r], f[r]);
}
#endif
#define LK_HAS_KTILE 1
