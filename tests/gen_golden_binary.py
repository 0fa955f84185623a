"""Write tests/data/golden_binary.npz: values and gradients from PyTorch for the
binary family (torch losses directly; the beyond-torch losses written with
torch ops and differentiated by autograd).  Seeded; provenance stored in the
file (torch/numpy versions, date); no pickles.

    python tests/gen_golden_binary.py
"""
import datetime
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_binary.npz")


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def sigmoid_focal(x, y, alpha=0.25, gamma=2.0, reduction="none"):   # torchvision's formula
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def softmax_focal(x, t, gamma=2.0, alpha=None, reduction="mean"):
    lp = torch.log_softmax(x, dim=1).gather(1, t.unsqueeze(1)).squeeze(1)
    a = 1.0 if alpha is None else torch.as_tensor(alpha, dtype=x.dtype)[t]
    loss = -a * (1 - lp.exp()) ** gamma * lp
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def dice(x, y, eps=1e-3, reduction="mean"):
    n = x.shape[0]
    p, q = x.reshape(n, -1), y.reshape(n, -1)
    loss = 1 - 2 * (p * q).sum(1) / ((p * p).sum(1) + (q * q).sum(1) + eps)
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def balanced(x, y, reduction="mean"):
    n = x.shape[0]
    beta = (1 - y.reshape(n, -1).mean(1)).reshape((n,) + (1,) * (x.dim() - 1))
    loss = -(beta * y * torch.clamp(torch.log(x), min=-100)
             + (1 - beta) * (1 - y) * torch.clamp(torch.log1p(-x), min=-100))
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def ohem(x, y, ratio=3.0, eps=1e-6):   # DBNet's BalanceCrossEntropyLoss (no ties in the data)
    positive = (y >= 0.5).to(x.dtype)
    negative = 1 - positive
    npos = int(positive.sum())
    nneg = min(int(negative.sum()), int(npos * ratio))
    loss = F.binary_cross_entropy(x, y, reduction="none")
    neg, _ = (loss * negative).reshape(-1).topk(nneg)
    return ((loss * positive).sum() + neg.sum()) / (npos + nneg + eps)


def main():
    rng = np.random.default_rng(20260)
    data = {}

    def record(key, fn, x, *rest):
        for dt in ("float32", "float64"):
            xa = x.astype(dt)
            xt = _t(xa).requires_grad_(True)
            args = [(_t(r.astype(dt)) if isinstance(r, np.ndarray) and r.dtype.kind == "f"
                     else (_t(r) if isinstance(r, np.ndarray) else r)) for r in rest]
            # torch float64 on the same (float32-rounded) inputs is the reference
            x64 = _t(xa.astype(np.float64)).requires_grad_(True)
            args64 = [(a.double() if torch.is_tensor(a) and a.is_floating_point() else a)
                      for a in args]
            out = fn(x64, *args64)
            out.sum().backward()
            k = f"{key}/{dt}"
            data[k + "/x"] = xa
            for i, r in enumerate(rest):
                if isinstance(r, np.ndarray):
                    data[k + f"/arg{i}"] = r.astype(dt) if r.dtype.kind == "f" else r
            data[k + "/loss"] = out.detach().numpy()
            data[k + "/grad"] = x64.grad.numpy()
            del xt

    shape = (2, 3, 4, 5)
    p = rng.uniform(0.02, 0.98, shape)
    ys = rng.random(shape)
    yh = (rng.random(shape) < 0.3).astype(np.float64)
    z = rng.standard_normal(shape) * 3
    w = rng.random((3, 1, 1)) + 0.5
    pw = rng.random(5) * 3 + 0.5
    for red in ("none", "mean", "sum"):
        record(f"binary_cross_entropy/{red}",
               lambda x, y, w: F.binary_cross_entropy(x, y, w, reduction=red), p, ys, w)
        record(f"binary_cross_entropy_with_logits/{red}",
               lambda x, y, w, pw: F.binary_cross_entropy_with_logits(
                   x, y, w, reduction=red, pos_weight=pw), z, ys, w, pw)
        record(f"soft_margin_loss/{red}",
               lambda x, y: F.soft_margin_loss(x, y, reduction=red), z, np.sign(ys - 0.5))
        record(f"multilabel_soft_margin_loss/{red}",
               lambda x, y, w: F.multilabel_soft_margin_loss(x, y, w, reduction=red),
               z.reshape(6, 20), yh.reshape(6, 20), rng.random(20) + 0.5)
        record(f"sigmoid_focal_loss/{red}",
               lambda x, y: sigmoid_focal(x, y, reduction=red), z, yh)
        t = rng.integers(0, 3, size=(2, 4, 5))
        record(f"softmax_focal_loss/{red}",
               lambda x, t: softmax_focal(x, t, gamma=2.0, alpha=[0.2, 0.5, 0.3], reduction=red),
               z[:, :3].copy(), t)
        record(f"dice_loss/{red}", lambda x, y: dice(x, y, reduction=red), p, yh)
        record(f"balanced_binary_cross_entropy/{red}",
               lambda x, y: balanced(x, y, reduction=red), p, yh)
    grid = rng.permutation(np.linspace(0.03, 0.97, 400)).reshape(4, 1, 10, 10)
    record("ohem_binary_cross_entropy/mean", lambda x, y: ohem(x, y), grid,
           (rng.random((4, 1, 10, 10)) < 0.15).astype(np.float64))
    data["meta/torch_version"] = np.array(torch.__version__)
    data["meta/numpy_version"] = np.array(np.__version__)
    data["meta/date"] = np.array(datetime.date.today().isoformat())
    data["meta/seed"] = np.array(20260)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT}: {len(data)} arrays, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
