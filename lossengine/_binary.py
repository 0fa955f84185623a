"""Binary family and the class-imbalance toolkit: binary_cross_entropy,
binary_cross_entropy_with_logits, soft_margin_loss, multilabel_soft_margin_loss,
sigmoid_focal_loss, softmax_focal_loss, balanced_binary_cross_entropy,
dice_loss, ohem_binary_cross_entropy, hard_example_mining, class_weights.

Kernels: csrc/bce.c (elementwise losses, dice, OHEM), csrc/select.c (O(n)
radix selection), csrc/focal.c (softmax focal)."""
from __future__ import annotations

import math
import threading
from typing import Literal, Optional, overload

import numpy as np
import numpy.typing as npt

from ._docs import fill_doc
from ._typing import (ArrayLike, BoolArray, FloatArray, GradOut, GradOutput, MaybeGrad, Out,
                      Output, Reduction, WeightScheme, WithGrad)
from . import _core as _binary
from ._runtime import nthreads
from ._validate import (AXIS1, RED_MEAN, RED_NONE, RED_SUM, STREAM_GRAD, as_array,
                        as_index_target, as_int, as_int64, call_buffers, check_no_grad_args,
                        check_option, compute_dtype, contiguous, finish_grad, finish_out,
                        grad_dest, grad_output_none, grad_output_reduced, new_output,
                        out_dest, pick_axis, reduction_code, reject_out)

_LE_ERR_VALUE_RANGE = 2
_LE_ERR_NOMEM = 3
_BCE, _BCEL, _SOFTMARGIN, _FOCAL, _BALANCED = 0, 1, 2, 3, 4


_tls = threading.local()


def _key_scratch(n, dt):
    """Per-thread scratch for the selection keys, kept between calls: a
    training loop reuses it instead of faulting in fresh pages every step."""
    kdt = np.uint32 if dt == np.float32 else np.uint64
    name = "k32" if kdt is np.uint32 else "k64"
    buf = getattr(_tls, name, None)
    if buf is None or buf.size < n:
        buf = np.empty(max(n, 1), dtype=kdt)
        setattr(_tls, name, buf)
    return buf[:n]


def _raise_status(st, what):
    if st == _LE_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if st != 0:
        raise RuntimeError(f"{what}: kernel failed with status {st}")


def _value_error(x, t, shape, bad, what):
    arr, name = (x, "input") if what == 1 else (t, "target")
    idx = tuple(int(i) for i in np.unravel_index(bad, shape)) if shape else ()
    v = arr.reshape(-1)[bad]
    raise ValueError(f"all elements of {name} should be between 0 and 1 "
                     f"({name}{list(idx)} = {v!r})")


def _bcast_spec(a, name, tshape, dt):
    """A small operand broadcast to the target's shape without a full copy.

    Returns None, a float (one value for every element) or (array, C, inner)
    meaning element i (flat, C order) uses array[(i // inner) % C].  Shapes
    whose non-unit dims are not one contiguous run of the target's dims
    (e.g. (N,1,H,1)) fall back to a broadcast copy."""
    if a is None:
        return None
    w = as_array(a, name)
    try:
        bshape = np.broadcast_shapes(w.shape, tuple(tshape))
    except ValueError:
        bshape = None
    if bshape != tuple(tshape):
        raise ValueError(f"{name} of shape {w.shape} does not broadcast to the target "
                         f"shape {tuple(tshape)}")
    if w.size == 1:
        return float(w.reshape(()))
    if math.prod(tshape) == 0:
        return 1.0          # an empty target: no element reads the operand
    nd = len(tshape)
    ws = (1,) * (nd - w.ndim) + w.shape
    dims = [d for d in range(nd) if ws[d] != 1]
    lo, hi = dims[0], dims[-1] + 1
    if all(ws[d] == tshape[d] for d in range(lo, hi)):
        C = math.prod(tshape[lo:hi])
        inner = math.prod(tshape[hi:])
        return (contiguous(w.reshape(-1) if w.flags.c_contiguous else np.ravel(w), dt), C, inner)
    full = contiguous(np.broadcast_to(w, tshape), dt)
    return (full.reshape(-1), full.size, 1)


def _same_shape_target(t, x, msg):
    if t.shape != x.shape:
        raise ValueError(msg.format(t=tuple(t.shape), x=tuple(x.shape)))


def _broadcast_target(t, x):
    if t.shape == x.shape:
        return t
    try:
        return np.broadcast_to(t, x.shape)
    except ValueError:
        raise ValueError(f"target of shape {t.shape} does not broadcast to the input shape "
                         f"{x.shape}") from None


def _finish(red, loss, luser, out, value, dt, grad, g, guser):
    res = finish_out(loss, luser, out) if red == RED_NONE else dt.type(value)
    if grad:
        return res, finish_grad(g, guser)
    return res


