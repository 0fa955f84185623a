# Bridge to csrc/optim.c (lossengine.optim).  The per-parameter work of a
# step (validation, state lookup, step-dependent scalars, overlap checks,
# pointer gathering) runs here in compiled code, so a model of many small
# arrays pays little per array; every check of a step is made before
# anything is written.
from libc.stdint cimport int64_t, intptr_t
from libc.stdlib cimport malloc, realloc, free, qsort
from libc.string cimport memcmp, memcpy
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.ref cimport PyObject
import numpy as _np_optim

cdef extern from "optim.h" nogil:
    ctypedef struct le_optim_args:
        int algo
        int64_t n_arrays
        void **p
        const void **g
        void **s0
        void **s1
        void **s2
        const int64_t *off
        const double *sc
        const int *flags
        const unsigned char *f64
        int n_threads
    int LE_OPT_NS
    int LE_OPTF_FRESH

cdef extern from "le_dispatch.h" nogil:
    int le_optim "LE_PICK(le_optim)"(const le_optim_args *a)
    int le_sparse_adam_f32 "LE_PICK(le_sparse_adam_f32)"(void *p, void *m, void *v,
            const int64_t *rows, const void *vals, int64_t n_rows, int64_t row_len,
            const double *sc, int n_threads)
    int le_sparse_adam_f64 "LE_PICK(le_sparse_adam_f64)"(void *p, void *m, void *v,
            const int64_t *rows, const void *vals, int64_t n_rows, int64_t row_len,
            const double *sc, int n_threads)

DEF OPT_NS = 12

ctypedef struct _ivl:
    intptr_t lo
    intptr_t hi
    int64_t who      # index into the caller's list of arrays


cdef int _ivl_cmp(const void *a, const void *b) noexcept nogil:
    cdef intptr_t x = (<const _ivl *>a).lo, y = (<const _ivl *>b).lo
    return (x > y) - (x < y)


cdef inline bint _bounds(cnp.ndarray a, intptr_t *lo, intptr_t *hi):
    """Byte range [lo, hi) spanned by a; False for an empty array."""
    cdef int nd = cnp.PyArray_NDIM(a), k
    cdef cnp.npy_intp *dims = cnp.PyArray_DIMS(a)
    cdef cnp.npy_intp *st = cnp.PyArray_STRIDES(a)
    cdef intptr_t base = <intptr_t>cnp.PyArray_DATA(a), l = 0, h = 0, ext
    for k in range(nd):
        if dims[k] == 0:
            return False
        ext = (dims[k] - 1) * st[k]
        if ext < 0:
            l += ext
        else:
            h += ext
    lo[0] = base + l
    hi[0] = base + h + cnp.PyArray_ITEMSIZE(a)
    return True


cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int nd = cnp.PyArray_NDIM(a), k
    if cnp.PyArray_NDIM(b) != nd:
        return False
    for k in range(nd):
        if cnp.PyArray_DIMS(a)[k] != cnp.PyArray_DIMS(b)[k]:
            return False
    return True


def _overlap_pairs(list arrays):
    """(i, j) of the first two arrays of the list that share memory, or None."""
    cdef Py_ssize_t n = len(arrays), i, k = 0
    cdef _ivl *iv = <_ivl *>malloc(max(n, 1) * sizeof(_ivl))
    cdef intptr_t lo, hi, mhi = 0
    cdef int64_t mwho = -1
    if iv == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            if _bounds(<cnp.ndarray>arrays[i], &lo, &hi):
                iv[k].lo = lo; iv[k].hi = hi; iv[k].who = i
                k += 1
        qsort(iv, k, sizeof(_ivl), _ivl_cmp)
        for i in range(k):
            if mwho >= 0 and iv[i].lo < mhi:
                if _np_optim.shares_memory(arrays[mwho], arrays[iv[i].who]):
                    return (min(mwho, iv[i].who), max(mwho, iv[i].who))
            if mwho < 0 or iv[i].hi > mhi:
                mhi = iv[i].hi; mwho = iv[i].who
        return None
    finally:
        free(iv)


