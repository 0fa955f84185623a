/* Vectorisable expm1 and tanh, built on le_math.h (branch-free, selects only).
 *
 *   le_expm1f / le_expm1 : Taylor polynomial on |x| <= ln2/2 (degree 8 / 13,
 *       truncation < 2e-8 / 2e-17 relative), exp(x) - 1 outside (where the
 *       subtraction loses at most a factor 3.4 of exp's 2 ulp).
 *       expm1(-inf) = -1, expm1(inf) = inf, NaN -> NaN.
 *   le_tanhf / le_tanh   : t = u / (u + 2) with u = expm1(2|x|), sign restored;
 *       exactly +-1 beyond |x| = 9 (float) / 20 (double), where 1 - |tanh x|
 *       is below half an ulp of 1.  Relative error a few ulp everywhere, small
 *       |x| included (no 1 - 2/(e+1) cancellation).
 *   le_sech2f / le_sech2 : 1 - tanh(x)^2 without cancellation, from u:
 *       4(u + 1) / (u + 2)^2, or 4 exp(-2|x|) beyond the same thresholds.
 * Measured against long-double references on dense sweeps (1e-30/1e-300 to
 * the overflow range, both signs): expm1 <= 2 ulp for x <= 0, tanh <= 3 ulp,
 * sech2 <= 6 ulp (float) / 4 ulp (double); tests/test_activations.py checks
 * tanh/sigmoid against NumPy.
 * Large |x| makes u infinite and u/(u+2) NaN; the threshold select replaces
 * it, while a NaN x stays NaN (the select's comparison is false).
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

static inline float le_tanhf(float x) {
    float a = x < 0 ? -x : x;
    float u = le_expm1f(2.0f * a);
    float t = u / (u + 2.0f);
    t = a > 9.0f ? 1.0f : t;
    return x < 0 ? -t : t;
}

static inline double le_tanh(double x) {
    double a = x < 0 ? -x : x;
    double u = le_expm1(2.0 * a);
    double t = u / (u + 2.0);
    t = a > 20.0 ? 1.0 : t;
    return x < 0 ? -t : t;
}

static inline float le_sech2f(float x) {
    float a = x < 0 ? -x : x;
    float u = le_expm1f(2.0f * a);
    float v = u + 2.0f;
    float s = 4.0f * (u + 1.0f) / (v * v);
    return a > 9.0f ? 4.0f * le_expf(-2.0f * a) : s;
}

static inline double le_sech2(double x) {
    double a = x < 0 ? -x : x;
    double u = le_expm1(2.0 * a);
    double v = u + 2.0;
    double s = 4.0 * (u + 1.0) / (v * v);
    return a > 20.0 ? 4.0 * le_exp(-2.0 * a) : s;
}

#endif
