"""Build: C kernels compiled once per ISA level, Cython bridges linked to all of them.

Every ``csrc/*.c`` kernel family is compiled three times (baseline x86-64,
AVX2+FMA, AVX-512) with a name-suffix macro, so one extension holds all three
and picks one at import (``csrc/cpu.c``).  OpenMP is probed by compiling and
running a tiny program; without it the engine is built serial.
"""
import glob
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")

# (name, flags). Never -march=native, never -ffast-math.
ISA_LEVELS = [("baseline", [])]
if IS_X86:
    ISA_LEVELS += [
        ("avx2", ["-mavx2", "-mfma"]),
        ("avx512", ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                    "-mprefer-vector-width=512", "--param=vect-partial-vector-usage=1"]),
    ]
# -fno-math-errno lets sqrt vectorise; -fno-trapping-math lets the branch-free
# selects of the kernels be if-converted below AVX-512 (no masked loads there).
# Neither changes a result: IEEE NaN/inf/signed-zero semantics are kept.
BASE_CFLAGS = ["-O3", "-std=gnu99", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-fvisibility=hidden", "-Wall",
               "-Wno-unknown-pragmas", "-Wno-unused-function"]
KERNEL_SOURCES = sorted(s for s in glob.glob("csrc/*.c") if os.path.basename(s) != "cpu.c")


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
        objects = []
        for isa, flags in ISA_LEVELS:
            outdir = os.path.join(self.build_temp, "isa_" + isa)
            objects += self.compiler.compile(
                KERNEL_SOURCES, output_dir=outdir, include_dirs=["csrc"],
                macros=macros + [("LE_ISA", isa)],
                extra_postargs=BASE_CFLAGS + omp_c + flags)
        objects += self.compiler.compile(
            ["csrc/cpu.c"], output_dir=os.path.join(self.build_temp, "common"),
            include_dirs=["csrc"], macros=macros, extra_postargs=BASE_CFLAGS + omp_c)
        for ext in self.extensions:
            ext.extra_objects = list(objects)
            ext.extra_compile_args = ["-O2", "-Wno-unused-function"] + omp_c
            ext.extra_link_args = omp_l
            ext.define_macros = list(ext.define_macros or []) + macros
        super().build_extensions()

    @staticmethod
    def _compiler_name(cc):
        try:
            out = subprocess.run(cc + ["--version"], capture_output=True, text=True, timeout=60)
            return out.stdout.splitlines()[0].strip()
        except Exception:
            return cc[0]


def extensions():
    exts = []
    for pyx in sorted(glob.glob("lossengine/_*.pyx")):
        name = "lossengine." + os.path.splitext(os.path.basename(pyx))[0]
        exts.append(Extension(name, [pyx], include_dirs=["csrc", np.get_include()],
                              depends=glob.glob("csrc/*.h") + KERNEL_SOURCES,
                              # NumPy's C API as of 1.25 (the oldest runtime supported)
                              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_25_API_VERSION"),
                                             ("NPY_TARGET_VERSION", "NPY_1_25_API_VERSION")]))
    return cythonize(exts, language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
