"""Binary family and the class-imbalance toolkit: binary_cross_entropy,
binary_cross_entropy_with_logits, soft_margin_loss, multilabel_soft_margin_loss,
sigmoid_focal_loss, softmax_focal_loss, balanced_binary_cross_entropy,
dice_loss, ohem_binary_cross_entropy, hard_example_mining, class_weights.

Kernels: csrc/bce.c (elementwise losses, dice, OHEM), csrc/select.c (O(n)
radix selection), csrc/focal.c (softmax focal)."""
import math
import threading

import numpy as np

from . import _core as _binary
from ._runtime import nthreads
from ._validate import (RED_MEAN, RED_NONE, RED_SUM, STREAM_GRAD, as_array, as_index_target,
                        as_int, call_buffers, check_finite_scalar, check_no_grad_args,
                        compute_dtype, contiguous, finish_grad, grad_dest, grad_output_none,
                        grad_output_reduced, new_output, reduction_code)

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
    nd = len(tshape)
    ws = (1,) * (nd - w.ndim) + w.shape
    dims = [d for d in range(nd) if ws[d] != 1]
    lo, hi = dims[0], dims[-1] + 1
    if all(ws[d] == tshape[d] for d in range(lo, hi)):
        C = math.prod(tshape[lo:hi])
        inner = math.prod(tshape[hi:])
        return (contiguous(w.reshape(-1) if w.flags.c_contiguous else np.ravel(w), dt), C, inner)
    full = np.ascontiguousarray(np.broadcast_to(w, tshape), dtype=dt)
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


def _finish(red, loss, value, dt, grad, g, guser):
    if red == RED_NONE:
        out = loss[()] if loss.ndim == 0 else loss
    else:
        out = dt.type(value)
    if grad:
        return out, finish_grad(g, guser)
    return out


def _elementwise(name, mode, input, target, red, grad, grad_output, grad_out, *, wspec=None,
                 bspec=None, alpha=0.0, gamma=0.0, from_logits=0, x=None, t=None, dt=None,
                 row=0, loss_shape=None, norm=None, share=()):
    """Run the elementwise kernel. x, t: validated arrays of one shape."""
    n = x.size
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
    loss_shape = x.shape if loss_shape is None else loss_shape
    if norm is None:
        norm = (1.0 / n if n else math.nan) if red == RED_MEAN else 1.0
    # not streamed: a compute-bound kernel (see csrc/bce.c)
    loss, gscalar, garr, g, guser = call_buffers(red, grad, grad_output, grad_out, loss_shape,
                                                 x.shape, dt, (input, target, grad_output) + share)
    st, value, bad, what = _binary.binary(
        mode, xc, tc, wspec, bspec, garr, loss, g, n, row, red, norm, gscalar, alpha, gamma,
        from_logits, nthreads())
    if st == _LE_ERR_VALUE_RANGE:
        _value_error(x, t, x.shape, bad, what)
    _raise_status(st, name)
    if red != RED_NONE and n == 0:
        value = math.nan if red == RED_MEAN else 0.0
    return _finish(red, loss, value, dt, grad, g, guser)


# --------------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, *, reduction="mean", grad=False,
                         grad_output=None, grad_out=None):
    """Binary cross entropy between probabilities `input` and `target`, as torch's
    ``F.binary_cross_entropy``: ``-w [y log x + (1-y) log(1-x)]`` with each log
    clamped at -100.  `input` and `target` must lie in [0, 1] (``ValueError``,
    checked inside the kernel; NaN input gives NaN, not an error); `weight`
    broadcasts to the target.  The gradient is torch's,
    ``w (x-y) / max(x(1-x), 1e-12)``."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "Using a target size ({t}) that is different to the input size "
                             "({x}) is deprecated. Please ensure they have the same size.")
    wspec = _bcast_spec(weight, "weight", x.shape, dt)
    return _elementwise("binary_cross_entropy", _BCE, input, target, red, grad, grad_output,
                        grad_out, wspec=wspec, x=x, t=t, dt=dt, share=(weight,))


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean",
                                     pos_weight=None, grad=False, grad_output=None,
                                     grad_out=None):
    """Binary cross entropy on logits, as torch's
    ``F.binary_cross_entropy_with_logits``:
    ``w [(1-y) x + (1 + (pw-1) y) softplus(-x)]``, stable for any logit.
    `weight` and `pos_weight` broadcast against the target by NumPy's rules
    (a per-class pos_weight is ``(C,)`` for channels-last data or ``(C,1,1)``
    for NCHW); they are read through their broadcast pattern, never copied to
    full size for the common shapes."""
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
                        share=(weight, pos_weight))


def soft_margin_loss(input, target, *, reduction="mean", grad=False, grad_output=None,
                     grad_out=None):
    """``log(1 + exp(-y x))``, as torch's ``F.soft_margin_loss`` (target broadcast
    to the input), but computed stably: torch's literal form overflows to inf
    (gradient NaN) once ``-y x`` exceeds ~88 in float32 / ~709 in float64; here
    the loss stays finite (``≈ -y x``) and the gradient ``-y sigmoid(-y x)``."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = _broadcast_target(as_array(target, "target"), x)
    return _elementwise("soft_margin_loss", _SOFTMARGIN, input, target, red, grad, grad_output,
                        grad_out, x=x, t=t, dt=dt)


