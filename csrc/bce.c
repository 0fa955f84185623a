/* Binary family kernels (see bce.h).
 *
 * Elementwise losses run over fixed blocks of LE_BLOCK elements (or rows in
 * row mode), each split into chunks of LE_CHUNK elements.  Broadcast operands
 * (weight, pos_weight, beta) are expanded per chunk into a small buffer on
 * the stack from their (C, inner) pattern, so the loss loop is a plain
 * branch-free SIMD loop over contiguous arrays and no full-size broadcast copy
 * is ever made.  Block partial sums are doubles combined in block order:
 * results do not depend on the thread count.
 *
 * Value checks (BCE input / target in [0, 1]) are folded into the loss loop
 * as an OR-reduction; on failure a serial scan locates the first offender.
 */
#ifndef LE_T
/* GCC 12 does not if-convert the special-value selects of le_logf/le_log1pf
 * (so their loops stay scalar) unless FP-exception flags may be ignored; we
 * never read those flags, and NaN/inf values are unchanged by this option. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "le_common.h"
#include "le_math.h"
#include "bce.h"
#include "select.h"
#include <stdlib.h>

#define LE_CHUNK 1024
/* Hot loops live in functions that inline everything they call (the math
 * helpers included) whatever the unit-size heuristics say, so they vectorise. */
#if defined(__GNUC__)
#define LE_FLAT __attribute__((flatten, noinline))
#else
#define LE_FLAT
#endif
#if defined(__GNUC__)
#define LE_AI __attribute__((always_inline))
#else
#define LE_AI
#endif
#define LE_DIG 65536

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#define LE_LOGT le_logf
#define LE_LOG1PT le_log1pf
#define LE_LOGCORE le_log1p_core_f
#define LE_LN2HI 0.693359375
#define LE_LN2LO -2.12194440e-4
#define LE_KEYT uint32_t
#define LE_KEYF le_key32
#define LE_KEYBITS 32
#define LE_SELECT LE_FN(le_select_u32)
#include "bce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_LOGT
#undef LE_LOG1PT
#undef LE_LOGCORE
#undef LE_LN2HI
#undef LE_LN2LO
#undef LE_KEYT
#undef LE_KEYF
#undef LE_KEYBITS
#undef LE_SELECT

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#define LE_LOGT le_log
#define LE_LOG1PT le_log1p
#define LE_LOGCORE le_log1p_core_d
#define LE_LN2HI 6.93147180369123816490e-01
#define LE_LN2LO 1.90821492927058770002e-10
#define LE_KEYT uint64_t
#define LE_KEYF le_key64
#define LE_KEYBITS 64
#define LE_SELECT LE_FN(le_select_u64)
#include "bce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_LOGT
#undef LE_LOG1PT
#undef LE_LOGCORE
#undef LE_LN2HI
#undef LE_LN2LO
#undef LE_KEYT
#undef LE_KEYF
#undef LE_KEYBITS
#undef LE_SELECT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

typedef struct {
    T alpha, gamma;
    int gmode;          /* 0: gamma 0, 1: gamma 1, 2: gamma 2, 3: other */
    int use_alpha;
} TFN(bin_par);

/* ---- element functions: loss, and d loss / d x into *d ------------------ */

/* log(1 - x) for x in [0, 1] (or NaN) without a division: the core
 * polynomial of le_math.h directly for x <= 0.2928 (where it is valid), else
 * log(1 - x), whose argument then carries a relative rounding error below
 * one ulp of 1/0.7, i.e. a tiny absolute error on a log of magnitude >= 0.34. */
static inline LE_AI T TFN(log1m)(T x) {
    const T a = LE_LOGCORE(-(x < (T)0.2928 ? x : (T)0.2928));
    const T b = LE_LOGT((T)1 - x);
    return x <= (T)0.2928 ? a : b;
}

/* torch's BCE on probabilities: logs clamped at -100, gradient denominator
 * clamped at 1e-12 (torch's backward). */
static inline LE_AI void TFN(e_bce)(T x, T y, T w, T *rl, T *rd) {
    T lx = LE_LOGT(x);
    lx = lx < (T)-100 ? (T)-100 : lx;
    T l1 = TFN(log1m)(x);
    l1 = l1 < (T)-100 ? (T)-100 : l1;
    T den = x * ((T)1 - x);
    den = den < (T)1e-12f ? (T)1e-12f : den;   /* torch: a float 1e-12 */
    *rl = w * ((y - (T)1) * l1 - y * lx);
    *rd = w * ((x - y) / den);
}

/* log(u) for u in [1, 2] (or NaN): le_math.h's core polynomial without the
 * exponent extraction and special-value handling a general log needs. */
static inline LE_AI T TFN(log12)(T u) {
    const int big = u > (T)1.4142135623730951;
    const T m = big ? u * (T)0.5 : u;
    const T k = big ? (T)1 : (T)0;
    return LE_LOGCORE(m - (T)1) + k * (T)LE_LN2LO + k * (T)LE_LN2HI;
}

