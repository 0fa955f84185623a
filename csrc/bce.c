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
 *
 * Streaming stores (le_stream.h) are used only by dice's gradient pass on
 * probabilities, the one loop here that is bound by memory.  The elementwise
 * losses, dice on logits and OHEM evaluate exp/log per element and are bound
 * by compute at the bandwidths measured (16M float32, 1 and 2 threads):
 * streaming's extra pass through L1 and its store bursts made them 5% to
 * 2x slower, so they keep ordinary stores.
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
#include "le_stream.h"
#include <stdlib.h>

#define LE_CHUNK 1024
/* Hot loops live in functions that inline everything they call (the math
 * helpers included) whatever the unit-size heuristics say, so they vectorise. */
#if defined(__GNUC__)
#define LE_FLAT __attribute__((flatten, noinline))
#else
#define LE_FLAT
#endif
#define LE_DIG 65536

/* log(a) as le_logf / le_log compute it, or, when `direct`, the core
 * polynomial at fd (exponent 0): OHEM's log(x) for a positive and log1m(x)
 * for a negative from one polynomial evaluation.  Same operations, so the
 * same values, as le_logf(a) and le_log1p_core_f(fd) (up to the sign of a
 * zero) for a in (0, 1] or NaN; a = 0 gives a value below -100 instead of
 * -inf, the same after the caller's clamp at -100.  Other inputs fail the
 * range check, so their values are never used. */
static inline LE_AI float le_ohem_logsel_f(float a, int direct, float fd) {
    le_split_f_t sp = le_split_f(a);
    float ef = direct ? 0.0f : sp.e;
    float f = direct ? fd : sp.m - 1.0f;
    float y = le_log1p_core_f(f);
    y = y + ef * -2.12194440e-4f;
    y = y + ef * 0.693359375f;
    y = a != a ? a : y;
    return y;
}

static inline LE_AI double le_ohem_logsel_d(double a, int direct, double fd) {
    le_split_d_t sp = le_split_d(a);
    double ed = direct ? 0.0 : sp.e;
    double f = direct ? fd : sp.m - 1.0;
    double y = le_log1p_core_d(f);
    y = y + ed * 1.90821492927058770002e-10;
    y = y + ed * 6.93147180369123816490e-01;
    y = a != a ? a : y;
    return y;
}


/* Append the non-zero keys of kb[0..m) and their indices base + j to
 * (bk, bi) from position o; returns the new position, or -1 when fewer than
 * 16 free slots remain before cap at a group that has one.  Groups of 16
 * without a non-zero key cost one vector test. */
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#define LE_COMPACT_BODY(K)                                                              \
    for (; j0 < m; j0 += 16) {                                                          \
        const int64_t je = m - j0 < 16 ? m : j0 + 16;                                   \
        K an = 0;                                                                       \
        _Pragma("omp simd reduction(|:an)")                                             \
        for (int64_t j = j0; j < je; j++) an |= kb[j];                                  \
        if (!an) continue;                                                              \
        if (o + 16 > cap) return -1;                                                    \
        for (int64_t j = j0; j < je; j++) {                                             \
            const K kk = kb[j];                                                         \
            bk[o] = kk; bi[o] = base + j;                                               \
            o += kk != 0;                                                               \
        }                                                                               \
    }                                                                                   \
    return o;

static inline int64_t le_compact_u32(const uint32_t *kb, int64_t m, int64_t base, uint32_t *bk,
                                     int64_t *bi, int64_t o, int64_t cap) {
    int64_t j0 = 0;
#if defined(__AVX512F__)
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (; j0 + 16 <= m; j0 += 16) {
        const __m512i v = _mm512_loadu_si512((const void *)(kb + j0));
        const __mmask16 mk = _mm512_test_epi32_mask(v, v);
        if (!mk) continue;
        if (o + 16 > cap) return -1;
        _mm512_storeu_si512((void *)(bk + o), _mm512_maskz_compress_epi32(mk, v));
        const __m512i ib = _mm512_add_epi64(_mm512_set1_epi64(base + j0), lane);
        const unsigned l8 = mk & 0xffu, h8 = (unsigned)mk >> 8;
        const int cl = __builtin_popcount(l8);
        _mm512_storeu_si512((void *)(bi + o), _mm512_maskz_compress_epi64((__mmask8)l8, ib));
        _mm512_storeu_si512((void *)(bi + o + cl),
                            _mm512_maskz_compress_epi64((__mmask8)h8,
                                                        _mm512_add_epi64(ib, _mm512_set1_epi64(8))));
        o += cl + __builtin_popcount(h8);
    }
#endif
    LE_COMPACT_BODY(uint32_t)
}

