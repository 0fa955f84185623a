"""Memory and time of the fused linear + cross-entropy against the unfused
paths (forward + backward, float32), each measurement in a fresh child process.

Run from the repository root after an in-place build (PYTHONPATH=.) or with
lossengine installed; torch and threadpoolctl must be importable.

    python bench/linear_ce.py                       # N=4096 D=1024 V=32768, 1 and 2 threads
    python bench/linear_ce.py --V 131072 --impl lossengine,torch --reps 1 --threads 2
    python bench/linear_ce.py --json bench/results/linear_ce.json

Implementations:
  lossengine  le.linear_cross_entropy(x, w, t, b, grad=True)
  torch       F.cross_entropy(F.linear(x, w, b), t).backward()   (torch CPU)
  numpy       x @ w.T + b -> le.cross_entropy(grad=True) -> g @ w, g.T @ x, g.sum(0)
  gemm        the three N.V.D GEMMs lossengine performs (logits, dX, dW),
              alone, through SciPy's BLAS (itself multithreaded at the same
              thread count)

Peak memory above the inputs and outputs: the child creates the inputs, warms
up every library on a tiny problem, resets the RSS high-water mark
(/proc/self/clear_refs), runs one call and reports VmHWM - RSS before the call
- bytes of the outputs (loss and the three gradients).  Then `reps` timed
calls (median and min-max spread).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def _status(key):
    with open("/proc/self/status") as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1]) * 1024
    raise KeyError(key)


def _reset_hwm():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child(impl, N, D, V, threads, reps):
    import numpy as np
    import lossengine as le
    from threadpoolctl import threadpool_limits
    le.set_num_threads(threads)
    rng = np.random.default_rng(0)

    def make(n, d, v):
        x = rng.standard_normal((n, d)).astype(np.float32)
        w = (rng.standard_normal((v, d)) / np.sqrt(d)).astype(np.float32)
        b = (rng.standard_normal(v) * 0.1).astype(np.float32)
        t = rng.integers(0, v, size=n)
        return x, w, b, t

    limits = None
    if impl == "lossengine":
        def prepare(x, w, b, t):
            return lambda: le.linear_cross_entropy(x, w, t, b, grad=True)
    elif impl == "numpy":
        limits = threadpool_limits(threads, user_api="blas")

        def prepare(x, w, b, t):
            def run():
                logits = x @ w.T
                logits += b
                loss, g = le.cross_entropy(logits, t, grad=True)
                del logits
                return loss, g @ w, g.T @ x, g.sum(axis=0)
            return run
    elif impl == "torch":
        import torch
        torch.set_num_threads(threads)

        def prepare(x, w, b, t):
            xt, wt, bt = (torch.from_numpy(a).requires_grad_(True) for a in (x, w, b))
            tt = torch.from_numpy(t)

            def run():
                xt.grad = wt.grad = bt.grad = None
                loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(xt, wt, bt),
                                                         tt)
                loss.backward()
                return loss, xt.grad, wt.grad, bt.grad
            return run
    elif impl == "gemm":
        from scipy.linalg import blas
        limits = threadpool_limits(threads, user_api="blas")

        def prepare(x, w, b, t):
            g = np.empty((x.shape[0], w.shape[0]), np.float32).T   # (V, N) F-order: G^T
            g[...] = 1e-3

            def run():
                # logits, dX, dW
                out = [blas.sgemm(1.0, w.T, x.T, trans_a=1)]
                out.append(blas.sgemm(1.0, w.T, g))
                out.append(blas.sgemm(1.0, x.T, g, trans_b=1))
                return out
            return run
    else:
        raise SystemExit(f"unknown implementation {impl}")

    prepare(*make(8, 16, 50))()                  # load every library, first-touch pools
    x, w, b, t = make(N, D, V)
    fn = prepare(x, w, b, t)
    out_bytes = 4 * (1 + N * D + V * D + V)
    if impl == "gemm":
        out_bytes = 0
    _reset_hwm()
    before = _status("VmRSS")
    t0 = time.perf_counter()
    r = fn()
    first = time.perf_counter() - t0
    hwm = _status("VmHWM")
    del r
    times = [first] if reps == 0 else []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    if limits is not None:
        limits.restore_original_limits()
    print(json.dumps({"impl": impl, "N": N, "D": D, "V": V, "threads": threads,
                      "extra_bytes": hwm - before - out_bytes, "times": times}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=4096)
    ap.add_argument("--D", type=int, default=1024)
    ap.add_argument("--V", type=int, default=32768)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--impl", default="lossengine,torch,numpy,gemm")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        impl, N, D, V, th, reps = a.child
        return child(impl, int(N), int(D), int(V), int(th), int(reps))
    rows = []
    print(f"N={a.N} D={a.D} V={a.V} float32; logits would be {a.N * a.V * 4 / 2**20:.0f} MiB")
    print(f"{'impl':12s} {'thr':>3s} {'extra MiB':>10s} {'median s':>9s} {'min s':>7s} {'max s':>7s}",
          flush=True)
    for th in [int(s) for s in a.threads.split(",")]:
        for impl in a.impl.split(","):
            p = subprocess.run([sys.executable, __file__, "--child", impl, str(a.N), str(a.D),
                                str(a.V), str(th), str(a.reps)], capture_output=True, text=True)
            if p.returncode:
                print(f"{impl:12s} {th:3d} failed: {p.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            rows.append(r)
            ts = sorted(r["times"])
            med = ts[len(ts) // 2]
            print(f"{impl:12s} {th:3d} {r['extra_bytes'] / 2**20:10.1f} {med:9.3f} {ts[0]:7.3f} "
                  f"{ts[-1]:7.3f}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows,
                       "load": os.getloadavg()}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
