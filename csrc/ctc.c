/* CTC loss: forward (alpha) and backward (beta) recursions with the posterior
 * gradient in the same call, OpenMP over the sequences of the batch.
 *
 * States.  The extended label sequence l' = (b, l1, b, l2, ..., lS, b) has
 * 2S+1 states; it is stored split in two contiguous vectors, the blank states
 * e[k] = state 2k (k = 0..S) and the label states o[k] = state 2k+1
 * (k = 0..S-1), so every recursion is a plain unit-stride SIMD loop over
 * states with no interleaving:
 *     e_t[k] = (e[k] + o[k-1]) * y_t(b)
 *     o_t[k] = (o[k] + e[k] + skip[k] o[k-1]) * y_t(l_k),  skip[k] = l_k != l_{k-1}.
 * beta is kept *exclusive* of the emission at t, so alpha_t(s) beta_t(s) is
 * directly the mass of the paths through (t, s) and the posterior needs no
 * division by an emission probability (which may underflow).  States not
 * yet reachable at t, or that can no longer reach the end, are skipped.
 *
 * Formulation, chosen by measurement.  Three implementations of the
 * recursion, tried in this order for each sequence:
 *  1. probability space with one scale factor per step (Graves 2006), in
 *    double for both storage dtypes: emissions exp(lp - m_t) with m_t the
 *    largest log-probability used at t; each alpha / beta row scaled by the
 *    exact power of two that brings the previous row's sum near 1 (no
 *    rounding from the rescaling, no log per step); band-limited state by
 *    state; flush-to-zero while a sequence runs, so entries decaying below
 *    DBL_MIN of their step become 0 instead of slow subnormals.  A few
 *    multiply-adds per lattice cell.  Its limit: a step resolves its states
 *    only down to DBL_MIN of its total, and in long, confidently mispredicted
 *    sequences the states carrying the posterior can hold less than that of
 *    the forward or backward mass (random logits of scale 10 at T=1000 S=300).
 *  2. the same with a binary exponent per block of 8 neighbouring states (a
 *    block takes the larger exponent of itself and of its left -- for beta,
 *    right -- neighbour, which feeds it, and rescales by an exact power of two
 *    when its largest value leaves [2^-60, 2^60]): no range limit across the
 *    states of a step; about 1.4x the cost of 1.
 *  3. log space with -inf guards, log-add-exp vectorised across states (le_exp
 *    and a select-only log on [1, 4]): three exp and one log per cell; no
 *    range limit at all, and what gives NaN / -inf inputs torch's semantics.
 * Measured here (AVX-512, 1 thread, loss + gradient, float32): T=400 N=32
 * C=64 S=100: 4.4 ms / 6.8 ms / 21 ms; T=50 N=16 C=20 S=30: 0.14 / 0.20 /
 * 0.59 ms.  Attempts 1 and 2 are checked, not assumed: for every t the
 * posterior pass recomputes log P = log sum_s alpha_t beta_t + scales, and
 * once from beta alone (sum over the two start states of y_0 beta_0); all must
 * agree with the forward pass's log P within 1e-11 (1 + |log P|), and the sums
 * must stay in the normal double range; otherwise the next attempt runs.
 * Alignments lost by both recursions of an attempt in exactly complementary
 * ways would go unnoticed; that needs probability ratios beyond 1e300 swinging
 * both ways along a sequence.  Loss-only calls run the backward recursion too,
 * for the check.
 *
 * Parallelism.  A batch at least as large as the thread count: one sequence
 * per thread at a time (dynamic schedule), backward fused with the
 * posterior.  A smaller batch: each sequence on all threads -- emissions and
 * posteriors split over the steps, forward and backward side by side.
 *
 * Scratch: sized by ctc_layout() for the largest sequence of the call; the
 * same function gives every offset used to index it.
 *
 * Determinism: every value is computed by the same expression whichever
 * schedule runs it; per-sample losses land in an array summed in sample
 * order, so results are bitwise identical for any thread count.
 */
#ifndef LE_T
#include "le_common.h"
#include "le_math.h"
#include "ctc.h"
#include <float.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
/* Flush-to-zero and denormals-are-zero for the calling thread while a
 * sequence is computed (restored after): alpha / beta entries that decay
 * below DBL_MIN of their step's total become 0 instead of slow subnormals. */
#define CTC_FTZ_ON(saved) do { (saved) = _mm_getcsr(); _mm_setcsr((saved) | 0x8040u); } while (0)
#define CTC_FTZ_OFF(saved) _mm_setcsr(saved)
#else
#define CTC_FTZ_ON(saved) do { (saved) = 0; } while (0)
#define CTC_FTZ_OFF(saved) do { (void)(saved); } while (0)
#endif

#define LE_CTC_TOL 1e-11

static inline int64_t ctc_r8(int64_t n) { return (n + 7) & ~(int64_t)7; }

/* Offsets (in doubles) of one sequence's scratch: T_n input steps, S labels,
 * C classes; `split` adds the beta rows of the two-thread schedule.  Returns
 * the total size; used both to allocate and to index.
 *
 * A state row (alpha or beta at one step) is
 *     [e: SE blank states | 8 zeros | o: SE label states | 8 zeros | R: NB exponents]
 * SE = S+1 rounded up to 8; block j = lanes 8j..8j+7 of e and of o share the
 * binary exponent R[j] (the true values are the stored ones times 2^R[j]),
 * -inf for a block that holds no mass.  Lanes beyond the states are 0. */
typedef struct {
    int64_t SE, SO, V, NB;  /* state vector length, emission count padded, vector stride, blocks */
    int64_t RS, ES;         /* row strides: state rows, emission rows */
    int64_t A, E, BA, B0, B1, SK, TMP, total;
} ctc_lay;

/* Slots of an E row after the SO + 8 label emissions. */
#define CTC_EB 8        /* blank emission */
#define CTC_M 9         /* shift m_t of the emissions */
#define CTC_LOGC 10     /* log scale (besides R) of the stored alpha row */
#define CTC_LOGD 11     /* log scale (besides R) of the stored beta row */

static int64_t ctc_layout(int64_t Tn, int64_t S, int64_t C, int split, ctc_lay *y) {
    y->SE = ctc_r8(S + 1);
    y->SO = ctc_r8(S);
    y->V = y->SE + 8;
    y->NB = y->SE / 8;
    y->RS = 2 * y->V + ctc_r8(y->NB);
    y->ES = y->SO + 16;     /* label emissions (read up to index SE <= SO + 8), then slots */
    int64_t o = 0;
    y->A = o;    o += Tn * y->RS;
    y->E = o;    o += Tn * y->ES;
    y->BA = o;   o += split ? Tn * y->RS : 0;
    y->B0 = o;   o += y->RS;
    y->B1 = o;   o += y->RS;
    y->SK = o;   o += y->SE + 8;
    y->TMP = o;  o += ctc_r8(C) + 2 * y->SE;   /* class and label-state posteriors, lane weights */
    y->total = o;
    return o;
}

