"""The pinned manifest (``benchmarks/manifest.json``): entries parsed, validated, cached until it changes."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from tlbench import jsonio
from tlbench.errors import DataError, UsageError

#: The manifest shipped with the package (listed in ``package-data``).
MANIFEST_PATH = Path(__file__).parent.parent / "manifest.json"


_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One pinned file: where it lives locally, where it comes from, and what its bytes must be."""

    benchmark: str
    path: str  # relative to the data dir, POSIX separators
    repo: str  # "owner/name" on GitHub
    commit: str
    upstream_path: str
    size: int
    sha256: str
    note: str = ""

    @property
    def upstream_url(self) -> str:
        """The raw-file URL at the pinned commit."""
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{quote(self.upstream_path)}"

    def url(self, base_url: str | None = None) -> str:
        """``{base_url}/{path}`` when a mirror base URL is given, else the pinned upstream URL."""
        if base_url:
            return f"{base_url.rstrip('/')}/{quote(self.path)}"
        return self.upstream_url

    def local(self, data_dir: Path) -> Path:
        """The file's location under ``data_dir``."""
        return Path(data_dir, *PurePosixPath(self.path).parts)


@dataclass(frozen=True, slots=True)
class BenchmarkInfo:
    """A benchmark as the data manager knows it: its names and licence."""

    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    license: str = ""


@dataclass(frozen=True, slots=True)
class Manifest:
    """The parsed manifest: benchmarks by canonical name, and every pinned file in manifest order."""

    benchmarks: Mapping[str, BenchmarkInfo]
    files: tuple[ManifestFile, ...]

    def resolve(self, name: str) -> str:
        """The canonical benchmark name for ``name`` or an alias; ``UsageError`` with suggestions if unknown."""
        key = name.strip().lower()
        for info in self.benchmarks.values():
            if key == info.name or key in info.aliases:
                return info.name
        known = [n for info in self.benchmarks.values() for n in (info.name, *info.aliases)]
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown benchmark {name!r}.{hint} Known: {', '.join(sorted(self.benchmarks))}")

    def select(self, names: Iterable[str] | None = None) -> tuple[ManifestFile, ...]:
        """The files of the named benchmarks (all files when ``names`` is empty or ``None``)."""
        wanted = {self.resolve(n) for n in names or ()}
        return tuple(f for f in self.files if not wanted or f.benchmark in wanted)

    def file(self, path: str) -> ManifestFile:
        """The entry for one relative path; ``DataError`` if the manifest does not list it."""
        for entry in self.files:
            if entry.path == path:
                return entry
        raise DataError(f"{path!r} is not listed in the benchmark manifest", path=str(MANIFEST_PATH))


def _manifest_error(message: str, where: Path) -> DataError:
    return DataError(f"malformed manifest: {message}", path=str(where))


def _safe_relative(path: object, where: Path) -> str:
    """Reject paths that could escape the data dir (absolute, ``..``, backslashes, empty)."""
    if not isinstance(path, str) or not path or "\\" in path:
        raise _manifest_error(f"bad path {path!r}", where)
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise _manifest_error(f"path {path!r} must be relative and stay inside the data dir", where)
    return path


def _parse_file(raw: Any, benchmarks: Mapping[str, BenchmarkInfo], where: Path) -> ManifestFile:
    if not isinstance(raw, dict):
        raise _manifest_error(f"file entry {raw!r} is not an object", where)
    try:
        entry = ManifestFile(
            benchmark=str(raw["benchmark"]),
            path=_safe_relative(raw["path"], where),
            repo=str(raw["repo"]),
            commit=str(raw["commit"]),
            upstream_path=str(raw["upstream_path"]),
            size=raw["size"],
            sha256=str(raw["sha256"]),
            note=str(raw.get("note", "")),
        )
    except KeyError as exc:
        raise _manifest_error(f"file entry {raw.get('path')!r} lacks {exc.args[0]!r}", where) from None
    if entry.benchmark not in benchmarks:
        raise _manifest_error(f"{entry.path}: unknown benchmark {entry.benchmark!r}", where)
    if not isinstance(entry.size, int) or isinstance(entry.size, bool) or entry.size < 0:
        raise _manifest_error(f"{entry.path}: bad size {entry.size!r}", where)
    if len(entry.sha256) != 64 or not set(entry.sha256) <= _HEX:
        raise _manifest_error(f"{entry.path}: bad sha256 {entry.sha256!r}", where)
    return entry


def _parse_manifest(doc: Any, where: Path) -> Manifest:
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), dict):
        raise _manifest_error("expected an object with 'benchmarks' and 'files'", where)
    benchmarks: dict[str, BenchmarkInfo] = {}
    for name, info in doc["benchmarks"].items():
        info = info if isinstance(info, dict) else {}
        aliases = tuple(str(a).lower() for a in info.get("aliases", ()))
        benchmarks[name] = BenchmarkInfo(
            name, aliases, str(info.get("description", "")), str(info.get("license", ""))
        )
    raw_files = doc.get("files")
    if not isinstance(raw_files, list):
        raise _manifest_error("'files' must be a list", where)
    files = tuple(_parse_file(raw, benchmarks, where) for raw in raw_files)
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        raise _manifest_error("a path is listed twice", where)
    return Manifest(benchmarks=benchmarks, files=files)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> Manifest:
    try:
        doc = jsonio.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read manifest: {exc}", path=str(path)) from None
    return _parse_manifest(doc, path)


def load_manifest(path: Path | None = None) -> Manifest:
    """Parse and validate the manifest (the packaged one by default); cached until the file changes."""
    where = Path(path) if path is not None else MANIFEST_PATH
    try:
        mtime = where.stat().st_mtime_ns
    except OSError as exc:
        raise DataError(f"cannot read manifest: {exc.strerror}", path=str(where)) from None
    return _load_cached(where, mtime)
