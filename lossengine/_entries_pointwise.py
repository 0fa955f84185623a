"""Registry entries of the elementwise regression / distribution losses."""
import numpy as np

from . import _pointwise
from ._registry import BenchCase, Entry, register


def _diff(rng, shape, kinks=(0.0,), margin=0.05):
    """Differences x - t whose magnitudes keep `margin` away from the kinks."""
    m = 0.1 + np.abs(rng.standard_normal(shape)) * 1.5
    for k in kinks:
        m = np.where(np.abs(m - k) < margin, m + 3 * margin, m)
    return np.where(rng.random(shape) < 0.5, -m, m)


def _small(shape):
    """A shape that broadcasts to `shape` (first axis 1, or () for 1-d)."""
    return (1,) + tuple(shape[1:]) if len(shape) > 1 else ()


def _xt_inputs(rng, shape, dtype, variant, kinks=(0.0,)):
    d = _diff(rng, shape, kinks)
    if "input_broadcast" in variant:
        x = rng.standard_normal(_small(shape)) * 2
        t = np.broadcast_to(x, shape) - d
    elif "broadcast" in variant:
        t = rng.standard_normal(_small(shape)) * 2
        x = np.broadcast_to(t, shape) + d
    else:
        x = rng.standard_normal(shape) * 2
        t = x - d
    x = np.asarray(x, dtype)
    t = np.asarray(t, dtype)
    kw = {}
    if "weight" in variant:
        kw["weight"] = (rng.random(x.shape) + 0.25).astype(dtype)
    for part in variant.split("_"):
        if "=" in part:
            k, v = part.split("=")
            kw[k] = float(v)
    return [x, t], kw


def _torch_fb(fname, **fkw):
    def build(args, kwargs):
        import torch
        x = torch.from_numpy(args[0]).requires_grad_(True)
        rest = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args[1:]]
        f = getattr(torch.nn.functional, fname)

        def run():
            x.grad = None
            loss = f(x, *rest, **fkw)
            loss.backward()
            return loss
        return run
    return build


def _bench_xt(name, n, numpy_fb, torch_name, **kw):
    def make(rng, dt):
        x = rng.standard_normal(n).astype(dt)
        t = rng.standard_normal(n).astype(dt)
        return [x, t], dict(kw)
    return BenchCase(label=f"{name}({n // (1 << 20)}M) {'float32'}", make=make,
                     torch=_torch_fb(torch_name, **kw), numpy=numpy_fb,
                     nbytes=lambda args: 3 * args[0].nbytes)


def _np_mse(args, kwargs):
    x, t = args

    def run():
        d = x - t
        return np.mean(d * d), d * (2.0 / d.size)
    return run


def _np_smooth_l1(args, kwargs):
    x, t = args

    def run():
        d = x - t
        a = np.abs(d)
        loss = np.mean(np.where(a < 1, 0.5 * d * d, a - 0.5))
        return loss, np.clip(d, -1, 1) / d.size
    return run


_SHAPES = [(6, 5), (4, 3, 5), (7,), (2, 3, 4, 5)]
_SIZE = lambda n: (3, n)  # noqa: E731

register(Entry(
    name="l1_loss", func=_pointwise.l1_loss, preds=(0,), make_inputs=_xt_inputs,
    shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "weight", "broadcast", "input_broadcast", "weight_broadcast"],
    criterion="L1Loss", ctor=(("reduction", "mean"),),
))

register(Entry(
    name="mse_loss", func=_pointwise.mse_loss, preds=(0,), make_inputs=_xt_inputs,
    shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "weight", "broadcast", "input_broadcast"],
    criterion="MSELoss", ctor=(("reduction", "mean"),),
    bench=[_bench_xt("mse_loss", 1 << 24, _np_mse, "mse_loss")],
))


def _sl1_inputs(rng, shape, dtype, variant):
    beta = 1.0
    for part in variant.split("_"):
        if part.startswith("beta="):
            beta = float(part[5:])
    return _xt_inputs(rng, shape, dtype, variant, kinks=(0.0, beta))


register(Entry(
    name="smooth_l1_loss", func=_pointwise.smooth_l1_loss, preds=(0,), make_inputs=_sl1_inputs,
    shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "beta=0.5", "beta=0", "broadcast_beta=2", "input_broadcast"],
    criterion="SmoothL1Loss", ctor=(("reduction", "mean"), ("beta", 1.0)),
    bench=[_bench_xt("smooth_l1_loss", 1 << 24, _np_smooth_l1, "smooth_l1_loss")],
))


def _huber_inputs(rng, shape, dtype, variant):
    delta = 1.0
    for part in variant.split("_"):
        if part.startswith("delta="):
            delta = float(part[6:])
    return _xt_inputs(rng, shape, dtype, variant, kinks=(0.0, delta))