/* Stable pieces of the logistic function: e = exp(-|x|), sigma(x), sigma(-x),
 * softplus(-x) = -log sigma(x), softplus(x) = -log sigma(-x). */
#define LE_LOGISTIC(x, e, p, q, spn, spp) \
    T e = LE_EXPT(-(x < 0 ? -x : x)); \
    T u_ = (T)1 + e; \
    T r_ = (T)1 / u_; \
    /* log1p(e) = log(u) - ((u-1)-e)/u, the division shared with sigma */ \
    T lp_ = TFN(log12)(u_) - ((u_ - (T)1) - e) * r_; \
    T p = x >= 0 ? r_ : e * r_; \
    T q = x >= 0 ? e * r_ : r_; \
    T spn = (x < 0 ? -x : (T)0) + lp_; \
    T spp = (x > 0 ? x : (T)0) + lp_;

/* torch's BCE-with-logits with weight w and pos_weight b. */
static inline LE_AI void TFN(e_bcel)(T x, T y, T w, T b, T *rl, T *rd) {
    LE_LOGISTIC(x, e, p, q, spn, spp)
    (void)q; (void)spp;
    T lw = (T)1 + (b - (T)1) * y;
    T by = b * y;
    *rl = w * (((T)1 - y) * x + lw * spn);
    *rd = w * ((by + (T)1 - y) * p - by);
}

static inline LE_AI void TFN(e_softmargin)(T x, T y, T *rl, T *rd) {
    T z = -y * x;
    LE_LOGISTIC(z, e, p, q, spn, spp)
    (void)q; (void)spn;
    *rl = spp;
    *rd = -y * p;
}

/* gm (0, 1, 2: that integer gamma; 3: any other) is a literal at every call
 * site, so each specialisation is branch-free; at = a0 + (a1 - a0) y is
 * alpha y + (1 - alpha)(1 - y), or exactly 1 without alpha (a0 = a1 = 1). */
static inline LE_AI void TFN(e_focal)(T x, T y, T a0, T a1, T gamma, int gm, T *rl, T *rd) {
    LE_LOGISTIC(x, e, p, q, spn, spp)
    (void)spp;
    T ce = ((T)1 - y) * x + spn;
    T m = y * q + ((T)1 - y) * p;          /* 1 - p_t */
    T mg, mg1;
    if (gm == 2) { mg = m * m; mg1 = m; }
    else if (gm == 1) { mg = m; mg1 = (T)1; }
    else if (gm == 0) { mg = (T)1; mg1 = (T)0; }
    else { T lm = LE_LOGT(m); mg = LE_EXPT(gamma * lm); mg1 = LE_EXPT((gamma - (T)1) * lm); }
    T at = a0 + (a1 - a0) * y;
    T t2 = gm == 0 ? (T)0 : ce * gamma * mg1 * ((T)1 - (T)2 * y) * (p * q);
    *rl = at * (ce * mg);
    *rd = at * ((p - y) * mg + t2);
}

static inline LE_AI void TFN(e_bal_prob)(T x, T y, T b, T *rl, T *rd) {
    T lx = LE_LOGT(x);
    lx = lx < (T)-100 ? (T)-100 : lx;
    T l1 = TFN(log1m)(x);
    l1 = l1 < (T)-100 ? (T)-100 : l1;
    T den = x * ((T)1 - x);
    den = den < (T)1e-12f ? (T)1e-12f : den;   /* torch: a float 1e-12 */
    T by = b * y, nb = ((T)1 - b) * ((T)1 - y);
    *rl = -(by * lx + nb * l1);
    *rd = (nb * x - by * ((T)1 - x)) / den;
}

static inline LE_AI void TFN(e_bal_logit)(T x, T y, T b, T *rl, T *rd) {
    LE_LOGISTIC(x, e, p, q, spn, spp)
    T by = b * y, nb = ((T)1 - b) * ((T)1 - y);
    *rl = by * spn + nb * spp;
    *rd = nb * p - by * q;
}

static inline LE_AI int TFN(bad01)(T v) { return (v != v) ? 0 : !(v >= (T)0 && v <= (T)1); }

/* Expand a broadcast operand for elements [i0, i0 + n) into buf. */
static void TFN(fill)(const le_bcast *o, int64_t i0, int64_t n, T *buf) {
    const T *p = (const T *)o->p;
    const int64_t C = o->C, inner = o->inner;
    int64_t q = i0 / inner, r = i0 - q * inner, c = q % C, j = 0;
    while (j < n) {
        if (inner == 1) {
            int64_t m = C - c < n - j ? C - c : n - j;
            memcpy(buf + j, p + c, (size_t)m * sizeof(T));
            j += m; c += m;
        } else {
            int64_t m = inner - r < n - j ? inner - r : n - j;
            const T v = p[c];
            for (int64_t t = 0; t < m; t++) buf[j + t] = v;
            j += m; r = 0; c++;
        }
        if (c == C) c = 0;
    }
}

/* Sum in double with a fixed lane structure (the same for every caller). */
static double TFN(sum_chunk)(const T *v, int64_t n) {
    double s = 0;
#pragma omp simd reduction(+:s)
    for (int64_t j = 0; j < n; j++) s += (double)v[j];
    return s;
}

