"""``out=`` on every function whose result is an array (SPEC section 2): the
activations (prelu too), the softmax family, the distances and every loss's
``reduction='none'``.  Driven by the registry, so a new function is covered
when it registers.

The result is `out` itself (``(out, grad)`` with ``grad=True``), bitwise equal
to the allocating call, for C-contiguous, Fortran, strided and misaligned
`out`; an elementwise activation may write into its own input; every misuse
is a ValueError/TypeError naming `out`, raised before anything is written;
a loop with ``out=`` and ``grad_out=`` allocates no new arrays."""
import re
import tracemalloc

import numpy as np
import pytest

import lossengine as le
from lossengine import _activations, _registry

ENTRIES = _registry.entries()
# elementwise: out may be exactly the input
ELEMENTWISE = [e for e in ENTRIES if e.func.__module__ == _activations.__name__]
OUT_MSG = re.compile(r"^out\b")


def _red(e):
    return {"reduction": "none"} if e.kind == "loss" else {}


def _call(e, args, kw, **extra):
    kw = dict(kw)
    kw.update(_red(e))
    kw.update(extra)
    return e.func(*args, **kw)


def _inputs(e, shape, dtype, variant):
    rng = _registry.rng_for(e.name, shape, dtype, variant)
    return e.make_inputs(rng, shape, dtype, variant)


def _bits(a):
    a = np.asarray(a)
    return a.dtype, a.shape, np.ascontiguousarray(a).tobytes()


def _grads(g):
    return g if isinstance(g, tuple) else (g,)


def _assert_same(actual, expected, what):
    assert _bits(actual) == _bits(expected), what


