"""Margin and embedding losses and the distances (kernels in csrc/margin.c):
margin_ranking_loss, hinge_embedding_loss, multilabel_margin_loss,
multi_margin_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss, pairwise_distance, cosine_similarity.

Each follows torch.nn.functional (2.13) in names, defaults, results and
subgradients, and takes ``grad=True`` for the fused gradient.
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import Literal, Optional, overload

import numpy as np

from ._docs import fill_doc
from ._typing import (ArrayLike, DistanceFunction, FloatArray, GradOut, GradOutput, GradOuts,
                      Grads2, Grads3, MaybeGrad, Out, Output, Reduction, WithGrad)
from . import _core as _k
from ._runtime import nthreads
from ._validate import (AXIS1, RED_MEAN, RED_NONE, as_array, as_index_target,
                        check_no_grad_args, check_option, compute_dtype, contiguous,
                        finish_grad, finish_out, fixed_sum, grad_buffer, grad_output_none,
                        grad_output_reduced, normalize_axis, out_dest, pick_axis,
                        reduction_code, reject_out)

_LE_ERR_TARGET_RANGE = 1
_LE_ERR_NOMEM = 3
_MG_RANKING, _MG_HINGE = 0, 1
_MR_MULTI, _MR_MULTILABEL = 0, 1
_DIST_PNORM, _DIST_COS = 0, 1
_EMB_PAIR, _EMB_TRIPLET, _EMB_COSEMB = 0, 1, 2


def _raise_status(st, what):
    if st == _LE_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if st != 0:
        raise RuntimeError(f"{what}: kernel failed with status {st}")


# --------------------------------------------------------------------------
# helpers shared by the family
def _is_py_scalar(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (np.ndarray, np.generic))


def _preds(values, names):
    """Prediction arrays and which of them were given as Python scalars."""
    arrs = [as_array(v, n) for v, n in zip(values, names)]
    return arrs, [_is_py_scalar(v) for v in values]


def _pred_dtype(preds, scalars):
    """The compute dtype: predictions given as Python scalars are weak."""
    return compute_dtype(*[a for a, s in zip(preds, scalars) if not s])


def _broadcast_shape(arrs, names, what):
    try:
        return tuple(np.broadcast_shapes(*[a.shape for a in arrs]))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrs))
        raise ValueError(f"{what}: shapes do not broadcast: {shapes}") from None


def _as_shape(a, shape, dt):
    """C-contiguous array of `shape` and dtype `dt` (no copy when `a` already is)."""
    if a.shape != shape:
        a = np.broadcast_to(a, shape)
    return contiguous(a, dt)


def _sum_to(g, shape):
    """Sum a gradient of the broadcast shape back to an input's shape."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


class _Grads:
    """Gradient destinations of several predictions computed on one common
    (broadcast, possibly axis-moved) layout.  Everything is validated here,
    before a kernel writes."""

    def __init__(self, grad_out, preds, scalars, shape, dt, inputs, move=None):
        k = len(preds)
        self.move = move            # (axis, kernel shape) when the kernel sees a moved axis
        kshape = shape if move is None else move[1]
        if grad_out is None:
            gos = (None,) * k
        elif k == 1:
            gos = (grad_out,)
        else:
            if not isinstance(grad_out, (tuple, list)) or len(grad_out) != k:
                raise ValueError(f"grad_out must be a tuple of {k} arrays (one per prediction), "
                                 f"got {type(grad_out).__name__}")
            gos = tuple(grad_out)
            given = [g for g in gos if g is not None]
            for i in range(len(given)):
                for j in range(i):
                    if isinstance(given[i], np.ndarray) and isinstance(given[j], np.ndarray) \
                            and np.may_share_memory(given[i], given[j]):
                        raise ValueError("grad_out arrays must not share memory with each other")
        self.kbufs, self.fins = [], []
        for i, (a, sc, go) in enumerate(zip(preds, scalars, gos)):
            name = "grad_out" if k == 1 else f"grad_out[{i}]"
            if sc:
                if go is not None:
                    raise ValueError(f"{name} must be None for a prediction given as a Python "
                                     "scalar (it gets no gradient)")
                self.kbufs.append(np.empty(kshape, dt))
                self.fins.append(None)
            elif move is None and a.shape == shape:
                buf, user = grad_buffer(go, shape, dt, inputs, name)
                self.kbufs.append(buf)
                self.fins.append(("direct", buf, user))
            else:
                if go is not None:
                    grad_buffer(go, a.shape, dt, inputs, name)   # validation only
                self.kbufs.append(np.empty(kshape, dt))
                self.fins.append(("post", a.shape, go))

    def finish(self):
        out = []
        for kb, fin in zip(self.kbufs, self.fins):
            if fin is None:
                out.append(None)
            elif fin[0] == "direct":
                out.append(finish_grad(fin[1], fin[2]))
            else:
                g = kb if self.move is None else np.moveaxis(kb, -1, self.move[0])
                r = _sum_to(g, fin[1])
                if fin[2] is not None:
                    fin[2][...] = r
                    out.append(fin[2])
                else:
                    out.append(np.ascontiguousarray(r))
        return out[0] if len(out) == 1 else tuple(out)