register(Entry(
    name="huber_loss", func=_pointwise.huber_loss, preds=(0,), make_inputs=_huber_inputs,
    shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "delta=0.5", "weight_delta=2", "broadcast", "input_broadcast"],
    criterion="HuberLoss", ctor=(("reduction", "mean"), ("delta", 1.0)),
))


def _poisson_inputs(rng, shape, dtype, variant):
    kw = {}
    t = rng.integers(0, 6, size=shape).astype(dtype)
    if "linear" in variant:
        kw["log_input"] = False
        x = (0.2 + rng.random(shape) * 3).astype(dtype)
    else:
        x = (rng.standard_normal(shape) * 0.7).astype(dtype)
    if "full" in variant:
        kw["full"] = True
    if "eps" in variant:
        kw["eps"] = 0.1
    return [x, t], kw


register(Entry(
    name="poisson_nll_loss", func=_pointwise.poisson_nll_loss, preds=(0,),
    make_inputs=_poisson_inputs, shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "full", "linear", "linear_full_eps"],
    criterion="PoissonNLLLoss",
    ctor=(("log_input", True), ("full", False), ("eps", 1e-8), ("reduction", "mean")),
))


def _kl_inputs(rng, shape, dtype, variant):
    ax = -1
    z = rng.standard_normal(shape)
    x = z - np.log(np.sum(np.exp(z), axis=ax, keepdims=True))
    p = rng.random(shape)
    if p.size > 2:
        p.reshape(-1)[::5] = 0.0          # zero targets: xlogy(0, 0) = 0
    p = p / np.maximum(p.sum(axis=ax, keepdims=True), 1e-12)
    kw = {}
    if "log_target" in variant:
        kw["log_target"] = True
        t = np.log(np.where(p > 0, p, 1e-3))
    else:
        t = p
    return [x.astype(dtype), t.astype(dtype)], kw


def _bench_kl(shape):
    def make(rng, dt):
        z = rng.standard_normal(shape)
        x = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        p = rng.random(shape)
        p /= p.sum(axis=1, keepdims=True)
        return [x.astype(dt), p.astype(dt)], {"reduction": "batchmean"}

    def numpy_fb(args, kwargs):
        x, t = args

        def run():
            with np.errstate(divide="ignore", invalid="ignore"):
                tl = np.where(t > 0, t * np.log(t), 0)
            return np.sum(tl - t * x) / x.shape[0], -t / x.shape[0]
        return run

    return BenchCase(label=f"kl_div{tuple(shape)} batchmean", make=make,
                     torch=_torch_fb("kl_div", reduction="batchmean"), numpy=numpy_fb,
                     nbytes=lambda args: 3 * args[0].nbytes)


register(Entry(
    name="kl_div", func=_pointwise.kl_div, preds=(0,), make_inputs=_kl_inputs,
    shapes=[(6, 5), (4, 3, 5), (7,), (2, 3, 40)], size_shape=_SIZE,
    variants=["default", "log_target"],
    reductions=("none", "mean", "sum", "batchmean"),
    criterion="KLDivLoss", ctor=(("reduction", "mean"), ("log_target", False)),
    bench=[_bench_kl((4096, 1000))],
))


def _gauss_inputs(rng, shape, dtype, variant):
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    t = (rng.standard_normal(shape) * 2).astype(dtype)
    if "var_last" in variant:
        vshape = shape[:-1]
    elif "var_one" in variant:
        vshape = tuple(1 if i == len(shape) - 1 else s for i, s in enumerate(shape))
    else:
        vshape = shape
    v = (0.2 + rng.random(vshape) * 2).astype(dtype)
    kw = {}
    if "full" in variant:
        kw["full"] = True
    if "eps" in variant:
        kw["eps"] = 0.01
    return [x, t, v], kw


def _bench_gauss(n):
    def make(rng, dt):
        return [rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt),
                (0.5 + rng.random(n)).astype(dt)], {}

    def torch_fb(args, kwargs):
        import torch
        x = torch.from_numpy(args[0]).requires_grad_(True)
        t = torch.from_numpy(args[1])
        v = torch.from_numpy(args[2]).requires_grad_(True)

        def run():
            x.grad = None
            v.grad = None
            loss = torch.nn.functional.gaussian_nll_loss(x, t, v)
            loss.backward()
            return loss
        return run

    return BenchCase(label=f"gaussian_nll_loss({n // (1 << 20)}M) float32", make=make,
                     torch=torch_fb, nbytes=lambda args: 5 * args[0].nbytes)


register(Entry(
    name="gaussian_nll_loss", func=_pointwise.gaussian_nll_loss, preds=(0, 2),
    make_inputs=_gauss_inputs, shapes=_SHAPES, size_shape=_SIZE,
    variants=["default", "full", "var_last", "var_one_eps"],
    criterion="GaussianNLLLoss", ctor=(("full", False), ("eps", 1e-6), ("reduction", "mean")),
    bench=[_bench_gauss(1 << 22)],
))
