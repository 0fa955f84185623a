"""The examples in the docstrings run (as doctests), and every public name
has a numpydoc docstring with Parameters (when it takes any), Returns (for
functions; a class docstring documents its constructor) and Examples
sections."""
import doctest
import importlib
import inspect

import numpy as np
import pytest

import lossengine as le
from lossengine import _runtime

MODULES = ["lossengine", "lossengine._lse", "lossengine._margin", "lossengine._pointwise",
           "lossengine._activations", "lossengine._binary", "lossengine._ctc", "lossengine.nn",
           "lossengine._runtime", "lossengine.functional"]
# written separately; tested when present
OPTIONAL = ["lossengine.init", "lossengine.optim", "lossengine.optim.lr_scheduler"]


def _optional(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def _module(name):
    if name in OPTIONAL:
        m = _optional(name)
        if m is None:
            pytest.skip(f"{name} is not part of this tree")
        return m
    return importlib.import_module(name)


@pytest.fixture
def restore_runtime():
    # examples may set the thread count or the output cache: leave both as found
    threads = dict(_runtime._state)
    limit = le.get_output_cache()["limit"]
    yield
    _runtime._state.clear()
    _runtime._state.update(threads)
    le.set_output_cache(limit)


@pytest.mark.parametrize("name", MODULES + OPTIONAL)
def test_doctests(name, restore_runtime):
    mod = _module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    tests = [t for t in finder.find(mod, name) if t.examples]
    with np.printoptions(legacy=False):
        for t in tests:
            runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples failed in {name}"
    if name in ("lossengine.nn", "lossengine._lse", "lossengine._binary"):
        assert res.attempted > 20


def _public():
    out = []
    for n in le.__all__:
        obj = getattr(le, n)
        if callable(obj):
            out.append((f"lossengine.{n}", obj))
    for n in le.nn.__all__:
        out.append((f"lossengine.nn.{n}", getattr(le.nn, n)))
    for mname in OPTIONAL:
        m = _optional(mname)
        if m is None:
            continue
        for n in getattr(m, "__all__", ()):
            obj = getattr(m, n)
            if callable(obj) and not isinstance(obj, type(le)):
                out.append((f"{mname}.{n}", obj))
    return out


def _takes_parameters(obj):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return True
    return any(p.name != "self" for p in sig.parameters.values())


def _sections(doc):
    lines = inspect.cleandoc(doc).split("\n")
    return {lines[i].strip() for i in range(len(lines) - 1)
            if lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}
            and len(lines[i + 1].strip()) >= len(lines[i].strip())}


@pytest.mark.parametrize("qualname,obj", _public(), ids=[q for q, _ in _public()])
def test_numpydoc_sections(qualname, obj):
    doc = obj.__doc__
    assert doc and doc.strip(), f"{qualname} has no docstring"
    assert "%(" not in doc, f"{qualname}: unexpanded docstring snippet"
    summary = inspect.cleandoc(doc).split("\n")[0]
    assert summary.strip(), f"{qualname}: the summary line is empty"
    sec = _sections(doc)
    if _takes_parameters(obj):
        assert "Parameters" in sec, f"{qualname}: no Parameters section"
        if inspect.isfunction(obj):
            # every parameter is described
            for p in inspect.signature(obj).parameters:
                assert any(line.split(" : ")[0].replace("*", "").strip() in (p,)
                           or p in [s.strip() for s in line.split(" : ")[0].split(",")]
                           for line in inspect.cleandoc(doc).split("\n")
                           if " : " in line and not line.startswith(" ")), \
                    f"{qualname}: parameter {p!r} is not described"
    if not inspect.isclass(obj):
        # a class docstring documents its constructor (numpydoc: no Returns)
        assert "Returns" in sec, f"{qualname}: no Returns section"
    assert "Examples" in sec, f"{qualname}: no Examples section"
    assert ">>> " in doc.split("Examples", 1)[1], f"{qualname}: the Examples section is empty"