def _loss_setup(red, grad, grad_output, grad_out, out, out_shape, dt, inputs):
    """(loss buffer or None, user out or None, go scalar, go array or None);
    `out` is validated against `inputs` and `grad_out` here, before the
    gradient buffers."""
    reject_out(out, red)
    if red == RED_NONE:
        loss, luser, _ = out_dest(out, out_shape, dt, inputs,
                                  grad_out=grad_out if grad else None)
        gs, ga = (grad_output_none(grad, grad_output, out_shape, dt) if grad else (1.0, None))
        return loss, luser, gs, (None if ga is None else ga.reshape(-1))
    gs = grad_output_reduced(grad, grad_output) if grad else 1.0
    return None, None, gs, None


def _result(red, loss, luser, out, value, dt, grads):
    res = finish_out(loss, luser, out) if red == RED_NONE else dt.type(value)
    if grads is not None:
        return res, grads.finish()
    return res


def _margin_value(margin, name="margin"):
    return check_option(margin, name)


def _p_value(p):
    """A norm order: any real number or +-inf (not NaN)."""
    return check_option(p, "p")


def _eps_value(eps):
    return check_option(eps, "eps", 0.0)


# --------------------------------------------------------------------------
# elementwise losses
def _elementwise(what, kind, preds_in, pred_names, target, margin, reduction, grad,
                 grad_output, grad_out, check_ndim, out):
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    preds, scalars = _preds(preds_in, pred_names)
    t = as_array(target, "target")
    m = _margin_value(margin)
    if check_ndim:
        dims = [a.ndim for a, s in zip(preds, scalars) if not s] + [t.ndim]
        if len(set(dims)) > 1:
            sizes = ", ".join(f"{n}: {a.shape}" for n, a in
                              zip(pred_names + ["target"], preds + [t]))
            raise ValueError(f"{what}: all input arrays should have the same number of "
                             f"dimensions but got shapes {sizes}")
    dt = _pred_dtype(preds, scalars)
    shape = _broadcast_shape(preds + [t], pred_names + ["target"], what)
    xs = [_as_shape(a, shape, dt) for a in preds]
    tc = _as_shape(t, shape, dt)
    n = math.prod(shape)
    inputs = tuple(preds_in) + (target, grad_output)
    loss, luser, gs, ga = _loss_setup(red, grad, grad_output, grad_out, out, shape, dt, inputs)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt, inputs)
    kb = grads.kbufs if grads else [None, None]
    st, value = _k.melem(xs[0], xs[1] if len(xs) > 1 else None, tc, ga, loss, kb[0],
                         kb[1] if len(kb) > 1 else None, n, m, gs, kind, red,
                         nthreads())
    _raise_status(st, what)
    return _result(red, loss, luser, out, value, dt, grads)


@overload
def margin_ranking_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                        margin: float = ..., reduction: Reduction = ...,
                        grad: Literal[False] = ..., grad_output: GradOutput = ...,
                        grad_out: GradOuts = ..., out: Out = ...) -> Output: ...
@overload
def margin_ranking_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                        margin: float = ..., reduction: Reduction = ..., grad: Literal[True],
                        grad_output: GradOutput = ...,
                        grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[Grads2]: ...
@overload
def margin_ranking_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                        margin: float = ..., reduction: Reduction = ..., grad: bool = ...,
                        grad_output: GradOutput = ...,
                        grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[Grads2]: ...
@fill_doc
def margin_ranking_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                        margin: float = 0.0, reduction: Reduction = "mean", grad: bool = False,
                        grad_output: GradOutput = None,
                        grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads2]:
    """Ranking loss ``max(0, -target * (input1 - input2) + margin)`` (``F.margin_ranking_loss``).

    The three arrays must have the same number of dimensions (Python scalars
    excepted) and broadcast together; `target` is not checked (any value,
    usually +-1).

    Parameters
    ----------
    input1, input2 : array_like
        The scores to rank (predictions; a Python scalar gets no gradient).
    target : array_like
        ``1`` where `input1` should rank higher, ``-1`` where `input2` should.
    margin : float, default 0.0
        The required gap.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The broadcast-shaped losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    grad : tuple
        Only with ``grad=True``, as ``(loss, (d_input1, d_input2))``: shaped like
        each input (None for a Python scalar).

    Raises
    ------
    %(raises)s

    Notes
    -----
    At the kink (argument exactly 0) the gradient is ``-+target`` (torch's
    ``clamp_min`` subgradient).
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, (g1, g2) = le.margin_ranking_loss([1.0, 0.2], [0.5, 0.8], [-1.0, 1.0],
    ...                                          margin=0.1, grad=True)
    >>> round(float(loss), 4)
    0.65
    >>> g1, g2
    (array([ 0.5, -0.5]), array([-0.5,  0.5]))
    """
    return _elementwise("margin_ranking_loss", _MG_RANKING, [input1, input2],
                        ["input1", "input2"], target, margin, reduction, grad, grad_output,
                        grad_out, True, out)


@overload
def hinge_embedding_loss(input: ArrayLike, target: ArrayLike, *, margin: float = ...,
                         reduction: Reduction = ..., grad: Literal[False] = ...,
                         grad_output: GradOutput = ..., grad_out: GradOut = ...,
                         out: Out = ...) -> Output: ...