/* log(u) for u = 0 or u in [1, 4] (a sum of exponentials relative to the
 * largest, which contributes exactly 1), or NaN: selects only, so loops over
 * it vectorise (le_log handles the whole range and does not). */
static inline double ctc_log_1to4(double u) {
    const double r2 = 1.4142135623730951, r8 = 2.8284271247461903;
    double e = u > r8 ? 2.0 : (u > r2 ? 1.0 : 0.0);
    double s = u > r8 ? 0.25 : (u > r2 ? 0.5 : 1.0);
    double v = le_log1p_core_d(u * s - 1.0) + e * 0.693147180559945309417;
    return u == 0.0 ? -(double)INFINITY : v;
}

static inline double ctc_lse2(double a, double b) {
    double m = a > b ? a : b;
    double mm = m == -(double)INFINITY ? 0.0 : m;
    return mm + ctc_log_1to4(le_exp(a - mm) + le_exp(b - mm));
}

static inline double ctc_lse3(double a, double b, double c) {
    double m = a > b ? a : b;
    m = c > m ? c : m;
    double mm = m == -(double)INFINITY ? 0.0 : m;
    return mm + ctc_log_1to4(le_exp(a - mm) + le_exp(b - mm) + le_exp(c - mm));
}

/* Labels plus repeats: the fewest input steps a target of length S needs. */
static inline int64_t ctc_min_len(const int64_t *l, int64_t S) {
    int64_t r = S;
    for (int64_t k = 1; k < S; k++) r += l[k] == l[k - 1];
    return r;
}

/* Band of step t (r = Tn-1-t steps left): blank states k in [bel, beh],
 * label states k in [bol, boh] -- alpha vanishes beyond state 2t+1, beta
 * where the end is out of reach. */
typedef struct { int64_t bel, beh, bol, boh; } ctc_band;

static inline ctc_band ctc_band_at(int64_t t, int64_t Tn, int64_t S) {
    const int64_t r = Tn - 1 - t;
    ctc_band b;
    b.bel = S - r > 0 ? S - r : 0;
    b.bol = S - 1 - r > 0 ? S - 1 - r : 0;
    b.beh = t < S ? t : S;
    b.boh = t < S - 1 ? t : S - 1;
    return b;
}

static inline int64_t ctc_exponent(double v) {
    return (int64_t)((le_bits_d(v) >> 52) & 0x7ff) - 1023;
}

static inline double ctc_pow2m(int64_t e) {     /* 2^-e, e in the normal range */
    return le_d_from_bits((uint64_t)(1023 - e) << 52);
}

/* 2^d for an integer d <= 0, or -inf; 0 below 2^-1022. */
static inline double ctc_pow2(double d) {
    double dc = d < -1022.0 ? -1022.0 : d;
    double v = le_d_from_bits((uint64_t)((int64_t)dc + 1023) << 52);
    return d < -1022.0 ? 0.0 : v;
}

/* Rescale block j of a row (8 lanes of e and of o) so its largest value is
 * in [1, 2) when it has left [2^-60, 2^60]; returns the block's exponent
 * given the frame exponent Rn (-inf for an empty block). */
static inline double ctc_block_norm(double *restrict e, double *restrict o, double mx, double Rn) {
    if (mx == 0.0) return -(double)INFINITY;
    if (mx >= 0x1p-60 && mx <= 0x1p60) return Rn;       /* still well inside the range */
    const int64_t x = ctc_exponent(mx);
    const double f = ctc_pow2m(x);
#pragma omp simd
    for (int i = 0; i < 8; i++) { e[i] *= f; o[i] *= f; }
    return Rn + (double)x;
}

static inline void ctc_block_zero(double *restrict e, double *restrict o) {
    for (int i = 0; i < 8; i++) { e[i] = 0.0; o[i] = 0.0; }
}

static void ctc_skip_mask(double *sk, const int64_t *l, int64_t S, int64_t n) {
    for (int64_t k = 0; k < n; k++) sk[k] = (k > 0 && k < S && l[k] != l[k - 1]) ? 1.0 : 0.0;
}

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#include "ctc.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#include "ctc.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* Everything a sequence needs. */
typedef struct {
    const T *lp;            /* log_probs base (T, N, C) */
    int64_t N, C, blank;
    int64_t n, Tn, S;
    const int64_t *l;       /* S labels */
    double sc;              /* gradient scale (upstream gradient / mean denominator) */
    int logits;             /* gradient with respect to logits */
    T *grad;                /* gradient base (T, N, C) or NULL */
    double *w;              /* sequence scratch, laid out by ctc_layout */
    const ctc_lay *y;
} TFN(ctc_seq);

static inline const T *TFN(ctc_row)(const TFN(ctc_seq) *q, int64_t t) {
    return q->lp + (t * q->N + q->n) * q->C;
}

/* Gradient row t from the blank posterior mass and the label-state
 * posteriors po[k0..k1] (unnormalised); post: C doubles. */
static inline void TFN(ctc_grad_row)(const TFN(ctc_seq) *q, int64_t t, double pe_sum,
                                     const double *restrict po, int64_t k0, int64_t k1,
                                     double invZ, double *restrict post) {
    const int64_t C = q->C;
    const int64_t *l = q->l;
    memset(post, 0, (size_t)C * sizeof(double));
    post[q->blank] = pe_sum * invZ;
    for (int64_t k = k0; k <= k1; k++) post[l[k]] += po[k] * invZ;
    const T *row = TFN(ctc_row)(q, t);
    T *g = q->grad + (t * q->N + q->n) * C;
    const double sc = q->sc;
    if (q->logits) {
#pragma omp simd
        for (int64_t c = 0; c < C; c++) g[c] = (T)(sc * ((double)LE_EXPT(row[c]) - post[c]));
    } else {
#pragma omp simd
        for (int64_t c = 0; c < C; c++) g[c] = (T)(-sc * post[c]);
    }
}

/* ---- probability space, one factor per step ---------------------------------
 * The first attempt for every sequence: the same phases with each alpha /
 * beta row scaled as a whole by the power of two that brings the previous
 * row's sum near 1 (Graves 2006), band-limited state by state.  About 30%
 * faster than per-block exponents, but a step resolves its states only down
 * to DBL_MIN of its total; failures (caught by the same checks) go on to the
 * per-block path. */
/* Row-scaled path: beta at the last step (1 at the two final states; the
 * states just below the band read by the next step are 0). */
static inline void TFN(ctc_beta_init_r)(double *restrict bc, int64_t S, int64_t V) {
    bc[S] = 1.0;
    if (S > 0) bc[S - 1] = 0.0;
    if (S > 0) bc[V + S - 1] = 1.0;
    if (S > 1) bc[V + S - 2] = 0.0;
}

