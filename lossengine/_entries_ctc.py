"""Registry entry of the CTC family."""
import numpy as np

from . import _ctc
from ._registry import BenchCase, Entry, register

_S_CAP = 40     # longest generated target (keeps long-T cases' lattices small)


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _labels(rng, n, C, blank):
    """n labels != blank, with some immediate repeats."""
    choices = np.array([c for c in range(C) if c != blank])
    lab = rng.choice(choices, size=n)
    for k in range(1, n):
        if rng.random() < 0.2:
            lab[k] = lab[k - 1]
    return lab


def _ctc_inputs(rng, shape, dtype, variant):
    """Valid CTC inputs for shape (T, N, C): log_probs = log_softmax(random
    logits), padded targets (padding -1 / 0 beyond each length) unless
    variant 'concat'; sample 0 uses the whole input and the longest target."""
    T, N, C = shape
    unbatched = variant == "unbatched"
    if unbatched:
        N = 1
    blank = 3 if variant == "blank3" and C > 3 else 0
    lp = _log_softmax(rng.standard_normal((T, N, C)) * 2).astype(dtype)
    il = rng.integers(max(1, T - T // 3), T + 1, size=N)
    il[0] = T
    if N > 2:
        il[-1] = rng.integers(0, T + 1)
    tl = np.array([rng.integers(0, min(il[n] // 2, _S_CAP) + 1) for n in range(N)], dtype=np.int64)
    tl[0] = min(T // 2, _S_CAP)
    kw = {}
    if blank:
        kw["blank"] = blank
    if variant == "zero_inf":
        j = N - 1
        il[j] = min(il[j], max(T // 4, 1))
        tl[j] = il[j] + 1          # infeasible: +inf, zeroed by zero_infinity
        kw["zero_infinity"] = True
    labs = [_labels(rng, int(tl[n]), C, blank) for n in range(N)]
    if variant == "concat":
        targets = np.concatenate(labs + [np.zeros(0, np.int64)]).astype(np.int32)
    else:
        S = int(tl.max()) + 2
        targets = np.where(rng.random((N, S)) < 0.5, -1, 0).astype(np.int64)
        for n in range(N):
            targets[n, :tl[n]] = labs[n]
    if unbatched:
        return [lp[:, 0, :], targets[0], int(il[0]), int(tl[0])], kw
    return [lp, targets, il, tl], kw


def _bench_ctc(T, N, C, S, dtype="float32"):
    def make(rng, dt):
        lp = _log_softmax(rng.standard_normal((T, N, C))).astype(dt)
        targets = rng.integers(1, C, size=(N, S))
        il = np.full(N, T, dtype=np.int64)
        tl = np.full(N, S, dtype=np.int64)
        return [lp, targets, il, tl], {"grad_wrt": "logits"}

    def torch_fb(args, kwargs):
        import torch
        lp = torch.from_numpy(args[0]).requires_grad_(True)
        t, il, tl = (torch.from_numpy(a) for a in args[1:])

        def run():
            lp.grad = None
            loss = torch.nn.functional.ctc_loss(lp, t, il, tl)
            loss.backward()
            return loss
        return run

    return BenchCase(label=f"ctc_loss T={T} N={N} C={C} S={S} {dtype}", make=make, dtype=dtype,
                     torch=torch_fb,
                     nbytes=lambda args: 2 * args[0].nbytes + args[1].nbytes)


register(Entry(
    name="ctc_loss", func=_ctc.ctc_loss, preds=(0,),
    make_inputs=_ctc_inputs,
    shapes=[(16, 4, 50), (12, 3, 6), (20, 1, 5), (7, 5, 4), (30, 2, 2), (9, 6, 33)],
    size_shape=lambda n: (2 * n + 1, 2, n + 1),
    variants=["default", "concat", "blank3", "zero_inf", "unbatched"],
    criterion="CTCLoss",
    ctor=(("blank", 0), ("reduction", "mean"), ("zero_infinity", False)),
    bench=[_bench_ctc(50, 16, 20, 30), _bench_ctc(400, 32, 64, 100),
           _bench_ctc(400, 32, 64, 100, "float64")],
    smooth=True,
))
