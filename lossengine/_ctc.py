"""CTC loss (kernels in csrc/ctc.c)."""
from __future__ import annotations

from typing import Literal, overload

import numpy as np

from ._docs import fill_doc
from ._typing import (ArrayLike, FloatArray, GradOut, GradOutput, MaybeGrad, Out, Output,
                      Reduction, WithGrad)
from . import _core as _kern
from ._runtime import nthreads
from ._validate import (RED_NONE, as_array, as_int, check_no_grad_args,
                        compute_dtype, contiguous, finish_grad, finish_out, grad_buffer,
                        grad_output_none, grad_output_reduced, out_dest, reduction_code,
                        reject_out)

_I64 = np.dtype(np.int64)
_GRAD_WRT = ("log_probs", "logits")

# Testing / measurement switches: route every sequence through the log-space
# path; or skip the one-factor-per-step attempt (per-block exponents first).
_FORCE_LOG = False
_BLOCK_FIRST = False


def _int_array(x, name):
    """An integer ndarray from an array or a (possibly nested) list of ints.
    Float or bool values raise TypeError."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must hold integers, got {x!r}")
    if type(x) is np.ndarray:
        a = x
    else:
        try:
            a = np.asarray(x)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{name}: cannot be read as an integer array ({e})") from None
    if a.size == 0 and a.dtype.kind == "f" and not isinstance(x, np.ndarray):
        a = a.astype(_I64)     # [] has no dtype of its own
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: value {int(a.max())} is out of range")
    return a


def _lengths(x, name, N, unbatched):
    a = _int_array(x, name)
    if unbatched:
        if a.size != 1 or a.ndim > 1:
            raise ValueError(f"{name} must be a single length for an unbatched log_probs "
                             f"(T, C), got shape {a.shape}")
    elif a.ndim > 1 or a.size != N:
        raise ValueError(f"{name} must be of size batch_size={N}, got shape {a.shape}")
    return contiguous(a.reshape(-1), _I64)   # values checked by the kernel


def _length_error(name, a, n, T, S):
    v = int(a[n])
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v} for sample {n}")
    if name == "input_lengths":
        raise ValueError(f"input_lengths must be <= T={T} (log_probs.shape[0]), got {v} "
                         f"for sample {n}")
    raise ValueError(f"target_lengths must be <= S={S} (targets.shape[1]) for padded targets, "
                     f"got {v} for sample {n}")


@overload
def ctc_loss(log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
             target_lengths: ArrayLike, *, blank: int = ..., reduction: Reduction = ...,
             zero_infinity: bool = ..., grad: Literal[False] = ...,
             grad_wrt: Literal["log_probs", "logits"] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def ctc_loss(log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
             target_lengths: ArrayLike, *, blank: int = ..., reduction: Reduction = ...,
             zero_infinity: bool = ..., grad: Literal[True],
             grad_wrt: Literal["log_probs", "logits"] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def ctc_loss(log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
             target_lengths: ArrayLike, *, blank: int = ..., reduction: Reduction = ...,
             zero_infinity: bool = ..., grad: bool = ...,
             grad_wrt: Literal["log_probs", "logits"] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def ctc_loss(log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
             target_lengths: ArrayLike, *, blank: int = 0, reduction: Reduction = "mean",
             zero_infinity: bool = False, grad: bool = False,
             grad_wrt: Literal["log_probs", "logits"] = "log_probs",
             grad_output: GradOutput = None, grad_out: GradOut = None,
             out: Out = None) -> MaybeGrad[FloatArray]:
    """Connectionist temporal classification loss, as torch's ``F.ctc_loss``.

    Per sample the loss is the negative log-likelihood of its target over all
    CTC alignments of its first ``input_lengths[n]`` steps: ``+inf`` when no
    alignment exists (target plus repeats longer than the input) or has
    non-zero probability.

    Parameters
    ----------
    log_probs : array_like
        ``(T, N, C)`` log-probabilities (e.g. a :func:`log_softmax` over C), or
        ``(T, C)`` for one unbatched sequence.
    targets : array_like
        Integer targets: padded ``(N, S)``, or all samples' targets concatenated
        (1-D, length ``sum(target_lengths)``); ``(S,)`` when unbatched.  Any
        integer dtype.
    input_lengths : array_like
        ``(N,)`` integers (or a list of ints; one int when unbatched), each
        ``<= T``.
    target_lengths : array_like
        ``(N,)`` integers (or a list of ints; one int when unbatched).
    blank : int, default 0
        The blank class, in ``[0, C)``.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides each loss by ``max(target_length, 1)``, then averages
        over the batch; ``'sum'`` adds.
    zero_infinity : bool, default False
        Turn infinite losses into 0 with a zero gradient (NaN is not touched).
    %(grad)s
    grad_wrt : {'log_probs', 'logits'}, default 'log_probs'
        Which gradient ``grad=True`` returns.  ``'log_probs'``: the exact
        derivative with respect to `log_probs`, ``-posterior * grad_output``,
        where ``posterior[t, n, c]`` is the probability that an alignment emits
        class ``c`` at step ``t``.  ``'logits'``: ``(exp(log_probs) - posterior)
        * grad_output``, the derivative with respect to the logits `log_probs`
        was the ``log_softmax`` of -- what torch's backward returns (even for a
        `log_probs` leaf, pytorch#52241), and what a training loop feeding
        logits through ``log_softmax`` needs.
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        ``(N,)`` per-sample losses for ``reduction='none'`` (0-d when
        unbatched), else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: shaped like `log_probs`,
        zero for ``t >= input_lengths[n]``.  A sample with an infinite loss gets
        a NaN gradient (as torch), or zero with `zero_infinity`.

    Raises
    ------
    ValueError
        Naming the argument (and the first offending sample) for a bad shape,
        length (``< 0``, ``input_length > T``, ``target_length > S``, or
        concatenated targets not of length ``sum(target_lengths)``), target
        value or `blank`, or for an `out` that does not fit (or is given with a
        reduced loss).
    TypeError
        For float or bool targets or lengths, or an `out` that is not an array
        of the compute dtype.

    Notes
    -----
    Unlike torch, target values are checked: within each sample's
    ``target_lengths[n]`` they must be in ``[0, C)`` and differ from `blank`
    (padding beyond the length is ignored, e.g. 0 or -1).  Unbatched targets may
    be padded.  The recursions run in double precision for float32 inputs too.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> logits = np.zeros((4, 1, 3))                 # T=4 steps, N=1, C=3 classes
    >>> log_probs = le.log_softmax(logits, axis=-1)
    >>> loss, g = le.ctc_loss(log_probs, [[1, 2]], [4], [2], grad=True, grad_wrt='logits')
    >>> round(float(loss), 4)
    0.8432
    >>> g.shape
    (4, 1, 3)
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    if not isinstance(grad_wrt, str) or grad_wrt not in _GRAD_WRT:
        raise ValueError(f"grad_wrt must be 'log_probs' or 'logits', got {grad_wrt!r}")
    lp = as_array(log_probs, "log_probs")
    if lp.ndim not in (2, 3):
        raise ValueError(f"log_probs must be (T, N, C) or unbatched (T, C), got shape {lp.shape}")
    dt = compute_dtype(lp)
    unbatched = lp.ndim == 2
    lp3 = lp[:, None, :] if unbatched else lp
    T, N, C = lp3.shape
    blank = as_int(blank, "blank")
    if not 0 <= blank < C:
        raise ValueError(f"blank must be in label range [0, {C}), got {blank}")
    if not isinstance(zero_infinity, (bool, np.bool_, int, np.integer)):
        raise TypeError(f"zero_infinity must be a bool, got {type(zero_infinity).__name__}")
    zero_infinity = bool(zero_infinity)

    il = _lengths(input_lengths, "input_lengths", N, unbatched)
    tl = _lengths(target_lengths, "target_lengths", N, unbatched)

    t = _int_array(targets, "targets")
    if unbatched:
        if t.ndim != 1:
            raise ValueError(f"targets must be 1-d (S,) for an unbatched log_probs (T, C), "
                             f"got shape {t.shape}")
        t = t.reshape(1, -1)
    if t.ndim == 2:
        if t.shape[0] != N:
            raise ValueError(f"targets: padded targets must be (N, S) with N=batch_size={N}, "
                             f"got shape {t.shape}")
        S = t.shape[1]
        off = np.arange(N, dtype=_I64) * S
    elif t.ndim == 1:
        S = -1
        if tl.size and tl.min() < 0:
            _length_error("target_lengths", tl, int(np.argmax(tl < 0)), T, S)
        total = int(tl.sum())
        if total != t.shape[0]:
            raise ValueError(f"targets: concatenated targets must have length "
                             f"sum(target_lengths)={total}, got {t.shape[0]}")
        off = np.zeros(N, dtype=_I64)
        if N > 1:
            np.cumsum(tl[:-1], out=off[1:])
    else:
        raise ValueError(f"targets must be padded (N, S) or concatenated 1-d, got shape {t.shape}")
    tc = contiguous(t.reshape(-1), _I64)

    xc = contiguous(lp3, dt)
    loss = lbuf = luser = None
    gscalar, garr, g, guser = 1.0, None, None, None
    loss_shape = () if unbatched else (N,)
    inputs = (log_probs, targets, input_lengths, target_lengths, grad_output)
    if red == RED_NONE:
        lbuf, luser, _ = out_dest(out, loss_shape, dt, inputs,
                                  grad_out=grad_out if grad else None)
        loss = lbuf.reshape(N)          # a view: lbuf is C-contiguous
        if grad:
            gscalar, garr = grad_output_none(grad, grad_output, loss_shape, dt)
            if garr is not None:
                garr = garr.reshape(N)
    elif grad:
        gscalar = grad_output_reduced(grad, grad_output)
    if grad:
        g, guser = grad_buffer(grad_out, lp.shape, dt, inputs)
    st, value, bad_n, bad_k, _nlog = _kern.ctc(
        xc, tc, off, il, tl, garr, loss, g, T, N, C, blank, S, gscalar, red,
        1 if zero_infinity else 0, 1 if grad_wrt == "logits" else 0,
        1 if _FORCE_LOG else (2 if _BLOCK_FIRST else 0), nthreads())
    if st == _kern.ERR_INPUT_LEN:
        _length_error("input_lengths", il, bad_n, T, S)
    if st == _kern.ERR_TARGET_LEN:
        _length_error("target_lengths", tl, bad_n, T, S)
    if st in (_kern.ERR_TARGET_RANGE, _kern.ERR_TARGET_BLANK):
        v = int(tc[off[bad_n] + bad_k])
        where = f"sample {bad_n}, position {bad_k}" if not unbatched else f"position {bad_k}"
        if st == _kern.ERR_TARGET_RANGE:
            raise ValueError(f"targets: value {v} at {where} is out of range for {C} classes "
                             f"(must be in [0, {C}) within target_lengths)")
        raise ValueError(f"targets: value {v} at {where} equals blank={blank} (targets must "
                         f"not contain the blank within target_lengths)")
    if st == _kern.ERR_NOMEM:
        raise MemoryError("ctc_loss: out of memory")
    if st != 0:
        raise RuntimeError(f"ctc_loss: kernel failed with status {st}")
    res = finish_out(lbuf, luser, out) if red == RED_NONE else dt.type(value)
    if grad:
        return res, finish_grad(g, guser)
    return res
