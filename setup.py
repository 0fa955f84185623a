"""Build: one extension module, ``lossengine._core``, holding every kernel.

Every ``csrc/*.c`` kernel family is compiled three times (baseline x86-64,
AVX2+FMA, AVX-512) with a name-suffix macro, so the module holds all three and
picks one at import (``csrc/cpu.c``).  The Cython bridges of every family are
included into one module (``lossengine/_core.pyx``), so each kernel object is
linked once.  The objects compile in parallel (``LOSSENGINE_BUILD_JOBS``,
default: the CPUs available) and are reused while newer than their sources and
headers.  OpenMP is probed by compiling and running a tiny program; without it
the engine is built serial.

``LOSSENGINE_SANITIZE=1`` builds with AddressSanitizer and
UndefinedBehaviorSanitizer (``tools/sanitize.sh`` runs the tests that way).
"""
import glob
import os
import platform
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")

# (name, flags). Never -march=native, never -ffast-math.
ISA_LEVELS = [("baseline", [])]
if IS_X86:
    ISA_LEVELS += [
        ("avx2", ["-mavx2", "-mfma"]),
        ("avx512", ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                    "-mprefer-vector-width=512", "--param=vect-partial-vector-usage=1"]),
    ]
SANITIZE = os.environ.get("LOSSENGINE_SANITIZE", "") not in ("", "0")
SAN_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
             "-fno-omit-frame-pointer"]
# -fno-math-errno lets sqrt vectorise; -fno-trapping-math lets the branch-free
# selects of the kernels be if-converted below AVX-512 (no masked loads there).
# Neither changes a result: IEEE NaN/inf/signed-zero semantics are kept.
# Release builds carry no debug info (-g0 overrides Python's -g): it tripled
# the size of the module.
BASE_CFLAGS = ["-O3", "-std=gnu99", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd",
               "-fvisibility=hidden", "-Wall", "-Wno-unknown-pragmas", "-Wno-unused-function"]
DEBUG_FLAGS = ["-g"] + SAN_FLAGS if SANITIZE else ["-g0"]
KERNEL_SOURCES = sorted(s for s in glob.glob("csrc/*.c") if os.path.basename(s) != "cpu.c")
HEADERS = sorted(glob.glob("csrc/*.h"))


def _probe_openmp(cc):
    """Return the OpenMP flag that compiles *and runs*, or None."""
    code = ("#include <omp.h>\n#include <stdio.h>\n"
            "int main(void){int n=0;\n#pragma omp parallel num_threads(2) reduction(+:n)\n n+=1;\n"
            "printf(\"%d\", n); return n>=1?0:1;}\n")
    for flag in ("-fopenmp", "-Xpreprocessor -fopenmp"):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "t.c")
            exe = os.path.join(d, "t")
            with open(src, "w") as f:
                f.write(code)
            try:
                subprocess.run(cc + [*flag.split(), src, "-o", exe], check=True,
                               capture_output=True, timeout=120)
                subprocess.run([exe], check=True, capture_output=True, timeout=60)
                return flag.split()
            except Exception:
                continue
    return None


def _jobs():
    v = os.environ.get("LOSSENGINE_BUILD_JOBS", "")
    if v.strip().isdigit() and int(v) > 0:
        return int(v)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _includes(path, seen=None):
    """The project headers `path` includes, transitively (its real dependencies)."""
    seen = set() if seen is None else seen
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return seen
    for name in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M):
        h = os.path.join("csrc", os.path.basename(name))
        if h not in seen and os.path.exists(h):
            seen.add(h)
            _includes(h, seen)
    return seen


def _stale(obj, deps):
    """True when `obj` is missing or older than any of `deps`."""
    if not os.path.exists(obj):
        return True
    t = os.path.getmtime(obj)
    return any(os.path.getmtime(d) > t for d in deps)


