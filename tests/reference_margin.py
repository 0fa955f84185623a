"""Float64 references of the margin / embedding family and the distances,
written from torch's documented formulas (never from the kernels)."""
import numpy as np

from reference import reduce, ref


def _f(x):
    return np.asarray(x, np.float64)


@ref("margin_ranking_loss")
def margin_ranking_loss(x1, x2, target, margin=0.0, reduction="mean"):
    l = np.maximum(0.0, -_f(target) * (_f(x1) - _f(x2)) + margin)
    return reduce(l, reduction)


@ref("hinge_embedding_loss")
def hinge_embedding_loss(x, target, margin=1.0, reduction="mean"):
    x, t = np.broadcast_arrays(_f(x), _f(target))
    l = np.where(t != 1, np.maximum(0.0, margin - x), 0.0) + np.where(t != -1, x, 0.0)
    return reduce(l, reduction)


def _rows2(x):
    x = _f(x)
    return x.reshape(-1, x.shape[-1] if x.ndim else 1)


@ref("multi_margin_loss")
def multi_margin_loss(x, target, p=1, margin=1.0, weight=None, reduction="mean"):
    t = np.asarray(target)
    X = _rows2(x)
    N, C = X.shape
    ty = t.reshape(-1)
    w = np.ones(C) if weight is None else _f(weight)
    l = np.zeros(N)
    for n in range(N):
        y = ty[n]
        for i in range(C):
            if i != y:
                l[n] += w[y] * max(0.0, margin - X[n, y] + X[n, i]) ** p
    l /= C
    if reduction == "none":
        return l if t.ndim > 0 else l[0]
    return reduce(l, reduction)


@ref("multilabel_margin_loss")
def multilabel_margin_loss(x, target, reduction="mean"):
    x = _f(x)
    X = _rows2(x)
    N, C = X.shape
    T = np.asarray(target).reshape(N, C)
    l = np.zeros(N)
    for n in range(N):
        labels = []
        for v in T[n]:
            if v < 0:
                break
            labels.append(int(v))
        others = [k for k in range(C) if k not in labels]
        for j in labels:
            for k in others:
                l[n] += max(0.0, 1.0 - (X[n, j] - X[n, k]))
    l /= C
    if reduction == "none":
        return l if x.ndim == 2 else l[0]
    return reduce(l, reduction)


@ref("cosine_embedding_loss")
def cosine_embedding_loss(x1, x2, target, margin=0.0, reduction="mean"):
    x1, x2 = np.broadcast_arrays(_f(x1), _f(x2))
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    t = _f(target)
    l = np.where(t == 1, 1 - cos, 0.0) + np.where(t == -1, np.maximum(0.0, cos - margin), 0.0)
    return reduce(l, reduction)


@ref("pairwise_distance")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    z = _f(x1) - _f(x2) + eps
    if z.ndim == 0:
        z = z.reshape(1)
        keepdim = False
    a = np.abs(z)
    if p == 0:
        d = (a != 0).sum(-1, keepdims=keepdim).astype(np.float64)
    elif np.isinf(p):
        d = a.max(-1, keepdims=keepdim) if p > 0 else a.min(-1, keepdims=keepdim)
    else:
        d = (a ** p).sum(-1, keepdims=keepdim) ** (1.0 / p)
    return d


@ref("cosine_similarity")
def cosine_similarity(x1, x2, axis=1, eps=1e-8):
    x1, x2 = np.broadcast_arrays(_f(x1), _f(x2))
    n1 = np.maximum(np.sqrt((x1 * x1).sum(axis, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(axis, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis)


def _triplet(dap, dan, dpn, margin, swap, reduction):
    if swap:
        dan = np.minimum(dan, dpn)
    return reduce(np.maximum(margin + dap - dan, 0.0), reduction)


@ref("triplet_margin_loss")
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean"):
    d = lambda u, v: pairwise_distance(u, v, p, eps)  # noqa: E731
    return _triplet(d(anchor, positive), d(anchor, negative), d(positive, negative), margin,
                    swap, reduction)


@ref("triplet_margin_with_distance_loss")
def triplet_margin_with_distance_loss(a, p, n, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    import lossengine as le
    f = distance_function
    if f is None or f == "euclidean" or f is le.pairwise_distance:
        d = lambda u, v: pairwise_distance(u, v, 2.0, 1e-6)  # noqa: E731
    elif f == "manhattan":
        d = lambda u, v: pairwise_distance(u, v, 1.0, 1e-6)  # noqa: E731
    elif f == "cosine":
        d = lambda u, v: 1 - cosine_similarity(u, v, axis=1 if np.ndim(u) > 1 else 0)  # noqa: E731
    elif f is le.cosine_similarity:
        d = lambda u, v: cosine_similarity(u, v, axis=1 if np.ndim(u) > 1 else 0)  # noqa: E731
    else:
        d = lambda u, v: _f(f(u, v))  # noqa: E731
    return _triplet(d(a, p), d(a, n), d(p, n), margin, swap, reduction)