def _make_out(layout, shape, dtype):
    """An array of `shape`/`dtype` in the given memory layout, filled with NaN
    so that an element left unwritten shows."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    if layout == "C":
        o = np.empty(shape, dtype)
    elif layout == "F":
        o = np.empty(shape, dtype, order="F")
    elif layout == "strided":
        if len(shape) == 0:
            o = np.empty(3, dtype)[1:2].reshape(())
        else:
            o = np.empty(shape[:-1] + (2 * shape[-1] + 1,), dtype)[..., 1::2]
            assert o.shape == tuple(shape)
    elif layout == "misaligned":
        raw = np.empty(n * dtype.itemsize + 1, np.uint8)
        o = raw[1:].view(dtype).reshape(shape)
        assert n == 0 or not o.flags.aligned
    else:
        raise AssertionError(layout)
    o[...] = np.nan
    return o


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _assert_unchanged(args, saved, what):
    for a, s in zip(args, saved):
        if isinstance(a, np.ndarray):
            _assert_same(a, s, f"{what}: an input was modified")


# --------------------------------------------------------------------------
# results and gradients written into out, for every layout
LAYOUTS = ["C", "F", "strided", "misaligned"]
CASES = [(e, shape, v, dt) for e in ENTRIES for i, shape in enumerate(e.shapes)
         for v in (e.variants if i == 0 else e.variants[:1]) for dt in ("float32", "float64")]


@pytest.mark.parametrize("e,shape,variant,dtype", CASES,
                         ids=[f"{c[0].name}-{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_out_receives_the_result(e, shape, variant, dtype):
    args, kw = _inputs(e, shape, dtype, variant)
    saved = _copies(args)
    ref = _call(e, args, kw)
    ref_y, ref_g = _call(e, args, kw, grad=True)
    _assert_same(ref_y, ref, "grad=True changes the result")
    rdt, rshape = np.asarray(ref).dtype, np.shape(ref)
    for layout in LAYOUTS:
        o = _make_out(layout, rshape, rdt)
        r = _call(e, args, kw, out=o)
        assert r is o, layout
        _assert_same(o, ref, f"{layout}: value")
        o2 = _make_out(layout, rshape, rdt)
        r2, g2 = _call(e, args, kw, out=o2, grad=True)
        assert r2 is o2, layout
        _assert_same(o2, ref, f"{layout}: value with grad=True")
        for a, b in zip(_grads(g2), _grads(ref_g)):
            if b is None:
                assert a is None
            else:
                _assert_same(a, b, f"{layout}: gradient")
    _assert_unchanged(args, saved, e.name)


@pytest.mark.parametrize("e", [e for e in ENTRIES if e.kind == "loss"], ids=lambda e: e.name)
def test_out_with_grad_out_and_grad_output(e):
    """out next to a grad_out buffer and an array grad_output."""
    shape, variant, dtype = e.shapes[0], e.variants[0], "float64"
    args, kw = _inputs(e, shape, dtype, variant)
    ref = _call(e, args, kw)
    go = np.random.default_rng(1).standard_normal(np.shape(ref))
    ref_y, ref_g = _call(e, args, kw, grad=True, grad_output=go)
    bufs = tuple(np.empty(np.shape(args[i]), np.float64) for i in e.preds)
    o = np.empty(np.shape(ref), np.float64, order="F")
    y, g = _call(e, args, kw, grad=True, grad_output=go, out=o,
                 grad_out=bufs if len(bufs) > 1 else bufs[0])
    assert y is o
    _assert_same(o, ref_y, "value")
    for a, b, buf in zip(_grads(g), _grads(ref_g), bufs):
        assert a is buf
        _assert_same(a, b, "gradient")


def test_zero_dim_results():
    """A 0-d result goes into a 0-d out, which is returned (not a NumPy scalar)."""
    o = np.empty((), np.float64)
    assert le.logsumexp(np.array([1.0, 2.0]), out=o) is o
    assert o == le.logsumexp(np.array([1.0, 2.0]))
    o = np.empty((), np.float32)
    assert le.sigmoid(np.float32(0.5), out=o) is o
    assert o == le.sigmoid(np.float32(0.5))
    o = np.empty((), np.float64)
    r, g = le.softmax(np.array(3.0), out=o, grad=True)
    assert r is o and o == 1.0
    o = np.empty((), np.float64)
    args = (np.array([0.5, 2.0]), np.array([0.0, 1.0]))
    assert le.pairwise_distance(*args, out=o) is o
    assert o == le.pairwise_distance(*args)


def test_empty_results():
    o = np.empty((0, 3), np.float64)
    assert le.relu(np.empty((0, 3)), out=o) is o
    o = np.empty((0,), np.float64)
    assert le.mse_loss(np.empty((0,)), np.empty((0,)), reduction="none", out=o) is o


# --------------------------------------------------------------------------
# out = input for the elementwise activations
@pytest.mark.parametrize("e", ELEMENTWISE, ids=lambda e: e.name)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place(e, dtype):
    for variant in e.variants:
        for shape in e.shapes:
            args, kw = _inputs(e, shape, dtype, variant)
            x0 = args[0].copy()
            ref = _call(e, [x0.copy()] + args[1:], kw)
            ref_y, ref_g = _call(e, [x0.copy()] + args[1:], kw, grad=True)
            x = x0.copy()
            r = _call(e, [x] + args[1:], kw, out=x)
            assert r is x
            _assert_same(x, ref, f"{variant} {shape}: in-place value")
            # the gradient is that at the original input, not at the result
            x = x0.copy()
            y, g = _call(e, [x] + args[1:], kw, out=x, grad=True)
            assert y is x
            _assert_same(x, ref_y, f"{variant} {shape}: in-place value with grad=True")
            for a, b in zip(_grads(g), _grads(ref_g)):
                _assert_same(a, b, f"{variant} {shape}: gradient at the original input")
            # an array grad_output and a grad_out buffer next to it
            go = np.random.default_rng(2).standard_normal(shape).astype(dtype)
            ref_y, ref_g = _call(e, [x0.copy()] + args[1:], kw, grad=True, grad_output=go)
            gbuf = np.empty(shape, dtype)
            x = x0.copy()
            gout = (gbuf, None) if e.name == "prelu" else gbuf
            y, g = _call(e, [x] + args[1:], kw, out=x, grad=True, grad_output=go,
                         grad_out=gout)
            assert y is x and _grads(g)[0] is gbuf
            _assert_same(x, ref_y, f"{variant} {shape}: in place, grad_output")
            for a, b in zip(_grads(g), _grads(ref_g)):
                _assert_same(a, b, f"{variant} {shape}: gradient, grad_output")


@pytest.mark.parametrize("e", ELEMENTWISE, ids=lambda e: e.name)
def test_in_place_views(e):
    """out may be another view of exactly the input's elements; a non-contiguous
    input written in place goes through a buffer."""
    args, kw = _inputs(e, (6, 8), "float64", e.variants[0])
    x0 = args[0]
    ref_y, ref_g = _call(e, [x0.copy()] + args[1:], kw, grad=True)
    x = x0.copy()
    y, g = _call(e, [x] + args[1:], kw, out=x[...], grad=True)
    _assert_same(x, ref_y, "x[...]")
    _assert_same(_grads(g)[0], _grads(ref_g)[0], "x[...] gradient")
    # a Fortran-ordered input, written in place
    xf = np.asfortranarray(x0)
    y, g = _call(e, [xf] + args[1:], kw, out=xf, grad=True)
    assert y is xf
    _assert_same(xf, ref_y, "Fortran input in place")
    _assert_same(_grads(g)[0], _grads(ref_g)[0], "Fortran input in place: gradient")
    # a strided view of a larger array: only its elements change
    big = np.zeros((6, 16))
    xs = big[:, ::2]
    xs[...] = x0
    y = _call(e, [xs] + args[1:], kw, out=xs)
    assert y is xs
    _assert_same(xs, ref_y, "strided input in place")
    assert not big[:, 1::2].any()


def test_in_place_streamed():
    """Above the streaming threshold (32 MiB of output): the gradient into
    grad_out is computed block by block into scratch and streamed, the value
    written in place with ordinary stores; both exact."""
    n = (32 << 20) // 4 + 3
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal(n).astype(np.float32)
    ref_y, ref_g = le.leaky_relu(x0, 0.1, grad=True)
    gbuf = np.empty(n, np.float32)
    x = x0.copy()
    del x0
    y, g = le.leaky_relu(x, 0.1, grad=True, out=x, grad_out=gbuf)
    assert y is x and g is gbuf
    assert np.array_equal(x, ref_y) and np.array_equal(g, ref_g)


# --------------------------------------------------------------------------
# errors: raised before anything is written, naming out
def _overlapping(arr, shape, dtype):
    """(input replacing `arr`, out of `shape`) sharing memory but not the
    same elements: both live in one buffer, out one element further."""
    n, m = arr.size, int(np.prod(shape))
    big = np.zeros(max(n, m + 1) + 1, dtype)
    x = big[:n].reshape(arr.shape)
    x[...] = arr
    return x, big[1:1 + m].reshape(shape)


def _expect_error(e, args, kw, exc, what, **extra):
    saved = _copies(args)
    gbuf = extra.get("grad_out")
    gsaved = [b.copy() for b in _grads(gbuf) if b is not None] if gbuf is not None else []
    o = extra.get("out")
    osaved = o.copy() if isinstance(o, np.ndarray) else None
    with pytest.raises(exc) as info:
        _call(e, args, kw, **extra)
    assert OUT_MSG.search(str(info.value)), f"{what}: {info.value}"
    _assert_unchanged(args, saved, what)
    if gbuf is not None:
        for b, s in zip([b for b in _grads(gbuf) if b is not None], gsaved):
            _assert_same(b, s, f"{what}: grad_out written")
    if osaved is not None and not any(isinstance(a, np.ndarray) and np.may_share_memory(a, o)
                                      for a in args):
        _assert_same(o, osaved, f"{what}: out written")


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.name)
def test_out_errors(e):
    shape, variant, dtype = e.shapes[0], e.variants[0], "float64"
    args, kw = _inputs(e, shape, dtype, variant)
    ref = _call(e, args, kw)
    rshape = np.shape(ref)
    other = np.float32

    _expect_error(e, args, kw, ValueError, "shape", out=np.zeros(rshape + (1,)))
    _expect_error(e, args, kw, ValueError, "shape", out=np.zeros((int(np.prod(rshape)) + 1,)))
    _expect_error(e, args, kw, TypeError, "dtype", out=np.zeros(rshape, other))
    _expect_error(e, args, kw, TypeError, "dtype", out=np.zeros(rshape, np.int64))
    ro = np.zeros(rshape)
    ro.flags.writeable = False
    _expect_error(e, args, kw, ValueError, "read-only", out=ro)
    _expect_error(e, args, kw, TypeError, "not an ndarray", out=np.zeros(rshape).tolist())
    _expect_error(e, args, kw, ValueError, "read-only with grad", out=ro, grad=True)

    # overlapping each prediction (other than being exactly it)
    for i in e.preds:
        if not isinstance(args[i], np.ndarray) or args[i].size < 2:
            continue
        a2 = list(args)
        a2[i], o = _overlapping(args[i], rshape, np.float64)
        _expect_error(e, a2, kw, ValueError, f"overlap with argument {i}", out=o)
        _expect_error(e, a2, kw, ValueError, f"overlap with argument {i}, grad", out=o,
                      grad=True)
    if e not in ELEMENTWISE and e.preds:
        # not elementwise: not even exactly the input
        x = args[e.preds[0]]
        if x.shape == rshape:
            _expect_error(e, args, kw, ValueError, "out is the input", out=x)

    # overlapping grad_output
    go = np.ones(rshape)
    _expect_error(e, args, kw, ValueError, "overlap with grad_output", out=go, grad=True,
                  grad_output=go)

    # overlapping grad_out (checked before the gradient buffer is written)
    p0 = args[e.preds[0]]
    gbuf = np.full(np.shape(p0), 7.0)
    if gbuf.size >= int(np.prod(rshape)) and gbuf.size:
        o = gbuf.reshape(-1)[:int(np.prod(rshape))].reshape(rshape)
        gout = (gbuf,) + (None,) * (len(e.preds) - 1) if len(e.preds) > 1 else gbuf
        _expect_error(e, args, kw, ValueError, "overlap with grad_out", out=o, grad=True,
                      grad_out=gout)

    # a reduced result has no out
    if e.kind == "loss":
        for red in e.reductions:
            if red == "none":
                continue
            for o in (np.zeros(()), np.zeros(rshape)):
                with pytest.raises(ValueError, match=r"^out\b") as info:
                    e.func(*args, **dict(kw, reduction=red), out=o)
                assert "reduction" in str(info.value)
                with pytest.raises(ValueError, match=r"^out\b"):
                    e.func(*args, **dict(kw, reduction=red), out=o, grad=True)


def test_in_place_other_roles_rejected():
    """Only the input itself may be out: the same array as grad_output is not."""
    x = np.linspace(-2, 2, 12)
    with pytest.raises(ValueError, match=r"^out\b"):
        le.relu(x, out=x, grad=True, grad_output=x)
    g = np.empty(12)
    with pytest.raises(ValueError, match=r"^out\b"):
        le.relu(x, out=g, grad=True, grad_out=g)
    w = np.array([0.25])
    with pytest.raises(ValueError, match=r"^out\b"):
        le.prelu(w, w, out=w)          # exactly the input, but also the weight
    # out = x for a loss ('none' reads the input elementwise, but only
    # activations take their input as out)
    y = np.zeros(12)
    with pytest.raises(ValueError, match=r"^out\b"):
        le.mse_loss(x, y, reduction="none", out=x)
    assert np.array_equal(x, np.linspace(-2, 2, 12))


# --------------------------------------------------------------------------
# no allocation in a loop with out= and grad_out=
# 4 MiB float32 gradients: large enough for the output cache (the row-wise
# losses and distances: many short rows rather than 3 long ones; the
# multilabel margin's input maker loops over rows in Python)
LOOP_SHAPES = {"ctc_loss": (256, 16, 256), "multilabel_margin_loss": (1 << 12, 16),
               "linear_cross_entropy": (1 << 12, 64, 256)}


def _loop_case(e, dtype="float32"):
    shape = LOOP_SHAPES.get(e.name) or e.size_shape(1 << 20)
    if e.func.__module__ == "lossengine._margin" and len(shape) == 2 and shape[0] < 16:
        shape = (1 << 16, 16)
    args, kw = _inputs(e, shape, dtype, e.variants[0])
    # the kernels read C-contiguous arrays of the compute dtype in place
    args = [np.ascontiguousarray(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
            else a for a in args]
    ref = _call(e, args, kw)
    o = np.empty(np.shape(ref), dtype)
    bufs = tuple(np.empty(np.shape(args[i]), dtype) for i in e.preds)
    gout = bufs if len(bufs) > 1 else bufs[0]
    return args, kw, o, gout


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.name)
def test_loop_allocates_nothing(e):
    args, kw, o, gout = _loop_case(e)
    for _ in range(2):                  # thread-local scratch, lazy imports
        _call(e, args, kw, out=o, grad=True, grad_out=gout)
    cache0 = le.get_output_cache()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(3):
            y, g = _call(e, args, kw, out=o, grad=True, grad_out=gout)
            assert y is o
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    cache1 = le.get_output_cache()
    # no output buffer asked for (neither a reused nor a fresh one)
    assert (cache1["hits"], cache1["misses"]) == (cache0["hits"], cache0["misses"])
    # nothing near the size of a result or gradient allocated (Python objects only)
    smallest = min(o.nbytes, min(b.nbytes for b in _grads(gout)))
    assert peak < max(smallest // 4, 16384), (peak, smallest)