class BuildExt(build_ext):
    def build_extensions(self):
        cc = list(self.compiler.compiler_so[:1]) or ["cc"]
        omp = _probe_openmp(cc)
        if omp is None:
            sys.stderr.write("WARNING: OpenMP not available; lossengine is built single-threaded.\n")
            omp_c, omp_l = [], []
        else:
            omp_c, omp_l = omp, (["-fopenmp"] if "-fopenmp" in omp else ["-lomp"])
        macros = [("LE_HAVE_OPENMP", "1" if omp else "0"),
                  ("LE_COMPILER", '"%s"' % self._compiler_name(cc).replace('"', ""))]
        if SANITIZE:
            omp_l = omp_l + SAN_FLAGS

        # Every compile of the build is one job: the kernels at each ISA level,
        # the CPU probe and the bridges' module; longest first, in parallel.
        jobs = []
        for isa, flags in ISA_LEVELS:
            for src in KERNEL_SOURCES:
                jobs.append((src, isa, dict(
                    output_dir=os.path.join(self.build_temp, "isa_" + isa), include_dirs=["csrc"],
                    macros=macros + [("LE_ISA", isa)],
                    extra_postargs=BASE_CFLAGS + omp_c + flags + DEBUG_FLAGS), sorted(_includes(src))))
        jobs.append(("csrc/cpu.c", "common", dict(
            output_dir=os.path.join(self.build_temp, "common"), include_dirs=["csrc"],
            macros=macros, extra_postargs=BASE_CFLAGS + omp_c + DEBUG_FLAGS), sorted(_includes("csrc/cpu.c"))))
        ext = self.extensions[0]          # lossengine._core
        bridge_c = ext.sources[0]
        jobs.append((bridge_c, "bridges", dict(
            output_dir=os.path.join(self.build_temp, "bridges"),
            include_dirs=["csrc", np.get_include()] + list(self.include_dirs or []),
            macros=macros + list(ext.define_macros or []),
            extra_postargs=["-O2", "-Wno-unused-function"] + omp_c + DEBUG_FLAGS), HEADERS))
        jobs.sort(key=lambda j: -os.path.getsize(j[0]))

        def obj_path(src, kw):
            return self.compiler.object_filenames([src], output_dir=kw["output_dir"])[0]

        todo = [j for j in jobs if self.force or _stale(obj_path(j[0], j[2]), [j[0]] + j[3])]
        n_jobs = _jobs()
        print(f"lossengine: compiling {len(todo)} of {len(jobs)} objects with {n_jobs} job(s)"
              + (" (sanitizers on)" if SANITIZE else ""), flush=True)
        done = [0]

        def run(job):
            src, tag, kw, _ = job
            self.compiler.compile([src], **kw)
            done[0] += 1
            print(f"lossengine: [{done[0]}/{len(todo)}] {src} ({tag})", flush=True)

        with ThreadPoolExecutor(n_jobs) as pool:
            for _ in pool.map(run, todo):
                pass
        objects = [obj_path(src, kw) for src, _, kw, _ in jobs]
        # The module's own source was compiled above: link only.
        ext.sources = []
        ext.extra_objects = objects
        ext.depends = list(ext.depends) + objects   # relink when an object changed
        ext.extra_link_args = omp_l
        super().build_extensions()

    @staticmethod
    def _compiler_name(cc):
        try:
            out = subprocess.run(cc + ["--version"], capture_output=True, text=True, timeout=60)
            return out.stdout.splitlines()[0].strip()
        except Exception:
            return cc[0]


def extensions():
    ext = Extension("lossengine._core", ["lossengine/_core.pyx"],
                    include_dirs=["csrc", np.get_include()],
                    depends=sorted(glob.glob("lossengine/_bridge_*.pxi")) + HEADERS,
                    # NumPy's C API as of 1.25 (the oldest runtime supported)
                    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_25_API_VERSION"),
                                   ("NPY_TARGET_VERSION", "NPY_1_25_API_VERSION")])
    return cythonize([ext], language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
