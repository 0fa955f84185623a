"""Registry entries of the margin / embedding family and the distances.

The hinge-type losses are piecewise: the input generators keep every
argument of a clamp at least ``_GAP`` away from its kink (rows are redrawn
until they are), so the generic finite-difference check applies to them.
"""
import numpy as np

from . import _margin
from ._registry import BenchCase, Entry, register

_GAP = 0.03
_TRIES = 50


def _redraw(rng, x, bad_rows, draw):
    """Redraw the rows of x (first axis; a 1-d x is one row) flagged by bad_rows(x)."""
    for _ in range(_TRIES):
        bad = bad_rows(x)
        if not np.any(bad):
            break
        if x.ndim <= 1:
            x = draw(x.shape)
        else:
            x[bad] = draw((int(np.sum(bad)),) + x.shape[1:])
    return x


# --------------------------------------------------------------- elementwise
def _ranking_inputs(rng, shape, dtype, variant):
    x1 = rng.standard_normal(shape) * 2
    s2 = (1,) + tuple(shape[1:]) if variant == "broadcast" and len(shape) > 1 else shape
    x2 = rng.standard_normal(s2) * 2
    t = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    m = 0.5 if variant == "margin" else 0.0
    z = m - t * (x1 - x2)
    x1 = np.where(np.abs(z) < _GAP, x1 + 0.2, x1)
    kw = {"margin": m} if variant == "margin" else {}
    return [x1.astype(dtype), x2.astype(dtype), t.astype(dtype)], kw


def _hinge_inputs(rng, shape, dtype, variant):
    x = rng.standard_normal(shape) * 2
    if variant == "other_targets":
        t = rng.choice(np.array([-1.0, 1.0, 0.0, 2.0, 0.5]), size=shape)
    else:
        t = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    m = 0.75 if variant == "margin" else 1.0
    x = np.where(np.abs(m - x) < _GAP, x + 0.2, x)
    kw = {"margin": m} if variant == "margin" else {}
    return [x.astype(dtype), t.astype(dtype)], kw


# ---------------------------------------------------------------- class rows
def _multi_inputs(rng, shape, dtype, variant):
    C = shape[-1]
    N = shape[0] if len(shape) == 2 else 1
    t = rng.integers(0, C, size=(N,))
    margin = 0.7 if "margin" in variant else 1.0
    x2 = rng.standard_normal((N, C)) * 1.5

    def bad(x):
        z = margin - np.take_along_axis(x, t[:, None], 1) + x
        np.put_along_axis(z, t[:, None], 1.0, 1)
        return np.any(np.abs(z) < _GAP, axis=1)
    for _ in range(_TRIES):
        b = bad(x2)
        if not b.any():
            break
        x2[b] = rng.standard_normal((int(b.sum()), C)) * 1.5
    x = x2.reshape(shape)
    kw = {}
    if "p2" in variant:
        kw["p"] = 2
    if "margin" in variant:
        kw["margin"] = margin
    if "weight" in variant:
        kw["weight"] = (rng.random(C) + 0.5).astype(dtype)
    tt = t if len(shape) == 2 else t.reshape(())
    return [x.astype(dtype), tt], kw


def _multilabel_target(rng, N, C, dup=False):
    t = np.full((N, C), -1, dtype=np.int64)
    for i in range(N):
        k = int(rng.integers(1, min(C, 4) + 1))
        t[i, :k] = rng.choice(C, size=k, replace=False)
        if dup and k < C:
            t[i, k] = t[i, 0]
        if k + 2 < C:     # entries after the first -1 are ignored
            t[i, k + 2:] = rng.integers(-1, C, size=C - k - 2)
    return t


