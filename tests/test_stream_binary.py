"""The binary family with the output cache and streaming stores.

Dice's gradient pass on probabilities streams large gradients whose pages are
present: bitwise the same values as ordinary stores.  The other kernels of
csrc/bce.c keep ordinary stores; their large outputs come from the cache, and
a call that reuses cached memory gives bitwise the results of a fresh one."""
import gc

import numpy as np
import pytest

import lossengine as le
from lossengine import _binary, _core, _runtime

LEVELS = ("baseline", "avx2", "avx512")
LEVELS_HERE = LEVELS[:LEVELS.index(le.best_isa()) + 1]
# > 32 MiB per output, odd tails (not a multiple of a block or a vector)
N = {np.float32: (1 << 23) + 37, np.float64: (1 << 22) + 5}
_STREAM_GRAD = 2


@pytest.fixture(params=LEVELS_HERE)
def level(request):
    prev = _runtime._set_isa(request.param)
    yield request.param
    _runtime._set_isa(prev)


@pytest.fixture
def cache():
    prev = le.get_output_cache()["limit"]
    le.empty_output_cache()
    le.set_output_cache(1 << 30)
    yield
    le.empty_output_cache()
    le.set_output_cache(prev)


def _same(a, b):
    """Bitwise equality (signed zeros and NaN payloads included)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _out(n, dt, offset, fill):
    """n elements starting `offset` elements past a 64-byte boundary
    (streaming stores the unaligned head and tail normally), pre-filled so an
    element left unwritten shows."""
    dt = np.dtype(dt)
    raw = np.empty((n + offset) * dt.itemsize + 64, np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start:start + (n + offset) * dt.itemsize].view(dt)[offset:]
    out.fill(fill)
    return out


# ---------------------------------------------------------------- dice
def _run_dice(x, y, go, N_, L, stream, goffs, fl, sq, nt):
    dt = x.dtype
    losses = np.full(N_, np.nan, dt)
    g = _out(N_ * L, dt, goffs, np.nan if stream else 7.0)
    st, total = _core.dice(x, y, go, losses, g, N_, L, 1e-3, 0.5, 1.0 / N_, sq, fl, nt, stream)
    assert st == 0
    return total, losses, g


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dice_streamed_match(level, dt):
    rng = np.random.default_rng(5)
    # one sample, or several whose boundaries fall inside cache lines
    for N_, extra in ((1, 0), (3, 11)):
        L = N[dt] // N_ + extra
        y = (rng.random(N_ * L) < 0.4).astype(dt)
        go = rng.standard_normal(N_).astype(dt)
        for fl, sq in ((0, 1), (0, 0), (1, 1)):
            x = ((rng.standard_normal(N_ * L) * 2) if fl else rng.random(N_ * L)).astype(dt)
            for goa, goffs, nt in ((None, 1, 2), (go, 0, 2), (None, 3, 1), (go, 5, 3)):
                t0, l0, g0 = _run_dice(x, y, goa, N_, L, 0, goffs, fl, sq, nt)
                t1, l1, g1 = _run_dice(x, y, goa, N_, L, _STREAM_GRAD, goffs, fl, sq, nt)
                assert _same(t0, t1) and _same(l0, l1) and _same(g0, g1)
                assert np.isfinite(g0).all() and np.isfinite(l0).all()


def test_dice_small_gradient_not_streamed_still_matches():
    """Below the streaming threshold the bit is ignored."""
    rng = np.random.default_rng(6)
    x = rng.random(3 * 1001).astype(np.float32)
    y = (rng.random(3 * 1001) < 0.4).astype(np.float32)
    a = _run_dice(x, y, None, 3, 1001, 0, 1, 0, 1, 2)
    b = _run_dice(x, y, None, 3, 1001, _STREAM_GRAD, 1, 0, 1, 2)
    assert all(_same(u, v) for u, v in zip(a, b))


def test_dice_passes_the_stream_bit_on_reuse(cache, monkeypatch):
    seen = []
    real = _core.dice

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(_binary._binary, "dice", spy)
    rng = np.random.default_rng(2)
    n = N[np.float32]
    x = rng.random((2, n // 2)).astype(np.float32)
    y = (rng.random((2, n // 2)) < 0.3).astype(np.float32)
    go = np.array([0.5, -2.0], np.float32)
    for kw in ({}, {"reduction": "none", "grad_output": go}, {"from_logits": True}):
        le.empty_output_cache()
        seen.clear()
        l0, g0 = le.dice_loss(x, y, grad=True, **kw)
        l0, g0 = np.copy(l0), g0.copy()
        gc.collect()
        l1, g1 = le.dice_loss(x, y, grad=True, **kw)
        assert seen == [0, _STREAM_GRAD]
        assert _same(l0, l1) and _same(g0, g1)
        del l1, g1
        gc.collect()
        # the user's own contiguous buffer: present pages, streamed too
        gbuf = np.empty_like(x)
        l2, g2 = le.dice_loss(x, y, grad=True, grad_out=gbuf, **kw)
        assert seen[-1] == _STREAM_GRAD and g2 is gbuf
        assert _same(l0, l2) and _same(g0, g2)


# ------------------------------------------------- cached outputs, no streaming
def _bin_inputs(rng, shape, dt):
    x = (rng.standard_normal(shape) * 4).astype(dt)
    p = rng.uniform(0.01, 0.99, shape).astype(dt)
    p.reshape(-1)[::1001] = 0.0                  # the clamped logs
    y = rng.random(shape).astype(dt)
    y.reshape(-1)[::5] = np.round(y.reshape(-1)[::5])
    return x, p, y


def _calls(rng, shape, dt):
    x, p, y = _bin_inputs(rng, shape, dt)
    C = shape[-1]
    w = (rng.random(C) + 0.5).astype(dt)
    wfull = (rng.random(shape) + 0.5).astype(dt)
    pw = (rng.random((shape[0], 1)) * 3 + 0.5).astype(dt)
    yh = np.round(y)
    ysm = np.where(y < 0.5, -1.0, 1.0).astype(dt)
    return [
        (le.binary_cross_entropy, (p, y), {}),
        (le.binary_cross_entropy, (p, y), {"weight": w}),
        (le.binary_cross_entropy_with_logits, (x, y), {"pos_weight": pw}),
        (le.binary_cross_entropy_with_logits, (x, y), {"weight": wfull, "pos_weight": w}),
        (le.soft_margin_loss, (x, ysm), {}),
        (le.multilabel_soft_margin_loss, (x, yh), {"weight": w}),
        (le.sigmoid_focal_loss, (x, yh), {}),
        (le.sigmoid_focal_loss, (x, y), {"gamma": 1.5, "alpha": -1.0}),
        (le.balanced_binary_cross_entropy, (p, yh), {}),
        (le.balanced_binary_cross_entropy, (x, y), {"from_logits": True, "beta": 0.3}),
        (le.ohem_binary_cross_entropy, (p, yh), {}),
        (le.ohem_binary_cross_entropy, (x, yh), {"from_logits": True}),
    ]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cached_outputs_give_the_same_results(cache, dt):
    """A training loop: the second call of each loss reuses the first call's
    freed outputs; results are bitwise those of the first call ('none',
    'mean', 'sum'; with and without an upstream gradient)."""
    rng = np.random.default_rng(7)
    shape = (N[dt] // 1000, 1000)
    go_scalar = 0.75
    for f, args, kw in _calls(rng, shape, dt):
        for red in ("none", "mean", "sum"):
            full = f(*args, reduction=red, **kw)
            go = (rng.standard_normal(np.shape(full)).astype(dt) if red == "none"
                  else go_scalar)
            res = []
            for _ in range(2):
                hits = le.get_output_cache()["hits"]
                loss, g = f(*args, reduction=red, grad=True, grad_output=go, **kw)
                res.append((np.copy(loss), g.copy()))
                del loss, g
                gc.collect()
            assert le.get_output_cache()["hits"] > hits     # the second call reused
            (l0, g0), (l1, g1) = res
            assert _same(l0, l1) and _same(g0, g1), (f.__name__, kw, red)
            assert _same(np.asarray(full), l0), (f.__name__, kw, red)
            del full


def test_binary_outputs_come_from_the_cache(cache):
    rng = np.random.default_rng(8)
    n = N[np.float32]
    x = rng.standard_normal(n).astype(np.float32)
    y = (rng.random(n) < 0.3).astype(np.float32)
    for kw in ({"reduction": "none"}, {"reduction": "mean", "grad": True},
               {"reduction": "none", "grad": True}):
        out = le.binary_cross_entropy_with_logits(x, y, **kw)
        del out
        gc.collect()
        hits = le.get_output_cache()["hits"]
        out = le.binary_cross_entropy_with_logits(x, y, **kw)
        want = 2 if kw == {"reduction": "none", "grad": True} else 1
        assert le.get_output_cache()["hits"] == hits + want
        del out
        gc.collect()
    m = le.hard_example_mining(np.arange(8 << 20, dtype=np.float32) % 1013, k=5)
    assert m.sum() == 5 and m.dtype == np.bool_
