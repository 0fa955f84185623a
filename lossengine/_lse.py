"""Log-sum-exp family: softmax, log_softmax, logsumexp, softmin, cross_entropy
and nll_loss, each with its fused gradient (kernels in csrc/cross_entropy.c)."""
from __future__ import annotations

import math
from typing import Literal, Optional, overload

import numpy as np

from ._docs import fill_doc
from ._typing import (ArrayLike, FloatArray, GradOut, GradOutput, MaybeGrad, Out, Output,
                      Reduction, WithGrad)
from . import _core as _ce
from ._runtime import nthreads
from ._validate import (AXIS1, RED_MEAN, RED_NONE, as_array, as_index_target, as_int,
                        as_int64, call_buffers, check_no_grad_args, check_option,
                        compute_dtype, contiguous, finish_grad, finish_out, grad_buffer,
                        grad_output_none, normalize_axis, out_dest, pick_axis, reduction_code,
                        reject_out)

_LE_ERR_TARGET_RANGE = 1
_LE_ERR_NOMEM = 3


def _split(shape, ax):
    outer = math.prod(shape[:ax])
    return outer, shape[ax], math.prod(shape[ax + 1:])


def _raise_status(st, what):
    if st == _LE_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if st != 0:
        raise RuntimeError(f"{what}: kernel failed with status {st}")


# --------------------------------------------------------------------------
# softmax family
_SM_MODES = {"softmax": 0, "log_softmax": 1, "logsumexp": 2, "softmin": 3}


def _softmax_like(name, input, axis, dim, keepdim, grad, grad_output, grad_out, out):
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    shape = x.shape
    xs = x.reshape(1) if x.ndim == 0 else x
    ax = normalize_axis(pick_axis(axis, dim, -1), xs.ndim, "axis")
    outer, C, inner = _split(xs.shape, ax)
    xc = contiguous(xs, dt)
    mode = _SM_MODES[name]
    if mode == 2:
        yshape = xs.shape[:ax] + xs.shape[ax + 1:]
        out_shape = (xs.shape[:ax] + (1,) + xs.shape[ax + 1:]) if keepdim else yshape
        if x.ndim == 0:
            out_shape = ()
    else:
        yshape = xs.shape
        out_shape = shape
    # not elementwise (each result depends on a whole row of the input): out
    # may not overlap the input
    yb, yuser, _ = out_dest(out, out_shape, dt, (input, grad_output),
                            grad_out=grad_out if grad else None)
    y = yb.reshape(yshape)      # a view: yb is C-contiguous
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        gscalar, garr = grad_output_none(grad, grad_output, out_shape, dt)
        if garr is not None:
            garr = garr.reshape(yshape)
        g, guser = grad_buffer(grad_out, shape, dt, (input, grad_output))
    if C == 0 and mode == 2:
        y.fill(-np.inf)
        if grad:
            g.fill(0)
    elif y.size:
        st = _ce.softmax(xc, garr, y, g, outer, C, inner, gscalar, mode, nthreads())
        _raise_status(st, name)
    res = finish_out(yb, yuser, out)
    if grad:
        return res, finish_grad(g, guser)
    return res


