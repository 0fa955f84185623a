"""Threads, ISA selection and the command line."""
import os
import subprocess
import sys

import numpy as np
import pytest

import lossengine as le


def _py(code, **env):
    e = dict(os.environ)
    for k in ("LOSSENGINE_ISA", "LOSSENGINE_NUM_THREADS", "OMP_NUM_THREADS",
              "LOSSENGINE_OUTPUT_CACHE"):
        e.pop(k, None)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(le.__file__))))


def test_set_num_threads():
    prev = le.get_num_threads()
    try:
        le.set_num_threads(3)
        assert le.get_num_threads() == 3
        le.set_num_threads(np.int64(1))
        assert le.get_num_threads() == 1
        le.set_num_threads(64)   # more than the cores is allowed
        le.set_num_threads(2 ** 16)
        for bad in (0, -1, 1.5, "2", None, True, 2 ** 16 + 1, 2 ** 31, 2 ** 63):
            with pytest.raises(ValueError):
                le.set_num_threads(bad)
    finally:
        le.set_num_threads(prev)


def test_thread_env_defaults():
    r = _py("import lossengine as le; print(le.get_num_threads())", LOSSENGINE_NUM_THREADS="3",
            OMP_NUM_THREADS="5")
    assert r.stdout.strip() == "3", r.stderr
    r = _py("import lossengine as le; print(le.get_num_threads())", OMP_NUM_THREADS="5")
    assert r.stdout.strip() == "5", r.stderr
    r = _py("import lossengine as le, os; print(le.get_num_threads() == len(os.sched_getaffinity(0)))")
    assert r.stdout.strip() == "True", r.stderr


def test_threads_follow_openmp_runtime():
    """Without set_num_threads, threadpoolctl's limit governs the kernels as it
    governs every other OpenMP library; an explicit setting wins over it."""
    code = ("import numpy as np, lossengine as le\n"
            "from threadpoolctl import threadpool_limits, threadpool_info\n"
            "assert any(i['internal_api'] == 'openmp' for i in threadpool_info())\n"
            "x = np.random.default_rng(0).standard_normal((512, 300))\n"
            "t = np.arange(512) % 300\n"
            "before = le.get_num_threads()\n"
            "with threadpool_limits(1):\n"
            "    inside = le.get_num_threads()\n"
            "    l1 = le.cross_entropy(x, t)\n"
            "le.set_num_threads(3)\n"
            "with threadpool_limits(1):\n"
            "    pinned = le.get_num_threads()\n"
            "print(before, inside, pinned, float(l1) == float(le.cross_entropy(x, t)))")
    pytest.importorskip("threadpoolctl")
    if not le.build_info()["openmp"]:
        pytest.skip("serial build")
    r = _py(code, OMP_NUM_THREADS="2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["2", "1", "3", "True"]


LEVELS = ("baseline", "avx2", "avx512")


@pytest.mark.parametrize("level", LEVELS)
def test_isa_env(level):
    code = ("import warnings; warnings.simplefilter('error');\n"
            "import numpy as np, lossengine as le\n"
            "x = np.random.default_rng(0).standard_normal((64, 33)).astype(np.float32)\n"
            "t = np.arange(64) % 33\n"
            "l, g = le.cross_entropy(x, t, grad=True)\n"
            "print(le.isa(), repr(float(l)))")
    r = _py(code, LOSSENGINE_ISA=level)
    supported = LEVELS.index(level) <= LEVELS.index(le.best_isa())
    if supported:
        assert r.returncode == 0, r.stderr
        name, val = r.stdout.split()
        assert name == level
        np.testing.assert_allclose(float(val), float(le.cross_entropy(
            np.random.default_rng(0).standard_normal((64, 33)).astype(np.float32), np.arange(64) % 33)),
            rtol=1e-6)
    else:
        assert "RuntimeWarning" in r.stderr


def test_isa_env_unknown_warns():
    r = _py("import lossengine as le; print(le.isa(), le.best_isa())", LOSSENGINE_ISA="sse9")
    assert r.returncode == 0
    assert "RuntimeWarning" in r.stderr and "sse9" in r.stderr
    isa, best = r.stdout.split()
    assert isa == best


def test_cli_info():
    r = subprocess.run([sys.executable, "-m", "lossengine.cli", "info"], capture_output=True,
                       text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(le.__file__))))
    assert r.returncode == 0, r.stderr
    for word in ("lossengine", "compiler", "openmp", "isa", "threads"):
        assert word in r.stdout


def test_version():
    assert isinstance(le.__version__, str) and le.__version__.count(".") >= 1


def test_top_level_and_functional_names():
    from lossengine import functional
    for name in functional.__all__:
        assert getattr(le, name) is getattr(functional, name)


def test_bench_smoke(capsys):
    """The bench runner runs (timings are never asserted)."""
    from lossengine.bench import runner
    assert runner.run(threads=[1], pattern="cross_entropy(32, 10)", quick=True) == 0
    out = capsys.readouterr().out
    assert "cross_entropy(32, 10)" in out and "copy bandwidth" in out


def test_every_bench_case_is_well_formed():
    from lossengine import _registry
    labels = [c.label for e in _registry.entries() for c in e.bench]
    assert len(labels) == len(set(labels)) and labels
    for e in _registry.entries():
        for c in e.bench:
            assert callable(c.make) and c.dtype in ("float32", "float64")
