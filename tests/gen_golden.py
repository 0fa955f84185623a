"""Regenerate tests/data/golden_lse.npz: PyTorch's values and gradients for the
log-sum-exp family (softmax, log_softmax, softmin, logsumexp, cross_entropy,
nll_loss).

Inputs are drawn in float32 and float64 with a fixed seed; torch evaluates them
in float64 (float32 results are judged against torch float64 on the same
float32 inputs, SPEC section 2).  No pickles: options are stored as JSON
strings.  Run:  python tests/gen_golden.py
"""
import datetime
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_lse.npz")


def cases(rng):
    """(name, function, arrays dict, options dict)."""
    out = []
    for dt in ("float32", "float64"):
        x = (rng.standard_normal((6, 5)) * 3).astype(dt)
        t = rng.integers(0, 5, 6)
        t[2] = -100
        w = (rng.random(5) + 0.2).astype(dt)
        for red in ("none", "mean", "sum"):
            out.append((f"ce_index_{red}_{dt}", "cross_entropy", {"input": x, "target": t}, {"reduction": red}))
            out.append((f"ce_wls_{red}_{dt}", "cross_entropy", {"input": x, "target": t, "weight": w},
                        {"reduction": red, "label_smoothing": 0.2}))
            out.append((f"nll_w_{red}_{dt}", "nll_loss", {"input": x, "target": t, "weight": w},
                        {"reduction": red}))
        tp = rng.random((6, 5)).astype(dt)
        out.append((f"ce_prob_{dt}", "cross_entropy", {"input": x, "target": tp, "weight": w},
                    {"label_smoothing": 0.1}))
        x4 = rng.standard_normal((2, 3, 4, 5)).astype(dt)
        t4 = rng.integers(0, 3, (2, 4, 5))
        t4[0, 0, :2] = 7
        out.append((f"ce_nchw_{dt}", "cross_entropy", {"input": x4, "target": t4},
                    {"ignore_index": 7, "label_smoothing": 0.05}))
        x1 = rng.standard_normal(7).astype(dt)
        out.append((f"ce_1d_{dt}", "cross_entropy", {"input": x1, "target": np.array(3)}, {}))
        xl = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [5.0, 5.0, 5.0]], dtype=dt)
        if dt == "float64":
            xl[0, :2] = [1e300, -1e300]
        out.append((f"ce_extreme_{dt}", "cross_entropy", {"input": xl, "target": np.array([1, 0, 2])},
                    {"reduction": "none", "label_smoothing": 0.1}))
        for fn in ("softmax", "log_softmax", "softmin"):
            out.append((f"{fn}_{dt}", fn, {"input": x4}, {"dim": 1}))
        out.append((f"logsumexp_{dt}", "logsumexp", {"input": x4}, {"dim": 2}))
    return out


def torch_eval(torch, fn, arrays, opts):
    F = torch.nn.functional
    x = torch.tensor(arrays["input"].astype(np.float64), requires_grad=True)
    kw = dict(opts)
    if fn in ("cross_entropy", "nll_loss"):
        t = arrays["target"]
        t = torch.tensor(t.astype(np.float64)) if t.dtype.kind == "f" else torch.tensor(t)
        if "weight" in arrays:
            kw["weight"] = torch.tensor(arrays["weight"].astype(np.float64))
        y = getattr(F, fn)(x, t, **kw)
    elif fn == "logsumexp":
        y = torch.logsumexp(x, **kw)
    else:
        y = getattr(F, fn)(x, **kw)
    go = torch.linspace(-1, 2, y.numel(), dtype=torch.float64).reshape(y.shape)
    (y * go).sum().backward()
    return y.detach().numpy(), go.numpy(), x.grad.numpy()


def main():
    import torch
    rng = np.random.default_rng(20261124)
    data = {"__torch_version__": np.array(torch.__version__),
            "__date__": np.array(datetime.date.today().isoformat()),
            "__note__": np.array("torch evaluated in float64 on the stored inputs; "
                                 "the dtype suffix is the input (and lossengine compute) dtype")}
    names = []
    for name, fn, arrays, opts in cases(rng):
        y, go, g = torch_eval(torch, fn, arrays, opts)
        names.append(name)
        data[f"{name}/fn"] = np.array(fn)
        data[f"{name}/opts"] = np.array(json.dumps(opts))
        for k, v in arrays.items():
            data[f"{name}/{k}"] = v
        data[f"{name}/out"] = y
        data[f"{name}/grad_output"] = go
        data[f"{name}/grad"] = g
    data["__cases__"] = np.array(names)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {len(names)} cases to {OUT}")


if __name__ == "__main__":
    main()