static inline int64_t le_compact_u64(const uint64_t *kb, int64_t m, int64_t base, uint64_t *bk,
                                     int64_t *bi, int64_t o, int64_t cap) {
    int64_t j0 = 0;
#if defined(__AVX512F__)
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (; j0 + 8 <= m; j0 += 8) {
        const __m512i v = _mm512_loadu_si512((const void *)(kb + j0));
        const __mmask8 mk = _mm512_test_epi64_mask(v, v);
        if (!mk) continue;
        if (o + 16 > cap) return -1;
        _mm512_storeu_si512((void *)(bk + o), _mm512_maskz_compress_epi64(mk, v));
        const __m512i ib = _mm512_add_epi64(_mm512_set1_epi64(base + j0), lane);
        _mm512_storeu_si512((void *)(bi + o), _mm512_maskz_compress_epi64(mk, ib));
        o += __builtin_popcount((unsigned)mk);
    }
#endif
    LE_COMPACT_BODY(uint64_t)
}
#undef LE_COMPACT_BODY

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
#define LE_LOGSEL le_ohem_logsel_f
#define LE_COMPACT le_compact_u32
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
#undef LE_LOGSEL
#undef LE_COMPACT

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
#define LE_LOGSEL le_ohem_logsel_d
#define LE_COMPACT le_compact_u64
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
#undef LE_LOGSEL
#undef LE_COMPACT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))
#define LE_STREAMT LE_CAT(le_stream, LE_TS)

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

/* outside [0, 1]; NaN is not flagged (it propagates into the loss) */
static inline LE_AI int TFN(bad01)(T v) { return (v < (T)0) | (v > (T)1); }

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
    /* a one-value pattern is read as a constant; an empty operand (C == 0,
     * only with n == 0) is never read */
    const T wconst = a->w.p && a->w.C == 1 ? ((const T *)a->w.p)[0] : (T)a->w.value;
    const T bconst = a->b.p && a->b.C == 1 ? ((const T *)a->b.p)[0] : (T)a->b.value;
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
        /* a large gradient of probabilities (a light pass bound by memory),
         * written into present pages: streamed, saving the read of every
         * line before it is written */
        const int sg = !fl && (a->stream & LE_STREAM_GRAD) &&
                       (int64_t)(N * L * (int64_t)sizeof(T)) >= LE_STREAM_MIN_BYTES;
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static) nowait
            for (int64_t b = 0; b < nb; b++) {
                const int64_t s = b / bps, j0 = (b % bps) * LE_BLOCK;
                const int64_t m = L - j0 < LE_BLOCK ? L - j0 : LE_BLOCK;
                const T *xs = x + s * L + j0, *ys = y + s * L + j0;
                T *gs = g + s * L + j0;
                T gb[LE_BLOCK];     /* streamed: computed in L1 first */
                const double I = smp[2 * s], den = smp[2 * s + 1];
                const double gsc = (go ? (double)go[s] : a->go_scalar) * a->norm;
                /* d l / d p_j = -2 (y_j den - I dP_j) / den^2 */
                const T cy = (T)(-2.0 * gsc / den);
                const T cp = (T)(2.0 * gsc * I / (den * den));
                TFN(dice_grad)(xs, ys, sg ? gb : gs, m, sq, fl, cy, cp);
                if (sg) LE_STREAMT(gs, gb, m);
            }
            if (sg) le_stream_fence();
        }
    }
    free(part); free(smp);
    return LE_OK;
}

