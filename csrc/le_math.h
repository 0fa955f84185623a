/* Branch-free exp / log / log1p that compilers vectorise (libm calls do not).
 *
 * Error bounds (measured against float64 NumPy in tests/test_math.py over
 * the whole finite range, plus dense sweeps near 0, 1 and the limits):
 *   le_expf_neg / le_exp_neg: the same bounds for x <= 0 (softmax-type use);
 *   le_expf_sum / le_exp_sum: the same, but exp(lo) instead of 0 below lo.
 *   le_expf   : <= 2 ulp for x in [-86.5, 88.72]; 0 below -86.5 (a flush of
 *               results < 3e-38), +inf above 88.72.
 *   le_exp    : <= 2 ulp for x in [-707, 709.78]; 0 below -707 (< 1e-307).
 *   le_logf/le_log     : <= 2 ulp for every positive normal or subnormal x.
 *   le_log1pf/le_log1p : <= 3 ulp for x > -1.
 * Special values follow C99: exp(NaN)=NaN, exp(-inf)=0, exp(inf)=inf;
 * log(0)=-inf, log(x<0)=NaN, log(inf)=inf; log1p(-1)=-inf.
 * Only comparisons/selects and arithmetic: no branches, no errno.
 */
#ifndef LE_MATH_H
#define LE_MATH_H

/* Every helper here is forced inline: they are meant to be inlined into
 * `omp simd` loops, and a call left out of line (gcc's inliner gives up once a
 * kernel function has grown) keeps the whole loop scalar. */
#if defined(__GNUC__)
#define LE_MATH_AI __attribute__((always_inline))
#else
#define LE_MATH_AI
#endif
#include <stdint.h>
#include <string.h>

/* Bit casts through unions: gcc vectorises these where memcpy-based casts
 * stop the vectoriser. */
typedef union { uint32_t u; float f; } le_pun32;
typedef union { uint64_t u; double f; } le_pun64;
static inline LE_MATH_AI float le_f_from_bits(uint32_t b) { le_pun32 v; v.u = b; return v.f; }
static inline LE_MATH_AI uint32_t le_bits_f(float f) { le_pun32 v; v.f = f; return v.u; }
static inline LE_MATH_AI double le_d_from_bits(uint64_t b) { le_pun64 v; v.u = b; return v.f; }
static inline LE_MATH_AI uint64_t le_bits_d(double f) { le_pun64 v; v.f = f; return v.u; }

/* ---- exp ---------------------------------------------------------------- */
static inline LE_MATH_AI float le_expf(float x) {
    const float hi = 88.72283f, lo = -86.5f;
    float xc = x < hi ? x : hi;          /* NaN -> hi, so xc is always finite */
    xc = xc > lo ? xc : lo;
    /* n = round(x / ln2) via the 1.5*2^23 shifter; its low bits are n. */
    const float shifter = 12582912.0f;
    float t = xc * 1.44269504088896341f + shifter;
    float n = t - shifter;
    int32_t ni = (int32_t)(le_bits_f(t) - le_bits_f(shifter));
    /* Cody-Waite: r = x - n ln2 in two parts, |r| <= ln2/2 */
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    /* 2^(n-1) * 2 keeps n = 128 representable */
    float scale = le_f_from_bits((uint32_t)(ni + 126) << 23);
    float y = p * scale * 2.0f;
    y = x > hi ? (float)INFINITY : y;
    y = x < lo ? 0.0f : y;
    y = x != x ? x : y;
    return y;
}

/* exp(xc) = p * 2^n for finite xc in [-707, 709.78]: Cody-Waite reduction to
 * |r| <= ln2/2, Taylor to degree 13 (truncation < 1e-18 relative). */
static inline LE_MATH_AI double le_exp_core_d(double xc, int64_t *n_out) {
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52: low bits of t are n */
    double t = xc * 1.4426950408889634074 + shifter;
    double n = t - shifter;
    *n_out = (int64_t)(le_bits_d(t) - le_bits_d(shifter));
    double r = xc - n * 6.93147180369123816490e-01;   /* ln2 hi */
    r = r - n * 1.90821492927058770002e-10;           /* ln2 lo */
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return p * (r * r) + r + 1.0;
}

