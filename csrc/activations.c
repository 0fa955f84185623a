/* Elementwise activations and their vector-Jacobian products in one pass.
 *
 * Branch-free element bodies (selects) in loops the compiler vectorises; the
 * transcendental ones use le_math.h / le_math_ext.h.  Derivatives at kinks
 * and for NaN inputs are those of torch 2.13's vectorised CPU kernels (its
 * scalar tail loop differs for NaN in a few places): relu'(0) = 0 (NaN: 1),
 * hardtanh' = 0 at both bounds (NaN: 0), threshold passes x only where
 * x > threshold (NaN: 1), elu'(0) = alpha (NaN: NaN), leaky_relu'(0) =
 * negative_slope, softshrink' = 0 on [-lambd, lambd] (NaN: 0).
 * sigmoid / tanh derivatives are formed from exp(-|x|) (not from y), so they
 * keep full relative accuracy in the tails.
 */
#ifndef LE_T
/* The element bodies are selects whose arms hold floating-point operations
 * (inside le_math.h too); with gcc's default -ftrapping-math the if-conversion
 * that vectorisation needs refuses to evaluate both arms, and no loop here
 * vectorises.  Trapping is never enabled (FP exceptions are not used), and
 * -fno-trapping-math keeps IEEE NaN/inf/signed-zero results, so these files
 * opt out of it.  fp-contract=off: an element's value must not depend on
 * whether the gradient is also computed (a shared subexpression changes
 * what gcc would fuse into an FMA), so loss-only and fused calls agree
 * bitwise. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#endif
#include "le_common.h"
#include "le_math.h"
#include "le_math_ext.h"
#include "activations.h"
#include "le_stream.h"
#include <stdlib.h>

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#define LE_EXPM1T le_expm1f
#define LE_LOG1PT le_log1pf
#define LE_TANHT le_tanhf
#define LE_SECH2T le_sech2f
#define LE_EXPNPT le_expf_np
#define LE_NEGABST le_negabsf
#define LE_ABST le_absf
#define LE_SIGNT le_signf
#define LE_IS_F32 1
#include "activations.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_EXPM1T
#undef LE_LOG1PT
#undef LE_TANHT
#undef LE_SECH2T
#undef LE_EXPNPT
#undef LE_NEGABST
#undef LE_ABST
#undef LE_SIGNT
#undef LE_IS_F32

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#define LE_EXPM1T le_expm1
#define LE_LOG1PT le_log1p
#define LE_TANHT le_tanh
#define LE_SECH2T le_sech2
#define LE_EXPNPT le_exp_neg
#define LE_NEGABST le_negabs
#define LE_ABST le_abs
#define LE_SIGNT le_sign
#define LE_IS_F32 0
#include "activations.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_EXPM1T
#undef LE_LOG1PT
#undef LE_TANHT
#undef LE_SECH2T
#undef LE_EXPNPT
#undef LE_NEGABST
#undef LE_ABST
#undef LE_SIGNT
#undef LE_IS_F32

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

#define ACT_SIMD _Pragma("omp simd")
#define ACT_STREAM LE_CAT(le_stream, LE_TS)

/* ELEM defines `T r, d` (value and derivative) from xi = x[i]. */
#define ACT_DEFINE(NAME, ELEM)                                                           \
static void TFN(NAME)(const T *x, const T *go, T gos, T p1, T p2, T *y, T *g,           \
                      int64_t i0, int64_t i1) {                                          \
    (void)p1; (void)p2;                                                                  \
    if (!g) {                                                                            \
        ACT_SIMD for (int64_t i = i0; i < i1; i++) { const T xi = x[i]; ELEM; (void)d; y[i] = r; } \
    } else if (go) {                                                                     \
        ACT_SIMD for (int64_t i = i0; i < i1; i++) { const T xi = x[i]; ELEM; y[i] = r; g[i] = d * go[i]; } \
    } else {                                                                             \
        ACT_SIMD for (int64_t i = i0; i < i1; i++) { const T xi = x[i]; ELEM; y[i] = r; g[i] = d * gos; } \
    }                                                                                    \
}

