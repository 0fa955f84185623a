"""Elementwise regression and distribution losses: l1_loss, mse_loss,
smooth_l1_loss, huber_loss, poisson_nll_loss, gaussian_nll_loss, kl_div, each
with its fused gradient (kernels in csrc/pointwise.c).

Broadcasting: input and target (and GaussianNLL's var) broadcast by NumPy's
rules, as torch does.  The loss has the broadcast shape; the gradient has the
shape of the prediction it belongs to, summed over the broadcast dimensions
when the prediction is the smaller array.  Same-shape inputs take a fast path
without copies (C-contiguous arrays of the compute dtype are used in place).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Literal, Optional, overload

import numpy as np

from ._docs import fill_doc
from ._typing import (ArrayLike, FloatArray, GradOut, GradOutput, GradOuts, MaybeGrad, Out,
                      Output, Reduction, VarGrads, WithGrad)
from . import _core as _k
from ._runtime import nthreads
from ._validate import (STREAM_GRAD, STREAM_LOSS, RED_MEAN, RED_NONE, RED_SUM, as_array,
                        check_no_grad_args, check_option, compute_dtype, contiguous,
                        finish_grad, finish_out, fixed_sum, grad_dest, grad_output_none,
                        grad_output_reduced, new_output, out_dest, reduction_code, reject_out)

_L1, _MSE, _SMOOTH_L1, _HUBER, _POISSON_LOG, _POISSON_LIN, _KL, _KL_LOG, _GAUSS = range(9)
_LE_ERR_VALUE_RANGE = 2
_LE_ERR_NOMEM = 3


def _raise_status(st, what):
    if st == _LE_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if st != 0:
        raise RuntimeError(f"{what}: kernel failed with status {st}")


def _bshape(name_a, a, name_b, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"{name_b} of shape {b} does not broadcast with {name_a} of shape "
                         f"{a}") from None


def _full(a, shape, dt):
    """C-contiguous array of `dt` with the broadcast shape (a copy only when the
    shape or layout requires one)."""
    if a.shape == tuple(shape):
        return contiguous(a, dt)
    return contiguous(np.broadcast_to(a, shape), dt)


def _sum_to(g, shape):
    """Sum a broadcast-shaped gradient down to `shape` (NumPy broadcasting rules)."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    r = g.sum(axis=axes, keepdims=True, dtype=g.dtype) if axes else g
    if lead:
        r = r.reshape(r.shape[lead:])
    return r.reshape(shape)


def _grad_dest(grad_out, pshape, bshape, dt, inputs, name="grad_out"):
    """(kernel buffer, user buffer, needs_sum, resident): the kernel writes a
    bshape buffer; when the prediction is smaller, the sum is written to the
    user's buffer.  resident: the kernel buffer's pages are present."""
    buf, user, resident = grad_dest(grad_out, pshape, dt, inputs, name)
    if tuple(pshape) == tuple(bshape):
        return buf, user, False, resident
    if user is None and grad_out is not None:
        user = buf              # contiguous user buffer receives the summed gradient
    kbuf, resident = new_output(bshape, dt)
    return kbuf, user, True, resident


def _finish(kbuf, user, needs_sum, pshape, out_shape=None):
    """The gradient of a prediction of shape `pshape` (as broadcast), returned
    in `out_shape` (default pshape)."""
    if not needs_sum:
        return finish_grad(kbuf, user)
    s = _sum_to(kbuf, pshape)
    if out_shape is not None:
        s = s.reshape(out_shape)
    if user is None:
        return s if s.flags.c_contiguous and s.base is None else s.copy()
    user[...] = s
    return user


def _result(red, loss, luser, out, value, dt):
    if red == RED_NONE:
        return finish_out(loss, luser, out)
    return dt.type(value)


def _warn_size(x, t):
    warnings.warn(f"Using a target size ({t.shape}) that is different to the input size "
                  f"({x.shape}). This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size.", UserWarning,
                  stacklevel=4)