static void TFN(ctc_emit_r)(const TFN(ctc_seq) *q, int64_t t0, int64_t t1, double *restrict er) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, ES = y->ES, SO = y->SO, C = q->C;
    const int64_t *l = q->l;
    for (int64_t t = t0; t < t1; t++) {
        const ctc_band b = ctc_band_at(t, Tn, S);
        const T *row = TFN(ctc_row)(q, t);
        double *restrict E = q->w + y->E + t * ES;
        const double lb = (double)row[q->blank];
        /* label emissions needed at t: the band, and one below it for beta */
        const int64_t k0 = b.bol > 0 ? b.bol - 1 : 0;
        double m = lb, eb;
        if (C < b.boh - k0 + 1) {
            /* fewer classes than labels: exponentiate the row, then gather */
#pragma omp simd reduction(max:m)
            for (int64_t c = 0; c < C; c++) { double v = (double)row[c]; er[c] = v; m = v > m ? v : m; }
            if (m == -(double)INFINITY) m = 0.0;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) er[c] = le_exp(er[c] - m);
            for (int64_t k = k0; k <= b.boh; k++) E[k] = er[l[k]];
            eb = er[q->blank];
        } else {
            double m2 = m;
            int64_t k = k0;
            for (; k + 1 <= b.boh; k += 2) {
                const double v0 = (double)row[l[k]], v1 = (double)row[l[k + 1]];
                E[k] = v0; E[k + 1] = v1;
                m = v0 > m ? v0 : m;
                m2 = v1 > m2 ? v1 : m2;
            }
            if (k <= b.boh) { const double v0 = (double)row[l[k]]; E[k] = v0; m = v0 > m ? v0 : m; }
            m = m2 > m ? m2 : m;
            if (m == -(double)INFINITY) m = 0.0;
#pragma omp simd
            for (int64_t k = k0; k <= b.boh; k++) E[k] = le_exp(E[k] - m);
            eb = le_exp(lb - m);
        }
        E[SO + CTC_EB] = eb;
        E[SO + CTC_M] = m;
    }
}

/* Forward.  Returns 0 and log P, or 1. */
static int TFN(ctc_fwd_r)(const TFN(ctc_seq) *q, double *logP_out) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, SE = y->V, AS = y->RS, ES = y->ES, SO = y->SO;
    double *w = q->w;
    const double *restrict sk = w + y->SK;
    const double LN2 = 0.693147180559945309417;
    double logC = 0.0, f = 1.0;
    int64_t fe = 0;                 /* f = 2^-fe */
    for (int64_t t = 0; t < Tn; t++) {
        const ctc_band b = ctc_band_at(t, Tn, S);
        double *restrict E = w + y->E + t * ES;
        const double eb = E[SO + CTC_EB] * f;
        logC += E[SO + CTC_M] + (double)fe * LN2;
        E[SO + CTC_LOGC] = logC;
        double *restrict ae = w + y->A + t * AS;
        double *restrict ao = ae + SE;
        double se = 0.0, so = 0.0;
        if (t == 0) {
            if (b.bel == 0) { ae[0] = eb; se = eb; }
            if (S > 0) { ao[0] = E[0]; so = E[0]; }
        } else {
            const double *restrict pe = ae - AS;
            const double *restrict po = ao - AS;
            if (b.bel == 0) { ae[0] = pe[0] * eb; se = ae[0]; }
#pragma omp simd reduction(+:se)
            for (int64_t k = b.bel > 1 ? b.bel : 1; k <= b.beh; k++) {
                double v = (pe[k] + po[k - 1]) * eb;
                ae[k] = v; se += v;
            }
            if (S > 0) {
                if (b.bol == 0) { ao[0] = (po[0] + pe[0]) * E[0] * f; so = ao[0]; }
#pragma omp simd reduction(+:so)
                for (int64_t k = b.bol > 1 ? b.bol : 1; k <= b.boh; k++) {
                    double v = (po[k] + pe[k] + sk[k] * po[k - 1]) * E[k] * f;
                    ao[k] = v; so += v;
                }
            }
        }
        /* the next step reads one state further */
        if (b.beh < S) ae[b.beh + 1] = 0.0;
        if (b.boh < S - 1) ao[b.boh + 1] = 0.0;
        const double c = se + so;
        if (!(c >= DBL_MIN && c <= DBL_MAX)) return 1;
        fe = ctc_exponent(c);
        f = ctc_pow2m(fe);
    }
    const double *ae = w + y->A + (Tn - 1) * AS;
    const double fin = ae[S] + (S > 0 ? ae[SE + S - 1] : 0.0);
    if (!(fin >= DBL_MIN)) return 1;
    *logP_out = logC + log(fin);
    return 0;
}

/* One backward step: beta_t (into ne/no) from beta_{t+1} (ce/co), times f.
 * Returns the row's sum. */
static inline double TFN(ctc_bwd_step_r)(const TFN(ctc_seq) *q, int64_t t, const double *restrict cb,
                                       double *restrict nb, double f) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, SE = y->V, SO = y->SO;
    const double *restrict sk = q->w + y->SK;
    const ctc_band b = ctc_band_at(t, q->Tn, S);
    const double *restrict E1 = q->w + y->E + (t + 1) * y->ES;
    const double eb1 = E1[SO + CTC_EB];
    const double *restrict ce = cb, *restrict co = cb + SE;
    double *restrict ne = nb, *restrict no = nb + SE;
    double de = 0.0, dn = 0.0;
    const int64_t eh = b.beh < S ? b.beh : S - 1;
#pragma omp simd reduction(+:de)
    for (int64_t k = b.bel; k <= eh; k++) {
        double v = (ce[k] * eb1 + co[k] * E1[k]) * f;
        ne[k] = v; de += v;
    }
    if (b.beh == S) { ne[S] = ce[S] * eb1 * f; de += ne[S]; }
    if (S > 0) {
        const int64_t oh = b.boh < S - 1 ? b.boh : S - 2;
#pragma omp simd reduction(+:dn)
        for (int64_t k = b.bol; k <= oh; k++) {
            double v = (co[k] * E1[k] + ce[k + 1] * eb1 + sk[k + 1] * co[k + 1] * E1[k + 1]) * f;
            no[k] = v; dn += v;
        }
        if (b.boh == S - 1) {
            double v = (co[S - 1] * E1[S - 1] + ce[S] * eb1) * f;
            no[S - 1] = v; dn += v;
        }
    }
    /* the previous step reads one state below the band */
    if (b.bel > 0) ne[b.bel - 1] = 0.0;
    if (b.bol > 0) no[b.bol - 1] = 0.0;
    return de + dn;
}

/* Posterior at t from the alpha row and beta row; writes the gradient row
 * (tmp: TMP region of a thread).  Returns 1 when log P disagrees. */
static inline int TFN(ctc_post_r)(const TFN(ctc_seq) *q, int64_t t, const double *restrict bt,
                                double logD_t, double logP, double *restrict tmp) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, SE = y->V;
    const ctc_band b = ctc_band_at(t, q->Tn, S);
    const double *restrict ae_t = q->w + y->A + t * y->RS;
    const double *restrict ao_t = ae_t + SE;
    const double *restrict be = bt, *restrict bo = bt + SE;
    double *restrict post = tmp;
    double *restrict po = tmp + ctc_r8(q->C);
    double ze = 0.0, zo = 0.0;
