"""Registry entries of the binary family and the class-imbalance toolkit."""
import numpy as np

from . import _binary
from ._registry import BenchCase, Entry, register


def _probs(rng, shape, dtype):
    return rng.uniform(0.02, 0.98, size=shape).astype(dtype)


def _soft(rng, shape, dtype):
    return rng.random(shape).astype(dtype)


def _hard(rng, shape, dtype, p=0.3):
    return (rng.random(shape) < p).astype(dtype)


def _bcast_weight(rng, shape, dtype, kind):
    """weight / pos_weight shapes worth testing: full, last axis, per channel
    ((C,1,..,1) for NCHW), scalar, and a pattern that needs the broadcast copy."""
    nd = len(shape)
    if kind == "full":
        s = shape
    elif kind == "last":
        s = shape[-1:]
    elif kind == "chan":
        s = (shape[1],) + (1,) * (nd - 2) if nd >= 3 else shape[-1:]
    elif kind == "scalar":
        s = ()
    elif kind == "split":       # (N,1,...,1,W): non-unit dims not contiguous
        s = (shape[0],) + (1,) * (nd - 2) + (shape[-1],) if nd >= 3 else shape
    else:
        raise ValueError(kind)
    return (rng.random(s) + 0.5).astype(dtype)


def _bce_inputs(rng, shape, dtype, variant):
    x = _probs(rng, shape, dtype)
    y = _hard(rng, shape, dtype) if "hard" in variant else _soft(rng, shape, dtype)
    kw = {}
    if variant.startswith("weight_"):
        kw["weight"] = _bcast_weight(rng, shape, dtype, variant.split("_")[1])
    return [x, y], kw


def _bcel_inputs(rng, shape, dtype, variant):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    y = _hard(rng, shape, dtype) if "hard" in variant else _soft(rng, shape, dtype)
    kw = {}
    for part in variant.split("+"):
        if part.startswith("weight_"):
            kw["weight"] = _bcast_weight(rng, shape, dtype, part.split("_")[1])
        if part.startswith("pw_"):
            kw["pos_weight"] = _bcast_weight(rng, shape, dtype, part.split("_")[1]) * 3
    return [x, y], kw


def _bench_bcel(shape, pw_shape):
    def make(rng, dt):
        x = rng.standard_normal(shape).astype(dt)
        y = (rng.random(shape) < 0.2).astype(dt)
        return [x, y], {"pos_weight": np.full(pw_shape, 3.0, dt)}

    def torch_fb(args, kwargs):
        import torch
        x = torch.from_numpy(args[0]).requires_grad_(True)
        y = torch.from_numpy(args[1])
        pw = torch.from_numpy(kwargs["pos_weight"])

        def run():
            x.grad = None
            loss = torch.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=pw)
            loss.backward()
            return loss
        return run

    def numpy_fb(args, kwargs):
        x, y = args
        pw = kwargs["pos_weight"]

        def run():
            e = np.exp(-np.abs(x))
            sp = np.maximum(-x, 0) + np.log1p(e)
            loss = ((1 - y) * x + (1 + (pw - 1) * y) * sp).mean()
            s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
            return loss, ((pw * y + 1 - y) * s - pw * y) / x.size
        return run

    return BenchCase(label=f"bce_with_logits{tuple(shape)} pw{tuple(pw_shape)}", make=make,
                     torch=torch_fb, numpy=numpy_fb,
                     nbytes=lambda args: 3 * args[0].nbytes)


def _bench_ohem(shape, with_mask=False):
    def make(rng, dt):
        x = rng.uniform(0.001, 0.999, size=shape).astype(dt)
        y = (rng.random(shape) < 0.1).astype(dt)
        args = [x, y]
        if with_mask:
            args.append(rng.random(shape) < 0.95)
        return args, {"negative_ratio": 3.0}

    def torch_fb(args, kwargs):
        import torch
        F = torch.nn.functional
        x = torch.from_numpy(args[0]).requires_grad_(True)
        y = torch.from_numpy(args[1])
        m = torch.from_numpy(args[2].astype(args[0].dtype)) if with_mask else torch.ones_like(y)

        def run():   # DBNet's BalanceCrossEntropyLoss
            x.grad = None
            positive = (y * m).byte()
            negative = ((1 - y) * m).byte()
            npos = int(positive.float().sum())
            nneg = min(int(negative.float().sum()), int(npos * 3.0))
            loss = F.binary_cross_entropy(x, y, reduction="none")
            pos_loss = loss * positive.float()
            neg_loss = (loss * negative.float()).view(-1)
            neg_loss, _ = torch.topk(neg_loss, nneg)
            bal = (pos_loss.sum() + neg_loss.sum()) / (npos + nneg + 1e-6)
            bal.backward()
            return bal
        return run

    def numpy_fb(args, kwargs):
        x, y = args[0], args[1]
        m = args[2] if with_mask else None

        def run():   # NumPy: elementwise loss + gradient, argpartition for the top k
            lx = np.maximum(np.log(x), -100)
            l1 = np.maximum(np.log1p(-x), -100)
            loss = -(y * lx + (1 - y) * l1)
            d = (x - y) / np.maximum(x * (1 - x), 1e-12)
            pos = y >= 0.5
            neg = ~pos
            if m is not None:
                pos &= m
                neg &= m
            npos = int(pos.sum())
            nidx = np.flatnonzero(neg)
            k = min(nidx.size, int(npos * 3.0))
            nl = loss.reshape(-1)[nidx]
            top = nidx[np.argpartition(nl, nl.size - k)[nl.size - k:]] if k else nidx[:0]
            den = npos + k + 1e-6
            value = (loss[pos].sum() + loss.reshape(-1)[top].sum()) / den
            g = np.zeros_like(x)
            g[pos] = d[pos] / den
            g.reshape(-1)[top] = d.reshape(-1)[top] / den
            return value, g
        return run

    return BenchCase(label=f"ohem_bce{tuple(shape)}{' mask' if with_mask else ''}", make=make,
                     torch=torch_fb, numpy=numpy_fb,
                     nbytes=lambda args: 3 * args[0].nbytes + (args[2].nbytes if with_mask else 0))