@overload
def hinge_embedding_loss(input: ArrayLike, target: ArrayLike, *, margin: float = ...,
                         reduction: Reduction = ..., grad: Literal[True],
                         grad_output: GradOutput = ...,
                         grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def hinge_embedding_loss(input: ArrayLike, target: ArrayLike, *, margin: float = ...,
                         reduction: Reduction = ..., grad: bool = ...,
                         grad_output: GradOutput = ...,
                         grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def hinge_embedding_loss(input: ArrayLike, target: ArrayLike, *, margin: float = 1.0,
                         reduction: Reduction = "mean", grad: bool = False,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Hinge embedding loss, as torch's ``F.hinge_embedding_loss``.

    ``input`` where ``target == 1``, ``max(0, margin - input)`` where
    ``target == -1``.

    Parameters
    ----------
    input : array_like
        Distances (or other non-negative scores).
    target : array_like
        ``1`` or ``-1``; broadcast with `input`.
    margin : float, default 1.0
        The margin for ``-1`` targets.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The broadcast-shaped losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input`.

    Raises
    ------
    %(raises)s

    Notes
    -----
    Targets other than +-1 are not rejected; as in torch both parts apply to
    them: ``input + max(0, margin - input)``.  At ``input == margin`` a ``-1``
    target passes the gradient ``-1`` (torch's subgradient).
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.hinge_embedding_loss([0.3, 0.4], [1.0, -1.0], grad=True)
    >>> round(float(loss), 4)
    0.45
    >>> g
    array([ 0.5, -0.5])
    """
    return _elementwise("hinge_embedding_loss", _MG_HINGE, [input], ["input"], target, margin,
                        reduction, grad, grad_output, grad_out, False, out)


# --------------------------------------------------------------------------
# class-row losses
def _class_input(x, what):
    if x.ndim > 2 or (x.ndim >= 1 and x.shape[-1] == 0):
        raise ValueError(f"{what}: expected a non-empty (C) or (N, C) input (a 0-d input "
                         f"is one class), got shape {x.shape}")
    N = x.shape[0] if x.ndim == 2 else 1
    C = x.shape[-1] if x.ndim >= 1 else 1
    return N, C


def _target_error(what, t, bad, shape, C, lo):
    idx = np.unravel_index(bad, shape) if shape else ()
    raise ValueError(f"{what}: target value {int(t.reshape(-1)[bad])} at position "
                     f"{tuple(map(int, idx))} is out of range [{lo}, {C})")


@overload
def multi_margin_loss(input: ArrayLike, target: ArrayLike, p: int = ..., margin: float = ...,
                      weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                      grad: Literal[False] = ..., grad_output: GradOutput = ...,
                      grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def multi_margin_loss(input: ArrayLike, target: ArrayLike, p: int = ..., margin: float = ...,
                      weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                      grad: Literal[True], grad_output: GradOutput = ...,
                      grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def multi_margin_loss(input: ArrayLike, target: ArrayLike, p: int = ..., margin: float = ...,
                      weight: Optional[ArrayLike] = ..., *, reduction: Reduction = ...,
                      grad: bool = ..., grad_output: GradOutput = ...,
                      grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def multi_margin_loss(input: ArrayLike, target: ArrayLike, p: int = 1, margin: float = 1.0,
                      weight: Optional[ArrayLike] = None, *, reduction: Reduction = "mean",
                      grad: bool = False, grad_output: GradOutput = None,
                      grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Multi-class hinge loss, as torch's ``F.multi_margin_loss``.

    ``l_n = sum_{i != y} w_y * max(0, margin - x_y + x_i)**p / C``; a term counts
    (and gets a gradient) only where ``margin - x_y + x_i > 0``, as torch.

    Parameters
    ----------
    input : array_like
        Scores ``(N, C)``, ``(C)`` or 0-d.
    target : array_like
        Integer classes ``(N)`` (0-d for one sample).
    p : int, default 1
        1 or 2.
    margin : float, default 1.0
        The margin.
    weight : array_like, optional
        ``(C,)`` class weights, indexed by the target class.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages the per-sample losses over N.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The ``(N,)`` per-sample losses for ``reduction='none'``, else a NumPy
        scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input`.

    Raises
    ------
    %(raises)s

    Notes
    -----
    `p`, `margin` and `weight` may be positional, as in torch.  An empty batch
    gives NaN for ``'mean'`` (torch returns uninitialised memory).
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.multi_margin_loss(np.array([[0.1, 0.2, 0.4]]), [2], grad=True)
    >>> round(float(loss), 4)
    0.5
    >>> g.round(4)
    array([[ 0.3333,  0.3333, -0.6667]])
    """
    what = "multi_margin_loss"
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p not in (1, 2):
        raise ValueError(f"{what}: only p == 1 and p == 2 supported, got p={p!r}")
    m = _margin_value(margin)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    N, C = _class_input(x, what)
    t = as_index_target(target, "target")
    if t.ndim > 1 or t.size != N:
        raise ValueError(f"{what}: target should be 1-d with size equal to the number of input "
                         f"samples ({N}), got shape {t.shape} for input of shape {x.shape}")
    w = None
    if weight is not None:
        wa = as_array(weight, "weight")
        if wa.ndim != 1:
            raise ValueError(f"{what}: weight must be one-dimensional, got shape {wa.shape}")
        if wa.shape[0] != C:
            raise ValueError(f"{what}: inconsistent weight size, expected {C} but got "
                             f"{list(wa.shape)}")
        w = contiguous(wa, dt)
    out_shape = (N,) if t.ndim > 0 else ()
    xc = contiguous(x, dt).reshape(N, C)
    inputs = (input, target, weight, grad_output)
    loss, luser, gs, ga = _loss_setup(red, grad, grad_output, grad_out, out, out_shape, dt,
                                      inputs)
    grads = None
    if grad:
        grads = _Grads(grad_out, [x], [False], x.shape, dt, inputs)
    g = grads.kbufs[0].reshape(N, C) if grads else None
    st, value, bad = _k.mrow(xc, t.reshape(-1), w, ga, loss, g, N, C, m, gs, int(p), _MR_MULTI,
                             red, nthreads())
    if st == _LE_ERR_TARGET_RANGE:
        _target_error(what, t, bad, t.shape, C, 0)
    _raise_status(st, what)
    return _result(red, loss, luser, out, value, dt, grads)


@overload
def multilabel_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                           grad: Literal[False] = ..., grad_output: GradOutput = ...,
                           grad_out: GradOut = ..., out: Out = ...) -> Output: ...
@overload
def multilabel_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                           grad: Literal[True], grad_output: GradOutput = ...,
                           grad_out: GradOut = ..., out: Out = ...) -> WithGrad[FloatArray]: ...
@overload
def multilabel_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = ...,
                           grad: bool = ..., grad_output: GradOutput = ...,
                           grad_out: GradOut = ..., out: Out = ...) -> MaybeGrad[FloatArray]: ...
@fill_doc
def multilabel_margin_loss(input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean",
                           grad: bool = False, grad_output: GradOutput = None,
                           grad_out: GradOut = None, out: Out = None) -> MaybeGrad[FloatArray]:
    """Multi-label hinge loss, as torch's ``F.multilabel_margin_loss``.

    ``l_n = sum_{j in Y} sum_{k not in Y} max(0, 1 - (x_{y_j} - x_k)) / C`` where
    the labels ``Y`` of a sample are its target entries up to the first -1.

    Parameters
    ----------
    input : array_like
        Scores ``(C)`` or ``(N, C)`` (0-d: one class).
    target : array_like
        Integer labels of the same shape as `input`, padded with -1.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages over N.
    %(grad)s
    %(grad_output)s
    %(grad_out)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        ``(N,)`` for a 2-d input, 0-d otherwise, for ``reduction='none'``, else
        a NumPy scalar; in the compute dtype.
    grad : ndarray
        Only with ``grad=True``, as ``(loss, grad)``: the gradient with respect
        to `input` (times `grad_output`), shaped like `input`.

    Raises
    ------
    %(raises)s

    Notes
    -----
    Entries after the first -1 are ignored, but every entry must lie in
    ``[-1, C)`` (torch's check).  A label listed twice counts twice.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> loss, g = le.multilabel_margin_loss(np.array([[0.1, 0.2, 0.4, 0.8]]),
    ...                                      np.array([[3, 0, -1, 1]]), grad=True)
    >>> round(float(loss), 4)
    0.85
    >>> g.round(4)
    array([[-0.5,  0.5,  0.5, -0.5]])
    """
    what = "multilabel_margin_loss"
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    N, C = _class_input(x, what)
    t = as_index_target(target, "target")
    ok = (t.ndim <= 1 and t.size == C) if x.ndim <= 1 else (t.shape == (N, C))
    if not ok:
        raise ValueError(f"{what}: inconsistent target size: {list(t.shape)} for input of "
                         f"size: {list(x.shape)}")
    out_shape = (N,) if x.ndim == 2 else ()
    xc = contiguous(x, dt).reshape(N, C)
    inputs = (input, target, grad_output)
    loss, luser, gs, ga = _loss_setup(red, grad, grad_output, grad_out, out, out_shape, dt,
                                      inputs)
    grads = None
    if grad:
        grads = _Grads(grad_out, [x], [False], x.shape, dt, inputs)
    g = grads.kbufs[0].reshape(N, C) if grads else None
    st, value, bad = _k.mrow(xc, t.reshape(N, C), None, ga, loss, g, N, C, 1.0, gs, 1,
                             _MR_MULTILABEL, red, nthreads())
    if st == _LE_ERR_TARGET_RANGE:
        _target_error(what, t, bad, t.shape, C, -1)
    _raise_status(st, what)
    return _result(red, loss, luser, out, value, dt, grads)


# --------------------------------------------------------------------------
# embedding rows
def _rows(shape):
    """(N, D) of rows along the last axis (a 0-d array is one row of one)."""
    if len(shape) == 0:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]


@overload
def cosine_embedding_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                          margin: float = ..., reduction: Reduction = ...,
                          grad: Literal[False] = ..., grad_output: GradOutput = ...,
                          grad_out: GradOuts = ..., out: Out = ...) -> Output: ...
@overload
def cosine_embedding_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                          margin: float = ..., reduction: Reduction = ..., grad: Literal[True],
                          grad_output: GradOutput = ...,
                          grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[Grads2]: ...
@overload
def cosine_embedding_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                          margin: float = ..., reduction: Reduction = ..., grad: bool = ...,
                          grad_output: GradOutput = ...,
                          grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[Grads2]: ...
@fill_doc
def cosine_embedding_loss(input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                          margin: float = 0.0, reduction: Reduction = "mean", grad: bool = False,
                          grad_output: GradOutput = None,
                          grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads2]:
    """Cosine embedding loss, as torch's ``F.cosine_embedding_loss``.

    ``1 - cos`` where ``target == 1``, ``max(0, cos - margin)`` where
    ``target == -1``, 0 for any other target, with the cosine per row over the
    last axis.

    Parameters
    ----------
    input1, input2 : array_like
        Embeddings ``(N, D)`` or ``(D)``; broadcast together.
    target : array_like
        ``(N)`` (0-d for 1-d inputs) of ``1`` or ``-1``.
    margin : float, default 0.0
        The margin for ``-1`` targets.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The ``(N,)`` losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    grad : tuple
        Only with ``grad=True``, as ``(loss, (d_input1, d_input2))``, shaped
        like each input.

    Raises
    ------
    %(raises)s

    Notes
    -----
    The cosine is ``sum(x1 x2) / sqrt((sum x1**2 + 1e-12)(sum x2**2 + 1e-12))``:
    torch's ``1e-12`` is on the squared norms.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> x1 = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> x2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> loss, (g1, g2) = le.cosine_embedding_loss(x1, x2, [1, -1], grad=True)
    >>> round(float(loss), 4)
    0.6464
    >>> g1.shape, g2.shape
    ((2, 2), (2, 2))
    """
    what = "cosine_embedding_loss"
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    preds, scalars = _preds([input1, input2], ["input1", "input2"])
    m = _margin_value(margin)
    t = as_array(target, "target")
    if t.ndim not in (0, 1):
        raise ValueError(f"{what}: 0D or 1D target tensor expected, multi-target not "
                         f"supported (target shape {t.shape})")
    want = 2 if t.ndim == 1 else 1
    if preds[0].ndim != want or preds[1].ndim != want:
        raise ValueError(f"{what}: {t.ndim}D target tensor expects {want}D input tensors, but "
                         f"found inputs with sizes {preds[0].shape} and {preds[1].shape}")
    dt = _pred_dtype(preds, scalars)
    shape = _broadcast_shape(preds, ["input1", "input2"], what)
    N, D = (shape[0], shape[1]) if want == 2 else (1, shape[0])
    if t.ndim == 1 and t.shape[0] not in (1, N):
        raise ValueError(f"{what}: target of shape {t.shape} does not match the {N} rows of "
                         f"the inputs")
    tc = _as_shape(t.reshape(-1), (N,), dt)
    xs = [_as_shape(a, shape, dt) for a in preds]
    out_shape = (N,) if want == 2 else ()
    inputs = (input1, input2, target, grad_output)
    loss, luser, gs, ga = _loss_setup(red, grad, grad_output, grad_out, out, out_shape, dt,
                                      inputs)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt, inputs)
    kb = grads.kbufs if grads else [None, None]
    st, value = _k.emb(xs[0], xs[1], None, tc, ga, loss, kb[0], kb[1], None, N, D, _DIST_COS,
                       2.0, 0.0, 0.0, 1.0, m, gs, _EMB_COSEMB, 0, red, nthreads())
    _raise_status(st, what)
    return _result(red, loss, luser, out, value, dt, grads)


def _check_triplet(what, margin, preds):
    m = _margin_value(margin)
    if not m > 0:
        raise ValueError(f"{what}: margin must be greater than 0, got {margin}")
    a, p, n = preds
    if not (a.ndim == p.ndim == n.ndim):
        raise ValueError(f"{what}: The anchor, positive, and negative tensors are expected to "
                         f"have the same number of dimensions, but got: anchor {a.ndim}D, "
                         f"positive {p.ndim}D, and negative {n.ndim}D inputs")
    return m


def _triplet(what, anchor, positive, negative, margin, dist, p, eps, doff, dscale, swap,
             red, grad, grad_output, grad_out, out, axis=None):
    names = ["anchor", "positive", "negative"]
    preds, scalars = _preds([anchor, positive, negative], names)
    m = _check_triplet(what, margin, preds)
    dt = _pred_dtype(preds, scalars)
    shape = _broadcast_shape(preds, names, what)
    move = None
    if axis is not None and shape and axis != len(shape) - 1:
        kshape = shape[:axis] + shape[axis + 1:] + (shape[axis],)
        move = (axis, kshape)
        xs = [contiguous(np.moveaxis(np.broadcast_to(a, shape), axis, -1), dt) for a in preds]
        out_shape = kshape[:-1]
    else:
        xs = [_as_shape(a, shape, dt) for a in preds]
        out_shape = shape[:-1]
    N, D = _rows(xs[0].shape)
    inputs = (anchor, positive, negative, grad_output)
    loss, luser, gs, ga = _loss_setup(red, grad, grad_output, grad_out, out, out_shape, dt,
                                      inputs)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt, inputs, move)
    kb = grads.kbufs if grads else [None, None, None]
    st, value = _k.emb(xs[0], xs[1], xs[2], None, ga, loss, kb[0], kb[1], kb[2], N, D, dist,
                       p, eps, doff, dscale, m, gs, _EMB_TRIPLET, 1 if swap else 0, red,
                       nthreads())
    _raise_status(st, what)
    return _result(red, loss, luser, out, value, dt, grads)


@overload
def triplet_margin_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                        margin: float = ..., p: float = ..., eps: float = ..., swap: bool = ...,
                        reduction: Reduction = ..., grad: Literal[False] = ...,
                        grad_output: GradOutput = ..., grad_out: GradOuts = ...,
                        out: Out = ...) -> Output: ...
@overload
def triplet_margin_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                        margin: float = ..., p: float = ..., eps: float = ..., swap: bool = ...,
                        reduction: Reduction = ..., grad: Literal[True],
                        grad_output: GradOutput = ...,
                        grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[Grads3]: ...
@overload
def triplet_margin_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                        margin: float = ..., p: float = ..., eps: float = ..., swap: bool = ...,
                        reduction: Reduction = ..., grad: bool = ...,
                        grad_output: GradOutput = ...,
                        grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[Grads3]: ...
@fill_doc
def triplet_margin_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: Reduction = "mean", grad: bool = False,
                        grad_output: GradOutput = None,
                        grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads3]:
    """Triplet loss ``max(margin + d(a, p) - d(a, n), 0)``, as torch's ``F.triplet_margin_loss``.

    ``d(x, y) = ||x - y + eps||_p`` over the last axis (:func:`pairwise_distance`:
    `eps` is added to the difference).

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings with the same number of dimensions, broadcast together.
    margin : float, default 1.0
        ``> 0``.
    p : float, default 2.0
        The norm degree: any real ``p`` (``inf`` too); 1 and 2 are fast paths.
    eps : float, default 1e-6
        Added to the differences; ``>= 0``.
    swap : bool, default False
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-triplet losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    grad : tuple
        Only with ``grad=True``, as ``(loss, (d_anchor, d_positive,
        d_negative))``, shaped like each input.

    Raises
    ------
    %(raises)s

    Notes
    -----
    A `swap` tie splits the gradient in halves and a zero distance has a zero
    gradient, as torch.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> a = np.array([[0.0, 0.0]]); p = np.array([[0.6, 0.8]]); n = np.array([[0.0, 1.5]])
    >>> loss, (ga, gp, gn) = le.triplet_margin_loss(a, p, n, grad=True)
    >>> round(float(loss), 4)
    0.5
    >>> gp.round(4)
    array([[0.6, 0.8]])
    """
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    pv = _p_value(p)
    e = _eps_value(eps)
    return _triplet("triplet_margin_loss", anchor, positive, negative, margin, _DIST_PNORM, pv,
                    e, 0.0, 1.0, bool(swap), red, grad, grad_output, grad_out, out)


def _resolve_distance(fn, ndim):
    """(dist, p, eps, doff, dscale, axis) for the engine's own distances, else None."""
    if fn is None:
        return _DIST_PNORM, 2.0, 1e-6, 0.0, 1.0, None
    if isinstance(fn, str):
        if fn == "euclidean":
            return _DIST_PNORM, 2.0, 1e-6, 0.0, 1.0, None
        if fn == "manhattan":
            return _DIST_PNORM, 1.0, 1e-6, 0.0, 1.0, None
        if fn == "cosine":
            return _DIST_COS, 2.0, 1e-8, 1.0, -1.0, _cos_axis(1, ndim)
        raise ValueError(f"distance_function={fn!r} is not a known distance (expected None, "
                         "'euclidean', 'manhattan', 'cosine' or a callable)")
    base, kw = fn, {}
    if isinstance(fn, functools.partial) and not fn.args:
        base, kw = fn.func, dict(fn.keywords)
    if base is pairwise_distance and set(kw) <= {"p", "eps", "keepdim"} and \
            not kw.get("keepdim", False):
        p = kw.get("p", 2.0)
        if isinstance(p, numbers.Real) and not isinstance(p, bool):
            return _DIST_PNORM, _p_value(p), _eps_value(kw.get("eps", 1e-6)), 0.0, 1.0, None
    if base is cosine_similarity and set(kw) <= {"eps", "axis", "dim"} and \
            not {"axis", "dim"} <= set(kw):
        ax = kw.get("dim", kw.get("axis", 1))
        try:
            axis = _cos_axis(ax, ndim)
        except ValueError:
            return None
        return _DIST_COS, 2.0, _eps_value(kw.get("eps", 1e-8)), 0.0, 1.0, axis
    return None


def _cos_axis(ax, ndim):
    """The reduced axis of cosine_similarity(axis=ax) for inputs of `ndim`
    dimensions; a 1-d input (where axis 1 does not exist) uses its only axis."""
    if ndim <= 1:
        return None
    return normalize_axis(ax, ndim, "axis")


@overload
def triplet_margin_with_distance_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                                      *, distance_function: DistanceFunction = ...,
                                      margin: float = ..., swap: bool = ...,
                                      reduction: Reduction = ..., grad: Literal[False] = ...,
                                      grad_output: GradOutput = ...,
                                      grad_out: GradOuts = ..., out: Out = ...) -> Output: ...
@overload
def triplet_margin_with_distance_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                                      *, distance_function: DistanceFunction = ...,
                                      margin: float = ..., swap: bool = ...,
                                      reduction: Reduction = ..., grad: Literal[True],
                                      grad_output: GradOutput = ...,
                                      grad_out: GradOuts = ...,
                                      out: Out = ...) -> WithGrad[Grads3]: ...
@overload
def triplet_margin_with_distance_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                                      *, distance_function: DistanceFunction = ...,
                                      margin: float = ..., swap: bool = ...,
                                      reduction: Reduction = ..., grad: bool = ...,
                                      grad_output: GradOutput = ...,
                                      grad_out: GradOuts = ...,
                                      out: Out = ...) -> MaybeGrad[Grads3]: ...
