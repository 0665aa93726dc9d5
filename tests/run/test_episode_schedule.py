"""Episode schedules: ``independent`` episodes advance at their own pace and give lockstep's transcripts.

* the scheduler itself, over scripted tasks and a scripted stream (width, open episodes, round limit);
* a whole ``tooleyes`` run on the mock model, lockstep vs independent: byte-identical run files;
* ``--backend openai`` against a scripted server on 127.0.0.1 (tests/reliability/flaky_server.py) whose
  latency differs per episode: by default a fast episode's second request reaches the server before a
  slow episode's first reply has left it (lockstep would wait for it), and lockstep and independent runs
  write the same files; a re-run is served from the cache without a request.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest
from runconfig import mock_run_config

from benchmarks import BENCHMARKS
from tlbench.backends.base import Generation
from tlbench.backends.mock import MockBackend, SimulatedKill
from tlbench.episode_scheduler import resolve_schedule, run_independent, run_lockstep
from tlbench.errors import UsageError
from tlbench.runner import RunConfig, run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from flaky_server import FlakyServer  # noqa: E402 - after the path set-up

FILES = ("items.jsonl", "predictions.jsonl", "results.json")

# ------------------------------------------------------------------------------------------------ scheduler


class ScriptTask:
    """Finishes after ``length`` feeds; records every request it makes."""

    def __init__(self, name: str, length: int, log: list[tuple[str, int]]) -> None:
        self.name, self.length, self.log, self.fed = name, length, log, 0

    @property
    def finished(self) -> bool:
        return self.fed >= self.length

    def next_request(self) -> tuple[Any, Any]:
        self.log.append((self.name, self.fed + 1))
        return f"{self.name} round {self.fed + 1}", None

    def feed(self, generation: Generation) -> None:
        assert generation.ok
        self.fed += 1


class ScriptStream:
    """Finishes requests one per ``collect``, the one that has waited the fewest collects; tracks width."""

    def __init__(self, cost: dict[str, int]) -> None:
        self.cost = cost
        self.pending: list[list[Any]] = []
        self.max_in_flight = 0

    def submit(self, tag: Hashable, prompt: Any, tools: Any = None) -> None:
        self.pending.append([tag, prompt, self.cost[prompt.split()[0]]])
        self.max_in_flight = max(self.max_in_flight, len(self.pending))

    def collect(self) -> list[tuple[Hashable, Generation]]:
        if not self.pending:
            return []
        for p in self.pending:
            p[2] -= 1
        done = min(self.pending, key=lambda p: p[2])
        self.pending.remove(done)
        return [(done[0], Generation(text=done[1]))]

    def close(self) -> None:
        pass


def test_independent_tasks_advance_at_their_own_pace_within_the_width() -> None:
    log: list[tuple[str, int]] = []
    tasks = [ScriptTask("slow", 2, log), ScriptTask("fast", 3, log), ScriptTask("late", 1, log)]
    stream = ScriptStream({"slow": 10, "fast": 1, "late": 1})
    results: list[tuple[int, str]] = []
    run_independent(tasks, stream, rounds=9, width=2, on_result=lambda i, g: results.append((i, g.text)))
    assert all(t.finished for t in tasks) and stream.max_in_flight == 2
    # "fast" goes through all its rounds while "slow" is still on its first; "late" waits for a free slot
    assert log == [("slow", 1), ("fast", 1), ("fast", 2), ("fast", 3), ("late", 1), ("slow", 2)]
    assert results[:3] == [(1, "fast round 1"), (1, "fast round 2"), (1, "fast round 3")]


def test_independent_stops_at_the_round_limit_like_lockstep() -> None:
    endless = [ScriptTask("a", 99, []), ScriptTask("b", 99, [])]
    run_independent(endless, ScriptStream({"a": 1, "b": 2}), rounds=4, width=8)
    locked = [ScriptTask("a", 99, []), ScriptTask("b", 99, [])]

    def generate(prompts: list[Any], tools: list[Any]) -> list[Generation]:
        return [Generation(text=p) for p in prompts]

    run_lockstep(locked, generate, rounds=4)
    assert [t.fed for t in endless] == [t.fed for t in locked] == [4, 4]


def test_schedule_names() -> None:
    class Declares:
        episode_schedule = "independent"

    assert resolve_schedule("auto", Declares()) == "independent"
    assert resolve_schedule("auto", MockBackend()) == "lockstep"
    assert resolve_schedule("lockstep", Declares()) == "lockstep"
    with pytest.raises(UsageError, match="lockstep"):
        resolve_schedule("async", None)


# ------------------------------------------------------------------------------------------------ mock runs


def _react_script(data_dir: Path, n: int):  # noqa: ANN202 - a callable
    """A scripted ReAct model: item k calls tools for a different number of rounds (k=2 never finishes)."""
    users = [
        [m["content"] for m in it.messages if m["role"] == "user"][0]
        for it in BENCHMARKS.get("tooleyes").load(data_dir)[:n]
    ]
    plans = {0: 1, 1: 3, 2: 99, 3: 2, 4: 4}
    calls = [
        ("get_uuid", {"cnt": "1"}),  # a local tool, run in the sandbox (seeded)
        ("no_such_tool", {"x": 1}),
        ("ask_to_user", {"question": "which one?"}),
    ]

    def reply(prompt: object) -> str:
        text = str(prompt)
        k = next(i for i, u in enumerate(users) if u in text)
        done = text.count("Thought: step")
        if done + 1 >= plans[k]:
            return f'Thought: step {done}\nAction: finish\nAction Input: {{"answer": "answer {k}"}}'
        name, args = calls[(k + done) % len(calls)]
        return f"Thought: step {done}\nAction: {name}\nAction Input: {json.dumps(args)}"

    return reply


def _files(out: Path) -> dict[str, str]:
    got = {name: (out / "tooleyes" / name).read_text(encoding="utf-8") for name in FILES}
    results = json.loads(got["results.json"])
    results.pop("predictions")  # the only path in the files: the run directory differs
    got["results.json"] = json.dumps(results)
    return got


def test_mock_independent_run_writes_lockstep_files_byte_for_byte(tmp_path: Path, data_dir: Path) -> None:
    reply = _react_script(data_dir, 5)
    runs = {}
    for schedule in ("lockstep", "independent"):
        cfg = mock_run_config(
            tmp_path / schedule, data_dir, ("tooleyes",), limit=5, use_cache=False, batch_size=3,
            episode_schedule=schedule,
        )  # fmt: skip
        manifest = run(cfg, backend=MockBackend(reply))
        assert manifest["episode_schedule"] == schedule and manifest["generations"] == 1 + 3 + 9 + 2 + 4
        runs[schedule] = _files(tmp_path / schedule / "run")
    assert runs["lockstep"] == runs["independent"]
    rows = [json.loads(x) for x in runs["independent"]["items.jsonl"].splitlines()]
    assert [len(r["turns"]) for r in rows] == [1, 3, 9, 2, 4] and [r["forced"] for r in rows][2]


def test_a_killed_independent_run_resumes_from_the_cache(tmp_path: Path, data_dir: Path) -> None:
    reply = _react_script(data_dir, 5)
    cfg = mock_run_config(
        tmp_path, data_dir, ("tooleyes",), limit=5, batch_size=3, episode_schedule="independent"
    )
    with pytest.raises(SimulatedKill):
        run(cfg, backend=MockBackend(reply, fail_after=7))
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "interrupted"
    again = run(cfg, backend=MockBackend(reply))
    assert again["cache_hits"] == 7 and again["generations"] == 19 - 7  # nothing generated twice
    whole = mock_run_config(tmp_path / "whole", data_dir, ("tooleyes",), limit=5, use_cache=False)
    run(whole, backend=MockBackend(reply))
    assert _files(tmp_path / "run") == _files(tmp_path / "whole" / "run")


def test_unknown_episode_schedule_is_a_usage_error(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(UsageError, match="episode schedule"):
        run(
            mock_run_config(tmp_path, data_dir, ("tooleyes",), episode_schedule="async"),
            backend=MockBackend(),
        )


# ------------------------------------------------------------------------------------------------ server runs


class EpisodeServer:
    """Replies for ``FlakyServer(reply_body=...)``: episode k (found by its user text) makes a tool call
    until round ``plans[k]``, then answers; episodes in ``slow`` hold their first reply until every other
    episode has sent its second request (or ``wait_s`` has passed). ``events`` lists ("request" | "reply", k, round) in the order they happened."""

    def __init__(self, data_dir: Path, n: int, plans: dict[int, int], slow: set[int], wait_s: float) -> None:
        self.users = [
            [m["content"] for m in it.messages if m["role"] == "user"][0]
            for it in BENCHMARKS.get("tooleyes").load(data_dir)[:n]
        ]
        self.plans, self.slow, self.wait_s = plans, slow, wait_s
        self.gate = threading.Event()
        self.second: set[int] = set()
        self.events: list[tuple[str, int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        messages = body["messages"]
        user = next(m["content"] for m in messages if m["role"] == "user")
        k = self.users.index(user)
        rnd = 1 + sum(1 for m in messages if m["role"] == "assistant")
        with self.lock:
            self.events.append(("request", k, rnd))
        if rnd == 2 and k not in self.slow:
            with self.lock:
                self.second.add(k)
                if len(self.second) == len(self.users) - len(self.slow):
                    self.gate.set()  # every fast episode is on its second request
        if k in self.slow and rnd == 1:
            self.gate.wait(self.wait_s)
        elif k % 2:
            time.sleep(0.01 * rnd)  # some latency, different per episode and round
        if rnd >= self.plans[k]:  # only a finish call ends a ToolEyes episode, in every format
            name, args = "finish", {"answer": f"answer {k}"}
        else:
            # no sandboxed tool here (the mock run above has one): the simulated user, an unknown tool
            name, args = ("ask_to_user", {"question": f"q{rnd}"}) if k % 2 else ("no_such_tool", {"n": rnd})
        fn = {"name": name, "arguments": json.dumps(args)}
        call = {"id": f"c{rnd}", "type": "function", "function": fn}
        text = json.dumps({"role": "assistant", "content": f"round {rnd}", "tool_calls": [call]})
        with self.lock:
            self.events.append(("reply", k, rnd))
        return text


def _server_cfg(tmp_path: Path, data_dir: Path, url: str, n: int, **kw: Any) -> RunConfig:
    fields: dict[str, Any] = dict(
        model="served", backend="openai", base_url=url, out=tmp_path / "run", data_dir=data_dir,
        benchmarks=("tooleyes",), limit=n, cache_dir=tmp_path / "cache", resamples=20, batch_size=8,
    )  # fmt: skip
    return RunConfig(**(fields | kw))


def test_a_fast_episode_sends_its_next_request_before_a_slow_one_is_answered(
    tmp_path: Path, data_dir: Path
) -> None:
    script = EpisodeServer(data_dir, 4, plans={k: 2 for k in range(4)}, slow={0, 1}, wait_s=10.0)
    with FlakyServer(reply_body=script) as srv:
        manifest = run(_server_cfg(tmp_path, data_dir, srv.url, 4))  # default schedule: openai's own
    assert manifest["episode_schedule"] == "independent" and manifest["status"] == "complete"
    ev = script.events
    for fast in (2, 3):
        for slow in (0, 1):
            assert ev.index(("request", fast, 2)) < ev.index(("reply", slow, 1)), ev
    rows = [json.loads(x) for x in (tmp_path / "run" / "tooleyes" / "items.jsonl").read_text().splitlines()]
    assert [len(r["turns"]) for r in rows] == [2, 2, 2, 2] and not any(r["forced"] for r in rows)


def test_server_runs_lockstep_and_independent_write_the_same_files(tmp_path: Path, data_dir: Path) -> None:
    script = EpisodeServer(data_dir, 5, plans={0: 1, 1: 4, 2: 99, 3: 2, 4: 3}, slow={1, 4}, wait_s=0.2)
    runs = {}
    with FlakyServer(reply_body=script) as srv:
        for schedule in ("lockstep", "independent"):
            cfg = _server_cfg(tmp_path / schedule, data_dir, srv.url, 5, episode_schedule=schedule)
            manifest = run(cfg)
            assert manifest["generations"] == 1 + 4 + 9 + 2 + 3 and manifest["cache_hits"] == 0
            runs[schedule] = _files(tmp_path / schedule / "run")
        requests = len(script.events)
        again = run(
            _server_cfg(tmp_path / "independent", data_dir, srv.url, 5, episode_schedule="independent")
        )
    assert runs["lockstep"] == runs["independent"]
    assert again["generations"] == 0 and again["cache_hits"] == 19 and len(script.events) == requests
    assert _files(tmp_path / "independent" / "run") == runs["independent"]
    rows = [json.loads(x) for x in runs["independent"]["items.jsonl"].splitlines()]
    assert [len(r["turns"]) for r in rows] == [1, 4, 9, 2, 3]


def test_cli_episode_schedule(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tlbench.cli import main

    out = tmp_path / "run"
    argv = [
        "score", "--model", "m", "--backend", "mock", "--benchmarks", "tooleyes", "--limit", "1", "--no-cache",
        "--resamples", "10", "--data-dir", str(data_dir), "--out", str(out), "--episode-schedule", "independent",
    ]  # fmt: skip
    assert main(argv) == 0
    assert json.loads((out / "manifest.json").read_text())["episode_schedule"] == "independent"
    with pytest.raises(SystemExit) as bad:  # not a choice: argparse's usage error
        main([*argv[:-1], "sideways"])
    assert bad.value.code == 2
    stray = ["score", "--predictions", "p.jsonl", "--benchmark", "tooleyes", "--episode-schedule", "lockstep"]
    assert main(stray) == 2 and "--episode-schedule" in capsys.readouterr().err
