"""Optimizer cases of ``lossengine bench``: one ``step`` of lossengine.optim
against torch.optim on the same data (torch's default single-tensor path
``foreach=False``, and ``foreach=True`` / ``fused=True`` where named).

Optimizers are not registry entries, so the cases are listed here as
(name, callable, BenchCase) triples like the runner's; the callable is
``step(opt, grads)`` and the case has ``grad=False``.
"""
import numpy as np

from .._registry import BenchCase

M16 = 1 << 24

# bytes that must move per element and float32 parameter: reads and writes of
# the parameter and its state, read of the gradient
_BYTES_F32 = {"Adam": 28, "AdamW": 28, "SGD": 20, "RMSprop": 20, "Adagrad": 20}


def _step(opt, grads):
    opt.step(grads)


def _make(cls, kw, sizes):
    def make(rng, dtype):
        from .. import optim
        ps = [rng.standard_normal(n).astype(dtype) for n in sizes]
        gs = [rng.standard_normal(n).astype(dtype) * 0.1 for n in sizes]
        opt = getattr(optim, cls)(ps, **kw)
        opt.step(gs)            # state created outside the timed region
        return (opt, gs), {}
    return make


def _torch(cls, kw, variant):
    def build(args, _kw):
        import torch
        opt, gs = args
        ps = [torch.tensor(p) for g in opt.param_groups for p in g["params"]]
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(g)
        extra = {"default": {"foreach": False}, "foreach": {"foreach": True},
                 "fused": {"fused": True}}[variant]
        topt = getattr(torch.optim, cls)(ps, **kw, **extra)
        topt.step()

        def run():
            topt.step()
        return run
    return build


def _nbytes(cls):
    return lambda args: _BYTES_F32[cls] * sum(p.size for g in args[0].param_groups
                                                for p in g["params"])


def _case(cls, kw, sizes, what, variant="default"):
    tv = {"default": "torch foreach=False", "foreach": "torch foreach=True",
          "fused": "torch fused=True"}[variant]
    label = f"optim {cls} {what} f32 vs {tv}"
    return (f"optim.{cls}", _step,
            BenchCase(label, _make(cls, kw, sizes), "float32", torch=_torch(cls, kw, variant),
                      nbytes=_nbytes(cls), grad=False))


def bench_cases():
    """The optimizer bench cases as (name, callable, BenchCase)."""
    big = [M16]
    cases = []
    for cls in ("Adam", "AdamW"):
        for variant in ("default", "foreach", "fused"):
            cases.append(_case(cls, dict(lr=1e-3), big, "16M", variant))
    cases.append(_case("SGD", dict(lr=1e-3, momentum=0.9), big, "16M"))
    cases.append(_case("RMSprop", dict(lr=1e-3), big, "16M"))
    cases.append(_case("Adagrad", dict(lr=1e-3), big, "16M"))
    cases.append(_case("Adam", dict(lr=1e-3), [1000] * 200, "200x1000"))
    cases.append(_case("Adam", dict(lr=1e-3), [200_000], "1x200000"))
    return cases
