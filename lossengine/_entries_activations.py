"""Registry entries of the elementwise activations."""
import numpy as np

from . import _activations
from ._registry import BenchCase, Entry, register

_SHAPES = [(5, 7), (3, 4, 6), (9,), (2, 3, 70)]
_SIZE = lambda n: (2, n)  # noqa: E731


def _away(x, kinks, margin=0.05):
    for k in kinks:
        x = np.where(np.abs(x - k) < margin, x + np.where(x >= k, 3, -3) * margin, x)
    return x


def _maker(kinks_of, params_of):
    """make_inputs for an activation: `params_of(variant)` gives its keywords,
    `kinks_of(kw)` the points the inputs keep away from."""
    def make(rng, shape, dtype, variant):
        kw = params_of(variant)
        x = rng.standard_normal(shape) * 3
        x = _away(x, kinks_of(kw))
        return [x.astype(dtype)], kw
    return make


def _parse(variant):
    kw = {}
    if variant != "default":
        for part in variant.split(","):
            k, v = part.split("=")
            kw[k] = float(v)
    return kw


def _torch_act(fname):
    def build(args, kwargs):
        import torch
        x = torch.from_numpy(args[0]).requires_grad_(True)
        f = getattr(torch, fname, None) or getattr(torch.nn.functional, fname)

        def run():
            x.grad = None
            y = f(x)
            y.sum().backward()
            return y
        return run
    return build


def _np_sigmoid(args, kwargs):
    x = args[0]

    def run():
        y = 1 / (1 + np.exp(-x))
        return y, y * (1 - y)
    return run


_ACTS = {
    # name: (variants, kinks(kw), smooth)
    "sigmoid": (["default"], lambda kw: ()),
    "log_sigmoid": (["default"], lambda kw: ()),
    "softplus": (["default", "beta=2.0", "beta=0.5,threshold=3.0"],
                 lambda kw: (kw.get("threshold", 20.0) / kw.get("beta", 1.0),)),
    "relu": (["default"], lambda kw: (0.0,)),
    "relu6": (["default"], lambda kw: (0.0, 6.0)),
    "leaky_relu": (["default", "negative_slope=0.2"], lambda kw: (0.0,)),
    "elu": (["default", "alpha=2.0"], lambda kw: (0.0,)),
    "threshold": (["threshold=0.5,value=-2.0", "threshold=-1.0,value=3.0"],
                  lambda kw: (kw["threshold"],)),
    "hardtanh": (["default", "min_val=-2.0,max_val=0.5"],
                 lambda kw: (kw.get("min_val", -1.0), kw.get("max_val", 1.0))),
    "tanh": (["default"], lambda kw: ()),
    "softshrink": (["default", "lambd=1.5"],
                   lambda kw: (-kw.get("lambd", 0.5), kw.get("lambd", 0.5))),
    "softsign": (["default"], lambda kw: ()),
}

for _name, (_variants, _kinks) in _ACTS.items():
    _bench = []
    if _name == "sigmoid":
        _bench = [BenchCase(
            label="sigmoid(16M) float32",
            make=lambda rng, dt: ([rng.standard_normal(1 << 24).astype(dt)], {}),
            torch=_torch_act("sigmoid"), numpy=_np_sigmoid,
            nbytes=lambda args: 3 * args[0].nbytes)]
    elif _name in ("tanh", "relu", "softplus", "log_sigmoid", "elu"):
        _bench = [BenchCase(
            label=f"{_name}(16M) float32",
            make=lambda rng, dt: ([rng.standard_normal(1 << 24).astype(dt)], {}),
            torch=_torch_act({"log_sigmoid": "logsigmoid"}.get(_name, _name)),
            nbytes=lambda args: 3 * args[0].nbytes)]
    register(Entry(
        name=_name, func=getattr(_activations, _name), preds=(0,),
        make_inputs=_maker(_kinks, _parse), shapes=_SHAPES, size_shape=_SIZE,
        variants=list(_variants), reductions=(), kind="activation", bench=_bench,
    ))


def _prelu_inputs(rng, shape, dtype, variant):
    x = _away(rng.standard_normal(shape) * 3, (0.0,))
    C = shape[1] if len(shape) >= 2 else 1
    n = 1 if variant == "single" else C
    w = rng.random(n) * 0.5 - 0.1
    if variant == "scalar_weight":
        w = np.asarray(0.25)
    return [x.astype(dtype), w.astype(dtype)], {}


register(Entry(
    name="prelu", func=_activations.prelu, preds=(0, 1), make_inputs=_prelu_inputs,
    shapes=_SHAPES, size_shape=_SIZE, variants=["default", "single", "scalar_weight"],
    reductions=(), kind="activation",
))