static inline LE_MATH_AI double le_exp(double x) {
    const double hi = 709.782712893384, lo = -707.0;
    double xc = x < hi ? x : hi;          /* NaN -> hi, so xc is always finite */
    xc = xc > lo ? xc : lo;
    int64_t ni;
    double p = le_exp_core_d(xc, &ni);
    /* 2^(n-1) * 2 keeps n = 1024 representable */
    double y = p * le_d_from_bits((uint64_t)(ni + 1022) << 52) * 2.0;
    y = x > hi ? (double)INFINITY : y;
    y = x < lo ? 0.0 : y;
    y = x != x ? x : y;
    return y;
}

/* exp(xc) for finite xc in [-86.5, 0]: Cody-Waite reduction to |r| <= ln2/2
 * and a polynomial fitted for relative error (3e-9 before rounding). */
static inline LE_MATH_AI float le_expf_core_neg(float xc) {
    const float shifter = 12582912.0f;
    float t = xc * 1.44269504088896341f + shifter;
    float n = t - shifter;
    int32_t ni = (int32_t)(le_bits_f(t) - le_bits_f(shifter));
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 0.00138146f;
    p = p * r + 0.00836871f;
    p = p * r + 0.04166839f;
    p = p * r + 0.16666521f;
    p = p * r + 0.49999994f;
    p = p * (r * r) + r + 1.0f;
    float y = p * le_f_from_bits((uint32_t)(ni + 127) << 23);
    return y;
}

/* exp(x) for x <= 0 (or NaN): what softmax-type kernels feed it (x - max).
 * Saves the overflow handling and uses a shorter polynomial (fitted for
 * relative error on |r| <= ln2/2, 3e-9 before rounding): <= 2 ulp on
 * [-86.5, 0], 0 below -86.5, NaN -> NaN. Positive x is clamped to 0's
 * neighbourhood only by the caller's contract: never pass x > 0.5. */
static inline LE_MATH_AI float le_expf_neg(float x) {
    const float lo = -86.5f;
    float xc = x > lo ? x : lo;          /* NaN -> lo */
    float y = le_expf_core_neg(xc);
    y = x < lo ? 0.0f : y;
    y = x != x ? x : y;
    return y;
}

/* Double counterpart for x <= 0 (or NaN). */
static inline LE_MATH_AI double le_exp_neg(double x) {
    const double lo = -707.0;
    double xc = x > lo ? x : lo;
    int64_t ni;
    double p = le_exp_core_d(xc, &ni);
    double y = p * le_d_from_bits((uint64_t)(ni + 1023) << 52);
    y = x < lo ? 0.0 : y;
    y = x != x ? x : y;
    return y;
}

/* exp(x) for softmax sums: x = logit - row max <= 0 (or NaN). Like
 * le_expf_neg but without the flush below -86.5: there it returns
 * exp(-86.5) ~ 2.6e-38, an absolute error no sum or probability can see, and
 * saves a compare and a blend per element. NaN -> NaN. */
static inline LE_MATH_AI float le_expf_sum(float x) {
    const float lo = -86.5f;
    float xc = x > lo ? x : lo;          /* NaN -> lo */
    float y = le_expf_core_neg(xc);
    return x != x ? x : y;
}

static inline LE_MATH_AI double le_exp_sum(double x) {
    const double lo = -707.0;
    double xc = x > lo ? x : lo;
    int64_t ni;
    double p = le_exp_core_d(xc, &ni);
    double y = p * le_d_from_bits((uint64_t)(ni + 1023) << 52);
    return x != x ? x : y;
}

/* ---- log ---------------------------------------------------------------- */
/* x = m * 2^e with m in [sqrt(1/2), sqrt(2)) for positive x (subnormals
 * scaled first); other x give values the callers replace.  Returned by
 * value: an exponent passed out through a pointer is an address-taken local,
 * which `omp simd` loops turn into a per-lane array and then fail to
 * vectorise. */
typedef struct { float m, e; } le_split_f_t;
typedef struct { double m, e; } le_split_d_t;

