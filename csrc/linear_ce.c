/* Fused linear + cross-entropy (csrc/linear_ce.h).
 *
 * The logits L = X W^T + b, (N, V), are never stored whole: the rows go in
 * blocks of `nb` rows (LE_LCE_ROWS, fewer when nb.V numbers would pass
 * LE_LCE_BLOCK_BYTES), one block after the other, and a block keeps its own
 * logits, nb x V, while it is processed:
 *
 *  A. in parallel over vocabulary tiles: the tile's logits (one GEMM) into
 *     the block buffer, and per row and tile the max, the sum of exp and the
 *     sum of logits (label smoothing);
 *  then, per row, the tiles' partials merged in tile order: log-sum-exp, the
 *     loss (the target's logit is read from the buffer);
 *  B. in parallel over tiles: the tile turned into d loss / d logits in place,
 *     dW[tile] += dL[:, tile]^T X[block] (one GEMM, K = nb), dbias[tile] +=
 *     column sums;
 *  C. in parallel over fixed chunks of the D columns: dX[block] = dL W (one
 *     GEMM, K = V).
 *
 * So the gradient costs three GEMMs of N.V.D, the logits being computed once.
 * (Sweeping the vocabulary outermost with the whole N instead would need
 * them twice: the log-sum-exp of a row is known only after its last tile.)
 * Extra memory: nb.V numbers + a few per tile and row + V doubles for dbias.
 *
 * Determinism: blocks, tiles and D chunks are fixed by the sizes and `tile`,
 * never by the thread count; every output element of a step is written by
 * one task, dW and dbias accumulate over the blocks in block order, and every
 * BLAS call runs on one thread.  So results are bitwise the same for any
 * thread count.  Different `tile` values regroup the per-row sums: equal
 * within rounding, not bitwise.
 *
 * exp is the engine's own (le_math.h), as in cross_entropy.c.
 */
#ifndef LE_T
#include "le_common.h"
#include "le_math.h"
#include "linear_ce.h"
#include <stdlib.h>

/* Rows per block (the K of the dW GEMM), and the most bytes of logits a
 * block may hold (fewer rows for very large vocabularies, not below 16). */
#ifndef LE_LCE_ROWS
#define LE_LCE_ROWS 128
#endif
#define LE_LCE_BLOCK_BYTES (64.0 * 1024 * 1024)
/* dX columns per task. */
#define LE_LCE_DCOLS 256
/* Multiply-adds below which a call (or one tile of the gradient sweep) stays
 * on one thread. */
#define LE_LCE_PAR_MIN (double)(1 << 22)

#if LE_HAVE_OPENMP
static inline int le_lce_tid(void) { return omp_get_thread_num(); }
#else
static inline int le_lce_tid(void) { return 0; }
#endif

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf_sum
#define LE_GEMM_FN le_sgemm_fn
#include "linear_ce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_GEMM_FN

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp_sum
#define LE_GEMM_FN le_dgemm_fn
#include "linear_ce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_GEMM_FN

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* Column-major C (m x n, ldc) = op(A) op(B) + beta C through the caller's
 * BLAS.  Empty products are handled here: BLAS rejects leading dimensions
 * below 1, which K = D = 0 would give. */
static void TFN(lce_gemm)(void *gemm, char ta, char tb, int64_t m, int64_t n, int64_t k,
                          const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
                          T *C, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < m; i++)
                C[j * ldc + i] = beta == 0 ? (T)0 : beta * C[j * ldc + i];
        return;
    }
    int im = (int)m, in = (int)n, ik = (int)k, ilda = (int)lda, ildb = (int)ldb,
        ildc = (int)ldc;
    T alpha = 1, bt = beta;
    ((LE_GEMM_FN)gemm)(&ta, &tb, &im, &in, &ik, &alpha, (T *)A, &ilda, (T *)B, &ildb, &bt,
                       C, &ildc);
}

/* Logits of rows [r0, r0+nr) x columns [j0, j0+nv) into buf (row-major, ld ld). */
static void TFN(lce_logits)(const le_lce_args *a, int64_t r0, int64_t nr, int64_t j0,
                            int64_t nv, T *buf, int64_t ld) {
    const int64_t D = a->D;
    const T *X = (const T *)a->x, *W = (const T *)a->w, *b = (const T *)a->bias;
    /* L^T (nv x nr, column-major) = W[tile] (nv x D) . X[block]^T (D x nr) */
    TFN(lce_gemm)(a->gemm, 'T', 'N', nv, nr, D, W + j0 * D, D, X + r0 * D, D, 0, buf, ld);
    if (b) {
        for (int64_t i = 0; i < nr; i++) {
            T *row = buf + i * ld;
#pragma omp simd
            for (int64_t c = 0; c < nv; c++) row[c] += b[j0 + c];
        }
    }
}

