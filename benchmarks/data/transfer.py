"""``pull`` and ``import``: each file streamed into a temp file, verified, then renamed into place."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.data.check import FileState, check_file, existing_dir
from benchmarks.data.manifest import Manifest, ManifestFile, load_manifest
from tlbench.errors import UsageError

#: Environment variable that replaces the pinned upstream URLs by ``{base}/{relative path}``.
URL_ENV = "TLBENCH_DATA_URL"


_CHUNK = 1 << 16


#: Consecutive files failing with transient errors after which a transfer stops trying the rest.
_GIVE_UP_AFTER = 3


Progress = Callable[[int], object]


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
    source = existing_dir(source, "import directory")
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
