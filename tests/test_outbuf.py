"""The output cache (large outputs reuse freed memory) and streaming stores:
results never depend on either."""
import gc

import numpy as np
import pytest

import lossengine as le
from lossengine import _core
from test_runtime import _py

BIG = (1 << 20, 2)          # 8 MiB of float32: above the cache threshold
SMALL = (1000,)


@pytest.fixture
def cache():
    prev = le.get_output_cache()["limit"]
    le.empty_output_cache()
    le.set_output_cache(1 << 30)
    yield
    le.set_output_cache(prev)


def test_large_outputs_are_plain_owning_arrays(cache):
    a, reused = _core.outbuf_empty(BIG, np.float32)
    assert not reused
    assert type(a) is np.ndarray and a.shape == BIG and a.dtype == np.float32
    assert a.flags.owndata and a.flags.c_contiguous and a.flags.writeable and a.base is None
    assert a.ctypes.data % 64 == 0
    a[...] = 3.0
    assert float(a.sum(dtype=np.float64)) == 3.0 * a.size


def test_freed_block_is_reused_and_bounded(cache):
    a, _ = _core.outbuf_empty(BIG, np.float32)
    addr = a.ctypes.data
    del a
    gc.collect()
    info = le.get_output_cache()
    assert info["cached_blocks"] == 1 and info["cached_bytes"] >= 8 << 20
    hits = info["hits"]
    b, reused = _core.outbuf_empty(BIG, np.float32)
    assert reused and b.ctypes.data == addr and le.get_output_cache()["hits"] == hits + 1
    # a live array's block is never handed out twice
    c, reused_c = _core.outbuf_empty(BIG, np.float32)
    assert not reused_c and c.ctypes.data != b.ctypes.data
    # a much smaller request does not take a big block (at most 1/8 slack)
    del b, c
    d, reused_d = _core.outbuf_empty((1 << 20,), np.float32)   # 4 MiB
    assert not reused_d
    # the limit evicts the oldest blocks; 0 disables
    le.set_output_cache(9 << 20)
    assert le.get_output_cache()["cached_bytes"] <= 9 << 20
    le.set_output_cache(0)
    info = le.get_output_cache()
    assert info["cached_blocks"] == 0 and info["cached_bytes"] == 0
    del d
    assert le.get_output_cache()["cached_blocks"] == 0
    e, reused_e = _core.outbuf_empty(BIG, np.float32)
    assert not reused_e and e.flags.owndata


def test_small_outputs_bypass_the_cache(cache):
    before = le.get_output_cache()
    a, reused = _core.outbuf_empty(SMALL, np.float64)
    del a
    after = le.get_output_cache()
    assert not reused and after["hits"] == before["hits"] and after["misses"] == before["misses"]


def test_resize_and_empty_cache_keep_data(cache):
    a, _ = _core.outbuf_empty((1 << 21,), np.float32)
    a[:] = np.arange(a.size, dtype=np.float32)
    a.resize((1 << 22,), refcheck=False)          # grow: NumPy reallocates through us
    assert np.array_equal(a[:1 << 21], np.arange(1 << 21, dtype=np.float32))
    assert not a[1 << 21:].any()
    le.empty_output_cache()                       # arrays in use are untouched
    assert a[12345] == 12345
    a.resize((1 << 21,), refcheck=False)          # shrink in place
    assert a[-1] == (1 << 21) - 1


def test_set_output_cache_validates():
    for bad in (-1, 1.5, "1", None, True):
        with pytest.raises(ValueError, match="nbytes"):
            le.set_output_cache(bad)


def test_output_cache_env():
    r = _py("import lossengine as le; print(le.get_output_cache()['limit'])",
            LOSSENGINE_OUTPUT_CACHE="0")
    assert r.stdout.strip() == "0", r.stderr
    r = _py("import lossengine as le; print(le.get_output_cache()['limit'])",
            LOSSENGINE_OUTPUT_CACHE="12345")
    assert r.stdout.strip() == "12345", r.stderr
    r = _py("import lossengine as le; print(le.get_output_cache()['limit'])",
            LOSSENGINE_OUTPUT_CACHE="lots")
    assert r.stdout.strip() == str(_core.OUTBUF_DEFAULT_LIMIT) and "LOSSENGINE_OUTPUT_CACHE" in r.stderr
    assert 0 < _core.OUTBUF_DEFAULT_LIMIT <= 1 << 30


def test_loss_call_reuses_its_gradient_memory(cache):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(BIG).astype(np.float32)
    t = rng.standard_normal(BIG).astype(np.float32)
    l0, g0 = le.mse_loss(x, t, grad=True)
    ref = g0.copy()
    del g0
    hits = le.get_output_cache()["hits"]
    l1, g1 = le.mse_loss(x, t, grad=True)
    assert le.get_output_cache()["hits"] == hits + 1
    assert l1 == l0 and np.array_equal(g1, ref)


