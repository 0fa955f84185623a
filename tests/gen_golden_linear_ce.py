"""Writes tests/data/golden_linear_ce.npz: torch's F.cross_entropy(F.linear(x,
w, b), t) values and gradients (x, w, b) for a set of seeded cases.  Run from
the repository root with torch installed:

    python tests/gen_golden_linear_ce.py

Every case k stores case{k}_x, _w, _t, _b (absent without bias), _params
(ignore_index, label_smoothing, reduction, has_go), _go (upstream gradient)
and the results case{k}_loss, _dx, _dw, _db, computed by torch in float64 on
the stored inputs (float32 inputs are stored as float32: the reference for a
float32 call is torch float64 on the same values).  Provenance: torch_version,
date, seed.  No pickles (plain arrays and strings).
"""
import datetime
import os

import numpy as np
import torch

SEED = 20261202

# (lead shape, D, V, bias, ignore, label_smoothing, reduction, dtype, upstream)
CASES = [
    ((7,), 5, 11, True, False, 0.0, "mean", "float64", False),
    ((9,), 6, 13, True, True, 0.1, "sum", "float64", True),
    ((8,), 4, 10, False, True, 0.0, "none", "float64", True),
    ((2, 3), 5, 17, True, False, 0.3, "mean", "float64", False),
    ((33,), 16, 1000, True, True, 0.05, "mean", "float64", False),
    ((1,), 1, 3, True, False, 0.0, "mean", "float64", False),
    ((6,), 1, 4, False, False, 0.2, "none", "float64", True),
    ((20,), 32, 300, True, True, 0.1, "mean", "float32", False),
    ((5,), 8, 129, False, False, 0.0, "none", "float32", True),
    ((300,), 8, 40, True, True, 0.0, "mean", "float64", False),
]


def main():
    rng = np.random.default_rng(SEED)
    out = {"torch_version": np.array(torch.__version__),
           "date": np.array(datetime.date.today().isoformat()),
           "seed": np.array(SEED), "n_cases": np.array(len(CASES))}
    for k, (lead, D, V, has_b, ign, eps, red, dt, has_go) in enumerate(CASES):
        x = rng.standard_normal(lead + (D,)).astype(dt)
        w = (rng.standard_normal((V, D)) * 2 / np.sqrt(D)).astype(dt)
        b = (rng.standard_normal(V) * 0.5).astype(dt) if has_b else None
        t = rng.integers(0, V, size=lead)
        if ign:
            t.reshape(-1)[::4] = -100
        xt, wt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w))
        bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if has_b else None
        loss = torch.nn.functional.cross_entropy(
            torch.nn.functional.linear(xt, wt, bt).reshape(-1, V), torch.from_numpy(t).reshape(-1),
            ignore_index=-100, reduction=red, label_smoothing=eps)
        if red == "none":
            loss = loss.reshape(lead)
        go = rng.standard_normal(lead) if (has_go and red == "none") else (
            np.array(1.7) if has_go else np.array(1.0))
        loss.backward(torch.from_numpy(np.asarray(go, np.float64)) if red == "none"
                      else torch.tensor(float(go), dtype=torch.float64))
        p = f"case{k}_"
        out[p + "x"], out[p + "w"], out[p + "t"] = x, w, t
        if has_b:
            out[p + "b"] = b
            out[p + "db"] = bt.grad.numpy()
        out[p + "params"] = np.array([str(-100), repr(eps), red, str(int(has_go))])
        out[p + "go"] = np.asarray(go, np.float64)
        out[p + "loss"] = loss.detach().numpy()
        out[p + "dx"] = xt.grad.numpy()
        out[p + "dw"] = wt.grad.numpy()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                        "golden_linear_ce.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