#pragma omp simd reduction(+:ze)
    for (int64_t k = b.bel; k <= b.beh; k++) ze += ae_t[k] * be[k];
#pragma omp simd reduction(+:zo)
    for (int64_t k = b.bol; k <= b.boh; k++) { double v = ao_t[k] * bo[k]; po[k] = v; zo += v; }
    const double Z = ze + zo;
    if (!(Z >= DBL_MIN)) return 1;
    const double logC_t = q->w[y->E + t * y->ES + y->SO + CTC_LOGC];
    const double tol = LE_CTC_TOL * (1.0 + fabs(logP));
    if (!(fabs(le_log(Z) + logC_t + logD_t - logP) <= tol)) return 1;
    if (q->grad) TFN(ctc_grad_row)(q, t, ze, po, b.bol, b.boh, 1.0 / Z, post);
    return 0;
}

/* P once more from the backward recursion alone (beta_0 and the emissions at
 * 0): catches alignments the forward recursion lost at t = 0, which every
 * alpha_t then lacks. */
static inline int TFN(ctc_check_start_r)(const TFN(ctc_seq) *q, const double *restrict b0,
                                       double logD_0, double logP) {
    const ctc_lay *y = q->y;
    const double *E0 = q->w + y->E;
    const double Pb = E0[y->SO + CTC_EB] * b0[0] + (q->S > 0 ? E0[0] * b0[y->V] : 0.0);
    if (!(Pb >= DBL_MIN)) return 1;
    const double tol = LE_CTC_TOL * (1.0 + fabs(logP));
    return !(fabs(log(Pb) + E0[y->SO + CTC_M] + logD_0 - logP) <= tol);
}

/* The whole sequence on one thread (backward fused with the posterior). */
static int TFN(ctc_seq_prob_r)(const TFN(ctc_seq) *q, double *loss) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, SE = y->V, ES = y->ES, SO = y->SO;
    double *w = q->w;
    const double LN2 = 0.693147180559945309417;
    TFN(ctc_emit_r)(q, 0, Tn, w + y->TMP);
    double logP;
    if (TFN(ctc_fwd_r)(q, &logP)) return 1;
    double *restrict bc = w + y->B0;
    double *restrict bn = w + y->B1;
    TFN(ctc_beta_init_r)(bc, S, SE);
    double logD = 0.0, f = 1.0;
    int64_t fe = 0;
    for (int64_t t = Tn - 1; t >= 0; t--) {
        if (t < Tn - 1) {
            const double d = TFN(ctc_bwd_step_r)(q, t, bc, bn, f);
            if (!(d >= DBL_MIN && d <= DBL_MAX)) return 1;
            logD += w[y->E + (t + 1) * ES + SO + CTC_M] + (double)fe * LN2;
            fe = ctc_exponent(d);
            f = ctc_pow2m(fe);
            double *tmp = bc; bc = bn; bn = tmp;
        }
        if (TFN(ctc_post_r)(q, t, bc, logD, logP, w + y->TMP)) return 1;
    }
    if (TFN(ctc_check_start_r)(q, bc, logD, logP)) return 1;
    *loss = -logP;
    return 0;
}

/* Backward storing every beta row (BA) and its log scale (two-thread schedule). */
static int TFN(ctc_bwd_store_r)(const TFN(ctc_seq) *q) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, AS = y->RS, ES = y->ES, SO = y->SO;
    double *w = q->w;
    const double LN2 = 0.693147180559945309417;
    double *bc = w + y->BA + (Tn - 1) * AS;
    TFN(ctc_beta_init_r)(bc, S, y->V);
    double logD = 0.0, f = 1.0;
    int64_t fe = 0;
    w[y->E + (Tn - 1) * ES + SO + CTC_LOGD] = 0.0;
    for (int64_t t = Tn - 2; t >= 0; t--) {
        double *bn = w + y->BA + t * AS;
        const double d = TFN(ctc_bwd_step_r)(q, t, bc, bn, f);
        if (!(d >= DBL_MIN && d <= DBL_MAX)) return 1;
        logD += w[y->E + (t + 1) * ES + SO + CTC_M] + (double)fe * LN2;
        w[y->E + t * ES + SO + CTC_LOGD] = logD;
        fe = ctc_exponent(d);
        f = ctc_pow2m(fe);
        bc = bn;
    }
    return 0;
}

/* ---- probability space, in phases ------------------------------------------
 * 1. emissions of steps [t0, t1): E_t[k] = exp(lp[t, l_k] - m_t), m_t the
 *    largest log-probability used at t (or of the row);
 * 2. forward: alpha rows; each block of 8 states keeps its own binary
 *    exponent (a block takes the larger exponent of itself and its left
 *    neighbour, which feeds it, then renormalises to a largest value in
 *    [1, 2)), so states far apart may differ by any factor;
 * 3. backward: beta rows (exclusive of the emission at t), likewise;
 * 4. posterior at t: alpha_t * beta_t -> gradient row, and the check that
 *    log sum_s alpha_t beta_t equals log P.
 * One thread runs them in turn, fusing 3 and 4; for a batch smaller than the
 * thread count, 1 and 4 are split over the steps and 2 and 3 run side by
 * side.  Every value is computed by the same expression either way, so the
 * results do not depend on the schedule.  A phase returning 1 sends the
 * sequence to the log-space path. */
static void TFN(ctc_emit)(const TFN(ctc_seq) *q, int64_t t0, int64_t t1, double *restrict er) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, ES = y->ES, SO = y->SO, C = q->C;
    const int64_t *l = q->l;
    for (int64_t t = t0; t < t1; t++) {
        const T *row = TFN(ctc_row)(q, t);
        double *restrict E = q->w + y->E + t * ES;
        const double lb = (double)row[q->blank];
        double m = lb, eb;
        if (C < S) {
            /* fewer classes than labels: exponentiate the row, then gather */
            T mr = row[q->blank];
#pragma omp simd reduction(max:mr)
            for (int64_t c = 0; c < C; c++) mr = row[c] > mr ? row[c] : mr;
            m = (double)mr;
            if (m == -(double)INFINITY) m = 0.0;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) er[c] = le_exp((double)row[c] - m);
            for (int64_t k = 0; k < S; k++) E[k] = er[l[k]];
            eb = er[q->blank];
        } else {
            double m2 = m;
            int64_t k = 0;
            for (; k + 1 < S; k += 2) {
                const double v0 = (double)row[l[k]], v1 = (double)row[l[k + 1]];
                E[k] = v0; E[k + 1] = v1;
                m = v0 > m ? v0 : m;
                m2 = v1 > m2 ? v1 : m2;
            }
            if (k < S) { const double v0 = (double)row[l[k]]; E[k] = v0; m = v0 > m ? v0 : m; }
            m = m2 > m ? m2 : m;
            if (m == -(double)INFINITY) m = 0.0;
#pragma omp simd
            for (int64_t j = 0; j < S; j++) E[j] = le_exp(E[j] - m);
            eb = le_exp(lb - m);
        }
        for (int64_t k = S; k < SO + 8; k++) E[k] = 0.0;
        E[SO + CTC_EB] = eb;
        E[SO + CTC_M] = m;
    }
}

