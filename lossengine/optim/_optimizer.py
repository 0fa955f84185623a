"""The optimizer base: parameter groups, state, state dicts, the step driver."""
import copy
from collections.abc import Mapping

import numpy as np

from .. import _core as _k
from .. import _runtime

__all__ = ["Optimizer"]


def _threads():
    return _runtime.nthreads()


def _describe(x):
    return type(x).__name__


def _check_param(p, where):
    if not isinstance(p, np.ndarray):
        raise TypeError(f"{where}: the optimizer can only optimize numpy arrays, "
                        f"got {_describe(p)}")
    if p.dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: parameters must be float32 or float64, got {p.dtype}")
    if not p.flags.writeable:
        raise ValueError(f"{where}: the parameter array is read-only")


def _copy_value(v):
    """Deep copy of a state value (arrays copied, containers rebuilt)."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, list):
        return [_copy_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_value(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy_value(x) for k, x in v.items()}
    return copy.copy(v)


def _cast_value(v, dtype):
    """A loaded state value: arrays copied to `dtype`, C-contiguous."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "fiub":
            raise TypeError(f"state arrays must be numeric, got {v.dtype}")
        return np.array(v, dtype=dtype, order="C", copy=True)
    if isinstance(v, list):
        return [_cast_value(x, dtype) for x in v]
    if isinstance(v, tuple):
        return tuple(_cast_value(x, dtype) for x in v)
    if isinstance(v, dict):
        return {k: _cast_value(x, dtype) for k, x in v.items()}
    return copy.copy(v)


def _restore(cls, d, params, states):
    """Unpickle an optimizer: its state dicts keyed by the new parameters."""
    opt = cls.__new__(cls)
    opt.__setstate__(d)
    opt._states = {id(p): st for p, st in zip(params, states) if st is not None}
    return opt


class _StateView(Mapping):
    """``optimizer.state``: the per-parameter state dicts, keyed by the
    parameter arrays themselves (by identity, as torch keys by tensor)."""

    def __init__(self, opt):
        self._opt = opt

    def _find(self, p):
        for g in self._opt.param_groups:
            for q in g["params"]:
                if q is p:
                    return q
        return None

    def __getitem__(self, p):
        st = self._opt._states.get(id(p))
        if st is not None and self._find(p) is not None:
            return st
        if self._find(p) is None:
            raise KeyError("not a parameter of this optimizer")
        st = {}
        self._opt._states[id(p)] = st
        return st

    def __iter__(self):
        for g in self._opt.param_groups:
            for p in g["params"]:
                if self._opt._states.get(id(p)):
                    yield p

    def __len__(self):
        return sum(1 for _ in self)

    def __contains__(self, p):
        return bool(self._opt._states.get(id(p))) and self._find(p) is not None

    def __repr__(self):
        return f"<optimizer state of {len(self)} parameters>"