def _elementwise(name, mode, input, target, red, grad, grad_output, grad_out, *, wspec=None,
                 bspec=None, alpha=0.0, gamma=0.0, from_logits=0, x=None, t=None, dt=None,
                 row=0, loss_shape=None, norm=None, share=(), out=None):
    """Run the elementwise kernel. x, t: validated arrays of one shape."""
    n = x.size
    loss_shape = x.shape if loss_shape is None else loss_shape
    if norm is None:
        norm = (1.0 / n if n else math.nan) if red == RED_MEAN else 1.0
    # not streamed: a compute-bound kernel (see csrc/bce.c)
    loss, luser, gscalar, garr, g, guser = call_buffers(
        red, grad, grad_output, grad_out, loss_shape, x.shape, dt,
        (input, target, grad_output) + share, out)
    if n == 0:
        # nothing to read: no kernel call (the outputs are empty)
        value = math.nan if red == RED_MEAN else 0.0
        return _finish(red, loss, luser, out, value, dt, grad, g, guser)
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
    st, value, bad, what = _binary.binary(
        mode, xc, tc, wspec, bspec, garr, loss, g, n, row, red, norm, gscalar, alpha, gamma,
        from_logits, nthreads())
    if st == _LE_ERR_VALUE_RANGE:
        _value_error(x, t, x.shape, bad, what)
    _raise_status(st, name)
    return _finish(red, loss, luser, out, value, dt, grad, g, guser)


# --------------------------------------------------------------------------
@overload
def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                         reduction: Reduction = ..., grad: Literal[False] = ...,
                         grad_output: GradOutput = ..., grad_out: GradOut = ...,
                         out: Out = ...) -> Output: ...
@overload
def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                         reduction: Reduction = ..., grad: Literal[True],
                         grad_output: GradOutput = ...,
                         grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = ..., *,
                         reduction: Reduction = ..., grad: bool = ...,
                         grad_output: GradOutput = ...,
                         grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: Optional[ArrayLike] = None,
                         *, reduction: Reduction = "mean", grad: bool = False,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Binary cross entropy of probabilities, as torch's ``F.binary_cross_entropy``.

    ``-w [y log x + (1 - y) log(1 - x)]`` with each log clamped at -100.

    Parameters
    ----------
    input : array_like
        Probabilities in ``[0, 1]``.
    target : array_like
        Targets in ``[0, 1]`` (soft targets allowed), shaped like `input`.
    weight : array_like, optional
        Broadcast to the target by NumPy's rules.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (shaped like `input`) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    The gradient is torch's, ``w (x - y) / max(x (1 - x), 1e-12)``.  An input
    or target outside ``[0, 1]`` raises ``ValueError`` naming it and its
    position (checked inside the kernel, no extra pass); a NaN input gives NaN,
    not an error.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.binary_cross_entropy([0.9, 0.2], [1.0, 0.0], grad=True)
    >>> round(float(loss), 4)
    0.1643
    >>> g.round(4)
    array([-0.5556,  0.625 ])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "Using a target size ({t}) that is different to the input size "
                             "({x}) is deprecated. Please ensure they have the same size.")
    wspec = _bcast_spec(weight, "weight", x.shape, dt)
    return _elementwise("binary_cross_entropy", _BCE, input, target, red, grad, grad_output,
                        grad_out, wspec=wspec, x=x, t=t, dt=dt, share=(weight,), out=out)


