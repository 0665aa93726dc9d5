"""The LLM-backed simulator and the LLM user against a real chat-completions server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlbench.classify import classify_feedback
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, Feedback, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolUnstable
from tools_env.llm_sim import ChatEndpoint, LLMSimulatedExecutor, parse_completion_json
from tools_env.replay import ReplayExecutor, ReplayStore
from tools_env.user import NO_INFO_REPLY, SimulatedUser

SECRET = "sk-test-SECRET-123"
DOC = ToolDoc(
    name="get_weather",
    description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def _completion(server, content: str):
    return server.json(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def _endpoint(server, key_env: str | None = "TLB_TEST_KEY") -> ChatEndpoint:
    return ChatEndpoint(base_url=server.url + "/v1", model="tiny-sim", api_key_env=key_env, timeout_s=5)


def test_second_run_makes_no_request(http_server, ctx: CallContext, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TLB_TEST_KEY", SECRET)
    http_server.respond = lambda seen: _completion(
        http_server, '```json\n{"temp_c": 21, "city": "Paris"}\n```'
    )
    db = tmp_path / "llm.sqlite"
    calls = [ToolCall("get_weather", {"city": c}) for c in ("Paris", "Oslo", "Lima")]
    first = [
        LLMSimulatedExecutor(_endpoint(http_server), ReplayStore(db)).execute(c, DOC, ctx) for c in calls
    ]
    assert first[0] == {"temp_c": 21, "city": "Paris"}
    assert len(http_server.requests) == 3
    seen = http_server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["Authorization"] == f"Bearer {SECRET}"
    body = json.loads(seen.body)
    assert body["model"] == "tiny-sim" and "get_weather" in body["messages"][0]["content"]
    assert '{"city":"Paris"}' in body["messages"][1]["content"]

    again = LLMSimulatedExecutor(_endpoint(http_server), ReplayStore(db))
    assert [again.execute(c, DOC, ctx) for c in calls] == first
    assert len(http_server.requests) == 3  # zero new requests
    assert SECRET not in db.read_bytes().decode("latin-1")
    # the cache is an ordinary replay store
    assert ReplayExecutor(ReplayStore(db)).execute(calls[1], DOC, ctx) == first[1]


def test_history_reaches_the_prompt_and_the_cache_key(http_server, ctx: CallContext, tmp_path: Path) -> None:
    http_server.respond = lambda seen: _completion(http_server, "plain text answer")
    ex = LLMSimulatedExecutor(_endpoint(http_server, key_env=None), ReplayStore(tmp_path / "h.sqlite"))
    earlier = ToolCall("get_weather", {"city": "Rome"})
    fb = Feedback(
        category=ErrorKind.CORRECT, text='{"temp_c": 30}', payload={"temp_c": 30}, tool="get_weather"
    )
    with_history = CallContext(ctx.workdir, history=((earlier, fb),))
    call = ToolCall("get_weather", {"city": "Paris"})
    assert ex.execute(call, DOC, ctx) == "plain text answer"
    assert ex.execute(call, DOC, with_history) == "plain text answer"
    assert len(http_server.requests) == 2  # different context -> different cache entry
    prompt = json.loads(http_server.requests[1].body)["messages"][1]["content"]
    assert 'Call: get_weather({"city":"Rome"})' in prompt and '{"temp_c": 30}' in prompt
    assert "Authorization" not in http_server.requests[0].headers


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, b"boom"), (503, b"busy"), (429, b"slow down"), (200, b"not json"), (200, b'{"choices": []}')],
)
def test_endpoint_trouble_is_instability(
    http_server, ctx: CallContext, status: int, body: bytes, tmp_path
) -> None:
    http_server.respond = lambda seen: (status, {}, body)
    store = ReplayStore(tmp_path / "e.sqlite")
    with pytest.raises(ToolUnstable) as info:
        LLMSimulatedExecutor(_endpoint(http_server, None), store).execute(
            ToolCall("get_weather", {"city": "x"}), DOC, ctx
        )
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_INSTABILITY, str(info.value)
    assert len(store) == 0  # failures are not cached


def test_unreachable_and_misconfigured(ctx: CallContext, http_server, monkeypatch) -> None:
    dead = ChatEndpoint(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=2)
    with pytest.raises(ToolUnstable) as info:
        LLMSimulatedExecutor(dead).execute(ToolCall("get_weather", {"city": "x"}), DOC, ctx)
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_INSTABILITY, str(info.value)
    monkeypatch.delenv("TLB_MISSING_KEY", raising=False)
    with pytest.raises(UsageError, match="TLB_MISSING_KEY is not set"):
        LLMSimulatedExecutor(_endpoint(http_server, "TLB_MISSING_KEY")).execute(
            ToolCall("get_weather"), DOC, ctx
        )
    monkeypatch.setenv("TLB_TEST_KEY", SECRET)
    http_server.respond = lambda seen: (401, {}, b"bad key " + SECRET.encode())
    with pytest.raises(UsageError) as info:
        LLMSimulatedExecutor(_endpoint(http_server)).execute(ToolCall("get_weather"), DOC, ctx)
    assert SECRET not in str(info.value) and "TLB_TEST_KEY" in str(info.value)


def test_parse_completion_json() -> None:
    assert parse_completion_json('{"a": 1}') == {"a": 1}
    assert parse_completion_json("```\n[1, 2]\n```") == [1, 2]
    assert parse_completion_json("{broken") == "{broken"
    assert parse_completion_json("  hello ") == "hello"


def test_llm_user_cached_and_scripted_first(http_server, ctx: CallContext, tmp_path: Path) -> None:
    http_server.respond = lambda seen: _completion(http_server, "I live in Berlin.")
    store = ReplayStore(tmp_path / "u.sqlite")
    user = SimulatedUser(_endpoint(http_server, None), store)
    item_ctx = CallContext(ctx.workdir, item={"id": "Turn 1: What's the weather where I live?"})
    ask = ToolCall("ask_to_user", {"question": "Where do you live?"})
    assert user.execute(ask, ToolDoc("ask_to_user"), item_ctx) == "I live in Berlin."
    assert user.execute(ask, ToolDoc("ask_to_user"), item_ctx) == "I live in Berlin."
    assert len(http_server.requests) == 1
    system = json.loads(http_server.requests[0].body)["messages"][0]["content"]
    assert "What's the weather where I live?" in system and "Turn 1:" not in system
    scripted = CallContext(ctx.workdir, item={"user_answers": ["Munich"]})
    assert user.execute(ask, ToolDoc("ask_to_user"), scripted) == "Munich"
    assert len(http_server.requests) == 1
    assert SimulatedUser().execute(ask, ToolDoc("ask_to_user"), item_ctx) == NO_INFO_REPLY