/* ---------------------------------------------------------------- OHEM
 *
 * Large inputs (the usual case: a DBNet batch) take three steps:
 *  1. count: one read of the targets (and mask) gives #pos, #neg (so k, the
 *     denominator and the gradient scale are known before any loss is
 *     computed), whether each block's targets are all 0/1, the target range
 *     check, and the losses of a fixed, evenly strided sample of the
 *     negatives.  Sample quantiles +- 4 standard deviations bracket the k-th
 *     largest negative loss in a key band [lo, hi].
 *  2. one fused pass computes each loss and its derivative once: positives
 *     and negatives above the band are selected for sure and their final
 *     gradient written; negatives below the band get 0; negatives inside the
 *     band get their gradient too and are copied (key, index) to per-thread
 *     buffers (static scheduling: thread order is index order).
 *  3. the exact k-th largest is selected inside the small band (ties: lower
 *     index), and the band's unselected elements are set back to 0.
 * Blocks whose targets are all 0/1 evaluate one log per element instead of
 * two.  When the bracket misses, the band overflows its buffer, or the input
 * is small, the general path runs instead: keys of every negative, an O(n)
 * radix select over them, then a second pass for losses and gradient.  Both
 * paths compute the same per-element losses, and every sum is made of fixed
 * blocks in a fixed order: results do not depend on the thread count. */
#define LE_OC 1024          /* chunk of the fused loops: local buffers stay in L1 */
#define LE_OHEM_FAST_N 65536
#define LE_OHEM_SAMPLE 65536

/* Per-element loss/derivative of OHEM: mode 0: probabilities with targets
 * all 0/1 (one log), 1: probabilities, 2: logits. */
static inline LE_AI void TFN(e_bce01)(T x, T y, T *rl, T *rd) {
    /* the same values as e_bce for y in {0, 1}: log(x) for a positive,
     * log1m(x) (the core polynomial directly for x <= 0.2928) for a negative,
     * from one evaluation of the log's polynomial */
    const int pos = y > (T)0.5;
    const T a = pos ? x : (T)1 - x;
    const int direct = !pos & (x <= (T)0.2928);
    T lg = LE_LOGSEL(a, direct, -x);
    lg = lg < (T)-100 ? (T)-100 : lg;
    *rl = (T)0 - lg;
    T den = x * ((T)1 - x);
    den = den < (T)1e-12f ? (T)1e-12f : den;   /* torch: a float 1e-12 */
    *rd = (x - y) / den;
}

/* Losses (lw) and, when dw is given, derivatives of m <= LE_OC elements;
 * returns the input range failures (probability modes). */
static LE_FLAT int TFN(ohem_loss)(const T *xb, const T *yb, int64_t m, int mode, T *lw, T *dw) {
    int bd = 0;
#define LE_OL(EXPR, CHECK)                                                              \
    if (dw) {                                                                           \
        _Pragma("omp simd reduction(|:bd)")                                             \
        for (int64_t j = 0; j < m; j++) { T rl, rd; EXPR; lw[j] = rl; dw[j] = rd; CHECK; } \
    } else {                                                                            \
        _Pragma("omp simd reduction(|:bd)")                                             \
        for (int64_t j = 0; j < m; j++) { T rl, rd; EXPR; (void)rd; lw[j] = rl; CHECK; } \
    }
    if (mode == 0) {
        LE_OL(TFN(e_bce01)(xb[j], yb[j], &rl, &rd), bd |= TFN(bad01)(xb[j]))
    } else if (mode == 1) {
        LE_OL(TFN(e_bce)(xb[j], yb[j], (T)1, &rl, &rd), bd |= TFN(bad01)(xb[j]))
    } else {
        LE_OL(TFN(e_bcel)(xb[j], yb[j], (T)1, (T)1, &rl, &rd), (void)0)
    }
#undef LE_OL
    return bd;
}

