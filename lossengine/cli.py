"""The ``lossengine`` command: ``info``, ``check`` and ``bench``.

Exit status: 0 on success, 1 when ``check`` finds a failure, 2 for invalid
usage (an unknown option, a bad value, a filter matching nothing).
"""
import argparse
import importlib.util
import os
import sys

from . import __version__

#: Optional packages reported by ``info``: (import name, what it serves).
_OPTIONAL = (("torch", "bench peer, test reference"), ("jax", "bench peer"),
             ("matplotlib", "bench --plot"), ("scipy", ""), ("threadpoolctl", ""),
             ("dask", "dask arrays"), ("xgboost", "boosting"), ("lightgbm", "boosting"))


def _version_of(name):
    """Installed version of an optional package without importing it."""
    if importlib.util.find_spec(name) is None:
        return None
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "installed"


def _info(args):
    import numpy as np
    import lossengine as le
    from . import _runtime
    bi = _runtime.build_info()
    print(f"lossengine {le.__version__}")
    print(f"compiler:   {bi['compiler']}")
    print(f"openmp:     {'on' if bi['openmp'] else 'off (serial build)'}")
    print(f"isa:        {le.isa()} (best on this CPU: {le.best_isa()})")
    print(f"threads:    {le.get_num_threads()}")
    oc = le.get_output_cache()
    print(f"out cache:  {oc['limit'] >> 20} MiB limit, {oc['cached_blocks']} blocks held")
    print(f"numpy:      {np.__version__}")
    for name, use in _OPTIONAL:
        v = _version_of(name)
        state = v if v else "not installed"
        print(f"{name + ':':15s}{state}" + (f"  ({use})" if use else ""))
    return 0


def _check(args):
    from . import _check as chk
    entries = chk.select(args.filter)
    if not entries:
        print(f"lossengine check: no registered function matches {args.filter!r}",
              file=sys.stderr)
        return 2
    print(f"lossengine {__version__} check: {len(entries)} function(s), dtype {args.dtype}, "
          f"seed {args.seed}; fused derivatives against 4th-order central finite differences "
          "(float64)", flush=True)
    width = max(len(e.name) for e in entries) + 2
    n_fail = n_grad = n_hess = n_skip = 0
    for e in entries:
        r = chk.check_entry(e, args.dtype, args.seed)
        print(chk.format_report(r, width), flush=True)
        n_fail += not r.ok
        n_grad += r.count("grad")
        n_hess += r.count("hess")
        n_skip += len(r.skipped)
    summary = (f"{len(entries) - n_fail} of {len(entries)} functions ok, {n_fail} failed "
               f"({n_grad} gradient and {n_hess} Hessian checks, {n_skip} skipped; {args.dtype})")
    print(("FAILED: " if n_fail else "") + summary)
    return 1 if n_fail else 0


def _writable_path(flag):
    """argparse type: a file path whose directory exists and is writable."""
    def check(path):
        if not path:
            raise argparse.ArgumentTypeError(f"{flag} needs a file name")
        d = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(d):
            raise argparse.ArgumentTypeError(f"directory {d!r} does not exist")
        if not os.access(d, os.W_OK):
            raise argparse.ArgumentTypeError(f"directory {d!r} is not writable")
        if os.path.isdir(path):
            raise argparse.ArgumentTypeError(f"{path!r} is a directory")
        return path
    return check