_SHAPES = [(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2)]

register(Entry(
    name="binary_cross_entropy", func=_binary.binary_cross_entropy, preds=(0,),
    make_inputs=_bce_inputs, shapes=_SHAPES, size_shape=lambda n: (3, n),
    variants=["default", "hard", "weight_full", "weight_last", "weight_chan", "weight_scalar",
              "weight_split"],
    criterion="BCELoss", ctor=(("weight", None), ("reduction", "mean")),
))

register(Entry(
    name="binary_cross_entropy_with_logits", func=_binary.binary_cross_entropy_with_logits,
    preds=(0,), make_inputs=_bcel_inputs, shapes=_SHAPES, size_shape=lambda n: (3, n),
    variants=["default", "hard+pw_chan", "weight_full", "pw_last", "weight_chan+pw_last",
              "weight_scalar+pw_scalar", "pw_split", "weight_last+pw_full"],
    criterion="BCEWithLogitsLoss",
    ctor=(("weight", None), ("reduction", "mean"), ("pos_weight", None)),
    bench=[_bench_bcel((16, 1, 640, 640), (1, 1, 1)), _bench_bcel((4 << 20,), (1,))],
))


def _sm_inputs(rng, shape, dtype, variant):
    scale = 40.0 if variant == "large" else 2.0
    x = (rng.standard_normal(shape) * scale).astype(dtype)
    y = np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(dtype)
    return [x, y], {}


register(Entry(
    name="soft_margin_loss", func=_binary.soft_margin_loss, preds=(0,), make_inputs=_sm_inputs,
    shapes=_SHAPES, size_shape=lambda n: (3, n), variants=["default", "large"],
    criterion="SoftMarginLoss", ctor=(("reduction", "mean"),),
))


def _mlsm_inputs(rng, shape, dtype, variant):
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    y = _hard(rng, shape, dtype, 0.4)
    kw = {}
    if variant == "weight":
        kw["weight"] = (rng.random(shape[-1]) + 0.5).astype(dtype)
    return [x, y], kw


register(Entry(
    name="multilabel_soft_margin_loss", func=_binary.multilabel_soft_margin_loss, preds=(0,),
    make_inputs=_mlsm_inputs, shapes=[(6, 5), (4, 3, 7), (9,), (3, 70)],
    size_shape=lambda n: (3, n), variants=["default", "weight"],
    criterion="MultiLabelSoftMarginLoss", ctor=(("weight", None), ("reduction", "mean")),
))


def _sfocal_inputs(rng, shape, dtype, variant):
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    y = _soft(rng, shape, dtype) if variant == "soft" else _hard(rng, shape, dtype)
    kw = {}
    if variant == "gamma0":
        kw["gamma"] = 0.0
    elif variant == "gamma1.5_noalpha":
        kw.update(gamma=1.5, alpha=-1.0)
    elif variant == "gamma1":
        kw.update(gamma=1.0, alpha=0.6)
    return [x, y], kw


register(Entry(
    name="sigmoid_focal_loss", func=_binary.sigmoid_focal_loss, preds=(0,),
    make_inputs=_sfocal_inputs, shapes=_SHAPES, size_shape=lambda n: (3, n),
    variants=["default", "soft", "gamma0", "gamma1.5_noalpha", "gamma1"],
    criterion="SigmoidFocalLoss", ctor=(("alpha", 0.25), ("gamma", 2.0), ("reduction", "none")),
))


