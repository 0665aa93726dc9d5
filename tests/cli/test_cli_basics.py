"""The ``tlbench`` CLI shell: help on every subcommand, user errors exit 2.

Most checks call ``tlbench.cli.main(argv)`` in-process; two run ``python -m tlbench`` in a subprocess to
check the real exit status and that no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from tlbench.cli import COMMANDS, build_parser, main

SUBCOMMANDS = ("data", "classify", "collect", "train", "score", "leaderboard", "compare", "analyze", "report")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_subcommand_is_registered() -> None:
    assert set(COMMANDS) == set(SUBCOMMANDS)
    assert set(_subparsers(build_parser())) == set(SUBCOMMANDS)


def test_top_level_help_lists_every_subcommand(capsys) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help_exits_0(capsys, command: str) -> None:
    code, out, _ = _run(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: tlbench {command}")


def _all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    todo = [("tlbench", build_parser())]
    seen = []
    while todo:
        name, parser = todo.pop()
        seen.append((name, parser))
        todo += [(f"{name} {sub}", p) for sub, p in _subparsers(parser).items()]
    return seen


def test_help_documents_every_option() -> None:
    undocumented = []
    for name, parser in _all_parsers():
        help_text = parser.format_help()
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help:
                undocumented.append(f"{name}: {action.option_strings or action.dest}")
            for flag in action.option_strings:
                assert flag in help_text, f"{name}: {flag} missing from --help"
    assert not undocumented, undocumented


def test_unknown_subcommand_and_bad_option_exit_2_with_one_line(capsys) -> None:
    for argv in (["frobnicate"], ["--no-such-option"], ["data", "status", "--no-such-option"]):
        code, _, err = _run(capsys, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and "error:" in err and "Traceback" not in err


def test_no_subcommand_prints_help_and_exits_2(capsys) -> None:
    code, _, err = _run(capsys)
    assert code == 2 and "usage: tlbench" in err


def test_version(capsys) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.startswith("tlbench ")


def _python_m_tlbench(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tlbench", *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_python_m_tlbench_help_and_real_exit_codes() -> None:
    ok = _python_m_tlbench("--help")
    assert ok.returncode == 0 and "leaderboard" in ok.stdout
    unknown = _python_m_tlbench("frobnicate")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