static inline int TFN(is_pattern)(const le_bcast *o) { return o->p && !(o->C == 1); }

/* One chunk: returns the sum of losses; writes per-element losses (lo),
 * gradient (g) with upstream go[j] or gsc; ORs value-check failures into *bad. */
static LE_FLAT double TFN(bin_chunk)(const le_bin_args *a, const TFN(bin_par) *k, const T *x, const T *y,
                             const T *wb, const T *bb, int64_t n, T *lo, T *g, const T *go,
                             T gsc, int *bad) {
    int64_t bd = 0;
    const int mode = a->mode;
    const T fg = k->gamma;
    const T fa0 = k->use_alpha ? (T)1 - k->alpha : (T)1, fa1 = k->use_alpha ? k->alpha : (T)1;
    const int fgm = k->gmode;
    /* one specialised loop per output combination, so each is branch-free;
     * losses always go through lw and are summed by one shared loop, so the
     * sum is bitwise the same whichever variant ran */
    T lbuf[LE_CHUNK];
    T *lw = lo ? lo : lbuf;
#define LE_LOOP1(EXPR, CHECK, STORE)                                                    \
    _Pragma("omp simd reduction(|:bd)")                                                 \
    for (int64_t j = 0; j < n; j++) {                                                   \
        T rl, rd; EXPR; lw[j] = rl; CHECK; STORE;                                       \
    }
#define LE_LOOP(EXPR, CHECK)                                                            \
    if (!g) { LE_LOOP1(EXPR, CHECK, (void)rd) }                                         \
    else if (go) { LE_LOOP1(EXPR, CHECK, g[j] = rd * go[j]) }                           \
    else { LE_LOOP1(EXPR, CHECK, g[j] = rd * gsc) }
#define LE_CHK01 bd |= TFN(bad01)(x[j]) | (TFN(bad01)(y[j]) << 1)
    switch (mode) {
    case LE_BIN_BCE:
        LE_LOOP(TFN(e_bce)(x[j], y[j], wb[j], &rl, &rd), LE_CHK01)
        break;
    case LE_BIN_BCEL:
        LE_LOOP(TFN(e_bcel)(x[j], y[j], wb[j], bb[j], &rl, &rd), (void)0)
        break;
    case LE_BIN_SOFTMARGIN:
        LE_LOOP(TFN(e_softmargin)(x[j], y[j], &rl, &rd), (void)0)
        break;
    case LE_BIN_FOCAL:
        switch (fgm) {
        case 0: LE_LOOP(TFN(e_focal)(x[j], y[j], fa0, fa1, fg, 0, &rl, &rd), (void)0) break;
        case 1: LE_LOOP(TFN(e_focal)(x[j], y[j], fa0, fa1, fg, 1, &rl, &rd), (void)0) break;
        case 2: LE_LOOP(TFN(e_focal)(x[j], y[j], fa0, fa1, fg, 2, &rl, &rd), (void)0) break;
        default: LE_LOOP(TFN(e_focal)(x[j], y[j], fa0, fa1, fg, 3, &rl, &rd), (void)0)
        }
        break;
    default:
        if (a->from_logits) {
            LE_LOOP(TFN(e_bal_logit)(x[j], y[j], bb[j], &rl, &rd), (void)0)
        } else {
            LE_LOOP(TFN(e_bal_prob)(x[j], y[j], bb[j], &rl, &rd), LE_CHK01)
        }
    }
#undef LE_LOOP
#undef LE_LOOP1
    *bad |= (int)bd;
    return TFN(sum_chunk)(lw, n);
}

