#!/usr/bin/env bash
# Build lossengine with AddressSanitizer + UndefinedBehaviorSanitizer into a
# separate tree and run the test suite and the fuzz harness under it at every
# ISA level this CPU has.
#
#   tools/sanitize.sh            full: whole suite + 10,000 fuzz calls per ISA level
#   tools/sanitize.sh --quick    CI: best ISA level only, the family test files,
#                                about 2 minutes of fuzzing
#
# Options: --quick, --build-only, --no-build (reuse the sanitized tree as is),
#          --no-suite, --no-fuzz, --fuzz-calls N, --fuzz-seconds S,
#          --isa LEVEL (repeatable; default: every level the CPU has).
# Environment: LOSSENGINE_SANITIZE_DIR (default build/sanitize under the
#              repository), PYTHON (default python3 on PATH),
#              LOSSENGINE_FUZZ_LAYOUTS (layouts the fuzz cases may use, default all),
#              LOSSENGINE_FUZZ_SEED.
#
# The in-place build of the repository is never touched: the sources are
# copied (mtimes kept, so rebuilds are incremental) into the sanitized tree,
# built there, and the tests run from there.
#
# Exit status: 1 when a suite run fails (a sanitizer report aborts it) or the
# fuzz run finds a failure outside its KNOWN list (tests/fuzz/fuzz_run.py),
# else 0.  Every sanitizer report, known ones included, is counted and listed
# in the summary, grouped by its first line with a stack.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
DIR="${LOSSENGINE_SANITIZE_DIR:-$ROOT/build/sanitize}"
QUICK=0; BUILD=1; RUN=1; SUITE=1; FUZZ=1; FUZZ_CALLS=""; FUZZ_SECONDS=""; ISAS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --build-only) RUN=0 ;;
        --no-build) BUILD=0 ;;
        --no-suite) SUITE=0 ;;
        --no-fuzz) FUZZ=0 ;;
        --fuzz-calls) FUZZ_CALLS="$2"; shift ;;
        --fuzz-seconds) FUZZ_SECONDS="$2"; shift ;;
        --isa) ISAS+=("$2"); shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "sanitize.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$FUZZ_CALLS$FUZZ_SECONDS" ]; then
    if [ $QUICK = 1 ]; then FUZZ_CALLS=100000; FUZZ_SECONDS=120; else FUZZ_CALLS=10000; fi
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LIBASAN="$(${CC:-gcc} -print-file-name=libasan.so)"
if [ ! -e "$LIBASAN" ]; then
    echo "sanitize.sh: libasan.so not found (gcc -print-file-name=libasan.so gave $LIBASAN)" >&2
    exit 2
fi
T0=$(date +%s)
log() { echo "[sanitize $(( $(date +%s) - T0 ))s] $*"; }

mkdir -p "$DIR/tree" "$DIR/reports"
TREE="$DIR/tree"

if [ $BUILD = 1 ]; then
    log "copying sources into $TREE"
    # Tracked and untracked-but-not-ignored files; tar keeps their mtimes, so
    # sources unchanged since the last build are not rebuilt.
    (cd "$ROOT" && git ls-files -z -co --exclude-standard) > "$DIR/manifest.new"
    # sources removed since the last copy go from the tree too
    if [ -f "$DIR/manifest" ]; then
        comm -z -23 <(sort -z "$DIR/manifest") <(sort -z "$DIR/manifest.new") \
            | (cd "$TREE" && xargs -0 -r rm -f --)
    fi
    (cd "$ROOT" && tar --null -T "$DIR/manifest.new" -cf -) | (cd "$TREE" && tar -xf -)
    mv "$DIR/manifest.new" "$DIR/manifest"
    log "building with $SAN"
    # LOSSENGINE_SANITIZE=1 is setup.py's switch for the sanitizer flags
    if ! (cd "$TREE" && LOSSENGINE_SANITIZE=1 \
            "$PY" setup.py -q build_ext --inplace > "$DIR/build.log" 2>&1); then
        tail -40 "$DIR/build.log"
        log "BUILD FAILED (log: $DIR/build.log)"
        exit 1
    fi
    log "build done"
fi
[ $RUN = 1 ] || exit 0

# Reports go to stderr (UBSan ignores log_path when combined with ASan): the
# suite runs with --capture=sys so that they reach its log, and the fuzz
# harness appends each crash of its worker to reports/fuzz-<isa>.txt.
# max_allocation_size_mb: a valid but enormous request (num_classes=2**31-1)
# gets MemoryError rather than exhausting the machine
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=4096"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# -s keeps the fuzz summary visible; -p no:cacheprovider keeps the tree clean.
# libstdc++ preloaded beside libasan: without it ASan cannot intercept a C++
# exception thrown by another extension (matplotlib's font module does).
LIBSTDCXX="$(${CXX:-g++} -print-file-name=libstdc++.so 2>/dev/null || true)"
[ -e "$LIBSTDCXX" ] || LIBSTDCXX=""
run_san() { (cd "$TREE" && LD_PRELOAD="$LIBASAN${LIBSTDCXX:+ $LIBSTDCXX}" "$@"); }

BEST="$(run_san "$PY" -c 'import lossengine as le; print(le.best_isa())' 2>/dev/null | tail -1)"
case "$BEST" in
    baseline) ALL=(baseline) ;;
    avx2) ALL=(baseline avx2) ;;
    avx512) ALL=(baseline avx2 avx512) ;;
    *) log "cannot import the sanitized build (got '$BEST')"; ls "$DIR/reports"; exit 1 ;;
