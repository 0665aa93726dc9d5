"""Regenerate ``benchmarks/manifest.json`` from a data dir laid out like ``../shared/data``.

Usage::

    python tests/benchmarks/data/make_manifest.py [--data-dir DIR] [--mirrors DIR] [--check]

Provenance (repository, pinned commit, upstream path) comes from the rules below, which transcribe the
research notes (``shared/research/rotbench_tooleyes.md`` and ``bfcl_toolalpaca.md``, section 0); sizes and
sha256 are computed from the files. ``--mirrors`` points at bare git mirrors named ``owner+name/repo`` and
checks that every file is byte-identical to the blob at its pinned commit (``git rev-parse commit:path``
against ``git hash-object``). ``--check`` compares with the committed manifest instead of writing it.
Not collected by pytest (the name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.data import MANIFEST_PATH, sha256_file

GORILLA = "ShishirPatil/gorilla"
BFCL_FIXED = "d6b5fb8c5214ba9733de300256a2998755a3e32c"
BFCL_RELEASE = "70b6a4a2144597b1f99d1f4d3185d35d7ee532a4"
BFCL_DATA = "berkeley-function-call-leaderboard/data/"

BENCHMARKS: dict[str, dict[str, object]] = {
    "toolalpaca": {
        "aliases": ["tool-alpaca"],
        "description": "ToolAlpaca evaluation sets (eval_real: 11 real APIs, 114 instructions)",
        "license": "Apache-2.0",
    },
    "rotbench": {
        "aliases": ["rot-bench"],
        "description": "RoTBench First_Turn / Third_Turn at five noise levels (clean..union)",
        "license": "Apache-2.0",
    },
    "bfcl": {
        "aliases": ["bfcl-v3-exec", "bfcl_v3_exec", "bfcl-v3"],
        "description": "BFCL-v3 executable categories: questions + possible answers, fixed (d6b5fb8) and v3-release (70b6a4a)",
        "license": "Apache-2.0",
    },
    "tooleyes": {
        "aliases": ["tool-eyes"],
        "description": "ToolEyes test data, tool library configs and prompt resources",
        "license": "Apache-2.0",
    },
}

# (local prefix, benchmark, repo, commit, upstream prefix, note); the first matching prefix wins.
RULES: list[tuple[str, str, str, str, str, str]] = [
    (
        "toolalpaca/",
        "toolalpaca",
        "tangqiaoyu/ToolAlpaca",
        "189069998d64a7baf1b4a1c3c4b2e75eb9d05532",
        "data/",
        "",
    ),
    ("rotbench/", "rotbench", "Junjie-Ye/RoTBench", "637e43ae9a978036774c92bb2ab11a83609e304b", "", ""),
    ("tooleyes/", "tooleyes", "Junjie-Ye/ToolEyes", "c818fcebe017951570a25e552a7984e40093fd52", "", ""),
    (
        "bfcl_v3_exec/v3_release_2024-09-20/",
        "bfcl",
        GORILLA,
        BFCL_RELEASE,
        BFCL_DATA,
        "v3 release (2024-09-20): ground truth inside each question line",
    ),
    (
        "bfcl_v3_exec/rest_not_in_240/",
        "bfcl",
        GORILLA,
        BFCL_FIXED,
        BFCL_DATA,
        "REST category: not part of the 240 exec items; reference only",
    ),
    ("bfcl_v3_exec/sanity_check/", "bfcl", GORILLA, BFCL_FIXED, BFCL_DATA + "sanity_check/", ""),
    ("bfcl_v3_exec/", "bfcl", GORILLA, BFCL_FIXED, BFCL_DATA, ""),
]

# Files whose upstream path is not the prefix rule's (licences sit at each repository root).
EXCEPTIONS: dict[str, str] = {
    "toolalpaca/LICENSE": "LICENSE",
    "bfcl_v3_exec/LICENSE": "LICENSE",
}

NOTES: dict[str, str] = {
    "toolalpaca/eval_simulated.json": "simulated APIs; not deterministic to score as is",
    "toolalpaca/public_apis.json": "public-apis catalogue used to build training data; not an eval file",
    "bfcl_v3_exec/LICENSE": "gorilla repository root LICENSE (Apache-2.0)",
}


def _entry(data_dir: Path, rel: str) -> dict[str, object]:
    for prefix, bench, repo, commit, upstream, note in RULES:
        if rel.startswith(prefix):
            upstream_path = EXCEPTIONS.get(rel, upstream + rel[len(prefix) :])
            path = data_dir / rel
            entry: dict[str, object] = {
                "benchmark": bench,
                "path": rel,
                "repo": repo,
                "commit": commit,
                "upstream_path": upstream_path,
                "size": path.stat().st_size,
                "sha256": sha256_file(path),
            }
            if NOTES.get(rel, note):
                entry["note"] = NOTES.get(rel, note)
            return entry
    raise SystemExit(f"no provenance rule for {rel}")


def build(data_dir: Path) -> dict[str, object]:
    """The manifest document for every file under ``data_dir``."""
    rels = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file())
    order = {name: i for i, name in enumerate(BENCHMARKS)}
    files = sorted((_entry(data_dir, r) for r in rels), key=lambda e: (order[str(e["benchmark"])], e["path"]))
    return {
        "schema_version": 1,
        "comment": "Pinned benchmark files. Regenerate with: python tests/benchmarks/data/make_manifest.py --data-dir DIR",
        "url_template": "https://raw.githubusercontent.com/{repo}/{commit}/{upstream_path}",
        "benchmarks": BENCHMARKS,
        "files": files,
    }


def render(doc: dict[str, object]) -> str:
    """JSON text with one file entry per line, so a changed file is a one-line diff."""
    head = {k: v for k, v in doc.items() if k != "files"}
    body = json.dumps(head, indent=1, ensure_ascii=False)[: -len("\n}")]
    rows = ",\n".join("  " + json.dumps(f, ensure_ascii=False) for f in doc["files"])  # type: ignore[union-attr]
    return f'{body},\n "files": [\n{rows}\n ]\n}}\n'


def verify_against_mirrors(doc: dict[str, object], data_dir: Path, mirrors: Path) -> list[str]:
    """Paths whose bytes differ from (or are absent at) the pinned upstream blob."""
    bad = []
    for entry in doc["files"]:  # type: ignore[union-attr]
        git_dir = mirrors / str(entry["repo"]).replace("/", "+") / "repo"
        spec = f"{entry['commit']}:{entry['upstream_path']}"
        pinned = subprocess.run(
            ["git", "-C", str(git_dir), "rev-parse", spec], capture_output=True, text=True, check=False
        )
        local = subprocess.run(
            ["git", "hash-object", str(data_dir / str(entry["path"]))],
            capture_output=True,
            text=True,
            check=True,
        )
        if pinned.returncode != 0 or pinned.stdout.strip() != local.stdout.strip():
            bad.append(f"{entry['path']} != {entry['repo']}@{spec}")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("TLBENCH_DATA", "/work/shared/data"))
    )
    parser.add_argument("--mirrors", type=Path, default=None, help="bare git mirrors root (owner+name/repo)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed manifest, write nothing"
    )
    args = parser.parse_args()
    doc = build(args.data_dir)
    if args.mirrors:
        bad = verify_against_mirrors(doc, args.data_dir, args.mirrors)
        print(f"{len(doc['files']) - len(bad)}/{len(doc['files'])} files match their pinned upstream blob")  # type: ignore[arg-type]
        for line in bad:
            print("MISMATCH", line)
    text = render(doc)
    if args.check:
        same = MANIFEST_PATH.read_text(encoding="utf-8") == text
        print("manifest up to date" if same else "manifest differs from the data dir")
        return 0 if same else 1
    MANIFEST_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST_PATH} ({len(doc['files'])} files)")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
