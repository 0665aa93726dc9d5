"""``pull`` against a real HTTP server on 127.0.0.1, and ``import`` from a local mirror.

What must hold: every file round-trips byte for byte; a corrupted body is a clear error and nothing lands
under the final name; a dropped connection is retried; an interruption never leaves a file that looks
complete (no ``*.part`` leftovers either).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.data import FileState, import_dir, load_manifest, pull, status
from tlbench.errors import UsageError

REAL = "toolalpaca/eval_real.json"
RELEASE = "bfcl_v3_exec/v3_release_2024-09-20/BFCL_v3_exec_simple.json"


def _no_leftovers(root: Path) -> None:
    assert not list(root.rglob("*.part")), list(root.rglob("*.part"))


def _state(data_dir: Path, path: str) -> FileState:
    return next(r.state for r in status(data_dir) if r.file.path == path)


def test_pull_round_trips_every_file(serve, shared_data: Path, tmp_path: Path) -> None:
    mirror = serve(shared_data)
    dest = tmp_path / "data"
    report = pull(dest, base_url=mirror.base_url, retries=0)
    assert report.ok and len(report.done) == 134 and not report.skipped
    assert all(r.state is FileState.OK for r in status(dest))
    for entry in load_manifest().files:
        assert entry.local(dest).read_bytes() == entry.local(shared_data).read_bytes()
    _no_leftovers(dest)
    served = sum(mirror.requests.values())
    again = pull(dest, base_url=mirror.base_url)
    assert len(again.skipped) == 134 and not again.done
    assert sum(mirror.requests.values()) == served  # verified files are not fetched again


def test_cli_pull_uses_the_env_base_url(cli, serve, shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    mirror = serve(shared_data)
    monkeypatch.setenv("TLBENCH_DATA_URL", mirror.base_url + "/")
    dest = tmp_path / "data"
    code, out, err = cli("pull", "toolalpaca", "rotbench", "--data-dir", str(dest), "--quiet")
    assert code == 0, err
    assert "pulled 15, already present 0, failed 0" in out
    assert cli("status", "toolalpaca", "rotbench", "--data-dir", str(dest))[0] == 0


def test_pull_replaces_a_corrupt_local_copy(serve, shared_data: Path, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    (dest / "toolalpaca").mkdir(parents=True)
    (dest / REAL).write_bytes(b"garbage")
    report = pull(dest, ["toolalpaca"], base_url=serve(shared_data).base_url)
    assert report.ok and REAL in report.done
    assert _state(dest, REAL) is FileState.OK


def test_a_corrupted_body_is_an_error_and_nothing_is_placed(
    cli, serve, shared_data: Path, tmp_path: Path
) -> None:
    mirror = serve(shared_data)
    mirror.corrupt.add(REAL)
    dest = tmp_path / "data"
    code, out, err = cli("pull", "toolalpaca", "--data-dir", str(dest), "--base-url", mirror.base_url)
    assert code == 2
    assert f"FAILED {REAL}: sha256 mismatch" in err
    assert err.strip().splitlines()[-1].startswith("tlbench data: error: 1 file(s) could not be pulled")
    assert "Traceback" not in err
    assert "pulled 3, already present 0, failed 1" in out  # the other files went on
    assert not (dest / REAL).exists()
    assert mirror.requests[REAL] == 1  # a hash mismatch is final, not retried
    _no_leftovers(dest)


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "no-length"])
def test_a_dropped_connection_is_retried(serve, shared_data: Path, tmp_path: Path, with_length: bool) -> None:
    mirror = serve(shared_data)
    mirror.drops[REAL] = 1
    if not with_length:
        mirror.short_drops.add(REAL)
    waits: list[float] = []
    dest = tmp_path / "data"
    report = pull(
        dest,
        ["toolalpaca"],
        base_url=mirror.base_url,
        retries=2,
        backoff=0.25,
        sleep=waits.append,
        progress=True,
    )
    assert report.ok, report.failed
    assert mirror.requests[REAL] == 2 and waits == [0.25]
    assert _state(dest, REAL) is FileState.OK
    assert (dest / REAL).stat().st_mode & 0o777 == 0o644
    _no_leftovers(dest)


def test_a_connection_that_always_drops_leaves_no_partial_file(
    serve, shared_data: Path, tmp_path: Path
) -> None:
    mirror = serve(shared_data)
    mirror.drops[RELEASE] = -1
    waits: list[float] = []
    dest = tmp_path / "data"
    report = pull(dest, ["bfcl"], base_url=mirror.base_url, retries=3, backoff=0.5, sleep=waits.append)
    assert [p for p, _ in report.failed] == [RELEASE]
    assert "after 4 attempts" in report.failed[0][1]
    assert mirror.requests[RELEASE] == 4 and waits == [0.5, 1.0, 2.0]  # exponential backoff
    assert not (dest / RELEASE).exists() and len(report.done) == 16
    _no_leftovers(dest)


def test_http_errors_retry_only_when_transient(serve, shared_data: Path, tmp_path: Path) -> None:
    mirror = serve(shared_data)
    mirror.status[REAL] = 404
    mirror.status["toolalpaca/LICENSE"] = 503
    report = pull(tmp_path, ["toolalpaca"], base_url=mirror.base_url, retries=2, sleep=lambda s: None)
    failed = dict(report.failed)
    assert "HTTP 404" in failed[REAL] and mirror.requests[REAL] == 1
    assert "HTTP 503" in failed["toolalpaca/LICENSE"] and mirror.requests["toolalpaca/LICENSE"] == 3


def test_an_unreachable_server_gives_up_after_three_files(tmp_path: Path) -> None:
    waits: list[float] = []
    report = pull(
        tmp_path, ["rotbench"], base_url="http://127.0.0.1:9", retries=1, timeout=2, sleep=waits.append
    )
    assert len(report.failed) == 11 and not report.done
    assert all("ConnectionError" in why for _, why in report.failed[:3])
    assert all("not attempted" in why for _, why in report.failed[3:])
    assert waits == [1.0, 1.0, 1.0]  # three files tried (with one retry each), then no more waiting
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_final_errors_do_not_stop_the_other_files(serve, tmp_path: Path) -> None:
    mirror = serve(tmp_path / "empty")  # every file is a 404
    report = pull(
        tmp_path / "data", ["toolalpaca"], base_url=mirror.base_url, retries=3, sleep=lambda s: None
    )
    assert len(report.failed) == 4 and all("HTTP 404" in why for _, why in report.failed)
    assert sum(mirror.requests.values()) == 4


class _InterruptedSession:
    """A requests-like session whose body stops with Ctrl-C after the first chunk."""

    class _Response:
        status_code = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def iter_content(self, chunk_size: int):
            yield b"[" * 100
            raise KeyboardInterrupt

    def get(self, url: str, stream: bool, timeout: float):
        return self._Response()


def test_ctrl_c_mid_download_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        pull(tmp_path, ["toolalpaca"], base_url="http://mirror.invalid", session=_InterruptedSession())
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_bad_pull_options_are_usage_errors(cli, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="must start with http"):
        pull(tmp_path, base_url="ftp://example.org")
    for argv in (["--retries", "-1"], ["--retries", "x"], ["--backoff", "-2"], ["--bogus"]):
        code, _, err = cli("pull", *argv, "--data-dir", str(tmp_path))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = cli("pull", "--base-url", "file:///x", "--data-dir", str(tmp_path))
    assert code == 2 and "must start with http" in err


def test_import_round_trips_every_file(cli, shared_data: Path, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    code, out, err = cli("import", str(shared_data), "--data-dir", str(dest))
    assert code == 0, err
    assert "imported 134, already present 0, failed 0" in out
    assert cli("status", "--data-dir", str(dest))[0] == 0
    assert "imported 0, already present 134" in cli("import", str(shared_data), "--data-dir", str(dest))[1]


def test_import_rejects_a_corrupt_or_incomplete_mirror(shared_data: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(shared_data / "toolalpaca", mirror / "toolalpaca")
    (mirror / REAL).write_bytes((mirror / REAL).read_bytes()[::-1])  # same size, other bytes
    (mirror / "toolalpaca" / "LICENSE").unlink()
    dest = tmp_path / "data"
    report = import_dir(mirror, dest, ["toolalpaca"])
    failed = dict(report.failed)
    assert "sha256 mismatch" in failed[REAL] and "not found" in failed["toolalpaca/LICENSE"]
    assert len(report.done) == 2
    assert not (dest / REAL).exists() and not (dest / "toolalpaca" / "LICENSE").exists()
    _no_leftovers(dest)


def test_cli_user_errors_are_one_line_exit_2(cli, tmp_path: Path) -> None:
    cases = [
        (["import", str(tmp_path / "absent")], "import directory"),
        (["status", "--data-dir", str(tmp_path / "absent")], "does not exist"),
        (["status", "rotbech", "--data-dir", str(tmp_path)], "Did you mean: rotbench"),
        (["pull", "nope", "--data-dir", str(tmp_path)], "unknown benchmark 'nope'"),
        (["status", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ]
    for argv, needle in cases:
        code, _, err = cli(*argv)
        assert code == 2, argv
        assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = cli("pull", "--data-dir", str(tmp_path / "file"))
    assert code == 2 and "is not a directory" in err


def test_bare_data_command_prints_help_and_exits_2(cli) -> None:
    code, _, err = cli()
    assert code == 2 and "status" in err and "pull" in err and "import" in err
