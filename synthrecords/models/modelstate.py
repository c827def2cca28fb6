"""Safe model files: fitted objects as JSON plus safetensors, never pickle.

``encode`` turns a fitted object graph (an SDV synthesizer's processor and model, a torch
module) into a JSON tree and a dict of arrays. ``decode`` rebuilds it, instantiating only
classes from an allowlist of modules (with ``cls.__new__`` and their saved attributes):
no constructor, no ``__reduce__``, no code from the file runs. A type the codec does not
know fails at save time, naming the attribute path, rather than being pickled.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from ..errors import SynthRecordsError

# Modules whose classes may be rebuilt from a model file.
ALLOWED_MODULES = ("rdt.", "sdv.data_processing.", "sdv.single_table.", "copulas.", "ctgan.",
                   "sklearn.", "torch.nn.", "synthrecords.")
FORMAT = "synthrecords-state/1"


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _allowed_class(name: str) -> type:
    module, _, qual = name.partition(":")
    if not module.startswith(ALLOWED_MODULES):
        raise SynthRecordsError(f"model file names class {name!r}, which is not allowed; the file is not a synthrecords model or was tampered with")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise SynthRecordsError(f"model file names {name!r}, which is not a class")
    return obj


class _Encoder:
    def __init__(self) -> None:
        self.tensors: dict[str, torch.Tensor] = {}
        self._seen: dict[int, tuple[str, Any]] = {}

    def _array(self, value: torch.Tensor) -> str:
        # The same tensor object maps to one key; views of shared storage are copied,
        # since safetensors stores each tensor on its own.
        if id(value) in self._seen:
            return self._seen[id(value)][0]
        key = f"t{len(self.tensors)}"
        self.tensors[key] = value.detach().cpu().clone().contiguous()
        self._seen[id(value)] = (key, value)  # keep value alive so ids stay unique
        return key

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, bool):
            return obj
        if isinstance(obj, float):
            # float() first: np.float64 is a float whose repr is "np.float64(nan)"
            return obj if math.isfinite(obj) else {"__float__": repr(float(obj))}
        if isinstance(obj, np.generic):
            value = obj.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = {"__float__": repr(value)}
            return {"__np_scalar__": obj.dtype.str, "value": value}
        if isinstance(obj, np.dtype):
            return {"__dtype__": obj.str if obj.kind != "O" else "O"}
        if isinstance(obj, torch.nn.Parameter):
            return {"__parameter__": self._array(obj.data), "requires_grad": obj.requires_grad}
        if isinstance(obj, torch.Tensor):
            return {"__tensor__": self._array(obj)}
        if isinstance(obj, torch.Generator):
            return {"__torch_generator__": self._array(obj.get_state())}
        if isinstance(obj, torch.device):
            return {"__device__": "cpu"}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind in "biuf":
                return {"__ndarray__": self._array(torch.from_numpy(np.ascontiguousarray(obj))), "dtype": obj.dtype.str}
            return {"__ndarray_obj__": self.encode(obj.tolist(), path), "shape": list(obj.shape)}
        if isinstance(obj, pd.Timestamp):
            return {"__timestamp__": obj.isoformat()}
        if isinstance(obj, (datetime, date)):
            return {"__datetime__": obj.isoformat(), "date_only": not isinstance(obj, datetime)}
        if isinstance(obj, pd.Series):
            return {"__series__": self.encode(obj.to_numpy(), path), "index": self.encode(obj.index, path),
                    "name": self.encode(obj.name, path), "dtype": str(obj.dtype)}
        if isinstance(obj, pd.Index):
            return {"__index__": self.encode(obj.to_numpy(), path), "dtype": str(obj.dtype), "name": self.encode(obj.name, path)}
        if isinstance(obj, pd.DataFrame):
            return {"__frame__": {str(c): self.encode(obj[c], f"{path}[{c!r}]") for c in obj.columns},
                    "columns": self.encode(list(obj.columns), path), "index": self.encode(obj.index, path)}
        if isinstance(obj, np.random.RandomState):
            name, keys, pos, has_gauss, cached = obj.get_state()
            return {"__randomstate__": [name, self.encode(keys, path), pos, has_gauss, cached]}
        if isinstance(obj, OrderedDict):
            return {"__odict__": [[self.encode(k, path), self.encode(v, f"{path}[{k!r}]")] for k, v in obj.items()]}
        if isinstance(obj, dict):
            return {"__dict__": [[self.encode(k, path), self.encode(v, f"{path}[{k!r}]")] for k, v in obj.items()]}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return {"__namedtuple__": _qualname(type(obj)), "values": [self.encode(v, path) for v in obj]}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, (set, frozenset)):
            return {"__set__": [self.encode(v, path) for v in sorted(obj, key=repr)]}
        if isinstance(obj, type):
            _allowed_class(_qualname(obj))
            return {"__class__": _qualname(obj)}
        if hasattr(obj, "__dict__") and type(obj).__module__.startswith(ALLOWED_MODULES):
            # An attribute bound to one of the object's own methods (copulas swaps in
            # constant-distribution methods for a constant column) is stored by name.
            state = {k: {"__self_method__": v.__func__.__name__} if inspect.ismethod(v) and v.__self__ is obj
                     else self.encode(v, f"{path}.{k}") for k, v in vars(obj).items()}
            return {"__object__": _qualname(type(obj)), "state": state}
        raise TypeError(f"cannot store {type(obj).__module__}.{type(obj).__qualname__} at {path} in a model file")


def _decode(node: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if not isinstance(node, dict):
        return node
    tag = next(iter(node), None)
    d = lambda v: _decode(v, tensors)
    if tag == "__float__":
        return float(node[tag])
    if tag == "__np_scalar__":
        return np.dtype(node[tag]).type(d(node["value"]))
    if tag == "__dtype__":
        return np.dtype(node[tag])
    if tag == "__parameter__":
        return torch.nn.Parameter(tensors[node[tag]].clone(), requires_grad=node["requires_grad"])
    if tag == "__tensor__":
        return tensors[node[tag]].clone()
    if tag == "__torch_generator__":
        generator = torch.Generator()
        generator.set_state(tensors[node[tag]].clone())
        return generator
    if tag == "__device__":
        return torch.device("cpu")
    if tag == "__ndarray__":
        return tensors[node[tag]].numpy().astype(node["dtype"], copy=True)
    if tag == "__ndarray_obj__":
        values = d(node[tag])
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(node["shape"])
    if tag == "__timestamp__":
        return pd.Timestamp(node[tag])
    if tag == "__datetime__":
        value = datetime.fromisoformat(node[tag])
        return value.date() if node["date_only"] else value
    if tag == "__series__":
        return pd.Series(d(node[tag]), index=d(node["index"]), name=d(node["name"])).astype(node["dtype"])
    if tag == "__index__":
        return pd.Index(d(node[tag]), dtype=node["dtype"], name=d(node["name"]))
    if tag == "__frame__":
        columns = d(node["columns"])
        data = {c: d(node[tag][str(c)]) for c in columns}
        return pd.DataFrame(data, columns=columns, index=d(node["index"]))
    if tag == "__randomstate__":
        state = np.random.RandomState()
        name, keys, pos, has_gauss, cached = node[tag]
        state.set_state((name, d(keys), pos, has_gauss, cached))
        return state
    if tag == "__odict__":
        return OrderedDict((d(k), d(v)) for k, v in node[tag])
    if tag == "__dict__":
        return {d(k): d(v) for k, v in node[tag]}
    if tag == "__namedtuple__":
        return _allowed_class(node[tag])(*d(node["values"]))
    if tag == "__tuple__":
        return tuple(d(node[tag]))
    if tag == "__set__":
        return set(d(node[tag]))
    if tag == "__class__":
        return _allowed_class(node[tag])
    if tag == "__object__":
        cls = _allowed_class(node[tag])
        obj = cls.__new__(cls)
        for key, value in node["state"].items():
            if isinstance(value, dict) and next(iter(value), None) == "__self_method__":
                method = getattr(cls, value["__self_method__"], None)
                if not inspect.isfunction(method):
                    raise SynthRecordsError(f"model file binds {node[tag]}.{key} to {value['__self_method__']!r}, "
                                            "which is not a method of that class; the file was tampered with")
                obj.__dict__[key] = method.__get__(obj, cls)
            else:
                obj.__dict__[key] = d(value)
        return obj
    raise SynthRecordsError(f"model file holds an unknown entry {tag!r}; it was not written by this version of synthrecords")


def save_state(obj: Any, folder: Path, name: str) -> None:
    """Write ``name.json`` and ``name.safetensors`` into ``folder``."""
    encoder = _Encoder()
    tree = encoder.encode(obj, name)
    (folder / f"{name}.json").write_text(json.dumps({"format": FORMAT, "state": tree}))
    save_file(encoder.tensors, str(folder / f"{name}.safetensors"))


def load_state(folder: Path, name: str) -> Any:
    try:
        doc = json.loads((folder / f"{name}.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SynthRecordsError(f"cannot read {folder / (name + '.json')}: {exc}; is {folder} a model folder written by `synthrecords fit`?") from exc
    if doc.get("format") != FORMAT:
        raise SynthRecordsError(f"{folder / (name + '.json')} has format {doc.get('format')!r}, expected {FORMAT!r}")
    # The manifest check in Synthesizer.load comes first; this names the file when a state
    # is read on its own (engines, tests) and its tensors are damaged or do not match.
    tensor_file = folder / f"{name}.safetensors"
    try:
        tensors = load_file(str(tensor_file))
        return _decode(doc["state"], tensors)
    except SynthRecordsError:
        raise
    except Exception as exc:  # safetensors raises its own error types for bad headers and sizes
        raise SynthRecordsError(f"cannot load {tensor_file}: {type(exc).__name__}: {exc}; the model file is damaged "
                                "or does not belong with its JSON; fit the model again") from exc