def _thread_list(text):
    """argparse type: comma-separated thread counts, each an int >= 1."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated thread counts such as 1,2, got {text!r}")
    out = []
    for p in parts:
        try:
            n = int(p)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"thread count {p!r} is not an integer (expected e.g. 1,2)") from None
        if not 1 <= n <= 2 ** 16:
            raise argparse.ArgumentTypeError(f"thread count {n} is out of range 1..65536")
        out.append(n)
    return out


def _positive_int(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def _seed(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {n}")
    return n


_PLOT_FORMATS = ("png", "svg", "pdf")


def _bench(args, parser):
    if args.plot:
        ext = os.path.splitext(args.plot)[1].lower().lstrip(".")
        if ext not in _PLOT_FORMATS:
            parser.error(f"argument --plot: the file name must end in "
                         f"{', '.join('.' + f for f in _PLOT_FORMATS)}, got {args.plot!r}")
        # checked before the (long) run, imported for real only to draw
        if importlib.util.find_spec("matplotlib") is None:
            parser.error("argument --plot: matplotlib is not installed "
                         "(pip install matplotlib, or the package's 'plot' extra)")
    from .bench.runner import run
    return run(threads=args.threads, pattern=args.filter, quick=args.quick, out=args.json,
               csv_out=args.csv, plot_out=args.plot, reps=args.reps,
               bandwidth=not args.no_bandwidth)


def _parser():
    p = argparse.ArgumentParser(
        prog="lossengine", description="C-accelerated losses with fused gradients: "
        "build information, derivative checks and benchmarks.",
        epilog="Exit status: 0 ok, 1 check failures, 2 invalid usage or nothing matched.")
    p.add_argument("--version", action="version", version=f"lossengine {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="{info,check,bench}")
    sub.add_parser("info", help="version, compiler, OpenMP, ISA in use, threads, optional packages",
                   description="Version, compiler, OpenMP, ISA in use, threads and which "
                   "optional packages are importable.")
    c = sub.add_parser(
        "check", help="fused gradients against finite differences",
        description="Compare every registered function's fused gradient (grad=True), and its "
        "Hessian diagonal where the function takes hess=, with 4th-order central finite "
        "differences in float64 at random inputs: every variant and reduction of the "
        "registry. Exit status 1 on any failure.")
    c.add_argument("--filter", metavar="RE", default=None,
                   help="only functions whose name matches this regular expression "
                   "(case-insensitive; literal text also matches)")
    c.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="compute dtype of the checked calls (default float64; float32 is "
                   "held to the float32 tolerance)")
    c.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs (default 0)")
    b = sub.add_parser(
        "bench", help="benchmark against PyTorch CPU, NumPy and JAX",
        description="Time every built-in bench case for lossengine and, at the same thread "
        "counts, for the installed peers. A progress line per case goes to stderr.")
    b.add_argument("--threads", type=_thread_list, default=[1, 2], metavar="N[,N...]",
                   help="comma-separated thread counts, each >= 1 (default 1,2)")
    b.add_argument("--filter", metavar="RE", default=None,
                   help="only cases whose function name or label matches this regular "
                   "expression (case-insensitive; literal text also matches)")
    b.add_argument("--quick", action="store_true", help="shorter time budget per measurement")
    b.add_argument("--reps", type=_positive_int, default=None, metavar="N",
                   help="time exactly N calls per measurement (after a warm-up)")
    b.add_argument("--no-bandwidth", action="store_true",
                   help="skip the copy-bandwidth measurement (no bandwidth fraction)")
    b.add_argument("--json", type=_writable_path("--json"), default=None, metavar="FILE",
                   help="write the results (one row per case x threads x implementation)")
    b.add_argument("--csv", type=_writable_path("--csv"), default=None, metavar="FILE",
                   help="write the same rows as CSV")
    b.add_argument("--plot", type=_writable_path("--plot"), default=None, metavar="FILE.png",
                   help="draw the speed-up against each peer per case (needs matplotlib; "
                   ".png, .svg or .pdf)")
    return p


def main(argv=None):
    """Run the ``lossengine`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 1 ``check`` failures, 2 invalid usage.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    lossengine ...
    0
    """
    p = _parser()
    try:
        args = p.parse_args(argv)
        if args.cmd is None:
            p.print_help(sys.stderr)
            return 2
        if args.cmd == "info":
            return _info(args)
        if args.cmd == "check":
            return _check(args)
        return _bench(args, p)
    except SystemExit as exc:        # argparse: --help/--version 0, usage errors 2
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        print("lossengine: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:           # e.g. a result file that cannot be written
        print(f"lossengine: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
