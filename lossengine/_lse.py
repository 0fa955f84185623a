"""Log-sum-exp family: softmax, log_softmax, logsumexp, softmin, cross_entropy
and nll_loss, each with its fused gradient (kernels in csrc/cross_entropy.c)."""
import math

import numpy as np

from . import _core as _ce
from ._runtime import nthreads
from ._validate import (RED_MEAN, RED_NONE, as_array, as_index_target, as_int, call_buffers,
                        check_finite_scalar, check_no_grad_args, compute_dtype,
                        contiguous, finish_grad, grad_buffer, grad_output_none,
                        normalize_axis, pick_axis,
                        reduction_code)

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


def _softmax_like(name, x, axis, dim, keepdim, grad, grad_output, grad_out):
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(x, "input")
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
    y = np.empty(yshape, dtype=dt)
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        gscalar, garr = grad_output_none(grad, grad_output, out_shape, dt)
        if garr is not None:
            garr = garr.reshape(yshape)
        g, guser = grad_buffer(grad_out, shape, dt, (x, grad_output))
    if C == 0 and mode == 2:
        y.fill(-np.inf)
        if grad:
            g.fill(0)
    elif y.size:
        st = _ce.softmax(xc, garr, y, g, outer, C, inner, gscalar, mode, nthreads())
        _raise_status(st, name)
    y = y.reshape(out_shape)
    if x.ndim == 0 or (mode == 2 and y.ndim == 0):
        y = y[()]
    if grad:
        return y, finish_grad(g, guser)
    return y


def softmax(input, axis=None, *, dim=None, grad=False, grad_output=None, grad_out=None):
    """softmax along `axis` (default -1). With grad=True returns (y, g) where g
    is the gradient of sum(grad_output * y) with respect to input."""
    return _softmax_like("softmax", input, axis, dim, False, grad, grad_output, grad_out)


def log_softmax(input, axis=None, *, dim=None, grad=False, grad_output=None, grad_out=None):
    """log(softmax(input)) along `axis` (default -1), computed stably."""
    return _softmax_like("log_softmax", input, axis, dim, False, grad, grad_output, grad_out)


def softmin(input, axis=None, *, dim=None, grad=False, grad_output=None, grad_out=None):
    """softmax(-input) along `axis` (default -1)."""
    return _softmax_like("softmin", input, axis, dim, False, grad, grad_output, grad_out)


def logsumexp(input, axis=None, *, dim=None, keepdim=False, grad=False, grad_output=None,
              grad_out=None):
    """log(sum(exp(input))) along `axis` (default -1); an infinite maximum is
    handled as torch does (shift by 0), so all -inf gives -inf."""
    return _softmax_like("logsumexp", input, axis, dim, keepdim, grad, grad_output, grad_out)


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
             grad, grad_output, grad_out, log_input):
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    outer, C, inner, ax, pos_shape = _class_layout(x, axis)
    ignore_index = as_int(ignore_index, "ignore_index")
    eps = check_finite_scalar(label_smoothing, "label_smoothing", 0.0, 1.0)
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

    loss, gscalar, garr, g, guser = call_buffers(red, grad, grad_output, grad_out, pos_shape,
                                                 x.shape, dt, (input, target, weight, grad_output))
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
    out = loss if red == RED_NONE else dt.type(value)
    if red == RED_NONE and loss.ndim == 0:
        out = loss[()]
    if grad:
        return out, finish_grad(g, guser)
    return out


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0, axis=1, dim=None, grad=False, grad_output=None,
                  grad_out=None):
    """Cross entropy between logits `input` and `target`, as torch's
    ``F.cross_entropy``.

    Index targets (integer array shaped like input without the class axis) or
    class probabilities (float array shaped like input).  ``axis`` is the class
    axis (default 1, torch layout; -1 for channels-last; a 1-d input is one
    sample).  'mean' divides by the summed weight of non-ignored targets
    (index targets) or by the number of positions (probability targets).
    With ``grad=True`` returns ``(loss, d loss / d input)`` from one pass.
    """
    if axis == 1 and dim is None and grad_output is None:
        r = _ce.ce_fast(input, target, weight, ignore_index, label_smoothing, reduction, grad, 0,
                        nthreads(), grad_out)
        if r is not None:
            return r
    axis = pick_axis(None if axis == 1 and dim is not None else axis, dim, 1)
    return _ce_impl("cross_entropy", input, target, weight, ignore_index, reduction,
                    label_smoothing, axis, grad, grad_output, grad_out, False)


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean", axis=1,
             dim=None, grad=False, grad_output=None, grad_out=None):
    """Negative log-likelihood of log-probabilities `input` at integer `target`,
    as torch's ``F.nll_loss`` (loss ``-w[y] * input[y]``; 'mean' divides by the
    summed weight of non-ignored targets)."""
    if axis == 1 and dim is None and grad_output is None:
        r = _ce.ce_fast(input, target, weight, ignore_index, 0.0, reduction, grad, 1,
                        nthreads(), grad_out)
        if r is not None:
            return r
    axis = pick_axis(None if axis == 1 and dim is not None else axis, dim, 1)
    return _ce_impl("nll_loss", input, target, weight, ignore_index, reduction, 0.0, axis,
                    grad, grad_output, grad_out, True)