int TFN(le_bin)(le_bin_args *a) {
    const int64_t n = a->n;
    const T *x = (const T *)a->x, *y = (const T *)a->y, *go = (const T *)a->go;
    T *lossv = (T *)a->loss, *g = (T *)a->grad;
    const int red = a->reduction;
    const int64_t row = a->row;
    TFN(bin_par) k;
    k.alpha = (T)a->alpha; k.gamma = (T)a->gamma; k.use_alpha = a->alpha >= 0;
    k.gmode = a->gamma == 0 ? 0 : a->gamma == 1 ? 1 : a->gamma == 2 ? 2 : 3;
    const int64_t bsz = row > 0 ? row : LE_BLOCK;
    const int64_t nblocks = n > 0 ? (n + bsz - 1) / bsz : 0;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const double norm = a->norm;
    const int wpat = TFN(is_pattern)(&a->w), bpat = TFN(is_pattern)(&a->b);
    const T wconst = a->w.p ? ((const T *)a->w.p)[0] : (T)a->w.value;
    const T bconst = a->b.p ? ((const T *)a->b.p)[0] : (T)a->b.value;
    int bad = 0;
    const int nt = le_threads_for(n, a->n_threads);

#pragma omp parallel for schedule(static) num_threads(nt) reduction(|:bad)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        T wb[LE_CHUNK], bb[LE_CHUNK];
        if (!wpat) for (int j = 0; j < LE_CHUNK; j++) wb[j] = wconst;
        if (!bpat) for (int j = 0; j < LE_CHUNK; j++) bb[j] = bconst;
        const int64_t i0 = blk * bsz;
        const int64_t len = n - i0 < bsz ? n - i0 : bsz;
        /* upstream gradient: per element ('none' elementwise), per row, or scalar */
        T gsc = (T)(a->go_scalar * norm);
        const T *goe = NULL;
        if (go) {
            if (row > 0) gsc = (T)((double)go[blk] * norm);
            else goe = go + i0;
        }
        double s = 0;
        int bd = 0;
        for (int64_t c0 = 0; c0 < len; c0 += LE_CHUNK) {
            const int64_t m = len - c0 < LE_CHUNK ? len - c0 : LE_CHUNK;
            const int64_t i = i0 + c0;
            if (wpat) TFN(fill)(&a->w, i, m, wb);
            if (bpat) TFN(fill)(&a->b, i, m, bb);
            T *lo = (red == LE_RED_NONE && row <= 0) ? lossv + i : NULL;
            s += TFN(bin_chunk)(a, &k, x + i, y + i, wb, bb, m, lo, g ? g + i : NULL,
                                goe ? goe + c0 : NULL, gsc, &bd);
        }
        bad |= bd;
        if (red != LE_RED_NONE) partials[blk] = s;
        else if (row > 0) lossv[blk] = (T)(s * norm);
    }
    if (bad) {
        free(partials);
        for (int64_t i = 0; i < n; i++) {
            int b = TFN(bad01)(x[i]) | (TFN(bad01)(y[i]) << 1);
            if (b) { a->bad_index = i; a->bad_what = (b & 1) ? 1 : 2; break; }
        }
        return LE_ERR_VALUE_RANGE;
    }
    if (red != LE_RED_NONE) {
        a->loss_value = le_sum_partials(partials, nblocks) * norm;
        free(partials);
    }
    return LE_OK;
}

/* ---------------------------------------------------------------- dice */
static inline LE_AI T TFN(sigm)(T x) {
    T e = LE_EXPT(-(x < 0 ? -x : x));
    T r = (T)1 / ((T)1 + e);
    return x >= 0 ? r : e * r;
}

/* Per-block dice sums: sum p y, sum p^2 (or p), sum y^2 (or y). */
static LE_FLAT void TFN(dice_sums)(const T *xs, const T *ys, int64_t m, int sq, int fl,
                                   double *I_, double *P_, double *Y_) {
    double I = 0, P = 0, Y = 0;
#define LE_DS(PEXPR)                                                                    \
    _Pragma("omp simd reduction(+:I,P,Y)")                                              \
    for (int64_t j = 0; j < m; j++) {                                                   \
        const T p = PEXPR, yy = ys[j];                                                  \
        I += (double)(p * yy);                                                          \
        P += (double)(sq ? p * p : p);                                                  \
        Y += (double)(sq ? yy * yy : yy);                                               \
    }
    if (fl) { LE_DS(TFN(sigm)(xs[j])) } else { LE_DS(xs[j]) }
#undef LE_DS
    *I_ = I; *P_ = P; *Y_ = Y;
}

/* Per-block dice gradient: d l / d p_j = cy y_j + cp dP_j (times sigma' for logits). */
static LE_FLAT void TFN(dice_grad)(const T *xs, const T *ys, T *gs, int64_t m, int sq, int fl,
                                   T cy, T cp) {
    if (fl) {
#pragma omp simd
        for (int64_t j = 0; j < m; j++) {
            const T p = TFN(sigm)(xs[j]);
            const T d = cy * ys[j] + cp * (sq ? (T)2 * p : (T)1);
            gs[j] = d * (p * ((T)1 - p));
        }
    } else {
#pragma omp simd
        for (int64_t j = 0; j < m; j++) {
            const T p = xs[j];
            gs[j] = cy * ys[j] + cp * (sq ? (T)2 * p : (T)1);
        }
    }
}