@overload
def softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: Literal[False] = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: Literal[True], grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: bool = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softmax(input: ArrayLike, axis: Optional[int] = None, *, dim: Optional[int] = None,
            grad: bool = False, grad_output: GradOutput = None,
            grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Softmax ``exp(x) / sum(exp(x))`` along an axis, as torch's ``F.softmax``.

    Computed with the maximum subtracted, so any finite input gives a finite
    result.

    Parameters
    ----------
    input : array_like
        Logits, any shape (a 0-d input is one element: the result is 1).
    %(sm_axis)s
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray
        The probabilities, shaped like `input`, in the compute dtype.
    %(ret_grad_act)s

    Raises
    ------
    %(raises_act)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> y, g = le.softmax([1.0, 2.0, 3.0], grad=True, grad_output=[1.0, 0.0, 0.0])
    >>> y.round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> g.round(4)
    array([ 0.0819, -0.022 , -0.0599])
    """
    return _softmax_like("softmax", input, axis, dim, False, grad, grad_output, grad_out, out)


@overload
def log_softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
                grad: Literal[False] = ..., grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def log_softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
                grad: Literal[True], grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def log_softmax(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
                grad: bool = ..., grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def log_softmax(input: ArrayLike, axis: Optional[int] = None, *, dim: Optional[int] = None,
                grad: bool = False, grad_output: GradOutput = None,
                grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Log-softmax ``x - logsumexp(x)`` along an axis, as torch's ``F.log_softmax``.

    Computed stably (never ``log`` of an underflowed softmax).

    Parameters
    ----------
    input : array_like
        Logits, any shape.
    %(sm_axis)s
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray
        The log-probabilities, shaped like `input`, in the compute dtype.
    %(ret_grad_act)s

    Raises
    ------
    %(raises_act)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> y, g = le.log_softmax([[1.0, 2.0, 3.0]], grad=True)
    >>> y.round(4)
    array([[-2.4076, -1.4076, -0.4076]])
    >>> g.shape
    (1, 3)
    """
    return _softmax_like("log_softmax", input, axis, dim, False, grad, grad_output, grad_out, out)


@overload
def softmin(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: Literal[False] = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def softmin(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: Literal[True], grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softmin(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
            grad: bool = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softmin(input: ArrayLike, axis: Optional[int] = None, *, dim: Optional[int] = None,
            grad: bool = False, grad_output: GradOutput = None,
            grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Softmin ``softmax(-x)`` along an axis, as torch's ``F.softmin``.

    Parameters
    ----------
    input : array_like
        Values, any shape.
    %(sm_axis)s
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray
        Shaped like `input`, in the compute dtype.
    %(ret_grad_act)s

    Raises
    ------
    %(raises_act)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> le.softmin([1.0, 2.0, 3.0]).round(4)
    array([0.6652, 0.2447, 0.09  ])
    """
    return _softmax_like("softmin", input, axis, dim, False, grad, grad_output, grad_out, out)


@overload
def logsumexp(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
              keepdim: bool = ..., grad: Literal[False] = ..., grad_output: GradOutput = ...,
              grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def logsumexp(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
              keepdim: bool = ..., grad: Literal[True], grad_output: GradOutput = ...,
              grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def logsumexp(input: ArrayLike, axis: Optional[int] = ..., *, dim: Optional[int] = ...,
              keepdim: bool = ..., grad: bool = ..., grad_output: GradOutput = ...,
              grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def logsumexp(input: ArrayLike, axis: Optional[int] = None, *, dim: Optional[int] = None,
              keepdim: bool = False, grad: bool = False, grad_output: GradOutput = None,
              grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """``log(sum(exp(x)))`` along an axis, as torch's ``torch.logsumexp``.

    An infinite maximum is handled as torch does (shift by 0), so a row of all
    ``-inf`` gives ``-inf``, and an empty axis gives ``-inf``.

    Parameters
    ----------
    input : array_like
        Values, any shape.
    %(sm_axis)s
    keepdim : bool, default False
        Keep the reduced axis with size 1.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        `input`'s shape without `axis` (with it as 1 if `keepdim`); a NumPy
        scalar when that is 0-d.  In the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(y, grad)``: the gradient of
        ``sum(grad_output * y)`` with respect to `input` (``softmax(input)``
        times `grad_output`), shaped like `input`.

    Raises
    ------
    %(raises_act)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> y, g = le.logsumexp([[0.0, 0.0], [1.0, 3.0]], grad=True)
    >>> y.round(4)
    array([0.6931, 3.1269])
    >>> g.round(4)
    array([[0.5   , 0.5   ],
           [0.1192, 0.8808]])
    """
    return _softmax_like("logsumexp", input, axis, dim, keepdim, grad, grad_output, grad_out, out)


# --------------------------------------------------------------------------
# cross entropy / NLL
def _class_layout(x, axis):
    """(outer, C, inner), class axis and position shape for a CE-style input."""
    if x.ndim == 0:
        raise ValueError("input: expected 1 or more dimensions (got 0)")
    if x.ndim == 1:
        a = as_int(axis, "axis")
        if a not in (0, 1, -1):
            raise ValueError(f"axis={a} is out of range for a 1-d input")
        ax = 0
    else:
        ax = normalize_axis(axis, x.ndim, "axis")
    outer, C, inner = _split(x.shape, ax)
    pos_shape = x.shape[:ax] + x.shape[ax + 1:]
    return outer, C, inner, ax, pos_shape


def _check_index_target(t, x, ax, pos_shape):
    if t.shape == pos_shape:
        return
    if x.ndim >= 2 and t.ndim >= 1 and ax != 0 and t.shape[0] != x.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0]}).")
    raise ValueError(f"target: expected shape {pos_shape} for input of shape {x.shape} "
                     f"with classes on axis {ax}, got {t.shape}")


def _prep_weight(weight, C, dt):
    if weight is None:
        return None
    w = as_array(weight, "weight")
    if w.ndim != 1 or w.shape[0] != C:
        raise ValueError("weight tensor should be defined either for all "
                         f"{C} classes or no classes but got weight tensor of shape: "
                         f"{list(w.shape)}")
    return contiguous(w, dt)


def _ce_impl(name, input, target, weight, ignore_index, reduction, label_smoothing, axis,
             grad, grad_output, grad_out, log_input, out):
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    outer, C, inner, ax, pos_shape = _class_layout(x, axis)
    ignore_index = as_int64(ignore_index, "ignore_index")
    eps = check_option(label_smoothing, "label_smoothing", 0.0, 1.0)
    t_raw = target if type(target) is np.ndarray else np.asarray(target)
    prob = (not log_input) and t_raw.shape == x.shape and x.ndim >= 1 and \
        not (x.ndim == 1 and t_raw.ndim == 0)
    if prob:
        if t_raw.dtype.kind != "f":
            raise TypeError("target: expected a floating point array for class "
                            f"probabilities (same shape as input), got dtype {t_raw.dtype}")
        if ignore_index >= 0:
            raise ValueError("ignore_index is not supported for floating point target "
                             "(class probabilities)")
        tp = contiguous(t_raw, dt)
        ti = None
    else:
        ti = as_index_target(t_raw, "target")
        _check_index_target(ti, x, ax, pos_shape)
        tp = None
    w = _prep_weight(weight, C, dt)
    xc = contiguous(x, dt)

    loss, luser, gscalar, garr, g, guser = call_buffers(
        red, grad, grad_output, grad_out, pos_shape, x.shape, dt,
        (input, target, weight, grad_output), out)
    if C == 0 and prob:
        # no classes: each position's sum over classes is empty (torch: -0.0;
        # 'mean' divides by numel / C, which is NaN)
        value = np.nan if red == RED_MEAN else 0.0
        if loss is not None:
            loss.fill(0.0)
        st, bad = 0, -1
    else:
        st, value, _tw, bad = _ce.ce(xc, ti, tp, w, garr, loss, g, outer, C, inner, ignore_index,
                                     eps, gscalar, red, 1 if log_input else 0,
                                     nthreads())
    if st == _LE_ERR_TARGET_RANGE:
        idx = np.unravel_index(bad, pos_shape) if pos_shape else ()
        raise ValueError(f"target: value {int(ti.reshape(-1)[bad])} at position {tuple(map(int, idx))} "
                         f"is out of bounds for {C} classes (and is not ignore_index="
                         f"{ignore_index})")
    _raise_status(st, name)
    res = finish_out(loss, luser, out) if red == RED_NONE else dt.type(value)
    if grad:
        return res, finish_grad(g, guser)
    return res


@overload
def cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                  ignore_index: int = ..., reduction: Reduction = ...,
                  label_smoothing: float = ..., axis: int = ..., dim: Optional[int] = ...,
                  grad: Literal[False] = ..., grad_output: GradOutput = ...,
                  grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                  ignore_index: int = ..., reduction: Reduction = ...,
                  label_smoothing: float = ..., axis: int = ..., dim: Optional[int] = ...,
                  grad: Literal[True], grad_output: GradOutput = ...,
                  grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                  ignore_index: int = ..., reduction: Reduction = ...,
                  label_smoothing: float = ..., axis: int = ..., dim: Optional[int] = ...,
                  grad: bool = ..., grad_output: GradOutput = ...,
                  grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = None, *,
                  ignore_index: int = -100, reduction: Reduction = "mean",
                  label_smoothing: float = 0.0, axis: int = AXIS1, dim: Optional[int] = None,
                  grad: bool = False, grad_output: GradOutput = None,
                  grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Cross entropy between logits and class targets, as torch's ``F.cross_entropy``.

    ``l = -sum_c w_c q_c log softmax(input)_c`` per position, with ``q`` the
    one-hot target (smoothed by `label_smoothing`) or the given class
    probabilities.

    Parameters
    ----------
    input : array_like
        Logits: ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dk)`` with the classes
        on `axis`; a 1-d input is one sample whatever `axis` says.
    target : array_like
        Integer class indices shaped like `input` without the class axis (any
        integer dtype), or class probabilities (floating, shaped like `input`);
        chosen by shape, as torch.
    weight : array_like, optional
        ``(C,)`` weights of the classes.
    ignore_index : int, default -100
        Index targets equal to it add nothing and get a zero gradient (not
        allowed with probability targets).  An int64.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed weight of the non-ignored targets (index
        targets) or by the number of positions (probability targets).
    label_smoothing : float, default 0.0
        In ``[0, 1]``; combines with `weight` and `ignore_index` exactly as torch.
    axis : int, default 1
        The class axis (torch's layout); ``-1`` reads channels-last data
        ``(N, d1, ..., C)`` in place, without a transpose copy.
    dim : int, optional
        Alias of `axis` (giving both is a ``TypeError``).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        Per position (`input`'s shape without the class axis) for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    ValueError
        If a target index is out of range (the message names the value and its
        position), the shapes do not fit, `weight` has the wrong size,
        `label_smoothing` is NaN or outside ``[0, 1]``, `ignore_index` is
        outside the int64 range, `reduction` is unknown,
        `grad_output`/`grad_out` is given without ``grad=True`` or does not fit,
        or `out` does not fit (or is given with a reduced loss).
    TypeError
        If `input` does not hold real numbers, index targets are not integers,
        probability targets are not floating, `grad_out` or `out` has the
        wrong dtype, or both `axis` and `dim` are given.

    Notes
    -----
    Where torch is silent: a 1-d input is one sample whatever `axis` says, and
    out-of-range targets raise instead of reading memory.  An empty or fully
    ignored batch gives NaN for ``'mean'`` and 0 for ``'sum'``, as torch.  When
    the summed weight is 0 (every target ignored, or weighing 0) the gradient
    is torch's too: 0 at ignored positions, NaN in the rows of counted
    zero-weight targets.
    Logits of +-1e4 (float32) or +-1e300 (float64) give finite results; NaN
    propagates into the loss and into the gradient of its own row.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> loss, g = le.cross_entropy(logits, [0, 1], grad=True)
    >>> round(float(loss), 4)
    0.3964
    >>> g.round(4)
    array([[-0.1072,  0.0876,  0.0196],
           [ 0.106 , -0.2119,  0.106 ]])
    """
    if axis == 1 and dim is None and grad_output is None and out is None:
        r = _ce.ce_fast(input, target, weight, ignore_index, label_smoothing, reduction, grad, 0,
                        nthreads(), grad_out)
        if r is not None:
            return r
    axis = pick_axis(axis, dim, 1)
    return _ce_impl("cross_entropy", input, target, weight, ignore_index, reduction,
                    label_smoothing, axis, grad, grad_output, grad_out, False, out)


@overload
def nll_loss(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
             ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
             dim: Optional[int] = ..., grad: Literal[False] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def nll_loss(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
             ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
             dim: Optional[int] = ..., grad: Literal[True], grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def nll_loss(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
             ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
             dim: Optional[int] = ..., grad: bool = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def nll_loss(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = None, *,
             ignore_index: int = -100, reduction: Reduction = "mean", axis: int = AXIS1,
             dim: Optional[int] = None, grad: bool = False, grad_output: GradOutput = None,
             grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Negative log-likelihood of log-probabilities at class targets, as torch's ``F.nll_loss``.

    ``l = -w[y] * input[y]`` per position (``input`` holding log-probabilities,
    e.g. from :func:`log_softmax`).

    Parameters
    ----------
    input : array_like
        Log-probabilities: ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dk)`` with
        the classes on `axis`.
    target : array_like
        Integer class indices shaped like `input` without the class axis.
    weight : array_like, optional
        ``(C,)`` weights of the classes.
    ignore_index : int, default -100
        Targets equal to it add nothing and get a zero gradient.  An int64.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed weight of the non-ignored targets.
    axis : int, default 1
        The class axis; ``-1`` for channels-last data.
    dim : int, optional
        Alias of `axis` (giving both is a ``TypeError``).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        Per position for ``reduction='none'``, else a NumPy scalar.
    %(ret_grad)s

    Raises
    ------
    ValueError
        If a target index is out of range (named with its position), the shapes
        do not fit, `weight` has the wrong size, `reduction` is unknown,
        `grad_output`/`grad_out` is given without ``grad=True`` or does not fit,
        or `out` does not fit (or is given with a reduced loss).
    TypeError
        If `input` does not hold real numbers, `target` is not integer, or
        `out` is not an array of the compute dtype.

    Notes
    -----
    An empty or fully ignored batch gives NaN for ``'mean'`` and 0 for
    ``'sum'``, as torch (the gradient is then 0 at ignored positions, NaN at
    counted zero-weight targets, as torch's).
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> logp = le.log_softmax([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> loss, g = le.nll_loss(logp, [0, 1], grad=True)
    >>> round(float(loss), 4)
    0.3964
    >>> g
    array([[-0.5,  0. ,  0. ],
           [ 0. , -0.5,  0. ]])
    """
    if axis == 1 and dim is None and grad_output is None and out is None:
        r = _ce.ce_fast(input, target, weight, ignore_index, 0.0, reduction, grad, 1,
                        nthreads(), grad_out)
        if r is not None:
            return r
    axis = pick_axis(axis, dim, 1)
    return _ce_impl("nll_loss", input, target, weight, ignore_index, reduction, 0.0, axis,
                    grad, grad_output, grad_out, True, out)
