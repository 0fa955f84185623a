/* Elementwise regression / distribution losses with fused gradients.
 *
 * Every array holds n elements in the same order (the Python layer broadcast
 * them when the shapes differ).  The elements are cut into fixed blocks of
 * LE_BLOCK; a block's losses are summed in double and the block partials added
 * in block order, so reduced results do not depend on the thread count.  The
 * gradient of 'mean' is scaled by go_scalar / denom in the same pass.
 * Piecewise losses are written as selects so the loops vectorise; the
 * subgradients at the kinks are torch's (l1: 0 at x == y, also for NaN).
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
/* the streamed scratch is filled exactly when it is streamed out (both under
 * the same flag); gcc cannot see that across the loops */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "le_common.h"
#include "le_math.h"
#include "pointwise.h"
#include "le_stream.h"
#include <stdlib.h>

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#define LE_LOGT le_logf
#include "pointwise.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_LOGT

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#define LE_LOGT le_log
#include "pointwise.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_LOGT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* One call's pointers and constants, seen by every block. */
typedef struct {
    const T *x, *y, *w, *v, *go;
    T *lo, *g, *gv;
    T sc;           /* gradient scale: go_scalar (/ denom for 'mean') */
    unsigned char *neg;  /* GaussianNLL: per block, 1 when var has a negative entry */
    int stream_lo, stream_g;   /* write lo / g through le_stream */
    T p1, p2, c;    /* op parameters */
} TFN(pwk);

/* Sum of one block's losses in double.  Every path (loss only, fused, any
 * thread count) reduces a block through this one function, so the
 * summation order - and the result - never changes. */
__attribute__((noinline)) static double TFN(block_sum)(const T *lb, int64_t J) {
    /* four interleaved quarter sums: four independent vector accumulator
     * chains instead of one (the single chain's add latency bounded this
     * loop, which runs between a block's memory streams), then the
     * remainder, combined in a fixed order */
    const int64_t Q = J / 4;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s = 0;
#pragma omp simd reduction(+:s0, s1, s2, s3)
    for (int64_t i = 0; i < Q; i++) {
        s0 += (double)lb[i];
        s1 += (double)lb[i + Q];
        s2 += (double)lb[i + 2 * Q];
        s3 += (double)lb[i + 3 * Q];
    }
    for (int64_t i = 4 * Q; i < J; i++) s += (double)lb[i];
    return ((s0 + s1) + (s2 + s3)) + s;
}

#define PW_SIMD _Pragma("omp simd")
#define PW_STREAM LE_CAT(le_stream, LE_TS)
#define PW_SIMD_SUM _Pragma("omp simd reduction(+:s)")

/* Block [i0, i1) of an op whose element body ELEM defines `T l, d` from x[i],
 * y[i] (loss and d loss / d x).  Returns the block's (weighted) loss sum when
 * reducing.  The block runs in sub-chunks of PW_SUB elements, each first
 * prefetching its inputs PW_AHEAD bytes further on: at one thread the
 * hardware prefetcher alone leaves too few misses in flight (16M float32 at
 * one thread: MSE 10.0 -> 9.2 ms, smooth L1 11.5 -> 9.5 ms).  Values do not
 * depend on the sub-chunking (elementwise; the block sum is unchanged). */
#define PW_SUB 256
#define PW_AHEAD 4096
#define PW_PREFETCH(p) do {                                                          \
    const char *pf_ = (const char *)(p) + PW_AHEAD;                                   \
    for (int q_ = 0; q_ < (int)(PW_SUB * sizeof(T)); q_ += 64)                        \
        __builtin_prefetch(pf_ + q_, 0, 1);                                           \
} while (0)