/* sigmoid = 1/(1+e) or e/(1+e) with e = exp(-|x|); d = e/(1+e)^2.
 * exp of a non-positive argument (LE_EXPNPT): no overflow path. */
ACT_DEFINE(act_sigmoid,
    const T e = LE_EXPNPT(LE_NEGABST(xi));
    const T q = (T)1 / ((T)1 + e);
    const T eq = e * q;
    const T r = xi >= 0 ? q : eq;
    const T d = eq * q)

/* log1p(e) for e = exp(-|z|) in [0, 1], q = 1/(1 + e) */
#if LE_IS_F32
#define ACT_LOG1P_UNIT(e, q) le_log1pf_unit(e, q)
#else
#define ACT_LOG1P_UNIT(e, q) LE_LOG1PT(e)
#endif

/* log_sigmoid = min(x, 0) - log1p(exp(-|x|)); d = sigmoid(-x) */
ACT_DEFINE(act_log_sigmoid,
    const T e = LE_EXPNPT(LE_NEGABST(xi));
    const T q = (T)1 / ((T)1 + e);
    const T r = (xi < 0 ? xi : (T)0) - ACT_LOG1P_UNIT(e, q);
    const T d = xi >= 0 ? e * q : q)

/* softplus: z = beta x; z > threshold ? x : (max(z,0) + log1p(exp(-|z|))) / beta;
 * d = z > threshold ? 1 : sigmoid(z) */
ACT_DEFINE(act_softplus,
    const T z = p1 * xi;
    const T e = LE_EXPNPT(LE_NEGABST(z));
    const T q = (T)1 / ((T)1 + e);
    const T r = z > p2 ? xi : ((z > 0 ? z : (T)0) + ACT_LOG1P_UNIT(e, q)) / p1;
    const T d = z > p2 ? (T)1 : (z >= 0 ? q : e * q))

/* softplus with beta == 1 (the default): the same values without the
 * multiplication and division by beta, both exact for beta == 1. */
ACT_DEFINE(act_softplus1,
    const T e = LE_EXPNPT(LE_NEGABST(xi));
    const T q = (T)1 / ((T)1 + e);
    const T r = xi > p2 ? xi : (xi > 0 ? xi : (T)0) + ACT_LOG1P_UNIT(e, q);
    const T d = xi > p2 ? (T)1 : (xi >= 0 ? q : e * q))

/* relu: NaN propagates; d = x > 0 (NaN: 1, as torch's x <= 0 test) */
ACT_DEFINE(act_relu,
    const T r = xi < 0 ? (T)0 : xi;
    const T d = xi <= 0 ? (T)0 : (T)1)

ACT_DEFINE(act_leaky_relu,
    const T r = xi > 0 ? xi : xi * p1;
    const T d = xi > 0 ? (T)1 : p1)

/* elu: x <= 0 ? alpha expm1(x) : x; d = x > 0 ? 1 : alpha exp(x) (NaN: NaN) */
#if LE_IS_F32
/* float: one exp of min(x, 0) (NaN kept) shared by value and derivative */
ACT_DEFINE(act_elu,
    const T xn = xi > 0 ? (T)0 : xi;
    const T ex = LE_EXPNPT(xn);
    const T r = xi <= 0 ? p1 * le_expm1f_np(xn, ex) : xi;
    const T d = xi > 0 ? (T)1 : p1 * ex)
#else
ACT_DEFINE(act_elu,
    const T r = xi <= 0 ? p1 * LE_EXPM1T(xi) : xi;
    const T d = xi > 0 ? (T)1 : p1 * LE_EXPT(xi))
#endif

/* threshold: x <= th ? value : x (NaN passes) */
ACT_DEFINE(act_threshold,
    const T r = xi <= p1 ? p2 : xi;
    const T d = xi <= p1 ? (T)0 : (T)1)

/* hardtanh: clamp with NaN passing; d = 1 strictly inside the bounds only
 * (0 at the bounds and for NaN, as torch's vectorised kernel) */
