/* Vectorisable expm1 and tanh, built on le_math.h (branch-free, selects only).
 *
 *   le_expm1f / le_expm1 : Taylor polynomial on |x| <= ln2/2 (degree 8 / 13,
 *       truncation < 2e-8 / 2e-17 relative), exp(x) - 1 outside (where the
 *       subtraction loses at most a factor 3.4 of exp's 2 ulp).
 *       expm1(-inf) = -1, expm1(inf) = inf, NaN -> NaN.
 *   le_tanhf / le_tanh   : (1 - e)/(1 + e) with e = exp(-2|x|) for |x| >= 1/8,
 *       an odd Taylor polynomial below (full relative accuracy near 0).
 *   le_sech2f / le_sech2 : 1 - tanh(x)^2 = 4e/(1 + e)^2, without cancellation.
 * Measured against long-double references on dense sweeps (1e-30/1e-300 to
 * the overflow range, both signs): expm1 <= 2 ulp for x <= 0, tanh and sech2
 * <= 5 ulp; tests/test_activations.py checks tanh/sigmoid against NumPy.
 * Large |x|: e underflows to 0, so tanh = +-1 and sech2 = 0 (true value below
 * 1e-37 / 1e-307); NaN stays NaN.
 *
 * float32 activation paths (csrc/activations.c): le_expf_np (exp of z <= 0),
 * le_log1pf_unit (log1p on [0, 1] with a shared 1/(1+e)), le_expm1f_np,
 * le_tanhf_small; LE_FMAF fuses where the ISA level has FMA.  Measured on
 * dense float32 sweeps against float64: sigmoid, log_sigmoid, softplus and
 * tanh values <= 2.7 / 2.0 / 2.0 / 4.3 ulp, derivatives <= 4.6 ulp.
 */
#ifndef LE_MATH_EXT_H
#define LE_MATH_EXT_H
#include "le_math.h"

/* a * b + c with one rounding where the ISA level has FMA (AVX2+FMA and
 * AVX-512 builds: one vfmadd), two roundings in the baseline build.  Results
 * may differ between ISA levels by an ulp, never between thread counts or
 * between the loss-only and the fused paths (the same expression runs in
 * both). */
#if defined(__FMA__)
#define LE_FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define LE_FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* exp(z) for z <= 0, +-0 or NaN (activation use: the argument is -|x| or
 * -2|x|), float.  No overflow handling; z below -87 gives 0 (true value
 * < 1.7e-38), -inf gives 0, NaN propagates (the clamp keeps NaN, and NaN
 * flows through the arithmetic).  Cody-Waite reduction to |r| <= ln2/2 and
 * le_expf_neg's degree-6 polynomial (3e-9 relative before rounding), in
 * Horner form with FMA where available: about half the instructions of
 * le_expf.  <= 2 ulp on [-87, 0] (tests/test_activations.py). */
static inline LE_MATH_AI float le_expf_np(float z) {
    const float lo = -87.0f, shifter = 12582912.0f;
    const float zc = z < lo ? lo : z;              /* NaN passes */
    const float t = LE_FMAF(zc, 1.44269504088896341f, shifter);
    const float n = t - shifter;
    const uint32_t eb = (le_bits_f(t) - le_bits_f(shifter) + 127u) << 23;   /* 2^n */
    float r = LE_FMAF(n, -0.693359375f, zc);
    r = LE_FMAF(n, 2.12194440e-4f, r);
    float p = 0.00138146f;
    p = LE_FMAF(p, r, 0.00836871f);
    p = LE_FMAF(p, r, 0.04166839f);
    p = LE_FMAF(p, r, 0.16666521f);
    p = LE_FMAF(p, r, 0.49999994f);
    p = LE_FMAF(p, r, 1.0f);
    p = LE_FMAF(p, r, 1.0f);
    const float y = p * le_f_from_bits(eb);
    return z < lo ? 0.0f : y;
}