int TFN(le_dice)(le_dice_args *a) {
    const int64_t N = a->N, L = a->L;
    const T *x = (const T *)a->x, *y = (const T *)a->y, *go = (const T *)a->go;
    T *lossv = (T *)a->loss, *g = (T *)a->grad;
    const int64_t bps = L > 0 ? (L + LE_BLOCK - 1) / LE_BLOCK : 0;
    const int64_t nb = N * bps;
    double *part = (double *)malloc((size_t)(nb > 0 ? 3 * nb : 1) * sizeof(double));
    double *smp = (double *)malloc((size_t)(N > 0 ? 2 * N : 1) * sizeof(double));
    if (!part || !smp) { free(part); free(smp); return LE_ERR_NOMEM; }
    const int sq = a->squared, fl = a->from_logits;
    const int nt = le_threads_for(N * L, a->n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        const int64_t s = b / bps, j0 = (b % bps) * LE_BLOCK;
        const int64_t m = L - j0 < LE_BLOCK ? L - j0 : LE_BLOCK;
        const T *xs = x + s * L + j0, *ys = y + s * L + j0;
        double I, P, Y;
        TFN(dice_sums)(xs, ys, m, sq, fl, &I, &P, &Y);
        part[3 * b] = I; part[3 * b + 1] = P; part[3 * b + 2] = Y;
    }
    double total = 0;
    for (int64_t s = 0; s < N; s++) {
        double I = 0, P = 0, Y = 0;
        for (int64_t b = s * bps; b < (s + 1) * bps; b++) {
            I += part[3 * b]; P += part[3 * b + 1]; Y += part[3 * b + 2];
        }
        const double den = P + Y + a->eps;
        const double l = 1.0 - 2.0 * I / den;
        lossv[s] = (T)l;
        total += l;
        smp[2 * s] = I; smp[2 * s + 1] = den;
    }
    a->loss_value = total;
    if (g) {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t b = 0; b < nb; b++) {
            const int64_t s = b / bps, j0 = (b % bps) * LE_BLOCK;
            const int64_t m = L - j0 < LE_BLOCK ? L - j0 : LE_BLOCK;
            const T *xs = x + s * L + j0, *ys = y + s * L + j0;
            T *gs = g + s * L + j0;
            const double I = smp[2 * s], den = smp[2 * s + 1];
            const double gsc = (go ? (double)go[s] : a->go_scalar) * a->norm;
            /* d l / d p_j = -2 (y_j den - I dP_j) / den^2 */
            const T cy = (T)(-2.0 * gsc / den);
            const T cp = (T)(2.0 * gsc * I / (den * den));
            TFN(dice_grad)(xs, ys, gs, m, sq, fl, cy, cp);
        }
    }
    free(part); free(smp);
    return LE_OK;
}

/* ---------------------------------------------------------------- OHEM */
/* Per-element BCE (torch clamps) or BCE-with-logits, and its derivative. */
#define LE_OHEM_PROB(j) TFN(e_bce)(xb[j], yb[j], (T)1, &rl, &rd)
#define LE_OHEM_LOGIT(j) TFN(e_bcel)(xb[j], yb[j], (T)1, (T)1, &rl, &rd)
#define LE_CHK01J(j) bd |= TFN(bad01)(xb[j]) | (TFN(bad01)(yb[j]) << 1)

/* Top-16-bit histogram of keys[0..m) (zeros skipped) into h. */
static inline void TFN(hist_top)(const LE_KEYT *keys, int64_t m, int64_t *h) {
    for (int64_t j = 0; j < m; j++) {
        const LE_KEYT kk = keys[j];
        if (kk) h[kk >> (LE_KEYBITS - 16)]++;
    }
}

/* OHEM pass 1 over one block: keys of the negatives' losses, counts, checks. */
static LE_FLAT double TFN(ohem_p1)(const T *xb, const T *yb, const uint8_t *mb, LE_KEYT *kb,
                                   int64_t m, int fl, int64_t *np_, int64_t *nn_, int64_t *bd_) {
    int64_t np = 0, nn = 0, bd = 0;
    T lbuf[LE_BLOCK];      /* positives' losses, summed by the shared loop */
#define LE_P1(EXPR, CAND, CHECK)                                                        \
    _Pragma("omp simd reduction(+:np,nn) reduction(|:bd)")                              \
    for (int64_t j = 0; j < m; j++) {                                                   \
        T rl, rd; EXPR(j); (void)rd;                                                    \
        const int c = CAND, pos = c & (yb[j] >= (T)0.5), neg = c & !pos;                \
        np += pos; nn += neg;                                                           \
        kb[j] = neg ? LE_KEYF(rl) : 0;                                                  \
        lbuf[j] = pos ? rl : (T)0;                                                      \
        CHECK;                                                                          \
    }
    if (fl) {
        if (mb) { LE_P1(LE_OHEM_LOGIT, mb[j] != 0, (void)0) }
        else { LE_P1(LE_OHEM_LOGIT, 1, (void)0) }
    } else {
        if (mb) { LE_P1(LE_OHEM_PROB, mb[j] != 0, LE_CHK01J(j)) }
        else { LE_P1(LE_OHEM_PROB, 1, LE_CHK01J(j)) }
    }
#undef LE_P1
    *np_ = np; *nn_ = nn; *bd_ = bd;
    return TFN(sum_chunk)(lbuf, m);
}

/* Inverse of LE_KEYF for candidate keys. */
static inline LE_AI T TFN(key_value)(LE_KEYT k) {
    const LE_KEYT top = (LE_KEYT)1 << (LE_KEYBITS - 1);
    LE_KEYT b = (k & top) ? (k ^ top) : ~k;
    T v;
    memcpy(&v, &b, sizeof(T));
    return v;
}

/* OHEM pass 2 over one block: selection, selected losses, gradient.
 * Reduced losses: the negatives' losses come back from their keys (exactly
 * the values that were ranked) and the positives' sum from pass 1, so the
 * logs are not evaluated again; 'none' recomputes every loss. */
