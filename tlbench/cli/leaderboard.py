"""Render leaderboard tables from run directories.

Not implemented yet: the leaderboard milestone fills this command in. Until then it exits with code 2.
"""

from __future__ import annotations

import argparse

from tlbench.cli._common import not_implemented

HELP = "Render leaderboard tables from run directories."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:
    """Always fails with the 'not implemented yet' message."""
    return not_implemented("leaderboard", "the leaderboard milestone")
