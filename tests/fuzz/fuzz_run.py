"""Fuzz driver: Hypothesis generates cases, a persistent worker runs them.

    python tests/fuzz/fuzz_run.py --seconds 120            # time budget
    python tests/fuzz/fuzz_run.py --calls 10000 --json out.json
    python tests/fuzz/fuzz_run.py --only cross_entropy,nll_loss --seconds 60
    python tests/fuzz/fuzz_run.py --repro '<case JSON printed by a failure>'

Every target (registry entries, the public functions outside the registry,
the optimizers of ``lossengine.optim`` when it exists) gets a Hypothesis run
of a few examples per round; rounds repeat until the budget is spent.  A
failing case is shrunk (for at most ``--shrink-seconds`` per target run) and
reported with its reproducer; the run goes on with the next target.
Failures matching the KNOWN list below are counted separately and do not fail
the run.
"""
import argparse
import collections
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(os.path.dirname(HERE))
if __name__ == "__main__" and ROOT not in sys.path:
    sys.path.insert(1, ROOT)        # run as a script from a source tree

import fuzz_core  # noqa: E402
import fuzz_worker  # noqa: E402
import fuzz_strategies  # noqa: E402


# ------------------------------------------------------------------------ KNOWN
# Defects known and being fixed.  A failure matching one of these is counted
# under its name instead of failing the run.  Each entry names its reproducer;
# delete the entry when the fix lands (the run then fails if it is still there,
# because the failure is new again).

class Known:
    def __init__(self, name, repro, match):
        self.name, self.repro, self.match = name, repro, match


def _opt(case, name, pred=lambda v: True):
    v = case.get("opts", {}).get(name)
    return v is not None and pred(v)


def _any_opt_nan(case, names):
    return any(_opt(case, n, lambda v: "nan" in v) for n in names)


def _crash_or_layout(failure):
    return failure["check"] in ("crash", "timeout", "layout", "grad_out")


def _range_nan(case, failure, pairs):
    return (failure["check"] == "accepted_invalid" and "NaN passes the range check" in
            failure["detail"] and any(case["t"] == t and failure["detail"].startswith(o + "=")
                                      for t, o in pairs))


_HUGE = ("2**63", "2**64", "-2**63-1", "np.uint64(2**63)", "float('inf')", "2**31")

KNOWN = [
]


def known_match(case, failure):
    for k in KNOWN:
        try:
            if k.match(case, failure):
                return k.name
        except Exception:
            pass
    return None


# ----------------------------------------------------------------------- driver

def reproducer(case):
    return "python tests/fuzz/fuzz_run.py --repro '" + json.dumps(case, sort_keys=True) + "'"


def _signature(target, failure):
    """Failures that differ only in numbers are the same finding."""
    first = failure["detail"].splitlines()[0] if failure["detail"] else ""
    first = re.sub(r"0x[0-9a-f]+|[-+]?\d[\d.e+-]*", "#", first)
    return f"{target}|{failure['check']}|{first[:160]}"