def _multilabel_inputs(rng, shape, dtype, variant):
    C = shape[-1]
    N = shape[0] if len(shape) == 2 else 1
    t = _multilabel_target(rng, N, C, variant == "dup")
    x2 = rng.standard_normal((N, C)) * 1.5

    def bad(x):
        out = np.zeros(N, bool)
        for i in range(N):
            labs = []
            for v in t[i]:
                if v < 0:
                    break
                labs.append(v)
            nt = np.ones(C, bool)
            nt[labs] = False
            z = 1 - x[i, labs][:, None] + x[i][None, nt]
            out[i] = np.any(np.abs(z) < _GAP)
        return out
    for _ in range(_TRIES):
        b = bad(x2)
        if not b.any():
            break
        x2[b] = rng.standard_normal((int(b.sum()), C)) * 1.5
    return [x2.reshape(shape).astype(dtype), t.reshape(shape)], {}


# ---------------------------------------------------------------- embeddings
def _cosemb_inputs(rng, shape, dtype, variant):
    N = shape[0] if len(shape) == 2 else 1
    D = shape[-1]
    margin = 0.2 if variant == "margin" else 0.0
    x1 = rng.standard_normal((N, D))
    x2 = rng.standard_normal((N, D))
    if variant == "other_targets":
        t = rng.choice(np.array([-1.0, 1.0, 0.0, 2.0]), size=N)
    else:
        t = np.where(rng.random(N) < 0.5, -1.0, 1.0)

    def bad(x):
        c = (x * x2).sum(1) / np.sqrt(((x * x).sum(1) + 1e-12) * ((x2 * x2).sum(1) + 1e-12))
        return np.abs(c - margin) < _GAP
    x1 = _redraw(rng, x1, bad, rng.standard_normal)
    if len(shape) == 2:
        return [x1.astype(dtype), x2.astype(dtype), t.astype(dtype)], \
            ({"margin": margin} if margin else {})
    return [x1[0].astype(dtype), x2[0].astype(dtype), np.asarray(t[0], dtype)], \
        ({"margin": margin} if margin else {})


def _pnorm(u, v, p, eps, axis=-1):
    z = u - v + eps
    if p == 2:
        return np.sqrt((z * z).sum(axis))
    if p == 1:
        return np.abs(z).sum(axis)
    if np.isinf(p):
        return np.abs(z).max(axis)
    return (np.abs(z) ** p).sum(axis) ** (1 / p)


def _cos(u, v, axis=-1, eps=1e-8):
    nu = np.maximum(np.sqrt((u * u).sum(axis)), eps)
    nv = np.maximum(np.sqrt((v * v).sum(axis)), eps)
    return (u * v).sum(axis) / (nu * nv)


_TRIPLET_VARIANTS = {
    "default": {}, "swap": {"swap": True}, "p1": {"p": 1.0}, "p3_swap": {"p": 3.0, "swap": True},
    "pinf": {"p": float("inf")}, "margin_eps": {"margin": 0.5, "eps": 0.0},
}


def _triplet_distance(kw):
    p, eps = kw.get("p", 2.0), kw.get("eps", 1e-6)
    return lambda u, v: _pnorm(u, v, p, eps)


def _triplet_arrays(rng, shape, dtype, dist, swap, margin):
    N = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    D = shape[-1] if shape else 1
    a = rng.standard_normal((N, D))
    p = a + rng.standard_normal((N, D)) * 0.8
    n = rng.standard_normal((N, D)) * 1.2

    def bad(x):
        dap, dan = dist(a, p), dist(a, x)
        b = np.abs(margin + dap - dan) < _GAP
        if swap:
            b |= np.abs(dan - dist(p, x)) < _GAP
        # keep |a - x| and |p - x| away from 0 elementwise (kinks of the 1- and inf-norms)
        b |= np.any(np.abs(a - x) < 2e-3, axis=1) | np.any(np.abs(p - x) < 2e-3, axis=1)
        return b
    n = _redraw(rng, n, bad, lambda s: rng.standard_normal(s) * 1.2)
    return [v.reshape(shape).astype(dtype) for v in (a, p, n)]


def _triplet_inputs(rng, shape, dtype, variant):
    kw = dict(_TRIPLET_VARIANTS[variant])
    return _triplet_arrays(rng, shape, dtype, _triplet_distance(kw), kw.get("swap", False),
                           kw.get("margin", 1.0)), kw