def _smfocal_inputs(rng, shape, dtype, variant):
    ax = -1 if "channels_last" in variant else (1 if len(shape) > 1 else 0)
    C = shape[ax]
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    pos = tuple(s for i, s in enumerate(shape) if i != ax % len(shape))
    t = rng.integers(0, C, size=pos)
    kw = {}
    if ax == -1 and len(shape) > 1:
        kw["axis"] = -1
    if "ignore" in variant and t.size > 1:
        t.reshape(-1)[::3] = -100
    if "weight" in variant:
        kw["weight"] = (rng.random(C) + 0.5).astype(dtype)
    if "alphavec" in variant:
        kw["alpha"] = (rng.random(C) * 0.8 + 0.1).astype(dtype)
    if "alpha0.25" in variant:
        kw["alpha"] = 0.25
    if "gamma0" in variant:
        kw["gamma"] = 0.0
    if "gamma0.5" in variant:
        kw["gamma"] = 0.5
    return [x, t], kw


register(Entry(
    name="softmax_focal_loss", func=_binary.softmax_focal_loss, preds=(0,),
    make_inputs=_smfocal_inputs, shapes=[(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2)],
    size_shape=lambda n: (3, n),
    variants=["default", "weight_ignore", "alphavec", "alpha0.25_gamma0.5", "gamma0",
              "channels_last_weight", "channels_last_alphavec_ignore"],
    criterion="SoftmaxFocalLoss",
    ctor=(("gamma", 2.0), ("alpha", None), ("weight", None), ("ignore_index", -100),
          ("reduction", "mean")),
))


def _bal_inputs(rng, shape, dtype, variant):
    if "logits" in variant:
        x = (rng.standard_normal(shape) * 3).astype(dtype)
    else:
        x = _probs(rng, shape, dtype)
    y = _soft(rng, shape, dtype) if "soft" in variant else _hard(rng, shape, dtype)
    kw = {}
    if "logits" in variant:
        kw["from_logits"] = True
    if "beta" in variant:
        kw["beta"] = 0.3
    return [x, y], kw


register(Entry(
    name="balanced_binary_cross_entropy", func=_binary.balanced_binary_cross_entropy,
    preds=(0,), make_inputs=_bal_inputs, shapes=_SHAPES, size_shape=lambda n: (3, n),
    variants=["default", "logits", "beta", "logits_beta_soft", "soft"],
    criterion="BalancedBCELoss",
    ctor=(("beta", None), ("reduction", "mean"), ("from_logits", False)),
))


def _dice_inputs(rng, shape, dtype, variant):
    if "logits" in variant:
        x = (rng.standard_normal(shape) * 2).astype(dtype)
    else:
        x = _probs(rng, shape, dtype)
    y = _hard(rng, shape, dtype, 0.4)
    kw = {}
    if "logits" in variant:
        kw["from_logits"] = True
    if "linear" in variant:
        kw["squared"] = False
    if "eps" in variant:
        kw["eps"] = 2e-3
    return [x, y], kw


register(Entry(
    name="dice_loss", func=_binary.dice_loss, preds=(0,), make_inputs=_dice_inputs,
    shapes=[(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2)], size_shape=lambda n: (2, n),
    variants=["default", "logits", "linear", "logits_linear_eps"],
    criterion="DiceLoss",
    ctor=(("eps", 1e-3), ("from_logits", False), ("reduction", "mean"), ("squared", True)),
))


def _ohem_inputs(rng, shape, dtype, variant):
    """Inputs without near-ties: x is a shuffled grid, so the negatives' losses
    are well separated and finite differences keep the selection fixed."""
    n = int(np.prod(shape))
    y = _hard(rng, shape, np.float64, 0.15)
    if "soft" in variant:   # soft targets: positives in [0.5, 1], negatives 0.2
        y = np.where(y > 0, 0.5 + 0.5 * rng.random(shape), 0.2)
    if "logits" in variant:
        grid = np.linspace(-4.0, 4.0, n)
    else:
        grid = np.linspace(0.03, 0.97, n)
    x = rng.permutation(grid).reshape(shape)
    args = [x.astype(dtype), y.astype(dtype)]
    kw = {}
    if "mask" in variant:
        args.append(rng.random(shape) < 0.7)
    if "logits" in variant:
        kw["from_logits"] = True
    if "ratio" in variant:
        kw["negative_ratio"] = 1.5
    if "minneg" in variant:
        kw["min_negatives"] = 4
    return args, kw


register(Entry(
    name="ohem_binary_cross_entropy", func=_binary.ohem_binary_cross_entropy, preds=(0,),
    make_inputs=_ohem_inputs, shapes=[(6, 5), (4, 3, 5, 6), (7,), (3, 40, 2)],
    size_shape=lambda n: (3, n),
    variants=["default", "logits", "mask", "soft", "logits_mask_ratio", "minneg"],
    criterion="OHEMBCELoss",
    ctor=(("negative_ratio", 3.0), ("eps", 1e-6), ("from_logits", False), ("min_negatives", 0),
          ("reduction", "mean")),
    bench=[_bench_ohem((16, 1, 640, 640)), _bench_ohem((16, 1, 640, 640), with_mask=True)],
))