class Run:
    def __init__(self, seconds=None, calls=None, seed=0, only=None, shrink_seconds=10.0,
                 timeout=60.0, log=print):
        self.seconds, self.calls, self.seed = seconds, calls, seed
        self.shrink_seconds, self.log = shrink_seconds, log
        self.targets = fuzz_core.targets()
        self.optims = fuzz_core.optim_classes()
        names = list(self.targets) + sorted(self.optims)
        if only:
            names = [n for n in names if n in only]
        self.names = names
        self.worker = fuzz_core_worker(timeout)
        self.outcomes = collections.Counter()
        self.per_target = collections.defaultdict(collections.Counter)
        self.known = collections.Counter()
        self.known_examples = {}
        self.findings = {}
        self.unnamed = {}
        self.n_cases = 0
        self.n_calls = 0
        self.shrink_cases = 0
        self.start = time.monotonic()
        self._strats = {}

    def exhausted(self):
        if self.calls is not None and self.n_cases >= self.calls:
            return True
        return self.seconds is not None and time.monotonic() - self.start >= self.seconds

    def strategy(self, name):
        if name not in self._strats:
            if name in self.optims:
                self._strats[name] = fuzz_strategies.optim_cases(name, self.optims[name])
            else:
                t = self.targets[name]
                self._strats[name] = fuzz_strategies.cases(t, fuzz_strategies.probe_structure(t))
        return self._strats[name]

    def _account(self, name, case, res, shrinking):
        """Count the case (not while shrinking); return its failures not in KNOWN."""
        new, known = [], []
        for f in res["failures"]:
            k = known_match(case, f)
            (known if k else new).append((k, f))
        if shrinking:
            self.shrink_cases += 1
            return [f for _, f in new]
        self.n_cases += 1
        self.n_calls += res.get("calls", 0)
        if res["outcome"] in ("crash", "timeout") and os.environ.get("LOSSENGINE_FUZZ_CRASH_LOG"):
            # every crash's full report (tools/sanitize.sh counts them)
            with open(os.environ["LOSSENGINE_FUZZ_CRASH_LOG"], "a") as f:
                f.write(f"=== {reproducer(case)}\n{res['failures'][0]['detail']}\n")
        kind = "failure" if new else ("known" if known else res["outcome"])
        self.outcomes[kind] += 1
        self.per_target[name][kind] += 1
        for k, f in known:
            self.known[k] += 1
            self.known_examples.setdefault(k, (case, f))
        if res.get("unnamed") and name not in self.unnamed:
            self.unnamed[name] = (res["unnamed"], case)
        return [f for _, f in new]

    def run_target(self, name, examples, seed):
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hseed
        state = {"failed": set(), "shrink_start": None, "last": None}
        run = self

        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck),
                  verbosity=Verbosity.quiet, derandomize=False, report_multiple_bugs=False)
        @hseed(seed)
        @given(self.strategy(name))
        def body(case):
            key = json.dumps(case, sort_keys=True)
            shrinking = state["shrink_start"] is not None
            if key not in state["failed"]:
                if not shrinking and run.exhausted():
                    return
                if shrinking and time.monotonic() - state["shrink_start"] > run.shrink_seconds:
                    return
            res = run.worker.run(case)
            new = run._account(name, case, res, shrinking)
            if new and not shrinking:
                # a finding already reported (and shrunk) is only counted
                fresh = []
                for f in new:
                    sig = _signature(name, f)
                    if sig in run.findings:
                        run.findings[sig]["count"] += 1
                    else:
                        fresh.append(f)
                new = fresh
            if new:
                state["failed"].add(key)
                if state["shrink_start"] is None:
                    state["shrink_start"] = time.monotonic()
                # keep the smallest failing case seen (Hypothesis ends on it)
                state["last"] = (case, res, new)
                raise AssertionError(new[0]["check"])

        try:
            body()
        except AssertionError:
            pass
        except fuzz_worker.WorkerStartError:
            raise
        except Exception as exc:  # e.g. Flaky: still report what failed
            self.log(f"fuzz: {name}: hypothesis ended with {type(exc).__name__}: {exc}"[:300])
        if state["last"] is not None:
            case, res, new = state["last"]
            for f in new:
                sig = _signature(name, f)
                if sig in self.findings:
                    self.findings[sig]["count"] += 1
                    continue
                self.findings[sig] = {"target": name, "check": f["check"], "detail": f["detail"],
                                      "case": case, "reproducer": reproducer(case), "count": 1}
                self.log(f"FAIL {name}: {f['check']}: {f['detail'].splitlines()[0][:300]}\n"
                         f"     reproduce: {reproducer(case)}")

    def go(self):
        rng = random.Random(self.seed)
        rnd = 0
        try:
            while not self.exhausted():
                names = list(self.names)
                rng.shuffle(names)
                if self.calls is not None:
                    per = max(4, min(40, (self.calls - self.n_cases) // max(1, len(names)) + 1))
                else:
                    per = 25
                for i, name in enumerate(names):
                    if self.exhausted():
                        break
                    self.run_target(name, per, self.seed * 1000003 + rnd * 7919 + i)
                rnd += 1
        finally:
            self.worker.close()
        return self.summary()

    def summary(self):
        try:
            import lossengine as le
            isa = le.isa()
        except Exception:
            isa = "?"
        return {
            "isa": isa, "seed": self.seed, "elapsed_s": round(time.monotonic() - self.start, 1),
            "cases": self.n_cases, "function_calls": self.n_calls,
            "shrink_cases": self.shrink_cases, "worker_restarts": self.worker.restarts,
            "outcomes": dict(self.outcomes),
            "known": {k: {"count": n, "reproducer": reproducer(self.known_examples[k][0]),
                          "detail": self.known_examples[k][1]["detail"][:300]}
                      for k, n in self.known.items()},
            "findings": sorted(self.findings.values(), key=lambda f: (f["target"], f["check"])),
            "per_target": {k: dict(v) for k, v in sorted(self.per_target.items())},
            "messages_without_argument_name": {k: {"message": m, "reproducer": reproducer(c)}
                                               for k, (m, c) in sorted(self.unnamed.items())},
            "targets": self.names,
            "unregistered_public": fuzz_core.unregistered_public(),
            "optim": sorted(self.optims) or "lossengine.optim not importable: skipped",
        }


def fuzz_core_worker(timeout):
    return fuzz_worker.Worker(timeout=timeout)


def format_summary(s):
    lines = [f"fuzz: {s['cases']} cases ({s['function_calls']} calls, {s['shrink_cases']} while "
             f"shrinking) in {s['elapsed_s']} s at ISA {s['isa']}, seed {s['seed']}, "
             f"{s['worker_restarts']} worker restarts",
             "  outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(s["outcomes"].items()))]
    if s["known"]:
        lines.append("  known defects (KNOWN list):")
        for k, v in sorted(s["known"].items()):
            lines.append(f"    {k}: {v['count']} cases")
    lines.append(f"  new findings: {len(s['findings'])}")
    for f in s["findings"]:
        lines.append(f"    [{f['target']}] {f['check']} (x{f['count']}): "
                     f"{f['detail'].splitlines()[0][:240]}")
        lines.append(f"      {f['reproducer']}")
    if s["messages_without_argument_name"]:
        lines.append(f"  error messages naming no argument: "
                     f"{len(s['messages_without_argument_name'])} functions")
        for k, v in s["messages_without_argument_name"].items():
            lines.append(f"    {k}: {v['message'][:160]}")
    if s["unregistered_public"]:
        lines.append(f"  public functions without an input maker: {s['unregistered_public']}")
    if isinstance(s["optim"], str):
        lines.append(f"  optimizers: {s['optim']}")
    return "\n".join(lines)


# ------------------------------------------------------------------------ repro

def _describe(v):
    import numpy as np
    if isinstance(v, np.ndarray):
        fl = v.flags
        lay = ("C" if fl.c_contiguous else "") + ("F" if fl.f_contiguous else "")
        d = (f"ndarray {v.dtype}{v.shape} strides={v.strides} {lay or 'non-contiguous'}"
             f"{'' if fl.aligned else ' UNALIGNED'}{'' if fl.writeable else ' read-only'}")
        if v.size <= 40:
            d += f" = {np.array2string(v, threshold=40)}"
        return d
    r = repr(v)
    return r if len(r) < 200 else r[:200] + "..."


def repro(case_json):
    """Run one case in this process, printing its inputs and the checks."""
    case = json.loads(case_json)
    targets = fuzz_core.targets()
    optims = fuzz_core.optim_classes()
    print(f"case: {json.dumps(case, sort_keys=True)}")
    if case["t"] in optims:
        res = fuzz_core.run_optim_case(case, optims)
    else:
        t = targets[case["t"]]
        args, kw = fuzz_core.build(t, case)
        print(f"call: lossengine.{t.name}(...)")
        for i, a in enumerate(args):
            print(f"  arg {i}: {_describe(a)}")
        for k, v in kw.items():
            print(f"  {k}= {_describe(v)}")
        for k in ("red", "grad", "go", "gout", "layouts", "ignore_all"):
            if k in case:
                print(f"  [{k}] {case[k]}")
        sys.stdout.flush()
        res = fuzz_core.run_case(case, targets)
    print(f"outcome: {res['outcome']}" + (f" ({res['error']})" if res.get("error") else ""))
    for f in res["failures"]:
        k = known_match(case, f)
        print(f"FAILED {f['check']}{' [known: ' + k + ']' if k else ''}: {f['detail']}")
    if not res["failures"]:
        print("all checks passed")
    return 1 if res["failures"] else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=None, help="time budget")
    p.add_argument("--calls", type=int, default=None, help="budget of fuzz cases")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default=None, help="comma-separated target names")
    p.add_argument("--shrink-seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=60.0, help="per case, seconds")
    p.add_argument("--json", default=None, help="write the summary here")
    p.add_argument("--repro", default=None, help="run one case (JSON) in this process")
    a = p.parse_args(argv)
    if a.repro:
        return repro(a.repro)
    if a.seconds is None and a.calls is None:
        a.seconds = 120.0
    only = set(a.only.split(",")) if a.only else None
    s = Run(seconds=a.seconds, calls=a.calls, seed=a.seed, only=only,
            shrink_seconds=a.shrink_seconds, timeout=a.timeout).go()
    print(format_summary(s))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(s, f, indent=1, default=str)
    return 1 if s["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
