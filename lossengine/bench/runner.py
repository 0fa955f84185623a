"""``lossengine bench``: every registered bench case timed for lossengine and,
in the same run at the same thread count, for PyTorch CPU and NumPy when they
are installed.  Prints medians, ratios and the fraction of the memory-bandwidth
bound (bytes that must move / copy bandwidth measured at that thread count on
a buffer larger than the last-level cache)."""
import json
import statistics
import time

import numpy as np

import lossengine as le
from .. import _core, _registry


def _timeit(fn, quick=False, min_time=None, max_reps=None):
    """Median seconds of repeated calls (after one warm-up)."""
    fn()
    min_time = min_time if min_time is not None else (0.15 if quick else 0.5)
    max_reps = max_reps if max_reps is not None else (20 if quick else 200)
    times = []
    t_start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - t_start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _l3_bytes():
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index3/size") as f:
            v = f.read().strip().upper()
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(v[-1], 1)
        return int(v.rstrip("KMG")) * mult
    except (OSError, ValueError):
        return 32 << 20


def copy_bandwidth(n_threads, nbytes=None):
    """Bytes moved per second (read + write) by a parallel copy of a buffer
    larger than the last-level cache (capped at 1 GiB a side)."""
    if nbytes is None:
        nbytes = min(max(256 << 20, int(1.25 * _l3_bytes())), 1 << 30)
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    t = _timeit(lambda: _core.memcopy(dst, src, n_threads), min_time=0.3, max_reps=20)
    return 2 * nbytes / t


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


def _fmt(t):
    if t is None:
        return "      -"
    return f"{t * 1e3:9.3f}" if t >= 1e-4 else f"{t * 1e6:7.1f}µs"


def run(threads=(1, 2), pattern=None, quick=False, out=None):
    torch = _torch()
    jax = _jax()
    cases = [(e, c) for e in _registry.entries() for c in e.bench
             if pattern is None or pattern in c.label]
    print(f"lossengine {le.__version__}  isa={le.isa()}  "
          f"torch={'%s' % torch.__version__ if torch else 'not installed'}  numpy={np.__version__}")
    results = []
    prev = le.get_num_threads()
    try:
        for nt in threads:
            le.set_num_threads(nt)
            if torch:
                torch.set_num_threads(nt)
            bw = copy_bandwidth(nt)
            print(f"\n== {nt} thread(s); copy bandwidth {bw / 1e9:.1f} GB/s ==")
            print(f"{'case':44s} {'le ms':>9s} {'le+out':>9s} {'torch ms':>9s} {'numpy ms':>9s}"
                  f" {'torch/le':>8s} {'np/le':>7s} {'bw frac':>7s}")
            for e, c in cases:
                rng = np.random.default_rng(0)
                args, kw = c.make(rng, np.dtype(c.dtype))
                if c.grad:
                    t_le = _timeit(lambda: e.func(*args, **kw, grad=True), quick)
                    _, g = e.func(*args, **kw, grad=True)
                    t_out = _timeit(lambda: e.func(*args, **kw, grad=True, grad_out=g), quick)
                else:
                    t_le = _timeit(lambda: e.func(*args, **kw), quick)
                    t_out = None
                t_torch = _timeit(c.torch(args, kw), quick) if (torch and c.torch) else None
                t_np = _timeit(c.numpy(args, kw), quick) if c.numpy else None
                t_jax = _timeit(c.jax(args, kw), quick) if (jax and c.jax) else None
                frac = None
                if c.nbytes:
                    frac = (c.nbytes(args) / bw) / t_le
                r = {"case": c.label, "threads": nt, "le": t_le, "le_grad_out": t_out,
                     "torch": t_torch, "numpy": t_np, "jax": t_jax, "bw_fraction": frac,
                     "bandwidth": bw}
                results.append(r)
                ratio = f"{t_torch / t_le:7.2f}x" if t_torch else "       -"
                nratio = f"{t_np / t_le:6.1f}x" if t_np else "      -"
                fr = f"{frac:7.2f}" if frac is not None else "      -"
                print(f"{c.label:44s} {_fmt(t_le)} {_fmt(t_out)} {_fmt(t_torch)} {_fmt(t_np)}"
                      f" {ratio} {nratio} {fr}"
                      + (f"  jax {_fmt(t_jax)} ({t_jax / t_le:.2f}x)" if t_jax else ""), flush=True)
    finally:
        le.set_num_threads(prev)
    if out:
        with open(out, "w") as f:
            json.dump({"isa": le.isa(), "torch": torch.__version__ if torch else None,
                       "results": results}, f, indent=1)
    return 0
