"""Importers: existing tool-use data -> trajectory records, labelled by the shared classifier.

``tlbench collect --import FORMAT FILE --out OUT`` (:func:`import_file`). Formats:

``tl-training``
    The TL-Training raw data (``raw_data.json``; ``shared/research/tl_training_ref.md`` §1.1): a JSON list (or
    JSONL) of ``{"id", "conversations": [{"role", "content"}]}``, roles ``system``/``user``/``assistant``/
    ``function``. ``conversations[0].content`` is a JSON string of OpenAI-style tools; assistant contents are
    ``name\\n{json args}`` (the ``glm`` parser reads that layout); ``function`` contents are raw feedback.
``sharegpt``
    ShareGPT / ToolLLaMA conversations: ``{"id"?, "conversations": [{"from", "value"}]}`` with ``from`` in
    ``system``/``human``/``user``/``gpt``/``assistant``/``function``/``tool``/``observation``; tools from a
    ``tools``/``functions`` field, else the JSON array in the system prompt (ToolLLaMA / RoTBench layout);
    assistant turns in ReAct (``Action:`` / ``Action Input:``) unless ``--import`` is told otherwise.
``openai``
    OpenAI-messages JSONL: ``{"messages": [...], "tools"?: [...]}`` per line; assistant ``tool_calls`` and
    ``tool`` messages. An assistant message with calls is stored as its JSON text (what the ``openai`` parser
    reads, and what ``tlbench collect`` stores for the openai backend).

Labels (no gold: ``reward`` is null): every assistant turn is parsed with the format's parser (a failed parse
is UNPARSABLE) and its feedback - the ``tool`` messages after it, or a ToolEyes format complaint from the
user - is classified by :func:`tlbench.classify.classify_feedback`. Documentation checks are off by default
(``check_docs``): imported docs are often loose (ToolEyes documents every parameter as a string) and the
feedback is what the environment actually said. A malformed record is skipped and counted, with its
``file:line`` (or list index) in the summary; an unreadable file, or one without a single good record,
raises :class:`DataError` (and leaves no new output file).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from training.trajectory import Trajectory, TrajectoryWriter, label_turns

__all__ = ["FORMATS", "import_file", "convert_record", "iter_records"]

FORMATS = ("tl-training", "sharegpt", "openai")
_ALIASES = {
    "tl": "tl-training",
    "tltraining": "tl-training",
    "toolllama": "sharegpt",
    "openai-messages": "openai",
}
_SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "function": "tool",
    "tool": "tool",
    "observation": "tool",
}
_TL_ROLES = {"system": "system", "user": "user", "assistant": "assistant", "function": "tool", "tool": "tool"}
_OPENAI_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}
_PARSER = {"tl-training": "glm", "sharegpt": "react", "openai": "openai"}


def iter_records(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, record) for a JSON list file (``FILE[i]``) or a JSONL file (``FILE:line``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8", str(path)) from None
    head = text.lstrip()[:1]
    if head == "[":
        try:
            data = jsonio.parse(text)
        except ValueError as exc:
            raise DataError(f"not JSON: {exc}", str(path)) from None
        for i, rec in enumerate(data):
            yield f"{path}[{i}]", rec
        return
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield f"{path}:{n}", jsonio.parse(line)
        except ValueError as exc:
            if n == len(lines):  # a partial last line of a file still being written
                continue
            yield f"{path}:{n}", DataError(f"not JSON: {exc}")


def _tools_from_system(text: str) -> tuple[list[dict[str, Any]], bool]:
    """(tool dicts, whether the whole system text *is* the tool list) from a system message."""
    from tlbench.docs import docs_from_any

    stripped = text.strip()
    whole = stripped[:1] in "[{"
    try:
        docs = docs_from_any(stripped)
    except DataError:
        return [], False
    return [d.to_dict() for d in docs], whole and bool(docs)


def _feedback_map(messages: Sequence[Mapping[str, str]]) -> dict[int, Any]:
    """Per assistant index: following tool messages, or a following user format complaint."""
    from tlbench.classify import classify_feedback
    from tlbench.types import ErrorKind

    out: dict[int, Any] = {}
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        tools: list[str] = []
        for nxt in messages[i + 1 :]:
            if nxt["role"] != "tool":
                break
            tools.append(nxt["content"])
        if tools:
            out[i] = tools
        elif i + 1 < len(messages) and messages[i + 1]["role"] == "user":
            text = messages[i + 1]["content"]
            if classify_feedback(text) is ErrorKind.UNPARSABLE:
                out[i] = [text]
    return out


def _openai_assistant(m: Mapping[str, Any]) -> str:
    calls = m.get("tool_calls") or (
        [{"type": "function", "function": m["function_call"]}] if m.get("function_call") else None
    )
    content = m.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    if calls:
        return jsonio.dumps({"role": "assistant", "content": content, "tool_calls": calls})
    return content if isinstance(content, str) else ""


def _messages(fmt: str, rec: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """(messages in trajectory roles, tool dicts) of one record."""
    tools: list[dict[str, Any]] = []
    out: list[dict[str, str]] = []
    if fmt == "openai":
        raw = rec.get("messages")
        if not isinstance(raw, list):
            raise DataError("record has no 'messages' list")
        from tlbench.docs import docs_from_any

        if rec.get("tools") or rec.get("functions"):
            tools = [d.to_dict() for d in docs_from_any(rec.get("tools") or rec.get("functions"))]
        for m in raw:
            if not isinstance(m, Mapping) or m.get("role") not in _OPENAI_ROLES:
                raise DataError(f"bad message {str(m)[:60]!r}")
            role = _OPENAI_ROLES[str(m["role"])]
            content = _openai_assistant(m) if role == "assistant" else m.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
            out.append({"role": role, "content": "" if content is None else str(content)})
        return out, tools
    conv = rec.get("conversations")
    if not isinstance(conv, list):
        raise DataError("record has no 'conversations' list")
    roles = _TL_ROLES if fmt == "tl-training" else _SHAREGPT_ROLES
    if fmt == "sharegpt" and (rec.get("tools") or rec.get("functions")):
        from tlbench.docs import docs_from_any

        tools = [d.to_dict() for d in docs_from_any(rec.get("tools") or rec.get("functions"))]
    if (
        conv
        and isinstance(conv[-1], Mapping)
        and isinstance(conv[-1].get("value", conv[-1].get("content")), list)
    ):
        conv = conv[:-1]  # RoTBench-style gold alternatives as the last turn: not part of the conversation
    for m in conv:
        if not isinstance(m, Mapping):
            raise DataError("a conversation turn is not an object")
        role_raw = m.get("role", m.get("from"))
        content = m.get("content", m.get("value"))
        role = roles.get(str(role_raw).lower()) if role_raw is not None else None
        if role is None or not isinstance(content, str):
            raise DataError(f"bad turn (role {role_raw!r})")
        if role == "system" and not out and not tools:
            found, whole = _tools_from_system(content)
            tools = found
            if whole:  # the system message is nothing but the tool list: keep it in 'tools' only
                continue
        out.append({"role": role, "content": content})
    return out, tools


def convert_record(fmt: str, rec: Any, rid: str, *, where: str = "", check_docs: bool = False) -> Trajectory:
    """One source record -> a labelled :class:`Trajectory` (raises :class:`DataError` when malformed)."""
    if not isinstance(rec, Mapping):
        raise DataError("record is not a JSON object")
    messages, tools = _messages(fmt, rec)
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError("record has no assistant turn")
    parser = _PARSER[fmt]
    turns = label_turns(messages, tools, parser, feedback=_feedback_map(messages), check_docs=check_docs)
    return Trajectory(
        id=rid,
        source=f"import:{fmt}",
        seed=None,
        tools=tuple(tools),
        messages=tuple(messages),
        turns=turns,
        gold=None,
        meta={"parser": parser, "imported_from": where},
    )


def import_file(
    fmt: str, src: Path, out: Path, *, check_docs: bool = False, max_errors: int = 20
) -> dict[str, Any]:
    """Convert every record of ``src`` (format ``fmt``) and append them to ``out``; returns the counts.

    ``DataError`` when no record could be converted: a wrong format or file is then an error (exit 2), not
    a summary of skipped records with exit 0."""
    key = _ALIASES.get(fmt.lower(), fmt.lower())
    if key not in FORMATS:
        raise UsageError(f"unknown import format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not src.is_file():
        raise UsageError(f"--import {fmt} {src}: no such file")
    counts: dict[str, Any] = {"records": 0, "imported": 0, "already_present": 0, "skipped": 0, "errors": []}
    cats: dict[str, int] = {}
    turns = erroneous = 0
    seen: set[str] = set()
    existed = out.exists()
    with TrajectoryWriter(out) as writer:
        for i, (where, rec) in enumerate(iter_records(src)):
            counts["records"] += 1
            try:
                if isinstance(rec, DataError):
                    raise rec
                base = (
                    str(rec.get("id")) if isinstance(rec, Mapping) and rec.get("id") not in (None, "") else ""
                )
                rid = f"{key}:{base}" if base else f"{key}:{src.name}:{i}"
                if rid in seen:
                    rid = f"{rid}#{i}"
                seen.add(rid)
                traj = convert_record(key, rec, rid, where=where, check_docs=check_docs)
            except DataError as exc:
                counts["skipped"] += 1
                if len(counts["errors"]) < max_errors:
                    counts["errors"].append(f"{where}: {exc}")
                continue
            if writer.write(traj):
                counts["imported"] += 1
                for t in traj.turns:
                    turns += 1
                    erroneous += t.erroneous
                    cats[t.category] = cats.get(t.category, 0) + 1
            else:
                counts["already_present"] += 1
    if counts["imported"] + counts["already_present"] == 0:
        if not existed and out.is_file() and out.stat().st_size == 0:
            out.unlink()  # nothing half-done: no empty output file
        if not counts["records"]:
            raise DataError(f"--import {fmt}: no records in the file", str(src))
        raise DataError(
            f"--import {fmt}: none of the {counts['records']} records could be imported "
            f"(is it the {key} format?); first: {counts['errors'][0]}"
        )
    counts.update(
        turns=turns, erroneous_turns=erroneous, categories=dict(sorted(cats.items(), key=lambda kv: -kv[1]))
    )
    return counts