cdef class OptimRunner:
    """Reusable buffers of one optimizer's steps (pointer tables, per-array
    scalars, the sorted byte ranges of the arrays written by the last step)."""
    cdef void **pp
    cdef void **pg
    cdef void **ps0
    cdef void **ps1
    cdef void **ps2
    cdef int64_t *off
    cdef double *sc
    cdef int *fl
    cdef unsigned char *f64
    cdef int64_t *gidx
    cdef Py_ssize_t cap
    # write set of the last step, in collection order and sorted
    cdef intptr_t *sig
    cdef Py_ssize_t sig_n
    cdef Py_ssize_t sig_cap
    cdef _ivl *wiv
    cdef intptr_t *wmax
    cdef Py_ssize_t wn

    def __cinit__(self):
        self.cap = 0
        self.sig_n = -1
        self.sig_cap = 0
        self.wn = 0

    def __dealloc__(self):
        free(self.pp); free(self.pg); free(self.ps0); free(self.ps1); free(self.ps2)
        free(self.off); free(self.sc); free(self.fl); free(self.f64); free(self.gidx)
        free(self.sig); free(self.wiv); free(self.wmax)

    cdef int _reserve(self, Py_ssize_t n) except -1:
        if n <= self.cap:
            return 0
        n = max(n, 2 * self.cap, 16)
        self.pp = <void **>realloc(self.pp, n * sizeof(void *))
        self.pg = <void **>realloc(self.pg, n * sizeof(void *))
        self.ps0 = <void **>realloc(self.ps0, n * sizeof(void *))
        self.ps1 = <void **>realloc(self.ps1, n * sizeof(void *))
        self.ps2 = <void **>realloc(self.ps2, n * sizeof(void *))
        self.off = <int64_t *>realloc(self.off, (n + 1) * sizeof(int64_t))
        self.sc = <double *>realloc(self.sc, n * OPT_NS * sizeof(double))
        self.fl = <int *>realloc(self.fl, n * sizeof(int))
        self.f64 = <unsigned char *>realloc(self.f64, n)
        self.gidx = <int64_t *>realloc(self.gidx, n * sizeof(int64_t))
        if (self.f64 == NULL or self.gidx == NULL or self.pp == NULL or self.pg == NULL or self.ps0 == NULL or self.ps1 == NULL
                or self.ps2 == NULL or self.off == NULL or self.sc == NULL or self.fl == NULL):
            raise MemoryError()
        self.cap = n
        return 0

    cdef int _reserve_sig(self, Py_ssize_t n) except -1:
        if n <= self.sig_cap:
            return 0
        n = max(n, 2 * self.sig_cap, 64)
        self.sig = <intptr_t *>realloc(self.sig, 2 * n * sizeof(intptr_t))
        self.wiv = <_ivl *>realloc(self.wiv, n * sizeof(_ivl))
        self.wmax = <intptr_t *>realloc(self.wmax, n * sizeof(intptr_t))
        if self.sig == NULL or self.wiv == NULL or self.wmax == NULL:
            raise MemoryError()
        self.sig_cap = n
        return 0

    def step(self, int algo, list groups, list grads, dict states, list specs,
             int n_threads):
        """One step over every parameter with a gradient.

        specs[k] (group k): (keys, inits, skeys, sinits, flags, fn).  keys: the
        names of up to three state arrays (None for an unused slot); inits:
        their fill values; skeys / sinits: names and initial values of the
        scalar state (step counts and the like); fn(values of skeys) ->
        (scalars, new values of skeys, extra flags).  Raises before writing
        anything when an input is invalid."""
        cdef Py_ssize_t gi, k, idx = 0, na = 0, nk, ns, q, j, nw = 0
        cdef list gparams, act_p = [], act_g = [], act_st = [], act_new = [], act_arr = []
        cdef list act_vals = [], act_keys = [], wlist = [], keep = []
        cdef tuple ctx
        cdef object p, g, st, a, fn, last_cur, cur, res, v
        cdef tuple keys, inits, skeys, sinits, spec, scal, newv
        cdef cnp.ndarray pa, ga, sa
        cdef int typ, gflags, xfl, fresh
        cdef PyObject *ob
        cdef double *row
        cdef intptr_t lo, hi
        cdef int64_t total = 0
        cdef bint same
        cdef Py_ssize_t nparams_total = len(grads)
        cdef list last_vals
        cdef Py_ssize_t last_row
        # ---------------------------------------------------- phase 1: checks
        for gi in range(len(groups)):
            gparams = groups[gi]["params"]
            spec = specs[gi]
            keys = spec[0]; inits = spec[1]; skeys = spec[2]; sinits = spec[3]
            gflags = spec[4]; fn = spec[5]
            nk = len(keys); ns = len(skeys)
            last_vals = None
            last_row = -1
            for k in range(len(gparams)):
                p = gparams[k]
                if idx >= nparams_total:
                    raise ValueError(f"grads: expected {idx + 1} or more entries")
                g = grads[idx]
                if g is None:
                    idx += 1
                    continue
                if not isinstance(p, cnp.ndarray):
                    raise TypeError(f"params[{idx}]: expected a numpy array, got {type(p).__name__}")
                pa = <cnp.ndarray>p
                typ = cnp.PyArray_TYPE(pa)
                if typ != cnp.NPY_FLOAT32 and typ != cnp.NPY_FLOAT64:
                    raise TypeError(f"params[{idx}]: expected float32 or float64, got {(<object>pa).dtype}")
                if not cnp.PyArray_ISWRITEABLE(pa):
                    raise ValueError(f"params[{idx}]: the array is read-only")
                if not isinstance(g, cnp.ndarray):
                    try:
                        g = _np_optim.asarray(g)
                    except Exception as e:
                        raise TypeError(f"grads[{idx}]: expected an array, got {type(g).__name__}") from e
                ga = <cnp.ndarray>g
                if cnp.PyArray_TYPE(ga) != typ:
                    raise TypeError(f"grads[{idx}]: dtype {(<object>ga).dtype} differs from the "
                                    f"parameter's {(<object>pa).dtype}")
                if not _same_shape(pa, ga):
                    raise ValueError(f"grads[{idx}]: shape {(<object>ga).shape} differs from the "
                                     f"parameter's {(<object>pa).shape}")
                if not cnp.PyArray_IS_C_CONTIGUOUS(ga):
                    g = _np_optim.ascontiguousarray(ga)
                ob = PyDict_GetItem(states, id(p))
                st = <object>ob if ob != NULL else None
                fresh = 0
                # state arrays
                for q in range(nk):
                    if keys[q] is None:
                        act_arr.append(None)
                        continue
                    if st is None or PyDict_GetItem(st, keys[q]) == NULL:
                        act_arr.append(None)
                        fresh = 1
                        continue
                    a = <object>PyDict_GetItem(st, keys[q])
                    if not isinstance(a, cnp.ndarray):
                        raise TypeError(f"state of params[{idx}]: {keys[q]!r} must be a numpy array")
                    sa = <cnp.ndarray>a
                    if cnp.PyArray_TYPE(sa) != typ or not _same_shape(sa, pa):
                        raise ValueError(f"state of params[{idx}]: {keys[q]!r} must have the "
                                         f"parameter's dtype {(<object>pa).dtype} and shape {(<object>pa).shape}, "
                                         f"got {(<object>sa).dtype} {(<object>sa).shape}")
                    if not cnp.PyArray_IS_C_CONTIGUOUS(sa) or not cnp.PyArray_ISWRITEABLE(sa):
                        raise ValueError(f"state of params[{idx}]: {keys[q]!r} must be a "
                                         f"writeable C-contiguous array")
                    act_arr.append(a)
                    wlist.append(a)
                for q in range(nk, 3):
                    act_arr.append(None)
                # scalar state: reuse the scalars of the previous parameter of
                # the group when its values are the same objects or equal
                same = last_vals is not None
                cur = []
                for q in range(ns):
                    if st is not None and PyDict_GetItem(st, skeys[q]) != NULL:
                        v = <object>PyDict_GetItem(st, skeys[q])
                    else:
                        v = sinits[q]
                    cur.append(v)
                    if same:
                        a = last_vals[q]
                        if not (a is v or a == v):
                            same = False
                if not same:
                    res = fn(tuple(cur))
                    scal = res[0]; newv = res[1]; xfl = res[2]
                    self._reserve(na + 1)
                    row = self.sc + na * OPT_NS
                    for q in range(OPT_NS):
                        row[q] = scal[q] if q < len(scal) else 0.0
                    last_row = na
                    last_vals = cur
                    act_vals.append(newv)
                    self.fl[na] = gflags | xfl
                else:
                    self._reserve(na + 1)
                    memcpy(self.sc + na * OPT_NS, self.sc + last_row * OPT_NS, OPT_NS * sizeof(double))
                    act_vals.append(act_vals[last_row])
                    self.fl[na] = self.fl[last_row]
                self.f64[na] = typ == cnp.NPY_FLOAT64
                self.gidx[na] = idx
                if fresh:
                    self.fl[na] |= LE_OPTF_FRESH
                act_p.append(p); act_g.append(g); act_st.append(st); act_new.append(fresh)
                act_keys.append(spec)
                wlist.append(p)
                self.off[na] = total
                total += cnp.PyArray_SIZE(pa)
                na += 1
                idx += 1
        if idx != nparams_total:
            raise ValueError(f"grads: expected {idx} entries (one per parameter), got {nparams_total}")
        self.off[na] = total
        if na == 0:
            return 0
        # overlap: the arrays written (parameters and states) must not share
        # memory with each other nor with any gradient
        ctx = (act_p, act_arr, act_keys)
        self._check_write_set(wlist, ctx)
        self._check_grads(act_g, wlist, ctx)
        # ---------------------------------------------------- phase 2: commit
        for j in range(na):
            p = act_p[j]
            pa = <cnp.ndarray>p
            spec = act_keys[j]
            keys = spec[0]; inits = spec[1]; skeys = spec[2]
            st = act_st[j]
            if st is None:
                st = {}
                states[id(p)] = st
            newv = act_vals[j]
            for q in range(len(skeys)):
                st[skeys[q]] = newv[q]
            if act_new[j]:
                for q in range(len(keys)):
                    if keys[q] is not None and keys[q] not in st:
                        if inits[q] == 0:
                            a = _np_optim.zeros((<object>pa).shape, (<object>pa).dtype)
                        else:
                            a = _np_optim.full((<object>pa).shape, inits[q], (<object>pa).dtype)
                        st[keys[q]] = a
                        act_arr[3 * j + q] = a
            if not cnp.PyArray_IS_C_CONTIGUOUS(pa):
                a = _np_optim.ascontiguousarray(pa)
                keep.append((pa, a))
                pa = <cnp.ndarray>a
            self.pp[j] = cnp.PyArray_DATA(pa)
            self.pg[j] = cnp.PyArray_DATA(<cnp.ndarray>act_g[j])
            a = act_arr[3 * j]
            self.ps0[j] = NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)
            a = act_arr[3 * j + 1]
            self.ps1[j] = NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)
            a = act_arr[3 * j + 2]
            self.ps2[j] = NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)
        self._run(algo, na, n_threads)
        for pa, a in keep:
            pa[...] = a
        return na

    cdef _run(self, int algo, Py_ssize_t na, int n_threads):
        cdef le_optim_args args
        args.algo = algo
        args.n_arrays = na
        args.p = self.pp
        args.g = <const void **>self.pg
        args.s0 = self.ps0
        args.s1 = self.ps1
        args.s2 = self.ps2
        args.off = self.off
        args.sc = self.sc
        args.flags = self.fl
        args.f64 = self.f64
        args.n_threads = n_threads
        with nogil:
            le_optim(&args)

    cdef _check_write_set(self, list wlist, tuple ctx):
        """The written arrays must be pairwise disjoint.  The sorted ranges are
        kept: when the next step writes the same memory (the usual case) the
        sort is skipped."""
        cdef Py_ssize_t n = len(wlist), i, k = 0
        cdef intptr_t lo, hi, mhi = 0
        cdef int64_t mwho = -1
        self._reserve_sig(n)
        # signature: the ranges in collection order
        cdef intptr_t *tmp = <intptr_t *>malloc(2 * max(n, 1) * sizeof(intptr_t))
        if tmp == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                if _bounds(<cnp.ndarray>wlist[i], &lo, &hi):
                    tmp[2 * i] = lo; tmp[2 * i + 1] = hi
                else:
                    tmp[2 * i] = 0; tmp[2 * i + 1] = 0
            if self.sig_n == n and memcmp(tmp, self.sig, 2 * n * sizeof(intptr_t)) == 0:
                return
            self.sig_n = -1
            for i in range(n):
                if tmp[2 * i + 1] != 0:
                    self.wiv[k].lo = tmp[2 * i]; self.wiv[k].hi = tmp[2 * i + 1]
                    self.wiv[k].who = i
                    k += 1
            qsort(self.wiv, k, sizeof(_ivl), _ivl_cmp)
            for i in range(k):
                if mwho >= 0 and self.wiv[i].lo < mhi:
                    if _np_optim.shares_memory(wlist[mwho], wlist[self.wiv[i].who]):
                        raise ValueError(
                            f"parameters and optimizer state must not share memory (an "
                            f"in-place update would race): {self._name(wlist[mwho], ctx)} "
                            f"overlaps {self._name(wlist[self.wiv[i].who], ctx)}")
                if mwho < 0 or self.wiv[i].hi > mhi:
                    mhi = self.wiv[i].hi; mwho = self.wiv[i].who
                self.wmax[i] = mhi
            self.wn = k
            memcpy(self.sig, tmp, 2 * n * sizeof(intptr_t))
            self.sig_n = n
        finally:
            free(tmp)

    cdef str _name(self, object a, tuple ctx):
        """What a written array is, for error messages."""
        cdef list act_p = ctx[0], act_arr = ctx[1], act_keys = ctx[2]
        cdef Py_ssize_t j, q
        for j in range(len(act_p)):
            if act_p[j] is a:
                return f"params[{self.gidx[j]}]"
            for q in range(3):
                if act_arr[3 * j + q] is a:
                    return f"state {act_keys[j][0][q]!r} of params[{self.gidx[j]}]"
        return "an array"

    cdef _check_grads(self, list act_g, list wlist, tuple ctx):
        cdef Py_ssize_t j, l, r, mid, k
        cdef intptr_t lo, hi
        for j in range(len(act_g)):
            if not _bounds(<cnp.ndarray>act_g[j], &lo, &hi):
                continue
            # last written range starting below hi
            l = 0; r = self.wn - 1; k = -1
            while l <= r:
                mid = (l + r) // 2
                if self.wiv[mid].lo < hi:
                    k = mid; l = mid + 1
                else:
                    r = mid - 1
            while k >= 0 and self.wmax[k] > lo:
                if self.wiv[k].hi > lo and _np_optim.shares_memory(act_g[j], wlist[self.wiv[k].who]):
                    raise ValueError(f"grads[{self.gidx[j]}] shares memory with "
                                     f"{self._name(wlist[self.wiv[k].who], ctx)} (an "
                                     f"in-place update would race)")
                k -= 1


