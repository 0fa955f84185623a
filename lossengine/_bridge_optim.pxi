# Bridge to csrc/optim.c (lossengine.optim).  The per-parameter work of a
# step (validation, state lookup, step-dependent scalars, overlap checks,
# pointer gathering) runs here in compiled code, so a model of many small
# arrays pays little per array; every check of a step is made before
# anything is written.
from libc.stdint cimport int64_t, intptr_t
from libc.stdlib cimport malloc, realloc, free, qsort
from libc.string cimport memcmp, memcpy
from cpython.dict cimport PyDict_GetItem, PyDict_GetItemWithError, PyDict_SetItem
from cpython.ref cimport PyObject
from cpython.list cimport PyList_GET_ITEM
from cpython.tuple cimport PyTuple_GET_ITEM
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

cdef enum:
    OPT_NS = 12

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


ctypedef struct _act:
    PyObject *p          # parameter (borrowed: held by the group's list)
    PyObject *g          # gradient (borrowed: held by grads or by `keep`)
    PyObject *st         # state dict, NULL when it is created by this step
    PyObject *arr[3]     # state arrays, NULL when absent (created by this step)
    PyObject *spec       # the group's spec tuple (held by specs)
    PyObject *newv       # new scalar state values (held by the runner's rows list)
    Py_ssize_t idx       # index of the parameter in group order
    int fresh


cdef inline bint _array_ok(PyObject *o, int typ, cnp.ndarray like):
    """o is a writeable C-contiguous ndarray of dtype typ and like's shape."""
    if not cnp.PyArray_Check(<object>o):
        return False
    cdef cnp.ndarray a = <cnp.ndarray>o
    return (cnp.PyArray_TYPE(a) == typ and _same_shape(a, like)
            and cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_ISWRITEABLE(a))


