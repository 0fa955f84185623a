"""``lossengine bench``: every registered bench case timed for lossengine and,
in the same run at the same thread count, for PyTorch CPU, NumPy and JAX when
they are installed.  Prints medians, ratios and the fraction of the
memory-bandwidth bound (bytes that must move / copy bandwidth measured at that
thread count on a buffer larger than the last-level cache); optionally writes
the rows as JSON or CSV and draws the speed-ups."""
import csv
import json
import os
import statistics
import sys
import time

import numpy as np

import lossengine as le
from .. import _core, _registry
from .._check import text_filter
from . import optim_cases

#: Implementations in the order of the table and of the output rows.
IMPLEMENTATIONS = ("lossengine", "lossengine+grad_out", "torch", "numpy", "jax")
#: Peers drawn by ``--plot`` (each against the allocating lossengine call).
PEERS = ("torch", "numpy", "jax")
#: Columns of the CSV file (and keys of each JSON row).
COLUMNS = ("case", "function", "dtype", "threads", "implementation", "median_s", "spread",
           "reps", "ratio", "bw_fraction", "bandwidth_GBps")


def bench_cases():
    """Every bench case as ``(function name, lossengine callable, BenchCase)``."""
    cases = [(e.name, e.func, c) for e in _registry.entries() for c in e.bench]
    cases += optim_cases.bench_cases()
    return cases


def select_cases(pattern=None):
    """The bench cases whose function name or label matches ``pattern``
    (see :func:`lossengine._check.text_filter`); all when None."""
    keep = text_filter(pattern)
    return [(name, fn, c) for name, fn, c in bench_cases() if keep(name) or keep(c.label)]


def _timeit(fn, quick=False, min_time=None, max_reps=None, reps=None):
    """Seconds of repeated calls after one warm-up: exactly ``reps`` calls when
    given, else at least 5 and more until ``min_time`` (or ``max_reps``)."""
    fn()
    times = []
    if reps is not None:
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return times
    min_time = min_time if min_time is not None else (0.15 if quick else 0.5)
    max_reps = max_reps if max_reps is not None else (20 if quick else 200)
    t_start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - t_start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _stats(times):
    """(median, spread): the spread is the interquartile range over the median."""
    med = statistics.median(times)
    if len(times) < 2 or med <= 0:
        return med, 0.0
    q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return med, (q3 - q1) / med


def l3_bytes():
    """Size of the level-3 cache seen by CPU 0 in bytes, or None if unknown
    (read from sysfs, else ``os.sysconf``)."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        names = sorted(n for n in os.listdir(base) if n.startswith("index"))
    except OSError:
        names = []
    for n in names:
        try:
            with open(os.path.join(base, n, "level")) as f:
                if f.read().strip() != "3":
                    continue
            with open(os.path.join(base, n, "size")) as f:
                v = f.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(v[-1:], 1)
            return int(v.rstrip("KMGB")) * mult
        except (OSError, ValueError):
            continue
    try:
        v = os.sysconf("SC_LEVEL3_CACHE_SIZE")
        return v if v > 0 else None
    except (ValueError, OSError, AttributeError):
        return None


def _l3_bytes():
    return l3_bytes() or (32 << 20)


_bandwidth_cache = {}


def copy_bandwidth(n_threads, nbytes=None):
    """Bytes moved per second (read + write) by a parallel copy of a buffer
    larger than the last-level cache (capped at 1 GiB a side).  Measured once
    per thread count and buffer size in a process."""
    if nbytes is None:
        nbytes = min(max(256 << 20, int(1.25 * _l3_bytes())), 1 << 30)
    key = (n_threads, nbytes)
    if key not in _bandwidth_cache:
        src = np.ones(nbytes // 8)
        dst = np.empty_like(src)
        t = _timeit(lambda: _core.memcopy(dst, src, n_threads), min_time=0.3, max_reps=20)
        _bandwidth_cache[key] = 2 * nbytes / statistics.median(t)
    return _bandwidth_cache[key]


def _torch():
    try:
        import torch
        return torch
    except Exception:
        return None


def _jax():
    try:
        import jax  # noqa: F401
        return jax
    except Exception:
        return None


def _installed(name):
    """Version of an installed package, without importing it; None if absent."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _fmt(t):
    if t is None:
        return "      -"
    return f"{t * 1e3:9.3f}" if t >= 1e-4 else f"{t * 1e6:7.1f}µs"


