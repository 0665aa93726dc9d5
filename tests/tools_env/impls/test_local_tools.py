"""ToolEyes local tools and the general set: documented names, behaviour, containment and error texts."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from tlbench.classify import classify_feedback
from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed
from tools_env.impls.general import GENERAL_DOCS
from tools_env.impls.local import LOCAL_TOOLS, LocalExecutor, run_local_tool

TOOLEYES = Path(os.environ.get("TLBENCH_DATA", "/work/shared/data")) / "tooleyes" / "Tool_Library"
LOCAL_CONFIGS = {
    "Calculator/Calculator": {"calculator"},
    "Calendar/Calendar": {"current_date"},
    "Random/Random": {
        "get_random_number",
        "get_uuid",
        "generate_string",
        "generate_password",
        "generate_placeholder_text",
    },
    "File/file_operation": {"write_file", "read_file"},
}


#: A regex with catastrophic backtracking on its text: the regex tools stop it ("took longer ...").
CATASTROPHIC_REGEX = {"pattern": r"(a+)+$", "text": "a" * 5000 + "b"}


def _run(ctx: CallContext, name: str, **args: object) -> object:
    return LocalExecutor().execute(ToolCall(name, args), ToolDoc(name), ctx)


@pytest.mark.skipif(not TOOLEYES.exists(), reason="ToolEyes data not available")
@pytest.mark.parametrize("folder", sorted(LOCAL_CONFIGS))
def test_names_and_parameters_match_the_tooleyes_docs(folder: str) -> None:
    import inspect

    docs = {d["name"]: d for d in json.loads((TOOLEYES / folder / "config_gpt4.json").read_text())}
    for name in LOCAL_CONFIGS[folder]:
        assert name in docs
        sig = inspect.signature(LOCAL_TOOLS[name])
        positional = {p.name for p in sig.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD}
        assert positional == set(docs[name]["parameters"]["properties"]), name
        required = {
            p.name
            for p in sig.parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
        }
        assert required == set(docs[name]["parameters"].get("required", [])), name


def test_general_docs_match_functions() -> None:
    import inspect

    for name, doc in GENERAL_DOCS.items():
        params = inspect.signature(LOCAL_TOOLS[name]).parameters
        assert set(params) == set(doc.properties), name
        assert set(doc.required) == {n for n, p in params.items() if p.default is p.empty}, name


def test_random_tools_are_reproducible_and_bounded(ctx: CallContext) -> None:
    nums = _run(ctx, "get_random_number", min="5", max="9", cnt="50")
    assert len(nums) == 50 and all(5 <= n <= 9 for n in nums)
    assert nums == _run(ctx, "get_random_number", min="5", max="9", cnt="50")
    later = CallContext(ctx.workdir, ctx.seed, history=((ToolCall("x"), None),))  # type: ignore[arg-type]
    assert nums != _run(later, "get_random_number", min="5", max="9", cnt="50")
    ids = _run(ctx, "get_uuid", cnt=3)
    assert len(set(ids)) == 3 and all(uuid.UUID(u).version == 4 for u in ids)
    (s,) = _run(ctx, "generate_string", len="8")
    assert len(s) == 8 and s.isalnum()
    (pw,) = _run(ctx, "generate_password", len=16)
    assert len(pw) == 16 and any(c.isdigit() for c in pw) and any(not c.isalnum() for c in pw)
    text = _run(ctx, "generate_placeholder_text", cnt="2")
    assert len(text) == 2 and all(t.endswith(".") and t[0].isupper() for t in text)
    assert _run(ctx, "get_random_number") and len(_run(ctx, "get_uuid")) == 1


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("get_random_number", {"min": "9", "max": "1"}),
        ("get_random_number", {"cnt": "five"}),
        ("get_uuid", {"cnt": "1000000"}),
        ("generate_string", {"len": "100000000"}),
        ("generate_password", {"len": "-3"}),
    ],
)
def test_random_tools_reject_bad_values(ctx: CallContext, name: str, args: dict) -> None:
    with pytest.raises(ToolCallFailed) as info:
        _run(ctx, name, **args)
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE, str(info.value)


def test_current_date(ctx: CallContext) -> None:
    pinned = CallContext(ctx.workdir, item={"today": "2024-02-29"})
    assert _run(pinned, "current_date") == "2024-02-29"
    assert len(_run(ctx, "current_date")) == 10


def test_write_then_read_inside_workdir(ctx: CallContext) -> None:
    assert "successfully" in _run(ctx, "write_file", text="héllo", file_path="notes/a.txt")
    assert (ctx.workdir / "notes" / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert _run(ctx, "read_file", file_path="notes/a.txt") == "héllo"
    _run(ctx, "write_file", text="default")
    assert _run(ctx, "read_file", file_path="output.txt") == "default"
    assert _run(ctx, "read_file", file_path="./notes//a.txt") == "héllo"


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../escape.txt",
        "notes/../../escape.txt",
        "..",
        "~/x",
        "C:\\Windows\\x",
        "a/\x00b",
        "",
        "   ",
    ],
)
def test_file_tools_refuse_paths_outside_workdir(ctx: CallContext, path: str) -> None:
    for name, args in (("write_file", {"text": "x", "file_path": path}), ("read_file", {"file_path": path})):
        if name == "write_file" and not path.strip():
            continue  # an empty path means the default file
        with pytest.raises(ToolCallFailed) as info:
            _run(ctx, name, **args)
        assert classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE, str(info.value)
    assert not (ctx.workdir.parent / "escape.txt").exists()


def test_symlinks_cannot_escape(ctx: CallContext, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("secret")
    (ctx.workdir / "link_dir").symlink_to(outside, target_is_directory=True)
    (ctx.workdir / "link_file").symlink_to(secret)
    for name, args in (
        ("read_file", {"file_path": "link_file"}),
        ("read_file", {"file_path": "link_dir/secret.txt"}),
        ("write_file", {"text": "pwned", "file_path": "link_file"}),
        ("write_file", {"text": "pwned", "file_path": "link_dir/new.txt"}),
    ):
        with pytest.raises(ToolCallFailed, match="outside the working directory"):
            _run(ctx, name, **args)
    assert secret.read_text() == "secret" and not (outside / "new.txt").exists()
    (ctx.workdir / "inner.txt").write_text("ok")
    (ctx.workdir / "link_inside").symlink_to(ctx.workdir / "inner.txt")
    assert _run(ctx, "read_file", file_path="link_inside") == "ok"  # a link that stays inside is fine


def test_file_size_limits_and_binary(ctx: CallContext) -> None:
    with pytest.raises(ToolCallFailed, match="too large"):
        _run(ctx, "write_file", text="x" * (2 << 20), file_path="big.txt")
    (ctx.workdir / "bin.dat").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ToolCallFailed, match="not UTF-8"):
        _run(ctx, "read_file", file_path="bin.dat")
    with pytest.raises(ToolCallFailed) as info:
        _run(ctx, "read_file", file_path="missing.txt")
    assert "No such file or directory" in str(info.value)


def test_model_cannot_supply_context_parameters(ctx: CallContext, tmp_path: Path) -> None:
    with pytest.raises(ToolCallFailed, match="got an unexpected keyword argument 'workdir'"):
        _run(ctx, "write_file", text="x", file_path="a.txt", workdir=str(tmp_path))
    with pytest.raises(ToolCallFailed, match="got an unexpected keyword argument 'seed'"):
        _run(ctx, "get_uuid", seed=1)


def test_upstream_type_error_texts_are_kept(ctx: CallContext) -> None:
    with pytest.raises(ToolCallFailed) as info:
        _run(ctx, "calculator")
    assert str(info.value) == "calculator() missing 1 required positional argument: 'input_query'"
    assert classify_feedback(str(info.value)) is ErrorKind.MISSING_PARAMETER
    with pytest.raises(ToolCallFailed) as info:
        _run(ctx, "calculator", input_query="1", precision=2)
    assert str(info.value) == "calculator() got an unexpected keyword argument 'precision'"
    with pytest.raises(ToolCallFailed) as info:
        run_local_tool("no_such_tool", {}, str(ctx.workdir))
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_HALLUCINATION


def test_unit_conversion(ctx: CallContext) -> None:
    assert _run(ctx, "convert_units", value=1, from_unit="mile", to_unit="km") == {
        "value": 1.609344,
        "unit": "km",
    }
    assert _run(ctx, "convert_units", value="100", from_unit="C", to_unit="Fahrenheit")["value"] == 212.0
    assert _run(ctx, "convert_units", value=0, from_unit="K", to_unit="celsius")["value"] == -273.15
    assert _run(ctx, "convert_units", value=1, from_unit="GiB", to_unit="MB")["value"] == 1073.741824
    for args in (
        {"value": 1, "from_unit": "kg", "to_unit": "m"},
        {"value": "abc", "from_unit": "kg", "to_unit": "g"},
        {"value": 1, "from_unit": "parsec-ish", "to_unit": "m"},
    ):
        with pytest.raises(ToolCallFailed) as info:
            _run(ctx, "convert_units", **args)
        assert classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE, str(info.value)


def test_date_arithmetic(ctx: CallContext) -> None:
    assert _run(ctx, "date_add", date="2024-01-31", months=1) == {"date": "2024-02-29", "weekday": "Thursday"}
    assert _run(ctx, "date_add", date="2023-12-25", days="7", years=1)["date"] == "2025-01-01"
    assert _run(ctx, "date_diff", start_date="2024-01-01", end_date="2024-03-01") == {
        "value": 60,
        "unit": "days",
    }
    assert _run(ctx, "date_diff", start_date="2000-05-20", end_date="2024-05-19", unit="years")["value"] == 23
    assert _run(ctx, "date_diff", start_date="2024-03-31", end_date="2024-01-31", unit="month")["value"] == -2
    assert _run(ctx, "day_of_week", date="1969-07-20") == "Sunday"
    with pytest.raises(ToolCallFailed, match="does not match format"):
        _run(ctx, "date_add", date="next tuesday", days=1)
    with pytest.raises(ToolCallFailed):
        _run(ctx, "date_add", date="9999-12-31", days=1)


def test_json_utilities(ctx: CallContext) -> None:
    data = '{"a": {"b": [10, {"c": "x"}]}, "k.e.y": 1}'
    assert _run(ctx, "json_query", data=data, path="a.b[1].c") == "x"
    assert _run(ctx, "json_query", data={"a": [1, 2]}, path="$.a[-1]") == 2
    assert _run(ctx, "json_query", data=data, path='["k.e.y"]') == 1
    with pytest.raises(ToolCallFailed) as info:
        _run(ctx, "json_query", data=data, path="a.zzz")
    assert str(info.value) == "'zzz'" and classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE
    assert _run(ctx, "json_validate", text="[1, 2")["valid"] is False
    assert _run(ctx, "json_validate", text="[1, 2]") == {"valid": True, "type": "list", "message": ""}
    assert _run(ctx, "json_validate", text="[" * 100_000)["valid"] is False


def test_regex_utilities_and_guard(ctx: CallContext) -> None:
    out = _run(ctx, "regex_search", pattern=r"(\d+)-(\d+)", text="a 1-2 b 30-40")
    assert out["count"] == 2 and out["matches"][1]["groups"] == ["30", "40"]
    assert (
        _run(ctx, "regex_replace", pattern="cat", replacement="dog", text="Cat cat", flags="i") == "dog dog"
    )
    with pytest.raises(ToolCallFailed, match="took longer"):  # how soon: tests/perf/bench_worst_case.py
        _run(ctx, "regex_search", **CATASTROPHIC_REGEX)
    for args in (
        {"pattern": "(", "text": "x"},
        {"pattern": "x" * 1000, "text": "x"},
        {"pattern": "a", "text": "x", "flags": "q"},
    ):
        with pytest.raises(ToolCallFailed) as info:
            _run(ctx, "regex_search", **args)
        assert classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE, str(info.value)


def test_results_are_json_ready(ctx: CallContext) -> None:
    for name, args in (
        ("calculator", {"input_query": "1+1"}),
        ("get_uuid", {}),
        ("date_add", {"date": "2024-01-01"}),
    ):
        json.dumps(_run(ctx, name, **args), allow_nan=False)
