"""Episode flow: execution, format errors, ask_to_user, finish, forced finish, transcript JSON round trip."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc
from tools_env.base import CallContext
from tools_env.env import ToolEnv
from tools_env.episode import FORCED_ERR_FINISH, FORCED_TURN_FINISH, Episode
from tools_env.registry import ToolRegistry
from tools_env.validate import FORMAT_ERROR_TEXT

_REACT = re.compile(r"Action:\s*(?P<name>[^\n]+)\nAction Input:\s*(?P<args>.*)", re.DOTALL)


def react(text: str, fmt: str, docs: list[ToolDoc]) -> ParseResult:
    """A minimal ReAct reader for these tests (the real parsers live in tlbench.parsers)."""
    m = _REACT.search(text)
    if not m:
        return ParseResult(failure=ParseFailure("no_call", raw=text))
    try:
        args = json.loads(m.group("args"))
    except ValueError:
        return ParseResult(failure=ParseFailure("bad_json", raw=text))
    return ParseResult(calls=(ToolCall(m.group("name").strip(), args, raw=text),))


def out(name: str, args: dict[str, Any]) -> str:
    return f"Thought: go\nAction: {name}\nAction Input: {json.dumps(args)}"


class Echo:
    name = "echo"

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        return {"echo": call.arguments.get("q"), "turn": len(ctx.history)}


def _doc(name: str, req: str) -> ToolDoc:
    return ToolDoc(
        name, "", {"type": "object", "properties": {req: {"type": "string"}}, "required": [req]}, (req,)
    )


DOCS = [_doc("lookup", "q"), _doc("ask_to_user", "question"), _doc("finish", "answer")]


@pytest.fixture()
def env() -> Any:
    reg = ToolRegistry.from_docs(DOCS[:1], Echo())
    reg.add(DOCS[1], "user")
    with ToolEnv(reg) as e:
        yield e


def test_full_episode_roles_and_categories(env: ToolEnv) -> None:
    ep = Episode(
        env,
        DOCS,
        item={"user_answers": ["Paris, please."]},
        parser=react,
        prompt=[{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}],
    )
    fb = ep.step(out("lookup", {"q": "weather"}))
    assert fb.ok and json.loads(fb.text) == {"echo": "weather", "turn": 0}
    fb = ep.step("I will just talk")
    assert fb.category is ErrorKind.UNPARSABLE and fb.text == FORMAT_ERROR_TEXT
    fb = ep.step(out("lookup", {"query": "x"}))
    assert fb.category is ErrorKind.PARAMETER_HALLUCINATION
    assert fb.text == "lookup() got an unexpected keyword argument 'query'"
    fb = ep.step(out("ask_to_user", {"question": "Which city?"}))
    assert fb.text == "Paris, please."
    fb = ep.step(out("lookup", {"q": "paris"}))
    assert (
        json.loads(fb.text)["turn"] == 3
    )  # history: lookup, rejected lookup, ask_to_user (not the format error)
    fb = ep.step(out("finish", {"answer": "Sunny in Paris"}))
    assert ep.finished and ep.valid_answer and ep.answer == "Sunny in Paris"
    roles = [m["role"] for m in ep.messages()]
    assert roles == [
        "system",
        "user",
        "assistant",
        "function",
        "assistant",
        "user",
        "assistant",
        "function",
        "assistant",
        "user",
        "assistant",
        "function",
        "assistant",
    ]
    assert [t.category for t in ep.turns] == [
        ErrorKind.CORRECT,
        ErrorKind.UNPARSABLE,
        ErrorKind.PARAMETER_HALLUCINATION,
        ErrorKind.CORRECT,
        ErrorKind.CORRECT,
        ErrorKind.CORRECT,
    ]
    with pytest.raises(UsageError):
        ep.step(out("lookup", {"q": "again"}))


def test_forced_finish_after_nine_generations(env: ToolEnv) -> None:
    ep = Episode(env, DOCS, parser=react)
    for i in range(9):
        assert not ep.finished
        ep.step(out("lookup", {"q": str(i)}))
    assert ep.finished and ep.forced == FORCED_TURN_FINISH and not ep.valid_answer
    assert ep.messages()[-1] == {"role": "assistant", "content": FORCED_TURN_FINISH}
    assert ep.generations == 9


def test_error_forced_finish_and_no_info_user(env: ToolEnv) -> None:
    ep = Episode(env, DOCS, parser=react, max_generations=3)
    fb = ep.step(out("ask_to_user", {"question": "anything?"}))
    assert fb.ok and "no further information" in fb.text
    ep.force_finish(error=True)
    assert ep.forced == FORCED_ERR_FINISH and ep.finished


def test_final_answer_without_call_is_not_a_finish(env: ToolEnv) -> None:
    # ToolEyes ends an episode only on a finish action (its function-calling path renders a text-only reply
    # as an empty action): a bare final answer / text-only native reply is a format error, not VA
    def parser(text: str, fmt: str, docs: list[ToolDoc]) -> ParseResult:
        return react(text, fmt, docs) if "Action:" in text else ParseResult(final_answer="42")

    ep = Episode(env, DOCS, parser=parser)
    fb = ep.step("The answer is 42")
    assert fb.category is ErrorKind.UNPARSABLE and not ep.finished and not ep.valid_answer
    assert ep.turns[0].messages == ({"role": "user", "content": FORMAT_ERROR_TEXT},)
    ep.step(out("finish", {"answer": "42"}))
    assert ep.finished and ep.valid_answer and ep.answer == "42"


def test_reply_finishes_when_asked(env: ToolEnv) -> None:
    # tlbench collect: a native-tools teacher ends its trajectory with a text reply
    ep = Episode(env, DOCS, parser=lambda t, f, d: ParseResult(final_answer="42"), reply_finishes=True)
    fb = ep.step("The answer is 42")
    assert fb.ok and ep.finished and ep.valid_answer and ep.answer == "42"
    assert ep.turns[0].category is ErrorKind.CORRECT


def test_text_only_native_reply_is_not_a_finish(env: ToolEnv) -> None:
    ep = Episode(env, DOCS, fmt="openai")  # the real openai parser: text-only content is a final answer
    ep.step("Hello! How can I help you?")
    assert not ep.finished and ep.turns[0].category is ErrorKind.UNPARSABLE
    call = {
        "role": "assistant",
        "tool_calls": [{"function": {"name": "finish", "arguments": '{"answer": "x"}'}}],
    }
    ep.step(json.dumps(call))
    assert ep.valid_answer


def test_crashing_parser_is_a_format_error(env: ToolEnv) -> None:
    def boom(t: str, f: str, d: list[ToolDoc]) -> ParseResult:
        raise RuntimeError("parser bug")

    ep = Episode(env, DOCS, parser=boom)
    assert ep.step("x").category is ErrorKind.UNPARSABLE


def test_transcript_json_round_trip(env: ToolEnv) -> None:
    ep = Episode(env, DOCS, parser=react, item={"id": "t1"}, prompt=[{"role": "user", "content": "hi"}])
    ep.step(out("lookup", {"q": "a"}))
    ep.step("garbage")
    ep.step(out("nope", {}))
    data = json.loads(json.dumps(ep.to_dict()))
    back = Episode.from_dict(data)
    assert back.to_dict() == ep.to_dict()
    assert back.messages() == ep.messages()
    assert [t.category for t in back.turns] == [
        ErrorKind.CORRECT,
        ErrorKind.UNPARSABLE,
        ErrorKind.TOOL_HALLUCINATION,
    ]
    with pytest.raises(UsageError):
        back.step("x")  # no environment attached
    resumed = Episode.from_dict(data, env=env)
    resumed.parser = react
    resumed.step(out("finish", {"answer": "done"}))
    assert resumed.finished and resumed.generations == 4
    with pytest.raises(UsageError):
        Episode.from_dict({**data, "schema_version": 99})