def _two_array_loss(name, op, input, target, red, weight, grad, grad_output, grad_out,
                    p1=0.0, p2=0.0, full=0, warn=False, weight_mean_sum=False,
                    batch_denom=None, out=None):
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    x = as_array(input, "input")
    t = as_array(target, "target")
    dt = compute_dtype(x)
    if x.shape != t.shape:
        if warn:
            _warn_size(x, t)
        bshape = _bshape("input", x.shape, "target", t.shape)
    else:
        bshape = x.shape
    w = None
    if weight is not None:
        w = as_array(weight, "weight")
        if w.shape != x.shape:
            raise ValueError(f"Weights and input must have the same size: weight has shape "
                             f"{w.shape}, input {x.shape}.")
    xc = _full(x, bshape, dt)
    tc = _full(t, bshape, dt)
    wc = _full(w, bshape, dt) if w is not None else None
    n = math.prod(bshape)
    denom = float(n)
    if batch_denom is not None:
        denom = float(batch_denom)
    elif weight_mean_sum and w is not None and red == RED_MEAN:
        denom = fixed_sum(w)         # the same bits for any layout of weight
    loss, luser, stream = None, None, 0
    if red == RED_NONE:
        loss, luser, resident = out_dest(out, bshape, dt, (input, target, weight, grad_output),
                                         grad_out=grad_out if grad else None)
        stream |= STREAM_LOSS if resident else 0
    gscalar, garr, g, guser, need_sum = 1.0, None, None, None, False
    if grad:
        if red == RED_NONE:
            gscalar, garr = grad_output_none(grad, grad_output, bshape, dt)
        else:
            gscalar = grad_output_reduced(grad, grad_output)
        g, guser, need_sum, resident = _grad_dest(grad_out, x.shape, bshape, dt,
                                                  (input, target, weight, grad_output))
        stream |= STREAM_GRAD if resident else 0
    st, value = _k.pw(op, xc, tc, wc, None, garr, loss, g, None, full, p1, p2, gscalar, denom,
                      red, nthreads(), stream)
    _raise_status(st, name)
    res = _result(red, loss, luser, out, value, dt)
    if grad:
        return res, _finish(g, guser, need_sum, x.shape)
    return res


