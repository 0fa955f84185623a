"""Margin and embedding losses and the distances (kernels in csrc/margin.c):
margin_ranking_loss, hinge_embedding_loss, multilabel_margin_loss,
multi_margin_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss, pairwise_distance, cosine_similarity.

Each follows torch.nn.functional (2.13) in names, defaults, results and
subgradients, and takes ``grad=True`` for the fused gradient.
"""
import functools
import math
import numbers

import numpy as np

from . import _core as _k
from ._runtime import nthreads
from ._validate import (RED_MEAN, RED_NONE, as_array, as_index_target, check_finite_scalar,
                        check_no_grad_args, compute_dtype, contiguous, finish_grad,
                        grad_buffer, grad_output_none, grad_output_reduced, normalize_axis,
                        pick_axis, reduction_code)

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


def _loss_setup(red, grad, grad_output, out_shape, dt):
    """(loss buffer or None, go scalar, go array or None)."""
    if red == RED_NONE:
        loss = np.empty(out_shape, dtype=dt)
        gs, ga = (grad_output_none(grad, grad_output, out_shape, dt) if grad else (1.0, None))
        return loss, gs, (None if ga is None else ga.reshape(-1))
    gs = grad_output_reduced(grad, grad_output) if grad else 1.0
    return None, gs, None


def _result(red, loss, value, dt, grads):
    out = loss if red == RED_NONE else dt.type(value)
    if red == RED_NONE and loss.ndim == 0:
        out = loss[()]
    if grads is not None:
        return out, grads.finish()
    return out


def _margin_value(margin, name="margin"):
    return check_finite_scalar(margin, name)


# --------------------------------------------------------------------------
# elementwise losses
def _elementwise(what, kind, preds_in, pred_names, target, margin, reduction, grad,
                 grad_output, grad_out, check_ndim):
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
    dt = compute_dtype(*[a for a, s in zip(preds, scalars) if not s]) if not all(scalars) \
        else compute_dtype()
    shape = _broadcast_shape(preds + [t], pred_names + ["target"], what)
    xs = [_as_shape(a, shape, dt) for a in preds]
    tc = _as_shape(t, shape, dt)
    n = math.prod(shape)
    loss, gs, ga = _loss_setup(red, grad, grad_output, shape, dt)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt,
                       tuple(preds_in) + (target, grad_output))
    kb = grads.kbufs if grads else [None, None]
    st, value = _k.melem(xs[0], xs[1] if len(xs) > 1 else None, tc, ga, loss, kb[0],
                         kb[1] if len(kb) > 1 else None, n, m, gs, kind, red,
                         nthreads())
    _raise_status(st, what)
    return _result(red, loss, value, dt, grads)


def margin_ranking_loss(input1, input2, target, *, margin=0.0, reduction="mean", grad=False,
                        grad_output=None, grad_out=None):
    """``max(0, -target * (input1 - input2) + margin)`` elementwise, as torch's
    ``F.margin_ranking_loss``.  The three arrays must have the same number of
    dimensions (Python scalars excepted) and broadcast together; ``target`` is
    not checked (any value, usually +-1).  With ``grad=True`` returns
    ``(loss, (d/d input1, d/d input2))`` (``None`` for a Python-scalar input);
    at the kink (argument exactly 0) the gradient is ``-+target``, as torch."""
    return _elementwise("margin_ranking_loss", _MG_RANKING, [input1, input2],
                        ["input1", "input2"], target, margin, reduction, grad, grad_output,
                        grad_out, True)


