// Path selection, activation quantization and the reference dequantizer.
#include "lisa_kernels.h"
#include "lk_common.h"

int lk_path_supported(int path) {
    switch (path) {
    case LK_PATH_SCALAR: return 1;
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__clang__) || defined(__GNUC__))
    case LK_PATH_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case LK_PATH_AVX512:
        return lk_path_supported(LK_PATH_AVX2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    case LK_PATH_AVX512VNNI:
        return lk_path_supported(LK_PATH_AVX512) && __builtin_cpu_supports("avx512vnni");
#endif
    default: return 0;
    }
}

int lk_best_path(void) {
    for (int p = LK_PATH_COUNT - 1; p > 0; p--) if (lk_path_supported(p)) return p;
    return LK_PATH_SCALAR;
}

const char *lk_path_name(int path) {
    switch (path) {
    case LK_PATH_SCALAR: return "scalar";
    case LK_PATH_AVX2: return "avx2";
    case LK_PATH_AVX512: return "avx512";
    case LK_PATH_AVX512VNNI: return "avx512-vnni";
    default: return "unknown";
    }
}

int lk_type_supported(uint32_t type) { return lk_is_k(type) || lk_is_legacy(type) || lk_is_float(type); }

int64_t lk_block_elems(uint32_t type) {
    if (lk_is_k(type)) return 256;
    if (lk_is_legacy(type)) return 32;
    return 1;
}

size_t lk_act_row_bytes(uint32_t type, int64_t k) {
    if (lk_is_k(type)) return (size_t)(k / 256) * sizeof(lk_act_k);
    if (lk_is_legacy(type)) return (size_t)(k / 32) * sizeof(lk_act_l);
    return (size_t)k * sizeof(float);
}

// Symmetric 8-bit quantization of n values: q = round(x / d), d = max|x| / 127.
static float lk_quant_block(const float *x, int8_t *q, int n) {
    float amax = 0;
    for (int i = 0; i < n; i++) { float a = fabsf(x[i]); if (a > amax) amax = a; }
    if (!(amax > 0) || !isfinite(amax)) {
        // all zero (or non-finite input: let it propagate as NaN through d)
        memset(q, 0, (size_t)n);
        return amax > 0 || amax != amax || isinf(amax) ? NAN : 0.0f;
    }
    const float id = 127.0f / amax;
    for (int i = 0; i < n; i++) {
        int v = (int)lrintf(x[i] * id);
        q[i] = (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
    }
    return amax / 127.0f;
}

// lk_quant_block with AVX2 where the CPU has it (the same values: see lk_quant_block_avx2).
static float lk_quant_block_best(const float *x, int8_t *q, int n, int portable) {
    if (!portable && lk_path_supported(LK_PATH_AVX2)) {
        float d;
        if (lk_quant_block_avx2(x, q, n, &d)) return d;
    }
    return lk_quant_block(x, q, n);
}

static void lk_quantize_act_with(uint32_t type, const float *x, void *out, int64_t k, int portable) {
    if (lk_is_k(type)) {
        lk_act_k *a = (lk_act_k *)out;
        for (int64_t b = 0; b < k / 256; b++) {
            a[b].d = lk_quant_block_best(x + 256 * b, a[b].q, 256, portable);
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += a[b].q[16 * g + i];
                a[b].bsums[g] = (int16_t)s;
            }
        }
    } else if (lk_is_legacy(type)) {
        lk_act_l *a = (lk_act_l *)out;
        for (int64_t b = 0; b < k / 32; b++) {
            a[b].d = lk_quant_block_best(x + 32 * b, a[b].q, 32, portable);
            int s = 0;
            for (int i = 0; i < 32; i++) s += a[b].q[i];
            a[b].sum = s;
        }
    } else {
        memcpy(out, x, (size_t)k * sizeof(float));
    }
}