@overload
def l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
            weight: Optional[ArrayLike] = ..., grad: Literal[False] = ...,
            grad_output: GradOutput = ..., grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
            weight: Optional[ArrayLike] = ..., grad: Literal[True], grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
            weight: Optional[ArrayLike] = ..., grad: bool = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
            weight: Optional[ArrayLike] = None, grad: bool = False, grad_output: GradOutput = None,
            grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Absolute error ``|input - target|``, as torch's ``F.l1_loss``.

    The gradient is ``sign(input - target)``, 0 where they are equal (torch's
    subgradient).

    Parameters
    ----------
    input : array_like
        Predictions.
    target : array_like
        Targets; broadcast with `input` by NumPy's rules (torch's UserWarning
        when the shapes differ).
    %(reduction)s
    weight : array_like, optional
        Multiplies each element's loss (shaped like `input`); with it,
        ``'mean'`` divides by ``sum(weight)`` (torch's rule).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The (weighted) absolute errors: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, g = le.l1_loss([0.5, 2.0, 1.0], [0.0, 3.0, 1.0], grad=True)
    >>> round(float(loss), 4)
    0.5
    >>> g.round(4)
    array([ 0.3333, -0.3333,  0.    ])
    """
    red = reduction_code(reduction)
    return _two_array_loss("l1_loss", _L1, input, target, red, weight, grad, grad_output,
                           grad_out, warn=True, weight_mean_sum=True, out=out)


@overload
def mse_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
             weight: Optional[ArrayLike] = ..., grad: Literal[False] = ...,
             grad_output: GradOutput = ..., grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def mse_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
             weight: Optional[ArrayLike] = ..., grad: Literal[True], grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def mse_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
             weight: Optional[ArrayLike] = ..., grad: bool = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def mse_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
             weight: Optional[ArrayLike] = None, grad: bool = False,
             grad_output: GradOutput = None, grad_out: GradOut = None,
             out: Out = None) -> MaybeGrad[FloatArray]:
    """Squared error ``(input - target)**2``, as torch's ``F.mse_loss``.

    The gradient is ``2 (input - target)`` (divided by the count for 'mean').

    Parameters
    ----------
    input : array_like
        Predictions.
    target : array_like
        Targets; broadcast with `input` by NumPy's rules (torch's UserWarning
        when the shapes differ).
    %(reduction)s
    weight : array_like, optional
        Multiplies each element's loss (shaped like `input`); with it,
        ``'mean'`` divides by ``sum(weight)`` (torch's rule).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The (weighted) squared errors: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, g = le.mse_loss([0.5, 2.0], [0.0, 1.0], grad=True)
    >>> round(float(loss), 4)
    0.625
    >>> g.round(4)
    array([0.5, 1. ])
    """
    red = reduction_code(reduction)
    return _two_array_loss("mse_loss", _MSE, input, target, red, weight, grad, grad_output,
                           grad_out, warn=True, weight_mean_sum=True, out=out)


@overload
def smooth_l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                   beta: float = ..., grad: Literal[False] = ..., grad_output: GradOutput = ...,
                   grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def smooth_l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                   beta: float = ..., grad: Literal[True], grad_output: GradOutput = ...,
                   grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def smooth_l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                   beta: float = ..., grad: bool = ..., grad_output: GradOutput = ...,
                   grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def smooth_l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
                   beta: float = 1.0, grad: bool = False, grad_output: GradOutput = None,
                   grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Smooth L1 loss, as torch's ``F.smooth_l1_loss``.

    ``0.5 z**2 / beta`` where ``z = |input - target| < beta``, else
    ``z - 0.5 beta``; ``beta = 0`` is :func:`l1_loss`.

    Parameters
    ----------
    input : array_like
        Predictions.
    target : array_like
        Targets; broadcast with `input` by NumPy's rules (torch's UserWarning
        when the shapes differ).
    %(reduction)s
    beta : float, default 1.0
        Where the loss turns from quadratic to linear, ``>= 0``.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, g = le.smooth_l1_loss([0.5, 3.0], [0.0, 0.0], reduction='none', grad=True)
    >>> loss
    array([0.125, 2.5  ])
    >>> g
    array([0.5, 1. ])
    """
    red = reduction_code(reduction)
    beta = check_option(beta, "beta")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got "
                         f"beta={beta!r}")
    op = _L1 if beta == 0 else _SMOOTH_L1
    return _two_array_loss("smooth_l1_loss", op, input, target, red, None, grad, grad_output,
                           grad_out, p1=beta, warn=True, out=out)


@overload
def huber_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
               delta: float = ..., weight: Optional[ArrayLike] = ..., grad: Literal[False] = ...,
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> Output: ...
@overload
def huber_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
               delta: float = ..., weight: Optional[ArrayLike] = ..., grad: Literal[True],
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def huber_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
               delta: float = ..., weight: Optional[ArrayLike] = ..., grad: bool = ...,
               grad_output: GradOutput = ...,
               grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def huber_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
               delta: float = 1.0, weight: Optional[ArrayLike] = None, grad: bool = False,
               grad_output: GradOutput = None, grad_out: GradOut = None,
               out: Out = None) -> MaybeGrad[FloatArray]:
    """Huber loss, as torch's ``F.huber_loss``.

    ``0.5 z**2`` where ``z = |input - target| < delta``, else
    ``delta (z - 0.5 delta)``.

    Parameters
    ----------
    input : array_like
        Predictions.
    target : array_like
        Targets; broadcast with `input` by NumPy's rules (torch's UserWarning
        when the shapes differ).
    %(reduction)s
    delta : float, default 1.0
        Where the loss turns from quadratic to linear, ``> 0``.
    weight : array_like, optional
        Multiplies each element's loss (shaped like `input`); ``'mean'`` still
        divides by the element count (torch's rule, unlike L1/MSE).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, g = le.huber_loss([0.5, 3.0], [0.0, 0.0], delta=2.0, grad=True)
    >>> round(float(loss), 4)
    2.0625
    >>> g.round(4)
    array([0.25, 1.  ])
    """
    red = reduction_code(reduction)
    delta = check_option(delta, "delta")
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got "
                         f"delta={delta!r}")
    return _two_array_loss("huber_loss", _HUBER, input, target, red, weight, grad, grad_output,
                           grad_out, p1=delta, warn=True, out=out)