def _fmt_bytes(n):
    if n is None:
        return "unknown"
    return f"{n / (1 << 20):.0f} MiB" if n >= (1 << 20) else f"{n >> 10} KiB"


def _time_case(fn, c, args, kw, torch, jax, quick, reps):
    """{implementation: list of seconds} for one case at the current threads."""
    t = {}
    if c.grad:
        t["lossengine"] = _timeit(lambda: fn(*args, **kw, grad=True), quick, reps=reps)
        _, g = fn(*args, **kw, grad=True)
        t["lossengine+grad_out"] = _timeit(lambda: fn(*args, **kw, grad=True, grad_out=g),
                                           quick, reps=reps)
    else:
        t["lossengine"] = _timeit(lambda: fn(*args, **kw), quick, reps=reps)
    if torch and c.torch:
        t["torch"] = _timeit(c.torch(args, kw), quick, reps=reps)
    if c.numpy:
        t["numpy"] = _timeit(c.numpy(args, kw), quick, reps=reps)
    if jax and c.jax:
        t["jax"] = _timeit(c.jax(args, kw), quick, reps=reps)
    return t


def run(threads=(1, 2), pattern=None, quick=False, out=None, *, csv_out=None, plot_out=None,
        reps=None, bandwidth=True, progress=None):
    """Run the bench cases and print a table per thread count.

    Parameters
    ----------
    threads : sequence of int
        Thread counts, each >= 1; every case runs at each.
    pattern : str, optional
        Keep the cases whose function name or label matches (see
        :func:`lossengine._check.text_filter`).
    quick : bool
        Shorter time budget per measurement.
    out : str, optional
        Path of a JSON file receiving the header and one row per case x
        threads x implementation.
    csv_out : str, optional
        Path of a CSV file receiving the same rows (columns ``COLUMNS``).
    plot_out : str, optional
        Path of an image (png, svg or pdf) of the speed-ups, drawn with
        matplotlib (imported only then).
    reps : int, optional
        Time exactly this many calls per measurement (after a warm-up).
    bandwidth : bool
        Measure the copy bandwidth (for the bandwidth fraction).
    progress : file, optional
        Where the ``[k/n]`` progress lines go (default ``sys.stderr``).

    Returns
    -------
    int
        0, or 2 when no case matches ``pattern`` (a message on stderr).

    Raises
    ------
    ValueError
        If a thread count is not an int >= 1.

    Examples
    --------
    >>> from lossengine.bench import runner
    >>> runner.run(pattern="no such case")
    2
    """
    threads = list(threads)
    for nt in threads:
        if isinstance(nt, bool) or not isinstance(nt, (int, np.integer)) or nt < 1:
            raise ValueError(f"threads must be ints >= 1, got {nt!r}")
    progress = sys.stderr if progress is None else progress
    cases = select_cases(pattern)
    if not cases:
        print(f"lossengine bench: no bench case matches {pattern!r} "
              "(function names and case labels are searched)", file=sys.stderr)
        return 2
    # a peer is imported (seconds for torch) only when a selected case uses it
    torch = _torch() if any(c.torch for _, _, c in cases) else None
    jax = _jax() if any(c.jax for _, _, c in cases) else None
    v_torch = torch.__version__ if torch else _installed("torch")
    v_jax = jax.__version__ if jax else _installed("jax")
    l3 = l3_bytes()
    header = {"lossengine": le.__version__, "isa": le.isa(), "best_isa": le.best_isa(),
              "threads": threads, "l3_bytes": l3, "numpy": np.__version__,
              "torch": v_torch, "jax": v_jax}
    print(f"lossengine {le.__version__}  isa={le.isa()} (best {le.best_isa()})  "
          f"threads={','.join(map(str, threads))}  L3={_fmt_bytes(l3)}")
    print(f"torch={v_torch or 'not installed'}  numpy={np.__version__}"
          f"  jax={v_jax or 'not installed'}")
    rows = []
    n_total = len(cases) * len(threads)
    k = 0
    prev = le.get_num_threads()
    prev_torch = torch.get_num_threads() if torch else None
    try:
        for nt in threads:
            le.set_num_threads(nt)
            if torch:
                torch.set_num_threads(nt)
            bw = copy_bandwidth(nt) if bandwidth else None
            bw_txt = f"copy bandwidth {bw / 1e9:.1f} GB/s" if bw else "copy bandwidth not measured"
            print(f"\n== {nt} thread(s); {bw_txt} ==")
            print(f"{'case':44s} {'le ms':>9s} {'le+out':>9s} {'torch ms':>9s} {'numpy ms':>9s}"
                  f" {'torch/le':>8s} {'np/le':>7s} {'bw frac':>7s}", flush=True)
            for name, fn, c in cases:
                k += 1
                print(f"[{k}/{n_total}] {c.label} ({nt} thread{'s' if nt > 1 else ''})",
                      file=progress, flush=True)
                rng = np.random.default_rng(0)
                args, kw = c.make(rng, np.dtype(c.dtype))
                times = _time_case(fn, c, args, kw, torch, jax, quick, reps)
                med = {impl: _stats(ts) for impl, ts in times.items()}
                t_le = med["lossengine"][0]
                nbytes = c.nbytes(args) if (c.nbytes and bw) else None
                for impl in IMPLEMENTATIONS:
                    if impl not in med:
                        continue
                    m, spread = med[impl]
                    rows.append({"case": c.label, "function": name, "dtype": c.dtype,
                                 "threads": nt, "implementation": impl, "median_s": m,
                                 "spread": spread, "reps": len(times[impl]),
                                 "ratio": m / t_le if t_le > 0 else None,
                                 "bw_fraction": (nbytes / bw) / m if nbytes else None,
                                 "bandwidth_GBps": bw / 1e9 if bw else None})
                _print_line(c.label, med, nbytes, bw)
    finally:
        le.set_num_threads(prev)
        if torch:
            torch.set_num_threads(prev_torch)
    if out:
        with open(out, "w") as f:
            json.dump({**header, "columns": list(COLUMNS), "rows": rows}, f, indent=1)
    if csv_out:
        with open(csv_out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    if plot_out:
        plot_speedups(rows, plot_out, header)
    return 0


def _print_line(label, med, nbytes, bw):
    get = lambda impl: med[impl][0] if impl in med else None  # noqa: E731
    t_le, t_torch, t_np, t_jax = get("lossengine"), get("torch"), get("numpy"), get("jax")
    ratio = f"{t_torch / t_le:7.2f}x" if t_torch else "       -"
    nratio = f"{t_np / t_le:6.1f}x" if t_np else "      -"
    fr = f"{(nbytes / bw) / t_le:7.2f}" if nbytes else "      -"
    print(f"{label:44s} {_fmt(t_le)} {_fmt(get('lossengine+grad_out'))} {_fmt(t_torch)} "
          f"{_fmt(t_np)} {ratio} {nratio} {fr}"
          + (f"  jax {_fmt(t_jax)} ({t_jax / t_le:.2f}x)" if t_jax else ""), flush=True)


#: One colour per peer in the plot.
_PEER_COLOURS = {"torch": "#d95f02", "numpy": "#1f78b4", "jax": "#33a02c"}
#: Hatches telling thread counts apart (first, second, ... count in the run).
_HATCHES = ("", "///", "...", "xxx", "\\\\\\")


def plot_speedups(rows, path, header=None):
    """Draw lossengine's speed-up against each peer, per case, to ``path``.

    Grouped horizontal bars on a log scale: one group per case, one colour per
    peer, one hatch per thread count; the value is the peer's median time over
    lossengine's (allocating ``grad=True`` call), so a bar right of 1 means
    lossengine was faster.  matplotlib is imported here only.

    Parameters
    ----------
    rows : list of dict
        Rows as written by :func:`run` (keys ``COLUMNS``).
    path : str
        Output file; its extension picks the format (png, svg, pdf).
    header : dict, optional
        Run information for the subtitle (version, ISA, L3, threads).

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    cases = list(dict.fromkeys(r["case"] for r in rows))
    threads = list(dict.fromkeys(r["threads"] for r in rows))
    ratio = {(r["case"], r["implementation"], r["threads"]): r["ratio"] for r in rows
             if r["ratio"] is not None and r["ratio"] > 0}
    peers = [p for p in PEERS if any(k[1] == p for k in ratio)]
    slots = [(p, nt) for p in peers for nt in threads]
    n_bars = sum(1 for c in cases for p, nt in slots if (c, p, nt) in ratio)
    height = 1.6 + 0.22 * max(n_bars, 1) + 0.18 * len(cases)
    fig = Figure(figsize=(10, height), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    bar_h = 0.8 / max(len(slots), 1)
    values = []
    for ci, c in enumerate(cases):
        present = [(p, nt) for p, nt in slots if (c, p, nt) in ratio]
        for si, (p, nt) in enumerate(present):
            v = ratio[(c, p, nt)]
            values.append(v)
            # bars of a case are centred on its row whatever peers it has
            y = ci - 0.4 + bar_h * (si + 0.5) + 0.4 - bar_h * len(present) / 2
            # bars grow from 1x: right when lossengine is faster, left when slower
            ax.barh(y, v - 1.0, height=bar_h * 0.92, left=1.0, color=_PEER_COLOURS.get(p, "grey"),
                    hatch=_HATCHES[threads.index(nt) % len(_HATCHES)], edgecolor="white",
                    linewidth=0.5)
            ax.text(v * 1.03 if v >= 1 else v / 1.03, y, f"{v:.3g}×", va="center",
                    ha="left" if v >= 1 else "right", fontsize=7)
    for ci in range(len(cases) - 1):
        ax.axhline(ci + 0.5, color="0.88", linewidth=0.6)
    ax.set_xscale("log")
    if values:
        lo, hi = min(min(values), 1.0), max(max(values), 1.0)
        ax.set_xlim(lo / 1.8, hi * 1.8)    # room for the value labels
    ax.axvline(1.0, color="black", linewidth=1)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="x", which="major", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_yticks(range(len(cases)), cases, fontsize=8)
    ax.set_ylim(len(cases) - 0.5, -0.5)      # first case on top
    ax.set_xlabel("speed-up of lossengine = peer time / lossengine time"
                  "  (right of 1×: lossengine faster)")
    title = "lossengine against its peers (loss + gradient)"
    if header:
        title += (f"\nlossengine {header.get('lossengine')}, ISA {header.get('isa')}, "
                  f"L3 {_fmt_bytes(header.get('l3_bytes'))}, threads "
                  f"{','.join(map(str, header.get('threads', threads)))}")
    ax.set_title(title, fontsize=10)
    handles = [Patch(facecolor=_PEER_COLOURS.get(p, "grey"), label=f"vs {p}") for p in peers]
    if len(threads) > 1:
        handles += [Patch(facecolor="0.75", edgecolor="white", hatch=_HATCHES[i % len(_HATCHES)],
                          label=f"{nt} thread{'s' if nt > 1 else ''}")
                    for i, nt in enumerate(threads)]
    if not values:
        ax.text(0.5, 0.5, "no peer was timed (install torch or jax, or pick cases with a "
                "NumPy implementation)", transform=ax.transAxes, ha="center", fontsize=9)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  frameon=False)
    fig.savefig(path)
    return path
