"""Registry entry of the fused linear + cross-entropy.

Shapes are ``(N, D, V)`` (rows, features, classes) or ``(B, N, D, V)`` for a
batched ``(B, N, D)`` input; args are ``[input, weight, target, bias]``."""
import numpy as np

from . import _linear_ce
from ._registry import BenchCase, Entry, register


def _lce_inputs(rng, shape, dtype, variant):
    *lead, D, V = shape
    x = rng.standard_normal(tuple(lead) + (D,)).astype(dtype)
    w = (rng.standard_normal((V, D)) * (2.0 / np.sqrt(max(D, 1)))).astype(dtype)
    b = (rng.standard_normal(V) * 0.5).astype(dtype)
    t = rng.integers(0, V, size=tuple(lead))
    kw = {}
    if "ignore" in variant and t.size > 1:
        t.reshape(-1)[::3] = -100
    if "smooth" in variant:
        kw["label_smoothing"] = 0.2
    if "tile" in variant:
        kw["tile"] = 3
    return [x, w, t, b], kw


def _bench_lce(N, D, V, dtype="float32"):
    def make(rng, dt):
        x = rng.standard_normal((N, D)).astype(dt)
        w = (rng.standard_normal((V, D)) / np.sqrt(D)).astype(dt)
        b = (rng.standard_normal(V) * 0.1).astype(dt)
        t = rng.integers(0, V, size=N)
        return [x, w, t, b], {}

    def torch_fb(args, kwargs):
        import torch
        x, w, b = (torch.from_numpy(a).requires_grad_(True) for a in (args[0], args[1], args[3]))
        t = torch.from_numpy(args[2])

        def run():
            x.grad = w.grad = b.grad = None
            loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(x, w, b), t)
            loss.backward()
            return loss
        return run

    def numpy_fb(args, kwargs):
        # unfused: the (N, V) logits and their gradient exist in full
        from . import _lse
        x, w, t, b = args

        def run():
            logits = x @ w.T
            logits += b
            loss, g = _lse.cross_entropy(logits, t, grad=True)
            return loss, g @ w, g.T @ x, g.sum(axis=0)
        return run

    return BenchCase(label=f"linear_cross_entropy N={N} D={D} V={V} {dtype}", make=make,
                     dtype=dtype, torch=torch_fb, numpy=numpy_fb,
                     nbytes=lambda args: 2 * (args[0].nbytes + args[1].nbytes + args[3].nbytes))


register(Entry(
    name="linear_cross_entropy", func=_linear_ce.linear_cross_entropy, preds=(0, 1, 3),
    make_inputs=_lce_inputs,
    shapes=[(6, 5, 7), (2, 3, 4, 9), (1, 1, 3), (9, 1, 130), (130, 3, 5)],
    size_shape=lambda n: (3, n, n + 2),
    variants=["default", "ignore", "smooth", "ignore_smooth", "tile"],
    criterion="LinearCrossEntropyLoss",
    ctor=(("ignore_index", -100), ("reduction", "mean"), ("label_smoothing", 0.0),
          ("tile", None)),
    bench=[_bench_lce(4096, 1024, 32768), _bench_lce(1024, 512, 32768)],
))