def hinge_embedding_loss(input, target, *, margin=1.0, reduction="mean", grad=False,
                         grad_output=None, grad_out=None):
    """Hinge embedding loss, as torch's ``F.hinge_embedding_loss``: ``input``
    where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``.
    Targets other than +-1 are not rejected; as in torch both parts apply to
    them: ``input + max(0, margin - input)``.  ``input`` and ``target``
    broadcast together.  At ``input == margin`` a ``-1`` target passes the
    gradient ``-1`` (torch's ``clamp_min`` subgradient)."""
    return _elementwise("hinge_embedding_loss", _MG_HINGE, [input], ["input"], target, margin,
                        reduction, grad, grad_output, grad_out, False)


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


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, *, reduction="mean",
                      grad=False, grad_output=None, grad_out=None):
    """Multi-class hinge loss, as torch's ``F.multi_margin_loss``:
    ``l_n = sum_{i != y} w_y * max(0, margin - x_y + x_i)^p / C``; ``weight``
    (C,) is indexed by the target class.  Input ``(N, C)``, ``(C)`` or 0-d;
    integer target ``(N)`` (or 0-d for one sample).  'mean' averages the
    per-sample losses over N.  A term counts (and gets a gradient) only where
    ``margin - x_y + x_i > 0``, as torch."""
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
    loss, gs, ga = _loss_setup(red, grad, grad_output, out_shape, dt)
    grads = None
    if grad:
        grads = _Grads(grad_out, [x], [False], x.shape, dt, (input, target, weight, grad_output))
    g = grads.kbufs[0].reshape(N, C) if grads else None
    st, value, bad = _k.mrow(xc, t.reshape(-1), w, ga, loss, g, N, C, m, gs, int(p), _MR_MULTI,
                             red, nthreads())
    if st == _LE_ERR_TARGET_RANGE:
        _target_error(what, t, bad, t.shape, C, 0)
    _raise_status(st, what)
    return _result(red, loss, value, dt, grads)


def multilabel_margin_loss(input, target, *, reduction="mean", grad=False, grad_output=None,
                           grad_out=None):
    """Multi-label hinge loss, as torch's ``F.multilabel_margin_loss``:
    ``l_n = sum_{j in Y} sum_{k not in Y} max(0, 1 - (x_{y_j} - x_k)) / C``
    where the labels ``Y`` of a sample are its target entries up to the first
    -1 (later entries are ignored, but every entry must lie in [-1, C), as
    torch checks).  A label listed twice counts twice.  Input ``(C)`` or
    ``(N, C)`` (0-d: one class), integer target of the same shape.  'mean'
    averages over N; 'none' is ``(N)`` for a 2-d input, 0-d otherwise."""
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
    loss, gs, ga = _loss_setup(red, grad, grad_output, out_shape, dt)
    grads = None
    if grad:
        grads = _Grads(grad_out, [x], [False], x.shape, dt, (input, target, grad_output))
    g = grads.kbufs[0].reshape(N, C) if grads else None
    st, value, bad = _k.mrow(xc, t.reshape(N, C), None, ga, loss, g, N, C, 1.0, gs, 1,
                             _MR_MULTILABEL, red, nthreads())
    if st == _LE_ERR_TARGET_RANGE:
        _target_error(what, t, bad, t.shape, C, -1)
    _raise_status(st, what)
    return _result(red, loss, value, dt, grads)


# --------------------------------------------------------------------------
# embedding rows
def _rows(shape):
    """(N, D) of rows along the last axis (a 0-d array is one row of one)."""
    if len(shape) == 0:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]


def cosine_embedding_loss(input1, input2, target, *, margin=0.0, reduction="mean", grad=False,
                          grad_output=None, grad_out=None):
    """Cosine embedding loss, as torch's ``F.cosine_embedding_loss``:
    ``cos = sum(x1 x2) / sqrt((sum x1^2 + 1e-12)(sum x2^2 + 1e-12))`` per row
    (eps on the squared norms, as torch); ``1 - cos`` where ``target == 1``,
    ``max(0, cos - margin)`` where ``target == -1``, 0 for any other target.
    Inputs ``(N, D)`` with target ``(N)``, or ``(D)`` with a 0-d target;
    ``input1`` and ``input2`` broadcast together."""
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
    dt = compute_dtype(*preds)
    shape = _broadcast_shape(preds, ["input1", "input2"], what)
    N, D = (shape[0], shape[1]) if want == 2 else (1, shape[0])
    if t.ndim == 1 and t.shape[0] not in (1, N):
        raise ValueError(f"{what}: target of shape {t.shape} does not match the {N} rows of "
                         f"the inputs")
    tc = _as_shape(t.reshape(-1), (N,), dt)
    xs = [_as_shape(a, shape, dt) for a in preds]
    out_shape = (N,) if want == 2 else ()
    loss, gs, ga = _loss_setup(red, grad, grad_output, out_shape, dt)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt, (input1, input2, target, grad_output))
    kb = grads.kbufs if grads else [None, None]
    st, value = _k.emb(xs[0], xs[1], None, tc, ga, loss, kb[0], kb[1], None, N, D, _DIST_COS,
                       2.0, 0.0, 0.0, 1.0, m, gs, _EMB_COSEMB, 0, red, nthreads())
    _raise_status(st, what)
    return _result(red, loss, value, dt, grads)


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
             red, grad, grad_output, grad_out, axis=None):
    names = ["anchor", "positive", "negative"]
    preds, scalars = _preds([anchor, positive, negative], names)
    m = _check_triplet(what, margin, preds)
    dt = compute_dtype(*preds)
    shape = _broadcast_shape(preds, names, what)
    move = None
    if axis is not None and shape and axis != len(shape) - 1:
        kshape = shape[:axis] + shape[axis + 1:] + (shape[axis],)
        move = (axis, kshape)
        xs = [np.ascontiguousarray(np.moveaxis(np.broadcast_to(a, shape), axis, -1), dtype=dt)
              for a in preds]
        out_shape = kshape[:-1]
    else:
        xs = [_as_shape(a, shape, dt) for a in preds]
        out_shape = shape[:-1]
    N, D = _rows(xs[0].shape)
    loss, gs, ga = _loss_setup(red, grad, grad_output, out_shape, dt)
    grads = None
    if grad:
        grads = _Grads(grad_out, preds, scalars, shape, dt,
                       (anchor, positive, negative, grad_output), move)
    kb = grads.kbufs if grads else [None, None, None]
    st, value = _k.emb(xs[0], xs[1], xs[2], None, ga, loss, kb[0], kb[1], kb[2], N, D, dist,
                       p, eps, doff, dscale, m, gs, _EMB_TRIPLET, 1 if swap else 0, red,
                       nthreads())
    _raise_status(st, what)
    return _result(red, loss, value, dt, grads)


