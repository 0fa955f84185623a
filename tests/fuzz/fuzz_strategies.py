"""Hypothesis strategies producing fuzz cases (JSON dicts, see fuzz_core).

Everything is derived from the registry entry (shapes, variants,
reductions, the structure ``make_inputs`` returns) and the function's
signature (which options exist and their defaults), so a new function is
fuzzed without new code here.
"""
import inspect
import os

import numpy as np
from hypothesis import strategies as st

# dtypes an array argument may be cast to
DTYPES = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "uint64", "bool",
          "object", "complex64", "complex128", "list", "scalar"]
SPECIAL_KINDS = ["nan", "inf", "-inf", "big", "-big", "sub", "sub32", "zero", "-zero", "max"]
LAYOUTS = ["F", "neg", "flip", "strided", "unaligned", "readonly", "C"]
# LOSSENGINE_FUZZ_LAYOUTS=F,neg,... restricts the layouts (e.g. to leave out
# 'unaligned' while a known crash on it would restart the worker every few cases).
if os.environ.get("LOSSENGINE_FUZZ_LAYOUTS"):
    LAYOUTS = [x for x in os.environ["LOSSENGINE_FUZZ_LAYOUTS"].split(",") if x in LAYOUTS]

# Values for options, as source text (fuzz_core.ev).  Valid-looking first.
FLOAT_VALS = ["0.0", "1.0", "0.5", "2.0", "3.0", "-1.0", "-0.5", "1e-300", "1e30", "-1e30",
              "float('inf')", "float('-inf')", "float('nan')", "np.float32(0.5)",
              "np.float64('nan')", "5e-324", "np.float16(2)", "1e300"]
INT_VALS = ["0", "1", "2", "3", "-1", "-100", "7", "2**31", "2**31-1", "2**63", "2**63-1",
            "-2**63", "-2**63-1", "2**64", "np.int64(3)", "np.uint64(2**63)", "np.int32(-1)",
            "1.5", "float('nan')", "float('inf')"]
BOOL_VALS = ["True", "False", "1", "0", "np.bool_(True)", "'yes'"]
NONE_VALS = ["None", "0.5", "0.0", "-1.0", "float('nan')", "float('inf')", "np.ones(3)",
             "np.ones((2, 3))", "np.array([])", "np.zeros((0,))", "[0.5, 0.5]", "2**63",
             "np.full(5, float('nan'))"]
BAD_VALS = ["object()", "'bogus'", "[1, 2]", "None", "1j", "np.array([1.0, 2.0])",
            "np.float32('nan')", "''", "(1, 2)", "np.array('x')"]
EXTREME_VALS = ["2**63", "-2**63-1", "2**64", "2**31", "float('nan')", "float('inf')",
                "float('-inf')", "1e300", "-1.0", "0"]
AXIS_VALS = ["0", "1", "-1", "2", "-2", "3", "-5", "5", "None", "2**63", "1.0", "'x'",
             "np.int64(1)"]
STR_VALS = ["'bogus'", "''", "None", "1", "'MEAN'"]

_SKIP_OPTS = {"grad", "grad_output", "grad_out", "out", "reduction", "self", "params"}


def shapes(max_dims=4):
    """Shapes with empty axes, size 1 and odd sizes."""
    side = st.sampled_from([0, 1, 1, 2, 3, 5, 7, 8, 17, 33])
    return st.lists(side, min_size=0, max_size=max_dims).map(tuple)


def _option_values(p):
    d = p.default
    if p.name in ("axis", "dim"):
        pool = AXIS_VALS
    elif d is inspect.Parameter.empty:
        pool = FLOAT_VALS + INT_VALS
    elif isinstance(d, bool):
        pool = BOOL_VALS
    elif isinstance(d, int):
        pool = INT_VALS
    elif isinstance(d, float):
        pool = FLOAT_VALS
    elif isinstance(d, str):
        pool = [repr(d)] + STR_VALS
    else:
        pool = NONE_VALS
    # a third each: values of the option's kind, wrong types, extremes
    return st.one_of(st.sampled_from(pool), st.sampled_from(BAD_VALS),
                     st.sampled_from(EXTREME_VALS))


def option_names(t, argkeys_by_variant):
    """Parameters worth fuzzing as options: everything but the array
    arguments make_inputs fills positionally and the gradient plumbing."""
    nargs = min((sum(1 for x in k if x.startswith("a")) for k in argkeys_by_variant.values()),
                default=0)
    out = []
    for i, p in enumerate(t.params):
        if p.name in _SKIP_OPTS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if i < nargs and p.default is inspect.Parameter.empty:
            continue
        out.append(p)
    return out


def probe_structure(t):
    """Argument keys ('a0', 'k:weight', ...) make_inputs produces per variant."""
    out = {}
    for v in t.variants:
        try:
            args, kw = t.make_inputs(np.random.default_rng(0), t.shapes[0], "float64", v)
        except Exception:
            continue
        out[v] = ([f"a{i}" for i in range(len(args)) if isinstance(args[i], np.ndarray)]
                  + [f"k:{k}" for k, x in kw.items() if isinstance(x, np.ndarray)]
                  or ["a0"])
    return out