def multilabel_soft_margin_loss(input, target, weight=None, *, reduction="mean", grad=False,
                                grad_output=None, grad_out=None):
    """``-(1/C) sum_c w_c [y log sigmoid(x) + (1-y) log sigmoid(-x)]`` over the last
    axis (C = input.shape[-1]), as torch's ``F.multilabel_soft_margin_loss``;
    'none' has shape ``input.shape[:-1]``, 'mean' averages over it.  `weight`
    broadcasts to the input (usually ``(C,)``).  Stable for any logit."""
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
    if red == RED_NONE:
        norm = 1.0 / C if C else math.nan
    elif red == RED_MEAN:
        norm = 1.0 / (rows * C) if rows and C else math.nan
    else:
        norm = 1.0 / C if C else math.nan
    out = _elementwise("multilabel_soft_margin_loss", _BCEL, input, target, red, grad,
                       grad_output, grad_out, wspec=wspec, x=x, t=t, dt=dt,
                       row=C if red == RED_NONE else 0, loss_shape=x.shape[:-1], norm=norm,
                       share=(weight,))
    if grad and np.ndim(input) == 0:
        return out[0], out[1].reshape(())
    return out


def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="none", grad=False,
                       grad_output=None, grad_out=None):
    """torchvision's sigmoid focal loss on logits: ``ce (1-p_t)^gamma``, times
    ``alpha y + (1-alpha)(1-y)`` when ``alpha >= 0`` (``ce`` = BCE with logits,
    ``p = sigmoid(x)``, ``p_t = p y + (1-p)(1-y)``).  Default reduction 'none'
    (torchvision's).  ``gamma >= 0``."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    alpha = check_finite_scalar(alpha, "alpha")
    gamma = check_finite_scalar(gamma, "gamma", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    return _elementwise("sigmoid_focal_loss", _FOCAL, input, target, red, grad, grad_output,
                        grad_out, alpha=alpha if alpha >= 0 else -1.0, gamma=gamma, x=x, t=t,
                        dt=dt)


def _samples(shape):
    """(N, L): samples along the first axis; a 0-d or 1-d input is one sample."""
    if len(shape) <= 1:
        return 1, math.prod(shape)
    return shape[0], math.prod(shape[1:])


def balanced_binary_cross_entropy(input, target, *, beta=None, reduction="mean",
                                  from_logits=False, grad=False, grad_output=None,
                                  grad_out=None):
    """Class-balanced BCE: ``-(beta y log p + (1-beta)(1-y) log(1-p))``.

    ``beta=None``: per sample (first axis; a 1-d input is one sample) the
    fraction of negatives, ``1 - mean(y)``.  ``from_logits=False``: `input`
    holds probabilities in [0, 1], logs clamped at -100 as
    ``binary_cross_entropy``, gradient with torch's ``max(p(1-p), 1e-12)``
    denominator.  ``from_logits=True``: ``p = sigmoid(input)`` with stable
    log-sigmoids (no clamp, as BCE-with-logits).  'mean' averages over
    elements."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    if beta is None:
        N, L = _samples(x.shape)
        if N and L:
            tt = t if t.dtype.kind == "f" else t.astype(np.float64)
            b = 1.0 - tt.reshape(N, L).mean(axis=1, dtype=np.float64)
            bspec = (np.ascontiguousarray(b, dtype=dt), N, L) if N > 1 else float(b[0])
        else:
            bspec = 0.5
    else:
        bspec = check_finite_scalar(beta, "beta", 0.0, 1.0)
    return _elementwise("balanced_binary_cross_entropy", _BALANCED, input, target, red, grad,
                        grad_output, grad_out, bspec=bspec, from_logits=1 if from_logits else 0,
                        x=x, t=t, dt=dt)