#define PW_DEFINE(NAME, ELEM)                                                              \
static inline LE_AI void TFN(NAME##_run)(const TFN(pwk) *k, const T *x, const T *y,     \
        const T *w, const T *go, T *lw, T *gw, int64_t J) {                                \
    const T sc = k->sc, p1 = k->p1, p2 = k->p2, cst = k->c;                                \
    (void)p1; (void)p2; (void)cst;                                                         \
    if (!gw) {                                                                             \
        if (w) { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; (void)d; lw[i] = l * w[i]; } }\
        else   { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; (void)d; lw[i] = l; } }   \
    } else if (go) {                                                                       \
        if (w) { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; lw[i] = l * w[i]; gw[i] = d * (w[i] * go[i]); } }\
        else   { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; lw[i] = l; gw[i] = d * go[i]; } }\
    } else {                                                                               \
        if (w) { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; lw[i] = l * w[i]; gw[i] = d * (w[i] * sc); } }\
        else   { PW_SIMD for (int64_t i = 0; i < J; i++) { ELEM; lw[i] = l; gw[i] = d * sc; } }\
    }                                                                                      \
}                                                                                          \
static double TFN(NAME)(const TFN(pwk) *k, int64_t i0, int64_t i1) {                       \
    const int64_t J = i1 - i0;                                                             \
    const T *x = k->x + i0, *y = k->y + i0;                                                \
    const T *w = k->w ? k->w + i0 : NULL, *go = k->go ? k->go + i0 : NULL;                 \
    T lb[LE_BLOCK], gs[LE_BLOCK];                                                          \
    T *lw = k->lo && !k->stream_lo ? k->lo + i0 : lb;                                      \
    T *gw = k->g ? (k->stream_g ? gs : k->g + i0) : NULL;                                  \
    for (int64_t c = 0; c < J; c += PW_SUB) {                                              \
        const int64_t C = J - c < PW_SUB ? J - c : PW_SUB;                                 \
        PW_PREFETCH(x + c); PW_PREFETCH(y + c);                                            \
        if (w) PW_PREFETCH(w + c);                                                         \
        if (go) PW_PREFETCH(go + c);                                                       \
        TFN(NAME##_run)(k, x + c, y + c, w ? w + c : NULL, go ? go + c : NULL, lw + c,     \
                        gw ? gw + c : NULL, C);                                            \
    }                                                                                      \
    if (k->lo && k->stream_lo) PW_STREAM(k->lo + i0, lb, J);                               \
    if (gw && k->stream_g) PW_STREAM(k->g + i0, gs, J);                                    \
    return k->lo ? 0.0 : TFN(block_sum)(lb, J);                                            \
}

/* l1: |x - y|, d = sign(x - y) with 0 at x == y and for NaN */
PW_DEFINE(pw_l1,
    const T e = x[i] - y[i];
    const T l = e < 0 ? -e : e;
    const T d = e > 0 ? (T)1 : (e < 0 ? (T)-1 : (T)0))

/* mse: (x - y)^2, d = 2 (x - y) */
PW_DEFINE(pw_mse,
    const T e = x[i] - y[i];
    const T l = e * e;
    const T d = (T)2 * e)

/* Both arms of every select are computed first: with the default
 * -ftrapping-math gcc does not if-convert (so does not vectorise) a ternary
 * whose arms hold floating-point operations. */

/* smooth l1 (p1 = beta, p2 = 1/beta): |e| < beta ? 0.5 e^2 / beta : |e| - 0.5 beta;
 * d = clip(e / beta, -1, 1) (torch: e < -beta ? -1 : e > beta ? 1 : e / beta) */
PW_DEFINE(pw_smooth_l1,
    const T e = x[i] - y[i];
    const T a = e < 0 ? -e : e;
    const T lq = (T)0.5 * e * e * p2;
    const T ll = a - (T)0.5 * p1;
    const T l = a < p1 ? lq : ll;
    const T dq = e * p2;
    const T d = e < -p1 ? (T)-1 : (e > p1 ? (T)1 : dq))

PW_DEFINE(pw_smooth_l1_div,
    const T e = x[i] - y[i];
    const T a = e < 0 ? -e : e;
    const T lq = (T)0.5 * e * e / p1;
    const T ll = a - (T)0.5 * p1;
    const T l = a < p1 ? lq : ll;
    const T dq = e / p1;
    const T d = e < -p1 ? (T)-1 : (e > p1 ? (T)1 : dq))

/* huber (p1 = delta, p2 = 0.5 delta): |e| < delta ? 0.5 e^2 : delta (|e| - 0.5 delta);
 * d = clip(e, -delta, delta) */
PW_DEFINE(pw_huber,
    const T e = x[i] - y[i];
    const T a = e < 0 ? -e : e;
    const T lq = (T)0.5 * e * e;
    const T ll = p1 * (a - p2);
    const T l = a < p1 ? lq : ll;
    const T mp = -p1;
    const T d = e < mp ? mp : (e > p1 ? p1 : e))

/* Stirling term of PoissonNLL, only where y > 1 (torch's mask):
 * y log y - y + 0.5 log(2 pi y) */
#define PW_STIRLING(yy)                                                              \
    const T st_ = ((yy) + (T)0.5) * LE_LOGT(yy) - (yy) + (T)0.91893853320467274178;  \
    const T st = (yy) > (T)1 ? st_ : (T)0;

/* poisson, log input: exp(x) - y x; d = exp(x) - y */
PW_DEFINE(pw_poisson_log,
    const T ex = LE_EXPT(x[i]);
    const T l = ex - y[i] * x[i];
    const T d = ex - y[i])

PW_DEFINE(pw_poisson_log_full,
    const T ex = LE_EXPT(x[i]);
    PW_STIRLING(y[i])
    const T l = (ex - y[i] * x[i]) + st;
    const T d = ex - y[i])