def _twd_variants():
    return ["default", "manhattan_swap", "cosine", "cosine_similarity_fn",
            "pairwise_distance_fn_swap"]


def _twd_inputs(rng, shape, dtype, variant):
    kw = {}
    dist = lambda u, v: _pnorm(u, v, 2.0, 1e-6)  # noqa: E731
    if variant.startswith("manhattan"):
        kw["distance_function"] = "manhattan"
        dist = lambda u, v: _pnorm(u, v, 1.0, 1e-6)  # noqa: E731
    elif variant == "cosine":
        kw["distance_function"] = "cosine"
        dist = lambda u, v: 1 - _cos(u, v)  # noqa: E731
    elif variant == "cosine_similarity_fn":
        kw["distance_function"] = _margin.cosine_similarity
        dist = _cos
    elif variant.startswith("pairwise_distance_fn"):
        kw["distance_function"] = _margin.pairwise_distance
    if variant.endswith("swap"):
        kw["swap"] = True
    return _triplet_arrays(rng, shape, dtype, dist, kw.get("swap", False), 1.0), kw


# ---------------------------------------------------------------- distances
def _pd_inputs(rng, shape, dtype, variant):
    x1 = rng.standard_normal(shape)
    s2 = (1,) + tuple(shape[1:]) if variant == "broadcast" and len(shape) > 1 else shape
    x2 = rng.standard_normal(s2)
    kw = {"p": 1.0} if variant == "p1" else {"p": 3.0} if variant == "p3" else \
        {"keepdim": True} if variant == "keepdim" else {}
    # elementwise differences away from 0 (the 1-norm's kinks)
    x1 = np.where(np.abs(x1 - x2) < 2e-3, x1 + 0.1, x1)
    return [x1.astype(dtype), x2.astype(dtype)], kw


def _cs_inputs(rng, shape, dtype, variant):
    x1 = rng.standard_normal(shape)
    s2 = (1,) + tuple(shape[1:]) if variant == "broadcast" and len(shape) > 1 else shape
    x2 = rng.standard_normal(s2)
    kw = {}
    if len(shape) == 1:
        kw["axis"] = 0
    elif variant == "axis-1":
        kw["axis"] = -1
    elif variant == "axis0":
        kw["axis"] = 0
    elif variant == "eps":
        kw["eps"] = 0.5      # some norms below eps: the clamped branch
    return [x1.astype(dtype), x2.astype(dtype)], kw


# ---------------------------------------------------------------- bench cases
def _torch_fb(fn, n_pred, **tkw):
    def build(args, kwargs):
        import torch
        ts = [torch.from_numpy(a) for a in args]
        for t in ts[:n_pred]:
            t.requires_grad_(True)

        def run():
            for t in ts[:n_pred]:
                t.grad = None
            loss = getattr(torch.nn.functional, fn)(*ts, **tkw)
            loss.backward()
            return loss
        return run
    return build


def _jax_fb(make_loss, n_pred):
    def build(args, kwargs):
        import jax
        import jax.numpy as jnp
        loss = make_loss(jnp, args)
        f = jax.jit(jax.value_and_grad(loss, argnums=tuple(range(n_pred))))
        dev = [jax.device_put(a) for a in args]
        f(*dev)[0].block_until_ready()

        def run():
            v, g = f(*dev)
            jax.block_until_ready((v, g))
            return v
        return run
    return build


def _jax_triplet(jnp, args):
    def loss(a, p, n):
        dap = jnp.sqrt(jnp.sum((a - p + 1e-6) ** 2, -1))
        dan = jnp.sqrt(jnp.sum((a - n + 1e-6) ** 2, -1))
        return jnp.mean(jnp.maximum(1.0 + dap - dan, 0.0))
    return loss


def _jax_multi_margin(jnp, args):
    t = args[1]

    def loss(x, t):
        C = x.shape[1]
        xy = jnp.take_along_axis(x, t[:, None], 1)
        z = jnp.maximum(1.0 - xy + x, 0.0)
        z = jnp.where(jnp.arange(C)[None, :] == t[:, None], 0.0, z)
        return jnp.mean(jnp.sum(z, 1) / C)
    del t
    return loss


