"""The shared vocabulary and the registry: round trips, immutability, taxonomy groups, lazy targets."""

from __future__ import annotations

import dataclasses

import pytest

import tlbench
from tlbench.errors import DataError, UsageError
from tlbench.registry import Registry
from tlbench.types import (
    CallVerdict,
    ErrorKind,
    Feedback,
    ParseResult,
    ToolCall,
    ToolDoc,
    Verdict,
    canonical_json,
)


def test_toolcall_is_frozen_and_round_trips() -> None:
    call = ToolCall("get_weather", {"city": "Paris", "days": 3}, raw="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.name = "other"  # type: ignore[misc]
    assert ToolCall.from_dict(call.to_dict()) == call


def test_toolcall_accepts_parameters_alias_and_json_string_arguments() -> None:
    assert ToolCall.from_dict({"name": "f", "parameters": {"a": 1}}).arguments == {"a": 1}
    assert ToolCall.from_dict({"name": "f", "arguments": '{"a": 1}'}).arguments == {"a": 1}
    assert ToolCall.from_dict({"name": "f", "arguments": ""}).arguments == {}


def test_finish_and_ask_detection_is_case_insensitive() -> None:
    assert ToolCall("Finish").is_finish
    assert ToolCall("ask_to_user").is_ask_user
    assert not ToolCall("finish_line").is_finish


def test_tooldoc_param_order_and_properties() -> None:
    doc = ToolDoc(
        "f",
        parameters={"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}},
        required=("b",),
    )
    assert doc.param_names == ("b", "a")
    assert doc.to_dict()["parameters"]["properties"]["a"] == {"type": "integer"}


def test_error_kind_groups_are_disjoint_and_complete() -> None:
    de = {k for k in ErrorKind if k.is_documentation_error}
    ex = {k for k in ErrorKind if k.is_execution_error}
    assert de == {
        ErrorKind.TOOL_HALLUCINATION,
        ErrorKind.PARAMETER_HALLUCINATION,
        ErrorKind.MISSING_PARAMETER,
        ErrorKind.TYPE_MISMATCH,
    }
    assert ex == {ErrorKind.TOOL_CALL_FAILURE, ErrorKind.TOOL_INSTABILITY, ErrorKind.OTHER}
    assert not de & ex
    assert [k for k in ErrorKind if not k.is_error] == [ErrorKind.CORRECT]


def test_feedback_round_trip() -> None:
    fb = Feedback(ErrorKind.TOOL_CALL_FAILURE, "boom", payload={"a": [1]}, tool="t", detail="d")
    assert Feedback.from_dict(fb.to_dict()) == fb
    assert not fb.ok and Feedback(ErrorKind.CORRECT, "{}").ok


def test_verdict_kinds_collects_call_kinds_in_order() -> None:
    cv1 = CallVerdict(ToolCall("a"), (ErrorKind.PARAMETER_HALLUCINATION, ErrorKind.MISSING_PARAMETER))
    cv2 = CallVerdict(ToolCall("b"), (ErrorKind.MISSING_PARAMETER,))
    v = Verdict(ErrorKind.PARAMETER_HALLUCINATION, (cv1, cv2), ParseResult())
    assert v.kinds == (ErrorKind.PARAMETER_HALLUCINATION, ErrorKind.MISSING_PARAMETER)
    assert v.is_error
    assert v.to_dict()["calls"][0]["kind"] == "parameter_hallucination"
    assert Verdict(ErrorKind.CORRECT).kinds == (ErrorKind.CORRECT,)


def test_canonical_json_is_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"a": 1}) == '{"a":1}'


def test_registry_aliases_lazy_targets_and_did_you_mean() -> None:
    reg: Registry[object] = Registry("widget")
    reg.add("alpha", "json:dumps", "a")
    assert reg.get("a") is reg.get("alpha")
    import json

    assert reg.get("alpha") is json.dumps
    assert reg.canonical("a") == "alpha"
    assert reg.names() == ["alpha"]
    with pytest.raises(UsageError, match="Did you mean: alpha"):
        reg.get("alpah")
    with pytest.raises(ValueError):
        reg.add("alpha", object())


def test_data_error_carries_location() -> None:
    err = DataError("bad json", path="x.jsonl", line=3)
    assert str(err) == "x.jsonl:3: bad json"
    assert err.line == 3


def test_public_surface() -> None:
    for name in tlbench.__all__:
        assert hasattr(tlbench, name), name