static LE_FLAT double TFN(ohem_p2)(const T *xb, const T *yb, const uint8_t *mb, const LE_KEYT *kb,
                                   int64_t m, int64_t i0, int fl, LE_KEYT t, int64_t cut, T *gb,
                                   T *lb, const T *gob, T gsc) {
    T lbuf[LE_BLOCK];
    T *lw = lb ? lb : lbuf;
#define LE_P2L(EXPR, CAND, LOSS, STORE)                                                 \
    _Pragma("omp simd")                                                                 \
    for (int64_t j = 0; j < m; j++) {                                                   \
        T rl, rd; EXPR(j);                                                              \
        const int c = CAND;                                                             \
        const int pos = c & (yb[j] >= (T)0.5);                                          \
        const LE_KEYT kk = kb[j];                                                       \
        const int sel = pos | (kk > t) | ((kk == t) & (i0 + j <= cut));                 \
        lw[j] = sel ? (LOSS) : (T)0;                                                    \
        STORE;                                                                          \
    }
#define LE_GD (sel ? rd * gsc : (T)0)
#define LE_GA (sel ? rd * gob[j] : (T)0)
#define LE_KL (pos ? (T)0 : TFN(key_value)(kk))
#define LE_P2(EXPR, CAND)                                                               \
    if (lb) {                                                                           \
        if (!gb) { LE_P2L(EXPR, CAND, rl, (void)rd) }                                   \
        else if (gob) { LE_P2L(EXPR, CAND, rl, gb[j] = LE_GA) }                         \
        else { LE_P2L(EXPR, CAND, rl, gb[j] = LE_GD) }                                  \
    } else {                                                                            \
        if (!gb) { LE_P2L(EXPR, CAND, LE_KL, (void)rd; (void)rl) }                      \
        else { LE_P2L(EXPR, CAND, LE_KL, (gb[j] = LE_GD, (void)rl)) }                   \
    }
    if (fl) {
        if (mb) { LE_P2(LE_OHEM_LOGIT, mb[j] != 0) } else { LE_P2(LE_OHEM_LOGIT, 1) }
    } else {
        if (mb) { LE_P2(LE_OHEM_PROB, mb[j] != 0) } else { LE_P2(LE_OHEM_PROB, 1) }
    }
#undef LE_P2
#undef LE_P2L
#undef LE_GD
#undef LE_GA
#undef LE_KL
    return TFN(sum_chunk)(lw, m);
}