def _jax_multilabel(jnp, args):
    t = args[1]
    K = int(np.max(np.argmax(np.concatenate([t, -np.ones((t.shape[0], 1), t.dtype)], 1) < 0,
                             axis=1)))   # most labels in a row (static)

    def loss(x, t):
        N, C = x.shape
        tk = t[:, :K]
        valid = jnp.cumprod(tk >= 0, axis=1).astype(x.dtype)            # (N, K)
        lab = jnp.clip(tk, 0, C - 1)
        is_t = jnp.zeros((N, C), x.dtype).at[jnp.arange(N)[:, None], lab].max(valid)
        xy = jnp.take_along_axis(x, lab, 1)                                # (N, K)
        z = jnp.maximum(1.0 - xy[:, :, None] + x[:, None, :], 0.0)         # (N, K, C)
        z = z * valid[:, :, None] * (1.0 - is_t)[:, None, :]
        return jnp.mean(jnp.sum(z, (1, 2)) / C)
    return loss


def _jax_cosemb(jnp, args):
    def loss(x1, x2, y):
        p = jnp.sum(x1 * x2, 1)
        c = p / jnp.sqrt((jnp.sum(x1 * x1, 1) + 1e-12) * (jnp.sum(x2 * x2, 1) + 1e-12))
        l = jnp.where(y == 1, 1 - c, jnp.where(y == -1, jnp.maximum(c, 0.0), 0.0))
        return jnp.mean(l)
    return loss


def _bench_triplet(N=4096, D=128, dtype="float32"):
    def make(rng, dt):
        return [rng.standard_normal((N, D)).astype(dt) for _ in range(3)], {}
    return BenchCase(label=f"triplet_margin_loss({N}, {D}) {dtype}", make=make, dtype=dtype,
                     torch=_torch_fb("triplet_margin_loss", 3), jax=_jax_fb(_jax_triplet, 3),
                     nbytes=lambda args: 2 * sum(a.nbytes for a in args))


def _bench_multi_margin(N=4096, C=1000, dtype="float32"):
    def make(rng, dt):
        return [rng.standard_normal((N, C)).astype(dt), rng.integers(0, C, size=N)], {}
    return BenchCase(label=f"multi_margin_loss({N}, {C}) {dtype}", make=make, dtype=dtype,
                     torch=_torch_fb("multi_margin_loss", 1),
                     jax=_jax_fb(_jax_multi_margin, 1),
                     nbytes=lambda args: 2 * args[0].nbytes + args[1].nbytes)


def _bench_multilabel(N=1024, C=100, labels=5, dtype="float32"):
    def make(rng, dt):
        t = np.full((N, C), -1, dtype=np.int64)
        for i in range(N):
            t[i, :labels] = rng.choice(C, size=labels, replace=False)
        return [rng.standard_normal((N, C)).astype(dt), t], {}
    return BenchCase(label=f"multilabel_margin_loss({N}, {C}) {labels} labels {dtype}",
                     make=make, dtype=dtype, torch=_torch_fb("multilabel_margin_loss", 1),
                     jax=_jax_fb(_jax_multilabel, 1),
                     nbytes=lambda args: 2 * args[0].nbytes + args[1].nbytes)


def _bench_cosemb(N=4096, D=256, dtype="float32"):
    def make(rng, dt):
        y = np.where(rng.random(N) < 0.5, -1.0, 1.0).astype(dt)
        return [rng.standard_normal((N, D)).astype(dt), rng.standard_normal((N, D)).astype(dt),
                y], {}
    return BenchCase(label=f"cosine_embedding_loss({N}, {D}) {dtype}", make=make, dtype=dtype,
                     torch=_torch_fb("cosine_embedding_loss", 2), jax=_jax_fb(_jax_cosemb, 2),
                     nbytes=lambda args: 2 * (args[0].nbytes + args[1].nbytes))