def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean", grad=False, grad_output=None, grad_out=None):
    """Triplet margin loss, as torch's ``F.triplet_margin_loss``:
    ``max(margin + d(a, p) - d(a, n), 0)`` with ``d(x, y) = ||x - y + eps||_p``
    over the last axis (``pairwise_distance``: eps is added to the
    difference).  ``swap=True`` uses ``min(d(a, n), d(p, n))`` (a tie splits
    the gradient in halves, as torch).  ``margin`` must be > 0; the three
    arrays must have the same number of dimensions and broadcast together.
    Any real ``p`` (``inf`` too); ``p = 1`` and ``p = 2`` are the fast paths.
    With ``grad=True`` the gradients are a tuple (anchor, positive, negative)."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    pv = check_finite_scalar(p, "p") if not (isinstance(p, numbers.Real) and math.isinf(p)) \
        else float(p)
    e = check_finite_scalar(eps, "eps")
    return _triplet("triplet_margin_loss", anchor, positive, negative, margin, _DIST_PNORM, pv,
                    e, 0.0, 1.0, bool(swap), red, grad, grad_output, grad_out)


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
            return _DIST_PNORM, float(p), float(kw.get("eps", 1e-6)), 0.0, 1.0, None
    if base is cosine_similarity and set(kw) <= {"eps", "axis", "dim"}:
        ax = kw.get("dim", kw.get("axis", 1))
        try:
            axis = _cos_axis(ax, ndim)
        except ValueError:
            return None
        return _DIST_COS, 2.0, float(kw.get("eps", 1e-8)), 0.0, 1.0, axis
    return None


def _cos_axis(ax, ndim):
    """The reduced axis of cosine_similarity(axis=ax) for inputs of `ndim`
    dimensions; a 1-d input (where axis 1 does not exist) uses its only axis."""
    if ndim <= 1:
        return None
    return normalize_axis(ax, ndim, "axis")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean", grad=False,
                                      grad_output=None, grad_out=None):
    """Triplet loss with a chosen distance, as torch's
    ``F.triplet_margin_with_distance_loss``:
    ``max(margin + d(a, p) - d(a, n), 0)``, ``swap`` as in
    :func:`triplet_margin_loss`.

    ``distance_function``: ``None`` or ``'euclidean'`` (``pairwise_distance``,
    p=2, eps=1e-6), ``'manhattan'`` (p=1, eps=1e-6), ``'cosine'``
    (``1 - cosine_similarity``, eps=1e-8, over axis 1 — the only axis of a 1-d
    input), the functions ``pairwise_distance`` / ``cosine_similarity``
    themselves (or ``functools.partial`` of them with keyword arguments): all
    fused, with gradients.  Any other callable ``f(x1, x2)`` returning an
    array of distances gives the value only (``grad=True`` raises
    ``ValueError``)."""
    what = "triplet_margin_with_distance_loss"
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    ndim = np.ndim(anchor)
    spec = _resolve_distance(distance_function, ndim)
    if spec is not None:
        dist, p, eps, doff, dscale, axis = spec
        return _triplet(what, anchor, positive, negative, margin, dist, p, eps, doff, dscale,
                        bool(swap), red, grad, grad_output, grad_out, axis)
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
    preds, _ = _preds([anchor, positive, negative], names)
    m = _check_triplet(what, margin, preds)
    dt = compute_dtype(*preds)
    a, pz, n = (np.asarray(x, dtype=dt) for x in preds)
    dpos = np.asarray(distance_function(a, pz))
    dneg = np.asarray(distance_function(a, n))
    if swap:
        dneg = np.minimum(dneg, np.asarray(distance_function(pz, n)))
    with np.errstate(invalid="ignore"):
        l = np.maximum(m + dpos.astype(np.float64) - dneg.astype(np.float64), 0.0)
    if red == RED_NONE:
        out = l.astype(dt)
        return out[()] if out.ndim == 0 else out
    s = l.sum()
    return dt.type(s / l.size if red == RED_MEAN else s)


# --------------------------------------------------------------------------
# distances
def pairwise_distance(x1, x2, *, p=2.0, eps=1e-6, keepdim=False, grad=False, grad_output=None,
                      grad_out=None):
    """``||x1 - x2 + eps||_p`` over the last axis, as torch's
    ``F.pairwise_distance`` (eps is added to the difference; any real ``p``,
    ``inf`` too).  ``x1`` and ``x2`` broadcast together.  With ``grad=True``
    returns ``(d, (g1, g2))``, the gradients of ``sum(grad_output * d)``."""
    what = "pairwise_distance"
    check_no_grad_args(grad, grad_output, grad_out)
    pv = float(p) if (isinstance(p, numbers.Real) and math.isinf(p)) else \
        check_finite_scalar(p, "p")
    e = check_finite_scalar(eps, "eps")
    preds, scalars = _preds([x1, x2], ["x1", "x2"])
    dt = compute_dtype(*preds)
    shape = _broadcast_shape(preds, ["x1", "x2"], what)
    xs = [_as_shape(a, shape, dt) for a in preds]
    N, D = _rows(shape)
    out_shape = shape[:-1] + ((1,) if keepdim and shape else ())
    return _pair(what, preds, scalars, xs, shape, None, out_shape, N, D, _DIST_PNORM, pv, e,
                 dt, grad, grad_output, grad_out, (x1, x2, grad_output))


def _pair(what, preds, scalars, xs, shape, move, out_shape, N, D, dist, p, eps, dt, grad,
          grad_output, grad_out, inputs):
    y = np.empty(out_shape, dtype=dt)
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
    out = y[()] if y.ndim == 0 else y
    if grad:
        return out, grads.finish()
    return out


def cosine_similarity(x1, x2, *, axis=1, eps=1e-8, dim=None, grad=False, grad_output=None,
                      grad_out=None):
    """Cosine similarity along ``axis`` (default 1; ``dim=`` is an alias), as
    torch 2.13's ``F.cosine_similarity``: ``sum((x1 / max(||x1||, eps)) *
    (x2 / max(||x2||, eps)))`` — each norm clamped separately.  The gradient
    is torch's: the clamp is treated as a constant (torch applies it without
    autograd), so below ``eps`` the norm's own derivative still applies.
    ``x1`` and ``x2`` broadcast together."""
    what = "cosine_similarity"
    check_no_grad_args(grad, grad_output, grad_out)
    e = check_finite_scalar(eps, "eps")
    preds, scalars = _preds([x1, x2], ["x1", "x2"])
    dt = compute_dtype(*preds)
    shape = _broadcast_shape(preds, ["x1", "x2"], what)
    ax = normalize_axis(pick_axis(None if axis == 1 and dim is not None else axis, dim, 1),
                        len(shape), "axis")
    move = None
    if ax != len(shape) - 1:
        kshape = shape[:ax] + shape[ax + 1:] + (shape[ax],)
        move = (ax, kshape)
        xs = [np.ascontiguousarray(np.moveaxis(np.broadcast_to(a, shape), ax, -1), dtype=dt)
              for a in preds]
    else:
        kshape = shape
        xs = [_as_shape(a, shape, dt) for a in preds]
    N, D = _rows(kshape)
    out_shape = kshape[:-1]
    return _pair(what, preds, scalars, xs, shape, move, out_shape, N, D, _DIST_COS, 2.0, e, dt,
                 grad, grad_output, grad_out, (x1, x2, grad_output))