/* LSD radix sort (8-bit digits) of a small key array; tmp has n slots. */
static void TFN(sort_keys)(LE_KEYT *v, LE_KEYT *tmp, int64_t n) {
    for (int sh = 0; sh < LE_KEYBITS; sh += 8) {
        int64_t c[257];
        memset(c, 0, sizeof c);
        for (int64_t i = 0; i < n; i++) c[((v[i] >> sh) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++) c[d + 1] += c[d];
        for (int64_t i = 0; i < n; i++) tmp[c[(v[i] >> sh) & 0xff]++] = v[i];
        LE_KEYT *sw = v; v = tmp; tmp = sw;
    }
    /* an even number of passes leaves the result in the original array */
}

/* Threshold key t and tie cut of the k largest non-zero keys (1 <= k < #nonzero).
 *
 * Expected O(n) with two light passes: a fixed, evenly strided sample of the
 * keys brackets the k-th largest in [lo, hi] (sample quantiles +- 4 standard
 * deviations); one pass counts the keys above hi and inside the band, a second
 * copies the band (key, index) in index order; the exact k-th is then selected
 * inside the band.  When the bracket misses (or the band is large, e.g. many
 * ties) the full radix select runs instead: O(n) either way. */
static int TFN(select_keys)(const LE_KEYT *keys, int64_t n, int64_t nnz, int64_t k,
                            int n_threads, LE_KEYT *t_out, int64_t *cut_out) {
    const int64_t nblocks = (n + LE_BLOCK - 1) / LE_BLOCK;
    const int nt = le_threads_for(n, n_threads);
    int64_t S = 0, ilo_g = 0, ihi_g = 0;
    LE_KEYT lo = 0, hi = 0;
    int ok = nnz >= 262144;
    if (ok) {
        const int64_t want = 65536;
        const int64_t stride = n / (want * 2) > 1 ? n / (want * 2) : 1;
        LE_KEYT *smp = (LE_KEYT *)malloc((size_t)(2 * (n / stride + 1)) * sizeof(LE_KEYT));
        if (!smp) return LE_ERR_NOMEM;
        for (int64_t i = 0; i < n; i += stride)
            if (keys[i]) smp[S++] = keys[i];
        if (S >= 1024) {
            TFN(sort_keys)(smp, smp + (n / stride + 1), S);
            const double q = (double)k / (double)nnz;           /* fraction taken */
            const double pos = (1.0 - q) * (double)S;            /* ascending rank */
            const double mg = 4.0 * sqrt((double)S * q * (1.0 - q)) + 8.0;
            int64_t ilo = (int64_t)floor(pos - mg), ihi = (int64_t)ceil(pos + mg);
            ilo_g = ilo < 0 ? 0 : ilo; ihi_g = ihi > S ? S : ihi;
            lo = ilo <= 0 ? 1 : smp[ilo];
            hi = ihi >= S ? (LE_KEYT)~(LE_KEYT)0 : smp[ihi];
        } else {
            ok = 0;
        }
        free(smp);
    }
    if (!ok || nt > 256) return LE_SELECT(keys, n, k, NULL, n_threads, t_out, cut_out);
    /* one pass: count the keys above hi and copy the band (key, index) into
     * per-thread buffers; static scheduling hands each thread one contiguous
     * run of blocks in thread order, so the concatenation is in index order */
    const double frac = (double)(ihi_g - ilo_g) / (double)S;
    const int64_t cap = (int64_t)(1.5 * frac * (double)nnz / nt) + 65536;
    LE_KEYT *bk = (LE_KEYT *)malloc((size_t)nt * (size_t)cap * sizeof(LE_KEYT));
    int64_t *bi = (int64_t *)malloc((size_t)nt * (size_t)cap * sizeof(int64_t));
    int64_t tcnt[256], tgt[256];
    if (!bk || !bi) { free(bk); free(bi); return LE_ERR_NOMEM; }
    for (int tt = 0; tt < nt; tt++) { tcnt[tt] = 0; tgt[tt] = 0; }
    int overflow = 0;
#pragma omp parallel num_threads(nt) reduction(|:overflow)
    {
        int tid = 0;
#if LE_HAVE_OPENMP
        tid = omp_get_thread_num();
#endif
        LE_KEYT *mk = bk + (int64_t)tid * cap;
        int64_t *mi = bi + (int64_t)tid * cap;
        int64_t o = 0, gsum = 0;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblocks; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
            const LE_KEYT *kb = keys + i0;
            /* groups of 16 without a band key cost one vector test; the others
             * are compacted branch-free through a small local buffer */
            for (int64_t j0 = 0; j0 < m; j0 += 16) {
                const int64_t je = m - j0 < 16 ? m : j0 + 16;
                int64_t any = 0, gg = 0;
#pragma omp simd reduction(|:any) reduction(+:gg)
                for (int64_t j = j0; j < je; j++) {
                    any |= (kb[j] >= lo) & (kb[j] <= hi);
                    gg += kb[j] > hi;
                }
                gsum += gg;
                if (!any) continue;
                LE_KEYT sk[16];
                int64_t si[16], c = 0;
                for (int64_t j = j0; j < je; j++) {
                    const LE_KEYT kk = kb[j];
                    sk[c] = kk; si[c] = i0 + j;
                    c += (kk >= lo) & (kk <= hi);
                }
                if (o + c > cap) { overflow = 1; continue; }
                for (int64_t q = 0; q < c; q++) { mk[o + q] = sk[q]; mi[o + q] = si[q]; }
                o += c;
            }
        }
        tcnt[tid] = o; tgt[tid] = gsum;
    }
    int64_t gt = 0, band = 0;
    for (int tt = 0; tt < nt; tt++) {
        if (band != tt * cap) {   /* close the gap: thread segments in order */
            memmove(bk + band, bk + (int64_t)tt * cap, (size_t)tcnt[tt] * sizeof(LE_KEYT));
            memmove(bi + band, bi + (int64_t)tt * cap, (size_t)tcnt[tt] * sizeof(int64_t));
        }
        band += tcnt[tt]; gt += tgt[tt];
    }
    if (overflow || !(gt < k && k <= gt + band)) {
        free(bk); free(bi);
        return LE_SELECT(keys, n, k, NULL, n_threads, t_out, cut_out);
    }
    LE_KEYT t;
    int64_t cb;
    int st = LE_SELECT(bk, band, k - gt, NULL, 1, &t, &cb);
    if (st == LE_OK) {
        *t_out = t;
        *cut_out = cb == INT64_MAX ? INT64_MAX : bi[cb];
    }
    free(bk); free(bi);
    return st;
}

