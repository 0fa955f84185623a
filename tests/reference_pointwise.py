"""Float64 NumPy references of the elementwise losses, from the formulas."""
import math

import numpy as np

from reference import ref


def _red(l, reduction, denom=None):
    if reduction == "none":
        return l
    s = np.sum(l)
    if reduction == "sum":
        return s
    return s / (l.size if denom is None else denom)


def _xy(x, t):
    x = np.asarray(x, np.float64)
    t = np.asarray(t, np.float64)
    return np.broadcast_arrays(x, t)


def _weighted(l, weight, reduction, mean_by_weight):
    if weight is None:
        return _red(l, reduction)
    w = np.asarray(weight, np.float64)
    lw = l * w
    if reduction == "mean" and mean_by_weight:
        return np.sum(lw) / np.sum(w)
    return _red(lw, reduction)


@ref("l1_loss")
def l1_loss(x, t, reduction="mean", weight=None):
    x, t = _xy(x, t)
    return _weighted(np.abs(x - t), weight, reduction, True)


@ref("mse_loss")
def mse_loss(x, t, reduction="mean", weight=None):
    x, t = _xy(x, t)
    return _weighted((x - t) ** 2, weight, reduction, True)


@ref("smooth_l1_loss")
def smooth_l1_loss(x, t, reduction="mean", beta=1.0):
    x, t = _xy(x, t)
    z = np.abs(x - t)
    if beta == 0:
        return _red(z, reduction)
    return _red(np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


@ref("huber_loss")
def huber_loss(x, t, reduction="mean", delta=1.0, weight=None):
    x, t = _xy(x, t)
    z = np.abs(x - t)
    l = np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))
    return _weighted(l, weight, reduction, False)


@ref("poisson_nll_loss")
def poisson_nll_loss(x, t, log_input=True, full=False, eps=1e-8, reduction="mean"):
    x, t = _xy(x, t)
    l = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t)
        l = l + np.where(t > 1, st, 0.0)
    return _red(l, reduction)


@ref("kl_div")
def kl_div(x, t, reduction="mean", log_target=False):
    x0 = np.asarray(x)
    x, t = _xy(x, t)
    if log_target:
        l = np.exp(t) * (t - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            xl = np.where(t == 0, 0.0, t * np.log(t))
        l = xl - t * x
    if reduction == "batchmean":
        return np.sum(l) / x0.shape[0] if x0.ndim else np.sum(l)
    return _red(l, reduction)


@ref("gaussian_nll_loss")
def gaussian_nll_loss(x, t, var, full=False, eps=1e-6, reduction="mean"):
    x = np.asarray(x, np.float64)
    t = np.asarray(t, np.float64)
    v = np.asarray(var, np.float64)
    if v.shape != x.shape and x.shape[:-1] == v.shape:
        v = v[..., None]
    v = np.maximum(v, eps)
    l = 0.5 * (np.log(v) + (x - t) ** 2 / v)
    if full:
        l = l + 0.5 * math.log(2 * math.pi)
    return _red(l, reduction)
