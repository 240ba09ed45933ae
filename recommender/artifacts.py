"""Built artifacts under ``MOVIEBOT_HOME/artifacts``: one folder per stage with a manifest.

A manifest records the stage's fingerprint (its inputs, parameters, code version and the
versions of the libraries its payload depends on), the parameters themselves, when and how
fast it was built, and the payload's SHA-256. ``load`` returns None for a missing, stale or
corrupt artifact, saying which, so the caller rebuilds it. Writes go to a temporary folder
renamed into place, so a crash mid-save leaves the previous artifact intact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PAYLOAD = "payload.pkl"


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the given distributions (and Python)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def digest(value: Any) -> str:
    """A stable short hash of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Loaded:
    """An artifact read back, or why it could not be (``reason``: missing, stale, corrupt)."""

    payload: Any = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


class ArtifactStore:
    """Save and load pickled stage payloads with manifests."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        return self.root / name

    def manifest(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.folder(name) / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def load(self, name: str, fingerprint: str) -> Loaded:
        """The payload if present, current and intact; otherwise the reason it is not."""
        manifest = self.manifest(name)
        if manifest is None:
            corrupt = self.folder(name).exists()
            return Loaded(reason="corrupt (unreadable manifest)" if corrupt else "missing")
        if manifest.get("fingerprint") != fingerprint:
            return Loaded(reason="stale (its inputs or parameters changed)")
        path = self.folder(name) / PAYLOAD
        try:
            blob = path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != manifest.get("sha256"):
                return Loaded(reason="corrupt (checksum mismatch)")
            return Loaded(payload=pickle.loads(blob))
        except (
            OSError,
            pickle.UnpicklingError,
            EOFError,
            AttributeError,
            ImportError,
            ValueError,
            TypeError,
        ) as err:
            return Loaded(reason=f"corrupt ({type(err).__name__})")

    def save(self, name: str, fingerprint: str, payload: Any, info: dict[str, Any]) -> None:
        """Write payload and manifest atomically (temporary folder, then rename)."""
        self.root.mkdir(parents=True, exist_ok=True)
        blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.root))
        manifest = {
            "stage": name,
            "fingerprint": fingerprint,
            "created": time.time(),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "bytes": len(blob),
            **info,
        }
        (staging / PAYLOAD).write_bytes(blob)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        target = self.folder(name)
        old = target.with_name(f".{name}-old-{os.getpid()}")
        if target.exists():
            target.replace(old)
        staging.replace(target)
        shutil.rmtree(old, ignore_errors=True)


class FileHashes:
    """Content hashes of input files, cached by (size, mtime) so a restart does not rehash."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        try:
            self._known: dict[str, Any] = json.loads(cache.read_text())
        except (OSError, ValueError):
            self._known = {}

    def of(self, path: Path) -> str:
        stat = path.stat()
        key = str(path.resolve())
        entry = self._known.get(key)
        if entry and entry["size"] == stat.st_size and entry["mtime"] == stat.st_mtime_ns:
            return str(entry["hash"])
        value = _hash_file(path)
        self._known[key] = {"size": stat.st_size, "mtime": stat.st_mtime_ns, "hash": value}
        self._write()
        return value

    def _write(self) -> None:
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._known))
            tmp.replace(self.cache)
        except OSError as err:  # a read-only home only costs a rehash next time
            log.debug("could not cache file hashes: %s", err)


def _hash_file(path: Path) -> str:
    digest_ = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest_.update(chunk)
    return digest_.hexdigest()