cdef class OptimRunner:
    """Reusable state of one optimizer's steps: pointer tables, per-array
    scalars, the flat list of parameters and their state dicts (re-derived
    only when the groups change), the byte ranges written by the last step."""
    cdef void **pp
    cdef void **pg
    cdef void **ps0
    cdef void **ps1
    cdef void **ps2
    cdef int64_t *off
    cdef double *sc
    cdef int *fl
    cdef unsigned char *f64
    cdef _act *acts
    cdef Py_ssize_t cap
    # written arrays of this step: objects (borrowed) and ranges in collection order
    cdef PyObject **wobj
    cdef intptr_t *wr
    cdef Py_ssize_t wcap
    # the same ranges of the last checked step, and sorted with running max
    cdef intptr_t *sig
    cdef Py_ssize_t sig_n
    cdef _ivl *wiv
    cdef intptr_t *wmax
    cdef Py_ssize_t wn
    # gradient ranges of this step and of the last checked step
    cdef intptr_t *gr
    cdef intptr_t *gsig
    cdef Py_ssize_t gsig_n
    cdef bint w_same
    # plan: the groups' parameter lists and the flat parameters / state dicts
    cdef list plan_glists
    cdef list plan_params
    cdef list plan_states
    cdef object plan_src

    def __cinit__(self):
        self.cap = 0
        self.wcap = 0
        self.sig_n = -1
        self.gsig_n = -1
        self.wn = 0
        self.plan_glists = None

    def __dealloc__(self):
        free(self.pp); free(self.pg); free(self.ps0); free(self.ps1); free(self.ps2)
        free(self.off); free(self.sc); free(self.fl); free(self.f64); free(self.acts)
        free(self.wobj); free(self.wr); free(self.sig); free(self.wiv); free(self.wmax)
        free(self.gr); free(self.gsig)

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
        self.acts = <_act *>realloc(self.acts, n * sizeof(_act))
        self.gr = <intptr_t *>realloc(self.gr, 2 * n * sizeof(intptr_t))
        self.gsig = <intptr_t *>realloc(self.gsig, 2 * n * sizeof(intptr_t))
        self.gsig_n = -1
        if (self.gr == NULL or self.gsig == NULL or self.pp == NULL or self.pg == NULL or self.ps0 == NULL or self.ps1 == NULL
                or self.ps2 == NULL or self.off == NULL or self.sc == NULL or self.fl == NULL
                or self.f64 == NULL or self.acts == NULL):
            raise MemoryError()
        self.cap = n
        return 0

    cdef int _reserve_w(self, Py_ssize_t n) except -1:
        if n <= self.wcap:
            return 0
        n = max(n, 2 * self.wcap, 64)
        self.wobj = <PyObject **>realloc(self.wobj, n * sizeof(PyObject *))
        self.wr = <intptr_t *>realloc(self.wr, 2 * n * sizeof(intptr_t))
        self.sig = <intptr_t *>realloc(self.sig, 2 * n * sizeof(intptr_t))
        self.wiv = <_ivl *>realloc(self.wiv, n * sizeof(_ivl))
        self.wmax = <intptr_t *>realloc(self.wmax, n * sizeof(intptr_t))
        if (self.wobj == NULL or self.wr == NULL or self.sig == NULL or self.wiv == NULL
                or self.wmax == NULL):
            raise MemoryError()
        self.wcap = n
        self.sig_n = -1
        return 0

    cdef _plan(self, list groups, dict states):
        """Refresh the flat parameter / state lists unless the groups still hold
        the same parameter lists with the same parameters."""
        cdef Py_ssize_t gi, k, n = 0
        cdef list gl
        cdef bint ok = (self.plan_glists is not None and self.plan_src is states
                        and len(self.plan_glists) == len(groups))
        if ok:
            for gi in range(len(groups)):
                gl = groups[gi]["params"]
                if gl is not self.plan_glists[gi] or len(gl) + n > len(self.plan_params):
                    ok = False
                    break
                for k in range(len(gl)):
                    if PyList_GET_ITEM(gl, k) != PyList_GET_ITEM(self.plan_params, n + k):
                        ok = False
                        break
                if not ok:
                    break
                n += len(gl)
            ok = ok and n == len(self.plan_params)
        if ok:
            return
        self.plan_glists = [g["params"] for g in groups]
        self.plan_params = [p for gl in self.plan_glists for p in gl]
        self.plan_states = [states.get(id(p)) for p in self.plan_params]
        self.plan_src = states

    def step(self, int algo, list groups, list grads, dict states, list specs,
             int n_threads):
        """One step over every parameter with a gradient.

        specs[k] (group k): (keys, inits, skeys, sinits, flags, fn).  keys: the
        names of up to three state arrays (None for an unused slot); inits:
        their fill values; skeys / sinits: names and initial values of the
        scalar state (step counts and the like); fn(values of skeys) ->
        (scalars, new values of skeys, extra flags).  Raises before writing
        anything when an input is invalid."""
        cdef Py_ssize_t gi, k, idx = 0, na = 0, nk, ns, q, j, nw = 0, last_row, ngl
        cdef list gl, keep = None, rows = []
        cdef tuple spec, keys, skeys, sinits, newv, scal
        cdef object p, g, st, a, res, fn
        cdef PyObject *po
        cdef PyObject *go
        cdef PyObject *so
        cdef PyObject *ao
        cdef PyObject *vals[8]
        cdef PyObject *lastv[8]
        cdef cnp.ndarray pa, ga
        cdef int typ, gflags
        cdef bint same, have_last
        cdef intptr_t lo, hi
        cdef int64_t total = 0
        cdef Py_ssize_t n_grads = len(grads)
        cdef _act *ac
        cdef double *row
        self._plan(groups, states)
        if n_grads != len(self.plan_params):
            raise ValueError(f"grads: expected {len(self.plan_params)} entries (one per "
                             f"parameter), got {n_grads}")
        # ---------------------------------------------------- phase 1: checks
        for gi in range(len(groups)):
            gl = self.plan_glists[gi]
            spec = specs[gi]
            keys = spec[0]; skeys = spec[2]; sinits = spec[3]
            gflags = spec[4]; fn = spec[5]
            nk = len(keys); ns = len(skeys)
            if ns > 8 or nk > 3:
                raise ValueError("internal: too many state entries")
            have_last = False
            last_row = -1
            ngl = len(gl)
            for k in range(ngl):
                go = PyList_GET_ITEM(grads, idx)
                if go == <PyObject *>None:
                    idx += 1
                    continue
                po = PyList_GET_ITEM(gl, k)
                if not cnp.PyArray_Check(<object>po):
                    raise TypeError(f"params[{idx}]: expected a numpy array, got "
                                    f"{type(<object>po).__name__}")
                pa = <cnp.ndarray>po
                typ = cnp.PyArray_TYPE(pa)
                if typ != cnp.NPY_FLOAT32 and typ != cnp.NPY_FLOAT64:
                    raise TypeError(f"params[{idx}]: expected float32 or float64, got "
                                    f"{(<object>pa).dtype}")
                if not cnp.PyArray_ISWRITEABLE(pa):
                    raise ValueError(f"params[{idx}]: the array is read-only")
                if not (cnp.PyArray_Check(<object>go) and cnp.PyArray_TYPE(<cnp.ndarray>go) == typ
                        and _same_shape(<cnp.ndarray>go, pa)
                        and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>go)):
                    g = self._slow_grad(<object>go, pa, idx)
                    if keep is None:
                        keep = []
                    keep.append(g)
                    go = <PyObject *>g
                self._reserve(na + 1)
                ac = &self.acts[na]
                ac.p = po; ac.g = go; ac.idx = idx; ac.fresh = 0
                ac.spec = <PyObject *>spec
                so = PyList_GET_ITEM(self.plan_states, idx)
                if so == <PyObject *>None:
                    st = states.get(id(<object>po))
                    if st is not None:
                        self.plan_states[idx] = st
                        so = <PyObject *>st
                ac.st = NULL if so == <PyObject *>None else so
                self._reserve_w(nw + 4)
                for q in range(3):
                    ac.arr[q] = NULL
                for q in range(nk):
                    if PyTuple_GET_ITEM(keys, q) == <PyObject *>None:
                        continue
                    ao = NULL
                    if ac.st != NULL:
                        ao = PyDict_GetItemWithError(<object>ac.st, <object>PyTuple_GET_ITEM(keys, q))
                    if ao == NULL:
                        ac.fresh = 1
                        continue
                    if not _array_ok(ao, typ, pa):
                        self._bad_state(<object>ao, pa, idx, <object>PyTuple_GET_ITEM(keys, q))
                    ac.arr[q] = ao
                    self.wobj[nw] = ao
                    if not _bounds(<cnp.ndarray>ao, &self.wr[2 * nw], &self.wr[2 * nw + 1]):
                        self.wr[2 * nw] = 0; self.wr[2 * nw + 1] = 0
                    nw += 1
                self.wobj[nw] = po
                if not _bounds(pa, &self.wr[2 * nw], &self.wr[2 * nw + 1]):
                    self.wr[2 * nw] = 0; self.wr[2 * nw + 1] = 0
                nw += 1
                # scalar state: the previous parameter's scalars are reused while
                # its values are the same objects or equal (the usual case)
                same = have_last
                for q in range(ns):
                    ao = NULL
                    if ac.st != NULL:
                        ao = PyDict_GetItemWithError(<object>ac.st, <object>PyTuple_GET_ITEM(skeys, q))
                    vals[q] = ao if ao != NULL else PyTuple_GET_ITEM(sinits, q)
                    if same and vals[q] != lastv[q]:
                        same = <object>vals[q] == <object>lastv[q]
                row = self.sc + na * OPT_NS
                if same:
                    memcpy(row, self.sc + last_row * OPT_NS, OPT_NS * sizeof(double))
                    self.fl[na] = self.fl[last_row]
                    ac.newv = self.acts[last_row].newv
                else:
                    res = fn(tuple([<object>vals[q] for q in range(ns)]))
                    scal = res[0]; newv = res[1]
                    for q in range(OPT_NS):
                        row[q] = scal[q] if q < len(scal) else 0.0
                    self.fl[na] = gflags | <int>res[2]
                    rows.append(newv)
                    ac.newv = <PyObject *>newv
                    for q in range(ns):
                        lastv[q] = vals[q]
                    have_last = True
                    last_row = na
                self.f64[na] = typ == cnp.NPY_FLOAT64
                self.off[na] = total
                total += cnp.PyArray_SIZE(pa)
                na += 1
                idx += 1
        self._reserve(na + 1)
        self.off[na] = total
        if na == 0:
            return 0
        # no two written arrays may share memory, nor a gradient with one
        self._check_write_set(nw, na)
        self._check_grads(nw, na)
        # ---------------------------------------------------- phase 2: commit
        for j in range(na):
            ac = &self.acts[j]
            spec = <tuple>ac.spec
            keys = spec[0]; skeys = spec[2]
            if ac.st == NULL:
                st = {}
                states[id(<object>ac.p)] = st
                self.plan_states[ac.idx] = st
                ac.st = <PyObject *>st
            newv = <tuple>ac.newv
            for q in range(len(skeys)):
                PyDict_SetItem(<object>ac.st, <object>PyTuple_GET_ITEM(skeys, q),
                               <object>PyTuple_GET_ITEM(newv, q))
            pa = <cnp.ndarray>ac.p
            if ac.fresh:
                self._create_state(ac, pa, keys, spec[1])
                self.fl[j] |= LE_OPTF_FRESH
            if not cnp.PyArray_IS_C_CONTIGUOUS(pa):
                a = _np_optim.ascontiguousarray(pa)
                if keep is None:
                    keep = []
                keep.append((pa, a))
                pa = <cnp.ndarray>a
            self.pp[j] = cnp.PyArray_DATA(pa)
            self.pg[j] = cnp.PyArray_DATA(<cnp.ndarray>ac.g)
            self.ps0[j] = NULL if ac.arr[0] == NULL else cnp.PyArray_DATA(<cnp.ndarray>ac.arr[0])
            self.ps1[j] = NULL if ac.arr[1] == NULL else cnp.PyArray_DATA(<cnp.ndarray>ac.arr[1])
            self.ps2[j] = NULL if ac.arr[2] == NULL else cnp.PyArray_DATA(<cnp.ndarray>ac.arr[2])
        self._run(algo, na, n_threads)
        if keep is not None:
            for a in keep:
                if isinstance(a, tuple):
                    (<object>a)[0][...] = (<object>a)[1]
        return na

    cdef object _slow_grad(self, object g, cnp.ndarray pa, Py_ssize_t idx):
        """A gradient that is not a C-contiguous ndarray of the parameter's
        dtype and shape: converted (a copy, read only) or rejected."""
        if not isinstance(g, cnp.ndarray):
            try:
                g = _np_optim.asarray(g)
            except Exception as e:
                raise TypeError(f"grads[{idx}]: expected an array or None, got "
                                f"{type(g).__name__}") from e
        if g.dtype != (<object>pa).dtype:
            raise TypeError(f"grads[{idx}]: dtype {g.dtype} differs from the parameter's "
                            f"{(<object>pa).dtype}")
        if g.shape != (<object>pa).shape:
            raise ValueError(f"grads[{idx}]: shape {g.shape} differs from the parameter's "
                             f"{(<object>pa).shape}")
        return _np_optim.ascontiguousarray(g)

    cdef _bad_state(self, object a, cnp.ndarray pa, Py_ssize_t idx, object key):
        if not isinstance(a, cnp.ndarray):
            raise TypeError(f"state of params[{idx}]: {key!r} must be a numpy array")
        raise ValueError(f"state of params[{idx}]: {key!r} must be a writeable C-contiguous "
                         f"array of the parameter's dtype {(<object>pa).dtype} and shape "
                         f"{(<object>pa).shape}, got {a.dtype} {a.shape}")

    cdef _create_state(self, _act *ac, cnp.ndarray pa, tuple keys, tuple inits):
        cdef Py_ssize_t q
        cdef object a, st = <object>ac.st
        for q in range(len(keys)):
            if keys[q] is not None and keys[q] not in st:
                if inits[q] == 0:
                    a = _np_optim.zeros((<object>pa).shape, (<object>pa).dtype)
                else:
                    a = _np_optim.full((<object>pa).shape, inits[q], (<object>pa).dtype)
                st[keys[q]] = a
                ac.arr[q] = <PyObject *>a      # held by the state dict

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

    cdef _check_write_set(self, Py_ssize_t n, Py_ssize_t na):
        """The written arrays must be pairwise disjoint.  The sorted ranges are
        kept: when a step writes the same memory as the last checked one (the
        usual case) the sort is skipped."""
        cdef Py_ssize_t i, k = 0
        cdef intptr_t mhi = 0
        cdef Py_ssize_t mwho = -1
        self.w_same = self.sig_n == n and memcmp(self.wr, self.sig, 2 * n * sizeof(intptr_t)) == 0
        if self.w_same:
            return
        self.sig_n = -1
        for i in range(n):
            if self.wr[2 * i + 1] != 0:
                self.wiv[k].lo = self.wr[2 * i]; self.wiv[k].hi = self.wr[2 * i + 1]
                self.wiv[k].who = i
                k += 1
        qsort(self.wiv, k, sizeof(_ivl), _ivl_cmp)
        for i in range(k):
            if mwho >= 0 and self.wiv[i].lo < mhi:
                if _np_optim.shares_memory(<object>self.wobj[mwho],
                                           <object>self.wobj[self.wiv[i].who]):
                    raise ValueError(
                        f"parameters and optimizer state must not share memory (an "
                        f"in-place update would race): {self._name(self.wobj[mwho], na)} "
                        f"overlaps {self._name(self.wobj[self.wiv[i].who], na)}")
            if mwho < 0 or self.wiv[i].hi > mhi:
                mhi = self.wiv[i].hi; mwho = self.wiv[i].who
            self.wmax[i] = mhi
        self.wn = k
        memcpy(self.sig, self.wr, 2 * n * sizeof(intptr_t))
        self.sig_n = n

    cdef str _name(self, PyObject *a, Py_ssize_t na):
        """What a written array is, for error messages."""
        cdef Py_ssize_t j, q
        cdef _act *ac
        for j in range(na):
            ac = &self.acts[j]
            if ac.p == a:
                return f"params[{ac.idx}]"
            for q in range(3):
                if ac.arr[q] == a:
                    return f"state {(<tuple>ac.spec)[0][q]!r} of params[{ac.idx}]"
        return "an array"

    cdef _check_grads(self, Py_ssize_t nw, Py_ssize_t na):
        cdef Py_ssize_t j, l, r, mid, k
        cdef intptr_t lo, hi
        for j in range(na):
            if not _bounds(<cnp.ndarray>self.acts[j].g, &self.gr[2 * j], &self.gr[2 * j + 1]):
                self.gr[2 * j] = 0; self.gr[2 * j + 1] = 0
        # the same gradient memory against the same written memory as the last
        # checked step (reused gradient buffers): nothing to check again
        if self.w_same and self.gsig_n == na and \
                memcmp(self.gr, self.gsig, 2 * na * sizeof(intptr_t)) == 0:
            return
        self.gsig_n = -1
        for j in range(na):
            lo = self.gr[2 * j]; hi = self.gr[2 * j + 1]
            if hi == 0:
                continue
            # last written range starting below hi, then back while one may reach lo
            l = 0; r = self.wn - 1; k = -1
            while l <= r:
                mid = (l + r) // 2
                if self.wiv[mid].lo < hi:
                    k = mid; l = mid + 1
                else:
                    r = mid - 1
            while k >= 0 and self.wmax[k] > lo:
                if self.wiv[k].hi > lo and _np_optim.shares_memory(
                        <object>self.acts[j].g, <object>self.wobj[self.wiv[k].who]):
                    raise ValueError(f"grads[{self.acts[j].idx}] shares memory with "
                                     f"{self._name(self.wobj[self.wiv[k].who], na)} (an "
                                     f"in-place update would race)")
                k -= 1
        memcpy(self.gsig, self.gr, 2 * na * sizeof(intptr_t))
        self.gsig_n = na


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