/* Forward.  Returns 0 and log P, or 1. */
static int TFN(ctc_fwd)(const TFN(ctc_seq) *q, double *logP_out) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, V = y->V, RS = y->RS, ES = y->ES, SO = y->SO;
    const int64_t NB = y->NB;
    double *w = q->w;
    const double *restrict sk = w + y->SK;
    const double NINF = -(double)INFINITY;
    double logM = 0.0;
    for (int64_t t = 0; t < Tn; t++) {
        const double *restrict E = w + y->E + t * ES;
        const double eb = E[SO + CTC_EB];
        logM += E[SO + CTC_M];
        w[y->E + t * ES + SO + CTC_LOGC] = logM;
        double *restrict ae = w + y->A + t * RS;
        double *restrict ao = ae + V;
        double *restrict R = ae + 2 * V;
        /* blocks holding states reachable at t: 8j <= t */
        const int64_t jmax = (t >> 3) < NB - 1 ? (t >> 3) : NB - 1;
        int alive = 0;
        if (t == 0) {
            ctc_block_zero(ae, ao);
            ae[0] = eb;
            if (S > 0) ao[0] = E[0];
            const double mx = ae[0] > ao[0] ? ae[0] : ao[0];
            if (!(mx <= DBL_MAX)) return 1;
            R[0] = ctc_block_norm(ae, ao, mx, 0.0);
            alive = R[0] > NINF;
        } else {
            const double *restrict pe = ae - RS;
            const double *restrict po = ao - RS;
            const double *restrict PR = R - RS;
            for (int64_t j = 0; j <= jmax; j++) {
                const double Rp = PR[j], Rl = j > 0 ? PR[j - 1] : NINF;
                const double Rn = Rp > Rl ? Rp : Rl;
                const int64_t k0 = 8 * j;
                if (Rn == NINF) { ctc_block_zero(ae + k0, ao + k0); R[j] = NINF; continue; }
                const double fa = ctc_pow2(Rp - Rn), fb = ctc_pow2(Rl - Rn);
                double mx = 0.0;
#pragma omp simd reduction(max:mx)
                for (int64_t i = 0; i < 8; i++) {
                    const int64_t k = k0 + i;
                    const double pek = pe[k] * fa, pok = po[k] * fa;
                    const double pm = po[k - 1] * (i == 0 ? fb : fa);
                    const double ek = k < S ? E[k] : 0.0;
                    double ve = (pek + pm) * eb;
                    ve = k <= S ? ve : 0.0;
                    const double vo = (pok + pek + sk[k] * pm) * ek;
                    ae[k] = ve; ao[k] = vo;
                    const double v = ve > vo ? ve : vo;
                    mx = v > mx ? v : mx;
                }
                /* NaN / inf reach log P, where they are caught */
                R[j] = ctc_block_norm(ae + k0, ao + k0, mx, Rn);
                alive |= R[j] > NINF;
            }
        }
        for (int64_t j = jmax + 1; j < NB; j++) { ctc_block_zero(ae + 8 * j, ao + 8 * j); R[j] = NINF; }
        ctc_block_zero(ae + y->SE, ao + y->SE);
        if (!alive) return 1;
    }
    const double *ae = w + y->A + (Tn - 1) * RS;
    const double *R = ae + 2 * V;
    const double Ra = R[S >> 3], Rb = S > 0 ? R[(S - 1) >> 3] : NINF;
    const double Rm = Ra > Rb ? Ra : Rb;
    if (Rm == NINF) return 1;
    const double fin = ae[S] * ctc_pow2(Ra - Rm) + (S > 0 ? ae[V + S - 1] * ctc_pow2(Rb - Rm) : 0.0);
    if (!(fin >= DBL_MIN && fin <= DBL_MAX)) return 1;
    *logP_out = logM + log(fin) + Rm * 0.693147180559945309417;
    return 0;
}

/* beta at the last step: 1 at the two final states. */
static inline void TFN(ctc_beta_init)(double *restrict b, const ctc_lay *y, int64_t S) {
    const int64_t V = y->V;
    double *R = b + 2 * V;
    for (int64_t k = 0; k < 2 * V; k++) b[k] = 0.0;
    for (int64_t j = 0; j < y->NB; j++) R[j] = -(double)INFINITY;
    b[S] = 1.0;
    R[S >> 3] = 0.0;
    if (S > 0) { b[V + S - 1] = 1.0; R[(S - 1) >> 3] = 0.0; }
}

/* One backward step: beta_t (row nb) from beta_{t+1} (row cb).  Returns 0,
 * or 1 (non-finite values, or no mass left). */
static inline int TFN(ctc_bwd_step)(const TFN(ctc_seq) *q, int64_t t, const double *restrict cb,
                                    double *restrict nb) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, V = y->V, NB = y->NB, SO = y->SO;
    const double NINF = -(double)INFINITY;
    const double *restrict sk = q->w + y->SK;
    const double *restrict E1 = q->w + y->E + (t + 1) * y->ES;
    const double eb1 = E1[SO + CTC_EB];
    const double *restrict ce = cb, *restrict co = cb + V, *restrict CR = cb + 2 * V;
    double *restrict ne = nb, *restrict no = nb + V, *restrict NR = nb + 2 * V;
    /* blocks holding states that can still reach the end: k >= S-1-(Tn-1-t) */
    const int64_t lo = S - 1 - (q->Tn - 1 - t) > 0 ? S - 1 - (q->Tn - 1 - t) : 0;
    const int64_t jmin = lo >> 3;
    int alive = 0;
    for (int64_t j = 0; j < jmin; j++) { ctc_block_zero(ne + 8 * j, no + 8 * j); NR[j] = NINF; }
    for (int64_t j = jmin; j < NB; j++) {
        const double Rp = CR[j], Rr = j + 1 < NB ? CR[j + 1] : NINF;
        const double Rn = Rp > Rr ? Rp : Rr;
        const int64_t k0 = 8 * j;
        if (Rn == NINF) { ctc_block_zero(ne + k0, no + k0); NR[j] = NINF; continue; }
        const double fa = ctc_pow2(Rp - Rn), fb = ctc_pow2(Rr - Rn);
        double mx = 0.0;
#pragma omp simd reduction(max:mx)
        for (int64_t i = 0; i < 8; i++) {
            const int64_t k = k0 + i;
            const double fn = i == 7 ? fb : fa;
            const double cek = ce[k] * fa, cok = co[k] * fa;
            const double cek1 = ce[k + 1] * fn, cok1 = co[k + 1] * fn;
            const double ek = E1[k], ek1 = E1[k + 1];     /* 0 beyond the labels */
            double ve = cek * eb1 + cok * ek;
            ve = k <= S ? ve : 0.0;
            const double vo = cok * ek + cek1 * eb1 * (k < S ? 1.0 : 0.0) + sk[k + 1] * cok1 * ek1;
            ne[k] = ve; no[k] = vo;
            const double v = ve > vo ? ve : vo;
            mx = v > mx ? v : mx;
        }
        NR[j] = ctc_block_norm(ne + k0, no + k0, mx, Rn);
        alive |= NR[j] > NINF;
    }
    ctc_block_zero(ne + y->SE, no + y->SE);
    return !alive;
}