@overload
def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: Optional[ArrayLike] = ..., *,
                                     reduction: Reduction = ...,
                                     pos_weight: Optional[ArrayLike] = ...,
                                     grad: Literal[False] = ..., grad_output: GradOutput = ...,
                                     grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: Optional[ArrayLike] = ..., *,
                                     reduction: Reduction = ...,
                                     pos_weight: Optional[ArrayLike] = ..., grad: Literal[True],
                                     grad_output: GradOutput = ...,
                                     grad_out: GradOut = ...,
                                     out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: Optional[ArrayLike] = ..., *,
                                     reduction: Reduction = ...,
                                     pos_weight: Optional[ArrayLike] = ..., grad: bool = ...,
                                     grad_output: GradOutput = ...,
                                     grad_out: GradOut = ...,
                                     out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: Optional[ArrayLike] = None, *,
                                     reduction: Reduction = "mean",
                                     pos_weight: Optional[ArrayLike] = None, grad: bool = False,
                                     grad_output: GradOutput = None,
                                     grad_out: GradOut = None,
                                     out: Out = None) -> MaybeGrad[FloatArray]:
    """Binary cross entropy on logits, as torch's ``F.binary_cross_entropy_with_logits``.

    ``w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)]``, stable for any logit.

    Parameters
    ----------
    input : array_like
        Logits.
    target : array_like
        Targets in ``[0, 1]``, shaped like `input`.
    weight : array_like, optional
        Broadcast against the target by NumPy's rules.
    %(reduction)s
    pos_weight : array_like, optional
        Weight of the positive term, broadcast against the target (per class:
        ``(C,)`` for channels-last data, ``(C, 1, 1)`` for NCHW).
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (shaped like `input`) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    `weight` and `pos_weight` shapes whose non-unit dimensions form one run of
    the target's dimensions (scalar, ``(C,)``, ``(C, 1, 1)``, full) are read
    through their broadcast pattern, never copied to full size.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.binary_cross_entropy_with_logits([2.0, -1.0], [1.0, 0.0], grad=True)
    >>> round(float(loss), 4)
    0.2201
    >>> g.round(4)
    array([-0.0596,  0.1345])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "Target size ({t}) must be the same as input size ({x})")
    wspec = _bcast_spec(weight, "weight", x.shape, dt)
    bspec = _bcast_spec(pos_weight, "pos_weight", x.shape, dt)
    return _elementwise("binary_cross_entropy_with_logits", _BCEL, input, target, red, grad,
                        grad_output, grad_out, wspec=wspec, bspec=bspec, x=x, t=t, dt=dt,
                        share=(weight, pos_weight), out=out)


@overload
def soft_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                     grad: Literal[False] = ..., grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def soft_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                     grad: Literal[True], grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def soft_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                     grad: bool = ..., grad_output: GradOutput = ...,
                     grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def soft_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
                     grad: bool = False, grad_output: GradOutput = None,
                     grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Soft margin loss ``log(1 + exp(-y x))``, as torch's ``F.soft_margin_loss``.

    Computed stably: torch's literal form overflows to inf (gradient NaN) once
    ``-y x`` exceeds ~88 in float32 / ~709 in float64; here the loss stays
    finite (about ``-y x``) and the gradient is ``-y sigmoid(-y x)``.

    Parameters
    ----------
    input : array_like
        Scores.
    target : array_like
        Labels (usually +-1), broadcast to the input.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (shaped like `input`) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.soft_margin_loss([2.0, -1.0], [1.0, 1.0], grad=True)
    >>> round(float(loss), 4)
    0.7201
    >>> g.round(4)
    array([-0.0596, -0.3655])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = _broadcast_target(as_array(target, "target"), x)
    return _elementwise("soft_margin_loss", _SOFTMARGIN, input, target, red, grad, grad_output,
                        grad_out, x=x, t=t, dt=dt, out=out)


@overload
def multilabel_soft_margin_loss(input: ArrayLike, target: ArrayLike,
                                weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                                grad: Literal[False] = ..., grad_output: GradOutput = ...,
                                grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def multilabel_soft_margin_loss(input: ArrayLike, target: ArrayLike,
                                weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                                grad: Literal[True], grad_output: GradOutput = ...,
                                grad_out: GradOut = ...,
                                out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def multilabel_soft_margin_loss(input: ArrayLike, target: ArrayLike,
                                weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                                grad: bool = ..., grad_output: GradOutput = ...,
                                grad_out: GradOut = ...,
                                out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def multilabel_soft_margin_loss(input: ArrayLike, target: ArrayLike,
                                weight: Optional[ArrayLike] = None, *,
                                reduction: Reduction = "mean", grad: bool = False,
                                grad_output: GradOutput = None,
                                grad_out: GradOut = None,
                                out: Out = None) -> MaybeGrad[FloatArray]:
    """Multi-label one-versus-all loss, as torch's ``F.multilabel_soft_margin_loss``.

    ``-(1/C) sum_c w_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)]`` over the
    last axis (``C = input.shape[-1]``); stable for any logit.

    Parameters
    ----------
    input : array_like
        Logits ``(..., C)``.
    target : array_like
        0/1 (or soft) labels shaped like `input`.
    weight : array_like, optional
        Broadcast to the input (usually ``(C,)``).
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'`` has shape ``input.shape[:-1]``; ``'mean'`` averages over it.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-sample losses (``input.shape[:-1]``) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With ``C = 0`` each sample's loss is a mean over no classes: NaN, as
    torch (and so are ``'mean'`` and ``'sum'`` of them).
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.multilabel_soft_margin_loss([[2.0, -1.0]], [[1.0, 0.0]], grad=True)
    >>> round(float(loss), 4)
    0.2201
    >>> g.round(4)
    array([[-0.0596,  0.1345]])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    if x.ndim == 0:
        x = x.reshape(1)
    t = _broadcast_target(as_array(target, "target"), x)
    C = x.shape[-1]
    rows = x.size // C if C else 0
    wspec = _bcast_spec(weight, "weight", x.shape, dt)
    if C == 0:
        # each sample's loss is a mean over zero classes: 0/0 = NaN, as torch
        # ('sum' of those NaNs is NaN too; no sample at all gives 'sum' 0)
        loss, luser, _gs, _ga, g, guser = call_buffers(
            red, grad, grad_output, grad_out, x.shape[:-1], x.shape, dt,
            (input, target, grad_output, weight), out)
        if loss is not None:
            loss.fill(math.nan)
        nsamples = math.prod(x.shape[:-1])
        value = math.nan if (red == RED_MEAN or nsamples) else 0.0
        r = _finish(red, loss, luser, out, value, dt, grad, g, guser)
        if grad and np.ndim(input) == 0:
            return r[0], r[1].reshape(())
        return r
    if red == RED_NONE:
        norm = 1.0 / C if C else math.nan
    elif red == RED_MEAN:
        norm = 1.0 / (rows * C) if rows and C else math.nan
    else:
        norm = 1.0 / C if C else math.nan
    r = _elementwise("multilabel_soft_margin_loss", _BCEL, input, target, red, grad,
                       grad_output, grad_out, wspec=wspec, x=x, t=t, dt=dt,
                       row=C if red == RED_NONE else 0, loss_shape=x.shape[:-1], norm=norm,
                       share=(weight,), out=out)
    if grad and np.ndim(input) == 0:
        return r[0], r[1].reshape(())
    return r