ACT_DEFINE(act_hardtanh,
    const T r = xi < p1 ? p1 : (xi > p2 ? p2 : xi);
    const T d = (xi > p1) & (xi < p2) ? (T)1 : (T)0)

#if LE_IS_F32
/* tanh(|x|) = (1 - e) q, sech^2 = 4 e q^2 with e = exp(-2|x|), q = 1/(1 + e)
 * (le_tanhf / le_sech2f with one exp and one division shared, exp on the
 * non-positive argument); the series below |x| = 1/8. */
ACT_DEFINE(act_tanh,
    const T a = LE_ABST(xi);
    const T e = LE_EXPNPT((T)-2 * a);
    const T q = (T)1 / ((T)1 + e);
    const T big = ((T)1 - e) * q;
    const T t = a < (T)0.125 ? le_tanhf_small(a) : big;
    const T r = LE_SIGNT(t, xi);
    const T d = ((T)4 * e) * (q * q))
#else
ACT_DEFINE(act_tanh,
    const T r = LE_TANHT(xi);
    const T d = LE_SECH2T(xi))
#endif

/* softshrink: |x| <= lambd ? 0 : x -+ lambd (NaN passes); d = |x| > lambd
 * (0 for NaN, as torch's vectorised kernel) */
ACT_DEFINE(act_softshrink,
    const T ax = xi < 0 ? -xi : xi;
    const T r = ax <= p1 ? (T)0 : (xi > 0 ? xi - p1 : xi + p1);
    const T d = ax > p1 ? (T)1 : (T)0)

/* softsign: x / (1 + |x|) (NaN at +-inf, as torch); d = 1 / (1 + |x|)^2 (0 at
 * +-inf, where torch's composite gradient gives NaN) */
ACT_DEFINE(act_softsign,
    const T q = (T)1 / ((T)1 + (xi < 0 ? -xi : xi));
    const T r = xi * q;
    const T d = q * q)

typedef void (*TFN(act_fn))(const T *, const T *, T, T, T, T *, T *, int64_t, int64_t);

int TFN(le_act)(le_act_args *a) {
    TFN(act_fn) fn;
    switch (a->op) {
    case LE_ACT_SIGMOID: fn = TFN(act_sigmoid); break;
    case LE_ACT_LOG_SIGMOID: fn = TFN(act_log_sigmoid); break;
    case LE_ACT_SOFTPLUS: fn = a->p1 == 1.0 ? TFN(act_softplus1) : TFN(act_softplus); break;
    case LE_ACT_RELU: fn = TFN(act_relu); break;
    case LE_ACT_LEAKY_RELU: fn = TFN(act_leaky_relu); break;
    case LE_ACT_ELU: fn = TFN(act_elu); break;
    case LE_ACT_THRESHOLD: fn = TFN(act_threshold); break;
    case LE_ACT_HARDTANH: fn = TFN(act_hardtanh); break;
    case LE_ACT_TANH: fn = TFN(act_tanh); break;
    case LE_ACT_SOFTSHRINK: fn = TFN(act_softshrink); break;
    case LE_ACT_SOFTSIGN: fn = TFN(act_softsign); break;
    default: return LE_ERR_ARG;
    }
    const int64_t n = a->n;
    const T *x = (const T *)a->x, *go = (const T *)a->go;
    T *y = (T *)a->y, *g = (T *)a->grad;
    const T gos = (T)a->go_scalar, p1 = (T)a->p1, p2 = (T)a->p2;
    const int64_t nb = (n + LE_BLOCK - 1) / LE_BLOCK;
    const int nt = le_threads_for(n, a->n_threads);
    const int big = (int64_t)(n * sizeof(T)) >= LE_STREAM_MIN_BYTES;
    /* streaming pays only where memory is the limit: the activations with an
     * exp or a log per element (sigmoid, tanh, elu, softplus, log_sigmoid) ran
     * up to 80% slower streamed at one thread (16M float32), the piecewise
     * ones and softsign 30-45% faster */
    const int light = a->op == LE_ACT_RELU || a->op == LE_ACT_LEAKY_RELU
                      || a->op == LE_ACT_THRESHOLD || a->op == LE_ACT_HARDTANH
                      || a->op == LE_ACT_SOFTSHRINK || a->op == LE_ACT_SOFTSIGN;
    const int sy = light && big && (a->stream & LE_STREAM_LOSS);
    const int sg = light && big && g && (a->stream & LE_STREAM_GRAD);
    if (!sy && !sg) {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t i1 = n - i0 < LE_BLOCK ? n : i0 + LE_BLOCK;
            fn(x, go, gos, p1, p2, y, g, i0, i1);
        }
        return LE_OK;
    }
    /* streamed outputs: each block is computed into L1-resident scratch */