class Optimizer:
    """Base class of the optimizers of :mod:`lossengine.optim` (torch's
    ``torch.optim.Optimizer`` for NumPy arrays).

    Parameters
    ----------
    params : sequence of ndarray or of dict
        The arrays to optimize (float32 or float64, writeable, any layout;
        updated in place), or parameter groups: dicts with a ``'params'``
        sequence and per-group options overriding ``defaults``.
    defaults : dict
        Default hyperparameters of every group.

    Attributes
    ----------
    param_groups : list of dict
        The groups; their hyperparameters may be changed between steps (they
        are checked again at each step).
    state : mapping
        Per-parameter state dicts keyed by the parameter arrays: arrays of the
        parameter's dtype and shape, and Python numbers (step counts).
    defaults : dict

    Raises
    ------
    TypeError
        `params` is a set or a single array, or holds a non-array or a
        non-float array.
    ValueError
        Empty `params`, a read-only array, a parameter listed twice or in two
        groups, parameters sharing memory, invalid hyperparameters.

    Notes
    -----
    NumPy arrays carry no ``.grad``: ``step(grads)`` takes one gradient per
    parameter, in the order of ``param_groups`` then ``params``; ``None``
    skips a parameter for that step, as torch skips ``p.grad is None``.
    Every check of a step is made before anything is written, so a step that
    raises leaves parameters and state unchanged.  Gradients are never
    modified.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import SGD
    >>> w = np.ones(3)
    >>> opt = SGD([w], lr=0.1)
    >>> opt.step([np.array([1.0, 2.0, 3.0])])
    >>> w
    array([0.9, 0.8, 0.7])
    """

    _algo: int = -1           # kernel code (LE_OPT_*) of the elementwise optimizers
    _array_state_checked = True   # per-parameter arrays have the parameter's shape

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._states = {}
        self.param_groups = []
        self._runner = _k.OptimRunner()
        if isinstance(params, np.ndarray):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            "of arrays or dicts, but got ndarray")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of arrays in sets will change "
                            "between runs. Please use a list instead.")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError("params argument given to the optimizer should be an iterable "
                            f"of arrays or dicts, but got {_describe(params)}") from None
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ groups
    @property
    def state(self):
        return _StateView(self)

    def _check_group(self, group):
        """Raise ValueError/TypeError for invalid hyperparameters (subclasses)."""

    def add_param_group(self, param_group):
        """Add a parameter group.

        Parameters
        ----------
        param_group : dict
            ``{'params': arrays, **options}``; missing options take the
            optimizer's defaults.  The dict is copied.

        Raises
        ------
        TypeError
            Not a dict, `params` a set, a non-array or non-float parameter.
        ValueError
            No ``'params'``, a read-only array, a parameter already optimized
            (in this or another group) or sharing memory with one, invalid
            hyperparameters.

        Examples
        --------
        >>> import numpy as np
        >>> from lossengine.optim import SGD
        >>> opt = SGD([np.zeros(2)], lr=0.1)
        >>> opt.add_param_group({'params': [np.zeros(3)], 'lr': 0.01})
        >>> [g['lr'] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_describe(param_group)}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, np.ndarray):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of arrays in sets will change "
                            "between runs. Please use a list instead.")
        else:
            params = list(params)
        n0 = sum(len(g["params"]) for g in self.param_groups)
        for i, p in enumerate(params):
            _check_param(p, f"params[{n0 + i}]")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        existing = [p for g in self.param_groups for p in g["params"]]
        ids = {id(p) for p in existing}
        seen = set()
        for i, p in enumerate(params):
            if id(p) in ids:
                raise ValueError("some parameters appear in more than one parameter group")
            if id(p) in seen:
                raise ValueError(f"params[{n0 + i}]: a parameter appears twice in the group")
            seen.add(id(p))
        allp = existing + params
        pair = _k._overlap_pairs(allp)
        if pair is not None:
            raise ValueError(f"params[{pair[0]}] and params[{pair[1]}] share memory "
                             "(an in-place update would race)")
        self.param_groups.append(group)

    # -------------------------------------------------------------- state dict
    def state_dict(self):
        """The optimizer state in torch's layout, holding copies.

        Returns
        -------
        dict
            ``{'state': {index: {name: ndarray | number}}, 'param_groups':
            [{..., 'params': [indices]}]}``; indices number the parameters in
            group order.  Only NumPy arrays, Python numbers, strings, tuples
            and lists: it pickles and saves with ``np.savez``.

        Examples
        --------
        >>> import numpy as np
        >>> from lossengine.optim import Adam
        >>> opt = Adam([np.zeros(2)])
        >>> opt.step([np.ones(2)])
        >>> sd = opt.state_dict()
        >>> sorted(sd['state'][0]), sd['param_groups'][0]['params']
        (['exp_avg', 'exp_avg_sq', 'step'], [0])
        """
        groups = []
        state = {}
        index = 0
        for g in self.param_groups:
            packed = {k: _copy_value(v) for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                st = self._states.get(id(p))
                if st:
                    state[index] = {k: _copy_value(v) for k, v in st.items()}
                ids.append(index)
                index += 1
            packed["params"] = ids
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state dict made by :meth:`state_dict` (copies are stored).

        Parameters
        ----------
        state_dict : dict

        Raises
        ------
        TypeError
            Not a dict of the expected layout.
        ValueError
            A different number of groups or group sizes, state arrays of the
            wrong size, invalid hyperparameters.  Nothing is changed then.

        Examples
        --------
        >>> import numpy as np
        >>> from lossengine.optim import SGD
        >>> w = np.zeros(2)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> opt.step([np.ones(2)])
        >>> opt2 = SGD([w.copy()], lr=0.5)
        >>> opt2.load_state_dict(opt.state_dict())
        >>> opt2.param_groups[0]['lr'], opt2.state_dict()['state'][0]['momentum_buffer']
        (0.1, array([1., 1.]))
        """
        if not isinstance(state_dict, Mapping) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise TypeError("state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise TypeError("state_dict['state'] must be a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(self.param_groups, saved_groups):
            if not isinstance(sg, Mapping) or "params" not in sg:
                raise TypeError("state_dict['param_groups'] entries must be dicts with 'params'")
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = {}
        for g, sg in zip(self.param_groups, saved_groups):
            for p, sid in zip(g["params"], sg["params"]):
                id_map[sid] = p
        new_states = {}
        for k, v in saved_state.items():
            if k not in id_map:
                continue
            p = id_map[k]
            if not isinstance(v, Mapping):
                raise TypeError(f"state_dict['state'][{k!r}] must be a dict")
            st = {}
            for name, val in v.items():
                if isinstance(val, np.ndarray) and self._array_state_checked \
                        and val.shape != p.shape:
                    raise ValueError(f"state_dict['state'][{k!r}][{name!r}]: shape {val.shape} "
                                     f"differs from the parameter's {p.shape}")
                st[name] = _cast_value(val, p.dtype)
            new_states[id(p)] = st
        new_groups = []
        for g, sg in zip(self.param_groups, saved_groups):
            ng = {k: _copy_value(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            self._check_group(ng)
            new_groups.append(ng)
        self._states = new_states
        self.param_groups = new_groups
        self._runner = _k.OptimRunner()

    # -------------------------------------------------------------------- step
    def _grad_list(self, grads):
        if isinstance(grads, np.ndarray) or grads is None:
            raise TypeError("grads must be a sequence with one entry (array or None) per "
                            "parameter, in the order of param_groups then params")
        if not isinstance(grads, list):
            try:
                grads = list(grads)
            except TypeError:
                raise TypeError("grads must be a sequence with one entry (array or None) "
                                f"per parameter, got {_describe(grads)}") from None
        n = 0
        for g in self.param_groups:
            if type(g["params"]) is not list:
                g["params"] = list(g["params"])
            n += len(g["params"])
        if len(grads) != n:
            raise ValueError(f"grads: expected {n} entries (one per parameter), "
                             f"got {len(grads)}")
        return grads

    def _group_spec(self, group):
        """(keys, inits, scalar keys, scalar inits, flags, fn) of a group."""
        raise NotImplementedError

    def step(self, grads):
        """One optimization step, in place.

        Parameters
        ----------
        grads : sequence of (array or None)
            One gradient per parameter, in the order of ``param_groups`` then
            ``params``, of the parameter's shape and dtype; ``None`` skips the
            parameter.

        Returns
        -------
        None

        Raises
        ------
        TypeError
            `grads` not a sequence, a gradient of another dtype.
        ValueError
            Wrong number of gradients or shape (the message names the index),
            invalid hyperparameters, arrays sharing memory.
        """
        grads = self._grad_list(grads)
        specs = [self._group_spec(g) for g in self.param_groups]
        self._runner.step(self._algo, self.param_groups, grads, self._states, specs,
                          _threads())

    def __getstate__(self):
        # the compiled step buffers are rebuilt, not pickled
        d = dict(self.__dict__)
        d.pop("_runner", None)
        return d

    def __setstate__(self, d):
        # state dicts are keyed by id(param); the unpickled parameters are new
        # objects, so the keys are remapped through the (unpickled) old ids
        self.__dict__.update(d)
        self._runner = _k.OptimRunner()

    def __reduce_ex__(self, protocol):
        params = [p for g in self.param_groups for p in g["params"]]
        states = [self._states.get(id(p)) for p in params]
        d = self.__getstate__()
        d["_states"] = {}
        return (_restore, (type(self), d, params, states))

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)