/* Posterior at t from the alpha row and beta row bt (log scale logD_t besides
 * its exponents); writes the gradient row (tmp: a thread's TMP region).
 * Returns 1 when log P disagrees. */
static inline int TFN(ctc_post)(const TFN(ctc_seq) *q, int64_t t, const double *restrict bt,
                                double logD_t, double logP, double *restrict tmp) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, V = y->V, NB = y->NB;
    const double NINF = -(double)INFINITY;
    const double *restrict ae = q->w + y->A + t * y->RS;
    const double *restrict ao = ae + V, *restrict RA = ae + 2 * V;
    const double *restrict be = bt, *restrict bo = bt + V, *restrict RB = bt + 2 * V;
    double *restrict post = tmp;
    double *restrict po = tmp + ctc_r8(q->C);
    double Rmax = NINF;
    for (int64_t j = 0; j < NB; j++) { const double r = RA[j] + RB[j]; Rmax = r > Rmax ? r : Rmax; }
    if (Rmax == NINF) return 1;
    double *restrict wl = po + y->SE;   /* block weight of every lane */
    for (int64_t j = 0; j < NB; j++) {
        const double wj = ctc_pow2(RA[j] + RB[j] - Rmax);
        for (int64_t i = 0; i < 8; i++) wl[8 * j + i] = wj;
    }
    const int64_t SE = y->SE;
    double ze = 0.0, zo = 0.0;
#pragma omp simd reduction(+:ze, zo)
    for (int64_t k = 0; k < SE; k++) {
        const double pe = ae[k] * be[k] * wl[k], pv = ao[k] * bo[k] * wl[k];
        po[k] = pv; ze += pe; zo += pv;
    }
    const double Z = ze + zo;
    if (!(Z >= DBL_MIN && Z <= DBL_MAX)) return 1;
    const double logC_t = q->w[y->E + t * y->ES + y->SO + CTC_LOGC];
    const double tol = LE_CTC_TOL * (1.0 + fabs(logP));
    if (!(fabs(le_log(Z) + Rmax * 0.693147180559945309417 + logC_t + logD_t - logP) <= tol))
        return 1;
    if (q->grad) TFN(ctc_grad_row)(q, t, ze, po, 0, S - 1, 1.0 / Z, post);
    return 0;
}

/* P once more from the backward recursion alone (beta_0 and the emissions at
 * 0): catches alignments the forward recursion lost at t = 0, which every
 * alpha_t then lacks. */
static inline int TFN(ctc_check_start)(const TFN(ctc_seq) *q, const double *restrict b0,
                                       double logD_0, double logP) {
    const ctc_lay *y = q->y;
    const double *E0 = q->w + y->E;
    const double R0 = b0[2 * y->V];
    const double Pb = E0[y->SO + CTC_EB] * b0[0] + (q->S > 0 ? E0[0] * b0[y->V] : 0.0);
    if (R0 == -(double)INFINITY || !(Pb >= DBL_MIN)) return 1;
    const double tol = LE_CTC_TOL * (1.0 + fabs(logP));
    return !(fabs(log(Pb) + R0 * 0.693147180559945309417 + E0[y->SO + CTC_M] + logD_0 - logP)
             <= tol);
}

/* The whole sequence on one thread (backward fused with the posterior). */
static int TFN(ctc_seq_prob)(const TFN(ctc_seq) *q, double *loss) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, ES = y->ES, SO = y->SO;
    double *w = q->w;
    TFN(ctc_emit)(q, 0, Tn, w + y->TMP);
    double logP;
    if (TFN(ctc_fwd)(q, &logP)) return 1;
    double *restrict bc = w + y->B0;
    double *restrict bn = w + y->B1;
    TFN(ctc_beta_init)(bc, y, S);
    double logD = 0.0;
    for (int64_t t = Tn - 1; t >= 0; t--) {
        if (t < Tn - 1) {
            if (TFN(ctc_bwd_step)(q, t, bc, bn)) return 1;
            logD += w[y->E + (t + 1) * ES + SO + CTC_M];
            double *tmp = bc; bc = bn; bn = tmp;
        }
        if (TFN(ctc_post)(q, t, bc, logD, logP, w + y->TMP)) return 1;
    }
    if (TFN(ctc_check_start)(q, bc, logD, logP)) return 1;
    *loss = -logP;
    return 0;
}

/* Backward storing every beta row (BA) and its log scale (two-thread schedule). */
static int TFN(ctc_bwd_store)(const TFN(ctc_seq) *q) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, RS = y->RS, ES = y->ES, SO = y->SO;
    double *w = q->w;
    double *bc = w + y->BA + (Tn - 1) * RS;
    TFN(ctc_beta_init)(bc, y, S);
    double logD = 0.0;
    w[y->E + (Tn - 1) * ES + SO + CTC_LOGD] = 0.0;
    for (int64_t t = Tn - 2; t >= 0; t--) {
        double *bn = w + y->BA + t * RS;
        if (TFN(ctc_bwd_step)(q, t, bc, bn)) return 1;
        logD += w[y->E + (t + 1) * ES + SO + CTC_M];
        w[y->E + t * ES + SO + CTC_LOGD] = logD;
        bc = bn;
    }
    return 0;
}

/* Log space: no range limit.  Returns the loss (+inf when no alignment has
 * non-zero probability, NaN from NaN inputs); gradient rows written when the
 * loss is finite (the caller handles the others).  Single thread. */