esac
if [ ${#ISAS[@]} -eq 0 ]; then
    if [ $QUICK = 1 ]; then ISAS=("$BEST"); else ISAS=("${ALL[@]}"); fi
fi

if [ $QUICK = 1 ]; then
    # the families' own test files (tests/test_<family>.py of each csrc/<family>.c)
    TESTS=$(cd "$TREE" && for f in tests/test_*.py; do
        fam=$(basename "$f" .py); fam=${fam#test_}
        if [ -e "lossengine/_entries_$fam.py" ] || [ -e "csrc/$fam.c" ] \
                || [ "$fam" = hardening ] || [ "$fam" = out ]; then
            echo "$f"
        fi
    done)
else
    TESTS="tests"
fi

FAIL=0
declare -A SUITE_RC FUZZ_RC
for isa in "${ISAS[@]}"; do
    SUITE_RC[$isa]=skipped; FUZZ_RC[$isa]=skipped
    [ $SUITE = 1 ] && rm -f "$DIR/suite-$isa.log"
    [ $FUZZ = 1 ] && rm -f "$DIR/reports/fuzz-$isa.txt" "$DIR/fuzz-$isa.json" "$DIR/fuzz-$isa.log"
    if [ $SUITE = 1 ]; then
    log "=== ISA $isa: test suite ($TESTS)"
    # The fuzz test of the suite is skipped here: the dedicated run below
    # does it with a call budget.
    run_san env LOSSENGINE_ISA="$isa" LOSSENGINE_FUZZ_SKIP=1 \
        "$PY" -m pytest -q -p no:cacheprovider --capture=sys $TESTS > "$DIR/suite-$isa.log" 2>&1
    rc=$?
    SUITE_RC[$isa]=$rc
    tail -5 "$DIR/suite-$isa.log"
    [ $rc = 0 ] || FAIL=1
    fi
    [ $FUZZ = 1 ] || continue
    log "=== ISA $isa: fuzz (calls ${FUZZ_CALLS:-unbounded}, seconds ${FUZZ_SECONDS:-unbounded})"
    args=(--json "$DIR/fuzz-$isa.json" --seed "${LOSSENGINE_FUZZ_SEED:-0}")
    [ -n "$FUZZ_CALLS" ] && args+=(--calls "$FUZZ_CALLS")
    [ -n "$FUZZ_SECONDS" ] && args+=(--seconds "$FUZZ_SECONDS")
    run_san env LOSSENGINE_ISA="$isa" LOSSENGINE_FUZZ_CRASH_LOG="$DIR/reports/fuzz-$isa.txt" \
        "$PY" tests/fuzz/fuzz_run.py "${args[@]}" \
        > "$DIR/fuzz-$isa.log" 2>&1
    rc=$?
    FUZZ_RC[$isa]=$rc
    tail -25 "$DIR/fuzz-$isa.log"
    [ $rc = 0 ] || FAIL=1
done

log "=== summary"
for isa in "${ISAS[@]}"; do
    echo "  $isa: suite rc=${SUITE_RC[$isa]}  fuzz rc=${FUZZ_RC[$isa]}  (logs: $DIR/suite-$isa.log, $DIR/fuzz-$isa.log)"
    "$PY" - "$DIR/fuzz-$isa.json" <<'PYEOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
print(f"    fuzz: {s['cases']} cases, {s['function_calls']} calls, {s['elapsed_s']} s, "
      f"{s['worker_restarts']} worker restarts; outcomes "
      + ", ".join(f"{k}={v}" for k, v in sorted(s["outcomes"].items()))
      + "; known " + ", ".join(f"{k}={v['count']}" for k, v in sorted(s["known"].items()))
      + f"; new findings {len(s['findings'])}")
PYEOF
done
# Every sanitizer report of the suite logs and the fuzz crash logs, grouped by
# its first line (the location and kind of the error).
NREP=$("$PY" - "$DIR" "${ISAS[@]}" <<'PYEOF'
import collections, os, re, sys
d, isas = sys.argv[1], sys.argv[2:]
files = [os.path.join(d, f"suite-{i}.log") for i in isas]
files += [os.path.join(d, "reports", f"fuzz-{i}.txt") for i in isas]
head = re.compile(r"^(.*runtime error: .*|==\d+==ERROR: AddressSanitizer: .*)$", re.M)
groups = collections.OrderedDict()
for path in files:
    if not os.path.exists(path):
        continue
    text = open(path, errors="replace").read()
    for m in head.finditer(text):
        first = m.group(1)
        key = re.sub(r"0x[0-9a-f]+|==\d+==", "#", first)
        stack = [l.strip() for l in text[m.end():m.end() + 6000].splitlines()
                 if re.match(r"\s+#\d+ ", l)][:8]
        g = groups.setdefault(key, {"n": 0, "first": (path, stack), "isa": set()})
        g["n"] += 1
        g["isa"].add(os.path.basename(path))
n = sum(g["n"] for g in groups.values())
print(n)
with open(os.path.join(d, "reports", "summary-" + "-".join(isas) + ".txt"), "w") as f:
    for key, g in groups.items():
        f.write(f"--- {g['n']} x {key}\n    in: {', '.join(sorted(g['isa']))}\n")
        for line in g["first"][1]:
            f.write(f"    {line[:200]}\n")
PYEOF
)
SUMMARY="$DIR/reports/summary-$(IFS=-; echo "${ISAS[*]}").txt"
echo "  sanitizer reports: $NREP, grouped ($SUMMARY):"
cat "$SUMMARY" 2>/dev/null
# A report in the suite kills pytest (suite rc != 0); one in the fuzz run is a
# crash that fails the fuzz run unless it matches the harness's KNOWN list.
log "total wall time $(( $(date +%s) - T0 ))s"
exit $FAIL
