"""Elementwise activations with their vector-Jacobian products (kernels in
csrc/activations.c): sigmoid, log_sigmoid, softplus, relu, relu6, leaky_relu,
elu, prelu, threshold, hardtanh, tanh, softshrink, softsign.

``f(x, grad=True)`` returns ``(y, g)`` with ``g`` the gradient of
``sum(grad_output * y)`` with respect to x (``grad_output`` defaults to ones;
a scalar or an array broadcastable to y).  Derivatives at kinks are torch
2.13's (relu'(0) = 0, hardtanh' = 0 at both bounds, elu'(0) = alpha, ...).
"""
from __future__ import annotations

import numbers
from typing import Literal, overload

import numpy as np

from ._docs import fill_doc
from ._typing import (ArrayLike, FloatArray, GradOut, GradOutput, GradOuts, MaybeGrad, Out,
                      Output, PreluGrads, WithGrad)
from . import _core as _k
from ._runtime import nthreads
from ._validate import (STREAM_GRAD, STREAM_LOSS, as_array, check_option,
                        check_no_grad_args, compute_dtype, contiguous, finish_grad, finish_out,
                        grad_buffer, grad_dest, grad_output_none, out_dest)

(_SIGMOID, _LOG_SIGMOID, _SOFTPLUS, _RELU, _LEAKY_RELU, _ELU, _THRESHOLD, _HARDTANH, _TANH,
 _SOFTSHRINK, _SOFTSIGN) = range(11)


def _check(st, name):
    if st == 3:
        raise MemoryError(f"{name}: out of memory")
    if st != 0:
        raise RuntimeError(f"{name}: kernel failed with status {st}")


def _act(name, op, input, p1, p2, grad, grad_output, grad_out, out):
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    xc = contiguous(x, dt)
    # out may be x itself: each kernel loads x[i] once and writes y[i] and
    # g[i] from that load (csrc/activations.c), so in place is exact
    y, yuser, resident = out_dest(out, x.shape, dt, (input, grad_output), may_alias=input,
                                  grad_out=grad_out if grad else None)
    stream = STREAM_LOSS if resident else 0
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        gscalar, garr = grad_output_none(grad, grad_output, x.shape, dt)
        g, guser, resident = grad_dest(grad_out, x.shape, dt, (input, grad_output))
        stream |= STREAM_GRAD if resident else 0
    if y.size:
        _check(_k.act(op, xc, garr, y, g, p1, p2, gscalar, nthreads(), stream), name)
    res = finish_out(y, yuser, out)
    if grad:
        return res, finish_grad(g, guser)
    return res


