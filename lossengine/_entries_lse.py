"""Registry entries of the log-sum-exp family."""
import numpy as np

from . import _lse
from ._registry import BenchCase, Entry, register


def _ce_inputs(rng, shape, dtype, variant, nll=False):
    """CE/NLL inputs; classes on axis 1 (or the only axis), -1 for 'channels_last'."""
    ax = -1 if variant.startswith("channels_last") else (1 if len(shape) > 1 else 0)
    C = shape[ax]
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    if nll:
        x = np.log(np.abs(x) / np.abs(x).sum(axis=ax, keepdims=True) + 1e-3).astype(dtype)
    pos = tuple(s for i, s in enumerate(shape) if i != ax % len(shape))
    kw = {}
    if ax == -1 and len(shape) > 1:
        kw["axis"] = -1
    if variant == "prob":
        t = rng.random(shape)
        t = (t / t.sum(axis=ax, keepdims=True)).astype(dtype)
        return [x, t], kw
    t = rng.integers(0, C, size=pos)
    if "ignore" in variant and t.size > 1:
        t.reshape(-1)[::3] = -100
    if "weight" in variant:
        kw["weight"] = (rng.random(C) + 0.5).astype(dtype)
    if "smooth" in variant:
        kw["label_smoothing"] = 0.15
    return [x, t], kw


_CE_VARIANTS = ["default", "weight", "ignore", "smooth", "weight_ignore_smooth", "prob",
                "channels_last", "channels_last_weight_smooth"]


def _bench_ce(shape, dtype="float32"):
    def make(rng, dt):
        x = rng.standard_normal(shape).astype(dt)
        t = rng.integers(0, shape[1], size=(shape[0],) + tuple(shape[2:]))
        return [x, t], {}

    def torch_fb(args, kwargs):
        import torch
        x = torch.from_numpy(args[0]).requires_grad_(True)
        t = torch.from_numpy(args[1])

        def run():
            x.grad = None
            loss = torch.nn.functional.cross_entropy(x, t)
            loss.backward()
            return loss
        return run

    def numpy_fb(args, kwargs):
        x, t = args
        ax = 1

        def run():
            m = x.max(axis=ax, keepdims=True)
            e = np.exp(x - m)
            s = e.sum(axis=ax, keepdims=True)
            p = e / s
            lp = np.take_along_axis(x - m, np.expand_dims(t, ax), ax) - np.log(s)
            loss = -lp.mean()
            np.put_along_axis(p, np.expand_dims(t, ax), np.take_along_axis(p, np.expand_dims(t, ax), ax) - 1, ax)
            return loss, p / t.size
        return run

    return BenchCase(label=f"cross_entropy{tuple(shape)} {dtype}", make=make, dtype=dtype,
                     torch=torch_fb, numpy=numpy_fb,
                     nbytes=lambda args: 2 * args[0].nbytes + args[1].nbytes)


register(Entry(
    name="cross_entropy", func=_lse.cross_entropy, preds=(0,),
    make_inputs=_ce_inputs,
    shapes=[(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2), (2, 3, 4, 5, 2)],
    size_shape=lambda n: (3, n),
    variants=_CE_VARIANTS,
    criterion="CrossEntropyLoss",
    ctor=(("weight", None), ("ignore_index", -100), ("reduction", "mean"),
          ("label_smoothing", 0.0)),
    bench=[_bench_ce((4096, 1000)), _bench_ce((256, 32000)), _bench_ce((8, 21, 128, 128)),
           _bench_ce((4096, 1000), "float64"), _bench_ce((32, 10))],
))

register(Entry(
    name="nll_loss", func=_lse.nll_loss, preds=(0,),
    make_inputs=lambda rng, shape, dtype, variant: _ce_inputs(rng, shape, dtype, variant, True),
    shapes=[(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2)],
    size_shape=lambda n: (3, n),
    variants=["default", "weight", "ignore", "weight_ignore", "channels_last"],
    criterion="NLLLoss",
    ctor=(("weight", None), ("ignore_index", -100), ("reduction", "mean")),
    smooth=True,
))


def _act_inputs(rng, shape, dtype, variant):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    kw = {}
    if variant != "default":
        ax = int(variant.split("=")[1])
        kw["axis"] = ax if ax < len(shape) else -1
    return [x], kw


for _name in ("softmax", "log_softmax", "softmin", "logsumexp"):
    register(Entry(
        name=_name, func=getattr(_lse, _name), preds=(0,), make_inputs=_act_inputs,
        shapes=[(5, 7), (3, 4, 6), (9,), (2, 3, 70)],
        size_shape=lambda n: (2, n), variants=["default", "axis=0", "axis=1"],
        reductions=(), kind="activation",
    ))
