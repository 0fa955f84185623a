"""The examples run as a newcomer would run them."""
import os
import runpy

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _load(name):
    path = os.path.join(EXAMPLES, name)
    if not os.path.exists(path):
        pytest.skip(f"examples/{name} not beside the tests")
    return runpy.run_path(path, run_name="example")


def test_train_mlp_reaches_95_percent(capsys):
    pytest.importorskip("sklearn")
    mod = _load("train_mlp.py")
    accuracy = mod["main"]()          # the full seeded run, as the script runs it
    out = capsys.readouterr().out
    assert "epoch   1" in out and "test accuracy" in out
    assert accuracy >= 0.95, out
