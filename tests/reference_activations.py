"""Float64 NumPy references of the activations, from the formulas."""
import numpy as np

from reference import ref


def _f(x):
    return np.asarray(x, np.float64)


def _sig(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                        np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


@ref("sigmoid")
def sigmoid(x):
    return _sig(_f(x))


@ref("log_sigmoid")
def log_sigmoid(x):
    x = _f(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@ref("softplus")
def softplus(x, beta=1.0, threshold=20.0):
    x = _f(x)
    z = beta * x
    sp = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, x, sp)


@ref("relu")
def relu(x):
    return np.maximum(_f(x), 0)


@ref("relu6")
def relu6(x):
    return np.clip(_f(x), 0, 6)


@ref("leaky_relu")
def leaky_relu(x, negative_slope=0.01):
    x = _f(x)
    return np.where(x > 0, x, negative_slope * x)


@ref("elu")
def elu(x, alpha=1.0):
    x = _f(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@ref("prelu")
def prelu(x, weight):
    x = _f(x)
    w = _f(weight).reshape(-1)
    if w.size > 1:
        w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


@ref("threshold")
def threshold(x, threshold, value):
    x = _f(x)
    return np.where(x > threshold, x, value)


@ref("hardtanh")
def hardtanh(x, min_val=-1.0, max_val=1.0):
    return np.clip(_f(x), min_val, max_val)


@ref("tanh")
def tanh(x):
    return np.tanh(_f(x))


@ref("softshrink")
def softshrink(x, lambd=0.5):
    x = _f(x)
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


@ref("softsign")
def softsign(x):
    x = _f(x)
    return x / (1 + np.abs(x))