@fill_doc
def triplet_margin_with_distance_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                                      *, distance_function: DistanceFunction = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: Reduction = "mean", grad: bool = False,
                                      grad_output: GradOutput = None,
                                      grad_out: GradOuts = None,
                                      out: Out = None) -> MaybeGrad[Grads3]:
    """Triplet loss with a chosen distance, as torch's ``F.triplet_margin_with_distance_loss``.

    ``max(margin + d(a, p) - d(a, n), 0)``, `swap` as in
    :func:`triplet_margin_loss`.

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings, broadcast together.
    distance_function : str or callable, optional
        ``None`` or ``'euclidean'`` (:func:`pairwise_distance`, p=2, eps=1e-6),
        ``'manhattan'`` (p=1, eps=1e-6), ``'cosine'`` (``1 - cosine_similarity``,
        eps=1e-8, over axis 1 -- the only axis of a 1-d input), the functions
        :func:`pairwise_distance` / :func:`cosine_similarity` themselves (or
        ``functools.partial`` of them with keyword arguments): all fused, with
        gradients.  Any other callable ``f(x1, x2)`` returning an array of
        distances gives the value only.
    margin : float, default 1.0
        ``> 0``.
    swap : bool, default False
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    %(reduction)s
    %(grad)s
    %(grad_output)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    loss : ndarray or numpy scalar
        The per-triplet losses for ``reduction='none'``, else a NumPy scalar; in the compute
        dtype.
    grad : tuple
        Only with ``grad=True``, as ``(loss, (d_anchor, d_positive,
        d_negative))``, shaped like each input.

    Raises
    ------
    %(raises)s

    Notes
    -----
    ``grad=True`` with an arbitrary callable raises ``ValueError``.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> a = np.array([[1.0, 0.0]]); p = np.array([[1.0, 1.0]]); n = np.array([[0.0, 1.0]])
    >>> loss, grads = le.triplet_margin_with_distance_loss(
    ...     a, p, n, distance_function='cosine', grad=True)
    >>> round(float(loss), 4)
    0.2929
    >>> [g.shape for g in grads]
    [(1, 2), (1, 2), (1, 2)]
    """
    what = "triplet_margin_with_distance_loss"
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    reject_out(out, red)
    ndim = np.ndim(anchor)
    spec = _resolve_distance(distance_function, ndim)
    if spec is not None:
        dist, p, eps, doff, dscale, axis = spec
        return _triplet(what, anchor, positive, negative, margin, dist, p, eps, doff, dscale,
                        bool(swap), red, grad, grad_output, grad_out, out, axis)
    if not callable(distance_function):
        raise TypeError(f"{what}: distance_function must be None, a distance name or a "
                        f"callable, got {type(distance_function).__name__}")
    if grad:
        raise ValueError(f"{what}: grad=True needs one of the engine's own distances (None, "
                         "'euclidean', 'manhattan', 'cosine', lossengine.pairwise_distance, "
                         "lossengine.cosine_similarity); distance_function="
                         f"{getattr(distance_function, '__name__', distance_function)!r} is an "
                         "arbitrary callable (value only)")
    names = ["anchor", "positive", "negative"]
    preds, scalars = _preds([anchor, positive, negative], names)
    m = _check_triplet(what, margin, preds)
    dt = _pred_dtype(preds, scalars)
    # C-ordered copies: the callable sees one layout whatever the caller's
    a, pz, n = (contiguous(x, dt) for x in preds)
    dpos = np.asarray(distance_function(a, pz))
    dneg = np.asarray(distance_function(a, n))
    if swap:
        dneg = np.minimum(dneg, np.asarray(distance_function(pz, n)))
    with np.errstate(invalid="ignore"):
        l = np.maximum(m + dpos.astype(np.float64) - dneg.astype(np.float64), 0.0)
    if red == RED_NONE:
        # nothing is written before this check: the shape is the callable's
        buf, luser, _ = out_dest(out, l.shape, dt, (anchor, positive, negative))
        buf[...] = l
        return finish_out(buf, luser, out)
    s = fixed_sum(l)        # C order: the same bits whatever layout the callable returns
    return dt.type(s / l.size if red == RED_MEAN else s)


