"""Writes tests/data/golden_pointwise.npz: values and gradients from PyTorch for
the elementwise losses and the activations (python tests/gen_golden_pointwise.py).

Seeded inputs, including the kinks (x == target, |x - target| == beta/delta,
relu/hardtanh/threshold/softshrink break points) and a few NaN.  Each case
stores its function name, keyword arguments (JSON), the arguments, the upstream
gradient and torch's result and gradients, in float32 and float64.  No pickles:
every entry is a plain numeric or string array.  Provenance: torch version,
generation date, seed.
"""
import datetime
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261124
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "golden_pointwise.npz")

TORCH_NAMES = {"log_sigmoid": F.logsigmoid, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def torch_fn(name):
    return TORCH_NAMES.get(name) or getattr(F, name)


def cases(rng):
    """(key, function, args, preds, kwargs, reduction-or-None)."""
    out = []
    shape = (4, 6)
    x = rng.standard_normal(shape) * 2
    t = rng.standard_normal(shape) * 2
    # exact kinks: x == t, |x - t| == 1, == 0.5
    x[0, 0] = t[0, 0]
    x[0, 1] = t[0, 1] + 1.0
    x[0, 2] = t[0, 2] - 1.0
    x[0, 3] = t[0, 3] + 0.5
    x[0, 4] = t[0, 4] - 0.5
    w = rng.random(shape) + 0.2
    for red in ("none", "mean", "sum"):
        for name in ("l1_loss", "mse_loss"):
            out.append((f"{name}-{red}", name, [x, t], (0,), {"reduction": red}))
            out.append((f"{name}-w-{red}", name, [x, t], (0,), {"reduction": red, "weight": w}))
            out.append((f"{name}-bc-{red}", name, [x, t[:1]], (0,), {"reduction": red}))
        for beta in (1.0, 0.5, 0.0):
            out.append((f"smooth_l1_loss-b{beta}-{red}", "smooth_l1_loss", [x, t], (0,),
                        {"reduction": red, "beta": beta}))
        for delta in (1.0, 0.5):
            out.append((f"huber_loss-d{delta}-{red}", "huber_loss", [x, t], (0,),
                        {"reduction": red, "delta": delta}))
        out.append((f"huber_loss-w-{red}", "huber_loss", [x, t], (0,),
                    {"reduction": red, "delta": 0.7, "weight": w}))
        out.append((f"huber_loss-bc-{red}", "huber_loss", [x[:1], t], (0,), {"reduction": red}))
        cnt = rng.integers(0, 6, size=shape).astype(np.float64)
        cnt[0, :3] = [0.0, 1.0, 2.0]
        xp = rng.random(shape) * 3
        for log_input in (True, False):
            for full in (False, True):
                xi = x * 0.5 if log_input else xp
                out.append((f"poisson_nll_loss-{log_input}-{full}-{red}", "poisson_nll_loss",
                            [xi, cnt], (0,), {"reduction": red, "log_input": log_input,
                                              "full": full}))
        v = rng.random(shape) * 2
        v[0, 0] = 0.0
        v[0, 1] = 1e-7           # clamped to eps
        for full in (False, True):
            out.append((f"gaussian-{full}-{red}", "gaussian_nll_loss", [x, t, v], (0, 2),
                        {"reduction": red, "full": full}))
        out.append((f"gaussian-last-{red}", "gaussian_nll_loss", [x, t, v[:, 0]], (0, 2),
                    {"reduction": red}))
        out.append((f"gaussian-one-{red}", "gaussian_nll_loss", [x, t, v[:1]], (0, 2),
                    {"reduction": red, "eps": 0.01}))
        out.append((f"gaussian-scalar-{red}", "gaussian_nll_loss", [x, t, 0.75], (0,),
                    {"reduction": red}))
    z = rng.standard_normal((5, 7))
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = rng.random((5, 7))
    p[:, 0] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    for red in ("none", "mean", "sum", "batchmean"):
        out.append((f"kl_div-{red}", "kl_div", [lp, p], (0,), {"reduction": red}))
        out.append((f"kl_div-log-{red}", "kl_div", [lp, np.log(p + 1e-3)], (0,),
                    {"reduction": red, "log_target": True}))
    # activations, with the kinks and a NaN
    a = rng.standard_normal((3, 5, 4)) * 3
    a.reshape(-1)[:12] = [0.0, 6.0, -1.0, 1.0, 0.5, -0.5, 1.5, -1.5, -2.0, 0.25, 30.0, np.nan]
    acts = [("sigmoid", {}), ("log_sigmoid", {}), ("softplus", {}),
            ("softplus", {"beta": 2.0, "threshold": 3.0}), ("relu", {}), ("relu6", {}),
            ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
            ("elu", {"alpha": 2.0}), ("threshold", {"threshold": 0.5, "value": -2.0}),
            ("hardtanh", {}), ("hardtanh", {"min_val": -2.0, "max_val": 1.5}), ("tanh", {}),
            ("softshrink", {}), ("softshrink", {"lambd": 1.5}), ("softsign", {})]
    for name, kw in acts:
        key = name + "".join(f"-{k}{v}" for k, v in kw.items())
        out.append((key, name, [a], (0,), kw))
    out.append(("prelu-C", "prelu", [a, rng.random(5) * 0.5], (0, 1), {}))
    out.append(("prelu-1", "prelu", [a, np.array([0.25])], (0, 1), {}))
    return out


def run_torch(name, args, preds, kw, dtype, go):
    targs = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            ta = torch.tensor(a.astype(dtype))
            if i in preds:
                ta.requires_grad_(True)
            targs.append(ta)
        else:
            targs.append(a)
    tkw = {k: (torch.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v)
           for k, v in kw.items()}
    y = torch_fn(name)(*targs, **tkw)
    y.backward(torch.tensor(go.astype(dtype)).reshape(y.shape))
    return y.detach().numpy(), [targs[i].grad.numpy() for i in preds]


def main():
    rng = np.random.default_rng(SEED)
    data = {"meta/torch": np.array(torch.__version__),
            "meta/date": np.array(datetime.datetime.now(datetime.timezone.utc).isoformat()),
            "meta/seed": np.array(SEED)}
    keys = []
    for key, name, args, preds, kw in cases(rng):
        for dt in ("float32", "float64"):
            k = f"{key}/{dt}"
            keys.append(k)
            shape_out = None
            # upstream gradient: a random array for unreduced outputs, 1.7 for reduced
            y0, _ = run_torch(name, args, preds, kw, dt, np.array(1.0)) \
                if kw.get("reduction", "none") != "none" else (None, None)
            if y0 is not None:
                go = np.array(1.7)
            else:
                y1 = torch_fn(name)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a
                                      for a in args],
                                    **{kk: (torch.tensor(v) if isinstance(v, np.ndarray) else v)
                                       for kk, v in kw.items()})
                shape_out = tuple(y1.shape)
                go = rng.standard_normal(shape_out)
            y, grads = run_torch(name, args, preds, kw, dt, go)
            data[f"{k}/func"] = np.array(name)
            data[f"{k}/kwargs"] = np.array(json.dumps(
                {kk: v for kk, v in kw.items() if not isinstance(v, np.ndarray)}))
            for kk, v in kw.items():
                if isinstance(v, np.ndarray):
                    data[f"{k}/kw_{kk}"] = v.astype(dt)
            for i, a in enumerate(args):
                data[f"{k}/arg{i}"] = a.astype(dt) if isinstance(a, np.ndarray) else np.array(a)
            data[f"{k}/scalar_args"] = np.array([i for i, a in enumerate(args)
                                                 if not isinstance(a, np.ndarray)], dtype=np.int64)
            data[f"{k}/preds"] = np.array(preds, dtype=np.int64)
            data[f"{k}/grad_output"] = go.astype(dt)
            data[f"{k}/out"] = y
            for j, g in enumerate(grads):
                data[f"{k}/grad{j}"] = g
    data["meta/keys"] = np.array(keys)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {len(keys)} cases to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
