"""The contract layer shared by every loss: argument conversion, dtype
promotion, reductions, grad_output / grad_out handling and error messages.

Everything a kernel relies on is established here, once, before any kernel
writes (SPEC section 2).
"""
import math
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


# Every array a kernel reads or writes is C-contiguous, of the kernel's dtype
# and aligned to its itemsize.  An array that is contiguous but not aligned
# (e.g. a float32 view of a byte buffer at an odd offset) is copied: kernels
# load float/double/int64 through typed pointers, which C only defines for
# aligned addresses, and vectorised loops may peel to a vector boundary
# assuming element alignment.  The check is one more flag test (~60 ns per
# array); the copy runs only for such arrays, which NumPy itself never creates
# (measured at one thread: l1_loss of 1M float32 takes 0.88 ms aligned, 1.48 ms
# with a misaligned input, 2.44 ms with both misaligned; a copy, like that of
# a strided input, rather than a second, unaligned-load variant of every
# kernel).
def contiguous(a, dtype):
    """C-contiguous, aligned array of `dtype`; the user's array itself when it
    already is (kernels never write to it)."""
    if a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned:
        return a
    b = np.ascontiguousarray(a, dtype=dtype)
    # ascontiguousarray keeps a contiguous misaligned array as it is
    return b if b.flags.aligned else b.copy()


def as_index_target(t, name="target"):
    a = t if type(t) is np.ndarray else np.asarray(t)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {a.dtype}")
    if a.dtype == _I64 and a.flags.c_contiguous and a.flags.aligned:
        return a
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: value {int(a.max())} is out of range")
    return contiguous(a, _I64)


def fixed_sum(a):
    """Sum of `a` in float64, in C (row-major) element order whatever the
    array's memory layout, so a result that depends on it (e.g. the 'mean'
    denominator of a weighted loss) is the same bits for C, Fortran or
    strided inputs.  NumPy's own sum of a non-contiguous array follows the
    memory order, so its rounding depends on the layout."""
    a = np.asarray(a)
    return float(np.add.reduce(np.ravel(a, order="C"), dtype=np.float64))


def check_option(v, name, lo=None, hi=None, *, lo_open=False, hi_open=False, finite=False,
                 nan_ok=False):
    """A real-valued option (margin, eps, beta, ...) as a Python float.

    The one rule for every float option of every public function: not a
    number type -> TypeError; NaN -> ValueError (torch lets most options be
    NaN and returns NaN results; a NaN option is a bug in the caller, so it
    is reported here, before anything runs); outside [lo, hi] (bounds
    optional, ``lo_open``/``hi_open`` exclude them) -> ValueError; infinite
    with ``finite=True`` -> ValueError.  ``nan_ok=True`` only for an option
    that is a fill value rather than a parameter (threshold's ``value``).
    Each message names the option and the value."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.ndarray, np.generic)):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {v!r}") from None
    if math.isnan(f):
        if nan_ok:
            return f
        raise ValueError(f"{name} must not be NaN, got {v!r}")
    if finite and math.isinf(f):
        raise ValueError(f"{name} must be finite, got {v!r}")
    if (lo is not None and (f < lo or (lo_open and f == lo))) or \
            (hi is not None and (f > hi or (hi_open and f == hi))):
        lb = "(-inf" if lo is None else ("(" if lo_open else "[") + repr(lo)
        hb = "inf)" if hi is None else repr(hi) + (")" if hi_open else "]")
        raise ValueError(f"{name} must be in {lb}, {hb}, got {v!r}")
    return f


def as_int(v, name):
    if isinstance(v, bool):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {v!r}") from None


_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def as_int64(v, name, lo=_I64_MIN, hi=_I64_MAX):
    """An integer option that reaches a kernel as int64 (ignore_index,
    min_negatives, ...): TypeError if not an integer, ValueError naming it if
    outside [lo, hi] (by default the int64 range, rather than the bridge's
    OverflowError)."""
    i = as_int(v, name)
    if not lo <= i <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {i}")
    return i


def normalize_axis(axis, ndim, name="axis"):
    axis = as_int(axis, name)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an input with {ndim} dimension(s)")
    return axis % ndim


class _DefaultAxis(int):
    """The default value of an ``axis=`` parameter whose default is not None:
    an int that can be told apart from the same value passed explicitly, so
    that ``dim=`` together with an explicit ``axis=`` is rejected."""
    __slots__ = ()

    def __repr__(self):
        return repr(int(self))


AXIS1 = _DefaultAxis(1)


def pick_axis(axis, dim, default):
    """`dim=` is an alias of `axis=`; giving both is a TypeError (even when
    they are equal), as passing one argument twice."""
    given = axis is not None and type(axis) is not _DefaultAxis
    if dim is not None:
        if given:
            raise TypeError(f"give axis= or its alias dim=, not both (got axis={axis!r}, "
                            f"dim={dim!r})")
        return dim
    if axis is None:
        return default
    return int(axis) if type(axis) is _DefaultAxis else axis


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
    return 1.0, contiguous(b, dtype)


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
    (C-contiguous, aligned); when the user's buffer is not contiguous or not
    aligned to its itemsize, the kernel writes a fresh buffer and the result
    is copied into the user's afterwards (user_buffer is then not None)."""
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
    if grad_out.flags.c_contiguous and grad_out.flags.aligned:
        return grad_out, None
    return new_output(shape, dtype)[0], grad_out