void lk_quantize_act(uint32_t type, const float *x, void *out, int64_t k) { lk_quantize_act_with(type, x, out, k, 0); }
void lk_quantize_act_portable(uint32_t type, const float *x, void *out, int64_t k) {
    lk_quantize_act_with(type, x, out, k, 1);
}

int lk_gemv(int path, uint32_t type, const void *w, size_t row_bytes, int64_t k, int64_t r0, int64_t r1,
            const void *xq, int64_t m, float *y, int64_t ldy) {
    if (!lk_type_supported(type) || k % lk_block_elems(type) != 0) return -1;
    if (path == LK_PATH_AUTO) path = lk_best_path();
    if (!lk_path_supported(path)) return -1;
    switch (path) {
    case LK_PATH_AVX2: return lk_gemv_avx2(type, w, row_bytes, k, r0, r1, xq, m, y, ldy);
    case LK_PATH_AVX512: return lk_gemv_avx512(type, w, row_bytes, k, r0, r1, xq, m, y, ldy);
    case LK_PATH_AVX512VNNI: return lk_gemv_avx512vnni(type, w, row_bytes, k, r0, r1, xq, m, y, ldy);
    default: return lk_gemv_scalar(type, w, row_bytes, k, r0, r1, xq, m, y, ldy);
    }
}

int lk_dequant_row(uint32_t type, const void *src, float *dst, int64_t k) {
    const uint8_t *s = (const uint8_t *)src;
    if (!lk_type_supported(type) || k % lk_block_elems(type) != 0) return -1;
    if (lk_is_k(type)) {
        lk_kblock b;
        for (int64_t i = 0; i < k / 256; i++) {
            lk_unpack_k(type, s + (size_t)i * lk_block_bytes(type), &b);
            for (int j = 0; j < 256; j++) {
                const int g = j / 16;
                dst[256 * i + j] = (b.d * (float)b.sc[g]) * (float)((int)b.u[j] - b.off) - b.dmin * (float)b.mn[g];
            }
        }
    } else if (lk_is_legacy(type)) {
        lk_lblock b;
        for (int64_t i = 0; i < k / 32; i++) {
            lk_unpack_l(type, s + (size_t)i * lk_block_bytes(type), &b);
            for (int j = 0; j < 32; j++)
                dst[32 * i + j] = type == T_Q8_0 ? b.d * (float)(int8_t)b.u[j] : b.d * (float)b.u[j] + b.m;
        }
    } else if (type == T_F32) {
        memcpy(dst, s, (size_t)k * 4);
    } else {
        for (int64_t j = 0; j < k; j++) { uint16_t h = lk_u16(s + 2 * j); dst[j] = type == T_F16 ? lk_half(h) : lk_bf16(h); }
    }
    return 0;
}

// binary16 → Float32 and back (round to nearest even), portable.
static uint16_t lk_to_half(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t a = x & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return sign | 0x7E00 | (uint16_t)((a >> 13) & 0x3FF);     // NaN stays NaN
    if (a >= 0x47800000u) return sign | 0x7C00;                                   // overflow → ∞
    if (a < 0x38800000u) {                                                        // subnormal half
        float v; memcpy(&v, &a, 4);
        return sign | (uint16_t)lrintf(v * 16777216.0f);
    }
    uint32_t h = (((a >> 23) - 112) << 10) | ((a & 0x7FFFFF) >> 13);
    const uint32_t rest = a & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h += 1;
    return sign | (uint16_t)h;
}

void lk_f32_to_f16(const float *x, uint16_t *y, int64_t n) {
    if (lk_path_supported(LK_PATH_AVX2)) { lk_f32_to_f16_f16c(x, y, n); return; }
    for (int64_t i = 0; i < n; i++) y[i] = lk_to_half(x[i]);
}

void lk_f16_to_f32(const uint16_t *x, float *y, int64_t n) {
    if (lk_path_supported(LK_PATH_AVX2)) { lk_f16_to_f32_f16c(x, y, n); return; }
    for (int64_t i = 0; i < n; i++) y[i] = lk_half(x[i]);
}