@st.composite
def cases(draw, t, structure, long_mode=False):
    """A fuzz case for target `t` (fuzz_core.Target)."""
    variant = draw(st.sampled_from(sorted(structure) or t.variants))
    keys = structure.get(variant, ["a0"])
    arraykeys = [k for k in keys]
    if draw(st.integers(0, 9)) < 6:
        shape = draw(st.sampled_from(t.shapes))
    else:
        shape = draw(shapes())
    case = {"t": t.name, "seed": draw(st.integers(0, 2**31 - 1)), "shape": list(shape),
            "dtype": draw(st.sampled_from(["float32", "float64"])), "variant": variant}
    # dtype casts: mostly none
    # Each kind of mutation is rare enough that most cases stay valid and
    # reach the value checks (layouts, grad_out, ignored targets).
    n_cast = draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 1, 2]))
    if n_cast and arraykeys:
        case["casts"] = draw(st.dictionaries(st.sampled_from(arraykeys), st.sampled_from(DTYPES),
                                             min_size=1, max_size=n_cast))
    n_spec = draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 1, 2]))
    if n_spec and arraykeys:
        case["specials"] = draw(st.lists(st.tuples(
            st.sampled_from(arraykeys), st.sampled_from(SPECIAL_KINDS),
            st.sampled_from(["one", "some", "all"])), min_size=1, max_size=n_spec).map(
                lambda xs: [list(x) for x in xs]))
    opts = [p for p in option_names(t, structure) if f"k:{p.name}" not in keys or True]
    n_opt = draw(st.sampled_from([0, 0, 0, 0, 1, 1, 2, 3]))
    if n_opt and opts:
        chosen = draw(st.lists(st.sampled_from(opts), min_size=1, max_size=n_opt,
                               unique_by=lambda p: p.name))
        case["opts"] = {p.name: draw(_option_values(p)) for p in chosen}
    if t.reductions:
        case["red"] = draw(st.one_of(st.sampled_from([repr(r) for r in t.reductions]),
                                     st.sampled_from(["'bogus'", "None", "'MEAN'", "1"])))
        if draw(st.integers(0, 9)) < 9:
            case["red"] = repr(draw(st.sampled_from(t.reductions)))
    if t.accepts("grad"):
        case["grad"] = draw(st.booleans())
    if t.accepts("grad_output") and draw(st.integers(0, 3)) == 0:
        case["go"] = draw(st.sampled_from(
            ["expr:2.5", "expr:float('nan')", "expr:-0.0", "expr:np.float32(3)", "expr:'x'",
             "expr:1j", "expr:np.ones(2)", "expr:np.ones(1)", "expr:[1.0]", "loss_shaped",
             "loss_shaped_int", "loss_shaped_F", "bcast", "bad_shape"]))
    if t.accepts("grad_out") and t.preds and draw(st.integers(0, 2)) == 0:
        case["gout"] = draw(st.sampled_from(
            ["good", "good", "good_F", "good_strided", "wrong_shape", "wrong_dtype", "readonly",
             "alias", "list", "wrong_len"]))
    if t.accepts("out") and draw(st.integers(0, 2)) == 0:
        case["out"] = draw(st.sampled_from(["good", "good", "good_F", "wrong_shape",
                                            "wrong_dtype", "readonly", "alias"]))
    if t.accepts("ignore_index") and draw(st.integers(0, 3)) == 0:
        case["ignore_all"] = True
    case["layouts"] = draw(st.lists(st.tuples(st.sampled_from(arraykeys + ["*"]),
                                              st.sampled_from(LAYOUTS)),
                                    min_size=0, max_size=3).map(lambda xs: [list(x) for x in xs]))
    return case


@st.composite
def optim_cases(draw, name, cls):
    """A fuzz case for an optimizer class of lossengine.optim."""
    n = draw(st.integers(1, 3))
    case = {"t": name, "seed": draw(st.integers(0, 2**31 - 1)),
            "pshapes": [list(draw(shapes(3))) for _ in range(n)],
            "pdtypes": [draw(st.sampled_from(["float32", "float64", "float32", "float64",
                                              "float16", "int64", "object", "list"]))
                        for _ in range(n)],
            "gmodes": draw(st.lists(st.sampled_from(["ok", "ok", "ok", "none", "wrong_shape",
                                                     "nan", "list"]), min_size=1, max_size=3)),
            "gdtype": draw(st.sampled_from(["float32", "float64", "float16", "int32"])),
            "steps": draw(st.integers(1, 3)),
            "extra_grad": draw(st.integers(0, 9)) == 0,
            "layouts": draw(st.lists(st.sampled_from(LAYOUTS), max_size=2))}
    try:
        sig = inspect.signature(cls.__init__)
        params = [p for p in sig.parameters.values()
                  if p.name not in _SKIP_OPTS and p.kind not in (p.VAR_POSITIONAL,
                                                                  p.VAR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    k = draw(st.sampled_from([0, 0, 1, 2, 3]))
    if k and params:
        chosen = draw(st.lists(st.sampled_from(params), min_size=1, max_size=k,
                               unique_by=lambda p: p.name))
        case["opts"] = {p.name: draw(_option_values(p)) for p in chosen}
    return case