/* Step 1 over one block: counts, soft-target flag, target range failures. */
static LE_FLAT void TFN(ohem_count)(const T *yb, const uint8_t *mb, int64_t m, int64_t *np_,
                                    int64_t *nn_, int *soft_, int *bad_) {
    int np = 0, nn = 0, soft = 0, bd = 0;
#define LE_OCNT(CAND)                                                                   \
    _Pragma("omp simd reduction(+:np,nn) reduction(|:soft,bd)")                         \
    for (int64_t j = 0; j < m; j++) {                                                   \
        const T y = yb[j];                                                              \
        const int c = CAND, pos = c & (y >= (T)0.5);                                    \
        np += pos; nn += c & !pos;                                                      \
        soft |= c & (y != (T)0) & (y != (T)1);                                          \
        bd |= TFN(bad01)(y);                                                            \
    }
    if (mb) { LE_OCNT(mb[j] != 0) } else { LE_OCNT(1) }
#undef LE_OCNT
    *np_ = np; *nn_ = nn; *soft_ = soft; *bad_ = bd;
}

/* Top-16-bit histogram of keys[0..m) (zeros skipped) into h. */
static inline void TFN(hist_top)(const LE_KEYT *keys, int64_t m, int64_t *h) {
    for (int64_t j = 0; j < m; j++) {
        const LE_KEYT kk = keys[j];
        if (kk) h[kk >> (LE_KEYBITS - 16)]++;
    }
}

/* Inverse of LE_KEYF for candidate keys. */
static inline LE_AI T TFN(key_value)(LE_KEYT k) {
    const LE_KEYT top = (LE_KEYT)1 << (LE_KEYBITS - 1);
    LE_KEYT b = (k & top) ? (k ^ top) : ~k;
    T v;
    memcpy(&v, &b, sizeof(T));
    return v;
}

/* The k-th largest t of n non-zero keys (1 <= k <= n), and cut, the position
 * of the last key equal to t that is taken when keys equal to t are taken in
 * increasing position (INT64_MAX when all of them are).  MSD radix select
 * with 11-bit digits: 3 light passes for 32-bit keys, 6 for 64-bit keys; for
 * the band and the sample (arrays of 1e4 to 1e6 keys), no allocation. */
static void TFN(small_select)(const LE_KEYT *v, int64_t n, int64_t k, LE_KEYT *t_out,
                              int64_t *cut_out) {
    LE_KEYT prefix = 0, pmask = 0;
    int64_t need = k, eq = 0;
    int shift = LE_KEYBITS;
    int64_t h[2048];
    while (shift > 0) {
        const int bits = shift >= 11 ? 11 : shift;
        shift -= bits;
        const LE_KEYT dm = ((LE_KEYT)1 << bits) - 1;
        memset(h, 0, sizeof(int64_t) << bits);
        if (pmask == 0) {
            /* keys crowd a few top digits: four interleaved histograms keep
             * the increments of one digit from waiting on each other */
            int64_t h4[3][2048];
            memset(h4, 0, sizeof h4);
            int64_t i = 0;
            for (; i + 4 <= n; i += 4) {
                h[(v[i] >> shift) & dm]++;
                h4[0][(v[i + 1] >> shift) & dm]++;
                h4[1][(v[i + 2] >> shift) & dm]++;
                h4[2][(v[i + 3] >> shift) & dm]++;
            }
            for (; i < n; i++) h[(v[i] >> shift) & dm]++;
            for (int d = 0; d <= (int)dm; d++) h[d] += h4[0][d] + h4[1][d] + h4[2][d];
        } else {
            for (int64_t i = 0; i < n; i++)
                if ((v[i] & pmask) == prefix) h[(v[i] >> shift) & dm]++;
        }
        int64_t cum = 0;
        int d = (int)dm;
        for (; d > 0; d--) {
            if (cum + h[d] >= need) break;
            cum += h[d];
        }
        need -= cum;
        eq = h[d];
        prefix |= (LE_KEYT)d << shift;
        pmask |= dm << shift;
    }
    int64_t cut = INT64_MAX;
    if (need < eq) {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++)
            if (v[i] == prefix && ++c == need) { cut = i; break; }
    }
    *t_out = prefix; *cut_out = cut;
}

/* Step 2 over one block: losses, derivatives, selection against [lo, hi].
 * Writes the gradient (0 below the band) and, for 'none', the losses;
 * returns in *sum the losses of the positives and of the negatives above the
 * band, in *gt the count of the latter; appends the band to (bk, bi). */
