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
 */
#ifndef LE_MATH_EXT_H
#define LE_MATH_EXT_H
#include "le_math.h"

static inline float le_expm1f(float x) {
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

static inline double le_expm1(double x) {
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
static inline float le_tanhf(float x) {
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

static inline double le_tanh(double x) {
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

/* 1 - tanh(x)^2 = 4e / (1 + e)^2, e = exp(-2|x|): no cancellation anywhere. */
static inline float le_sech2f(float x) {
    float a = x < 0 ? -x : x;
    float e = le_expf(-2.0f * a);
    float q = 1.0f / (1.0f + e);
    return 4.0f * e * q * q;
}

static inline double le_sech2(double x) {
    double a = x < 0 ? -x : x;
    double e = le_exp(-2.0 * a);
    double q = 1.0 / (1.0 + e);
    return 4.0 * e * q * q;
}

#endif
