"""LLM-written tasks through the openai backend, against a local scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tlbench.classify import check_against_docs
from tlbench.types import ToolCall
from training.tasks.llm import llm_tasks, read_reply
from training.tasks.synthetic import library_from_docs


class Teacher:
    """Answers task requests: garbage first for every 'flaky' request count, then a valid task."""

    def __init__(self) -> None:
        self.requests = 0
        self.mode = "good"

    def agent(self, body: dict) -> dict:
        """As a tool-calling teacher: call the first offered tool, then answer once it has a result."""
        self.requests += 1
        if body["messages"][-1]["role"] == "tool":
            return {"role": "assistant", "content": "All done."}
        fn = body["tools"][0]["function"]
        args = {p: "Paris" for p in fn["parameters"].get("required", [])}
        call = {
            "id": "c1",
            "type": "function",
            "function": {"name": fn["name"], "arguments": json.dumps(args)},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}

    def reply(self, body: dict) -> str:
        self.requests += 1
        prompt = body["messages"][0]["content"]
        targets = re.search(r"calling (.+?), in that order", prompt).group(1).split(", ")
        tools = {t["name"]: t for t in json.loads(prompt.split("Tools:\n", 1)[1])}
        if self.mode == "flaky" and self.requests % 2 == 1:
            return "Sure! Here is a task: translate something."
        if self.mode == "wrong":
            targets = list(reversed(targets)) + ["extra_tool"]
        calls = []
        for name in targets:
            req = tools.get(name, {}).get("parameters", {}).get("required", [])
            calls.append({"name": name, "arguments": {p: f"{p}-{self.requests}" for p in req}})
        values = " and ".join(v for c in calls for v in c["arguments"].values())
        return (
            "```json\n"
            + json.dumps({"query": f"Please do it with {values or 'defaults'}.", "calls": calls})
            + "\n```"
        )


@pytest.fixture()
def server() -> Iterator[tuple[str, Teacher]]:
    teacher = Teacher()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.path.endswith("/chat/completions")
            if body.get("tools"):
                message = teacher.agent(body)
            else:
                message = {"role": "assistant", "content": teacher.reply(body)}
            data = {
                "choices": [{"message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 20},
            }
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", teacher
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_llm_tasks_are_validated_against_the_docs(server, weather_docs) -> None:
    url, teacher = server
    lib = library_from_docs(weather_docs[:3])
    tasks = llm_tasks(lib, n=6, seed=1, split="train", base_url=url, model="teacher")
    assert len(tasks) == 6 and teacher.requests == 6
    for t in tasks:
        index = {d.name: d for d in t.tools}
        for (c,) in t.steps:
            assert not check_against_docs(ToolCall(c["name"], c["arguments"]), index).kind.is_error
            for v in c["arguments"].values():
                assert v in t.query
        assert t.source == "llm:train" and t.meta["model"] == "teacher" and t.meta["near_miss"]
        assert [d.name for d in t.tools][-2:] == ["ask_to_user", "finish"]


def test_bad_replies_are_retried_then_dropped(server, weather_docs) -> None:
    url, teacher = server
    lib = library_from_docs(weather_docs[:3])
    teacher.mode = "flaky"
    assert len(llm_tasks(lib, n=3, seed=2, base_url=url, model="m", retries=1)) == 3
    assert teacher.requests == 6  # each task needed one retry
    teacher.mode, teacher.requests = "wrong", 0
    assert llm_tasks(lib, n=2, seed=2, base_url=url, model="m", retries=1) == []


def test_read_reply_rules(weather_docs) -> None:
    ok = '{"query": "weather in Oslo", "calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}'
    assert read_reply("blah " + ok + " trailing", weather_docs, ["get_weather"]) == (
        "weather in Oslo",
        [{"name": "get_weather", "arguments": {"city": "Oslo"}}],
    )
    assert read_reply(ok, weather_docs, ["get_time"]) is None  # not the requested tool
    assert read_reply(ok.replace('"city"', '"town"'), weather_docs, ["get_weather"]) is None  # fails the docs
    assert read_reply("no json here", weather_docs, ["get_weather"]) is None


def test_cli_collects_llm_written_tasks(server, data_dir, tmp_path, capsys) -> None:
    from tlbench.cli import main
    from training.trajectory import read_trajectories

    url, teacher = server
    out = tmp_path / "llm.jsonl"
    argv = ["collect", "--backend", "mock", "--model", "oracle", "--tasks", "llm:heldout", "--limit", "3"]
    argv += ["--task-base-url", url, "--task-model", "t", "--out", str(out), "--no-decontam"]
    assert main([*argv, "--data-dir", str(data_dir), "--dump-tasks", str(tmp_path / "t.jsonl")]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[0])
    assert summary["written"] == 3 and summary["solved_rate"] == 1.0 and teacher.requests == 3
    assert {t.source for t in read_trajectories(out)} == {"llm:heldout"}
    assert len((tmp_path / "t.jsonl").read_text().splitlines()) == 3
    assert (
        main(["collect", "--backend", "mock", "--model", "oracle", "--tasks", "llm", "--out", str(out)]) == 2
    )


def test_cli_collects_from_a_teacher_behind_an_openai_server(server, weather_docs, tmp_path, capsys) -> None:
    from tlbench.cli import main
    from training.tasks import write_tasks
    from training.tasks.synthetic import generate_tasks, library_from_docs
    from training.trajectory import read_trajectories

    url, teacher = server
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, generate_tasks(library_from_docs(weather_docs[:3]), n=4, seed=0))
    out = tmp_path / "teacher.jsonl"
    argv = ["collect", "--backend", "openai", "--base-url", url, "--model", "teacher", "--tasks", str(tasks)]
    assert main([*argv, "--out", str(out), "--no-cache", "--no-decontam"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[0])
    assert summary["written"] == 4 and summary["prompt_format"] == "openai" and teacher.requests == 8
    for t in read_trajectories(out):
        first = t.turns[0]
        msg = json.loads(t.messages[first.message_index]["content"])
        assert msg["tool_calls"][0]["function"]["name"] == first.calls[0]["name"] == t.tools[0]["name"]
        assert t.messages[first.message_index + 1]["role"] == "tool" and first.feedback
        right_tool = t.gold[0][0]["name"] == t.tools[0]["name"]
        assert (first.category in ("correct", "content_error", "missing_parameter")) == right_tool, first
        assert first.token_ids is None  # the server returned text, not ids
