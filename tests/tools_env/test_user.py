"""The scripted simulated user: answers in order, by question, single answer, and the fixed fallback."""

from __future__ import annotations

from tlbench.types import ErrorKind, Feedback, ToolCall, ToolDoc
from tools_env.base import CallContext
from tools_env.user import NO_INFO_REPLY, SimulatedUser

DOC = ToolDoc(name="ask_to_user")


def _ask(q: str) -> ToolCall:
    return ToolCall("ask_to_user", {"question": q})


def _fb(text: str) -> Feedback:
    return Feedback(category=ErrorKind.CORRECT, text=text, tool="ask_to_user")


def test_answers_consumed_in_order_from_history(ctx: CallContext) -> None:
    item = {"user_answers": ["blue", "size 9"]}
    user = SimulatedUser()
    c0 = CallContext(ctx.workdir, item=item)
    assert user.execute(_ask("colour?"), DOC, c0) == "blue"
    c1 = CallContext(ctx.workdir, item=item, history=((_ask("colour?"), _fb("blue")),))
    assert user.execute(_ask("size?"), DOC, c1) == "size 9"
    other = (ToolCall("search", {"q": "x"}), Feedback(category=ErrorKind.CORRECT, text="{}"))
    c1b = CallContext(ctx.workdir, item=item, history=(other, (_ask("colour?"), _fb("blue")), other))
    assert user.execute(_ask("size?"), DOC, c1b) == "size 9"  # only ask_to_user turns count
    c2 = CallContext(ctx.workdir, item=item, history=((_ask("a"), _fb("blue")), (_ask("b"), _fb("size 9"))))
    assert user.execute(_ask("more?"), DOC, c2) == NO_INFO_REPLY


def test_answers_by_question(ctx: CallContext) -> None:
    item = {"user_answers": {"Which city do you mean?": "Paris, France"}}
    c = CallContext(ctx.workdir, item=item)
    user = SimulatedUser()
    assert user.execute(_ask("Which city do you mean?"), DOC, c) == "Paris, France"
    assert user.execute(_ask("  which CITY do you mean "), DOC, c) == "Paris, France"
    assert user.execute(_ask("What is your budget?"), DOC, c) == NO_INFO_REPLY


def test_single_answer_fallback_and_odd_inputs(ctx: CallContext) -> None:
    assert (
        SimulatedUser().execute(_ask("x"), DOC, CallContext(ctx.workdir, item={"user_answer": "42"})) == "42"
    )
    assert SimulatedUser(fallback="no idea").execute(_ask("x"), DOC, ctx) == "no idea"
    assert SimulatedUser().execute(ToolCall("ask_to_user", {}), DOC, ctx) == NO_INFO_REPLY
    weird = CallContext(ctx.workdir, item={"user_answers": 17})
    assert (
        SimulatedUser().execute(ToolCall("ask_to_user", {"question": ["not", "text"]}), DOC, weird)
        == NO_INFO_REPLY
    )
