// The portable path: plain C, correct on every architecture; also the reference the SIMD paths are
// tested against.
#include "lk_common.h"

static inline float kdot_row(const lk_kblock *w, const lk_act_k *a, int64_t nb) {
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        int32_t s1 = 0, s2, s3;
        for (int g = 0; g < 16; g++) {
            int32_t is = 0;
            for (int i = 0; i < 16; i++) is += (int32_t)w[b].u[16 * g + i] * a[b].q[16 * g + i];
            s1 += w[b].sc[g] * is;
        }
        lk_k_corrections(&w[b], &a[b], &s2, &s3);
        sum += lk_kblock_value(a[b].d, w[b].d, w[b].dmin, s1 - s2, s3);
    }
    return sum;
}

static inline float ldot_row(const lk_lblock *w, const lk_act_l *a, int64_t nb, int is_signed) {
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        int32_t is = 0;
        if (is_signed) for (int i = 0; i < 32; i++) is += (int32_t)(int8_t)w[b].u[i] * a[b].q[i];
        else for (int i = 0; i < 32; i++) is += (int32_t)w[b].u[i] * a[b].q[i];
        sum += a[b].d * (w[b].d * (float)is + w[b].m * (float)a[b].sum);
    }
    return sum;
}

static inline float fdot(const float *w, const float *x, int64_t k) {
    float s = 0;
    for (int64_t j = 0; j < k; j++) s += w[j] * x[j];
    return s;
}

#define LK_GEMV lk_gemv_scalar
#include "lk_driver.h"
