"""Train a model with the TL-Training recipes (MAE, PKT, IRM).

Not implemented yet: the collect/train milestone fills this command in. Until then it exits with code 2.
"""

from __future__ import annotations

import argparse

from tlbench.cli._common import not_implemented

HELP = "Train a model with the TL-Training recipes (MAE, PKT, IRM)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:
    """Always fails with the 'not implemented yet' message."""
    return not_implemented("train", "the collect/train milestone")