static inline LE_MATH_AI le_split_f_t le_split_f(float x) {
    int sub = x < 1.17549435e-38f;
    float xs = sub ? x * 8388608.0f : x;
    uint32_t b = le_bits_f(xs);
    int32_t e = (int32_t)((b >> 23) & 0xff) - 127;
    float m = le_f_from_bits((b & 0x007fffffu) | 0x3f800000u);  /* [1,2) */
    int big = m > 1.41421356f;
    m = big ? m * 0.5f : m;
    e = big ? e + 1 : e;
    e = sub ? e - 23 : e;
    le_split_f_t r = {m, (float)e};
    return r;
}

static inline LE_MATH_AI le_split_d_t le_split_d(double x) {
    int sub = x < 2.2250738585072014e-308;
    double xs = sub ? x * 4503599627370496.0 : x;   /* 2^52 */
    uint64_t b = le_bits_d(xs);
    int64_t e = (int64_t)((b >> 52) & 0x7ff) - 1023;
    double m = le_d_from_bits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    e = big ? e + 1 : e;
    e = sub ? e - 52 : e;
    le_split_d_t r = {m, (double)e};
    return r;
}

/* log(1+f) for f in [sqrt(.5)-1, sqrt(2)-1] (minimax polynomial). */
static inline LE_MATH_AI float le_log1p_core_f(float f) {
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    return f + (f * z * p - 0.5f * z);
}

static inline LE_MATH_AI float le_logf(float x) {
    le_split_f_t sp = le_split_f(x);
    float ef = sp.e;
    float f = sp.m - 1.0f;
    float y = le_log1p_core_f(f);
    y = y + ef * -2.12194440e-4f;
    y = y + ef * 0.693359375f;
    y = x == 0.0f ? -(float)INFINITY : y;
    y = x < 0.0f ? (float)NAN : y;
    y = x == (float)INFINITY ? x : y;
    y = x != x ? x : y;
    return y;
}

/* log(1+f) = 2 atanh(s), s = f/(2+f), |s| <= 0.1716: 12 odd terms. */
static inline LE_MATH_AI double le_log1p_core_d(double f) {
    double s = f / (2.0 + f);
    double z = s * s;
    double p = 2.0 / 23.0;
    p = p * z + 2.0 / 21.0;
    p = p * z + 2.0 / 19.0;
    p = p * z + 2.0 / 17.0;
    p = p * z + 2.0 / 15.0;
    p = p * z + 2.0 / 13.0;
    p = p * z + 2.0 / 11.0;
    p = p * z + 2.0 / 9.0;
    p = p * z + 2.0 / 7.0;
    p = p * z + 2.0 / 5.0;
    p = p * z + 2.0 / 3.0;
    /* f - s*f is 2s computed without the rounding of 2s itself */
    return f - s * (f - z * p);
}

static inline LE_MATH_AI double le_log(double x) {
    le_split_d_t sp = le_split_d(x);
    double ed = sp.e;
    double y = le_log1p_core_d(sp.m - 1.0);
    y = y + ed * 1.90821492927058770002e-10;
    y = y + ed * 6.93147180369123816490e-01;
    y = x == 0.0 ? -(double)INFINITY : y;
    y = x < 0.0 ? (double)NAN : y;
    y = x == (double)INFINITY ? x : y;
    y = x != x ? x : y;
    return y;
}

/* log1p(x) = log(u) - ((u-1)-x)/u with u = 1+x (corrects u's rounding). */
static inline LE_MATH_AI float le_log1pf(float x) {
    float u = 1.0f + x;
    float y = le_logf(u) - ((u - 1.0f) - x) / u;
    y = u == 1.0f ? x : y;
    y = u == 0.0f ? -(float)INFINITY : y;
    y = x == (float)INFINITY ? x : y;
    return y;
}

static inline LE_MATH_AI double le_log1p(double x) {
    double u = 1.0 + x;
    double y = le_log(u) - ((u - 1.0) - x) / u;
    y = u == 1.0 ? x : y;
    y = u == 0.0 ? -(double)INFINITY : y;
    y = x == (double)INFINITY ? x : y;
    return y;
}

#endif