@overload
def sigmoid_focal_loss(input: ArrayLike, target: ArrayLike, *, alpha: float = ...,
                       gamma: float = ..., reduction: Reduction = ..., grad: Literal[False] = ...,
                       grad_output: GradOutput = ..., grad_out: GradOut = ...,
                       out: Out = ...) -> Output: ...
@overload
def sigmoid_focal_loss(input: ArrayLike, target: ArrayLike, *, alpha: float = ...,
                       gamma: float = ..., reduction: Reduction = ..., grad: Literal[True],
                       grad_output: GradOutput = ...,
                       grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def sigmoid_focal_loss(input: ArrayLike, target: ArrayLike, *, alpha: float = ...,
                       gamma: float = ..., reduction: Reduction = ..., grad: bool = ...,
                       grad_output: GradOutput = ...,
                       grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def sigmoid_focal_loss(input: ArrayLike, target: ArrayLike, *, alpha: float = 0.25,
                       gamma: float = 2.0, reduction: Reduction = "none", grad: bool = False,
                       grad_output: GradOutput = None,
                       grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Sigmoid focal loss on logits, as torchvision's ``sigmoid_focal_loss``.

    ``ce * (1 - p_t)**gamma``, times ``alpha y + (1 - alpha)(1 - y)`` when
    ``alpha >= 0``; ``ce`` is BCE with logits, ``p = sigmoid(input)``,
    ``p_t = p y + (1 - p)(1 - y)``.

    Parameters
    ----------
    input : array_like
        Logits.
    target : array_like
        Targets in ``[0, 1]`` shaped like `input`.
    alpha : float, default 0.25
        Weight of the positives; a negative value turns the weighting off.
    gamma : float, default 2.0
        Focusing exponent, ``>= 0``.
    reduction : {'none', 'mean', 'sum'}, default 'none'
        torchvision's default is ``'none'``.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (shaped like `input`) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Not in torch itself: torchvision's definition, with a fused gradient.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.sigmoid_focal_loss([2.0, -1.0], [1.0, 0.0], reduction='sum', grad=True)
    >>> round(float(loss), 4)
    0.0174
    >>> g.round(4)
    array([-0.0012,  0.0394])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    alpha = check_option(alpha, "alpha")
    gamma = check_option(gamma, "gamma", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    return _elementwise("sigmoid_focal_loss", _FOCAL, input, target, red, grad, grad_output,
                        grad_out, alpha=alpha if alpha >= 0 else -1.0, gamma=gamma, x=x, t=t,
                        dt=dt, out=out)


def _samples(shape):
    """(N, L): samples along the first axis; a 0-d or 1-d input is one sample."""
    if len(shape) <= 1:
        return 1, math.prod(shape)
    return shape[0], math.prod(shape[1:])


@overload
def balanced_binary_cross_entropy(input: ArrayLike, target: ArrayLike, *,
                                  beta: Optional[float] = ..., reduction: Reduction = ...,
                                  from_logits: bool = ..., grad: Literal[False] = ...,
                                  grad_output: GradOutput = ...,
                                  grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def balanced_binary_cross_entropy(input: ArrayLike, target: ArrayLike, *,
                                  beta: Optional[float] = ..., reduction: Reduction = ...,
                                  from_logits: bool = ..., grad: Literal[True],
                                  grad_output: GradOutput = ...,
                                  grad_out: GradOut = ...,
                                  out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def balanced_binary_cross_entropy(input: ArrayLike, target: ArrayLike, *,
                                  beta: Optional[float] = ..., reduction: Reduction = ...,
                                  from_logits: bool = ..., grad: bool = ...,
                                  grad_output: GradOutput = ...,
                                  grad_out: GradOut = ...,
                                  out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def balanced_binary_cross_entropy(input: ArrayLike, target: ArrayLike, *,
                                  beta: Optional[float] = None, reduction: Reduction = "mean",
                                  from_logits: bool = False, grad: bool = False,
                                  grad_output: GradOutput = None,
                                  grad_out: GradOut = None,
                                  out: Out = None) -> MaybeGrad[FloatArray]:
    """Class-balanced binary cross entropy ``-(beta y log p + (1 - beta)(1 - y) log(1 - p))``.

    With ``beta=None`` it is, per sample (first axis; a 1-d input is one
    sample), the fraction of negatives ``1 - mean(y)``.

    Parameters
    ----------
    input : array_like
        Probabilities in ``[0, 1]``, or logits with `from_logits`.
    target : array_like
        Targets in ``[0, 1]`` shaped like `input`.
    beta : float, optional
        Weight of the positive term; per-sample fraction of negatives when None.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages over elements.
    from_logits : bool, default False
        ``p = sigmoid(input)`` with stable log-sigmoids (no clamp, as
        BCE-with-logits); otherwise logs are clamped at -100 as
        :func:`binary_cross_entropy` and the gradient has torch's
        ``max(p (1 - p), 1e-12)`` denominator.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses (shaped like `input`) for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Not in torch.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.balanced_binary_cross_entropy([0.9, 0.2, 0.4, 0.1], [1.0, 0.0, 0.0, 0.0],
    ...                                             grad=True)
    >>> round(float(loss), 4)
    0.0722
    >>> g.round(4)
    array([-0.2083,  0.0781,  0.1042,  0.0694])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    if beta is None:
        N, L = _samples(x.shape)
        if N and L:
            # rows of a C-ordered copy: the per-row sums do not depend on the
            # target's memory layout
            tt = contiguous(t, t.dtype if t.dtype.kind == "f" else np.dtype(np.float64))
            b = 1.0 - tt.reshape(N, L).mean(axis=1, dtype=np.float64)
            bspec = (np.ascontiguousarray(b, dtype=dt), N, L) if N > 1 else float(b[0])
        else:
            bspec = 0.5
    else:
        bspec = check_option(beta, "beta", 0.0, 1.0)
    return _elementwise("balanced_binary_cross_entropy", _BALANCED, input, target, red, grad,
                        grad_output, grad_out, bspec=bspec, from_logits=1 if from_logits else 0,
                        x=x, t=t, dt=dt, out=out)


@overload
def dice_loss(input: ArrayLike, target: ArrayLike, *, eps: float = ..., from_logits: bool = ...,
              reduction: Reduction = ..., squared: bool = ..., grad: Literal[False] = ...,
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> Output: ...
@overload
def dice_loss(input: ArrayLike, target: ArrayLike, *, eps: float = ..., from_logits: bool = ...,
              reduction: Reduction = ..., squared: bool = ..., grad: Literal[True],
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def dice_loss(input: ArrayLike, target: ArrayLike, *, eps: float = ..., from_logits: bool = ...,
              reduction: Reduction = ..., squared: bool = ..., grad: bool = ...,
              grad_output: GradOutput = ..., grad_out: GradOut = ...,
              out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def dice_loss(input: ArrayLike, target: ArrayLike, *, eps: float = 1e-3, from_logits: bool = False,
              reduction: Reduction = "mean", squared: bool = True, grad: bool = False,
              grad_output: GradOutput = None, grad_out: GradOut = None,
              out: Out = None) -> MaybeGrad[FloatArray]:
    """Dice loss per sample ``1 - 2 sum(p y) / (sum(p**2) + sum(y**2) + eps)``.

    Samples run along the first axis (a 0-d/1-d input is one sample);
    ``squared=False`` uses ``sum(p) + sum(y)``; ``p = input``, or
    ``sigmoid(input)`` with `from_logits`.  PSENet's form adds 1e-3 to each
    sum: ``eps=2e-3``.

    Parameters
    ----------
    input : array_like
        Probabilities, or logits with `from_logits`.
    target : array_like
        Targets shaped like `input`.
    eps : float, default 1e-3
        Added to the denominator.
    from_logits : bool, default False
        Apply a sigmoid to `input` first.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        Over samples; ``'none'`` has shape ``(N,)`` (``()`` for one sample).
    squared : bool, default True
        Square the terms of the denominator.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-sample losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Not in torch.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> p = np.array([[0.9, 0.1], [0.2, 0.7]])
    >>> loss, g = le.dice_loss(p, np.array([[1.0, 0.0], [0.0, 1.0]]), grad=True)
    >>> round(float(loss), 4)
    0.0485
    >>> g.shape
    (2, 2)
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    eps = check_option(eps, "eps", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    N, L = _samples(x.shape)
    lshape = x.shape[:1] if x.ndim >= 2 else ()
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
    reject_out(out, red)
    luser = None
    if red == RED_NONE:
        lbuf, luser, _ = out_dest(out, lshape, dt, (input, target, grad_output),
                                  grad_out=grad_out if grad else None)
        losses = lbuf.reshape(N)        # a view: lbuf is C-contiguous
    else:
        losses = np.empty(N, dtype=dt)
    gscalar, garr, g, guser = 1.0, None, None, None
    if red == RED_NONE and grad:
        gscalar, garr = grad_output_none(grad, grad_output, lshape, dt)
        if garr is not None:
            garr = garr.reshape(N)
    elif grad:
        gscalar = grad_output_reduced(grad, grad_output)
    norm = (1.0 / N if N else math.nan) if red == RED_MEAN else 1.0
    stream = 0
    if grad:
        g, guser, resident = grad_dest(grad_out, x.shape, dt, (input, target, grad_output))
        stream = STREAM_GRAD if resident else 0
    st, total = _binary.dice(xc, tc, garr, losses, g, N, L, eps, gscalar, norm,
                             1 if squared else 0, 1 if from_logits else 0, nthreads(),
                             stream)
    _raise_status(st, "dice_loss")
    if red == RED_MEAN:
        value = total / N if N else math.nan
    elif red == RED_SUM:
        value = total
    else:
        value = None
    return _finish(red, losses.reshape(lshape), luser, out, value, dt, grad, g, guser)


def _as_mask(mask, shape):
    if mask is None:
        return None
    m = mask if type(mask) is np.ndarray else np.asarray(mask)
    if m.dtype.kind not in "biuf":
        raise TypeError(f"mask must be a bool or 0/1 array, got dtype {m.dtype}")
    if m.shape != tuple(shape):
        raise ValueError(f"mask of shape {m.shape} must have the input's shape {tuple(shape)}")
    if m.dtype == np.bool_:
        return np.ascontiguousarray(m).view(np.uint8)
    return np.ascontiguousarray(m != 0).view(np.uint8)


@overload
def ohem_binary_cross_entropy(input: ArrayLike, target: ArrayLike, mask: Optional[ArrayLike] = ...,
                              *, negative_ratio: float = ..., eps: float = ...,
                              from_logits: bool = ..., min_negatives: int = ...,
                              reduction: Reduction = ..., grad: Literal[False] = ...,
                              grad_output: GradOutput = ...,
                              grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def ohem_binary_cross_entropy(input: ArrayLike, target: ArrayLike, mask: Optional[ArrayLike] = ...,
                              *, negative_ratio: float = ..., eps: float = ...,
                              from_logits: bool = ..., min_negatives: int = ...,
                              reduction: Reduction = ..., grad: Literal[True],
                              grad_output: GradOutput = ...,
                              grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def ohem_binary_cross_entropy(input: ArrayLike, target: ArrayLike, mask: Optional[ArrayLike] = ...,
                              *, negative_ratio: float = ..., eps: float = ...,
                              from_logits: bool = ..., min_negatives: int = ...,
                              reduction: Reduction = ..., grad: bool = ...,
                              grad_output: GradOutput = ...,
                              grad_out: GradOut = ...,
                              out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def ohem_binary_cross_entropy(input: ArrayLike, target: ArrayLike,
                              mask: Optional[ArrayLike] = None, *, negative_ratio: float = 3.0,
                              eps: float = 1e-6, from_logits: bool = False, min_negatives: int = 0,
                              reduction: Reduction = "mean", grad: bool = False,
                              grad_output: GradOutput = None,
                              grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Balanced BCE with online hard-negative mining (DBNet's BalanceCrossEntropyLoss).

    ``l_i`` is BCE per element (torch's clamps; BCE with logits with
    `from_logits`).  Candidates are the elements where ``mask != 0`` (all when
    None); positives the candidates with ``target >= 0.5``; the other
    candidates are negatives.  ``k = min(#neg, max(floor(ratio #pos),
    min_negatives))`` hardest negatives are kept; ``'mean'`` is
    ``(sum_pos l + sum_topk l) / (#pos + k + eps)``.

    Parameters
    ----------
    input : array_like
        Probabilities, or logits with `from_logits`.
    target : array_like
        Targets in ``[0, 1]`` shaped like `input` (soft targets used as given).
    mask : array_like, optional
        Candidates (non-zero), shaped like `input`.
    negative_ratio : float, default 3.0
        Negatives kept per positive (finite, ``>= 0``).
    eps : float, default 1e-6
        Added to the ``'mean'`` divisor (``>= 0``).
    from_logits : bool, default False
        Whether `input` holds logits.
    min_negatives : int, default 0
        Keep at least this many negatives (mining on all-background images).
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'sum'`` is the numerator above; ``'none'`` the per-element losses
        times the selection.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-element losses times the selection for ``reduction='none'``,
        else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Not in torch.  Selection is O(n) in C (no sort); among equal losses the
    lower flat index is taken, so results are reproducible.  With no positive
    and ``min_negatives=0`` nothing is selected: the loss is 0 (``0/0``, NaN,
    for ``'mean'`` with ``eps=0``) and the gradient 0.  The gradient is that of
    the loss with the selection fixed (0 for unselected elements).
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> p = np.array([0.9, 0.4, 0.3, 0.2, 0.1]); y = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    >>> loss, g = le.ohem_binary_cross_entropy(p, y, negative_ratio=2.0, grad=True)
    >>> round(float(loss), 4)
    0.3243
    >>> (g != 0).astype(int)
    array([1, 1, 1, 0, 0])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    # finite: k = floor(ratio * #pos) must be a count
    ratio = check_option(negative_ratio, "negative_ratio", 0.0, finite=True)
    eps = check_option(eps, "eps", 0.0)
    min_neg = as_int64(min_negatives, "min_negatives", lo=0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    m = _as_mask(mask, x.shape)
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
    n = x.size
    # not streamed: a compute-bound kernel (see csrc/bce.c)
    loss, luser, gscalar, garr, g, guser = call_buffers(
        red, grad, grad_output, grad_out, x.shape, x.shape, dt,
        (input, target, mask, grad_output), out)
    keys = _key_scratch(n, dt)
    st, value, *_rest, bad, what = _binary.ohem(
        xc, tc, m, garr, loss, g, keys, n, ratio, eps, min_neg, gscalar, red,
        1 if from_logits else 0, nthreads())
    if st == _LE_ERR_VALUE_RANGE:
        _value_error(x, t, x.shape, bad, what)
    _raise_status(st, "ohem_binary_cross_entropy")
    return _finish(red, loss, luser, out, value, dt, grad, g, guser)


@fill_doc
def hard_example_mining(losses: ArrayLike, k: Optional[int] = None, ratio: Optional[float] = None,
                        mask: Optional[ArrayLike] = None) -> BoolArray:
    """Boolean mask of the `k` largest candidates of `losses`.

    Candidates are the elements where `mask` is true (all when None).  Give
    exactly one of `k` or `ratio`.

    Parameters
    ----------
    losses : array_like
        Per-element losses, any shape.
    k : int, optional
        How many to select, at most the number of candidates.
    ratio : float, optional
        Select ``floor(ratio * #candidates)`` (capped at #candidates); finite
        and ``>= 0``.
    mask : array_like, optional
        Candidates, shaped like `losses`.

    Returns
    -------
    keep : ndarray of bool
        Shaped like `losses`, true at the selected elements.

    Raises
    ------
    ValueError
        If neither or both of `k` and `ratio` are given, `k` is out of range,
        `ratio` is negative or not finite, or `mask` does not fit.
    TypeError
        If `losses` does not hold real numbers.

    Notes
    -----
    Ties: the lower flat index wins; NaN ranks above +inf.  O(n) (radix select
    in C).

    Examples
    --------
    >>> import lossengine as le
    >>> le.hard_example_mining([0.1, 0.9, 0.3, 0.9], k=2)
    array([False,  True, False,  True])
    >>> le.hard_example_mining([0.1, 0.9, 0.3, 0.7], ratio=0.5, mask=[True, False, True, True])
    array([False, False, False,  True])
    """
    v = as_array(losses, "losses")
    if (k is None) == (ratio is None):
        raise ValueError("hard_example_mining: give exactly one of k or ratio")
    dt = compute_dtype(v)
    m = _as_mask(mask, v.shape)
    ncand = v.size if m is None else int(np.count_nonzero(m))
    if k is not None:
        k = as_int(k, "k")
        if k < 0 or k > ncand:
            raise ValueError(f"k must be in [0, {ncand}] (the number of candidates), got {k}")
    else:
        r = check_option(ratio, "ratio", 0.0, finite=True)
        k = ncand if r >= 1 else int(math.floor(r * ncand))
    vc = contiguous(v, dt)
    out = new_output(v.shape, np.bool_)[0]
    if v.size == 0:
        return out
    keys = _key_scratch(v.size, dt)
    st = _binary.topk(vc, m, out.view(np.uint8), keys, v.size, k, nthreads())
    _raise_status(st, "hard_example_mining")
    return out


_SCHEMES = ("inverse_log", "inverse", "inverse_sqrt", "effective_number")
_MAX_CLASSES = (1 << 31) - 1


@fill_doc
def class_weights(target: ArrayLike, num_classes: int, *, scheme: WeightScheme = "inverse_log",
                  c: float = 1.02, beta: float = 0.999,
                  ignore_index: int = -100) -> npt.NDArray[np.float64]:
    """Per-class weights from the label frequencies of `target`.

    ``p_c`` is the frequency of class ``c`` among the entries of `target` not
    equal to `ignore_index`.

    Parameters
    ----------
    target : array_like
        Integer class labels, any shape.
    num_classes : int
        Number of classes ``C``, at most ``2**31 - 1``; labels must lie in
        ``[0, C)``.
    scheme : {'inverse_log', 'inverse', 'inverse_sqrt', 'effective_number'}
        ``'inverse_log'`` (default): ``1 / ln(c + p_c)`` (ENet; unnormalised,
        absent classes get ``1 / ln c``); ``'inverse'``: ``1 / p_c``;
        ``'inverse_sqrt'``: ``1 / sqrt(p_c)``; ``'effective_number'``:
        ``(1 - beta) / (1 - beta**n_c)`` (Cui et al. 2019).  The last three are
        normalised so the present classes' weights sum to their number; absent
        classes get 0.
    c : float, default 1.02
        The constant of ``'inverse_log'``, ``> 1``.
    beta : float, default 0.999
        The constant of ``'effective_number'``, in ``[0, 1)``.
    ignore_index : int, default -100
        Label value to skip.

    Returns
    -------
    weights : ndarray
        float64 ``(num_classes,)``, usable as `weight` of :func:`cross_entropy`.

    Raises
    ------
    ValueError
        If `scheme` is unknown, a label is out of range, or `c`/`beta` is out of
        range.
    TypeError
        If `target` is not integer.

    Examples
    --------
    >>> import lossengine as le
    >>> le.class_weights([0, 0, 0, 1], 3).round(4)
    array([ 1.7514,  4.1838, 50.4983])
    >>> le.class_weights([0, 0, 0, 1], 3, scheme='inverse').round(4)
    array([0.5, 1.5, 0. ])
    """
    t = as_index_target(target, "target")
    num_classes = as_int64(num_classes, "num_classes", 1, _MAX_CLASSES)
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {_SCHEMES}, got {scheme!r}")
    ignore_index = as_int64(ignore_index, "ignore_index")
    c = check_option(c, "c")
    if c <= 1:
        raise ValueError(f"c must be > 1 (so that ln(c + p) > 0), got {c!r}")
    beta = check_option(beta, "beta", 0.0, 1.0, hi_open=True)
    flat = t.reshape(-1)
    valid = flat[flat != ignore_index]
    if valid.size:
        lo, hi = int(valid.min()), int(valid.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"target: value {bad} is out of range for {num_classes} classes "
                             f"(and is not ignore_index={ignore_index})")
    counts = np.bincount(valid, minlength=num_classes).astype(np.float64)
    total = counts.sum()
    p = counts / total if total else counts
    if scheme == "inverse_log":
        return 1.0 / np.log(c + p)
    present = counts > 0
    w = np.zeros(num_classes)
    if scheme == "inverse":
        w[present] = 1.0 / p[present]
    elif scheme == "inverse_sqrt":
        w[present] = 1.0 / np.sqrt(p[present])
    else:
        w[present] = (1.0 - beta) / (1.0 - np.power(beta, counts[present])) if beta > 0 else 1.0
    s = w.sum()
    if s > 0:
        w *= present.sum() / s
    return w


@overload
def softmax_focal_loss(input: ArrayLike, target: ArrayLike, *, gamma: float = ...,
                       alpha: Optional[ArrayLike] = ..., weight: Optional[ArrayLike] = ...,
                       ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
                       dim: Optional[int] = ..., grad: Literal[False] = ...,
                       grad_output: GradOutput = ..., grad_out: GradOut = ...,
                       out: Out = ...) -> Output: ...
@overload
def softmax_focal_loss(input: ArrayLike, target: ArrayLike, *, gamma: float = ...,
                       alpha: Optional[ArrayLike] = ..., weight: Optional[ArrayLike] = ...,
                       ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
                       dim: Optional[int] = ..., grad: Literal[True],
                       grad_output: GradOutput = ...,
                       grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def softmax_focal_loss(input: ArrayLike, target: ArrayLike, *, gamma: float = ...,
                       alpha: Optional[ArrayLike] = ..., weight: Optional[ArrayLike] = ...,
                       ignore_index: int = ..., reduction: Reduction = ..., axis: int = ...,
                       dim: Optional[int] = ..., grad: bool = ..., grad_output: GradOutput = ...,
                       grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def softmax_focal_loss(input: ArrayLike, target: ArrayLike, *, gamma: float = 2.0,
                       alpha: Optional[ArrayLike] = None, weight: Optional[ArrayLike] = None,
                       ignore_index: int = -100, reduction: Reduction = "mean", axis: int = AXIS1,
                       dim: Optional[int] = None, grad: bool = False,
                       grad_output: GradOutput = None,
                       grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Multi-class focal loss on logits with integer targets.

    ``l = -w_y alpha_y (1 - p_y)**gamma log p_y`` with ``p = softmax(input)``
    along the class axis (the :func:`cross_entropy` layout); ``gamma=0``
    without `alpha` equals :func:`cross_entropy`.

    Parameters
    ----------
    input : array_like
        Logits with the classes on `axis`.
    target : array_like
        Integer classes shaped like `input` without the class axis.
    gamma : float, default 2.0
        Focusing exponent, ``>= 0``.
    alpha : float or array_like, optional
        A scalar for all classes or a ``(C,)`` array.
    weight : array_like, optional
        ``(C,)`` class weights.
    ignore_index : int, default -100
        Targets equal to it add nothing and get a zero gradient.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed `weight` of the non-ignored targets.
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
        The per-position losses (`input`'s shape without the class axis) for
        ``reduction='none'``, else a NumPy scalar; in the compute dtype.
    %(ret_grad)s

    Raises
    ------
    ValueError
        If a target is out of range, the shapes do not fit, an option is
        invalid, or `grad_output`/`grad_out` does not fit.
    TypeError
        If `input` does not hold real numbers or `target` is not integer.

    Notes
    -----
    Not in torch; :func:`class_weights` makes a `weight`.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> x = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> loss, g = le.softmax_focal_loss(x, [0, 1], grad=True)
    >>> round(float(loss), 4)
    0.0551
    >>> g.shape
    (2, 3)
    """
    from ._lse import _check_index_target, _class_layout, _prep_weight
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    axis = pick_axis(axis, dim, 1)
    gamma = check_option(gamma, "gamma", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    outer, C, inner, ax, pos_shape = _class_layout(x, axis)
    ignore_index = as_int64(ignore_index, "ignore_index")
    ti = as_index_target(target, "target")
    _check_index_target(ti, x, ax, pos_shape)
    w = _prep_weight(weight, C, dt)
    if alpha is None:
        al = None
    elif np.ndim(alpha) == 0:
        al = np.full(C, check_option(alpha, "alpha"), dtype=dt)
    else:
        al = as_array(alpha, "alpha")
        if al.shape != (C,):
            raise ValueError(f"alpha must be a scalar or of shape ({C},), got shape {al.shape}")
        al = contiguous(al, dt)
    xc = contiguous(x, dt)
    loss, luser, gscalar, garr, g, guser = call_buffers(
        red, grad, grad_output, grad_out, pos_shape, x.shape, dt,
        (input, target, weight, alpha, grad_output), out)
    st, value, _tw, bad = _binary.sfocal(xc, ti, w, al, garr, loss, g, outer, C, inner,
                                         ignore_index, gamma, gscalar, red, nthreads())
    if st == 1:
        idx = np.unravel_index(bad, pos_shape) if pos_shape else ()
        raise ValueError(f"target: value {int(ti.reshape(-1)[bad])} at position "
                         f"{tuple(map(int, idx))} is out of bounds for {C} classes (and is not "
                         f"ignore_index={ignore_index})")
    _raise_status(st, "softmax_focal_loss")
    return _finish(red, loss, luser, out, value, dt, grad, g, guser)
