"""The worker process that runs fuzz cases, and the parent's handle on it.

The parent sends one JSON case per line on the worker's stdin and reads one
JSON result per line back (the worker's own prints go to its stderr).  A
worker that dies (segfault, abort, sanitizer report) or runs past the
timeout is restarted; the case is reported as a crash/timeout with the tail
of the worker's stderr, and the run goes on.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class WorkerStartError(RuntimeError):
    pass


def _sanitizer_reports(pid):
    """Reports a sanitizer wrote to files (log_path=...) for process `pid`."""
    import glob
    out = ""
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        for opt in os.environ.get(var, "").split(":"):
            if opt.startswith("log_path="):
                for path in glob.glob(f"{opt[9:]}.{pid}"):
                    try:
                        with open(path, errors="replace") as f:
                            out += f"\n--- {path}\n" + f.read()[:6000]
                    except OSError:
                        pass
    return out


class Worker:
    def __init__(self, timeout=30.0, env=None):
        self.timeout = timeout
        self.env = env
        self.proc = None
        self.restarts = 0
        self._err = None

    def _start(self):
        self._err = tempfile.TemporaryFile(mode="w+b")
        # the worker imports the lossengine this process imported (the tree's,
        # or an installed one)
        import lossengine
        env = dict(os.environ if self.env is None else self.env)
        env["LOSSENGINE_FUZZ_PKGDIR"] = os.path.dirname(os.path.dirname(
            os.path.abspath(lossengine.__file__)))
        self.proc = subprocess.Popen([sys.executable, "-u", os.path.join(HERE, "fuzz_worker.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, env=env, cwd=os.getcwd())
        self._buf = b""
        self._eof = False
        line = self._readline(max(self.timeout, 120.0))   # import of lossengine
        if line is None or not line.startswith(b'{"ready"'):
            tail = self._stderr_tail()
            self.close()
            raise WorkerStartError(f"fuzz worker did not start: {tail}")

    def _stderr_tail(self, n=4000):
        if self._err is None:
            return ""
        try:
            self._err.flush()
            self._err.seek(0, os.SEEK_END)
            size = self._err.tell()
            self._err.seek(max(0, size - n))
            return self._err.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def _readline(self, timeout):
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._eof = True
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def run(self, case):
        """The worker's result dict for `case`, or a crash/timeout result."""
        if self.proc is None:
            self._start()
            self._err.seek(0)
            self._err.truncate()
        try:
            self.proc.stdin.write((json.dumps(case) + "\n").encode())
            self.proc.stdin.flush()
            line = self._readline(self.timeout)
        except (BrokenPipeError, OSError):
            line = None
        if line is not None:
            return json.loads(line)
        # died or hung
        timed_out = not self._eof and self.proc.poll() is None
        if timed_out:
            self.proc.kill()
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:   # closed its stdout but lives on
            self.proc.kill()
            rc = self.proc.wait()
        tail = self._stderr_tail(64000)
        # what the crashing case wrote (the sanitizer's report, a traceback)
        i = tail.rfind("CASE ")
        if i >= 0:
            tail = tail[tail.find("\n", i) + 1:]
        tail = tail[:8000] + _sanitizer_reports(self.proc.pid)
        self.close()
        self.restarts += 1
        sig = -rc if rc < 0 else None
        how = f"signal {signal.Signals(sig).name}" if sig else f"exit {rc}"
        what = f"timeout after {self.timeout:.0f} s" if timed_out else f"worker died: {how}"
        return {"outcome": "timeout" if timed_out else "crash", "calls": 1, "unnamed": None,
                "error": what,
                "failures": [{"check": "timeout" if timed_out else "crash",
                              "detail": what + "\n" + tail}]}

    def close(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            if self.proc.poll() is None:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self._err is not None:
            self._err.close()
            self._err = None


def _cap_memory():
    """Bound the worker's address space (LOSSENGINE_FUZZ_MEMORY_GB, default 6)
    so that a valid but enormous request (num_classes=2**31-1 asks for 16 GB)
    fails with MemoryError instead of exhausting the machine.  Under
    AddressSanitizer, whose shadow memory needs terabytes of address space,
    ASAN_OPTIONS' max_allocation_size_mb plays this part (tools/sanitize.sh)."""
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        return
    try:
        import resource
        gb = float(os.environ.get("LOSSENGINE_FUZZ_MEMORY_GB", "6"))
        resource.setrlimit(resource.RLIMIT_AS, (int(gb * (1 << 30)), resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):
        pass


def _serve():
    import faulthandler
    import traceback
    _cap_memory()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                      # stray prints must not corrupt the protocol
    faulthandler.enable()
    sys.path.insert(0, HERE)
    sys.path.insert(1, os.environ.get("LOSSENGINE_FUZZ_PKGDIR") or ROOT)
    import fuzz_core
    targets = fuzz_core.targets()
    optims = fuzz_core.optim_classes()
    proto.write('{"ready": true}\n')
    for line in sys.stdin:
        case = json.loads(line)
        sys.stderr.write(f"CASE {line}")
        sys.stderr.flush()
        try:
            if case["t"] in optims:
                res = fuzz_core.run_optim_case(case, optims)
            else:
                res = fuzz_core.run_case(case, targets)
        except Exception as exc:  # a bug of the harness itself
            res = {"outcome": "harness_error", "calls": 0, "unnamed": None, "error": repr(exc),
                   "failures": [{"check": "harness", "detail": traceback.format_exc()[-1500:]}]}
        proto.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    _serve()
