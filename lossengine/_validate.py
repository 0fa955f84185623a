"""The contract layer shared by every loss: argument conversion, dtype
promotion, reductions, grad_output / grad_out handling and error messages.

Everything a kernel relies on is established here, once, before any kernel
writes (SPEC section 2).
"""
import numbers
import operator

import numpy as np

from . import _core

REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}
RED_NONE, RED_MEAN, RED_SUM = 0, 1, 2
STREAM_LOSS, STREAM_GRAD = 1, 2      # csrc/le_dispatch.h LE_STREAM_*

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)


def reduction_code(reduction, allowed=("none", "mean", "sum")):
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"{reduction!r} is not a valid value for reduction "
                         f"(expected one of {', '.join(map(repr, allowed))})")
    return REDUCTIONS.get(reduction, -1)


def as_array(x, name):
    """np.asarray plus a dtype check: real numbers or bool only."""
    a = x if type(x) is np.ndarray else np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {a.dtype}")
    return a


def compute_dtype(*preds):
    """float64 if any floating prediction is float64 (or wider), else float32."""
    for a in preds:
        if a is not None and a.dtype.kind == "f" and a.dtype.itemsize >= 8:
            return _F64
    return _F32


def contiguous(a, dtype):
    """C-contiguous array of `dtype`; the user's array itself when it already is
    (kernels never write to it)."""
    if a.dtype == dtype and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dtype=dtype)


def as_index_target(t, name="target"):
    a = t if type(t) is np.ndarray else np.asarray(t)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {a.dtype}")
    if a.dtype == _I64 and a.flags.c_contiguous:
        return a
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: value {int(a.max())} is out of range")
    return np.ascontiguousarray(a, dtype=_I64)


def check_finite_scalar(v, name, lo=None, hi=None, lo_open=False):
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.ndarray, np.generic)):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {v!r}") from None
    if lo is not None and (f < lo or (lo_open and f == lo)) or hi is not None and f > hi:
        raise ValueError(f"{name} must be in {'(' if lo_open else '['}{lo}, {hi}], got {v!r}")
    return f


def as_int(v, name):
    if isinstance(v, bool):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {v!r}") from None


def normalize_axis(axis, ndim, name="axis"):
    axis = as_int(axis, name)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an input with {ndim} dimension(s)")
    return axis % ndim


def pick_axis(axis, dim, default):
    """`dim=` is an alias of `axis=`."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise ValueError(f"axis={axis!r} and dim={dim!r} disagree; give one of them")
        return dim
    return default if axis is None else axis


class GradSpec:
    """What the caller asked of the gradient: upstream gradient and buffers."""
    __slots__ = ("scalar", "array")

    def __init__(self, scalar=1.0, array=None):
        self.scalar = scalar
        self.array = array


def grad_output_reduced(grad, grad_output):
    """Upstream gradient of a reduced loss: a scalar."""
    if grad_output is None:
        return 1.0
    if not grad:
        raise ValueError("grad_output is only accepted with grad=True")
    g = np.asarray(grad_output)
    if g.ndim != 0 and g.size != 1 or g.dtype.kind not in "fiub":
        raise ValueError(f"grad_output must be a scalar for a reduced loss, got shape {g.shape}")
    return float(g.reshape(()))


def grad_output_none(grad, grad_output, shape, dtype):
    """Upstream gradient of an unreduced loss: a scalar or an array broadcastable
    to `shape`. Returns (scalar, contiguous array or None)."""
    if grad_output is None:
        return 1.0, None
    if not grad:
        raise ValueError("grad_output is only accepted with grad=True")
    g = np.asarray(grad_output)
    if g.dtype.kind not in "fiub":
        raise TypeError(f"grad_output must be real numbers, got dtype {g.dtype}")
    if g.ndim == 0:
        return float(g), None
    try:
        b = np.broadcast_to(g, shape)
    except ValueError:
        raise ValueError(f"grad_output of shape {g.shape} does not broadcast to the loss "
                         f"shape {tuple(shape)}") from None
    return 1.0, np.ascontiguousarray(b, dtype=dtype)


def check_no_grad_args(grad, grad_output, grad_out):
    if not grad:
        if grad_output is not None:
            raise ValueError("grad_output is only accepted with grad=True")
        if grad_out is not None:
            raise ValueError("grad_out is only accepted with grad=True")


def new_output(shape, dtype):
    """A fresh output array, (array, resident): large ones come from the
    output cache (see _outbuf); resident is True when the memory was reused,
    so its pages are present and a kernel may stream into it."""
    return _core.outbuf_empty(tuple(shape), dtype)


def grad_dest(grad_out, shape, dtype, inputs, name="grad_out"):
    """grad_buffer plus whether the kernel buffer's pages are present (the
    user's own buffer, or a reused cached block): (buffer, user, resident)."""
    if grad_out is None:
        buf, resident = new_output(shape, dtype)
        return buf, None, resident
    buf, user = grad_buffer(grad_out, shape, dtype, inputs, name)
    return buf, user, user is None


def grad_buffer(grad_out, shape, dtype, inputs, name="grad_out"):
    """Validated destination for a gradient (before anything is written).

    Returns (kernel_buffer, user_buffer): the kernel writes kernel_buffer
    (C-contiguous); when the user's buffer is not contiguous, the result is
    copied into it afterwards."""
    if grad_out is None:
        return new_output(shape, dtype)[0], None
    if not isinstance(grad_out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(grad_out).__name__}")
    if grad_out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the compute dtype), got {grad_out.dtype}")
    if grad_out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {grad_out.shape}")
    if not grad_out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    for a in inputs:
        if isinstance(a, np.ndarray) and np.may_share_memory(grad_out, a):
            raise ValueError(f"{name} must not share memory with an input")
    if grad_out.flags.c_contiguous:
        return grad_out, None
    return new_output(shape, dtype)[0], grad_out


def finish_grad(buf, user):
    if user is None:
        return buf
    user[...] = buf
    return user


def scalar_result(value, dtype):
    return dtype.type(value)


def call_buffers(red, grad, grad_output, grad_out, loss_shape, pred_shape, dtype, inputs):
    """The buffers of one loss call, validated before any kernel writes:
    the per-element loss ('none' only), the upstream gradient (a scalar, or a
    contiguous array for 'none') and the gradient destination.

    Returns (loss, go_scalar, go_array, grad_buffer, user_grad_out)."""
    loss = new_output(loss_shape, dtype)[0] if red == RED_NONE else None
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        if red == RED_NONE:
            gscalar, garr = grad_output_none(grad, grad_output, loss_shape, dtype)
        else:
            gscalar = grad_output_reduced(grad, grad_output)
        g, guser = grad_buffer(grad_out, pred_shape, dtype, inputs)
    return loss, gscalar, garr, g, guser