def sparse_adam(p, m, v, rows, vals, double w1, double w2, double eps, double nss,
                int n_threads):
    """SparseAdam update of the distinct rows `rows` (int64, C-contiguous) of the
    C-contiguous p, m, v with the coalesced rows vals."""
    cdef double sc[4]
    cdef cnp.ndarray pa = p, ra = rows, va = vals
    cdef int64_t n_rows = cnp.PyArray_SIZE(ra)
    cdef int64_t row_len = (cnp.PyArray_SIZE(pa) // cnp.PyArray_DIMS(pa)[0]) if cnp.PyArray_NDIM(pa) > 0 and cnp.PyArray_DIMS(pa)[0] > 0 else 1
    cdef void *pp = cnp.PyArray_DATA(pa)
    cdef void *pm = cnp.PyArray_DATA(<cnp.ndarray>m)
    cdef void *pv = cnp.PyArray_DATA(<cnp.ndarray>v)
    cdef const int64_t *pr = <const int64_t *>cnp.PyArray_DATA(ra)
    cdef const void *pvals = cnp.PyArray_DATA(va)
    cdef bint f32 = _is_f32(p)
    sc[0] = w1; sc[1] = w2; sc[2] = eps; sc[3] = nss
    with nogil:
        if f32:
            le_sparse_adam_f32(pp, pm, pv, pr, pvals, n_rows, row_len, sc, n_threads)
        else:
            le_sparse_adam_f64(pp, pm, pv, pr, pvals, n_rows, row_len, sc, n_threads)


def optim_simple(int algo, list ps, list gs, double alpha, int n_threads):
    """p = p + alpha g (LE_OPT_AXPY) or p = g (LE_OPT_COPY) for the pairs of
    C-contiguous, non-overlapping arrays (ps[i], gs[i]) of one dtype per pair,
    in one call."""
    cdef Py_ssize_t n = len(ps), j
    cdef le_optim_args args
    cdef int64_t total = 0
    cdef void **pp = <void **>malloc(max(n, 1) * 2 * sizeof(void *))
    cdef int64_t *off = <int64_t *>malloc((n + 1) * sizeof(int64_t))
    cdef double *sc = <double *>malloc(max(n, 1) * OPT_NS * sizeof(double))
    cdef int *fl = <int *>malloc(max(n, 1) * sizeof(int))
    cdef unsigned char *f64 = <unsigned char *>malloc(max(n, 1))
    cdef cnp.ndarray pa, ga
    try:
        if pp == NULL or off == NULL or sc == NULL or fl == NULL or f64 == NULL:
            raise MemoryError()
        for j in range(n):
            pa = <cnp.ndarray>ps[j]
            ga = <cnp.ndarray>gs[j]
            if cnp.PyArray_SIZE(pa) != cnp.PyArray_SIZE(ga) or cnp.PyArray_TYPE(pa) != cnp.PyArray_TYPE(ga):
                raise ValueError("optim_simple: size or dtype mismatch")
            pp[j] = cnp.PyArray_DATA(pa)
            pp[n + j] = cnp.PyArray_DATA(ga)
            off[j] = total
            total += cnp.PyArray_SIZE(pa)
            sc[j * OPT_NS] = alpha
            fl[j] = 0
            f64[j] = cnp.PyArray_TYPE(pa) == cnp.NPY_FLOAT64
        off[n] = total
        args.algo = algo
        args.n_arrays = n
        args.p = pp
        args.g = <const void **>(pp + n)
        args.s0 = NULL
        args.s1 = NULL
        args.s2 = NULL
        args.off = off
        args.sc = sc
        args.flags = fl
        args.f64 = f64
        args.n_threads = n_threads
        with nogil:
            le_optim(&args)
    finally:
        free(pp); free(off); free(sc); free(fl); free(f64)