static inline T TFN(lce_max)(const T *x, int64_t n) {
    T m = -(T)INFINITY;
#pragma omp simd reduction(max:m)
    for (int64_t c = 0; c < n; c++) m = x[c] > m ? x[c] : m;
    return m;
}

int TFN(le_lce)(le_lce_args *a) {
    const int64_t N = a->N, D = a->D, V = a->V;
    const int64_t vt = a->tile < 1 ? 1 : (a->tile > V ? V : a->tile);
    const double eps = a->label_smoothing;
    const int64_t *tg = a->target;
    const int64_t ii = a->ignore_index;
    const int grad = a->dx != NULL;
    a->loss_value = 0;
    a->count = 0;
    if (N <= 0 || V <= 0) return LE_OK;   /* the Python layer fills the outputs */

    const int64_t ntile = (V + vt - 1) / vt;
    int64_t nb = LE_LCE_ROWS;
    while (nb > 16 && (double)nb * (double)V * sizeof(T) > LE_LCE_BLOCK_BYTES) nb /= 2;
    if (nb > N) nb = N;
    const int64_t nblk = (N + nb - 1) / nb;
    const int64_t ndc = (D + LE_LCE_DCOLS - 1) / LE_LCE_DCOLS;
    /* Threads only where the GEMMs dwarf a parallel region's start-up
     * (LE_PAR_MIN is sized for elementwise work); results do not depend on it. */
    const double work = (double)nb * (double)V * (double)(D + 1);
    const int nt = work >= LE_LCE_PAR_MIN ? le_threads_for(INT64_MAX, a->n_threads) : 1;

    /* leading dimension of the block buffer: V rounded up to a cache line,
     * and off multiples of 4 KiB, whose rows would share cache sets */
    int64_t ldl = (V + 15) / 16 * 16;
    if ((ldl * (int64_t)sizeof(T)) % 4096 == 0) ldl += 16;
    T *lb = (T *)malloc((size_t)(nb * ldl) * sizeof(T));
    double *pm = (double *)malloc((size_t)(ntile * nb) * sizeof(double));
    double *ps = (double *)malloc((size_t)(ntile * nb) * sizeof(double));
    double *psl = (double *)malloc((size_t)(ntile * nb) * sizeof(double));
    double *lse = (double *)malloc((size_t)nb * sizeof(double));
    double *sc = (double *)malloc((size_t)nb * sizeof(double));
    double *dbacc = (grad && a->dbias) ? (double *)calloc((size_t)V, sizeof(double)) : NULL;
    if (!lb || !pm || !ps || !psl || !lse || !sc || (grad && a->dbias && !dbacc)) {
        free(lb); free(pm); free(ps); free(psl); free(lse); free(sc); free(dbacc);
        return LE_ERR_NOMEM;
    }
    double count = 0;
    for (int64_t r = 0; r < N; r++) count += tg[r] != ii;
    double total = 0;
    T *lossv = (T *)a->loss;
    const T *go = (const T *)a->go;
    const T *X = (const T *)a->x, *W = (const T *)a->w;
    T *dX = (T *)a->dx, *dW = (T *)a->dw, *dB = (T *)a->dbias;

    for (int64_t blk = 0; blk < nblk; blk++) {
        const int64_t r0 = blk * nb, nr = N - r0 < nb ? N - r0 : nb;

        /* A: logits of the block, partial max / sum of exp per tile and row */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
        for (int64_t t = 0; t < ntile; t++) {
            const int64_t j0 = t * vt, nv = V - j0 < vt ? V - j0 : vt;
            T *buf = lb + j0;
            TFN(lce_logits)(a, r0, nr, j0, nv, buf, ldl);
            for (int64_t i = 0; i < nr; i++) {
                const T *row = buf + i * ldl;
                const T mt = TFN(lce_max)(row, nv);
                /* all -inf: shift by 0 (the terms are then tiny or NaN, and
                 * are scaled away by any finite maximum at the merge) */
                const T sh = mt == -(T)INFINITY ? (T)0 : mt;
                T acc = 0;
#pragma omp simd reduction(+:acc)
                for (int64_t c = 0; c < nv; c++) acc += LE_EXPT(row[c] - sh);
                double sacc = 0;
                if (eps > 0) {
#pragma omp simd reduction(+:sacc)
                    for (int64_t c = 0; c < nv; c++) sacc += (double)row[c];
                }
                pm[t * nb + i] = (double)mt;
                ps[t * nb + i] = (double)acc;
                psl[t * nb + i] = sacc;
            }
        }

        /* merge the tiles per row, in tile order; the loss */
        for (int64_t i = 0; i < nr; i++) {
            const int64_t r = r0 + i;
            double M = -INFINITY;
            for (int64_t t = 0; t < ntile; t++) M = pm[t * nb + i] > M ? pm[t * nb + i] : M;
            double S = 0, SL = 0;
            for (int64_t t = 0; t < ntile; t++) {
                const double mg = pm[t * nb + i];
                S += ps[t * nb + i] * (mg == M ? 1.0 : exp(mg - M));
                SL += psl[t * nb + i];
            }
            const double ls = log(S);
            lse[i] = (M == -INFINITY ? 0.0 : M) + ls;
            double l = 0;
            if (tg[r] != ii) {
                /* targets were checked by the caller; never read outside the row */
                const int64_t y = tg[r] >= 0 && tg[r] < V ? tg[r] : 0;
                l = (M - (double)lb[i * ldl + y]) + ls;
                if (eps > 0) l = (1.0 - eps) * l + eps * ((M - SL / (double)V) + ls);
                total += l;
            }
            if (lossv) lossv[r] = (T)l;
            const double s = a->reduction == LE_RED_NONE ? (go ? (double)go[r] : a->go_scalar)
                           : a->reduction == LE_RED_MEAN ? a->go_scalar / count : a->go_scalar;
            sc[i] = tg[r] == ii ? 0.0 : s;
        }
        if (!grad) continue;

        /* B: d loss / d logits in place; dW[tile] (+)= dL[:, tile]^T X[block] */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
        for (int64_t t = 0; t < ntile; t++) {
            const int64_t j0 = t * vt, nv = V - j0 < vt ? V - j0 : vt;
            T *buf = lb + j0;
            for (int64_t i = 0; i < nr; i++) {
                T *row = buf + i * ldl;
                const double s = sc[i];
                if (s == 0) {
                    /* ignored row (or zero upstream gradient): exactly 0, even
                     * where its logits overflow */
                    for (int64_t c = 0; c < nv; c++) row[c] = 0;
                    continue;
                }
                const T l0 = (T)lse[i];
                const T ap = (T)s, b = (T)(s * eps / (double)V);
#pragma omp simd
                for (int64_t c = 0; c < nv; c++) row[c] = ap * LE_EXPT(row[c] - l0) - b;
                const int64_t y = tg[r0 + i];
                if (y >= j0 && y < j0 + nv) row[y - j0] -= (T)(s * (1.0 - eps));
            }
            /* dW[tile]^T (D x nv) (+)= X[block]^T (D x nr) . dL[:, tile] (nr x nv) */
            TFN(lce_gemm)(a->gemm, 'N', 'T', D, nv, nr, X + r0 * D, D, buf, ldl,
                          blk == 0 ? (T)0 : (T)1, dW + j0 * D, D);
            if (dbacc) {
                for (int64_t i = 0; i < nr; i++) {
                    const T *row = buf + i * ldl;
                    double *acc = dbacc + j0;
#pragma omp simd
                    for (int64_t c = 0; c < nv; c++) acc[c] += (double)row[c];
                }
            }
        }

        /* C: dX[block] = dL (nr x V) . W (V x D), in fixed chunks of columns */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
        for (int64_t dc = 0; dc < ndc; dc++) {
            const int64_t d0 = dc * LE_LCE_DCOLS;
            const int64_t md = D - d0 < LE_LCE_DCOLS ? D - d0 : LE_LCE_DCOLS;
            /* dX[block]^T rows d0.. (md x nr) = W^T rows d0.. (md x V) . dL^T (V x nr) */
            TFN(lce_gemm)(a->gemm, 'N', 'N', md, nr, V, W + d0, D, lb, ldl, 0,
                          dX + r0 * D + d0, D);
        }
    }
    a->count = count;
    a->loss_value = a->reduction == LE_RED_MEAN ? total / count : total;
    if (dbacc)
        for (int64_t j = 0; j < V; j++) dB[j] = (T)dbacc[j];
    free(lb); free(pm); free(ps); free(psl); free(lse); free(sc); free(dbacc);
    return LE_OK;
}

#undef T
#undef TFN
#endif
