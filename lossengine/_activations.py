"""Elementwise activations with their vector-Jacobian products (kernels in
csrc/activations.c): sigmoid, log_sigmoid, softplus, relu, relu6, leaky_relu,
elu, prelu, threshold, hardtanh, tanh, softshrink, softsign.

``f(x, grad=True)`` returns ``(y, g)`` with ``g`` the gradient of
``sum(grad_output * y)`` with respect to x (``grad_output`` defaults to ones;
a scalar or an array broadcastable to y).  Derivatives at kinks are torch
2.13's (relu'(0) = 0, hardtanh' = 0 at both bounds, elu'(0) = alpha, ...).
"""
import numpy as np

from . import _core as _k
from ._runtime import nthreads
from ._validate import (STREAM_GRAD, STREAM_LOSS, as_array, check_finite_scalar,
                        check_no_grad_args, compute_dtype, contiguous, finish_grad, grad_buffer,
                        grad_dest, grad_output_none, new_output)

(_SIGMOID, _LOG_SIGMOID, _SOFTPLUS, _RELU, _LEAKY_RELU, _ELU, _THRESHOLD, _HARDTANH, _TANH,
 _SOFTSHRINK, _SOFTSIGN) = range(11)


def _check(st, name):
    if st == 3:
        raise MemoryError(f"{name}: out of memory")
    if st != 0:
        raise RuntimeError(f"{name}: kernel failed with status {st}")


def _act(name, op, input, p1, p2, grad, grad_output, grad_out):
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    xc = contiguous(x, dt)
    y, resident = new_output(x.shape, dt)
    stream = STREAM_LOSS if resident else 0
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        gscalar, garr = grad_output_none(grad, grad_output, x.shape, dt)
        g, guser, resident = grad_dest(grad_out, x.shape, dt, (input, grad_output))
        stream |= STREAM_GRAD if resident else 0
    if y.size:
        _check(_k.act(op, xc, garr, y, g, p1, p2, gscalar, nthreads(), stream), name)
    out = y[()] if y.ndim == 0 else y
    if grad:
        return out, finish_grad(g, guser)
    return out


def sigmoid(input, *, grad=False, grad_output=None, grad_out=None):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, accurate in both tails."""
    return _act("sigmoid", _SIGMOID, input, 0.0, 0.0, grad, grad_output, grad_out)


def log_sigmoid(input, *, grad=False, grad_output=None, grad_out=None):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))`` (torch's
    ``F.logsigmoid``), finite for every finite x."""
    return _act("log_sigmoid", _LOG_SIGMOID, input, 0.0, 0.0, grad, grad_output, grad_out)


def softplus(input, beta=1.0, threshold=20.0, *, grad=False, grad_output=None, grad_out=None):
    """``log(1 + exp(beta*x)) / beta``, and ``x`` itself where
    ``beta*x > threshold`` (torch's rule), computed without overflow."""
    beta = check_finite_scalar(beta, "beta")
    threshold = check_finite_scalar(threshold, "threshold")
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero, got beta=0")
    return _act("softplus", _SOFTPLUS, input, beta, threshold, grad, grad_output, grad_out)


def relu(input, *, grad=False, grad_output=None, grad_out=None):
    """``max(x, 0)`` (NaN propagates); derivative 0 at x == 0."""
    return _act("relu", _RELU, input, 0.0, 0.0, grad, grad_output, grad_out)


def relu6(input, *, grad=False, grad_output=None, grad_out=None):
    """``min(max(x, 0), 6)`` = ``hardtanh(x, 0, 6)``; derivative 0 at 0 and 6."""
    return _act("relu6", _HARDTANH, input, 0.0, 6.0, grad, grad_output, grad_out)


def leaky_relu(input, negative_slope=0.01, *, grad=False, grad_output=None, grad_out=None):
    """``x`` where x > 0, else ``negative_slope * x``."""
    s = check_finite_scalar(negative_slope, "negative_slope")
    return _act("leaky_relu", _LEAKY_RELU, input, s, 0.0, grad, grad_output, grad_out)


def elu(input, alpha=1.0, *, grad=False, grad_output=None, grad_out=None):
    """``x`` where x > 0, else ``alpha * expm1(x)``; derivative ``alpha`` at 0
    (torch's)."""
    a = check_finite_scalar(alpha, "alpha")
    return _act("elu", _ELU, input, a, 0.0, grad, grad_output, grad_out)


def threshold(input, threshold, value, *, grad=False, grad_output=None, grad_out=None):
    """``x`` where ``x > threshold``, else ``value`` (NaN passes through)."""
    th = check_finite_scalar(threshold, "threshold")
    v = check_finite_scalar(value, "value")
    return _act("threshold", _THRESHOLD, input, th, v, grad, grad_output, grad_out)


def hardtanh(input, min_val=-1.0, max_val=1.0, *, grad=False, grad_output=None, grad_out=None):
    """``clip(x, min_val, max_val)``; derivative 0 at and beyond both bounds."""
    lo = check_finite_scalar(min_val, "min_val")
    hi = check_finite_scalar(max_val, "max_val")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val "
                         f"(min_val={min_val!r}, max_val={max_val!r})")
    return _act("hardtanh", _HARDTANH, input, lo, hi, grad, grad_output, grad_out)


def tanh(input, *, grad=False, grad_output=None, grad_out=None):
    """Hyperbolic tangent, a few ulp from the correctly rounded value
    everywhere (small |x| included); derivative ``1 - tanh(x)**2`` computed
    without cancellation."""
    return _act("tanh", _TANH, input, 0.0, 0.0, grad, grad_output, grad_out)


def softshrink(input, lambd=0.5, *, grad=False, grad_output=None, grad_out=None):
    """``x - lambd`` above lambd, ``x + lambd`` below -lambd, 0 in between
    (``lambd >= 0``)."""
    lam = check_finite_scalar(lambd, "lambd")
    if lam < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got lambd={lambd!r}")
    return _act("softshrink", _SOFTSHRINK, input, lam, 0.0, grad, grad_output, grad_out)


def softsign(input, *, grad=False, grad_output=None, grad_out=None):
    """``x / (1 + |x|)``."""
    return _act("softsign", _SOFTSIGN, input, 0.0, 0.0, grad, grad_output, grad_out)


def prelu(input, weight, *, grad=False, grad_output=None, grad_out=None):
    """``x`` where x > 0, else ``weight[c] * x`` with c the index along axis 1
    (torch's ``F.prelu``).  ``weight`` has one element, or ``input.shape[1]``
    elements (a 0-d or 1-d array).  Both are predictions: with ``grad=True``
    returns ``(y, (d/d input, d/d weight))``."""
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    w = as_array(weight, "weight")
    dt = compute_dtype(x, w)
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
    wc = np.ascontiguousarray(w.reshape(-1), dtype=dt)
    y = new_output(x.shape, dt)[0]
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
    out = y[()] if y.ndim == 0 else y
    if grad:
        return out, (finish_grad(g, guser), finish_grad(gw, gwuser))
    return out
