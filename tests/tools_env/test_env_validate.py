"""Registry, validation texts and categories, and the ToolEnv facade (one test per feedback category)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sample_tools

from tlbench.classify import classify_feedback
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.env import ToolEnv
from tools_env.registry import ToolRegistry, doc_from_function
from tools_env.validate import FORMAT_ERROR_TEXT, format_error_feedback, missing_text, validate_call

HERE = Path(__file__).resolve().parent


def D(name: str, props: dict[str, Any], required: tuple[str, ...] = ()) -> ToolDoc:
    return ToolDoc(name, "", {"type": "object", "properties": props, "required": list(required)}, required)


DOCS = {
    "search": D("search", {"query": {"type": "string"}, "limit": {"type": "integer"}}, ("query",)),
    "pair": D(
        "pair", {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}, ("a", "b", "c")
    ),
    "units": D("units", {"unit": {"type": "string", "enum": ["c", "f"]}}),
    "rows": D(
        "rows",
        {"rows": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}}},
    ),
}


# ------------------------------------------------------------------------------------------ registry


def test_doc_from_function_maps_types_defaults_and_docstring() -> None:
    doc, ctx = doc_from_function(sample_tools.describe)
    props = doc.properties
    assert props["name"]["type"] == "string"
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["unit"]["enum"] == ["c", "f"] and props["unit"]["type"] == "string"
    assert props["note"]["type"] == "string"
    assert doc.required == ("name", "tags")
    assert doc.defaults == {"unit": "c", "note": None}
    add_doc, _ = doc_from_function(sample_tools.add)
    assert add_doc.description == "Add two integers."
    assert add_doc.properties["a"] == {"type": "integer", "description": "the first term"}
    assert add_doc.properties["b"]["default"] == 0
    save_doc, ctx = doc_from_function(sample_tools.save)
    assert ctx == ("workdir",) and "workdir" not in save_doc.properties


def test_decorator_registers_importable_targets() -> None:
    entry = sample_tools.REG.get("add")
    assert entry is not None and entry.target == "sample_tools:add" and entry.executor == "sandbox"
    assert str(HERE) in sample_tools.REG.sys_path()


def test_local_functions_and_kwargs_are_refused() -> None:
    reg = ToolRegistry()

    def inner(a: int) -> int:
        return a

    with pytest.raises(UsageError):
        reg.tool(inner)

    def kw(**kwargs: Any) -> None: ...

    with pytest.raises(UsageError):
        doc_from_function(kw)


def test_unknown_executor_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean|Did you mean"):
        ToolRegistry().add(DOCS["search"], "simulat")


def test_tooleyes_config_binds_local_and_user_tools(tmp_path: Path) -> None:
    import json

    cfg = [
        {
            "name": "calculator",
            "description": "calc",
            "parameters": {
                "type": "object",
                "properties": {"input_query": {"type": "string"}},
                "required": ["input_query"],
            },
        },
        {
            "name": "web_search",
            "description": "s",
            "parameters": {"type": "object", "properties": {}, "required": []},
        },
        {
            "name": "ask_to_user",
            "description": "ask",
            "parameters": {
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"],
            },
        },
    ]
    path = tmp_path / "config_gpt4.json"
    path.write_text(json.dumps(cfg))
    reg = ToolRegistry.from_tooleyes_config(path)
    assert [e.executor for e in reg] == ["local", "simulate", "user"]


# ------------------------------------------------------------------------------------------ validation


def test_unknown_tool_text_and_category() -> None:
    fb = validate_call(ToolCall("serch", {}), DOCS, module="Search.Google.tool")
    assert fb is not None and fb.category is ErrorKind.TOOL_HALLUCINATION
    assert fb.text == "cannot import name 'serch' from 'Search.Google.tool' (Search/Google/tool.py)"
    assert classify_feedback(fb.text) is ErrorKind.TOOL_HALLUCINATION
    fb = validate_call(ToolCall("functions.search", {}), DOCS)
    assert fb is not None and fb.text == "invalid syntax (<string>, line 1)"


def test_unexpected_keyword_text() -> None:
    fb = validate_call(ToolCall("search", {"query": "x", "page": 2}), DOCS)
    assert fb is not None and fb.category is ErrorKind.PARAMETER_HALLUCINATION
    assert fb.text == "search() got an unexpected keyword argument 'page'"
    assert classify_feedback(fb.text) is ErrorKind.PARAMETER_HALLUCINATION


def test_missing_argument_texts_match_cpython() -> None:
    fb = validate_call(ToolCall("search", {"limit": 3}), DOCS)
    assert fb is not None and fb.category is ErrorKind.MISSING_PARAMETER
    assert fb.text == "search() missing 1 required positional argument: 'query'"
    fb = validate_call(ToolCall("pair", {"c": "z"}), DOCS)
    assert fb is not None and fb.text == "pair() missing 2 required positional arguments: 'a' and 'b'"
    assert (
        missing_text("f", ("a", "b", "c")) == "f() missing 3 required positional arguments: 'a', 'b', and 'c'"
    )

    def f(a: Any, b: Any, c: Any) -> None: ...

    with pytest.raises(TypeError) as info:
        f()  # type: ignore[call-arg]
    assert str(info.value).endswith(missing_text("f", ("a", "b", "c")).split("f", 1)[1])
    assert classify_feedback(fb.text) is ErrorKind.MISSING_PARAMETER


def test_type_mismatch_and_enum_violation() -> None:
    fb = validate_call(ToolCall("search", {"query": "x", "limit": "ten"}), DOCS)
    assert fb is not None and fb.category is ErrorKind.TYPE_MISMATCH
    assert fb.text == "TypeError: search() argument 'limit' must be integer, not str"
    fb = validate_call(ToolCall("units", {"unit": "k"}), DOCS)
    assert fb is not None and fb.category is ErrorKind.TYPE_MISMATCH
    assert fb.text == "ValueError: units() argument 'unit' must be one of ['c', 'f'], not \"k\""


def test_nested_values_checked_with_jsonschema() -> None:
    assert validate_call(ToolCall("rows", {"rows": [{"id": 1}]}), DOCS) is None
    fb = validate_call(ToolCall("rows", {"rows": [{"id": "one"}]}), DOCS)
    assert fb is not None and fb.category is ErrorKind.TYPE_MISMATCH and "[0]['id']" in fb.text


def test_valid_call_passes_and_format_error_text_is_upstream() -> None:
    assert validate_call(ToolCall("search", {"query": "x"}), DOCS) is None
    assert validate_call(ToolCall("finish", {"answer": "x"}), DOCS) is None
    fb = format_error_feedback()
    assert fb.category is ErrorKind.UNPARSABLE and fb.text == FORMAT_ERROR_TEXT
    assert FORMAT_ERROR_TEXT.startswith("Your output format does not match the specified format")
    assert classify_feedback(FORMAT_ERROR_TEXT) is ErrorKind.UNPARSABLE


# ------------------------------------------------------------------------------------------ environment


class Scripted:
    """An in-process executor that returns or raises what the argument says."""

    name = "scripted"

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        q = call.arguments.get("query")
        if q == "fail":
            raise ToolCallFailed("invalid literal for int() with base 10: 'x'")
        if q == "unstable":
            raise ToolUnstable("503 Server Error: Service Unavailable")
        if q == "bug":
            raise KeyError("oops")
        if q == "payload-error":
            return {"error": "Invalid API call"}
        if q == "long":
            return {"text": "z" * 10_000}
        if q == "bytes":
            return b"raw"
        return {"results": [q], "seed": ctx.seed}


@pytest.fixture(scope="module")
def env() -> Any:
    reg = ToolRegistry.from_docs(DOCS.values(), Scripted())
    for e in sample_tools.REG:
        reg.add(e.doc, e.executor, target=e.target, context=e.context, origin=e.origin)
    with ToolEnv(reg, seed=7, max_observation_chars=500, pool_size=1, timeout=5) as e:
        yield e


@pytest.mark.parametrize(
    ("query", "kind", "fragment"),
    [
        ("ok", ErrorKind.CORRECT, '{"results": ["ok"], "seed": 7}'),
        ("fail", ErrorKind.TOOL_CALL_FAILURE, "invalid literal for int()"),
        ("unstable", ErrorKind.TOOL_INSTABILITY, "503 Server Error"),
        ("bug", ErrorKind.TOOL_CALL_FAILURE, "'oops'"),
        ("payload-error", ErrorKind.TOOL_CALL_FAILURE, "Invalid API call"),
        ("bytes", ErrorKind.TOOL_CALL_FAILURE, "not JSON serializable"),
    ],
)
def test_in_process_executor_feedback_categories(
    env: ToolEnv, query: str, kind: ErrorKind, fragment: str
) -> None:
    fb = env.execute(ToolCall("search", {"query": query}))
    assert fb.category is kind, fb
    assert fragment in fb.text
    assert fb.tool == "search"


def test_observation_is_truncated_to_budget(env: ToolEnv) -> None:
    fb = env.execute(ToolCall("search", {"query": "long"}))
    assert fb.ok and len(fb.text) == 503 and fb.text.endswith("...") and "truncated" in fb.detail


def test_documentation_errors_come_before_execution(env: ToolEnv) -> None:
    assert env.execute(ToolCall("nope", {})).category is ErrorKind.TOOL_HALLUCINATION
    assert env.execute(ToolCall("search", {})).category is ErrorKind.MISSING_PARAMETER
    assert (
        env.execute(ToolCall("search", {"query": "q", "x": 1})).category is ErrorKind.PARAMETER_HALLUCINATION
    )
    assert env.execute(ToolCall("add", {"a": "1"})).category is ErrorKind.TYPE_MISMATCH


def test_decorated_tools_run_in_the_sandbox(env: ToolEnv) -> None:
    fb = env.execute(ToolCall("add", {"a": 2, "b": 40}))
    assert fb.ok and fb.text == "42" and fb.payload == 42
    fb = env.execute(ToolCall("explode", {"x": 1.5}))
    assert fb.category is ErrorKind.TOOL_CALL_FAILURE and fb.text == "ValueError: cannot handle 1.5"
    fb = env.execute(ToolCall("save", {"text": "hello"}))
    assert fb.ok and (env.workdir / "saved.txt").read_text() == "hello"
    fb = env.execute(ToolCall("save", {"text": "x", "workdir": "/etc"}))
    assert fb.category is ErrorKind.PARAMETER_HALLUCINATION


def test_local_executor_tools_run_in_the_sandbox(tmp_path: Path) -> None:
    from tools_env.impls.local import LOCAL_TOOLS  # noqa: F401 - the executors engineer's table

    docs = [D("calculator", {"input_query": {"type": "string"}}, ("input_query",))]
    with ToolEnv(ToolRegistry.from_docs(docs, "local"), workdir=tmp_path, pool_size=1) as env:
        fb = env.execute(ToolCall("calculator", {"input_query": "2+3*4"}))
        assert fb.category is ErrorKind.CORRECT and "14" in fb.text
        assert env.pool.calls >= 1


def test_execute_many_preserves_order(env: ToolEnv) -> None:
    calls = [ToolCall("add", {"a": i, "b": 1}) for i in range(20)] + [ToolCall("search", {"query": "ok"})]
    fbs = env.execute_many(calls)
    assert [f.payload for f in fbs[:20]] == [i + 1 for i in range(20)]
    assert fbs[20].ok


def test_closed_env_removes_its_workdir() -> None:
    env = ToolEnv([DOCS["search"]], Scripted())
    wd = env.workdir
    assert wd.exists()
    env.close()
    env.close()
    assert not wd.exists()