@overload
def sigmoid(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def sigmoid(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def sigmoid(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
            grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def sigmoid(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
            grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, as torch's ``torch.sigmoid``.

    Accurate in both tails; the derivative ``y (1 - y)`` is formed from
    ``exp(-|x|)``, so it keeps relative accuracy where torch's ``y(1-y)`` does not.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.sigmoid([-2.0, 0.0, 3.0], grad=True)
    >>> y.round(4)
    array([0.1192, 0.5   , 0.9526])
    >>> g.round(4)
    array([0.105 , 0.25  , 0.0452])
    """
    return _act("sigmoid", _SIGMOID, input, 0.0, 0.0, grad, grad_output, grad_out, out)


@overload
def log_sigmoid(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def log_sigmoid(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def log_sigmoid(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
                grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def log_sigmoid(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
                grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, as torch's ``F.logsigmoid``.

    Finite for every finite x.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.log_sigmoid([-100.0, 0.0, 2.0], grad=True)
    >>> y.round(4)
    array([-100.    ,   -0.6931,   -0.1269])
    >>> g.round(4)
    array([1.    , 0.5   , 0.1192])
    """
    return _act("log_sigmoid", _LOG_SIGMOID, input, 0.0, 0.0, grad, grad_output, grad_out, out)


@overload
def softplus(input: ArrayLike, beta: float = ..., threshold: float = ..., *,
             grad: Literal[False] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def softplus(input: ArrayLike, beta: float = ..., threshold: float = ..., *, grad: Literal[True],
             grad_output: GradOutput = ..., grad_out: GradOut = ...,
             out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softplus(input: ArrayLike, beta: float = ..., threshold: float = ..., *, grad: bool = ...,
             grad_output: GradOutput = ..., grad_out: GradOut = ...,
             out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softplus(input: ArrayLike, beta: float = 1.0, threshold: float = 20.0, *, grad: bool = False,
             grad_output: GradOutput = None, grad_out: GradOut = None,
             out: Out = None) -> MaybeGrad[FloatArray]:
    """``log(1 + exp(beta * x)) / beta``, as torch's ``F.softplus``.

    Where ``beta * x > threshold`` the result is ``x`` itself (torch's rule);
    computed without overflow, so where the result is mathematically finite it
    is finite (``softplus(800, threshold=1000)`` is 800 with derivative 1;
    torch gives inf and NaN).

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    beta : float, default 1.0
        Non-zero scale.
    threshold : float, default 20.0
        Above ``beta * x > threshold`` the function is linear.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.softplus([-1.0, 0.0, 30.0], grad=True)
    >>> y.round(4)
    array([ 0.3133,  0.6931, 30.    ])
    >>> g.round(4)
    array([0.2689, 0.5   , 1.    ])
    """
    beta = check_option(beta, "beta")
    threshold = check_option(threshold, "threshold")
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero, got beta=0")
    return _act("softplus", _SOFTPLUS, input, beta, threshold, grad, grad_output, grad_out, out)


@overload
def relu(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def relu(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def relu(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def relu(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
         grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """``max(x, 0)``, as torch's ``F.relu``.

    NaN propagates; the derivative is 0 at ``x == 0`` (torch's).

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.relu([-1.0, 0.0, 2.0], grad=True)
    >>> y
    array([0., 0., 2.])
    >>> g
    array([0., 0., 1.])
    """
    return _act("relu", _RELU, input, 0.0, 0.0, grad, grad_output, grad_out, out)


@overload
def relu6(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
          grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def relu6(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
          grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def relu6(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
          grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def relu6(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
          grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """``min(max(x, 0), 6)``, as torch's ``F.relu6``.

    Equal to ``hardtanh(x, 0, 6)``; the derivative is 0 at 0 and at 6.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.relu6([-1.0, 3.0, 7.0], grad=True)
    >>> y
    array([0., 3., 6.])
    >>> g
    array([0., 1., 0.])
    """
    return _act("relu6", _HARDTANH, input, 0.0, 6.0, grad, grad_output, grad_out, out)


@overload
def leaky_relu(input: ArrayLike, negative_slope: float = ..., *, grad: Literal[False] = ...,
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> Output: ...
@overload
def leaky_relu(input: ArrayLike, negative_slope: float = ..., *, grad: Literal[True],
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def leaky_relu(input: ArrayLike, negative_slope: float = ..., *, grad: bool = ...,
               grad_output: GradOutput = ...,
               grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def leaky_relu(input: ArrayLike, negative_slope: float = 0.01, *, grad: bool = False,
               grad_output: GradOutput = None, grad_out: GradOut = None,
               out: Out = None) -> MaybeGrad[FloatArray]:
    """``x`` where ``x > 0``, else ``negative_slope * x``, as torch's ``F.leaky_relu``.

    The derivative at 0 is `negative_slope` (torch's).

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    negative_slope : float, default 0.01
        Slope for ``x <= 0``.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.leaky_relu([-2.0, 3.0], 0.1, grad=True)
    >>> y
    array([-0.2,  3. ])
    >>> g
    array([0.1, 1. ])
    """
    s = check_option(negative_slope, "negative_slope")
    return _act("leaky_relu", _LEAKY_RELU, input, s, 0.0, grad, grad_output, grad_out, out)


@overload
def elu(input: ArrayLike, alpha: float = ..., *, grad: Literal[False] = ...,
        grad_output: GradOutput = ..., grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def elu(input: ArrayLike, alpha: float = ..., *, grad: Literal[True],
        grad_output: GradOutput = ..., grad_out: GradOut = ...,
        out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def elu(input: ArrayLike, alpha: float = ..., *, grad: bool = ..., grad_output: GradOutput = ...,
        grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def elu(input: ArrayLike, alpha: float = 1.0, *, grad: bool = False,
        grad_output: GradOutput = None, grad_out: GradOut = None,
        out: Out = None) -> MaybeGrad[FloatArray]:
    """``x`` where ``x > 0``, else ``alpha * expm1(x)``, as torch's ``F.elu``.

    Uses a vectorised ``expm1``; the derivative at 0 is `alpha` (torch's).

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    alpha : float, default 1.0
        Scale of the negative part.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.elu([-1.0, 0.0, 2.0], grad=True)
    >>> y.round(4)
    array([-0.6321,  0.    ,  2.    ])
    >>> g.round(4)
    array([0.3679, 1.    , 1.    ])
    """
    a = check_option(alpha, "alpha")
    return _act("elu", _ELU, input, a, 0.0, grad, grad_output, grad_out, out)


@overload
def threshold(input: ArrayLike, threshold: float, value: float, *, grad: Literal[False] = ...,
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> Output: ...
@overload
def threshold(input: ArrayLike, threshold: float, value: float, *, grad: Literal[True],
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def threshold(input: ArrayLike, threshold: float, value: float, *, grad: bool = ...,
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def threshold(input: ArrayLike, threshold: float, value: float, *, grad: bool = False,
              grad_output: GradOutput = None, grad_out: GradOut = None,
              out: Out = None) -> MaybeGrad[FloatArray]:
    """``x`` where ``x > threshold``, else `value`, as torch's ``F.threshold``.

    NaN inputs pass through; the derivative is 1 where x is kept, else 0.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    threshold : float
        Values at or below it are replaced.
    value : float
        The replacement; may be NaN (a NaN fill, as in torch), unlike
        `threshold`.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.threshold([0.5, 1.0, 2.0], 1.0, -5.0, grad=True)
    >>> y
    array([-5., -5.,  2.])
    >>> g
    array([0., 0., 1.])
    """
    th = check_option(threshold, "threshold")
    # the fill value may be NaN (marking values at or below the threshold),
    # as in torch; the threshold itself may not
    v = check_option(value, "value", nan_ok=True)
    return _act("threshold", _THRESHOLD, input, th, v, grad, grad_output, grad_out, out)


@overload
def hardtanh(input: ArrayLike, min_val: float = ..., max_val: float = ..., *,
             grad: Literal[False] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def hardtanh(input: ArrayLike, min_val: float = ..., max_val: float = ..., *, grad: Literal[True],
             grad_output: GradOutput = ..., grad_out: GradOut = ...,
             out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def hardtanh(input: ArrayLike, min_val: float = ..., max_val: float = ..., *, grad: bool = ...,
             grad_output: GradOutput = ..., grad_out: GradOut = ...,
             out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def hardtanh(input: ArrayLike, min_val: float = -1.0, max_val: float = 1.0, *, grad: bool = False,
             grad_output: GradOutput = None, grad_out: GradOut = None,
             out: Out = None) -> MaybeGrad[FloatArray]:
    """``clip(x, min_val, max_val)``, as torch's ``F.hardtanh``.

    The derivative is 1 strictly inside the bounds, 0 at and beyond both.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    min_val : float, default -1.0
        Lower bound.
    max_val : float, default 1.0
        Upper bound, ``>= min_val``.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.hardtanh([-2.0, 0.5, 1.0], grad=True)
    >>> y
    array([-1. ,  0.5,  1. ])
    >>> g
    array([0., 1., 0.])
    """
    lo = check_option(min_val, "min_val")
    hi = check_option(max_val, "max_val")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val "
                         f"(min_val={min_val!r}, max_val={max_val!r})")
    return _act("hardtanh", _HARDTANH, input, lo, hi, grad, grad_output, grad_out, out)


@overload
def tanh(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def tanh(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def tanh(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
         grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def tanh(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
         grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Hyperbolic tangent, as torch's ``torch.tanh``.

    Within a few ulp of the correctly rounded value everywhere (small |x|
    included): ``(1-e)/(1+e)`` with ``e = exp(-2|x|)`` above |x| = 1/8 and an
    odd polynomial below.  The derivative ``1 - tanh(x)**2`` is computed without
    cancellation.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.tanh([-1.0, 0.0, 0.5], grad=True)
    >>> y.round(4)
    array([-0.7616,  0.    ,  0.4621])
    >>> g.round(4)
    array([0.42  , 1.    , 0.7864])
    """
    return _act("tanh", _TANH, input, 0.0, 0.0, grad, grad_output, grad_out, out)


@overload
def softshrink(input: ArrayLike, lambd: float = ..., *, grad: Literal[False] = ...,
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> Output: ...
@overload
def softshrink(input: ArrayLike, lambd: float = ..., *, grad: Literal[True],
               grad_output: GradOutput = ..., grad_out: GradOut = ...,
               out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softshrink(input: ArrayLike, lambd: float = ..., *, grad: bool = ...,
               grad_output: GradOutput = ...,
               grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softshrink(input: ArrayLike, lambd: float = 0.5, *, grad: bool = False,
               grad_output: GradOutput = None, grad_out: GradOut = None,
               out: Out = None) -> MaybeGrad[FloatArray]:
    """Soft shrinkage: ``x -+ lambd`` outside ``[-lambd, lambd]``, else 0 (``F.softshrink``).

    The derivative is 0 on ``[-lambd, lambd]``.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    lambd : float, default 0.5
        Half-width of the dead zone, finite and ``>= 0`` (torch's range).
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.softshrink([-1.0, 0.2, 2.0], grad=True)
    >>> y
    array([-0.5,  0. ,  1.5])
    >>> g
    array([1., 0., 1.])
    """
    lam = check_option(lambd, "lambd", 0.0, finite=True)     # torch: [0, max finite]
    return _act("softshrink", _SOFTSHRINK, input, lam, 0.0, grad, grad_output, grad_out, out)


@overload
def softsign(input: ArrayLike, *, grad: Literal[False] = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def softsign(input: ArrayLike, *, grad: Literal[True], grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softsign(input: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
             grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softsign(input: ArrayLike, *, grad: bool = False, grad_output: GradOutput = None,
             grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """``x / (1 + |x|)``, as torch's ``F.softsign``.

    The derivative is ``1 / (1 + |x|)**2``.

    Parameters
    ----------
    input : array_like
        Any shape; integers and bools are converted to the compute dtype.
    %(grad)s
    %(grad_output_act)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    y : ndarray or numpy scalar
        Shaped like `input` (a NumPy scalar for a 0-d input), in the compute
        dtype.
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
    >>> y, g = le.softsign([-1.0, 0.0, 3.0], grad=True)
    >>> y
    array([-0.5 ,  0.  ,  0.75])
    >>> g
    array([0.25  , 1.    , 0.0625])
    """
    return _act("softsign", _SOFTSIGN, input, 0.0, 0.0, grad, grad_output, grad_out, out)


@overload
def prelu(input: ArrayLike, weight: ArrayLike, *, grad: Literal[False] = ...,
          grad_output: GradOutput = ..., grad_out: GradOuts = ..., out: Out = ...) -> Output: ...
@overload
def prelu(input: ArrayLike, weight: ArrayLike, *, grad: Literal[True],
          grad_output: GradOutput = ..., grad_out: GradOuts = ...,
          out: Out = ...) -> WithGrad[PreluGrads]: ...
@overload
def prelu(input: ArrayLike, weight: ArrayLike, *, grad: bool = ..., grad_output: GradOutput = ...,
          grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[PreluGrads]: ...
@fill_doc
def prelu(input: ArrayLike, weight: ArrayLike, *, grad: bool = False,
          grad_output: GradOutput = None, grad_out: GradOuts = None,
          out: Out = None) -> MaybeGrad[PreluGrads]:
    """``x`` where ``x > 0``, else ``weight[c] * x``, as torch's ``F.prelu``.

    ``c`` is the index along axis 1 (channels); a 0-d or 1-d input uses the
    single weight.  Both `input` and `weight` are predictions and get gradients.

    Parameters
    ----------
    input : array_like
        Any shape.
    weight : array_like
        One element, or ``input.shape[1]`` elements (0-d or 1-d).
    %(grad)s
    %(grad_output_act)s
    grad_out : tuple of ndarray, optional
        Only with ``grad=True``: ``(input buffer, weight buffer)``, either may be
        None; each is checked (shape, compute dtype, writeable, no overlap)
        before anything is written and returned as the gradient.
    %(out)s

    Returns
    -------
    y : ndarray
        Shaped like `input`, in the compute dtype.
    grad : tuple of ndarray
        Only with ``grad=True``, as ``(y, (d_input, d_weight))``: the gradients
        of ``sum(grad_output * y)``, shaped like `input` and like `weight`.

    Raises
    ------
    ValueError
        If `weight` has the wrong number of elements, `grad_output`/`grad_out`
        is given without ``grad=True`` or does not fit, or `out` does not fit.
    TypeError
        If an array does not hold real numbers, `grad_out` is not a tuple of
        two buffers of the compute dtype, or `out` is not an array of it.

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> x = np.array([[-1.0, 2.0], [-3.0, -4.0]])
    >>> y, (gx, gw) = le.prelu(x, np.array([0.25]), grad=True)
    >>> y
    array([[-0.25,  2.  ],
           [-0.75, -1.  ]])
    >>> gx
    array([[0.25, 1.  ],
           [0.25, 0.25]])
    >>> gw
    array([-8.])
    """
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    w = as_array(weight, "weight")
    # Python numbers are weak: they do not raise the compute dtype
    dt = compute_dtype(*[a for a, v in ((x, input), (w, weight))
                         if not (isinstance(v, numbers.Real)
                                 and not isinstance(v, (np.ndarray, np.generic)))])
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be a scalar or a 1-d array, got shape {w.shape}")
    C = x.shape[1] if x.ndim >= 2 else 1
    if w.size != 1 and w.size != C:
        raise ValueError(f"prelu: weight has {w.size} elements but the input has channel size "
                         f"{C} (axis 1); expected 1 or {C}")
    n = x.size
    if w.size == 1:
        outer, Ck, inner = 1, 1, n
    else:
        outer, Ck = x.shape[0], C
        inner = n // (outer * C) if outer * C else 0
    xc = contiguous(x, dt)
    wc = contiguous(w.reshape(-1), dt)
    # out may be x itself: the kernel reads x[i] once per element (value,
    # both gradients) before writing y[i]
    y, yuser, _ = out_dest(out, x.shape, dt, (input, weight, grad_output), may_alias=input,
                           grad_out=grad_out if grad else None)
    gscalar, garr, g, guser, gw, gwuser = 1.0, None, None, None, None, None
    if grad:
        gscalar, garr = grad_output_none(grad, grad_output, x.shape, dt)
        go_x = go_w = None
        if grad_out is not None:
            if not isinstance(grad_out, tuple) or len(grad_out) != 2:
                raise TypeError("grad_out must be a tuple (input buffer, weight buffer) for prelu")
            go_x, go_w = grad_out
            if go_x is not None and go_w is not None and np.may_share_memory(go_x, go_w):
                raise ValueError("grad_out: the two buffers must not share memory")
        inputs = (input, weight, grad_output)
        g, guser = grad_buffer(go_x, x.shape, dt, inputs)
        gw, gwuser = grad_buffer(go_w, w.shape, dt, inputs)
    if n:
        _check(_k.prelu(xc, wc, garr, y, g, gw, outer, Ck, inner, gscalar, nthreads()),
               "prelu")
    elif grad:
        gw.fill(0)
    res = finish_out(y, yuser, out)
    if grad:
        return res, (finish_grad(g, guser), finish_grad(gw, gwuser))
    return res
