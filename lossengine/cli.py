"""The ``lossengine`` command: ``info`` and ``bench``."""
import argparse
import sys


def _info(args):
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
    import numpy as np
    print(f"numpy:      {np.__version__}")
    return 0


def _bench(args):
    from .bench.runner import run
    threads = [int(t) for t in args.threads.split(",")]
    return run(threads=threads, pattern=args.filter, quick=args.quick, out=args.json)


def main(argv=None):
    p = argparse.ArgumentParser(prog="lossengine", description=__doc__)
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("info", help="version, compiler, OpenMP, ISA in use, threads")
    b = sub.add_parser("bench", help="benchmark against PyTorch CPU and NumPy")
    b.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    b.add_argument("--filter", default=None, help="only cases whose label contains this text")
    b.add_argument("--quick", action="store_true", help="fewer repetitions")
    b.add_argument("--json", default=None, help="also write results to this JSON file")
    args = p.parse_args(argv)
    if args.cmd == "info":
        return _info(args)
    if args.cmd == "bench":
        return _bench(args)
    p.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
