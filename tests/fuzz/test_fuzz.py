"""The fuzz harness (tests/fuzz/): a bounded run as part of the suite, and
tests that the harness catches each kind of defect.

Budget: ``LOSSENGINE_FUZZ_SECONDS`` (default 100) and/or
``LOSSENGINE_FUZZ_CALLS``; ``--fuzz-long`` runs for an hour.
``LOSSENGINE_FUZZ_SEED`` picks the Hypothesis seed (default 0);
``LOSSENGINE_FUZZ_SKIP=1`` skips the run (tools/sanitize.sh runs it itself).
"""
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fuzz_core  # noqa: E402
import fuzz_run  # noqa: E402
import fuzz_worker  # noqa: E402

pytest.importorskip("hypothesis")


def _budget(config):
    seconds = os.environ.get("LOSSENGINE_FUZZ_SECONDS")
    calls = os.environ.get("LOSSENGINE_FUZZ_CALLS")
    if config.getoption("--fuzz-long", default=False) and not seconds:
        seconds = "3600"
    if not seconds and not calls:
        seconds = "100"
    return (float(seconds) if seconds else None), (int(calls) if calls else None)


def test_fuzz(request, tmp_path_factory):
    if os.environ.get("LOSSENGINE_FUZZ_SKIP"):
        pytest.skip("LOSSENGINE_FUZZ_SKIP is set")
    seconds, calls = _budget(request.config)
    seed = int(os.environ.get("LOSSENGINE_FUZZ_SEED", "0"))
    s = fuzz_run.Run(seconds=seconds, calls=calls, seed=seed,
                     shrink_seconds=30.0 if (seconds or 0) > 600 else 8.0).go()
    path = tmp_path_factory.getbasetemp() / "fuzz-summary.json"
    with open(path, "w") as f:
        json.dump(s, f, indent=1, default=str)
    text = fuzz_run.format_summary(s) + f"\n  summary: {path}"
    print("\n" + text)
    assert s["cases"] > 0
    assert not s["findings"], "fuzz found defects (reproducers below)\n" + text


# --------------------------------------------------------------- the harness's own tests

def _case(name, **kw):
    c = {"t": name, "seed": 3, "shape": [3, 4], "dtype": "float64", "variant": "default"}
    c.update(kw)
    return c


@pytest.fixture(scope="module")
def selftest_targets():
    os.environ["LOSSENGINE_FUZZ_SELFTEST"] = "1"
    try:
        yield fuzz_core.targets()
    finally:
        del os.environ["LOSSENGINE_FUZZ_SELFTEST"]


@pytest.mark.parametrize("name,case_kw,check", [
    ("raises", {}, "exception_type"),
    ("writes", {}, "input_modified"),
    ("layout", {"layouts": [["a0", "F"]]}, "layout"),
    ("gout", {"grad": True, "gout": "good"}, "grad_out"),
    ("out", {"out": "good"}, "out"),
    ("out", {"out": "wrong_shape"}, "accepted_invalid"),
])
def test_harness_catches(selftest_targets, name, case_kw, check):
    res = fuzz_core.run_case(_case("_selftest_" + name, **case_kw), selftest_targets)
    assert check in [f["check"] for f in res["failures"]], res


def test_harness_passes_a_correct_call():
    t = fuzz_core.targets()
    res = fuzz_core.run_case(_case("mse_loss", red="'mean'", grad=True, gout="good",
                                   layouts=[["a0", "F"], ["*", "strided"], ["a1", "neg"]],
                                   shape=[6, 5]), t)
    assert res["outcome"] == "ok" and not res["failures"], res


def test_harness_flags_bad_options():
    t = fuzz_core.targets()
    res = fuzz_core.run_case(_case("mse_loss", red="'bogus'"), t)
    assert res["outcome"] == "ValueError" and not res["failures"]
    res = fuzz_core.run_case(_case("cross_entropy", shape=[6, 5], red="'mean'", grad=True,
                                   ignore_all=True), t)
    # every target ignored: the gradient must be zero (torch's); whichever way this
    # goes, the harness reports it only through the ignored_grad check
    assert all(f["check"] == "ignored_grad" for f in res["failures"])


def test_worker_survives_crash_and_hang():
    env = dict(os.environ, LOSSENGINE_FUZZ_SELFTEST="1")
    w = fuzz_worker.Worker(timeout=20.0, env=env)
    try:
        r = w.run(_case("_selftest_abort"))
        assert r["outcome"] == "crash" and r["failures"][0]["check"] == "crash"
        assert "SIGABRT" in r["failures"][0]["detail"]
        w.timeout = 3.0
        r = w.run(_case("_selftest_hang"))
        assert r["outcome"] == "timeout"
        w.timeout = 60.0
        r = w.run(_case("mse_loss", red="'sum'", shape=[6, 5]))
        assert r["outcome"] == "ok" and not r["failures"], r
        assert w.restarts == 2
    finally:
        w.close()


def test_known_list_has_reproducers():
    for k in fuzz_run.KNOWN:
        assert k.name and k.repro


# ------------------------------------------------------- the optimizer hook, on a stand-in

class _FakeOptimizer:
    """A minimal torch-like optimizer (SPEC 5.2 shape of the API) to exercise the
    harness's optimizer hook while lossengine.optim is absent."""

    def __init__(self, params, lr=1e-3, momentum=0.0):
        import numpy as np
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr >= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not isinstance(momentum, (int, float)) or not momentum >= 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
                raise TypeError(f"params[{i}] must be a float32/float64 ndarray")
        self.lr, self.momentum = lr, momentum

    def step(self, grads):
        import numpy as np
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(grads)}")
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is not None and np.shape(g) != p.shape:
                raise ValueError(f"grads[{i}] has shape {np.shape(g)}, param {p.shape}")
        for p, g in zip(self.params, grads):
            if g is not None:
                p -= (self.lr * np.asarray(g, np.float64)).astype(p.dtype)


class _BrokenOptimizer(_FakeOptimizer):
    def step(self, grads):
        for g in grads:
            if hasattr(g, "fill"):
                g.fill(0)          # modifies the caller's gradient
        super().step(grads)


def test_optimizer_hook_on_a_stand_in():
    from hypothesis import HealthCheck, given, settings
    import fuzz_strategies
    classes = {"optim.Fake": _FakeOptimizer, "optim.Broken": _BrokenOptimizer}
    seen = {"ok": 0, "broken": 0}

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(fuzz_strategies.optim_cases("optim.Fake", _FakeOptimizer))
    def run(case):
        res = fuzz_core.run_optim_case(case, classes)
        assert not res["failures"], res
        seen["ok"] += res["outcome"] == "ok"
        case = dict(case, t="optim.Broken", gmodes=["ok"], pdtypes=["float64"] * len(
            case["pdtypes"]), opts={})
        res = fuzz_core.run_optim_case(case, classes)
        seen["broken"] += any(f["check"] == "input_modified" for f in res["failures"])
    run()
    assert seen["ok"] > 0 and seen["broken"] > 0, seen
