"""Fused linear + cross-entropy: ``cross_entropy(input @ weight.T + bias,
target)`` and its gradients without the ``(N, V)`` logits (kernel in
csrc/linear_ce.c).

The GEMMs run through the BLAS that SciPy ships: the address of its
``sgemm``/``dgemm`` is read from ``scipy.linalg.cython_blas`` (the C-level
function table that ``cimport`` uses) on the first call and handed to the
kernel in the compiled core.  So the core links no BLAS, SciPy is needed only
when this function is called, and ``import lossengine`` imports NumPy only.
"""
from __future__ import annotations

import math
import os
from typing import Optional

import numpy as np

from . import _core
from ._runtime import nthreads
from ._docs import fill_doc
from ._typing import ArrayLike, GradOutput, GradOuts, Grads3, MaybeGrad, Out, Reduction
from ._validate import (RED_MEAN, RED_NONE, as_array, as_index_target, as_int, as_int64,
                        check_option, check_no_grad_args, compute_dtype, contiguous,
                        finish_grad, finish_out, grad_buffer, grad_output_none,
                        grad_output_reduced, out_dest, reduction_code, reject_out)

_LE_ERR_NOMEM = 3
_INT_MAX = 2 ** 31 - 1          # the BLAS takes 32-bit sizes
_ROWS = 128                     # LE_LCE_ROWS in csrc/linear_ce.c

_blas = None                    # (sgemm address, dgemm address, thread limiter)


def _capsule_pointer(capsule):
    import ctypes
    name = ctypes.pythonapi.PyCapsule_GetName
    name.restype, name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    ptr = ctypes.pythonapi.PyCapsule_GetPointer
    ptr.restype, ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return ptr(capsule, name(capsule))


class _OpenBLASOneThread:
    """Limits every loaded OpenBLAS to one thread for the duration of a call
    (the kernel calls the BLAS from its own OpenMP threads: a multithreaded
    BLAS would oversubscribe the cores and could change results with the
    thread count).  With threadpoolctl installed it does the work (it knows
    every BLAS vendor); otherwise the libraries mapped into the process whose
    name contains "openblas" are driven through their
    ``[scipy_]openblas_set_num_threads[64_]`` symbols with ctypes."""

    def __init__(self):
        self._ctl = None
        self._libs = []
        try:
            from threadpoolctl import ThreadpoolController
            self._ctl = ThreadpoolController().select(user_api="blas")
            return
        except Exception:
            pass
        import ctypes
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({ln.split()[-1] for ln in f
                                if "openblas" in os.path.basename(ln.split()[-1]).lower()})
        except OSError:
            paths = []
        for p in paths:
            try:
                lib = ctypes.CDLL(p)
            except OSError:
                continue
            for pre in ("scipy_openblas", "openblas"):
                for suf in ("", "64_"):
                    try:
                        s = getattr(lib, f"{pre}_set_num_threads{suf}")
                        g = getattr(lib, f"{pre}_get_num_threads{suf}")
                    except AttributeError:
                        continue
                    s.restype, s.argtypes, g.restype = None, [ctypes.c_int], ctypes.c_int
                    self._libs.append((s, g))
                    break
                else:
                    continue
                break

    def __enter__(self):
        if self._ctl is not None:
            self._lim = self._ctl.limit(limits=1)
            return self
        self._prev = [g() for _, g in self._libs]
        for s, _ in self._libs:
            s(1)
        return self

    def __exit__(self, *exc):
        if self._ctl is not None:
            self._lim.restore_original_limits()
            return False
        for (s, _), n in zip(self._libs, self._prev):
            s(n)
        return False


def _load_blas():
    global _blas
    if _blas is None:
        try:
            from scipy.linalg import cython_blas
        except ImportError as exc:
            raise ImportError("linear_cross_entropy needs SciPy (its BLAS computes the "
                              "logit tiles): pip install scipy") from exc
        caps = cython_blas.__pyx_capi__
        _blas = (_capsule_pointer(caps["sgemm"]), _capsule_pointer(caps["dgemm"]),
                 _OpenBLASOneThread())
    return _blas


