"""The benchmark data manager: a pinned manifest, and ``pull`` / ``import`` / ``status`` over a data dir.

Why: a score is only comparable if every run reads the same bytes. ``benchmarks/manifest.json`` (data, not
code) pins each benchmark file to an upstream repository, commit and path, with its size and sha256. The
benchmark data itself is never committed here; it lives in a data dir (``--data-dir``, else
``$TLBENCH_DATA``, else ``~/.cache/tlbench/data``) laid out by the manifest's relative paths, and loaders
read only from there (``require`` gives them a checked path).

Writes are atomic: bytes stream into a hidden ``.<name>.<random>.part`` file next to the target while they
are hashed, and only a copy with the pinned size and sha256 is ``os.replace``-d into place. An interrupted
or corrupt transfer therefore never leaves a file under the final name.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from tlbench import jsonio
from tlbench.errors import DataError, UsageError

__all__ = [
    "MANIFEST_PATH",
    "URL_ENV",
    "FileState",
    "ManifestFile",
    "BenchmarkInfo",
    "Manifest",
    "FileStatus",
    "TransferReport",
    "load_manifest",
    "sha256_file",
    "check_file",
    "status",
    "require",
    "verify_pinned",
    "pull",
    "import_dir",
]

#: The manifest shipped with the package (listed in ``package-data``).
MANIFEST_PATH = Path(__file__).with_name("manifest.json")
#: Environment variable that replaces the pinned upstream URLs by ``{base}/{relative path}``.
URL_ENV = "TLBENCH_DATA_URL"

_CHUNK = 1 << 16
#: Consecutive files failing with transient errors after which a transfer stops trying the rest.
_GIVE_UP_AFTER = 3
_HEX = frozenset("0123456789abcdef")

Progress = Callable[[int], object]


class FileState(str, Enum):
    """What ``status`` found for one manifest file."""

    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"


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


@dataclass(frozen=True, slots=True)
class FileStatus:
    """The state of one manifest file in a data dir; ``detail`` says why a file is corrupt."""

    file: ManifestFile
    state: FileState
    detail: str = ""


@dataclass(slots=True)
class TransferReport:
    """What ``pull`` or ``import_dir`` did, file by file (relative paths)."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed


# --------------------------------------------------------------------------------------------------- manifest


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


# --------------------------------------------------------------------------------------------------- status


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


def _existing_dir(data_dir: Path, what: str) -> Path:
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
    data_dir = _existing_dir(data_dir, "data directory")
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


# --------------------------------------------------------------------------------------------------- transfers


class _TransferFailed(Exception):
    """One attempt at one file failed; ``retry`` says whether another attempt may help."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _atomic_write(entry: ManifestFile, target: Path, chunks: Iterable[bytes], progress: Progress) -> None:
    """Stream ``chunks`` into a hidden temp file beside ``target``; rename it into place only if verified.

    A short body raises a retryable ``_TransferFailed``; a long body or a wrong sha256 a final one. Whatever
    happens (including KeyboardInterrupt), the temp file is removed unless it became ``target``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    written = 0
    try:
        digest = hashlib.sha256()
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be shared read-only
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if not chunk:
                    continue
                written += len(chunk)
                if written > entry.size:
                    raise _TransferFailed(f"more than the pinned {entry.size} bytes", retry=False)
                digest.update(chunk)
                out.write(chunk)
                progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if written < entry.size:
            raise _TransferFailed(f"truncated: got {written} of {entry.size} bytes", retry=True)
        if digest.hexdigest() != entry.sha256:
            raise _TransferFailed(
                f"sha256 mismatch: got {digest.hexdigest()}, pinned {entry.sha256}", retry=False
            )
        os.replace(tmp, target)
    except BaseException:
        progress(-written)
        tmp.unlink(missing_ok=True)
        raise


def _http_chunks(session: Any, url: str, timeout: float) -> Iterator[bytes]:
    """The body of ``url`` in chunks; maps transport errors and HTTP statuses to ``_TransferFailed``."""
    import requests

    try:
        with session.get(url, stream=True, timeout=timeout) as resp:
            if resp.status_code != 200:
                retry = resp.status_code >= 500 or resp.status_code in (408, 429)
                raise _TransferFailed(f"HTTP {resp.status_code} from {url}", retry=retry)
            yield from resp.iter_content(chunk_size=_CHUNK)
    except requests.RequestException as exc:
        raise _TransferFailed(f"{type(exc).__name__} while fetching {url}: {exc}", retry=True) from None


def _file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            yield from iter(lambda: fh.read(_CHUNK), b"")
    except OSError as exc:
        raise _TransferFailed(f"cannot read {path}: {exc.strerror or exc}", retry=False) from None


def _progress_bar(total: int, enabled: bool, unit_label: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=unit_label, disable=not enabled
    )


