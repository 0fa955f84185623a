"""Build checks that catch slow code no result test can see."""
import glob
import os
import re
import shutil
import subprocess

import pytest

import lossengine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.dirname(os.path.abspath(lossengine.__file__))


def _math_helpers():
    names = set()
    for h in ("le_math.h", "le_math_ext.h"):
        path = os.path.join(ROOT, "csrc", h)
        if not os.path.exists(path):
            pytest.skip("kernel sources not beside the tests")
        with open(path) as f:
            names |= set(re.findall(r"^static inline LE_MATH_AI [\w ]+?\b(le_\w+)\s*\(",
                                    f.read(), re.M))
    assert len(names) > 20, "le_math helper declarations not found; update this test"
    return names


def test_math_helpers_are_never_out_of_line():
    """Every le_math helper must be inlined into the loops that use it: a copy
    left out of line (gcc's inliner gives up once a kernel has grown) turns a
    vectorised loop into a scalar one calling it per element, ~14x slower,
    with unchanged results.  Such a copy shows up as a local symbol."""
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm not available")
    helpers = _math_helpers()
    exts = glob.glob(os.path.join(PKG, "_*.so")) + glob.glob(os.path.join(PKG, "_*.pyd"))
    if not exts:
        pytest.skip("no compiled extensions found")
    checked = 0
    for ext in exts:
        out = subprocess.run([nm, ext], capture_output=True, text=True).stdout
        syms = {parts[2].split(".")[0] for parts in (line.split() for line in out.splitlines())
                if len(parts) == 3 and parts[1] in "tT"}
        if not any(s.startswith("le_") for s in syms):
            continue            # stripped
        checked += 1
        bad = sorted(helpers & syms)
        assert not bad, f"{os.path.basename(ext)}: out-of-line copies of {bad}"
    if not checked:
        pytest.skip("extensions are stripped")
