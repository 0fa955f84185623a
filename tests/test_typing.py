"""mypy (strict) accepts tests/typing_usage.py and the examples, rejects the
misuses in tests/typing_errors.py and infers the documented result types.
Skipped when mypy is not installed."""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("mypy")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# lossengine's own bodies are not annotated throughout: check how it is used,
# as mypy does for an installed package, not its internals
# lossengine.init and lossengine.optim are not annotated yet: calls into them
# are allowed (their results are Any) rather than reported as untyped calls.
CONFIG = """\
[mypy]
strict = True
show_error_codes = True
untyped_calls_exclude = lossengine.init, lossengine.optim
[mypy-lossengine.*]
follow_imports = silent
[mypy-sklearn.*]
ignore_missing_imports = True
"""


def _mypy(tmp_path, files):
    cfg = tmp_path / "mypy.ini"
    cfg.write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=ROOT, MYPYPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(cfg),
                        "--cache-dir", str(tmp_path / "cache"), "--no-color-output",
                        "--hide-error-context", "--no-error-summary", *files],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode not in (0, 1):
        pytest.fail(f"mypy crashed:\n{r.stdout}\n{r.stderr}")
    return r.stdout.splitlines()


def _examples():
    d = os.path.join(ROOT, "examples")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join("examples", f) for f in os.listdir(d) if f.endswith(".py"))


def _by_file(out):
    by_file = {}
    for line in out:
        m = re.match(r"^(.*?):(\d+): (error|note): (.*)$", line)
        if m:
            by_file.setdefault(os.path.normpath(m.group(1)), []).append(
                (int(m.group(2)), m.group(3), m.group(4)))
    return by_file


def test_mypy_examples(tmp_path):
    files = _examples()
    if not files:
        pytest.skip("no examples/ directory")
    out = _mypy(tmp_path, files)
    assert not _by_file(out), "mypy on examples/:\n" + "\n".join(out)


def test_mypy(tmp_path):
    usage = os.path.join("tests", "typing_usage.py")
    errors = os.path.join("tests", "typing_errors.py")
    out = _mypy(tmp_path, [usage, errors])
    by_file = _by_file(out)
    # the usage file: no complaint at all
    assert not by_file.get(os.path.normpath(usage)), f"mypy on {usage}:\n" + "\n".join(out)
    # the misuses: an error on every marked line, and nowhere else
    with open(os.path.join(ROOT, errors)) as fh:
        lines = fh.read().splitlines()
    want_err = {i + 1 for i, s in enumerate(lines) if "  # E: " in s}
    want_rev = {i + 1: s.split("# R: ")[1] for i, s in enumerate(lines) if "# R: " in s}
    got = by_file.get(os.path.normpath(errors), [])
    err_lines = {n for n, kind, _ in got if kind == "error"}
    assert err_lines == want_err, "\n".join(out)
    for n, prefix in want_rev.items():
        # older mypy spells unions Union[A, B], newer A | B
        notes = [msg.replace("Union[", "") for ln, kind, msg in got if ln == n and kind == "note"]
        assert any(msg.startswith(f'Revealed type is "{prefix}') for msg in notes), \
            f"line {n}: want {prefix!r}, got {notes}"
