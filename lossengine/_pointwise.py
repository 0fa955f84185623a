"""Elementwise regression and distribution losses: l1_loss, mse_loss,
smooth_l1_loss, huber_loss, poisson_nll_loss, gaussian_nll_loss, kl_div, each
with its fused gradient (kernels in csrc/pointwise.c).

Broadcasting: input and target (and GaussianNLL's var) broadcast by NumPy's
rules, as torch does.  The loss has the broadcast shape; the gradient has the
shape of the prediction it belongs to, summed over the broadcast dimensions
when the prediction is the smaller array.  Same-shape inputs take a fast path
without copies (C-contiguous arrays of the compute dtype are used in place).
"""
import math
import numbers
import warnings

import numpy as np

from . import _core as _k
from ._runtime import nthreads
from ._validate import (STREAM_GRAD, STREAM_LOSS, RED_MEAN, RED_NONE, RED_SUM, as_array,
                        check_finite_scalar, check_no_grad_args, compute_dtype, contiguous,
                        finish_grad, grad_dest, grad_output_none, grad_output_reduced,
                        new_output, reduction_code)

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
    return np.ascontiguousarray(np.broadcast_to(a, shape), dtype=dt)


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


def _result(red, loss, value, dt):
    if red == RED_NONE:
        return loss[()] if loss.ndim == 0 else loss
    return dt.type(value)


def _warn_size(x, t):
    warnings.warn(f"Using a target size ({t.shape}) that is different to the input size "
                  f"({x.shape}). This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size.", UserWarning,
                  stacklevel=4)


def _two_array_loss(name, op, input, target, red, weight, grad, grad_output, grad_out,
                    p1=0.0, p2=0.0, full=0, warn=False, weight_mean_sum=False,
                    batch_denom=None):
    check_no_grad_args(grad, grad_output, grad_out)
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
        denom = float(np.sum(w, dtype=np.float64))
    loss, stream = None, 0
    if red == RED_NONE:
        loss, resident = new_output(bshape, dt)
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
    out = _result(red, loss, value, dt)
    if grad:
        return out, _finish(g, guser, need_sum, x.shape)
    return out


def l1_loss(input, target, *, reduction="mean", weight=None, grad=False, grad_output=None,
            grad_out=None):
    """Mean absolute error ``|input - target|``, as torch's ``F.l1_loss``.

    ``weight`` (shaped like input) multiplies each element's loss; with it,
    'mean' divides by ``sum(weight)`` (torch's rule).  input and target
    broadcast (with torch's UserWarning when their shapes differ).  The
    gradient is ``sign(input - target)``, 0 where they are equal.
    """
    red = reduction_code(reduction)
    return _two_array_loss("l1_loss", _L1, input, target, red, weight, grad, grad_output,
                           grad_out, warn=True, weight_mean_sum=True)


def mse_loss(input, target, *, reduction="mean", weight=None, grad=False, grad_output=None,
             grad_out=None):
    """Squared error ``(input - target)**2``, as torch's ``F.mse_loss``
    (``weight`` as in :func:`l1_loss`: 'mean' divides by ``sum(weight)``)."""
    red = reduction_code(reduction)
    return _two_array_loss("mse_loss", _MSE, input, target, red, weight, grad, grad_output,
                           grad_out, warn=True, weight_mean_sum=True)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0, grad=False, grad_output=None,
                   grad_out=None):
    """Smooth L1: ``0.5 z**2 / beta`` for ``z = |input - target| < beta``, else
    ``z - 0.5 beta``; ``beta = 0`` is :func:`l1_loss`.  Negative beta raises
    ValueError."""
    red = reduction_code(reduction)
    beta = check_finite_scalar(beta, "beta")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got "
                         f"beta={beta!r}")
    op = _L1 if beta == 0 else _SMOOTH_L1
    return _two_array_loss("smooth_l1_loss", op, input, target, red, None, grad, grad_output,
                           grad_out, p1=beta, warn=True)


def huber_loss(input, target, *, reduction="mean", delta=1.0, weight=None, grad=False,
               grad_output=None, grad_out=None):
    """Huber loss: ``0.5 z**2`` for ``z = |input - target| < delta``, else
    ``delta (z - 0.5 delta)``.  ``delta`` must be positive.  With ``weight``,
    'mean' divides by the element count (torch's rule, unlike L1/MSE)."""
    red = reduction_code(reduction)
    delta = check_finite_scalar(delta, "delta")
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got "
                         f"delta={delta!r}")
    return _two_array_loss("huber_loss", _HUBER, input, target, red, weight, grad, grad_output,
                           grad_out, p1=delta, warn=True)


def poisson_nll_loss(input, target, *, log_input=True, full=False, eps=1e-8, reduction="mean",
                     grad=False, grad_output=None, grad_out=None):
    """Poisson negative log likelihood, as torch's ``F.poisson_nll_loss``:
    ``exp(input) - target*input`` (``log_input=True``) or
    ``input - target*log(input + eps)``; ``full=True`` adds the Stirling term
    ``target*log(target) - target + 0.5*log(2*pi*target)`` where target > 1."""
    red = reduction_code(reduction)
    eps = check_finite_scalar(eps, "eps")
    op = _POISSON_LOG if log_input else _POISSON_LIN
    return _two_array_loss("poisson_nll_loss", op, input, target, red, None, grad, grad_output,
                           grad_out, p1=eps, full=1 if full else 0)


_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the "
                    "support size.'batchmean' divides only by the batch size, and aligns with "
                    "the KL div math definition.'mean' will be changed to behave the same as "
                    "'batchmean' in the next major release.")


def kl_div(input, target, *, reduction="mean", log_target=False, grad=False, grad_output=None,
           grad_out=None):
    """KL divergence pointwise terms ``target*(log(target) - input)`` for
    log-probabilities ``input``, as torch's ``F.kl_div`` (``xlogy`` semantics:
    0 where target == 0, NaN where target < 0); ``log_target=True`` reads
    target as log-probabilities: ``exp(target)*(target - input)``.
    ``'batchmean'`` divides the sum by ``input.shape[0]``; ``'mean'`` divides by
    the element count and warns as torch does."""
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
                           grad_out, batch_denom=batch)


def _is_scalar_var(var):
    return isinstance(var, numbers.Real) and not isinstance(var, (bool, np.generic, np.ndarray))


def gaussian_nll_loss(input, target, var, *, full=False, eps=1e-6, reduction="mean", grad=False,
                      grad_output=None, grad_out=None):
    """Gaussian negative log likelihood, as torch's ``F.gaussian_nll_loss``:
    ``0.5*(log(v) + (input - target)**2 / v)`` (+ ``0.5*log(2*pi)`` with
    ``full``) with ``v = max(var, eps)``.

    ``var``: an array shaped like input, like input without its last axis,
    or like input with one axis of size 1 (torch's rules), or a Python number.
    Negative entries raise ValueError (found during the kernel's pass, so a
    ``grad_out`` buffer may be partly written).  With ``grad=True`` returns
    ``(loss, (d/d input, d/d var))``, ``d/d var`` taken at the clamped value as
    torch does (and ``None`` when var is a Python number).
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    eps = check_finite_scalar(eps, "eps")
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
    loss = new_output(bshape, dt)[0] if red == RED_NONE else None
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
    out = _result(red, loss, value, dt)
    if not grad:
        return out
    g_in = _finish(gx[0], gx[1], gx[2], x.shape)
    g_var = None
    if gv is not None:
        g_var = _finish(gv[0], gv[1], gv[2], v2.shape, v.shape)
    return out, (g_in, g_var)
