"""Writes tests/data/golden_ctc.npz: torch's ctc_loss values and gradients
(the log_probs-leaf gradient, i.e. lossengine's grad_wrt='logits') for a set
of seeded cases.  Run from the repository root with torch installed:

    python tests/gen_golden_ctc.py

Every case k stores case{k}_log_probs, _targets, _input_lengths,
_target_lengths, _params (blank, zero_infinity), and per reduction r
case{k}_{r}_loss and case{k}_{r}_grad.  Provenance: torch_version, dtype,
date, seed.  No pickles (plain arrays and strings).
"""
import datetime
import os

import numpy as np
import torch

SEED = 20261124
REDUCTIONS = ("none", "mean", "sum")

# (T, N, C, blank, layout, zero_infinity, dtype, kind)
CASES = [
    (10, 4, 5, 0, "padded", False, "float64", "mixed"),
    (10, 4, 5, 0, "concat", False, "float64", "mixed"),
    (12, 3, 6, 3, "padded", False, "float64", "repeats"),
    (8, 5, 4, 0, "padded", True, "float64", "edge"),
    (8, 5, 4, 0, "padded", False, "float64", "edge"),
    (30, 3, 7, 6, "concat", False, "float32", "mixed"),
    (16, 1, 5, 0, "unbatched", False, "float64", "mixed"),
    (60, 2, 20, 0, "padded", False, "float32", "long"),
]


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def make_case(rng, T, N, C, blank, layout, kind):
    lp = _log_softmax(rng.standard_normal((T, N, C)) * 2)
    labels = [c for c in range(C) if c != blank]
    il = rng.integers(T // 2, T + 1, size=N)
    il[0] = T
    tl = np.array([rng.integers(0, il[n] // 2 + 1) for n in range(N)])
    if kind == "edge":      # target_len 0, input_len 0 (both ways), infeasible
        il[1], tl[1] = T, 0
        il[2], tl[2] = 0, 0
        il[3], tl[3] = 0, 2
        il[4], tl[4] = 3, 4
    labs = []
    for n in range(N):
        lab = rng.choice(labels, size=int(tl[n]))
        if kind == "repeats" and tl[n] >= 2:
            lab[1] = lab[0]
        labs.append(lab)
    if layout == "concat":
        targets = np.concatenate(labs + [np.zeros(0, np.int64)]).astype(np.int64)
    else:
        S = max(int(tl.max()), 1) + 1
        targets = np.zeros((N, S), dtype=np.int64)
        for n in range(N):
            targets[n, :tl[n]] = labs[n]
    return lp, targets, il.astype(np.int64), tl.astype(np.int64)


def main():
    rng = np.random.default_rng(SEED)
    out = {"torch_version": np.array(torch.__version__), "seed": np.array(SEED),
           "date": np.array(datetime.date.today().isoformat()),
           "n_cases": np.array(len(CASES))}
    dtypes = []
    for k, (T, N, C, blank, layout, zinf, dtype, kind) in enumerate(CASES):
        lp, targets, il, tl = make_case(rng, T, N, C, blank, layout, kind)
        lp = lp.astype(dtype)
        if layout == "unbatched":
            lp, targets, il, tl = lp[:, 0], targets[0, :tl[0]], il[:1], tl[:1]
        p = f"case{k}_"
        out[p + "log_probs"] = lp
        out[p + "targets"] = targets
        out[p + "input_lengths"] = il
        out[p + "target_lengths"] = tl
        out[p + "params"] = np.array([blank, int(zinf)], dtype=np.int64)
        dtypes.append(dtype)
        for r in REDUCTIONS:
            x = torch.from_numpy(lp.copy()).requires_grad_(True)
            if layout == "unbatched":
                loss = torch.nn.functional.ctc_loss(x, torch.from_numpy(targets),
                                                    torch.from_numpy(il).reshape(()),
                                                    torch.from_numpy(tl).reshape(()),
                                                    blank=blank, reduction=r, zero_infinity=zinf)
            else:
                loss = torch.nn.functional.ctc_loss(x, torch.from_numpy(targets),
                                                    torch.from_numpy(il), torch.from_numpy(tl),
                                                    blank=blank, reduction=r, zero_infinity=zinf)
            loss.sum().backward()
            out[p + r + "_loss"] = loss.detach().numpy()
            out[p + r + "_grad"] = x.grad.numpy()
    out["dtype"] = np.array(dtypes)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_ctc.npz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), torch {torch.__version__}")


if __name__ == "__main__":
    main()