int TFN(le_ohem)(le_ohem_args *a) {
    const int64_t n = a->n;
    const T *x = (const T *)a->x, *y = (const T *)a->y, *go = (const T *)a->go;
    const uint8_t *mask = a->mask;
    T *lossv = (T *)a->loss, *g = (T *)a->grad;
    LE_KEYT *keys = (LE_KEYT *)a->keys;
    const int red = a->reduction, fl = a->from_logits;
    const int64_t nblocks = n > 0 ? (n + LE_BLOCK - 1) / LE_BLOCK : 0;
    const int nt = le_threads_for(n, a->n_threads);
    int64_t *cnt = (int64_t *)malloc((size_t)(nblocks > 0 ? 2 * nblocks : 1) * sizeof(int64_t));
    double *part = (double *)malloc((size_t)(nblocks > 0 ? 2 * nblocks : 1) * sizeof(double));
    if (!cnt || !part) { free(cnt); free(part); return LE_ERR_NOMEM; }
    int bad = 0;

    /* pass 1: categories, keys of the negatives' losses, counts, positives' sums */
#pragma omp parallel for schedule(static) num_threads(nt) reduction(|:bad)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t i0 = b * LE_BLOCK;
        const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
        int64_t np = 0, nn = 0, bd = 0;
        part[2 * b] = TFN(ohem_p1)(x + i0, y + i0, mask ? mask + i0 : NULL, keys + i0, m, fl,
                                   &np, &nn, &bd);
        cnt[2 * b] = np; cnt[2 * b + 1] = nn;
        bad |= (int)bd;
    }
    if (bad) {
        free(cnt); free(part);
        for (int64_t i = 0; i < n; i++) {
            int b = TFN(bad01)(x[i]) | (TFN(bad01)(y[i]) << 1);
            if (b) { a->bad_index = i; a->bad_what = (b & 1) ? 1 : 2; break; }
        }
        return LE_ERR_VALUE_RANGE;
    }
    int64_t npos = 0, nneg = 0;
    for (int64_t b = 0; b < nblocks; b++) { npos += cnt[2 * b]; nneg += cnt[2 * b + 1]; }
    free(cnt);
    double kf = floor(a->ratio * (double)npos);
    int64_t k = kf > (double)(INT64_MAX / 2) ? INT64_MAX / 2 : (int64_t)kf;
    if (k < a->min_negatives) k = a->min_negatives;
    if (k > nneg) k = nneg;
    a->n_pos = npos; a->n_neg = nneg; a->k = k;

    /* threshold key t and tie cut */
    LE_KEYT t;
    int64_t cut;
    if (k == 0) {
        t = (LE_KEYT)~(LE_KEYT)0; cut = -1;
    } else if (k == nneg) {
        t = 1; cut = INT64_MAX;          /* every negative (their keys are >= 1) */
    } else {
        int st = TFN(select_keys)(keys, n, nneg, k, a->n_threads, &t, &cut);
        if (st != LE_OK) { free(part); return st; }
    }

    const double denom = (double)npos + (double)k + a->eps;
    a->denom = denom;
    const double norm = red == LE_RED_MEAN ? 1.0 / denom : 1.0;
    const T gsc = (T)(a->go_scalar * norm);

    /* pass 2: selected losses, gradient with the selection fixed */
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t i0 = b * LE_BLOCK;
        const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
        part[2 * b + 1] = TFN(ohem_p2)(x + i0, y + i0, mask ? mask + i0 : NULL, keys + i0, m, i0,
                                       fl, t, cut, g ? g + i0 : NULL,
                                       red == LE_RED_NONE ? lossv + i0 : NULL,
                                       go ? go + i0 : NULL, gsc);
    }
    if (red != LE_RED_NONE) {
        double total = 0;
        for (int64_t b = 0; b < nblocks; b++) total += part[2 * b] + part[2 * b + 1];
        a->loss_value = total * norm;
    }
    free(part);
    return LE_OK;
}

/* ---------------------------------------------------------------- top-k */
int TFN(le_topk)(le_topk_args *a) {
    const int64_t n = a->n;
    const T *v = (const T *)a->v;
    const uint8_t *mask = a->mask;
    LE_KEYT *keys = (LE_KEYT *)a->keys;
    const int nt = le_threads_for(n, a->n_threads);
    int64_t *hist = (int64_t *)calloc((size_t)(nt + 1) * LE_DIG, sizeof(int64_t));
    if (!hist) return LE_ERR_NOMEM;
    const int64_t nblocks = n > 0 ? (n + LE_BLOCK - 1) / LE_BLOCK : 0;
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#if LE_HAVE_OPENMP
        tid = omp_get_thread_num();
#endif
        int64_t *lh = hist + (int64_t)(tid + 1) * LE_DIG;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblocks; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
            LE_KEYT *kb = keys + i0;
            const T *vb = v + i0;
            if (mask) {
                const uint8_t *mb = mask + i0;
#pragma omp simd
                for (int64_t j = 0; j < m; j++) kb[j] = mb[j] ? LE_KEYF(vb[j]) : 0;
            } else {
#pragma omp simd
                for (int64_t j = 0; j < m; j++) kb[j] = LE_KEYF(vb[j]);
            }
            TFN(hist_top)(kb, m, lh);
        }
    }
    for (int tt = 1; tt <= nt; tt++) {
        const int64_t *lh = hist + (int64_t)tt * LE_DIG;
        for (int d = 0; d < LE_DIG; d++) hist[d] += lh[d];
    }
    LE_KEYT t;
    int64_t cut;
    int st = LE_SELECT(keys, n, a->k, hist, a->n_threads, &t, &cut);
    free(hist);
    if (st != LE_OK) return st;
    uint8_t *out = a->out;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t i0 = b * LE_BLOCK;
        const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
        const LE_KEYT *kb = keys + i0;
#pragma omp simd
        for (int64_t j = 0; j < m; j++) {
            const LE_KEYT kk = kb[j];
            out[i0 + j] = (uint8_t)((kk > t) | ((kk == t) & (i0 + j <= cut)));
        }
    }
    return LE_OK;
}

#undef LE_OHEM_PROB
#undef LE_OHEM_LOGIT
#undef LE_CHK01J
#undef T
#undef TFN
#endif