def finish_grad(buf, user):
    if user is None:
        return buf
    user[...] = buf
    return user


def _same_elements(a, b):
    """`a` and `b` view the same elements in the same order (e.g. ``out=x[...]``)."""
    return a is b or (a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
                      and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def out_dest(out, shape, dtype, inputs, name="out", may_alias=None, grad_out=None):
    """Validated destination of an array result (SPEC section 2, ``out``),
    before anything is written.

    `inputs`: everything `out` must not share memory with (the inputs and
    grad_output); `grad_out`: the gradient buffer or tuple of buffers,
    likewise.  `may_alias`: the input of an elementwise function, which
    `out` may be exactly (same elements in the same order): the kernels read
    x[i] once and write y[i] (and the gradient) from that one load.

    Returns (buffer, user, resident) like grad_dest: the kernel writes
    `buffer` (C-contiguous, aligned); `user` is the caller's `out` when it
    is not, to be filled from `buffer` by finish_out; resident tells whether
    a kernel may stream into the buffer: its pages are present (a user
    array, or reused cache memory) and it is not the input being read."""
    if out is None:
        buf, resident = new_output(shape, dtype)
        return buf, None, resident
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the compute dtype), got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (the result's), "
                         f"got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    # the exception is used once: the same array passed again in another role
    # (e.g. as grad_output) is still an overlap
    alias = may_alias if isinstance(may_alias, np.ndarray) else None
    in_place = False
    for a in inputs:
        if isinstance(a, np.ndarray) and np.may_share_memory(out, a):
            if a is alias and _same_elements(out, a):
                alias, in_place = None, True
                continue
            what = ("an input other than being exactly `input`" if may_alias is not None
                    else "an input")
            raise ValueError(f"{name} must not share memory with {what}")
    if grad_out is not None:
        for a in grad_out if isinstance(grad_out, (tuple, list)) else (grad_out,):
            if isinstance(a, np.ndarray) and np.may_share_memory(out, a):
                raise ValueError(f"{name} must not share memory with grad_out")
    if out.flags.c_contiguous and out.flags.aligned:
        # in place, each line of out was just read (it is in cache): ordinary
        # stores beat streaming ones there (relu of 16M float32 in place at
        # one thread: 5.5 ms plain, 11.9 ms streamed)
        return out, None, not in_place
    buf, resident = new_output(shape, dtype)
    return buf, out, resident


def finish_out(buf, user, out):
    """The result: `out` itself when given (filled from the kernel's buffer
    when that was a separate one), else the kernel's buffer (a NumPy scalar
    when 0-d)."""
    if out is None:
        return buf[()] if buf.ndim == 0 else buf
    if user is not None:
        user[...] = buf
    return out


def reject_out(out, red, name="out"):
    """`out` only receives an array result: a reduced loss is a scalar."""
    if out is not None and red != RED_NONE:
        raise ValueError(f"{name} is only accepted with reduction='none' (a reduced loss is a "
                         "scalar)")


def scalar_result(value, dtype):
    return dtype.type(value)


def call_buffers(red, grad, grad_output, grad_out, loss_shape, pred_shape, dtype, inputs,
                 out=None):
    """The buffers of one loss call, validated before any kernel writes:
    the per-element loss ('none' only; `out` when given), the upstream
    gradient (a scalar, or a contiguous array for 'none') and the gradient
    destination.

    Returns (loss, user_out, go_scalar, go_array, grad_buffer, user_grad_out);
    the result is finish_out(loss, user_out, out)."""
    reject_out(out, red)
    loss, luser = None, None
    if red == RED_NONE:
        loss, luser, _ = out_dest(out, loss_shape, dtype, inputs,
                                  grad_out=grad_out if grad else None)
    gscalar, garr, g, guser = 1.0, None, None, None
    if grad:
        if red == RED_NONE:
            gscalar, garr = grad_output_none(grad, grad_output, loss_shape, dtype)
        else:
            gscalar = grad_output_reduced(grad, grad_output)
        g, guser = grad_buffer(grad_out, pred_shape, dtype, inputs)
    return loss, luser, gscalar, garr, g, guser