// Compiled for AVX-512, AVX2 and the portable baseline; the loader picks one (ifunc) on x86-64.
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__clang__) && defined(__linux__)
#define LK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LK_CLONES
#endif

LK_CLONES void lk_attn_scores(const float *q, const float *K, int64_t S, int64_t hd, int64_t ldk, float scale, float *scores) {
    for (int64_t s = 0; s < S; s++) {
        const float *k = K + s * ldk;
        float acc[16] = {0};
        int64_t j = 0;
        for (; j + 16 <= hd; j += 16)
            for (int u = 0; u < 16; u++) acc[u] += q[j + u] * k[j + u];
        float t = 0;
        for (int u = 0; u < 16; u++) t += acc[u];
        for (; j < hd; j++) t += q[j] * k[j];
        scores[s] = scale * t;
    }
}

LK_CLONES void lk_attn_pv(const float *p, const float *V, int64_t S, int64_t hd, int64_t ldv, float *out) {
    for (int64_t j = 0; j < hd; j++) out[j] = 0;
    for (int64_t s = 0; s < S; s++) {
        const float w = p[s];
        if (w == 0) continue;                       // masked positions (sliding window) cost nothing
        const float *v = V + s * ldv;
        for (int64_t j = 0; j < hd; j++) out[j] += w * v[j];
    }
}

// The F16-cache products (see lisa_kernels.h): F16C on AVX2 CPUs, otherwise the portable widening. Both follow
// lk_attn_scores / lk_attn_pv: 16 partial sums u = j mod 16 then their sum in order u = 0…15, then the tail; and
// out[j] += p[s]·v[j] for s in order, skipping p[s] = 0.
void lk_attn_scores_f16(const float *q, const uint16_t *K16, int64_t S, int64_t hd, int64_t ldk, float scale, float *scores) {
    if (lk_path_supported(LK_PATH_AVX2)) { lk_attn_scores_f16_f16c(q, K16, S, hd, ldk, scale, scores); return; }
    for (int64_t s = 0; s < S; s++) {
        const uint16_t *k = K16 + s * ldk;
        float acc[16] = {0};
        int64_t j = 0;
        for (; j + 16 <= hd; j += 16)
            for (int u = 0; u < 16; u++) acc[u] += q[j + u] * lk_half(k[j + u]);
        float t = 0;
        for (int u = 0; u < 16; u++) t += acc[u];
        for (; j < hd; j++) t += q[j] * lk_half(k[j]);
        scores[s] = scale * t;
    }
}

void lk_attn_pv_f16(const float *p, const uint16_t *V16, int64_t S, int64_t hd, int64_t ldv, float *out) {
    if (lk_path_supported(LK_PATH_AVX2)) { lk_attn_pv_f16_f16c(p, V16, S, hd, ldv, out); return; }
    for (int64_t j = 0; j < hd; j++) out[j] = 0;
    for (int64_t s = 0; s < S; s++) {
        const float w = p[s];
        if (w == 0) continue;
        const uint16_t *v = V16 + s * ldv;
        for (int64_t j = 0; j < hd; j++) out[j] += w * lk_half(v[j]);
    }
}

void lk_attn_scores_kv(const float *q, const void *K, int half, int64_t S, int64_t hd, int64_t ldk, float scale,
                       float *scores) {
    if (half) lk_attn_scores_f16(q, (const uint16_t *)K, S, hd, ldk, scale, scores);
    else lk_attn_scores(q, (const float *)K, S, hd, ldk, scale, scores);
}

void lk_attn_pv_kv(const float *p, const void *V, int half, int64_t S, int64_t hd, int64_t ldv, float *out) {
    if (half) lk_attn_pv_f16(p, (const uint16_t *)V, S, hd, ldv, out);
    else lk_attn_pv(p, (const float *)V, S, hd, ldv, out);
}