/* poisson, linear input (p1 = eps): x - y log(x + eps); d = 1 - y / (x + eps) */
PW_DEFINE(pw_poisson_lin,
    const T xe = x[i] + p1;
    const T l = x[i] - y[i] * LE_LOGT(xe);
    const T d = (T)1 - y[i] / xe)

PW_DEFINE(pw_poisson_lin_full,
    const T xe = x[i] + p1;
    PW_STIRLING(y[i])
    const T l = (x[i] - y[i] * LE_LOGT(xe)) + st;
    const T d = (T)1 - y[i] / xe)

/* kl: xlogy(y, y) - y x (0 where y == 0, NaN where y < 0); d = -y */
PW_DEFINE(pw_kl,
    const T yv = y[i];
    const T ylog = yv * LE_LOGT(yv);
    const T yl = yv == 0 ? (T)0 : ylog;
    const T l = yl - yv * x[i];
    const T d = -yv)

/* kl, log target: exp(y) (y - x); d = -exp(y) */
PW_DEFINE(pw_kl_log,
    const T ey = LE_EXPT(y[i]);
    const T l = ey * (y[i] - x[i]);
    const T d = -ey)

/* GaussianNLL: v' = max(v, eps) (NaN stays NaN), l = 0.5 (log v' + e^2 / v') + c,
 * dx = e / v', dv = 0.5 (1 / v' - e^2 / v'^2), evaluated at the clamped v' as torch. */
#define PW_GAUSS_ELEM(VV)                                   \
    const T e = x[i] - y[i];                                \
    const T vr = (VV);                                      \
    const T vc = vr < eps ? eps : vr;                       \
    const T iv = (T)1 / vc;                                 \
    const T e2 = e * e * iv;                                \
    const T l = (T)0.5 * (LE_LOGT(vc) + e2) + cst;          \
    const T d = e * iv;                                     \
    const T dv = (T)0.5 * (iv - e2 * iv);

/* The loops of one block for a variance expression VV (v[i] or the scalar vs).
 * Pointers are offset to the block start; reduced losses go through lb. */
#define PW_GAUSS_LOOPS(VV)                                                               \
    if (lo) {                                                                            \
        if (!g) {                                                                        \
            PW_SIMD for (int64_t i = 0; i < J; i++) { PW_GAUSS_ELEM(VV) (void)d; (void)dv; lo[i] = l; } \
        } else if (go) {                                                                 \
            if (gv) { PW_SIMD for (int64_t i = 0; i < J; i++) {                          \
                PW_GAUSS_ELEM(VV) lo[i] = l; g[i] = d * go[i]; gv[i] = dv * go[i]; } }   \
            else { PW_SIMD for (int64_t i = 0; i < J; i++) {                             \
                PW_GAUSS_ELEM(VV) (void)dv; lo[i] = l; g[i] = d * go[i]; } }             \
        } else {                                                                         \
            if (gv) { PW_SIMD for (int64_t i = 0; i < J; i++) {                          \
                PW_GAUSS_ELEM(VV) lo[i] = l; g[i] = d * sc; gv[i] = dv * sc; } }         \
            else { PW_SIMD for (int64_t i = 0; i < J; i++) {                             \
                PW_GAUSS_ELEM(VV) (void)dv; lo[i] = l; g[i] = d * sc; } }                \
        }                                                                                \
    } else {                                                                             \
        if (!g) {                                                                        \
            PW_SIMD for (int64_t i = 0; i < J; i++) { PW_GAUSS_ELEM(VV) (void)d; (void)dv; lb[i] = l; } \
        } else if (gv) {                                                                 \
            PW_SIMD for (int64_t i = 0; i < J; i++) {                                    \
                PW_GAUSS_ELEM(VV) lb[i] = l; g[i] = d * sc; gv[i] = dv * sc; }           \
        } else {                                                                         \
            PW_SIMD for (int64_t i = 0; i < J; i++) {                                    \
                PW_GAUSS_ELEM(VV) (void)dv; lb[i] = l; g[i] = d * sc; }                  \
        }                                                                                \
        s = TFN(block_sum)(lb, J);                                                       \
    }

