"""Record/replay: outcomes survive the process, a miss is 'not recorded', replay needs no network at all."""

from __future__ import annotations

import multiprocessing as mp
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tlbench.classify import classify_feedback
from tlbench.errors import DataError
from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.replay import CachedExecutor, RecordingExecutor, ReplayExecutor, ReplayStore
from tools_env.simulate import SimulatedExecutor


class Counting:
    """An inner executor that counts calls and fails on demand."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        self.calls += 1
        if call.arguments.get("fail") == "call":
            raise ToolCallFailed("invalid literal for int() with base 10: 'x'")
        if call.arguments.get("fail") == "unstable":
            raise ToolUnstable("Read timed out.")
        if call.arguments.get("fail") == "object":
            return object()
        return {"echo": dict(call.arguments), "n": self.calls}


def test_record_then_replay_in_a_new_store(tmp_path: Path, ctx: CallContext) -> None:
    db = tmp_path / "replay.sqlite"
    doc = ToolDoc(name="t")
    with ReplayStore(db) as store:
        rec = RecordingExecutor(Counting(), store)
        first = rec.execute(ToolCall("t", {"b": 1, "a": [1, 2]}), doc, ctx)
        with pytest.raises(ToolCallFailed):
            rec.execute(ToolCall("t", {"fail": "call"}), doc, ctx)
        with pytest.raises(ToolUnstable):
            rec.execute(ToolCall("t", {"fail": "unstable"}), doc, ctx)
        with pytest.raises(ToolCallFailed, match="not JSON serializable"):
            rec.execute(ToolCall("t", {"fail": "object"}), doc, ctx)
        assert (
            len(store) == 2
        )  # instability is not frozen by default; the unserialisable result is not stored
    with ReplayStore(db) as store:
        replay = ReplayExecutor(store)
        assert replay.execute(ToolCall("t", {"a": [1, 2], "b": 1}), doc, ctx) == first  # key order irrelevant
        with pytest.raises(ToolCallFailed, match="invalid literal"):
            replay.execute(ToolCall("t", {"fail": "call"}), doc, ctx)
        with pytest.raises(ToolUnstable) as info:
            replay.execute(ToolCall("t", {"fail": "unstable"}), doc, ctx)
        assert str(info.value) == "not recorded: t"
        assert classify_feedback(str(info.value)) is ErrorKind.TOOL_INSTABILITY
        with pytest.raises(ToolUnstable, match="not recorded: other"):
            replay.execute(ToolCall("other", {"a": [1, 2], "b": 1}), doc, ctx)


def test_record_unstable_on_request(tmp_path: Path, ctx: CallContext) -> None:
    store = ReplayStore(tmp_path / "r.sqlite")
    rec = RecordingExecutor(Counting(), store, record_unstable=True)
    with pytest.raises(ToolUnstable):
        rec.execute(ToolCall("t", {"fail": "unstable"}), ToolDoc("t"), ctx)
    with pytest.raises(ToolUnstable, match="Read timed out"):
        ReplayExecutor(store).execute(ToolCall("t", {"fail": "unstable"}), ToolDoc("t"), ctx)


def test_namespaces(tmp_path: Path, ctx: CallContext) -> None:
    store = ReplayStore(tmp_path / "r.sqlite")
    store.put("t", {"x": 1}, "ok", "from A", namespace="A")
    store.put("t", {"x": 1}, "ok", "from B", namespace="B")
    call = ToolCall("t", {"x": 1})
    assert ReplayExecutor(store, namespace="A").execute(call, ToolDoc("t"), ctx) == "from A"
    assert ReplayExecutor(store).execute(call, ToolDoc("t"), ctx) == "from B"  # newest of any namespace
    with pytest.raises(ToolUnstable):
        ReplayExecutor(store, namespace="C").execute(call, ToolDoc("t"), ctx)


def test_cached_executor_runs_inner_once(tmp_path: Path, ctx: CallContext) -> None:
    inner = Counting()
    cached = CachedExecutor(inner, ReplayStore(tmp_path / "c.sqlite"))
    a = cached.execute(ToolCall("t", {"q": 1}), ToolDoc("t"), ctx)
    b = cached.execute(ToolCall("t", {"q": 1}), ToolDoc("t"), ctx)
    assert a == b and inner.calls == 1


def test_replay_opens_no_socket(tmp_path: Path, ctx: CallContext, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "r.sqlite"
    doc = ToolDoc(name="search")
    calls = [ToolCall("search", {"q": f"item {i}"}) for i in range(20)]
    with ReplayStore(db) as store:
        rec = RecordingExecutor(SimulatedExecutor(), store)
        recorded = [rec.execute(c, doc, ctx) for c in calls]

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network used during replay")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with ReplayStore(db) as store:
        replay = ReplayExecutor(store)
        assert [replay.execute(c, doc, ctx) for c in calls] == recorded
        with pytest.raises(ToolUnstable, match="not recorded"):
            replay.execute(ToolCall("search", {"q": "new"}), doc, ctx)


def _writer(db: str, worker: int, n: int) -> None:
    store = ReplayStore(db, busy_timeout_ms=60_000)
    for i in range(n):
        store.put("t", {"w": worker, "i": i}, "ok", {"w": worker, "i": i}, namespace="ns")
        assert store.get("t", {"w": worker, "i": i}, "ns") is not None
    store.close()


def test_concurrent_processes_write_one_store(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.sqlite")
    ReplayStore(db).close()  # create the schema once
    procs = [mp.get_context("spawn").Process(target=_writer, args=(db, w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = ReplayStore(db)
    assert len(store) == 600
    assert store.get("t", {"w": 3, "i": 149}, "ns").value == {"w": 3, "i": 149}
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_survives_fork_and_pickle(tmp_path: Path) -> None:
    import pickle

    store = ReplayStore(tmp_path / "p.sqlite")
    store.put("t", {}, "ok", 1)
    clone = pickle.loads(pickle.dumps(store))
    assert clone.get("t", {}).value == 1
    ctx = mp.get_context("fork")
    p = ctx.Process(target=_writer, args=(str(store.path), 9, 5))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert store.get("t", {"w": 9, "i": 4}, "ns") is not None


def test_unusable_or_corrupt_store(tmp_path: Path) -> None:
    bad = tmp_path / "not_a_db.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataError):
        ReplayStore(bad)
    store = ReplayStore(tmp_path / "ok.sqlite")
    sqlite3.connect(store.path).execute(
        "INSERT INTO responses VALUES ('', 't', '{}', 'ok', '{not json', 0)"
    ).connection.commit()
    with pytest.raises(DataError, match="corrupt replay row"):
        store.get("t", {})