# Streaming stores (outputs of 32 MiB or more whose pages are present) give
# bitwise the same values as ordinary stores, in every path of the kernel.
N_STREAM = (1 << 23) + 37       # float32: > 32 MiB, odd tail


@pytest.mark.parametrize("op", [0, 1, 2, 3, 4, 5, 6, 7])
def test_streamed_outputs_match(op):
    rng = np.random.default_rng(op)
    n = N_STREAM
    x = rng.standard_normal(n).astype(np.float32)
    if op == 5:                  # Poisson with a linear input: positive rates
        x = np.abs(x) + np.float32(0.01)
    y = rng.random(n).astype(np.float32) + (0.1 if op in (5, 6) else 0.0)
    w = rng.random(n).astype(np.float32)
    go = rng.standard_normal(n).astype(np.float32)
    p1 = 0.5 if op in (2, 3) else 1e-8
    for red, wt, goa in ((0, None, go), (0, w, None), (1, None, None), (2, w, None)):
        outs = []
        for stream in (0, 3):
            # misaligned destinations exercise the unstreamed head and tail
            lbuf = np.empty(n + 1, np.float32)[1:] if red == 0 else None
            gbuf = np.empty(n + 3, np.float32)[3:]
            st, v = _core.pw(op, x, y, wt, None, goa, lbuf, gbuf, None, 0, p1, 0.0, 0.7,
                           float(n), red, 2, stream)
            assert st == 0
            outs.append((v, lbuf, gbuf))
        (v0, l0, g0), (v1, l1, g1) = outs
        assert v0 == v1 and np.isfinite(v0)
        assert np.array_equal(g0, g1, equal_nan=True)
        if red == 0:
            assert np.array_equal(l0, l1, equal_nan=True)


@pytest.mark.parametrize("level", ["baseline", "avx2", "avx512"])
def test_streamed_outputs_match_float64(level):
    from lossengine import _runtime
    if ["baseline", "avx2", "avx512"].index(level) > ["baseline", "avx2", "avx512"].index(
            le.best_isa()):
        pytest.skip(f"{level} not supported here")
    prev = _runtime._set_isa(level)
    try:
        _check_f64_stream()
    finally:
        _runtime._set_isa(prev)


def _check_f64_stream():
    rng = np.random.default_rng(9)
    n = (1 << 22) + 5            # > 32 MiB of float64
    x = rng.standard_normal(n)
    y = rng.standard_normal(n)
    for red in (0, 1):
        outs = []
        for stream in (0, 3):
            lbuf = np.empty(n + 1)[1:] if red == 0 else None
            gbuf = np.empty(n)
            st, v = _core.pw(1, x, y, None, None, None, lbuf, gbuf, None, 0, 0.0, 0.0, 1.0,
                           float(n), red, 2, stream)
            assert st == 0
            outs.append((v, lbuf, gbuf))
        assert outs[0][0] == outs[1][0]
        assert np.array_equal(outs[0][2], outs[1][2])
        if red == 0:
            assert np.array_equal(outs[0][1], outs[1][1])


@pytest.mark.parametrize("op", range(11))
def test_streamed_activation_outputs_match(op):
    rng = np.random.default_rng(100 + op)
    n = N_STREAM
    x = (3 * rng.standard_normal(n)).astype(np.float32)
    go = rng.standard_normal(n).astype(np.float32)
    p1, p2 = {2: (1.5, 20.0), 4: (0.01, 0.0), 5: (1.0, 0.0), 6: (0.1, 20.0),
              7: (-1.0, 1.0), 9: (0.5, 0.0)}.get(op, (0.0, 0.0))
    for goa in (go, None):
        outs = []
        for stream in (0, 3):
            y = np.empty(n + 1, np.float32)[1:]
            g = np.empty(n + 5, np.float32)[5:]
            assert _core.act(op, x, goa, y, g, p1, p2, 0.3, 2, stream) == 0
            outs.append((y, g))
        assert np.array_equal(outs[0][0], outs[1][0], equal_nan=True)
        assert np.array_equal(outs[0][1], outs[1][1], equal_nan=True)


def test_small_blocks_are_not_kept(cache):
    a, _ = _core.outbuf_empty((1 << 21,), np.float32)
    a.resize((10,), refcheck=False)        # NumPy moves it to a small block of ours
    blocks = le.get_output_cache()["cached_blocks"]
    del a
    assert le.get_output_cache()["cached_blocks"] == blocks
