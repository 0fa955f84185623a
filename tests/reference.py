"""Float64 NumPy references, written from the formulas (never from the kernels).

REFERENCES[name](*args, **kwargs) returns what lossengine.<name> returns, in
float64.  Families add their functions here.
"""
import numpy as np

REFERENCES = {}


def ref(name):
    def deco(f):
        REFERENCES[name] = f
        return f
    return deco


def reduce(l, reduction, denom=None):
    if reduction == "none":
        return l
    if reduction == "sum":
        return l.sum()
    if reduction == "mean":
        return l.sum() / (l.size if denom is None else denom)
    raise ValueError(reduction)


def _lse(x, ax):
    m = np.max(x, axis=ax, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True))


def _axis(x, axis, default):
    if x.ndim <= 1:
        return 0
    return axis % x.ndim if axis is not None else default


@ref("softmax")
def softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    if x.ndim == 0:
        return np.float64(1.0)
    return np.exp(x - _lse(x, axis))


@ref("log_softmax")
def log_softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    return x - _lse(x, axis)


@ref("softmin")
def softmin(x, axis=-1):
    return softmax(-np.asarray(x, np.float64), axis)


@ref("logsumexp")
def logsumexp(x, axis=-1, keepdim=False):
    x = np.asarray(x, np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isinf(m), 0.0, m)
    r = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return r if keepdim else np.squeeze(r, axis=axis)


def _ce_core(logp, target, weight, ignore_index, reduction, label_smoothing, ax):
    C = logp.shape[ax]
    w = np.ones(C) if weight is None else np.asarray(weight, np.float64)
    wshape = [1] * logp.ndim
    wshape[ax] = C
    wb = w.reshape(wshape)
    t = np.asarray(target)
    if t.shape == logp.shape:   # probabilities
        tp = np.asarray(t, np.float64) * (1 - label_smoothing) + label_smoothing / C
        l = -(wb * tp * logp).sum(axis=ax)
        return reduce(l, reduction, denom=l.size)
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    lp_y = np.take_along_axis(logp, np.expand_dims(ts, ax), ax).squeeze(ax)
    wy = w[ts] * valid
    nll = -wy * lp_y
    l = nll
    if label_smoothing > 0:
        smooth = -(wb * logp).sum(axis=ax) * valid
        l = (1 - label_smoothing) * nll + (label_smoothing / C) * smooth
    return reduce(l, reduction, denom=wy.sum())


@ref("cross_entropy")
def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0, axis=1):
    x = np.asarray(x, np.float64)
    ax = _axis(x, axis, 1)
    return _ce_core(log_softmax(x, ax), target, weight, ignore_index, reduction,
                    label_smoothing, ax)


@ref("nll_loss")
def nll_loss(x, target, weight=None, ignore_index=-100, reduction="mean", axis=1):
    x = np.asarray(x, np.float64)
    ax = _axis(x, axis, 1)
    return _ce_core(x, target, weight, ignore_index, reduction, 0.0, ax)


def _load_family_references():
    """Families keep their references in tests/reference_<family>.py."""
    import importlib
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    for fn in sorted(os.listdir(here)):
        if fn.startswith("reference_") and fn.endswith(".py"):
            importlib.import_module(fn[:-3])


_load_family_references()
