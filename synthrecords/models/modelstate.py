"""Safe model files: fitted objects as JSON plus safetensors, never pickle.

``encode`` turns a fitted object graph (an SDV synthesizer's processor and model, a torch
module) into a JSON tree and a dict of arrays. ``decode`` rebuilds it, and is written for
files from strangers: it instantiates only the classes named in ``allowed.ALLOWED_CLASSES``
(by exact ``module:QualName`` of a class defined there, no attribute traversal), with
``cls.__new__`` and their saved attributes; no constructor, no ``__reduce__``, no code from
the file runs. Every entry has an exact set of keys, dunder attribute names are refused,
and nesting depth and file sizes are bounded, so a hostile file fails with a
SynthRecordsError naming what is wrong rather than with a crash or a call. A type the codec
does not know fails at save time, naming the attribute path, rather than being pickled.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import re
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from ..errors import SynthRecordsError
from .allowed import ALLOWED_CLASSES, ALLOWED_DUNDERS, SELF_METHODS

FORMAT = "synthrecords-state/1"
# Bounds for files from strangers: real models are far inside them (a fitted CTGAN's tree
# is ~10 levels deep; its JSON a few MB), and a file past them is refused before parsing.
MAX_DEPTH = 64
MAX_JSON_BYTES = 256 * 2**20
MAX_TENSOR_BYTES = 8 * 2**30
# numpy dtype strings ("<f8", "|O", "<M8[ns]") and pandas dtype names ("float64", "category").
_NP_DTYPE = re.compile(r"^[<>|=]?[?bBiufcmMOUSV]\d*(\[[a-zA-Z0-9]+\])?$")
_PD_DTYPE = re.compile(r"^[A-Za-z0-9_\[\], :/+-]{1,64}$")
# pandas' nullable types (an `Int64` column's transformer keeps its dtype): rebuilt from the name alone.
_PD_EXTENSION_DTYPES = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
                        "Float64", "boolean", "string")


class ModelFileError(SynthRecordsError):
    """A model file is damaged, from another version, or was tampered with."""


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _allowed_class(name: Any) -> type:
    if not isinstance(name, str) or name not in ALLOWED_CLASSES:
        raise ModelFileError(f"model file names class {str(name)[:120]!r}, which is not allowed; the file is not a "
                             "synthrecords model or was tampered with")
    module, _, qual = name.partition(":")
    # vars(), not getattr: only a name bound at the module's top level, and the class must
    # be defined there (not imported), so nothing else can hide behind an allowed name.
    cls = vars(importlib.import_module(module)).get(qual)
    if not isinstance(cls, type) or cls.__module__ != module or cls.__qualname__ != qual:
        raise ModelFileError(f"model file names {name!r}, which is not a class defined in {module}; this version of "
                             f"{module.split('.')[0]} differs from the one that saved the model; fit it again")
    return cls


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
        if isinstance(obj, pd.api.extensions.ExtensionDtype) and str(obj) in _PD_EXTENSION_DTYPES:
            return {"__pd_dtype__": str(obj)}
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
            if _qualname(type(obj)) not in ALLOWED_CLASSES:
                raise TypeError(f"cannot store {_qualname(type(obj))} at {path}: add it to models/allowed.py if it is safe")
            return {"__namedtuple__": _qualname(type(obj)), "values": [self.encode(v, path) for v in obj]}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, (set, frozenset)):
            return {"__set__": [self.encode(v, path) for v in sorted(obj, key=repr)]}
        if isinstance(obj, type):
            if _qualname(obj) not in ALLOWED_CLASSES:
                raise TypeError(f"cannot store class {_qualname(obj)} at {path}: add it to models/allowed.py if it is safe to rebuild")
            return {"__class__": _qualname(obj)}
        if hasattr(obj, "__dict__") and not isinstance(obj, type):
            if _qualname(type(obj)) not in ALLOWED_CLASSES:
                raise TypeError(f"cannot store {_qualname(type(obj))} at {path} in a model file: add it to "
                                "models/allowed.py if it is safe to rebuild")
            if bad := [k for k in vars(obj) if k.startswith("__") and k not in ALLOWED_DUNDERS]:
                raise TypeError(f"cannot store attribute {bad[0]!r} of {_qualname(type(obj))} at {path}: dunder names are refused at load")
            # An attribute bound to one of the object's own methods (copulas swaps in
            # constant-distribution methods for a constant column) is stored by name.
            state = {k: {"__self_method__": v.__func__.__name__} if inspect.ismethod(v) and v.__self__ is obj
                     else self.encode(v, f"{path}.{k}") for k, v in vars(obj).items()}
            return {"__object__": _qualname(type(obj)), "state": state}
        raise TypeError(f"cannot store {type(obj).__module__}.{type(obj).__qualname__} at {path} in a model file")


# Each tag and the exact keys its entry holds; anything else in a file is refused.
_KEYS: dict[str, frozenset[str]] = {tag: frozenset((tag, *rest)) for tag, *rest in (
    ("__float__",), ("__np_scalar__", "value"), ("__dtype__",), ("__pd_dtype__",), ("__parameter__", "requires_grad"),
    ("__tensor__",), ("__torch_generator__",), ("__device__",), ("__ndarray__", "dtype"),
    ("__ndarray_obj__", "shape"), ("__timestamp__",), ("__datetime__", "date_only"),
    ("__series__", "index", "name", "dtype"), ("__index__", "dtype", "name"), ("__frame__", "columns", "index"),
    ("__randomstate__",), ("__odict__",), ("__dict__",), ("__namedtuple__", "values"), ("__tuple__",),
    ("__set__",), ("__class__",), ("__object__", "state"))}


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ModelFileError(f"model file entry is malformed: {what}; the file was damaged or tampered with")


class _Decoder:
    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        self.tensors = tensors

    def tensor(self, key: Any) -> torch.Tensor:
        _expect(isinstance(key, str) and key in self.tensors, f"tensor {str(key)[:40]!r} is not in the tensor file")
        return self.tensors[key]

    def pairs(self, node: Any, depth: int) -> list[tuple[Any, Any]]:
        _expect(isinstance(node, list) and all(isinstance(p, list) and len(p) == 2 for p in node),
                "a mapping is not a list of [key, value] pairs")
        return [(self.decode(k, depth), self.decode(v, depth)) for k, v in node]

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ModelFileError(f"model file nests deeper than {MAX_DEPTH} levels; real models never do, so it was "
                                 "damaged or tampered with")
        depth += 1
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, depth) for v in node]
        _expect(isinstance(node, dict), f"unexpected JSON value of type {type(node).__name__}")
        tags = [k for k in node if k in _KEYS]
        _expect(len(tags) == 1, f"an entry with keys {sorted(node)[:5]} has no single known tag")
        tag = tags[0]
        _expect(set(node) == _KEYS[tag], f"{tag} entry has keys {sorted(node)}, expected {sorted(_KEYS[tag])}")
        value = node[tag]
        d = lambda v: self.decode(v, depth)
        if tag == "__float__":
            _expect(value in ("nan", "inf", "-inf"), f"__float__ holds {str(value)[:20]!r}")
            return float(value)
        if tag in ("__np_scalar__", "__dtype__", "__ndarray__"):
            dtype = value if tag != "__ndarray__" else node["dtype"]
            _expect(isinstance(dtype, str) and bool(_NP_DTYPE.match(dtype)), f"dtype {str(dtype)[:20]!r}")
            if tag == "__np_scalar__":
                return np.dtype(dtype).type(d(node["value"]))
            if tag == "__dtype__":
                return np.dtype(dtype)
            return self.tensor(value).numpy().astype(dtype, copy=True)
        if tag == "__pd_dtype__":
            _expect(value in _PD_EXTENSION_DTYPES, f"pandas dtype {str(value)[:20]!r}")
            return pd.api.types.pandas_dtype(value)
        if tag == "__parameter__":
            _expect(isinstance(node["requires_grad"], bool), "requires_grad is not a boolean")
            return torch.nn.Parameter(self.tensor(value).clone(), requires_grad=node["requires_grad"])
        if tag == "__tensor__":
            return self.tensor(value).clone()
        if tag == "__torch_generator__":
            generator = torch.Generator()
            generator.set_state(self.tensor(value).clone())
            return generator
        if tag == "__device__":
            return torch.device("cpu")
        if tag == "__ndarray_obj__":
            values, shape = d(value), node["shape"]
            _expect(isinstance(values, list) and isinstance(shape, list) and len(shape) <= 32
                    and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
                    and math.prod(shape) == len(values), "an object array's shape does not match its values")
            out = np.empty(len(values), dtype=object)
            out[:] = values
            return out.reshape(shape)
        if tag == "__timestamp__":
            _expect(isinstance(value, str), "__timestamp__ is not a string")
            return pd.Timestamp(value)
        if tag == "__datetime__":
            _expect(isinstance(value, str) and isinstance(node["date_only"], bool), "__datetime__ entry")
            moment = datetime.fromisoformat(value)
            return moment.date() if node["date_only"] else moment
        if tag in ("__series__", "__index__"):
            _expect(isinstance(node["dtype"], str) and bool(_PD_DTYPE.match(node["dtype"])),
                    f"pandas dtype {str(node['dtype'])[:20]!r}")
            if tag == "__index__":
                return pd.Index(d(value), dtype=node["dtype"], name=d(node["name"]))
            return pd.Series(d(value), index=d(node["index"]), name=d(node["name"])).astype(node["dtype"])
        if tag == "__frame__":
            columns = d(node["columns"])
            _expect(isinstance(value, dict) and isinstance(columns, list) and {str(c) for c in columns} == set(value)
                    and len(columns) == len(value), "a frame's columns do not match its data")
            return pd.DataFrame({c: d(value[str(c)]) for c in columns}, columns=columns, index=d(node["index"]))
        if tag == "__randomstate__":
            _expect(isinstance(value, list) and len(value) == 5 and value[0] == "MT19937", "random state entry")
            state = np.random.RandomState()
            name, keys, pos, has_gauss, cached = value
            state.set_state((name, d(keys), pos, has_gauss, cached))
            return state
        if tag == "__odict__":
            return OrderedDict(self.pairs(value, depth))
        if tag == "__dict__":
            return dict(self.pairs(value, depth))
        if tag in ("__tuple__", "__set__"):
            _expect(isinstance(value, list), f"{tag} entry is not a list")
            return tuple(d(value)) if tag == "__tuple__" else set(d(value))
        if tag == "__class__":
            return _allowed_class(value)
        if tag == "__namedtuple__":
            cls = _allowed_class(value)
            values = d(node["values"])
            _expect(issubclass(cls, tuple) and isinstance(values, list) and len(values) == len(getattr(cls, "_fields", ())),
                    f"{value} is not a named tuple of {len(values) if isinstance(values, list) else '?'} fields")
            return cls(*values)  # a namedtuple's generated __new__ only stores its fields
        return self.rebuild(value, node["state"], depth)

    def rebuild(self, name: str, state: Any, depth: int) -> Any:
        cls = _allowed_class(name)
        _expect(isinstance(state, dict), f"state of {name} is not a mapping")
        obj = cls.__new__(cls)
        for key, value in state.items():
            if key.startswith("__") and key not in ALLOWED_DUNDERS:
                raise ModelFileError(f"model file sets attribute {key[:40]!r} of {name}; dunder names are refused, "
                                     "so the file was tampered with")
            if isinstance(value, dict) and "__self_method__" in value:
                method = value["__self_method__"]
                if set(value) != {"__self_method__"} or SELF_METHODS.get(key) != method or not inspect.isfunction(
                        getattr(cls, method, None)):
                    raise ModelFileError(f"model file binds {name}.{key[:40]} to {str(method)[:40]!r}, which is not "
                                         "allowed; the file was tampered with")
                obj.__dict__[key] = getattr(cls, method).__get__(obj, cls)
            else:
                obj.__dict__[key] = self.decode(value, depth)
        return obj


def _decode(node: Any, tensors: dict[str, torch.Tensor]) -> Any:
    return _Decoder(tensors).decode(node)


def save_state(obj: Any, folder: Path, name: str) -> None:
    """Write ``name.json`` and ``name.safetensors`` into ``folder``."""
    encoder = _Encoder()
    tree = encoder.encode(obj, name)
    (folder / f"{name}.json").write_text(json.dumps({"format": FORMAT, "state": tree}))
    save_file(encoder.tensors, str(folder / f"{name}.safetensors"))


def _check_size(path: Path, limit: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror}; is {path.parent} a model folder written by "
                             "`synthrecords fit`?") from None
    if size > limit:
        raise ModelFileError(f"{path} is {size:,} bytes, over the {limit:,} a model file may hold; it is not a "
                             "synthrecords model file or was tampered with")


def load_state(folder: Path, name: str) -> Any:
    json_file, tensor_file = folder / f"{name}.json", folder / f"{name}.safetensors"
    _check_size(json_file, MAX_JSON_BYTES)
    _check_size(tensor_file, MAX_TENSOR_BYTES)
    try:
        doc = json.loads(json_file.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"cannot read {json_file}: {_short(exc)}; is {folder} a model folder written by "
                             "`synthrecords fit`?") from None
    if not isinstance(doc, dict) or set(doc) != {"format", "state"} or doc["format"] != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ModelFileError(f"{json_file} has format {str(found)[:40]!r}, expected a {{format, state}} document "
                             f"of {FORMAT!r}")
    # The manifest check in Synthesizer.load comes first; this names the file when a state
    # is read on its own (engines, tests) and its tensors are damaged or do not match.
    try:
        tensors = load_file(str(tensor_file))
        return _decode(doc["state"], tensors)
    except SynthRecordsError:
        raise
    except RecursionError:
        raise ModelFileError(f"{json_file} nests too deeply to rebuild; it was damaged or tampered with") from None
    except Exception as exc:  # noqa: BLE001 -- safetensors, numpy, pandas and torch each raise their own types on bad values
        raise ModelFileError(f"cannot load {json_file} with {tensor_file.name}: {_short(exc)}; the model file is "
                             "damaged or does not belong with its tensors; fit the model again") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"
