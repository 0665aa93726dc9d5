"""The state of manifest files in a data dir (present, missing, corrupt): what loaders and scoring check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from benchmarks.data.manifest import Manifest, ManifestFile, load_manifest
from tlbench.errors import DataError, UsageError


class FileState(str, Enum):
    """What ``status`` found for one manifest file."""

    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"


@dataclass(frozen=True, slots=True)
class FileStatus:
    """The state of one manifest file in a data dir; ``detail`` says why a file is corrupt."""

    file: ManifestFile
    state: FileState
    detail: str = ""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(entry: ManifestFile, data_dir: Path) -> FileStatus:
    """Present with the pinned size and sha256 (OK), absent (MISSING), or anything else (CORRUPT)."""
    target = entry.local(data_dir)
    if not target.exists():
        return FileStatus(entry, FileState.MISSING)
    if not target.is_file():
        return FileStatus(entry, FileState.CORRUPT, "not a regular file")
    try:
        size = target.stat().st_size
        if size != entry.size:
            return FileStatus(entry, FileState.CORRUPT, f"size {size}, expected {entry.size}")
        digest = sha256_file(target)
    except OSError as exc:
        return FileStatus(entry, FileState.CORRUPT, f"unreadable: {exc.strerror or exc}")
    if digest != entry.sha256:
        return FileStatus(
            entry, FileState.CORRUPT, f"sha256 {digest[:16]}..., expected {entry.sha256[:16]}..."
        )
    return FileStatus(entry, FileState.OK)


def existing_dir(data_dir: Path, what: str) -> Path:
    data_dir = Path(data_dir)
    if not data_dir.exists():
        hint = "; create it with 'tlbench data pull' or pass --data-dir" if what == "data directory" else ""
        raise UsageError(f"{what} {str(data_dir)!r} does not exist{hint}")
    if not data_dir.is_dir():
        raise UsageError(f"{what} {str(data_dir)!r} is not a directory")
    return data_dir


def status(
    data_dir: Path, benchmarks: Sequence[str] | None = None, manifest: Manifest | None = None
) -> list[FileStatus]:
    """The state of every selected manifest file under ``data_dir`` (which must exist), in manifest order."""
    manifest = manifest or load_manifest()
    selected = manifest.select(benchmarks)
    data_dir = existing_dir(data_dir, "data directory")
    return [check_file(entry, data_dir) for entry in selected]


def require(data_dir: Path, path: str, manifest: Manifest | None = None) -> Path:
    """The local path of a manifest file for a loader; ``DataError`` (with the fix) if absent or wrong size.

    Only the size is checked here, so loading stays cheap; ``tlbench data status`` does the full hash check.
    """
    entry = (manifest or load_manifest()).file(path)
    target = entry.local(Path(data_dir))
    hint = f"run 'tlbench data pull {entry.benchmark} --data-dir {data_dir}'"
    if not target.is_file():
        raise DataError(f"missing benchmark file; {hint}", path=str(target))
    if target.stat().st_size != entry.size:
        raise DataError(f"wrong size (corrupt or truncated); {hint}", path=str(target))
    return target


def verify_pinned(
    data_dir: Path,
    paths: Iterable[str],
    manifest: Manifest | None = None,
    *,
    pins: Mapping[str, str] | None = None,
) -> None:
    """``DataError`` naming the first present file among ``paths`` whose bytes differ from its pin.

    ``paths`` are manifest paths; one ending in ``/`` stands for every manifest file under it. ``pins``
    (path -> sha256) pins files the manifest does not list (a benchmark's own declaration). Absent files are
    left to the loader (it names the fix). Why: scores compare only on the pinned bytes; a file with a
    corrupt item or an edited gold answer would otherwise be scored on fewer or other items, with exit 0.
    """
    wanted = tuple(paths)
    for entry in (manifest or load_manifest()).files if wanted else ():
        if not any(entry.path == p or (p.endswith("/") and entry.path.startswith(p)) for p in wanted):
            continue
        found = check_file(entry, Path(data_dir))
        if found.state is FileState.CORRUPT:
            raise DataError(
                f"benchmark data file differs from the pinned one in benchmarks/manifest.json ({found.detail}); "
                f"restore it with 'tlbench data import DIR' or 'tlbench data pull {entry.benchmark}'",
                path=str(entry.local(Path(data_dir))),
            )
    for path, digest in (pins or {}).items():
        target = Path(data_dir, *PurePosixPath(path).parts)
        if target.is_file() and sha256_file(target) != digest:
            raise DataError(
                f"benchmark data file differs from the sha256 its benchmark pins ({digest[:16]}...)",
                path=str(target),
            )
