#!/usr/bin/env bash
# The sdist round trip a release depends on: build the sdist, build a wheel
# from it in a fresh directory, install that wheel in a fresh virtual
# environment, import it away from the source tree and run a smoke test.
# Fails when the wheel exceeds 6 MB or the installed package 15 MB.
# Usage: tools/check_sdist.sh [PYTHON]   (needs `build`: pip install build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lossengine-sdist-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "== sdist"
"$PY" -m build --sdist --outdir "$WORK/dist" "$ROOT" > "$WORK/sdist.log" 2>&1 || { tail -30 "$WORK/sdist.log"; exit 1; }
SDIST="$(ls "$WORK"/dist/lossengine-*.tar.gz)"
mkdir "$WORK/unpack"
tar xzf "$SDIST" -C "$WORK/unpack"
LISTING="$(tar tzf "$SDIST")"
for f in csrc/cpu.c lossengine/_core.pyx lossengine/_bridge_common.pxi LICENSE tests/data/golden_lse.npz; do
    grep -q "/$f\$" <<< "$LISTING" || { echo "sdist lacks $f" >&2; exit 1; }
done
echo "== wheel from the unpacked sdist"
"$PY" -m build --wheel --outdir "$WORK/wheel" "$WORK"/unpack/lossengine-* > "$WORK/wheel.log" 2>&1 || { tail -30 "$WORK/wheel.log"; exit 1; }
WHEEL="$(ls "$WORK"/wheel/lossengine-*.whl)"
case "$WHEEL" in *none-any*) echo "wheel has no compiled code: $WHEEL" >&2; exit 1;; esac
echo "== fresh venv"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$WHEEL"
cd "$WORK"
"$WORK/venv/bin/python" - "$WHEEL" <<'PYEOF'
import os, sys
import numpy as np
import lossengine as le
assert "site-packages" in le.__file__, le.__file__
x = np.random.default_rng(0).standard_normal((64, 10))
t = np.arange(64) % 10
loss, g = le.cross_entropy(x, t, grad=True)
assert g.shape == x.shape and np.isfinite(loss)
pkg = os.path.dirname(le.__file__)
installed = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(pkg) for f in fs)
wheel = os.path.getsize(sys.argv[1])
print(f"lossengine {le.__version__}: isa {le.isa()}, wheel {wheel / 1e6:.2f} MB, "
      f"installed {installed / 1e6:.2f} MB")
assert wheel <= 6e6, "wheel larger than 6 MB"
assert installed <= 15e6, "installed package larger than 15 MB"
PYEOF
"$WORK/venv/bin/lossengine" --version >/dev/null 2>&1 || "$WORK/venv/bin/lossengine" info > /dev/null
echo "sdist round trip ok"