# --------------------------------------------------------------------------
# distances
@overload
def pairwise_distance(x1: ArrayLike, x2: ArrayLike, *, p: float = ..., eps: float = ...,
                      keepdim: bool = ..., grad: Literal[False] = ...,
                      grad_output: GradOutput = ..., grad_out: GradOuts = ...,
                      out: Out = ...) -> Output: ...
@overload
def pairwise_distance(x1: ArrayLike, x2: ArrayLike, *, p: float = ..., eps: float = ...,
                      keepdim: bool = ..., grad: Literal[True], grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[Grads2]: ...
@overload
def pairwise_distance(x1: ArrayLike, x2: ArrayLike, *, p: float = ..., eps: float = ...,
                      keepdim: bool = ..., grad: bool = ..., grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[Grads2]: ...
@fill_doc
def pairwise_distance(x1: ArrayLike, x2: ArrayLike, *, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False, grad: bool = False, grad_output: GradOutput = None,
                      grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads2]:
    """Distance ``||x1 - x2 + eps||_p`` over the last axis, as torch's ``F.pairwise_distance``.

    `eps` is added to the difference (torch's definition); any real `p`,
    ``inf`` too.

    Parameters
    ----------
    x1, x2 : array_like
        Points, broadcast together.
    p : float, default 2.0
        The norm degree.
    eps : float, default 1e-6
        Added to the difference; ``>= 0``.
    keepdim : bool, default False
        Keep the last axis with size 1.
    %(grad)s
    %(grad_output_act)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    d : ndarray or numpy scalar
        The distances: the broadcast shape without the last axis (kept as 1 with
        `keepdim`); in the compute dtype.
    grad : tuple
        Only with ``grad=True``, as ``(d, (g1, g2))``: the gradients of
        ``sum(grad_output * d)``, shaped like `x1` and `x2`.

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
    >>> d, (g1, g2) = le.pairwise_distance([[3.0, 4.0]], [[0.0, 0.0]], eps=0.0, grad=True)
    >>> d
    array([5.])
    >>> g1
    array([[0.6, 0.8]])
    """
    what = "pairwise_distance"
    check_no_grad_args(grad, grad_output, grad_out)
    pv = _p_value(p)
    e = _eps_value(eps)
    preds, scalars = _preds([x1, x2], ["x1", "x2"])
    dt = _pred_dtype(preds, scalars)
    shape = _broadcast_shape(preds, ["x1", "x2"], what)
    xs = [_as_shape(a, shape, dt) for a in preds]
    N, D = _rows(shape)
    out_shape = shape[:-1] + ((1,) if keepdim and shape else ())
    return _pair(what, preds, scalars, xs, shape, None, out_shape, N, D, _DIST_PNORM, pv, e,
                 dt, grad, grad_output, grad_out, (x1, x2, grad_output), out)


def _pair(what, preds, scalars, xs, shape, move, out_shape, N, D, dist, p, eps, dt, grad,
          grad_output, grad_out, inputs, out):
    y, yuser, _ = out_dest(out, out_shape, dt, inputs, grad_out=grad_out if grad else None)
    gs, ga, grads = 1.0, None, None
    if grad:
        gs, ga = grad_output_none(grad, grad_output, out_shape, dt)
        if ga is not None:
            ga = ga.reshape(-1)
        grads = _Grads(grad_out, preds, scalars, shape, dt, inputs, move)
    kb = grads.kbufs if grads else [None, None]
    st, _ = _k.emb(xs[0], xs[1], None, None, ga, y, kb[0], kb[1], None, N, D, dist, p, eps,
                   0.0, 1.0, 0.0, gs, _EMB_PAIR, 0, RED_NONE, nthreads())
    _raise_status(st, what)
    res = finish_out(y, yuser, out)
    if grad:
        return res, grads.finish()
    return res


@overload
def cosine_similarity(x1: ArrayLike, x2: ArrayLike, *, axis: int = ..., eps: float = ...,
                      dim: Optional[int] = ..., grad: Literal[False] = ...,
                      grad_output: GradOutput = ..., grad_out: GradOuts = ...,
                      out: Out = ...) -> Output: ...
@overload
def cosine_similarity(x1: ArrayLike, x2: ArrayLike, *, axis: int = ..., eps: float = ...,
                      dim: Optional[int] = ..., grad: Literal[True], grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> WithGrad[Grads2]: ...
@overload
def cosine_similarity(x1: ArrayLike, x2: ArrayLike, *, axis: int = ..., eps: float = ...,
                      dim: Optional[int] = ..., grad: bool = ..., grad_output: GradOutput = ...,
                      grad_out: GradOuts = ..., out: Out = ...) -> MaybeGrad[Grads2]: ...
@fill_doc
def cosine_similarity(x1: ArrayLike, x2: ArrayLike, *, axis: int = AXIS1, eps: float = 1e-8,
                      dim: Optional[int] = None, grad: bool = False,
                      grad_output: GradOutput = None,
                      grad_out: GradOuts = None, out: Out = None) -> MaybeGrad[Grads2]:
    """Cosine similarity along an axis, as torch 2.13's ``F.cosine_similarity``.

    ``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)))``, each norm
    clamped separately.

    Parameters
    ----------
    x1, x2 : array_like
        Vectors, broadcast together.
    axis : int, default 1
        The axis of the vectors.
    eps : float, default 1e-8
        Lower clamp of each norm.
    dim : int, optional
        Alias of `axis` (giving both is a ``TypeError``).
    %(grad)s
    %(grad_output_act)s
    %(grad_outs)s
    %(out)s

    Returns
    -------
    s : ndarray or numpy scalar
        The similarities: the broadcast shape without `axis`; in the compute
        dtype.
    grad : tuple
        Only with ``grad=True``, as ``(s, (g1, g2))``: the gradients of
        ``sum(grad_output * s)``, shaped like `x1` and `x2`.

    Raises
    ------
    %(raises)s

    Notes
    -----
    The gradient is torch's: the clamp is treated as a constant (torch applies
    it without autograd), so below `eps` the norm's own derivative still
    applies.
    %(dtype)s

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> s, (g1, g2) = le.cosine_similarity([[1.0, 0.0]], [[1.0, 1.0]], grad=True)
    >>> s.round(4)
    array([0.7071])
    >>> g1.round(4)
    array([[0.    , 0.7071]])
    """
    what = "cosine_similarity"
    check_no_grad_args(grad, grad_output, grad_out)
    e = _eps_value(eps)
    preds, scalars = _preds([x1, x2], ["x1", "x2"])
    dt = _pred_dtype(preds, scalars)
    shape = _broadcast_shape(preds, ["x1", "x2"], what)
    ax = normalize_axis(pick_axis(axis, dim, 1),
                        len(shape), "axis")
    move = None
    if ax != len(shape) - 1:
        kshape = shape[:ax] + shape[ax + 1:] + (shape[ax],)
        move = (ax, kshape)
        xs = [contiguous(np.moveaxis(np.broadcast_to(a, shape), ax, -1), dt) for a in preds]
    else:
        kshape = shape
        xs = [_as_shape(a, shape, dt) for a in preds]
    N, D = _rows(kshape)
    out_shape = kshape[:-1]
    return _pair(what, preds, scalars, xs, shape, move, out_shape, N, D, _DIST_COS, 2.0, e, dt,
                 grad, grad_output, grad_out, (x1, x2, grad_output), out)