/* log1p(e) for e in [0, 1] (or NaN) given q = 1/(1 + e), float: what
 * log_sigmoid and softplus need with e = exp(-|z|).  u = 1 + e lies in
 * [1, 2], so no range reduction beyond one halving (no subnormal, zero or
 * negative cases), le_logf's polynomial with FMA, and the rounding of u
 * corrected by (e - (u - 1)) q, the division shared with the caller.
 * e = 0 gives 0; tiny e gives e.  <= 3 ulp (tests/test_activations.py). */
static inline LE_MATH_AI float le_log1pf_unit(float e, float q) {
    const float u = 1.0f + e;
    const int big = u > 1.41421356f;
    const float m = big ? 0.5f * u : u;
    const float k = big ? 1.0f : 0.0f;
    const float f = m - 1.0f;                      /* exact */
    const float z = f * f;
    float p = 7.0376836292e-2f;
    p = LE_FMAF(p, f, -1.1514610310e-1f);
    p = LE_FMAF(p, f, 1.1676998740e-1f);
    p = LE_FMAF(p, f, -1.2420140846e-1f);
    p = LE_FMAF(p, f, 1.4249322787e-1f);
    p = LE_FMAF(p, f, -1.6668057665e-1f);
    p = LE_FMAF(p, f, 2.0000714765e-1f);
    p = LE_FMAF(p, f, -2.4999993993e-1f);
    p = LE_FMAF(p, f, 3.3333331174e-1f);
    float y = f + LE_FMAF(f * z, p, -0.5f * z);
    y = LE_FMAF(k, -2.12194440e-4f, y);
    y = LE_FMAF(k, 0.693359375f, y);
    return y + (e - (u - 1.0f)) * q;
}

/* expm1(x) for x <= 0 (or NaN) given ex = le_expf_np(x): le_expm1f's Taylor
 * polynomial (FMA form) on |x| <= ln2/2, ex - 1 below.  elu's path. */
static inline LE_MATH_AI float le_expm1f_np(float x, float ex) {
    float p = 1.0f / 40320.0f;
    p = LE_FMAF(p, x, 1.0f / 5040.0f);
    p = LE_FMAF(p, x, 1.0f / 720.0f);
    p = LE_FMAF(p, x, 1.0f / 120.0f);
    p = LE_FMAF(p, x, 1.0f / 24.0f);
    p = LE_FMAF(p, x, 1.0f / 6.0f);
    p = LE_FMAF(p, x, 0.5f);
    const float small = LE_FMAF(x * x, p, x);
    return x >= -0.34657359f ? small : ex - 1.0f;   /* NaN: ex - 1 (NaN) */
}

/* -|x| and |x| by the sign bit (one vector or/and). */
static inline LE_MATH_AI float le_negabsf(float x) { return le_f_from_bits(le_bits_f(x) | 0x80000000u); }
static inline LE_MATH_AI double le_negabs(double x) { return le_d_from_bits(le_bits_d(x) | 0x8000000000000000ull); }
static inline LE_MATH_AI float le_absf(float x) { return le_f_from_bits(le_bits_f(x) & 0x7fffffffu); }
static inline LE_MATH_AI double le_abs(double x) { return le_d_from_bits(le_bits_d(x) & 0x7fffffffffffffffull); }
/* |t| with the sign of x */
static inline LE_MATH_AI float le_signf(float t, float x) {
    return le_f_from_bits(le_bits_f(t) | (le_bits_f(x) & 0x80000000u));
}
static inline LE_MATH_AI double le_sign(double t, double x) {
    return le_d_from_bits(le_bits_d(t) | (le_bits_d(x) & 0x8000000000000000ull));
}

