"""Float64 references of the binary family, written from the formulas."""
import math

import numpy as np

from reference import reduce, ref


def _f(a):
    return np.asarray(a, np.float64)


def _log_sigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    return np.exp(_log_sigmoid(x))


@ref("binary_cross_entropy")
def binary_cross_entropy(x, y, weight=None, reduction="mean"):
    x, y = _f(x), _f(y)
    with np.errstate(divide="ignore"):
        l = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
    if weight is not None:
        l = l * _f(weight)
    return reduce(l, reduction)


@ref("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(x, y, weight=None, reduction="mean", pos_weight=None):
    x, y = _f(x), _f(y)
    pw = 1.0 if pos_weight is None else _f(pos_weight)
    l = -(pw * y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    if weight is not None:
        l = l * _f(weight)
    return reduce(l, reduction)


@ref("soft_margin_loss")
def soft_margin_loss(x, y, reduction="mean"):
    x, y = _f(x), _f(y)
    return reduce(-_log_sigmoid(y * x), reduction)


@ref("multilabel_soft_margin_loss")
def multilabel_soft_margin_loss(x, y, weight=None, reduction="mean"):
    x, y = _f(x), _f(y)
    l = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    if weight is not None:
        l = l * _f(weight)
    l = l.sum(axis=-1) / x.shape[-1]
    return reduce(l, reduction)


@ref("sigmoid_focal_loss")
def sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction="none"):
    x, y = _f(x), _f(y)
    p = _sigmoid(x)
    ce = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    p_t = p * y + (1 - p) * (1 - y)
    l = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        l = (alpha * y + (1 - alpha) * (1 - y)) * l
    return reduce(l, reduction)


@ref("softmax_focal_loss")
def softmax_focal_loss(x, t, gamma=2.0, alpha=None, weight=None, ignore_index=-100,
                       reduction="mean", axis=1):
    x = _f(x)
    ax = 0 if x.ndim == 1 else axis % x.ndim
    C = x.shape[ax]
    m = x.max(axis=ax, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=ax, keepdims=True))
    t = np.asarray(t)
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    lp = np.take_along_axis(logp, np.expand_dims(ts, ax), ax).squeeze(ax)
    w = np.ones(C) if weight is None else _f(weight)
    a = np.ones(C) if alpha is None else np.broadcast_to(_f(alpha), (C,))
    wy = w[ts] * valid
    l = -wy * a[ts] * (1 - np.exp(lp)) ** gamma * lp
    return reduce(l, reduction, denom=wy.sum())


def _split_samples(a):
    return a.reshape(1, -1) if a.ndim <= 1 else a.reshape(a.shape[0], -1)


@ref("balanced_binary_cross_entropy")
def balanced_binary_cross_entropy(x, y, beta=None, reduction="mean", from_logits=False):
    x, y = _f(x), _f(y)
    if beta is None:
        b = 1 - _split_samples(y).mean(axis=1)
        b = b.reshape((-1,) + (1,) * (x.ndim - 1)) if x.ndim > 1 else b[0]
    else:
        b = beta
    if from_logits:
        lp, lq = _log_sigmoid(x), _log_sigmoid(-x)
    else:
        with np.errstate(divide="ignore"):
            lp, lq = np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)
    l = -(b * y * lp + (1 - b) * (1 - y) * lq)
    return reduce(l, reduction)


@ref("dice_loss")
def dice_loss(x, y, eps=1e-3, from_logits=False, reduction="mean", squared=True):
    x, y = _f(x), _f(y)
    p = _sigmoid(x) if from_logits else x
    ps, ys = _split_samples(p), _split_samples(y)
    inter = (ps * ys).sum(axis=1)
    if squared:
        den = (ps ** 2).sum(axis=1) + (ys ** 2).sum(axis=1) + eps
    else:
        den = ps.sum(axis=1) + ys.sum(axis=1) + eps
    l = 1 - 2 * inter / den
    if x.ndim <= 1:
        l = l[0]
    return reduce(l, reduction) if reduction != "none" else l


def ohem_selection(l, y, mask, ratio, min_negatives):
    """(selected mask, #pos, k) with the documented tie rule (lower index first)."""
    lf = l.reshape(-1)
    yf = _f(y).reshape(-1)
    cand = np.ones(lf.size, bool) if mask is None else (np.asarray(mask).reshape(-1) != 0)
    pos = cand & (yf >= 0.5)
    neg = cand & ~pos
    npos, nneg = int(pos.sum()), int(neg.sum())
    k = min(nneg, max(int(math.floor(ratio * npos)), int(min_negatives)))
    sel = pos.copy()
    idx = np.flatnonzero(neg)
    # stable sort by decreasing loss: equal losses keep increasing index order
    order = idx[np.argsort(-lf[idx], kind="stable")]
    sel[order[:k]] = True
    return sel.reshape(l.shape), npos, k


@ref("ohem_binary_cross_entropy")
def ohem_binary_cross_entropy(x, y, mask=None, negative_ratio=3.0, eps=1e-6, from_logits=False,
                              min_negatives=0, reduction="mean"):
    x, yy = _f(x), _f(y)
    if from_logits:
        l = -(yy * _log_sigmoid(x) + (1 - yy) * _log_sigmoid(-x))
    else:
        with np.errstate(divide="ignore"):
            l = -(yy * np.maximum(np.log(x), -100) + (1 - yy) * np.maximum(np.log(1 - x), -100))
    sel, npos, k = ohem_selection(l, y, mask, negative_ratio, min_negatives)
    ls = np.where(sel, l, 0.0)
    if reduction == "none":
        return ls
    if reduction == "sum":
        return ls.sum()
    return ls.sum() / (npos + k + eps)
