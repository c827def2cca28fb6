"""A model folder's manifest: every file listed with its sha256, optionally signed with a key.

The hashes catch accidents: a truncated copy, a file edited or swapped after saving, a
file added beside the model. They do not stop a forger, who can rewrite the manifest too.
Against that, ``SYNTHRECORDS_MODEL_KEY`` (any secret string) makes ``save`` write an
HMAC-SHA256 of the manifest to ``manifest.sig`` and ``load`` refuse a folder whose signature
is missing or wrong; only holders of the key can then produce a folder that loads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import SynthRecordsError
from ..read import file_sha256

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_VARIABLE = "SYNTHRECORDS_MODEL_KEY"
MAX_MANIFEST_BYTES = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Files Synthesizer.load reads itself; a manifest without them is not a model's.
REQUIRED = ("synthesizer.json", "ledger.json", "engine.json")


class ModelFolderError(SynthRecordsError):
    """A model folder is incomplete, altered, or not signed with the expected key."""


def model_key() -> bytes | None:
    key = os.environ.get(KEY_VARIABLE)
    return key.encode() if key else None


def write_manifest(folder: Path, format: str) -> None:
    """List every file of ``folder`` with its sha256; sign the list when a key is set."""
    files = {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    text = json.dumps({"format": format, "files": files}, indent=2)
    (folder / MANIFEST).write_text(text)
    if (key := model_key()) is not None:
        (folder / SIGNATURE).write_text(json.dumps({"alg": "hmac-sha256", "mac": _mac(key, text.encode())}) + "\n")


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _refuse(path: Path, what: str) -> ModelFolderError:
    return ModelFolderError(f"{path}: {what}; the model folder was altered after saving (or is not one); restore "
                            "it from the original or fit the model again")


def _read_manifest(folder: Path) -> tuple[bytes, dict[str, Any]]:
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        raise ModelFolderError(f"{path} is missing (or not a plain file); the folder was not written by this version "
                               "of synthrecords or was altered; fit the model again")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise _refuse(path, f"over {MAX_MANIFEST_BYTES:,} bytes")
    raw = path.read_bytes()
    try:
        files = json.loads(raw)["files"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise _refuse(path, f"unreadable ({type(exc).__name__})") from None
    if not isinstance(files, dict) or not files:
        raise _refuse(path, "its files map is empty or not a mapping")
    for name, digest in files.items():
        parts = PurePosixPath(name).parts
        if (not name or PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name
                or PurePosixPath(name).as_posix() != name or name in (MANIFEST, SIGNATURE)):
            raise _refuse(path, f"it names the path {name[:80]!r}, which is not a plain path inside the folder")
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise _refuse(path, f"the sha256 of {name[:80]!r} is not 64 hex digits")
    if missing := [name for name in REQUIRED if name not in files]:
        raise _refuse(path, f"it does not list {missing[0]}")
    return raw, files


def _check_signature(folder: Path, raw: bytes) -> None:
    key = model_key()
    sig = folder / SIGNATURE
    if key is None:
        return  # nothing to check against; the README says what hashes alone do not protect
    if sig.is_symlink() or not sig.is_file():
        raise ModelFolderError(f"{folder} is not signed ({SIGNATURE} is missing) but {KEY_VARIABLE} is set; load "
                               f"only folders saved with that key, or unset {KEY_VARIABLE} to trust it unsigned")
    try:
        mac = json.loads(sig.read_text()[:4096])["mac"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFolderError(f"{sig} is unreadable ({type(exc).__name__}); the folder was altered") from None
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, raw)):
        raise ModelFolderError(f"{sig} does not match the manifest under the key in {KEY_VARIABLE}: the folder was "
                               "altered after saving, or was saved with another key; do not load it")


def verify_model_folder(folder: Path) -> None:
    """Refuse a model folder unless every file in it is listed and matches its sha256 (and signature)."""
    if not folder.is_dir():
        raise SynthRecordsError(f"model folder {folder} not found; create one with `synthrecords fit --out {folder}`")
    raw, files = _read_manifest(folder)
    _check_signature(folder, raw)
    seen = set()
    for root, dirs, names in os.walk(folder, followlinks=False):
        for entry in [*dirs, *names]:
            path = Path(root) / entry
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                raise _refuse(path, "it is a symbolic link; a model folder holds plain files only")
            if entry in dirs:
                continue
            if rel in (MANIFEST, SIGNATURE):
                continue
            if rel not in files:
                raise _refuse(path, f"this file is not listed in {MANIFEST}")
            seen.add(rel)
    for name, digest in files.items():
        path = folder / name
        if name not in seen:
            raise ModelFolderError(f"{path} is listed in the manifest but missing; the model folder is incomplete; "
                                   "fit the model again")
        if file_sha256(path) != digest:
            raise ModelFolderError(f"{path} does not match its sha256 in {MANIFEST}: the file was changed or "
                                   "truncated after saving; restore it or fit the model again")