static LE_FLAT void TFN(ohem_fused)(const T *xb, const T *yb, const uint8_t *mb, int64_t m,
                                    int64_t i0, int mode, LE_KEYT lo, LE_KEYT hi, T *gb,
                                    const T *gob, T gsc, T *lb, double *sum_, int64_t *gt_,
                                    LE_KEYT *bk, int64_t *bi, int64_t *o_, int64_t cap,
                                    int *bad_, int *ovf_) {
    T lw[LE_OC], sl[LE_OC];
    LE_KEYT kb[LE_OC];
    double s = 0;
    int64_t gt = 0, o = *o_;
    int bd = 0, ovf = 0;
    for (int64_t c0 = 0; c0 < m; c0 += LE_OC) {
        const int64_t mc = m - c0 < LE_OC ? m - c0 : LE_OC;
        const T *y = yb + c0;
        const uint8_t *mk = mb ? mb + c0 : NULL;
        T *g = gb ? gb + c0 : NULL;
        const T *go = gob ? gob + c0 : NULL;
        const T *x = xb + c0;
        double sc = 0;
        int g1 = 0, any = 0;
        /* one loop per (loss, mask, gradient) combination, each branch-free */
#define LE_FS(EXPR, CHECK, CAND, GSTORE)                                                \
        _Pragma("omp simd reduction(+:g1) reduction(|:any,bd)")                         \
        for (int64_t j = 0; j < mc; j++) {                                              \
            T rl, rd; EXPR; CHECK;                                                      \
            const int c = CAND, pos = c & (y[j] >= (T)0.5), neg = c & !pos;             \
            const LE_KEYT kk = LE_KEYF(rl);                                             \
            const int sure = neg & (kk > hi);                                           \
            const int band = neg & (kk >= lo) & (kk <= hi);                             \
            const int keep = pos | sure | band;                                         \
            sl[j] = (pos | sure) ? rl : (T)0;                                           \
            g1 += sure; any |= band;                                                    \
            kb[j] = band ? kk : 0;                                                      \
            GSTORE;                                                                     \
        }
#define LE_LW lw[j] = keep ? rl : (T)0
#define LE_FS2(EXPR, CHECK, CAND)                                                       \
        if (!g) { LE_FS(EXPR, CHECK, CAND, ((void)rd, LE_LW)) }                         \
        else if (go) { LE_FS(EXPR, CHECK, CAND, (g[j] = keep ? rd * go[j] : (T)0, LE_LW)) } \
        else if (lb) { LE_FS(EXPR, CHECK, CAND, (g[j] = keep ? rd * gsc : (T)0, LE_LW)) } \
        else { LE_FS(EXPR, CHECK, CAND, g[j] = keep ? rd * gsc : (T)0) }
#define LE_FS3(CAND)                                                                    \
        if (mode == 0) {                                                                \
            LE_FS2(TFN(e_bce01)(x[j], y[j], &rl, &rd), bd |= TFN(bad01)(x[j]), CAND)    \
        } else if (mode == 1) {                                                         \
            LE_FS2(TFN(e_bce)(x[j], y[j], (T)1, &rl, &rd), bd |= TFN(bad01)(x[j]), CAND) \
        } else {                                                                        \
            LE_FS2(TFN(e_bcel)(x[j], y[j], (T)1, (T)1, &rl, &rd), (void)0, CAND)        \
        }
        if (mk) { LE_FS3(mk[j] != 0) } else { LE_FS3(1) }
#undef LE_FS3
#undef LE_FS2
#undef LE_LW
#undef LE_FS
        /* summed apart: a double reduction inside the loop above runs at the
         * latency of its loop-carried chain */
        sc = TFN(sum_chunk)(sl, mc);
        if (lb) memcpy(lb + c0, lw, (size_t)mc * sizeof(T));
        s += sc; gt += g1;
        if (!any || ovf) continue;
        const int64_t on = LE_COMPACT(kb, mc, i0 + c0, bk, bi, o, cap);
        if (on < 0) ovf = 1; else o = on;
    }
    *sum_ = s; *gt_ = gt; *o_ = o;
    *bad_ |= bd; *ovf_ |= ovf;
}