#pragma omp parallel num_threads(nt)
    {
        T ys[LE_BLOCK], gs[LE_BLOCK];
#pragma omp for schedule(static) nowait
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t J = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
            T *yb = sy ? ys : y + i0;
            T *gb = g ? (sg ? gs : g + i0) : NULL;
            fn(x + i0, go ? go + i0 : NULL, gos, p1, p2, yb, gb, 0, J);
            if (sy) ACT_STREAM(y + i0, ys, J);
            if (sg) ACT_STREAM(g + i0, gs, J);
        }
        le_stream_fence();
    }
    return LE_OK;
}

/* PReLU.  Blocks: each (outer, channel) row of `inner` elements cut into
 * chunks of LE_BLOCK; the weight gradient's chunk partials are summed per
 * channel in (outer, chunk) order, independent of the thread count. */
int TFN(le_prelu)(le_prelu_args *a) {
    const int64_t outer = a->outer, C = a->C, inner = a->inner;
    const T *x = (const T *)a->x, *w = (const T *)a->w, *go = (const T *)a->go;
    T *y = (T *)a->y, *g = (T *)a->grad, *gw = (T *)a->gw;
    const T gos = (T)a->go_scalar;
    const int64_t cpr = inner > 0 ? (inner + LE_BLOCK - 1) / LE_BLOCK : 0;
    const int64_t nb = outer * C * cpr;
    double *partials = NULL;
    if (gw) {
        partials = (double *)malloc((size_t)(nb > 0 ? nb : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const int nt = le_threads_for(outer * C * inner, a->n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        const int64_t row = b / cpr, ch = b % cpr, c = row % C;
        const int64_t j0 = ch * LE_BLOCK;
        const int64_t J = inner - j0 < LE_BLOCK ? inner - j0 : LE_BLOCK;
        const int64_t off = row * inner + j0;
        const T *xr = x + off;
        T *yr = y + off;
        const T wc = w[c];
        double s = 0;
        if (!g) {
            ACT_SIMD for (int64_t j = 0; j < J; j++) yr[j] = xr[j] > 0 ? xr[j] : wc * xr[j];
        } else {
            T *gr = g + off;
            const T *gor = go ? go + off : NULL;
            if (gor) {
#pragma omp simd reduction(+:s)
                for (int64_t j = 0; j < J; j++) {
                    const T xi = xr[j];
                    const int pos = xi > 0;
                    yr[j] = pos ? xi : wc * xi;
                    gr[j] = pos ? gor[j] : wc * gor[j];
                    s += (double)(pos ? (T)0 : xi * gor[j]);
                }
            } else {
#pragma omp simd reduction(+:s)
                for (int64_t j = 0; j < J; j++) {
                    const T xi = xr[j];
                    const int pos = xi > 0;
                    yr[j] = pos ? xi : wc * xi;
                    gr[j] = pos ? gos : wc * gos;
                    s += (double)(pos ? (T)0 : xi * gos);
                }
            }
        }
        if (partials) partials[b] = s;
    }
    if (gw) {
        for (int64_t c = 0; c < C; c++) {
            double s = 0;
            for (int64_t o = 0; o < outer; o++)
                for (int64_t ch = 0; ch < cpr; ch++) s += partials[(o * C + c) * cpr + ch];
            gw[c] = (T)s;
        }
        free(partials);
    }
    return LE_OK;
}

#undef ACT_LOG1P_UNIT
#undef T
#undef TFN
#endif