static double TFN(pw_gauss)(const TFN(pwk) *k, int64_t i0, int64_t i1) {
    const int64_t J = i1 - i0;
    const T *x = k->x + i0, *y = k->y + i0, *v = k->v ? k->v + i0 : NULL;
    const T *go = k->go ? k->go + i0 : NULL;
    T *lo = k->lo ? k->lo + i0 : NULL, *g = k->g ? k->g + i0 : NULL;
    T *gv = k->gv ? k->gv + i0 : NULL;
    const T sc = k->sc, eps = k->p1, vs = k->p2, cst = k->c;
    T lb[LE_BLOCK];
    double s = 0;
    if (v) {
        /* torch's "var has negative entry/entries" check, on the block while
         * it is in the cache (no separate pass over var) */
        int nneg = 0;
#pragma omp simd reduction(+:nneg)
        for (int64_t i = 0; i < J; i++) nneg += v[i] < 0;
        k->neg[i0 / LE_BLOCK] = nneg > 0;
        PW_GAUSS_LOOPS(v[i])
    } else {
        PW_GAUSS_LOOPS(vs)
    }
    return s;
}

typedef double (*TFN(pw_block_fn))(const TFN(pwk) *k, int64_t i0, int64_t i1);

int TFN(le_pw)(le_pw_args *a) {
    const int64_t n = a->n;
    const int red = a->reduction;
    TFN(pwk) k;
    k.x = (const T *)a->x; k.y = (const T *)a->y; k.w = (const T *)a->w;
    k.v = (const T *)a->v; k.go = (const T *)a->go;
    k.lo = red == LE_RED_NONE ? (T *)a->loss : NULL;
    k.g = (T *)a->grad; k.gv = (T *)a->gvar;
    k.sc = (T)(red == LE_RED_MEAN ? a->go_scalar / a->denom : a->go_scalar);
    k.p1 = (T)a->p1; k.p2 = (T)a->p2; k.c = 0;
    TFN(pw_block_fn) fn;
    switch (a->op) {
    case LE_PW_L1: fn = TFN(pw_l1); break;
    case LE_PW_MSE: fn = TFN(pw_mse); break;
    case LE_PW_SMOOTH_L1: {
        /* multiply by 1/beta, or divide when 1/beta overflows T (subnormal beta) */
        const double inv = 1.0 / a->p1;
        const double tmax = sizeof(T) == 4 ? 3.4028234663852886e38 : 1.7976931348623157e308;
        fn = inv < tmax ? TFN(pw_smooth_l1) : TFN(pw_smooth_l1_div);
        k.p2 = inv < tmax ? (T)inv : (T)0;
        break;
    }
    case LE_PW_HUBER: fn = TFN(pw_huber); k.p2 = (T)(0.5 * a->p1); break;
    case LE_PW_POISSON_LOG: fn = a->full ? TFN(pw_poisson_log_full) : TFN(pw_poisson_log); break;
    case LE_PW_POISSON_LIN: fn = a->full ? TFN(pw_poisson_lin_full) : TFN(pw_poisson_lin); break;
    case LE_PW_KL: fn = TFN(pw_kl); break;
    case LE_PW_KL_LOG: fn = TFN(pw_kl_log); break;
    case LE_PW_GAUSSIAN:
        fn = TFN(pw_gauss);
        k.c = (T)(a->full ? 0.91893853320467274178 : 0.0);   /* 0.5 log(2 pi) */
        break;
    default: return LE_ERR_ARG;
    }
    const int64_t nb = (n + LE_BLOCK - 1) / LE_BLOCK;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nb > 0 ? nb : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    k.neg = NULL;
    {
        const int big = (int64_t)(n * sizeof(T)) >= LE_STREAM_MIN_BYTES;
        /* streaming pays only where memory is the limit: the ops with an exp
         * or a log per element ran 15-50% slower streamed (16M float32) */
        const int light = a->op == LE_PW_L1 || a->op == LE_PW_MSE
                          || a->op == LE_PW_SMOOTH_L1 || a->op == LE_PW_HUBER;
        k.stream_lo = light && big && k.lo && (a->stream & LE_STREAM_LOSS);
        k.stream_g = light && big && k.g && (a->stream & LE_STREAM_GRAD);
    }
    if (a->op == LE_PW_GAUSSIAN && k.v) {
        k.neg = (unsigned char *)calloc((size_t)(nb > 0 ? nb : 1), 1);
        if (!k.neg) { free(partials); return LE_ERR_NOMEM; }
    }
    const int nt = le_threads_for(n, a->n_threads);
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static) nowait
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t i1 = n - i0 < LE_BLOCK ? n : i0 + LE_BLOCK;
            const double s = fn(&k, i0, i1);
            if (partials) partials[b] = s;
        }
        if (k.stream_lo || k.stream_g) le_stream_fence();
    }
    if (partials) {
        const double total = le_sum_partials(partials, nb);
        a->loss_value = red == LE_RED_MEAN ? total / a->denom : total;
        free(partials);
    }
    int st = LE_OK;
    if (k.neg) {
        for (int64_t b = 0; b < nb; b++) if (k.neg[b]) { st = LE_ERR_VALUE_RANGE; break; }
        free(k.neg);
    }
    return st;
}

#undef T
#undef TFN
#endif