static double TFN(ctc_seq_log)(const TFN(ctc_seq) *q) {
    const ctc_lay *y = q->y;
    const int64_t S = q->S, Tn = q->Tn, V = y->V, RS = y->RS, ES = y->ES, SO = y->SO;
    const int64_t *l = q->l;
    double *w = q->w;
    const double *restrict sk = w + y->SK;
    const double NINF = -(double)INFINITY;

    for (int64_t t = 0; t < Tn; t++) {
        const T *row = TFN(ctc_row)(q, t);
        double *restrict E = w + y->E + t * ES;
        for (int64_t k = 0; k < S; k++) E[k] = (double)row[l[k]];
        const double eb = (double)row[q->blank];
        E[SO] = eb;
        double *restrict ae = w + y->A + t * RS;
        double *restrict ao = ae + V;
        if (t == 0) {
            for (int64_t k = 0; k <= S; k++) ae[k] = NINF;
            for (int64_t k = 0; k < S; k++) ao[k] = NINF;
            ae[0] = eb;
            if (S > 0) ao[0] = E[0];
        } else {
            const double *restrict pe = ae - RS;
            const double *restrict po = ao - RS;
            ae[0] = pe[0] + eb;
#pragma omp simd
            for (int64_t k = 1; k <= S; k++) ae[k] = ctc_lse2(pe[k], po[k - 1]) + eb;
            if (S > 0) {
                ao[0] = ctc_lse2(po[0], pe[0]) + E[0];
#pragma omp simd
                for (int64_t k = 1; k < S; k++)
                    ao[k] = ctc_lse3(po[k], pe[k], sk[k] != 0.0 ? po[k - 1] : NINF) + E[k];
            }
        }
    }
    const double *ae = w + y->A + (Tn - 1) * RS;
    const double logP = S > 0 ? ctc_lse2(ae[S], ae[V + S - 1]) : ae[0];
    if (!(logP > NINF && logP < (double)INFINITY)) return -logP;  /* +inf, or NaN */
    if (!q->grad) return -logP;

    double *restrict bc = w + y->B0;
    double *restrict bn = w + y->B1;
    double *restrict post = w + y->TMP;
    for (int64_t k = 0; k < 2 * V; k++) bc[k] = NINF;
    bc[S] = 0.0;
    if (S > 0) bc[V + S - 1] = 0.0;
    for (int64_t t = Tn - 1; t >= 0; t--) {
        if (t < Tn - 1) {
            const double *restrict E1 = w + y->E + (t + 1) * ES;
            const double eb1 = E1[SO];
            const double *restrict ce = bc, *restrict co = bc + V;
            double *restrict ne = bn, *restrict no = bn + V;
#pragma omp simd
            for (int64_t k = 0; k < S; k++) ne[k] = ctc_lse2(ce[k] + eb1, co[k] + E1[k]);
            ne[S] = ce[S] + eb1;
            if (S > 0) {
#pragma omp simd
                for (int64_t k = 0; k < S - 1; k++)
                    no[k] = ctc_lse3(co[k] + E1[k], ce[k + 1] + eb1,
                                     sk[k + 1] != 0.0 ? co[k + 1] + E1[k + 1] : NINF);
                no[S - 1] = ctc_lse2(co[S - 1] + E1[S - 1], ce[S] + eb1);
            }
            double *tmp = bc; bc = bn; bn = tmp;
        }
        const double *restrict ae_t = w + y->A + t * RS;
        const double *restrict ao_t = ae_t + V;
        const double *restrict be = bc, *restrict bo = bc + V;
        double *restrict pe = bn, *restrict po = bn + V;
        double mx = NINF;
#pragma omp simd
        for (int64_t k = 0; k <= S; k++) pe[k] = ae_t[k] + be[k];
#pragma omp simd
        for (int64_t k = 0; k < S; k++) po[k] = ao_t[k] + bo[k];
#pragma omp simd reduction(max:mx)
        for (int64_t k = 0; k <= S; k++) mx = pe[k] > mx ? pe[k] : mx;
#pragma omp simd reduction(max:mx)
        for (int64_t k = 0; k < S; k++) mx = po[k] > mx ? po[k] : mx;
        if (mx == NINF) mx = 0.0;
        double ze = 0.0, zo = 0.0;
#pragma omp simd reduction(+:ze)
        for (int64_t k = 0; k <= S; k++) ze += le_exp(pe[k] - mx);
#pragma omp simd reduction(+:zo)
        for (int64_t k = 0; k < S; k++) { double v = le_exp(po[k] - mx); po[k] = v; zo += v; }
        TFN(ctc_grad_row)(q, t, ze, po, 0, S - 1, 1.0 / (ze + zo), post);
    }
    return -logP;
}

/* Loss bookkeeping shared by both schedules: infinite / NaN losses and the
 * gradient rows they imply, zero rows for t >= input length. */
static void TFN(ctc_finish)(const TFN(ctc_seq) *q, int64_t Tmax, int zero_infinity, double *loss) {
    T *g = q->grad;
    const int64_t N = q->N, C = q->C, n = q->n, Tn = q->Tn;
    if (*loss == (double)INFINITY) {
        if (zero_infinity) *loss = 0.0;
        if (g) {
            const T fill = zero_infinity ? (T)0 : (T)NAN;
            for (int64_t t = 0; t < Tn; t++) {
                T *gr = g + (t * N + n) * C;
                for (int64_t c = 0; c < C; c++) gr[c] = fill;
            }
        }
    } else if (*loss != *loss && g) {
        for (int64_t t = 0; t < Tn; t++) {
            T *gr = g + (t * N + n) * C;
            for (int64_t c = 0; c < C; c++) gr[c] = (T)NAN;
        }
    }
    if (g)
        for (int64_t t = Tn; t < Tmax; t++) memset(g + (t * N + n) * C, 0, (size_t)C * sizeof(T));
}

