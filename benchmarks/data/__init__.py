"""The benchmark data manager: a pinned manifest, and ``pull`` / ``import`` / ``status`` over a data dir.

Why: a score is only comparable if every run reads the same bytes. ``benchmarks/manifest.json`` (data, not
code) pins each benchmark file to an upstream repository, commit and path, with its size and sha256. The
benchmark data itself is never committed here; it lives in a data dir (``--data-dir``, else
``$TLBENCH_DATA``, else ``~/.cache/tlbench/data``) laid out by the manifest's relative paths, and loaders
read only from there (``require`` gives them a checked path).

Writes are atomic: bytes stream into a hidden ``.<name>.<random>.part`` file next to the target while they
are hashed, and only a copy with the pinned size and sha256 is ``os.replace``-d into place. An interrupted
or corrupt transfer therefore never leaves a file under the final name.

Modules: :mod:`~benchmarks.data.manifest` (parsing and validating the manifest), :mod:`~benchmarks.data.check`
(the state of files in a data dir, the pins scoring checks) and :mod:`~benchmarks.data.transfer` (``pull`` and
``import`` with atomic, verified writes).
"""

from __future__ import annotations

from benchmarks.data.check import (
    FileState,
    FileStatus,
    check_file,
    require,
    sha256_file,
    status,
    verify_pinned,
)
from benchmarks.data.manifest import MANIFEST_PATH, BenchmarkInfo, Manifest, ManifestFile, load_manifest
from benchmarks.data.transfer import URL_ENV, TransferReport, import_dir, pull

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
