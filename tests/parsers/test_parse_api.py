"""The public contract of ``tlbench.parsers``: registry, format names, input limits, never-raises."""

from __future__ import annotations

import pytest

from tlbench.errors import UsageError
from tlbench.parsers import FORMATS, MAX_CHARS, PARSERS, parse
from tlbench.registry import Registry
from tlbench.types import ParseResult


def test_formats_and_registry() -> None:
    assert FORMATS == ("react", "json", "python", "qwen", "llama3", "glm", "openai")
    assert isinstance(PARSERS, Registry)
    assert set(FORMATS) <= set(PARSERS.names())
    assert PARSERS.canonical("hermes") == "qwen"


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean|Did you mean"):
        parse("x", "pyhton")
    with pytest.raises(UsageError):
        parse("x", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value", [None, 3, b"f(a=1)", ["x"], object()])
def test_non_text_input(fmt: str, value: object) -> None:
    r = parse(value, fmt)
    assert isinstance(r, ParseResult) and r.failure is not None and r.failure.reason == "not_text"


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_long_and_empty(fmt: str) -> None:
    assert parse("a" * (MAX_CHARS + 1), fmt).failure.reason == "too_long"  # type: ignore[union-attr]
    assert parse(" \n\t ", fmt).failure.reason == "empty"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_results_are_json_ready(fmt: str) -> None:
    import json

    for text in ("x", '{"name": "f", "arguments": {"a": 1}}', "f(a=1)", "Action: f\nAction Input: {}"):
        json.dumps(parse(text, fmt).to_dict())