int TFN(le_ctc)(le_ctc_args *a) {
    const int64_t Tmax = a->T_max, N = a->N, C = a->C, blank = a->blank;
    const int64_t *tg = a->targets, *off = a->tgt_off, *il = a->in_len, *tl = a->tgt_len;
    const T *go = (const T *)a->go;
    T *g = (T *)a->grad;
    a->n_log_path = 0;

    /* Lengths, then targets, are checked before anything is read through them
     * or written. */
    for (int64_t n = 0; n < N; n++) {
        if (il[n] < 0 || il[n] > Tmax) { a->bad_sample = n; return LE_CTC_ERR_INPUT_LEN; }
        if (tl[n] < 0 || (a->S_pad >= 0 && tl[n] > a->S_pad)) {
            a->bad_sample = n;
            return LE_CTC_ERR_TARGET_LEN;
        }
    }
    int64_t work = 0;
    for (int64_t n = 0; n < N; n++) {
        const int64_t *l = tg + off[n];
        for (int64_t k = 0; k < tl[n]; k++) {
            const int64_t v = l[k];
            if (v < 0 || v >= C) { a->bad_sample = n; a->bad_pos = k; return LE_CTC_ERR_TARGET_RANGE; }
            if (v == blank) { a->bad_sample = n; a->bad_pos = k; return LE_CTC_ERR_TARGET_BLANK; }
        }
        work += il[n] * (2 * tl[n] + 1 + C);
    }
    const int nt = le_threads_for(work, a->n_threads);
    /* a batch smaller than the thread count: each sequence on all threads */
    const int split = nt > 1 && N < nt;
    int64_t need = 8, need_seq = 8;
    for (int64_t n = 0; n < N; n++) {
        ctc_lay y;
        const int64_t sz = ctc_layout(il[n], tl[n], C, split, &y);
        if (sz > need_seq) need_seq = sz;
    }
    need = split ? 8 : need_seq;
    if (split) {    /* per-thread part: TMP of the largest layout */
        for (int64_t n = 0; n < N; n++) {
            ctc_lay y;
            ctc_layout(il[n], tl[n], C, split, &y);
            if (y.total - y.TMP > need) need = y.total - y.TMP;
        }
    }
    double *lossd = (double *)malloc((size_t)(N > 0 ? N : 1) * sizeof(double));
    double *wseq = NULL;
    if (split && posix_memalign((void **)&wseq, 64, (size_t)need_seq * sizeof(double)) != 0)
        wseq = NULL;
    if (!lossd || (split && !wseq)) { free(lossd); free(wseq); return LE_ERR_NOMEM; }
    const int red = a->reduction;
    int failed = 0, bad_sh = 0;
    double logP_sh = 0.0;
    int64_t nlog = 0;

#pragma omp parallel num_threads(nt) reduction(+:nlog)
    {
        unsigned int csr;
        CTC_FTZ_ON(csr);
        double *w = NULL;
        if (posix_memalign((void **)&w, 64, (size_t)need * sizeof(double)) != 0) w = NULL;
        if (!w) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp barrier
        if (!split) {
#pragma omp for schedule(dynamic, 1)
            for (int64_t n = 0; n < N; n++) {
                if (failed) continue;
                const int64_t Tn = il[n], S = tl[n];
                const int64_t *l = tg + off[n];
                ctc_lay y;
                ctc_layout(Tn, S, C, 0, &y);
                double sc = a->go_scalar;
                if (red == LE_RED_NONE && go) sc = (double)go[n];
                if (red == LE_RED_MEAN) sc = sc / ((double)(S > 1 ? S : 1) * (double)N);
                TFN(ctc_seq) q = {(const T *)a->lp, N, C, blank, n, Tn, S, l, sc, a->grad_logits,
                                  g, w, &y};
                double loss;
                if (Tn == 0) {
                    loss = S == 0 ? 0.0 : (double)INFINITY;
                } else if (Tn < ctc_min_len(l, S)) {
                    loss = (double)INFINITY;
                } else {
                    ctc_skip_mask(w + y.SK, l, S, y.SE + 8);
                    if (a->force_log == 1 ||
                        ((a->force_log == 2 || TFN(ctc_seq_prob_r)(&q, &loss) != 0) &&
                         TFN(ctc_seq_prob)(&q, &loss) != 0)) {
                        loss = TFN(ctc_seq_log)(&q);
                        nlog++;
                    }
                }
                TFN(ctc_finish)(&q, Tmax, a->zero_infinity, &loss);
                lossd[n] = loss;
            }
        } else {
            for (int64_t n = 0; n < N; n++) {
                if (failed) break;          /* same value on every thread after the barrier */
                const int64_t Tn = il[n], S = tl[n];
                const int64_t *l = tg + off[n];
                ctc_lay y;
                ctc_layout(Tn, S, C, 1, &y);
                double sc = a->go_scalar;
                if (red == LE_RED_NONE && go) sc = (double)go[n];
                if (red == LE_RED_MEAN) sc = sc / ((double)(S > 1 ? S : 1) * (double)N);
                TFN(ctc_seq) q = {(const T *)a->lp, N, C, blank, n, Tn, S, l, sc, a->grad_logits,
                                  g, wseq, &y};
                double *tmp = w;    /* this thread's TMP */
                const int trivial = Tn == 0 || Tn < ctc_min_len(l, S);
                const int prob = !trivial && a->force_log != 1;
                if (prob) {
#pragma omp single
                    { ctc_skip_mask(wseq + y.SK, l, S, y.SE + 8); bad_sh = 1; }
                    /* one factor per step first, then per-block exponents */
                    for (int meth = a->force_log == 2; meth < 2 && bad_sh; meth++) {
#pragma omp barrier
#pragma omp single
                        bad_sh = 0;
#pragma omp for schedule(static)
                        for (int64_t t = 0; t < Tn; t++) {
                            if (meth == 0) TFN(ctc_emit_r)(&q, t, t + 1, tmp);
                            else TFN(ctc_emit)(&q, t, t + 1, tmp);
                        }
#pragma omp sections reduction(|:bad_sh)
                        {
#pragma omp section
                            bad_sh |= meth == 0 ? TFN(ctc_fwd_r)(&q, &logP_sh) : TFN(ctc_fwd)(&q, &logP_sh);
#pragma omp section
                            bad_sh |= meth == 0 ? TFN(ctc_bwd_store_r)(&q) : TFN(ctc_bwd_store)(&q);
                        }
#pragma omp single
                        {
                            if (!bad_sh) {
                                const double d0 = wseq[y.E + y.SO + CTC_LOGD];
                                bad_sh = meth == 0
                                    ? TFN(ctc_check_start_r)(&q, wseq + y.BA, d0, logP_sh)
                                    : TFN(ctc_check_start)(&q, wseq + y.BA, d0, logP_sh);
                            }
                        }
                        if (!bad_sh) {
#pragma omp for schedule(static) reduction(|:bad_sh)
                            for (int64_t t = 0; t < Tn; t++) {
                                const double *bt = wseq + y.BA + t * y.RS;
                                const double dt = wseq[y.E + t * y.ES + y.SO + CTC_LOGD];
                                bad_sh |= meth == 0 ? TFN(ctc_post_r)(&q, t, bt, dt, logP_sh, tmp)
                                                    : TFN(ctc_post)(&q, t, bt, dt, logP_sh, tmp);
                            }
                        }
                    }
                }
#pragma omp single
                {
                    double loss;
                    if (Tn == 0) {
                        loss = S == 0 ? 0.0 : (double)INFINITY;
                    } else if (Tn < ctc_min_len(l, S)) {
                        loss = (double)INFINITY;
                    } else if (prob && !bad_sh) {
                        loss = -logP_sh;
                    } else {
                        ctc_skip_mask(wseq + y.SK, l, S, y.SE + 8);
                        loss = TFN(ctc_seq_log)(&q);
                        nlog++;
                    }
                    TFN(ctc_finish)(&q, Tmax, a->zero_infinity, &loss);
                    lossd[n] = loss;
                }
            }
        }
        free(w);
        CTC_FTZ_OFF(csr);
    }
    free(wseq);
    a->n_log_path = nlog;
    if (failed) { free(lossd); return LE_ERR_NOMEM; }
    if (red == LE_RED_NONE) {
        T *lo = (T *)a->loss;
        for (int64_t n = 0; n < N; n++) lo[n] = (T)lossd[n];
    } else {
        double s = 0.0;
        for (int64_t n = 0; n < N; n++)
            s += red == LE_RED_MEAN ? lossd[n] / (double)(tl[n] > 1 ? tl[n] : 1) : lossd[n];
        a->loss_value = red == LE_RED_MEAN ? s / (double)N : s;
    }
    free(lossd);
    return LE_OK;
}

#undef T
#undef TFN
#endif
