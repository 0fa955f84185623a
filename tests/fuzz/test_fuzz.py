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
])
def test_harness_catches(selftest_targets, name, case_kw, check):
    res = fuzz_core.run_case(_case("_selftest_" + name, **case_kw), selftest_targets)
    assert check in [f["check"] for f in res["failures"]], res


def test_harness_passes_a_correct_call():
    t = fuzz_core.targets()
    res = fuzz_core.run_case(_case("mse_loss", red="'mean'", grad=True, gout="good",
                                   layouts=[["a0", "F"], ["*", "unaligned"], ["a1", "neg"]],
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