/* General path, pass 1 over one block: keys of the negatives' losses. */
static LE_FLAT int TFN(ohem_p1)(const T *xb, const T *yb, const uint8_t *mb, LE_KEYT *kb,
                                int64_t m, int mode) {
    T lw[LE_OC];
    int bd = 0;
    for (int64_t c0 = 0; c0 < m; c0 += LE_OC) {
        const int64_t mc = m - c0 < LE_OC ? m - c0 : LE_OC;
        const T *y = yb + c0;
        LE_KEYT *k = kb + c0;
        bd |= TFN(ohem_loss)(xb + c0, y, mc, mode, lw, NULL);
#define LE_P1(CAND)                                                                     \
        _Pragma("omp simd")                                                             \
        for (int64_t j = 0; j < mc; j++) {                                              \
            const int c = CAND, neg = c & !(y[j] >= (T)0.5);                            \
            k[j] = neg ? LE_KEYF(lw[j]) : 0;                                            \
        }
        if (mb) { LE_P1(mb[c0 + j] != 0) } else { LE_P1(1) }
#undef LE_P1
    }
    return bd;
}

/* General path, pass 2 over one block: selection by (t, cut), selected
 * losses ('none') and their sum, gradient. */
static LE_FLAT double TFN(ohem_p2)(const T *xb, const T *yb, const uint8_t *mb, const LE_KEYT *kb,
                                   int64_t m, int64_t i0, int mode, LE_KEYT t, int64_t cut,
                                   T *gb, T *lb, const T *gob, T gsc) {
    T lw[LE_OC], dw[LE_OC];
    double s = 0;
    for (int64_t c0 = 0; c0 < m; c0 += LE_OC) {
        const int64_t mc = m - c0 < LE_OC ? m - c0 : LE_OC;
        const T *y = yb + c0;
        const LE_KEYT *k = kb + c0;
        T *g = gb ? gb + c0 : NULL;
        const T *go = gob ? gob + c0 : NULL;
        const int64_t ib = i0 + c0;
        (void)TFN(ohem_loss)(xb + c0, y, mc, mode, lw, gb ? dw : NULL);
        double sc = 0;
#define LE_P2(CAND, GSTORE)                                                             \
        _Pragma("omp simd reduction(+:sc)")                                             \
        for (int64_t j = 0; j < mc; j++) {                                              \
            const int c = CAND, pos = c & (y[j] >= (T)0.5);                             \
            const LE_KEYT kk = k[j];                                                    \
            const int sel = pos | (kk > t) | ((kk == t) & (ib + j <= cut));             \
            const T l = sel ? lw[j] : (T)0;                                             \
            sc += (double)l;                                                            \
            lw[j] = l;                                                                  \
            GSTORE;                                                                     \
        }
#define LE_P22(CAND)                                                                    \
        if (!g) { LE_P2(CAND, (void)0) }                                                \
        else if (go) { LE_P2(CAND, g[j] = sel ? dw[j] * go[j] : (T)0) }                 \
        else { LE_P2(CAND, g[j] = sel ? dw[j] * gsc : (T)0) }
        if (mb) { LE_P22(mb[c0 + j] != 0) } else { LE_P22(1) }
#undef LE_P22
#undef LE_P2
        if (lb) memcpy(lb + c0, lw, (size_t)mc * sizeof(T));
        s += sc;
    }
    return s;
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
    const int64_t nb1 = nblocks > 0 ? nblocks : 1;
    int64_t *cnt = (int64_t *)malloc((size_t)nb1 * 2 * sizeof(int64_t));
    double *part = (double *)malloc((size_t)nb1 * sizeof(double));
    uint8_t *bmode = (uint8_t *)malloc((size_t)nb1);
    if (!cnt || !part || !bmode) { free(cnt); free(part); free(bmode); return LE_ERR_NOMEM; }
    int bad = 0, st = LE_OK;

    /* step 1: counts, per-block mode, target checks, strided sample of the
     * negatives' keys (slot i / stride; 0 for other elements) */
    const int sample = n >= LE_OHEM_FAST_N && nt <= 256;
    int64_t stride = n / (2 * LE_OHEM_SAMPLE);
    if (stride < 4) stride = 4;
    const int64_t nslot = sample ? (n + stride - 1) / stride : 0;
    LE_KEYT *smp = keys;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(|:bad)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t i0 = b * LE_BLOCK;
        const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
        int soft, bd;
        TFN(ohem_count)(y + i0, mask ? mask + i0 : NULL, m, &cnt[2 * b], &cnt[2 * b + 1],
                        &soft, &bd);
        const int mode = fl ? 2 : soft ? 1 : 0;
        bmode[b] = (uint8_t)mode;
        if (!fl) bad |= bd;
        if (sample) {
            /* gather the sampled elements, then one vector loss loop */
            T xs[LE_BLOCK / 4 + 1], ys[LE_BLOCK / 4 + 1], ls[LE_BLOCK / 4 + 1];
            const int64_t s0 = (i0 + stride - 1) / stride;
            int64_t ns = 0;
            for (int64_t i = s0 * stride; i < i0 + m; i += stride, ns++) {
                xs[ns] = x[i];
                ys[ns] = (!mask || mask[i]) ? y[i] : (T)NAN;  /* NaN: not a negative */
            }
            (void)TFN(ohem_loss)(xs, ys, ns, mode, ls, NULL);
#pragma omp simd
            for (int64_t j = 0; j < ns; j++) {
                const int neg = (ys[j] < (T)0.5);
                smp[s0 + j] = neg ? LE_KEYF(ls[j]) : 0;
            }
        }
    }
    if (bad) goto range_error;
    int64_t npos = 0, nneg = 0;
    for (int64_t b = 0; b < nblocks; b++) { npos += cnt[2 * b]; nneg += cnt[2 * b + 1]; }
    double kf = floor(a->ratio * (double)npos);
    int64_t k = kf > (double)(INT64_MAX / 2) ? INT64_MAX / 2 : (int64_t)kf;
    if (k < a->min_negatives) k = a->min_negatives;
    if (k > nneg) k = nneg;
    a->n_pos = npos; a->n_neg = nneg; a->k = k;
    const double denom = (double)npos + (double)k + a->eps;
    a->denom = denom;
    const double norm = red == LE_RED_MEAN ? 1.0 / denom : 1.0;
    const T gsc = (T)(a->go_scalar * norm);
    T *lb0 = red == LE_RED_NONE ? lossv : NULL;

    /* the bracket [lo, hi] of the k-th largest negative key */
    int fast = 0;
    LE_KEYT lo = 1, hi = 0;
    if (sample) {
        if (k == nneg) {                        /* every negative: keys are >= 1 */
            fast = 1; lo = 1; hi = 0;
        } else if (k == 0) {                    /* none */
            fast = 1; lo = (LE_KEYT)~(LE_KEYT)0; hi = lo;
        } else {
            int64_t S = 0;
            for (int64_t s = 0; s < nslot; s++)
                if (smp[s]) smp[S++] = smp[s];
            if (S >= 1024) {
                const double q = (double)k / (double)nneg;           /* fraction taken */
                const double pos = (1.0 - q) * (double)S;            /* ascending rank */
                const double mg = 4.0 * sqrt((double)S * q * (1.0 - q)) + 8.0;
                const int64_t ilo = (int64_t)floor(pos - mg), ihi = (int64_t)ceil(pos + mg);
                int64_t cdummy;
                /* ascending rank r is the (S - r)-th largest */
                if (ilo <= 0) lo = 1;
                else TFN(small_select)(smp, S, S - ilo, &lo, &cdummy);
                if (ihi >= S) hi = (LE_KEYT)~(LE_KEYT)0;
                else TFN(small_select)(smp, S, S - ihi, &hi, &cdummy);
                fast = 1;
            }
        }
    }

    if (fast) {
        /* step 2: band buffers in the key scratch, cap entries per thread */
        int64_t cap = (int64_t)(((size_t)n * sizeof(LE_KEYT)) /
                                ((size_t)nt * (sizeof(LE_KEYT) + sizeof(int64_t))));
        cap &= ~(int64_t)1;
        LE_KEYT *bk = keys;
        int64_t *bi = (int64_t *)(void *)(bk + (int64_t)nt * cap);
        int64_t tcnt[256], tgt[256];
        int ovf = 0;
#pragma omp parallel num_threads(nt) reduction(|:bad, ovf)
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
                int64_t gtb;
                TFN(ohem_fused)(x + i0, y + i0, mask ? mask + i0 : NULL, m, i0, bmode[b], lo, hi,
                                g ? g + i0 : NULL, go ? go + i0 : NULL, gsc,
                                lb0 ? lb0 + i0 : NULL, &part[b], &gtb, mk, mi, &o, cap,
                                &bad, &ovf);
                gsum += gtb;
            }
            tcnt[tid] = o; tgt[tid] = gsum;
        }
        if (bad) goto range_error;
        int64_t gt = 0, band = 0;
        if (!ovf) {
            for (int tt = 0; tt < nt; tt++) {
                if (band != tt * cap) {   /* close the gaps: thread segments in order */
                    memmove(bk + band, bk + (int64_t)tt * cap, (size_t)tcnt[tt] * sizeof(LE_KEYT));
                    memmove(bi + band, bi + (int64_t)tt * cap, (size_t)tcnt[tt] * sizeof(int64_t));
                }
                band += tcnt[tt]; gt += tgt[tt];
            }
        }
        if (!ovf && gt <= k && k <= gt + band) {
            /* step 3: the (k - gt) largest of the band, in index order on ties */
            LE_KEYT t = (LE_KEYT)~(LE_KEYT)0;
            int64_t cb = -1;
            if (k > gt) TFN(small_select)(bk, band, k - gt, &t, &cb);
            double bsum = 0;
            for (int64_t j = 0; j < band; j++) {
                const LE_KEYT kk = bk[j];
                if ((kk > t) | ((kk == t) & (j <= cb))) {
                    bsum += (double)TFN(key_value)(kk);
                } else {
                    if (g) g[bi[j]] = (T)0;
                    if (lb0) lb0[bi[j]] = (T)0;
                }
            }
            if (red != LE_RED_NONE) {
                double total = 0;
                for (int64_t b = 0; b < nblocks; b++) total += part[b];
                a->loss_value = (total + bsum) * norm;
            }
            goto done;
        }
        /* the bracket missed or the band overflowed: general path */
    }

    {
        /* general path: keys of every negative, radix select, second pass */
#pragma omp parallel for schedule(static) num_threads(nt) reduction(|:bad)
        for (int64_t b = 0; b < nblocks; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
            bad |= TFN(ohem_p1)(x + i0, y + i0, mask ? mask + i0 : NULL, keys + i0, m, bmode[b]);
        }
        if (bad) goto range_error;
        LE_KEYT t;
        int64_t cut;
        if (k == 0) {
            t = (LE_KEYT)~(LE_KEYT)0; cut = -1;
        } else if (k == nneg) {
            t = 1; cut = INT64_MAX;          /* every negative (their keys are >= 1) */
        } else {
            st = LE_SELECT(keys, n, k, NULL, a->n_threads, &t, &cut);
            if (st != LE_OK) goto done;
        }
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t b = 0; b < nblocks; b++) {
            const int64_t i0 = b * LE_BLOCK;
            const int64_t m = n - i0 < LE_BLOCK ? n - i0 : LE_BLOCK;
            part[b] = TFN(ohem_p2)(x + i0, y + i0, mask ? mask + i0 : NULL, keys + i0, m, i0,
                                   bmode[b], t, cut, g ? g + i0 : NULL, lb0 ? lb0 + i0 : NULL,
                                   go ? go + i0 : NULL, gsc);
        }
        if (red != LE_RED_NONE) {
            double total = 0;
            for (int64_t b = 0; b < nblocks; b++) total += part[b];
            a->loss_value = total * norm;
        }
    }
    goto done;

range_error:
    for (int64_t i = 0; i < n; i++) {
        int b = TFN(bad01)(x[i]) | (TFN(bad01)(y[i]) << 1);
        if (b) { a->bad_index = i; a->bad_what = (b & 1) ? 1 : 2; break; }
    }
    st = LE_ERR_VALUE_RANGE;
done:
    free(cnt); free(part); free(bmode);
    return st;
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

#undef LE_OC
#undef LE_OHEM_FAST_N
#undef LE_OHEM_SAMPLE
#undef LE_STREAMT
#undef T
#undef TFN
#endif
