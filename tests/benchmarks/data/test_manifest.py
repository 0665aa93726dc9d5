"""The manifest: it lists every benchmark file the issue names, with provenance, and its hashes hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.data import MANIFEST_PATH, FileState, load_manifest, status
from tlbench.errors import DataError, UsageError

BFCL_FIXED = "d6b5fb8c5214ba9733de300256a2998755a3e32c"
BFCL_RELEASE = "70b6a4a2144597b1f99d1f4d3185d35d7ee532a4"
EXEC = ("simple", "multiple", "parallel", "parallel_multiple")


def issue_listed_files() -> list[str]:
    """Every file the foundation issue asks the manifest to pin (tool library configs are added from disk)."""
    files = ["toolalpaca/eval_real.json", "toolalpaca/LICENSE", "rotbench/LICENSE", "bfcl_v3_exec/LICENSE"]
    files += [
        f"rotbench/Data/{turn}/{level}.json"
        for turn in ("First_Turn", "Third_Turn")
        for level in ("clean", "slight", "medium", "heavy", "union")
    ]
    for cat in EXEC:
        files += [
            f"bfcl_v3_exec/BFCL_v3_exec_{cat}.json",
            f"bfcl_v3_exec/possible_answer/BFCL_v3_exec_{cat}.json",
            f"bfcl_v3_exec/v3_release_2024-09-20/BFCL_v3_exec_{cat}.json",
        ]
    files += [
        f"tooleyes/Test_Data/scenario_data_{v}.json" for v in ("raw", "zero_processed", "five_processed")
    ]
    files += [f"tooleyes/Resources/{n}.txt" for n in ("sys_infer", "sys_infer_five_shot", "examples")]
    files.append("tooleyes/LICENSE")
    return files


def test_manifest_lists_every_issue_file_with_provenance() -> None:
    manifest = load_manifest()
    by_path = {f.path: f for f in manifest.files}
    missing = [p for p in issue_listed_files() if p not in by_path]
    assert not missing, missing
    configs = [
        p for p in by_path if p.startswith("tooleyes/Tool_Library/") and p.endswith("/config_gpt4.json")
    ]
    assert len(configs) == 95
    for entry in manifest.files:
        assert len(entry.commit) == 40 and entry.repo.count("/") == 1 and entry.upstream_path
        assert entry.size > 0 and len(entry.sha256) == 64


def test_bfcl_versions_are_pinned_to_their_commits() -> None:
    manifest = load_manifest()
    for cat in EXEC:
        fixed = manifest.file(f"bfcl_v3_exec/BFCL_v3_exec_{cat}.json")
        release = manifest.file(f"bfcl_v3_exec/v3_release_2024-09-20/BFCL_v3_exec_{cat}.json")
        answer = manifest.file(f"bfcl_v3_exec/possible_answer/BFCL_v3_exec_{cat}.json")
        assert fixed.commit == answer.commit == BFCL_FIXED and release.commit == BFCL_RELEASE
        assert (
            fixed.upstream_path
            == release.upstream_path
            == f"berkeley-function-call-leaderboard/data/BFCL_v3_exec_{cat}.json"
        )
        assert (
            answer.upstream_path
            == f"berkeley-function-call-leaderboard/data/possible_answer/BFCL_v3_exec_{cat}.json"
        )
        assert fixed.sha256 != release.sha256  # the release files still carry the ground truth inline
    assert manifest.file("bfcl_v3_exec/LICENSE").upstream_path == "LICENSE"
    assert manifest.file("toolalpaca/eval_real.json").upstream_path == "data/eval_real.json"


def test_urls_follow_the_pinned_scheme_or_the_base_url() -> None:
    manifest = load_manifest()
    entry = manifest.file("rotbench/Data/First_Turn/clean.json")
    template = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["url_template"]
    expected = template.format(repo=entry.repo, commit=entry.commit, upstream_path=entry.upstream_path)
    assert entry.url() == entry.upstream_url == expected
    assert expected == (
        "https://raw.githubusercontent.com/Junjie-Ye/RoTBench/637e43ae9a978036774c92bb2ab11a83609e304b/"
        "Data/First_Turn/clean.json"
    )
    assert (
        entry.url("http://127.0.0.1:8000/mirror/")
        == "http://127.0.0.1:8000/mirror/rotbench/Data/First_Turn/clean.json"
    )


def test_every_file_of_the_shared_data_is_pinned_and_verifies(shared_data: Path) -> None:
    on_disk = {p.relative_to(shared_data).as_posix() for p in shared_data.rglob("*") if p.is_file()}
    pinned = {f.path for f in load_manifest().files}
    assert on_disk == pinned
    bad = [(r.file.path, r.detail) for r in status(shared_data) if r.state is not FileState.OK]
    assert not bad, bad


def test_the_generator_reproduces_the_committed_manifest(shared_data: Path) -> None:
    import make_manifest

    assert make_manifest.render(make_manifest.build(shared_data)) == MANIFEST_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("bfcl", "bfcl"), ("bfcl-v3-exec", "bfcl"), ("BFCL_v3_exec", "bfcl"), ("RoTBench", "rotbench")],
)
def test_benchmark_names_and_aliases_resolve(name: str, canonical: str) -> None:
    assert load_manifest().resolve(name) == canonical


def test_unknown_benchmark_suggests_the_close_name() -> None:
    with pytest.raises(UsageError, match=r"unknown benchmark 'toolalpca'.*Did you mean: toolalpaca"):
        load_manifest().select(["rotbench", "toolalpca"])


def _write_manifest(tmp_path: Path, mutate) -> Path:
    doc = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["files"][0].update(path="../escape.json"), "must be relative"),
        (lambda d: d["files"][0].update(path="/etc/passwd"), "must be relative"),
        (lambda d: d["files"][0].update(sha256="xyz"), "bad sha256"),
        (lambda d: d["files"][0].update(size=-1), "bad size"),
        (lambda d: d["files"][0].update(benchmark="nope"), "unknown benchmark"),
        (lambda d: d["files"][0].pop("commit"), "lacks 'commit'"),
        (lambda d: d["files"].append(dict(d["files"][0])), "listed twice"),
        (lambda d: d.pop("benchmarks"), "expected an object"),
    ],
)
def test_malformed_manifests_are_rejected_with_a_clear_error(tmp_path: Path, mutate, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_manifest(_write_manifest(tmp_path, mutate))


def test_unreadable_manifest_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read manifest"):
        load_manifest(bad)
    with pytest.raises(DataError, match="cannot read manifest"):
        load_manifest(tmp_path / "absent.json")