def _transfer_one(
    entry: ManifestFile,
    data_dir: Path,
    fetch: Callable[[ManifestFile], Iterable[bytes]],
    progress: Progress,
    *,
    attempts: int,
    backoff: float,
    sleep: Callable[[float], object],
) -> tuple[str | None, bool]:
    """Transfer one file with retries: ``(None, False)`` on success, else ``(reason, transient)``."""
    for attempt in range(attempts):
        try:
            _atomic_write(entry, entry.local(data_dir), fetch(entry), progress)
            return None, False
        except _TransferFailed as exc:
            if exc.retry and attempt + 1 < attempts:
                sleep(backoff * 2**attempt)
                continue
            tries = f" (after {attempt + 1} attempts)" if attempt else ""
            return f"{exc}{tries}", exc.retry
        except OSError as exc:
            return f"cannot write: {exc.strerror or exc}", False
    raise AssertionError("attempts must be >= 1")


def _transfer_all(
    entries: Sequence[ManifestFile],
    data_dir: Path,
    fetch: Callable[[ManifestFile], Iterable[bytes]],
    *,
    attempts: int,
    backoff: float,
    progress: bool,
    label: str,
    sleep: Callable[[float], object],
) -> TransferReport:
    """Transfer every entry not already verified; give up early once the source looks unreachable.

    After ``_GIVE_UP_AFTER`` consecutive files failed with transient errors (offline, server down), the
    remaining files are reported as not attempted instead of each waiting through its own retries.
    """
    report = TransferReport()
    todo = []
    for entry in entries:
        if check_file(entry, data_dir).state is FileState.OK:
            report.skipped.append(entry.path)
        else:
            todo.append(entry)
    transient_in_a_row = 0
    with _progress_bar(sum(e.size for e in todo), progress, label) as bar:
        for entry in todo:
            if transient_in_a_row >= _GIVE_UP_AFTER:
                why = f"not attempted: the previous {_GIVE_UP_AFTER} files failed with transient errors"
                report.failed.append((entry.path, why))
                continue
            reason, transient = _transfer_one(
                entry, data_dir, fetch, bar.update, attempts=attempts, backoff=backoff, sleep=sleep
            )
            if reason is None:
                report.done.append(entry.path)
            else:
                report.failed.append((entry.path, reason))
            transient_in_a_row = transient_in_a_row + 1 if transient else 0
    return report


def _writable_dir(data_dir: Path) -> Path:
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"data directory {str(data_dir)!r} is not a directory")
    return data_dir


def pull(
    data_dir: Path,
    benchmarks: Sequence[str] | None = None,
    *,
    base_url: str | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = False,
    manifest: Manifest | None = None,
    session: Any = None,
    sleep: Callable[[float], object] = time.sleep,
) -> TransferReport:
    """Download every selected file that is not already present and verified.

    The URL is the pinned upstream one, or ``{base_url}/{path}`` (``base_url`` defaults to
    ``$TLBENCH_DATA_URL``). Connection errors, truncated bodies and 5xx/408/429 answers are retried
    ``retries`` times, waiting ``backoff * 2**attempt`` seconds; a wrong sha256 or a 4xx is final. Failures do
    not stop the other files; they are listed in the report.
    """
    import requests

    if retries < 0 or backoff < 0 or timeout <= 0:
        raise UsageError("retries and backoff must be >= 0 and timeout > 0")
    base_url = base_url if base_url is not None else os.environ.get(URL_ENV) or None
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UsageError(f"base URL {base_url!r} must start with http:// or https://")
    entries = (manifest or load_manifest()).select(benchmarks)
    data_dir = _writable_dir(data_dir)
    own_session = session is None
    session = session or requests.Session()
    try:
        return _transfer_all(
            entries,
            data_dir,
            lambda e: _http_chunks(session, e.url(base_url), timeout),
            attempts=retries + 1,
            backoff=backoff,
            progress=progress,
            label="pull",
            sleep=sleep,
        )
    finally:
        if own_session:
            session.close()


def import_dir(
    source: Path,
    data_dir: Path,
    benchmarks: Sequence[str] | None = None,
    *,
    progress: bool = False,
    manifest: Manifest | None = None,
) -> TransferReport:
    """Copy the selected files from a local mirror laid out like the data dir, verifying every hash.

    Files already present and verified are skipped; a file missing from the mirror or with other bytes is a
    failure in the report (nothing is written for it).
    """
    source = _existing_dir(source, "import directory")
    entries = (manifest or load_manifest()).select(benchmarks)
    data_dir = _writable_dir(data_dir)

    def fetch(entry: ManifestFile) -> Iterable[bytes]:
        src = entry.local(source)
        if not src.is_file():
            raise _TransferFailed(f"not found in {source}", retry=False)
        return _file_chunks(src)

    return _transfer_all(
        entries, data_dir, fetch, attempts=1, backoff=0.0, progress=progress, label="import", sleep=time.sleep
    )