@overload
def poisson_nll_loss(input: ArrayLike, target: ArrayLike, *, log_input: bool = ...,
                     full: bool = ..., eps: float = ..., reduction: Reduction = ...,
                     grad: Literal[False] = ..., grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def poisson_nll_loss(input: ArrayLike, target: ArrayLike, *, log_input: bool = ...,
                     full: bool = ..., eps: float = ..., reduction: Reduction = ...,
                     grad: Literal[True], grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def poisson_nll_loss(input: ArrayLike, target: ArrayLike, *, log_input: bool = ...,
                     full: bool = ..., eps: float = ..., reduction: Reduction = ...,
                     grad: bool = ..., grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def poisson_nll_loss(input: ArrayLike, target: ArrayLike, *, log_input: bool = True,
                     full: bool = False, eps: float = 1e-8, reduction: Reduction = "mean",
                     grad: bool = False, grad_output: GradOutput = None,
                     grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Poisson negative log likelihood, as torch's ``F.poisson_nll_loss``.

    ``exp(input) - target * input`` (``log_input=True``) or
    ``input - target * log(input + eps)``; ``full=True`` adds the Stirling term
    ``target*log(target) - target + 0.5*log(2*pi*target)`` where ``target > 1``.

    Parameters
    ----------
    input : array_like
        The log-rate (``log_input=True``) or the rate.
    target : array_like
        Counts; broadcast with `input`.
    log_input : bool, default True
        Whether `input` is the log of the rate.
    full : bool, default False
        Add the Stirling approximation term.
    eps : float, default 1e-8
        Added to the rate before the log when ``log_input=False``.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, g = le.poisson_nll_loss([0.0, 1.0], [1.0, 2.0], grad=True)
    >>> round(float(loss), 4)
    0.8591
    >>> g.round(4)
    array([0.    , 0.3591])
    """
    red = reduction_code(reduction)
    eps = check_option(eps, "eps", 0.0)
    op = _POISSON_LOG if log_input else _POISSON_LIN
    return _two_array_loss("poisson_nll_loss", op, input, target, red, None, grad, grad_output,
                           grad_out, p1=eps, full=1 if full else 0, out=out)


_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the "
                    "support size.'batchmean' divides only by the batch size, and aligns with "
                    "the KL div math definition.'mean' will be changed to behave the same as "
                    "'batchmean' in the next major release.")


@overload
def kl_div(input: ArrayLike, target: ArrayLike, *,
           reduction: Literal["none", "mean", "sum", "batchmean"] = ..., log_target: bool = ...,
           grad: Literal[False] = ..., grad_output: GradOutput = ...,
           grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def kl_div(input: ArrayLike, target: ArrayLike, *,
           reduction: Literal["none", "mean", "sum", "batchmean"] = ..., log_target: bool = ...,
           grad: Literal[True], grad_output: GradOutput = ...,
           grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def kl_div(input: ArrayLike, target: ArrayLike, *,
           reduction: Literal["none", "mean", "sum", "batchmean"] = ..., log_target: bool = ...,
           grad: bool = ..., grad_output: GradOutput = ...,
           grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def kl_div(input: ArrayLike, target: ArrayLike, *,
           reduction: Literal["none", "mean", "sum", "batchmean"] = "mean",
           log_target: bool = False, grad: bool = False, grad_output: GradOutput = None,
           grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Kullback-Leibler divergence terms, as torch's ``F.kl_div``.

    ``target * (log(target) - input)`` for log-probabilities `input`, with
    ``xlogy`` semantics (0 where ``target == 0``, NaN where ``target < 0``);
    ``log_target=True`` reads `target` as log-probabilities:
    ``exp(target) * (target - input)``.

    Parameters
    ----------
    input : array_like
        Log-probabilities.
    target : array_like
        Probabilities (or log-probabilities with `log_target`); broadcast with
        `input`.
    reduction : {'none', 'mean', 'sum', 'batchmean'}, default 'mean'
        ``'batchmean'`` divides the sum by ``input.shape[0]`` (the KL
        divergence per sample); ``'mean'`` divides by the element count and
        warns, as torch does.
    log_target : bool, default False
        Whether `target` holds log-probabilities.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The pointwise terms: shaped like the broadcast of `input` and `target` for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input` (summed over the
        broadcast dimensions when `input` is the smaller array).

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> import numpy as np
    >>> logq = np.log([[0.25, 0.75]])
    >>> loss, g = le.kl_div(logq, [[0.5, 0.5]], reduction='batchmean', grad=True)
    >>> round(float(loss), 4)
    0.1438
    >>> g
    array([[-0.5, -0.5]])
    """
    code = reduction_code(reduction, ("none", "mean", "sum", "batchmean"))
    batch = None
    if reduction == "mean":
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    if reduction == "batchmean":
        shape0 = np.shape(input)
        if len(shape0) == 0:
            code = RED_SUM
        else:
            code, batch = RED_MEAN, shape0[0]
    op = _KL_LOG if log_target else _KL
    return _two_array_loss("kl_div", op, input, target, code, None, grad, grad_output,
                           grad_out, batch_denom=batch, out=out)


def _is_scalar_var(var):
    return isinstance(var, numbers.Real) and not isinstance(var, (bool, np.generic, np.ndarray))


@overload
def gaussian_nll_loss(input: ArrayLike, target: ArrayLike, var: ArrayLike, *, full: bool = ...,
                      eps: float = ..., reduction: Reduction = ..., grad: Literal[False] = ...,
                      grad_output: GradOutput = ..., grad_out: GradOuts = ...,
                      out: Out = ...) -> Output: ...
@overload
def gaussian_nll_loss(input: ArrayLike, target: ArrayLike, var: ArrayLike, *, full: bool = ...,
                      eps: float = ..., reduction: Reduction = ..., grad: Literal[True],
                      grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[VarGrads]: ...
@overload
def gaussian_nll_loss(input: ArrayLike, target: ArrayLike, var: ArrayLike, *, full: bool = ...,
                      eps: float = ..., reduction: Reduction = ..., grad: bool = ...,
                      grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[VarGrads]: ...
@fill_doc
def gaussian_nll_loss(input: ArrayLike, target: ArrayLike, var: ArrayLike, *, full: bool = False,
                      eps: float = 1e-6, reduction: Reduction = "mean", grad: bool = False,
                      grad_output: GradOutput = None,
                      grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[VarGrads]:
    """Gaussian negative log likelihood, as torch's ``F.gaussian_nll_loss``.

    ``0.5 * (log(v) + (input - target)**2 / v)`` (plus ``0.5 * log(2 pi)`` with
    `full`), with ``v = max(var, eps)``.

    Parameters
    ----------
    input : array_like
        Predicted means.
    target : array_like
        Targets; broadcast with `input`.
    var : array_like or float
        Predicted variances: shaped like `input`, like `input` without its last
        axis, or like `input` with one axis of size 1 (torch's rules), or a
        Python number (weak: it does not raise the compute dtype).  Must be
        ``>= 0``.
    full : bool, default False
        Add the constant ``0.5 * log(2 pi)``.
    eps : float, default 1e-6
        Lower clamp of the variance.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    grad_out : tuple of ndarray, optional
        Only with ``grad=True``: ``(input buffer, var buffer)``, either may be
        None (the var buffer must be None for a Python-number `var`); checked
        before anything is written and returned as the gradients.
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (the broadcast shape) for ``reduction='none'``,
        else a NumPy scalar.
    grad : tuple
        Only with ``grad=True``, as ``(loss, (d_input, d_var))``: gradients
        shaped like `input` and `var`; ``d_var`` is taken at the clamped value as
        torch does, and is None for a Python-number `var`.

    Raises
    ------
    ValueError
        If `var` has an incompatible shape or a negative entry (found during the
        kernel's pass, so a `grad_out` or `out` buffer may be partly written),
        `eps` is invalid, or `grad_output`/`grad_out`/`out` does not fit.
    TypeError
        If an array does not hold real numbers, `grad_out` is not a tuple, or
        `out` is not an array of the compute dtype.

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import lossengine as le
    >>> loss, (gx, gv) = le.gaussian_nll_loss([0.0, 1.0], [0.5, 1.0], [1.0, 2.0], grad=True)
    >>> round(float(loss), 4)
    0.2358
    >>> gx.round(4), gv.round(4)
    (array([-0.25,  0.  ]), array([0.1875, 0.125 ]))
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    eps = check_option(eps, "eps", 0.0)
    x = as_array(input, "input")
    t = as_array(target, "target")
    scalar_var = _is_scalar_var(var)
    if scalar_var:
        vs = float(var)
        if vs < 0:
            raise ValueError(f"var has negative entry/entries (var={var!r})")
        v = None
        dt = compute_dtype(x)
    else:
        v = as_array(var, "var")     # negative entries: checked in the kernel's pass
        vs = 0.0
        dt = compute_dtype(x, v)
        v2 = v
        if v.shape != x.shape:
            if x.shape[:-1] == v.shape:
                v2 = v.reshape(v.shape + (1,))
            elif not (x.ndim == v.ndim and
                      sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
                raise ValueError(f"var is of incorrect size: var has shape {v.shape}, input "
                                 f"{x.shape}")
    shapes = [x.shape, t.shape] + ([] if v is None else [v2.shape])
    try:
        bshape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"input {x.shape}, target {t.shape}"
                         + ("" if v is None else f" and var {v.shape}")
                         + " do not broadcast together") from None
    xc = _full(x, bshape, dt)
    tc = _full(t, bshape, dt)
    vc = None if v is None else _full(v2, bshape, dt)
    n = math.prod(bshape)
    loss = luser = None
    if red == RED_NONE:
        loss, luser, _ = out_dest(out, bshape, dt, (input, target, var, grad_output),
                                  grad_out=grad_out if grad else None)
    gscalar, garr = 1.0, None
    gx = gv = None
    if grad:
        if red == RED_NONE:
            gscalar, garr = grad_output_none(grad, grad_output, bshape, dt)
        else:
            gscalar = grad_output_reduced(grad, grad_output)
        go_x = go_v = None
        if grad_out is not None:
            if not isinstance(grad_out, tuple) or len(grad_out) != 2:
                raise TypeError("grad_out must be a tuple (input buffer, var buffer) for "
                                "gaussian_nll_loss")
            go_x, go_v = grad_out
            if v is None and go_v is not None:
                raise ValueError("grad_out: var is a Python number, so its buffer must be None")
            if go_x is not None and go_v is not None and np.may_share_memory(go_x, go_v):
                raise ValueError("grad_out: the two buffers must not share memory")
        inputs = (input, target, var, grad_output)
        gx = _grad_dest(go_x, x.shape, bshape, dt, inputs)
        if v is not None:
            gv = _grad_dest(go_v, v.shape, bshape, dt, inputs)
    st, value = _k.pw(_GAUSS, xc, tc, None, vc, garr, loss, gx[0] if gx else None,
                      gv[0] if gv else None, 1 if full else 0, eps, vs, gscalar, float(n),
                      red, nthreads())
    if st == _LE_ERR_VALUE_RANGE:
        raise ValueError("var has negative entry/entries")
    _raise_status(st, "gaussian_nll_loss")
    res = _result(red, loss, luser, out, value, dt)
    if not grad:
        return res
    g_in = _finish(gx[0], gx[1], gx[2], x.shape)
    g_var = None
    if gv is not None:
        g_var = _finish(gv[0], gv[1], gv[2], v2.shape, v.shape)
    return res, (g_in, g_var)
