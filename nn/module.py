"""``Module``: what every model of ``nn`` has in common, on either engine.

A module owns parameters (``Value`` or ``Tensor`` leaves that require a gradient) and
child modules. Both are found by looking at the module's attributes in the order they
were set, so a model reads like its definition and its parameters come out in a fixed
order, every run:

    attribute holding              counts as
    a Tensor with requires_grad    one parameter group, named by the attribute
    a Value                        a group of shape ()
    a list of Values               a group of shape (len,)
    a Module / list of Modules     children, named "attr" / "attr.0", "attr.1", ...

A *group* is one entry of the ``state_dict``: a name, a shape and the parameters that
fill it. On the Tensor track a group is one Tensor; on the scalar track it is many
Values (a ``Layer``'s ``weight`` group is its neurons' weights, shape (nout, nin)). The
state dict is the same for both: numpy arrays keyed by dotted names, the keys and
shapes PyTorch's ``nn.Sequential`` of ``nn.Linear`` layers uses. Weights move between
the tracks and to PyTorch with one line:

    torch_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})

Files: ``save(path)`` writes the state dict as ``.npz`` through a temporary file and a
rename (a crash never leaves half a file); ``load(path)`` reads it with
``allow_pickle=False`` (loading never runs code) and changes nothing unless every key,
shape and number is right.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, Value

from .checks import flag, show
from .files import as_path, load_npz, save_npz
from .record import _ACTIVE, _record

__all__ = ["Module", "Parameter", "StateDictError"]

Parameter = Union[Value, Tensor]
# (name, shape, params): one Tensor, or the Values of the group in row-major order.
Group = Tuple[str, Tuple[int, ...], Union[Tensor, List[Value]]]

_FORMAT = "autograd-lite/state-dict"
_META_KEY = "__autograd_lite__"


class StateDictError(ValueError):
    """A state dict or file that does not fit the model: missing, extra or mis-shaped keys."""


class Module:
    """Base class of every model: parameters, state dict, save/load, train/eval.

    Subclasses set parameters and child modules as attributes in ``__init__`` and
    define ``forward``; ``model(x)`` calls ``forward(x)``.
    """

    #: "value" for the scalar track, "tensor" for the Tensor track (``fit`` reads it).
    engine: str = "value"
    #: False after ``eval()``. Nothing in ``nn`` behaves differently yet (no dropout or
    #: batch norm); the flag is here so lectures can show the PyTorch idiom.
    training: bool = True
    #: True for modules that record their calls themselves (the scalar track's fast
    #: inner paths skip __call__, so they record where the work happens).
    _records_itself: bool = False

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if _ACTIVE and not self._records_itself:  # only inside nn.record_calls(): see nn/record.py
            _record(self, args[0] if len(args) == 1 else args, out)
        return out

    # ------------------------------------------------------------------ structure

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """Direct child modules with their names, in the order they were set."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)) and value and all(isinstance(m, Module) for m in value):
                for i, m in enumerate(value):
                    yield f"{name}.{i}", m

    def _called_parts(self) -> Iterator[Tuple[str, "Module"]]:
        """Modules this one calls that are not its children in the state dict, with names
        relative to it: none here; a scalar Layer's neurons. ``record_calls`` names them so
        drawings can box each neuron."""
        return iter(())

    def named_modules(self, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        """This module and every descendant, depth first, with dotted names ("" is self)."""
        if not isinstance(prefix, str):
            raise TypeError(f"{type(self).__name__}.named_modules: prefix must be a str, got {show(prefix)}")
        stack: List[Tuple[str, Module]] = [(prefix, self)]
        while stack:  # iterative: deep models must not hit the recursion limit
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def _own_groups(self) -> List[Group]:
        """The parameter groups held directly by this module (not by children)."""
        groups: List[Group] = []
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Tensor):
                if value.requires_grad:
                    groups.append((name, value.shape, value))
            elif isinstance(value, Value):
                if value.requires_grad:
                    groups.append((name, (), [value]))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Value) for v in value):
                groups.append((name, (len(value),), list(value)))
        return groups

    def groups(self) -> List[Group]:
        """Every parameter group of the model with its full dotted name (the state dict's keys)."""
        out: List[Group] = []
        for prefix, module in self.named_modules():
            for name, shape, params in module._own_groups():
                out.append((f"{prefix}.{name}" if prefix else name, shape, params))
        return out

    def named_parameters(self) -> List[Tuple[str, Parameter]]:
        """``(name, parameter)`` pairs in a fixed order; each parameter appears once.

        A Tensor parameter is named by its state-dict key (``"0.weight"``); a Value by its
        key and position (``"0.weight[3, 1]"``), so every scalar weight has a name.
        """
        out: List[Tuple[str, Parameter]] = []
        seen = set()
        for name, shape, params in self.groups():
            if isinstance(params, Tensor):
                if id(params) not in seen:
                    seen.add(id(params))
                    out.append((name, params))
                continue
            for index, p in zip(np.ndindex(*shape), params):
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((f"{name}[{', '.join(map(str, index))}]" if shape else name, p))
        return out

    def parameters(self) -> List[Parameter]:
        """Every parameter, in the order of ``named_parameters()`` (without making the names:
        training loops call this every step)."""
        out: List[Parameter] = []
        seen = set()
        for _, _, params in self.groups():
            for p in (params,) if isinstance(params, Tensor) else params:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def num_parameters(self) -> int:
        """How many numbers training can change (all elements of all parameters)."""
        return sum(p.data.size if isinstance(p, Tensor) else 1 for p in self.parameters())

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next ``backward()``.

        A ``Value``'s grad becomes 0.0 (a Value's grad is always a number); a ``Tensor``'s
        becomes ``None`` or, with ``set_to_none=False``, zeros where it had a gradient (as
        PyTorch: a parameter that never had one keeps ``None``, so optimizers still skip it).
        """
        set_to_none = flag(set_to_none, "set_to_none", f"{type(self).__name__}.zero_grad")
        for p in self.parameters():
            if isinstance(p, Tensor):
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)
            else:
                p.grad = 0.0

    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and all its children; returns self."""
        mode = flag(mode, "mode", f"{type(self).__name__}.train")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> Dict[str, np.ndarray]:
        """Parameters as numpy arrays (copies) keyed by dotted names, PyTorch's keys and shapes."""
        state: Dict[str, np.ndarray] = {}
        for name, shape, params in self.groups():
            if isinstance(params, Tensor):
                state[name] = params.data.copy()
            else:
                state[name] = np.array([p.data for p in params], dtype=np.float64).reshape(shape)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays from ``state`` into the parameters, in place.

        Every key, shape and number is checked first; on any problem a ``StateDictError``
        lists all of them and no parameter changes. ``strict=False`` ignores missing and
        extra keys (shapes must still fit).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict of arrays, got {type(state).__name__}")
        strict = flag(strict, "strict", f"{type(self).__name__}.load_state_dict")
        groups = self.groups()
        expected = {name: shape for name, shape, _ in groups}
        targets = {name: params for name, _, params in groups}
        problems: List[str] = []
        missing = [k for k in expected if k not in state]
        extra = [k for k in state if k not in expected]
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and extra:
            problems.append(f"unexpected keys: {extra}")
        arrays: Dict[str, np.ndarray] = {}
        for name, shape in expected.items():
            if name not in state:
                continue
            try:
                arr = np.asarray(state[name])
            except Exception as exc:  # e.g. a torch tensor that requires grad
                problems.append(f"{name}: cannot read as an array ({exc}); pass tensor.detach().numpy()")
                continue
            if arr.dtype.kind not in "fiu":
                problems.append(f"{name}: expected real numbers, got dtype {arr.dtype}")
            elif arr.shape != shape:
                problems.append(f"{name}: shape {arr.shape} in the state dict, {shape} in the model")
            elif not np.isfinite(arr).all():
                problems.append(f"{name}: contains nan or inf")
            else:
                # Cast to the parameter's dtype now and check again: finite numbers can
                # become inf on the way (1e300 into float32, a longdouble 1e400 into float64).
                param = targets[name]
                target = param.data.dtype if isinstance(param, Tensor) else np.dtype(np.float64)
                with np.errstate(over="ignore"):
                    cast = arr.astype(target)
                if not np.isfinite(cast).all():
                    first = arr.reshape(-1)[np.flatnonzero(~np.isfinite(cast))[0]]
                    problems.append(
                        f"{name}: holds {str(first)} (for example), out of {target} range, the model's dtype there"
                    )
                elif isinstance(param, Tensor) and not param.data.flags.writeable:
                    problems.append(f"{name}: the parameter's array is read-only (Tensor.from_numpy of a read-only array?)")
                else:
                    arrays[name] = cast
        if problems:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: the state does not fit this model "
                f"(nothing was changed):\n  " + "\n  ".join(problems)
            )
        for name, _, params in groups:
            if name not in arrays:
                continue
            if isinstance(params, Tensor):
                # In place: optimizers and from_numpy views keep pointing at the same array.
                params.data[...] = arrays[name]
            else:
                for p, x in zip(params, arrays[name].ravel().tolist()):
                    p.data = x  # a Python float (tolist of a float64 array)

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the state dict to ``path`` as ``.npz``, atomically (temp file, then rename)."""
        path = as_path(path, f"{type(self).__name__}.save")
        state = self.state_dict()
        if _META_KEY in state:
            raise StateDictError(f"{type(self).__name__}.save: a parameter is named {_META_KEY!r}, which the file format reserves")
        meta = json.dumps({"format": _FORMAT, "version": 1, "model": type(self).__name__,
                           "keys": list(state), "num_parameters": self.num_parameters()})
        save_npz(path, {_META_KEY: np.array(meta), **state})  # meta: a unicode array, no pickle

    def load(self, path: Union[str, os.PathLike], strict: bool = True) -> "Module":
        """Read a file written by ``save`` into this model (never runs code); returns self.

        A truncated, corrupt or foreign file raises ``StateDictError`` naming the path,
        and the model is left as it was.
        """
        path = as_path(path, f"{type(self).__name__}.load")
        where = f"{type(self).__name__}.load({path!r})"
        strict = flag(strict, "strict", f"{type(self).__name__}.load")
        state = load_npz(path, where, "autograd-lite state file", StateDictError)
        meta_arr = state.pop(_META_KEY, None)
        if meta_arr is None:
            raise StateDictError(f"{where}: no {_META_KEY!r} entry; this .npz was not written by Module.save")
        try:
            meta = json.loads(str(meta_arr))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"format {meta.get('format')!r}")
        except (ValueError, AttributeError) as exc:
            raise StateDictError(f"{where}: unreadable header ({exc}); the file is corrupt") from None
        self.load_state_dict(state, strict=strict)
        return self

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's line when printed."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in children:
            shown = name.rsplit(".", 1)[-1] if name.rsplit(".", 1)[-1].isdigit() else name
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({shown}): {body}")
        return "\n".join(lines) + "\n)"

    def summary(self) -> str:
        """The printed model, then one line per state-dict entry: name, shape, count."""
        rows = [(name, shape, int(np.prod(shape, dtype=np.int64))) for name, shape, _ in self.groups()]
        width = max([len(r[0]) for r in rows] + [4])
        lines = [repr(self), ""]
        lines += [f"{name:<{width}}  {str(shape):<12} {count:>8}" for name, shape, count in rows]
        lines.append(f"{'total':<{width}}  {'':<12} {self.num_parameters():>8}")
        return "\n".join(lines)


def _check_sizes(where: str, **sizes: Any) -> None:
    """Every size given is a positive int (layer widths, input counts)."""
    for name, n in sizes.items():
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{where}: {name} must be a positive int, got {show(n)}")


def _check_activation(where: str, name: str, act: Any, choices: Sequence[str]) -> str:
    """An activation given by name: a str among ``choices``, or a clear error (a list or
    a function here would otherwise fail as "unhashable type")."""
    if not isinstance(act, str) or act not in choices:
        what = f"{type(act).__name__} {show(act)}" if not isinstance(act, str) else repr(act)
        raise ValueError(f"{where}: unknown {name} {what}; choose one of {list(choices)} (a name, as a str)")
    return act


def _mlp_plan(where: str, nin: int, nouts: Sequence[int], activation: str, output_activation: str) -> List[Tuple[int, int, str]]:
    """``(nin, nout, activation)`` of each layer of ``MLP(nin, nouts)``: hidden layers use
    ``activation``, the last ``output_activation``. Both tracks' MLPs build from this plan,
    which is why they are twins."""
    _check_sizes(where, nin=nin)
    if isinstance(nouts, (int, np.integer)) or not isinstance(nouts, (list, tuple)) or not nouts:
        raise ValueError(f"{where}: nouts is a non-empty list of layer widths, e.g. [16, 16, 1]; got {show(nouts)}")
    for i, n in enumerate(nouts):
        _check_sizes(where, **{f"nouts[{i}]": n})
    sizes = [int(nin)] + [int(n) for n in nouts]
    last = len(nouts) - 1
    return [(sizes[i], sizes[i + 1], activation if i < last else output_activation) for i in range(len(nouts))]