def dice_loss(input, target, *, eps=1e-3, from_logits=False, reduction="mean", squared=True,
              grad=False, grad_output=None, grad_out=None):
    """Dice loss per sample (first axis; a 0-d/1-d input is one sample):
    ``1 - 2 sum(p y) / (sum(p^2) + sum(y^2) + eps)`` (``squared=False``:
    ``sum(p) + sum(y)``), ``p = input`` or ``sigmoid(input)`` with
    ``from_logits=True``; then reduced over samples ('none' has shape
    ``(N,)``, or ``()`` for one sample).  PSENet's form adds 1e-3 to each sum:
    ``eps=2e-3``."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    eps = check_finite_scalar(eps, "eps", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    N, L = _samples(x.shape)
    lshape = x.shape[:1] if x.ndim >= 2 else ()
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
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
    return _finish(red, losses.reshape(lshape), value, dt, grad, g, guser)


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


def ohem_binary_cross_entropy(input, target, mask=None, *, negative_ratio=3.0, eps=1e-6,
                              from_logits=False, min_negatives=0, reduction="mean",
                              grad=False, grad_output=None, grad_out=None):
    """Balanced BCE with online hard-negative mining (DBNet's
    BalanceCrossEntropyLoss) over the whole batch.

    ``l_i`` is BCE (torch's clamps; ``from_logits=True``: BCE with logits) per
    element, soft targets allowed.  Candidates: ``mask != 0`` (all when None);
    positives: candidates with ``target >= 0.5`` (``y m >= 0.5`` for a 0/1 mask);
    negatives: the other candidates.  ``k = min(#neg, max(floor(ratio #pos),
    min_negatives))`` hardest negatives are kept; 'mean' is
    ``(sum_pos l + sum_topk l) / (#pos + k + eps)``, 'sum' the numerator, 'none'
    the per-element losses times the selection.  With no positive and
    ``min_negatives=0`` nothing is selected and the loss is 0.  Selection is
    O(n) in C (large inputs: one fused loss/gradient pass against a sampled
    bracket, then an exact radix select inside it; otherwise a radix select
    over every negative); among equal losses the lower flat index is taken.
    The gradient is that of the loss with the selection fixed (0 for
    unselected elements), with torch's BCE gradient for probabilities."""
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    ratio = check_finite_scalar(negative_ratio, "negative_ratio", 0.0)
    eps = check_finite_scalar(eps, "eps", 0.0)
    min_neg = as_int(min_negatives, "min_negatives")
    if min_neg < 0:
        raise ValueError(f"min_negatives must be >= 0, got {min_neg}")
    x = as_array(input, "input")
    dt = compute_dtype(x)
    t = as_array(target, "target")
    _same_shape_target(t, x, "target of shape {t} must have the input's shape {x}")
    m = _as_mask(mask, x.shape)
    xc = contiguous(x, dt)
    tc = contiguous(t, dt)
    n = x.size
    # not streamed: a compute-bound kernel (see csrc/bce.c)
    loss, gscalar, garr, g, guser = call_buffers(red, grad, grad_output, grad_out, x.shape,
                                                 x.shape, dt, (input, target, mask, grad_output))
    keys = _key_scratch(n, dt)
    st, value, *_rest, bad, what = _binary.ohem(
        xc, tc, m, garr, loss, g, keys, n, ratio, eps, min_neg, gscalar, red,
        1 if from_logits else 0, nthreads())
    if st == _LE_ERR_VALUE_RANGE:
        _value_error(x, t, x.shape, bad, what)
    _raise_status(st, "ohem_binary_cross_entropy")
    return _finish(red, loss, value, dt, grad, g, guser)


def hard_example_mining(losses, k=None, ratio=None, mask=None):
    """Boolean array shaped like `losses`, true at the `k` largest candidates
    (elements where `mask` is true; all when None).  Give exactly one of `k`
    (a count, at most the number of candidates) or `ratio`
    (``k = floor(ratio * #candidates)``, capped at #candidates).  Ties: the
    lower flat index wins; NaN ranks above +inf.  O(n) (radix select in C)."""
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
        r = check_finite_scalar(ratio, "ratio", 0.0)
        k = min(ncand, int(math.floor(r * ncand)))
    vc = contiguous(v, dt)
    out = new_output(v.shape, np.bool_)[0]
    if v.size == 0:
        return out
    keys = _key_scratch(v.size, dt)
    st = _binary.topk(vc, m, out.view(np.uint8), keys, v.size, k, nthreads())
    _raise_status(st, "hard_example_mining")
    return out


_SCHEMES = ("inverse_log", "inverse", "inverse_sqrt", "effective_number")


def class_weights(target, num_classes, *, scheme="inverse_log", c=1.02, beta=0.999,
                  ignore_index=-100):
    """Per-class weights from the label frequencies ``p_c`` of `target`
    (entries equal to `ignore_index` skipped).  ``'inverse_log'``:
    ``1 / ln(c + p_c)`` (ENet; unnormalised, absent classes get ``1/ln c``);
    ``'inverse'``: ``1/p_c``; ``'inverse_sqrt'``: ``1/sqrt(p_c)``;
    ``'effective_number'``: ``(1-beta) / (1-beta^n_c)`` (Cui et al. 2019) --
    these three normalised so the present classes' weights sum to their number,
    absent classes 0.  Returns float64 ``(num_classes,)``."""
    t = as_index_target(target, "target")
    num_classes = as_int(num_classes, "num_classes")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {_SCHEMES}, got {scheme!r}")
    ignore_index = as_int(ignore_index, "ignore_index")
    c = check_finite_scalar(c, "c")
    if c <= 1:
        raise ValueError(f"c must be > 1 (so that ln(c + p) > 0), got {c!r}")
    beta = check_finite_scalar(beta, "beta", 0.0)
    if beta >= 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
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


def softmax_focal_loss(input, target, *, gamma=2.0, alpha=None, weight=None, ignore_index=-100,
                       reduction="mean", axis=1, dim=None, grad=False, grad_output=None,
                       grad_out=None):
    """Multi-class focal loss on logits with integer targets, on the
    cross-entropy layout (classes on `axis`, default 1; ``-1`` channels-last):
    ``l = -w_y alpha_y (1 - p_y)^gamma log p_y``, ``p = softmax(input)``.
    `alpha`: None, a scalar (all classes) or a ``(C,)`` array; `weight`: ``(C,)``
    class weights; `ignore_index` as cross_entropy.  'mean' divides by the
    summed `weight` of non-ignored targets.  ``gamma=0`` without alpha equals
    ``cross_entropy``."""
    from ._lse import _check_index_target, _class_layout, _prep_weight
    from ._validate import pick_axis
    red = reduction_code(reduction)
    check_no_grad_args(grad, grad_output, grad_out)
    axis = pick_axis(None if axis == 1 and dim is not None else axis, dim, 1)
    gamma = check_finite_scalar(gamma, "gamma", 0.0)
    x = as_array(input, "input")
    dt = compute_dtype(x)
    outer, C, inner, ax, pos_shape = _class_layout(x, axis)
    ignore_index = as_int(ignore_index, "ignore_index")
    ti = as_index_target(target, "target")
    _check_index_target(ti, x, ax, pos_shape)
    w = _prep_weight(weight, C, dt)
    if alpha is None:
        al = None
    elif np.ndim(alpha) == 0:
        al = np.full(C, check_finite_scalar(alpha, "alpha"), dtype=dt)
    else:
        al = as_array(alpha, "alpha")
        if al.shape != (C,):
            raise ValueError(f"alpha must be a scalar or of shape ({C},), got shape {al.shape}")
        al = contiguous(al, dt)
    xc = contiguous(x, dt)
    loss, gscalar, garr, g, guser = call_buffers(red, grad, grad_output, grad_out, pos_shape,
                                                 x.shape, dt,
                                                 (input, target, weight, alpha, grad_output))
    st, value, _tw, bad = _binary.sfocal(xc, ti, w, al, garr, loss, g, outer, C, inner,
                                         ignore_index, gamma, gscalar, red, nthreads())
    if st == 1:
        idx = np.unravel_index(bad, pos_shape) if pos_shape else ()
        raise ValueError(f"target: value {int(ti.reshape(-1)[bad])} at position "
                         f"{tuple(map(int, idx))} is out of bounds for {C} classes (and is not "
                         f"ignore_index={ignore_index})")
    _raise_status(st, "softmax_focal_loss")
    return _finish(red, loss, value, dt, grad, g, guser)