# ---------------------------------------------------------------- entries
_SIZE2 = lambda n: (3, n)  # noqa: E731

register(Entry(
    name="margin_ranking_loss", func=_margin.margin_ranking_loss, preds=(0, 1),
    make_inputs=_ranking_inputs, shapes=[(6, 5), (7,), (2, 3, 4)], size_shape=lambda n: (n,),
    variants=["default", "margin", "broadcast"], criterion="MarginRankingLoss",
    ctor=(("margin", 0.0), ("reduction", "mean")),
))

register(Entry(
    name="hinge_embedding_loss", func=_margin.hinge_embedding_loss, preds=(0,),
    make_inputs=_hinge_inputs, shapes=[(6, 5), (7,), (2, 3, 4)], size_shape=lambda n: (n,),
    variants=["default", "other_targets", "margin"], criterion="HingeEmbeddingLoss",
    ctor=(("margin", 1.0), ("reduction", "mean")),
))

register(Entry(
    name="multi_margin_loss", func=_margin.multi_margin_loss, preds=(0,),
    make_inputs=_multi_inputs, shapes=[(6, 5), (7,), (3, 40)], size_shape=_SIZE2,
    variants=["default", "p2", "weight", "p2_weight_margin"], criterion="MultiMarginLoss",
    ctor=(("p", 1), ("margin", 1.0), ("weight", None), ("reduction", "mean")),
    bench=[_bench_multi_margin()],
))

register(Entry(
    name="multilabel_margin_loss", func=_margin.multilabel_margin_loss, preds=(0,),
    make_inputs=_multilabel_inputs, shapes=[(6, 5), (7,), (3, 40)], size_shape=_SIZE2,
    variants=["default", "dup"], criterion="MultiLabelMarginLoss",
    ctor=(("reduction", "mean"),),
    bench=[_bench_multilabel()],
))

register(Entry(
    name="cosine_embedding_loss", func=_margin.cosine_embedding_loss, preds=(0, 1),
    make_inputs=_cosemb_inputs, shapes=[(6, 5), (7,), (3, 40)], size_shape=_SIZE2,
    variants=["default", "margin", "other_targets"], criterion="CosineEmbeddingLoss",
    ctor=(("margin", 0.0), ("reduction", "mean")),
    bench=[_bench_cosemb()],
))

register(Entry(
    name="triplet_margin_loss", func=_margin.triplet_margin_loss, preds=(0, 1, 2),
    make_inputs=_triplet_inputs, shapes=[(6, 5), (7,), (3, 40), (2, 3, 4)], size_shape=_SIZE2,
    variants=list(_TRIPLET_VARIANTS), criterion="TripletMarginLoss",
    ctor=(("margin", 1.0), ("p", 2.0), ("eps", 1e-6), ("swap", False), ("reduction", "mean")),
    bench=[_bench_triplet()],
))

register(Entry(
    name="triplet_margin_with_distance_loss", func=_margin.triplet_margin_with_distance_loss,
    preds=(0, 1, 2), make_inputs=_twd_inputs, shapes=[(6, 5), (7,), (3, 40)],
    size_shape=_SIZE2, variants=_twd_variants(), criterion="TripletMarginWithDistanceLoss",
    ctor=(("distance_function", None), ("margin", 1.0), ("swap", False), ("reduction", "mean")),
))

register(Entry(
    name="pairwise_distance", func=_margin.pairwise_distance, preds=(0, 1),
    make_inputs=_pd_inputs, shapes=[(6, 5), (7,), (2, 3, 4)], size_shape=_SIZE2,
    variants=["default", "p1", "p3", "keepdim", "broadcast"], reductions=(), kind="activation",
))

register(Entry(
    name="cosine_similarity", func=_margin.cosine_similarity, preds=(0, 1),
    make_inputs=_cs_inputs, shapes=[(6, 5), (3, 4, 5), (7,)], size_shape=_SIZE2,
    variants=["default", "axis-1", "axis0", "broadcast", "eps"], reductions=(),
    kind="activation",
))