def _cache_bytes(level, default):
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for n in sorted(os.listdir(base)):
            if not n.startswith("index"):
                continue
            with open(os.path.join(base, n, "level")) as f:
                if int(f.read()) != level:
                    continue
            with open(os.path.join(base, n, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(base, n, "size")) as f:
                v = f.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(v[-1:], 1)
            return int(v.rstrip("KMGB")) * mult
    except (OSError, ValueError):
        pass
    return default


def default_tile(N, V, dtype):
    """The vocabulary tile used when ``tile=None``: a power of two such that a
    row block's logit tile (128 rows) fills about a quarter of the L2 cache,
    within [128, 2048] (and at most V)."""
    elt = np.dtype(dtype).itemsize
    t = _cache_bytes(2, 1 << 20) // (4 * _ROWS * elt)
    t = 1 << max(7, min(11, int(t).bit_length() - 1))
    return max(1, min(t, V))


def _grad_bufs(grad_out, shapes, dtype, inputs, has_bias):
    """(kernel buffers, user buffers) for (d_input, d_weight, d_bias)."""
    if grad_out is None:
        outs = (None, None, None)
    else:
        if not isinstance(grad_out, (tuple, list)) or len(grad_out) != 3:
            raise TypeError("grad_out must be a tuple (d_input, d_weight, d_bias) of 3 "
                            f"arrays (None entries are allocated), got {type(grad_out).__name__}"
                            + (f" of length {len(grad_out)}"
                               if isinstance(grad_out, (tuple, list)) else ""))
        outs = tuple(grad_out)
        if not has_bias and outs[2] is not None:
            raise ValueError("grad_out: d_bias must be None when bias is None")
        given = [o for o in outs if o is not None]
        for i, o in enumerate(given):
            for p in given[i + 1:]:
                if isinstance(o, np.ndarray) and isinstance(p, np.ndarray) \
                        and np.may_share_memory(o, p):
                    raise ValueError("grad_out: the three buffers must not share memory")
    bufs, users = [], []
    for k, (o, shape) in enumerate(zip(outs, shapes)):
        if k == 2 and not has_bias:
            bufs.append(None)
            users.append(None)
            continue
        if o is None:
            bufs.append(np.empty(shape, dtype))
            users.append(None)
        else:
            b, u = grad_buffer(o, shape, dtype, inputs, "grad_out")
            bufs.append(b)
            users.append(u)
    return bufs, users


@fill_doc
def linear_cross_entropy(input: ArrayLike, weight: ArrayLike, target: ArrayLike,
                         bias: Optional[ArrayLike] = None, *, ignore_index: int = -100,
                         reduction: Reduction = "mean", label_smoothing: float = 0.0,
                         tile: Optional[int] = None, grad: bool = False,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads3]:
    """Cross entropy of the logits ``input @ weight.T + bias`` without storing them.

    The value of ``F.cross_entropy(F.linear(input, weight, bias), target,
    ignore_index=..., reduction=..., label_smoothing=...)``, computed in
    row blocks and vocabulary tiles: each tile's logits come from one GEMM
    (SciPy's BLAS, one thread per engine thread) and feed a max and sum of exp
    per row; a block of 128 rows keeps its logits while its gradients are
    formed (three GEMMs of N.V.D in all with ``grad=True``).  Extra memory is
    about ``128 * V`` numbers (fewer rows when that passes 64 MiB) instead of
    the ``N * V`` logits and as many again for their gradient.  Results are
    bitwise the same for any thread count; for
    different ``tile`` values they agree within rounding (sums are grouped
    differently), not bitwise.  SciPy is imported on the first call.

    Parameters
    ----------
    input : array_like, shape (..., D)
        Features (the last hidden state).
    weight : array_like, shape (V, D)
        Projection to the V classes, laid out as ``torch.nn.Linear.weight``.
    target : array_like of int, shape input.shape[:-1]
        Class indices in ``[0, V)`` or ``ignore_index``.
    bias : array_like, shape (V,), optional
        Added to the logits.
    ignore_index : int
        Target value that contributes neither loss nor gradient.
    reduction : {'mean', 'sum', 'none'}
        'mean' divides by the number of non-ignored targets (NaN when there
        is none); 'none' returns one loss per position (0 where ignored).
    label_smoothing : float in [0, 1]
        Mixes the one-hot target with the uniform distribution, as torch.
    tile : int, optional
        Vocabulary columns per tile (>= 1); None picks a power of two from
        the L2 cache size (a 128-row tile filling about a quarter of it).
        Changes speed, not results (beyond rounding).
    grad : bool
        Also return the gradients.
    grad_output : float or array_like, optional
        Upstream gradient (only with ``grad=True``): a scalar for a reduced
        loss, broadcastable to ``input.shape[:-1]`` for 'none'.
    grad_out : tuple of 3, optional
        Preallocated ``(d_input, d_weight, d_bias)`` (only with
        ``grad=True``), each an array of the compute dtype or None (then
        allocated); ``d_bias`` must be None when ``bias`` is None.
    %(out)s

    Returns
    -------
    loss : numpy scalar or ndarray
        The compute dtype (float64 if any of input, weight, bias is float64,
        else float32); shape ``input.shape[:-1]`` for 'none'.
    grads : tuple (d_input, d_weight, d_bias)
        With ``grad=True`` only: the gradient of ``sum(grad_output * loss)``
        with respect to input, weight and bias (``d_bias`` None without bias).

    Raises
    ------
    ValueError
        Mismatched shapes (naming ``weight``, ``bias`` or ``target``), a
        target outside ``[0, V)`` that is not ``ignore_index``, a bad
        ``reduction``, ``label_smoothing``, ``tile``, ``grad_output``,
        ``grad_out`` or ``out``.
    TypeError
        Non-numeric arrays, a float or bool ``target``, ``grad_out`` or
        ``out`` of the wrong type or dtype.
    ImportError
        When SciPy is not installed.

    Examples
    --------
    >>> import numpy as np, lossengine as le
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((4, 8))
    >>> w = rng.standard_normal((10, 8))
    >>> t = np.array([1, 0, 9, 3])
    >>> loss = le.linear_cross_entropy(x, w, t)
    >>> bool(np.isclose(loss, le.cross_entropy(x @ w.T, t)))
    True
    >>> loss, (dx, dw, db) = le.linear_cross_entropy(x, w, t, grad=True)
    >>> dx.shape, dw.shape, db is None
    ((4, 8), (10, 8), True)
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    x = as_array(input, "input")
    w = as_array(weight, "weight")
    b = None if bias is None else as_array(bias, "bias")
    dt = compute_dtype(x, w, b)
    if x.ndim < 1:
        raise ValueError("input: expected shape (..., D) with at least 1 dimension, got a scalar")
    if w.ndim != 2:
        raise ValueError(f"weight: expected shape (V, D), got {w.shape}")
    D = x.shape[-1]
    V = w.shape[0]
    if w.shape[1] != D:
        raise ValueError(f"weight: expected shape (V, {D}) to match the last dimension of "
                         f"input {x.shape}, got {w.shape}")
    if b is not None and b.shape != (V,):
        raise ValueError(f"bias: expected shape ({V},) for weight of shape {w.shape}, "
                         f"got {b.shape}")
    ignore_index = as_int64(ignore_index, "ignore_index")
    eps = check_option(label_smoothing, "label_smoothing", 0.0, 1.0)
    t = as_index_target(target, "target")
    pos_shape = x.shape[:-1]
    if t.shape != pos_shape:
        raise ValueError(f"target: expected shape {pos_shape} (input's shape without its "
                         f"last dimension), got {t.shape}")
    if tile is not None:
        tile = as_int64(tile, "tile", 1)
    N = math.prod(pos_shape)
    if N > _INT_MAX or D > _INT_MAX or V > _INT_MAX:
        raise ValueError(f"input/weight: sizes up to {_INT_MAX} are supported "
                         f"(N={N}, D={D}, V={V})")
    tf = t.reshape(-1)
    # min/max first: no N-sized temporaries unless a value lies outside [0, V)
    if N and (tf.min() < 0 or tf.max() >= V):
        bad = (tf != ignore_index) & ((tf < 0) | (tf >= V))
        if bad.any():
            k = int(np.argmax(bad))
            idx = tuple(int(i) for i in np.unravel_index(k, pos_shape)) if pos_shape else ()
            raise ValueError(f"target: value {int(tf[k])} at position {idx} is out of bounds "
                             f"for {V} classes (and is not ignore_index={ignore_index})")

    inputs = (input, weight, target, bias, grad_output)
    loss = luser = None
    if red == RED_NONE:
        loss, luser, _ = out_dest(out, pos_shape, dt, inputs,
                                  grad_out=grad_out if grad else None)
    gscalar, garr = 1.0, None
    bufs = users = None
    if grad:
        if red == RED_NONE:
            gscalar, garr = grad_output_none(grad, grad_output, pos_shape, dt)
            if garr is not None:
                garr = garr.reshape(-1)
        else:
            gscalar = grad_output_reduced(grad, grad_output)
        bufs, users = _grad_bufs(grad_out, (x.shape, w.shape, (V,)), dt, inputs,
                                 b is not None)

    xc = contiguous(x, dt).reshape(N, D)
    wc = contiguous(w, dt)
    bc = None if b is None else contiguous(b, dt)
    if tile is None:
        tile = default_tile(N, V, dt)
    dx = bufs[0].reshape(N, D) if grad else None
    dw = bufs[1] if grad else None
    db = bufs[2] if grad else None

    if N == 0 or V == 0:
        # no positions, or no classes (then every target is ignored)
        value = np.nan if red == RED_MEAN else 0.0
        if loss is not None:
            loss.fill(0)
        if grad:
            for g in (dx, dw, db):
                if g is not None:
                    g.fill(0)
    else:
        sgemm, dgemm, one_thread = _load_blas()
        with one_thread:
            st, value, _count = _core.linear_ce(
                xc, wc, bc, tf, garr, loss, dx, dw, db,
                sgemm if dt == np.float32 else dgemm, N, D, V, tile, ignore_index, eps,
                gscalar, red, nthreads())
        if st == _LE_ERR_NOMEM:
            raise MemoryError("linear_cross_entropy: out of memory")
        if st != 0:
            raise RuntimeError(f"linear_cross_entropy: kernel failed with status {st}")
    res = finish_out(loss, luser, out) if red == RED_NONE else dt.type(value)
    if grad:
        gs = tuple(None if bb is None else finish_grad(bb, u) for bb, u in zip(bufs, users))
        return res, gs
    return res