static inline LE_MATH_AI float le_expm1f(float x) {
    float p = 1.0f / 40320.0f;
    p = p * x + 1.0f / 5040.0f;
    p = p * x + 1.0f / 720.0f;
    p = p * x + 1.0f / 120.0f;
    p = p * x + 1.0f / 24.0f;
    p = p * x + 1.0f / 6.0f;
    p = p * x + 0.5f;
    float small = x + (x * x) * p;
    float big = le_expf(x) - 1.0f;
    float a = x < 0 ? -x : x;
    return a <= 0.34657359f ? small : big;   /* NaN: big (NaN) */
}

static inline LE_MATH_AI double le_expm1(double x) {
    double p = 1.0 / 6227020800.0;
    p = p * x + 1.0 / 479001600.0;
    p = p * x + 1.0 / 39916800.0;
    p = p * x + 1.0 / 3628800.0;
    p = p * x + 1.0 / 362880.0;
    p = p * x + 1.0 / 40320.0;
    p = p * x + 1.0 / 5040.0;
    p = p * x + 1.0 / 720.0;
    p = p * x + 1.0 / 120.0;
    p = p * x + 1.0 / 24.0;
    p = p * x + 1.0 / 6.0;
    p = p * x + 0.5;
    double small = x + (x * x) * p;
    double big = le_exp(x) - 1.0;
    double a = x < 0 ? -x : x;
    return a <= 0.34657359027997264 ? small : big;
}

/* tanh(|x|) = (1 - e) / (1 + e) with e = exp(-2|x|) for |x| >= 1/8 (1 - e >= 0.22:
 * at most a factor 3.5 of cancellation), the Taylor series below (truncation
 * < 4e-9 / 2e-18 relative).  One exp and one reciprocal, shared with sech2. */
static inline LE_MATH_AI float le_tanhf(float x) {
    float a = x < 0 ? -x : x;
    float e = le_expf(-2.0f * a);
    float q = 1.0f / (1.0f + e);
    float big = (1.0f - e) * q;
    float z = a * a;
    float p = -17.0f / 315.0f;
    p = p * z + 2.0f / 15.0f;
    p = p * z - 1.0f / 3.0f;
    float small = a + a * z * p;
    float t = a < 0.125f ? small : big;
    return x < 0 ? -t : t;
}

static inline LE_MATH_AI double le_tanh(double x) {
    double a = x < 0 ? -x : x;
    double e = le_exp(-2.0 * a);
    double q = 1.0 / (1.0 + e);
    double big = (1.0 - e) * q;
    double z = a * a;
    double p = -929569.0 / 638512875.0;
    p = p * z + 21844.0 / 6081075.0;
    p = p * z - 1382.0 / 155925.0;
    p = p * z + 62.0 / 2835.0;
    p = p * z - 17.0 / 315.0;
    p = p * z + 2.0 / 15.0;
    p = p * z - 1.0 / 3.0;
    double small = a + a * z * p;
    double t = a < 0.125 ? small : big;
    return x < 0 ? -t : t;
}

/* tanh(a) for 0 <= a < 1/8 (or NaN), the odd Taylor series of le_tanhf. */
static inline LE_MATH_AI float le_tanhf_small(float a) {
    const float z = a * a;
    float p = -17.0f / 315.0f;
    p = LE_FMAF(p, z, 2.0f / 15.0f);
    p = LE_FMAF(p, z, -1.0f / 3.0f);
    return LE_FMAF(a * z, p, a);
}

/* 1 - tanh(x)^2 = 4e / (1 + e)^2, e = exp(-2|x|): no cancellation anywhere. */
static inline LE_MATH_AI float le_sech2f(float x) {
    float a = x < 0 ? -x : x;
    float e = le_expf(-2.0f * a);
    float q = 1.0f / (1.0f + e);
    return 4.0f * e * q * q;
}

static inline LE_MATH_AI double le_sech2(double x) {
    double a = x < 0 ? -x : x;
    double e = le_exp(-2.0 * a);
    double q = 1.0 / (1.0 + e);
    return 4.0 * e * q * q;
}

#endif
