"""The ``lossengine`` command: --version, info, check (including that wrong
gradients and Hessians are caught), bench outputs and usage errors.  Timings
are written but never asserted."""
import csv
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lossengine as le
from lossengine import _check, _registry, cli
from lossengine.bench import runner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(le.__file__)))


def _run(argv, capsys):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def _subprocess(*argv):
    return subprocess.run([sys.executable, "-m", "lossengine.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT)


# ---------------------------------------------------------------- temporary entries

def _xt(rng, shape, dtype, variant):
    x = rng.standard_normal(shape).astype(dtype)
    t = rng.standard_normal(shape).astype(dtype)
    return [x, t], {}


def _entry(name, func, make_inputs=_xt, **kw):
    return _registry.Entry(name=name, func=func, preds=(0,), make_inputs=make_inputs,
                           shapes=[(4, 3)], size_shape=lambda n: (n,), **kw)


@pytest.fixture
def register(monkeypatch):
    """Register entries for one test only."""
    _registry.entries()                      # load the real ones first

    def add(entry):
        monkeypatch.setitem(_registry.REGISTRY, entry.name, entry)
        return entry
    return add


def _scaled_mse(factor):
    """mse_loss whose gradient is multiplied by `factor` (1: exact)."""
    def f(input, target, *, reduction="mean", grad=False, grad_output=None):
        if not grad:
            return le.mse_loss(input, target, reduction=reduction)
        loss, g = le.mse_loss(input, target, reduction=reduction, grad=True,
                              grad_output=grad_output)
        return loss, g * g.dtype.type(factor)
    return f


def _exp_loss(hess_factor=1.0):
    """exp(x) - t*x with gradient and (hess_factor times) its second derivative."""
    def f(input, target, *, reduction="mean", grad=False, grad_output=None, hess=False):
        x = np.asarray(input)
        t = np.asarray(target)
        dt = x.dtype
        e = np.exp(x)
        loss = e - t * x
        scale = 1.0 / x.size if reduction == "mean" else 1.0
        value = loss if reduction == "none" else dt.type(np.sum(loss) * scale)
        if not (grad or hess):
            return value
        go = np.asarray(1.0 if grad_output is None else grad_output, np.float64)
        g = (go * scale * (e - t)).astype(dt)
        if not hess:
            return value, g
        return value, g, (go * scale * e * hess_factor).astype(dt)
    return f


# ---------------------------------------------------------------- version, info

def test_version(capsys):
    rc, out, _ = _run(["--version"], capsys)
    assert rc == 0 and out.strip() == f"lossengine {le.__version__}"


def test_version_subprocess():
    r = _subprocess("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"lossengine {le.__version__}"


def test_info(capsys):
    rc, out, _ = _run(["info"], capsys)
    assert rc == 0
    for word in ("compiler", "openmp", "isa", "threads", "torch:", "matplotlib:", "jax:"):
        assert word in out


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("argv", [["frobnicate"], ["bench", "--nope"],
                                  ["check", "--dtype", "float16"], ["check", "--seed", "x"],
                                  ["bench", "--reps", "0"], []])
def test_usage_errors_exit_2(argv, capsys):
    rc, _, err = _run(argv, capsys)
    assert rc == 2
    assert "usage" in err and "Traceback" not in err


@pytest.mark.parametrize("threads", ["0", "two", "", "1,,2", "1,-3", "70000"])
def test_bench_threads_validated(threads, capsys):
    rc, out, err = _run(["bench", "--threads", threads, "--filter", "mse"], capsys)
    assert rc == 2
    assert "--threads" in err and "Traceback" not in err
    assert "[1/" not in err                  # nothing ran


def test_bench_threads_error_subprocess():
    r = _subprocess("bench", "--threads", "two")
    assert r.returncode == 2
    assert "thread count 'two' is not an integer" in r.stderr and "Traceback" not in r.stderr


def test_bench_filter_without_match(capsys):
    rc, out, err = _run(["bench", "--filter", "no_such_function_xyz"], capsys)
    assert rc == 2 and "no bench case matches" in err


def test_bench_output_directory_missing(tmp_path, capsys):
    rc, _, err = _run(["bench", "--filter", "mse", "--json", str(tmp_path / "no" / "r.json")],
                      capsys)
    assert rc == 2 and "does not exist" in err


def test_bench_plot_bad_extension(tmp_path, capsys):
    rc, _, err = _run(["bench", "--filter", "mse", "--plot", str(tmp_path / "p.jpeg")], capsys)
    assert rc == 2 and "--plot" in err


def test_bench_plot_without_matplotlib(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    rc, _, err = _run(["bench", "--filter", "mse", "--plot", str(tmp_path / "p.png")], capsys)
    assert rc == 2 and "matplotlib is not installed" in err
    assert not (tmp_path / "p.png").exists()


def test_check_filter_without_match(capsys):
    rc, _, err = _run(["check", "--filter", "no_such_function_xyz"], capsys)
    assert rc == 2 and "no registered function matches" in err


def test_text_filter():
    keep = _check.text_filter("MSE|^l1")
    assert keep("mse_loss") and keep("l1_loss") and not keep("smooth_l1_loss")
    assert _check.text_filter("cross_entropy(32, 10)")("cross_entropy(32, 10) float32")
    assert _check.text_filter("(")("a(b")          # invalid expression: literal text
    assert not _check.text_filter("(")("ab")


# ---------------------------------------------------------------- check

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_check_subset_passes(dtype, capsys):
    rc, out, _ = _run(["check", "--filter", "^(mse_loss|cross_entropy|softmax)$",
                       "--dtype", dtype], capsys)
    assert rc == 0, out
    lines = out.splitlines()
    for name in ("mse_loss", "cross_entropy", "softmax"):
        line = next(s for s in lines if s.startswith(name + " "))
        assert " ok " in line and "max rel err" in line
    assert "3 of 3 functions ok, 0 failed" in lines[-1]


def test_check_covers_variants_and_reductions():
    e = _registry.get("cross_entropy")
    r = _check.check_entry(e)
    assert r.ok
    assert {(c.variant, c.reduction) for c in r.cases} == {
        (v, red) for v in e.variants for red in e.reductions}


def test_check_reports_wrong_gradient(register, capsys):
    register(_entry("zz_mse_exact", _scaled_mse(1.0)))
    register(_entry("zz_mse_wrong", _scaled_mse(1.0001)))
    rc, out, _ = _run(["check", "--filter", "^zz_mse_"], capsys)
    assert rc == 1
    lines = out.splitlines()
    assert any(s.startswith("zz_mse_exact ") and " ok " in s for s in lines)
    assert any(s.startswith("zz_mse_wrong ") and "FAIL" in s for s in lines)
    assert "finite difference" in out
    assert "FAILED: 1 of 2 functions ok, 1 failed" in lines[-1]


def test_check_float32_tolerance(register, capsys):
    # 1e-5 relative is within float32's tolerance (1e-4), 1e-3 is not
    register(_entry("zz_mse_close", _scaled_mse(1.00001)))
    register(_entry("zz_mse_far", _scaled_mse(1.001)))
    r_close = _check.check_entry(_registry.get("zz_mse_close"), "float32")
    r_far = _check.check_entry(_registry.get("zz_mse_far"), "float32")
    assert r_close.ok and not r_far.ok
    assert not _check.check_entry(_registry.get("zz_mse_close"), "float64").ok


def test_check_reports_exceptions(register, capsys):
    def broken(input, target, *, reduction="mean", grad=False, grad_output=None):
        if grad:
            raise RuntimeError("kernel exploded")
        return le.mse_loss(input, target, reduction=reduction)
    register(_entry("zz_broken", broken))
    rc, out, _ = _run(["check", "--filter", "zz_broken"], capsys)
    assert rc == 1 and "RuntimeError: kernel exploded" in out


def test_check_hessian_path(register):
    ok = register(_entry("zz_exp_hess", _exp_loss(1.0)))
    bad = register(_entry("zz_exp_hess_wrong", _exp_loss(1.01)))
    assert _check.accepts(ok.func, "hess") and not _check.accepts(le.mse_loss, "hess")
    r = _check.check_entry(ok)
    assert r.ok and r.count("hess") == 3 and r.count("grad") == 3
    r = _check.check_entry(bad)
    assert not r.ok
    assert [c.kind for c in r.cases if not c.ok] == ["hess"] * 3
    assert "Hessian" in _check.format_report(r)


def test_check_nonsmooth_kink_is_skipped_with_reason(register):
    def on_kink(rng, shape, dtype, variant):
        x = rng.standard_normal(shape).astype(dtype)
        t = x.copy()
        t[0, 0] = x[0, 0] - 1e-12             # |x - t| at the kink of l1
        return [x, t], {}
    e = register(_entry("zz_l1_kink", le.l1_loss, make_inputs=on_kink, smooth=False))
    r = _check.check_entry(e)
    assert r.ok and r.skipped
    assert all("kink" in s[3] for s in r.skipped)
    assert "skipped" in _check.format_report(r) and "kink" in _check.format_report(r)


def test_check_nonsmooth_away_from_kinks_is_checked(register):
    e = register(_entry("zz_l1_plain", le.l1_loss, smooth=False))
    r = _check.check_entry(e)
    assert r.ok and not r.skipped and r.count("grad") == 3
    bad = register(_entry("zz_l1_wrong", lambda *a, **k: _scale_grad(le.l1_loss, 1.0001, *a, **k),
                          smooth=False))
    assert not _check.check_entry(bad).ok


def _scale_grad(f, factor, *args, grad=False, **kw):
    if not grad:
        return f(*args, **kw)
    loss, g = f(*args, grad=True, **kw)
    return loss, g * g.dtype.type(factor)


# ---------------------------------------------------------------- bench

def _tiny_case():
    n = 1 << 12

    def make(rng, dt):
        return [rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt)], {}

    def numpy_fb(args, kwargs):
        x, t = args

        def run():
            d = x - t
            return np.mean(d * d), d * (2.0 / d.size)
        return run

    return _registry.BenchCase(label="zz_tiny mse(4096) float32", make=make, numpy=numpy_fb,
                               nbytes=lambda args: 3 * args[0].nbytes)


@pytest.fixture
def tiny_bench(register, monkeypatch):
    register(_entry("zz_tiny_mse", le.mse_loss, bench=[_tiny_case()]))
    real = runner.copy_bandwidth
    # a small copy buffer keeps the test fast; the value is only reported
    monkeypatch.setattr(runner, "copy_bandwidth", lambda nt: real(nt, nbytes=1 << 22))


def test_bench_json_and_csv(tiny_bench, tmp_path, capsys):
    j, c = tmp_path / "r.json", tmp_path / "r.csv"
    rc, out, err = _run(["bench", "--filter", "zz_tiny", "--threads", "1,2", "--reps", "3",
                         "--json", str(j), "--csv", str(c)], capsys)
    assert rc == 0, err
    assert "[1/2] zz_tiny mse(4096) float32 (1 thread)" in err
    assert "[2/2] zz_tiny mse(4096) float32 (2 threads)" in err
    assert "L3=" in out and "threads=1,2" in out and f"isa={le.isa()}" in out
    data = json.loads(j.read_text())
    assert data["threads"] == [1, 2] and data["isa"] == le.isa()
    rows = data["rows"]
    assert {(r["threads"], r["implementation"]) for r in rows} == {
        (nt, impl) for nt in (1, 2) for impl in ("lossengine", "lossengine+grad_out", "numpy")}
    for r in rows:
        assert r["case"] == "zz_tiny mse(4096) float32" and r["function"] == "zz_tiny_mse"
        assert r["median_s"] > 0 and r["spread"] >= 0 and r["reps"] == 3
        assert r["bw_fraction"] > 0 and r["bandwidth_GBps"] > 0
        le_t = next(q["median_s"] for q in rows
                    if q["threads"] == r["threads"] and q["implementation"] == "lossengine")
        assert r["ratio"] == pytest.approx(r["median_s"] / le_t)
    with open(c, newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == runner.COLUMNS
        crow = list(reader)
    assert len(crow) == len(rows)
    assert [r["implementation"] for r in crow] == [r["implementation"] for r in rows]
    assert float(crow[0]["median_s"]) == pytest.approx(rows[0]["median_s"])


def test_bench_filter_matches_function_names(tiny_bench, capsys):
    # 'zz_tiny_mse' is the function's name; the label is 'zz_tiny mse(4096) float32'
    rc, out, err = _run(["bench", "--filter", "^zz_TINY_mse$", "--threads", "1", "--reps", "2",
                         "--no-bandwidth"], capsys)
    assert rc == 0, err
    assert "[1/1] zz_tiny mse(4096) float32" in err
    assert "copy bandwidth not measured" in out


def test_bench_plot(tiny_bench, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    p = tmp_path / "speedup.png"
    rc, _, err = _run(["bench", "--filter", "zz_tiny", "--threads", "1", "--reps", "2",
                       "--no-bandwidth", "--plot", str(p)], capsys)
    assert rc == 0, err
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_l3_bytes():
    v = runner.l3_bytes()
    assert v is None or (isinstance(v, int) and v > 0)
