"""The live HTTP adapter against a 127.0.0.1 server: mapping, status handling, and the key never leaking."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tlbench.classify import classify_feedback
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.live_http import HttpEndpoint, LiveHttpExecutor

SECRET = "live-SECRET-key/+=9"


def _exec(server, **extra) -> LiveHttpExecutor:
    config = {
        "get_item": {
            "url": server.url + "/items/{item_id}",
            "query": ["fields"],
            "api_key_env": "TLB_LIVE_KEY",
            "api_key_query": "appid",
            **extra,
        },
        "create_item": {
            "method": "post",
            "url": server.url + "/items",
            "api_key_env": "TLB_LIVE_KEY",
            "api_key_header": "Authorization",
            "api_key_prefix": "Bearer ",
        },
    }
    return LiveHttpExecutor(config, enabled=True)


def test_off_by_default(http_server, ctx: CallContext) -> None:
    ex = LiveHttpExecutor({"get_item": {"url": http_server.url + "/x"}})
    with pytest.raises(UsageError, match="live HTTP adapter is off"):
        ex.execute(ToolCall("get_item"), ToolDoc("get_item"), ctx)
    assert http_server.requests == []


def test_get_with_path_query_and_key(http_server, ctx: CallContext, monkeypatch) -> None:
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)
    http_server.respond = lambda seen: http_server.json(200, {"ok": True, "path": seen.path})
    out = _exec(http_server).execute(
        ToolCall("get_item", {"item_id": "a b/c", "fields": ["x", "y"], "verbose": True}),
        ToolDoc("get_item"),
        ctx,
    )
    assert out["ok"] is True
    parts = urllib.parse.urlsplit(http_server.requests[0].path)
    assert parts.path == "/items/a%20b%2Fc"  # the path value is encoded, it cannot add path segments
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert query == {"fields": '["x","y"]', "appid": SECRET}  # 'verbose' is not a configured query field


def test_post_json_body_and_header_key(http_server, ctx: CallContext, monkeypatch) -> None:
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)
    http_server.respond = lambda seen: (201, {"Content-Type": "text/plain"}, b"created")
    out = _exec(http_server).execute(
        ToolCall("create_item", {"name": "n", "tags": [1]}), ToolDoc("create_item"), ctx
    )
    assert out == "created"
    seen = http_server.requests[0]
    assert seen.method == "POST" and json.loads(seen.body) == {"name": "n", "tags": [1]}
    assert seen.headers["Authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    ("status", "exc", "kind"),
    [
        (400, ToolCallFailed, ErrorKind.TOOL_CALL_FAILURE),
        (404, ToolCallFailed, ErrorKind.TOOL_CALL_FAILURE),
        (429, ToolUnstable, ErrorKind.TOOL_INSTABILITY),
        (500, ToolUnstable, ErrorKind.TOOL_INSTABILITY),
        (502, ToolUnstable, ErrorKind.TOOL_INSTABILITY),
        (302, ToolUnstable, ErrorKind.TOOL_INSTABILITY),
    ],
)
def test_status_mapping_and_no_key_in_errors(
    http_server, ctx: CallContext, monkeypatch, status, exc, kind
) -> None:
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)
    http_server.respond = lambda seen: (status, {"Location": "http://example.invalid/steal"}, b"nope")
    with pytest.raises(exc) as info:
        _exec(http_server).execute(ToolCall("get_item", {"item_id": "1"}), ToolDoc("get_item"), ctx)
    text = str(info.value)
    assert classify_feedback(text) is kind, text
    for form in (SECRET, urllib.parse.quote(SECRET, safe=""), urllib.parse.quote_plus(SECRET)):
        assert form not in text
    assert len(http_server.requests) == 1  # the redirect was not followed


def test_timeout_and_refused_are_instability(http_server, ctx: CallContext, monkeypatch) -> None:
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)

    def slow(seen):
        time.sleep(0.6)
        return http_server.json(200, {})

    http_server.respond = slow
    with pytest.raises(ToolUnstable) as info:
        _exec(http_server, timeout_s=0.2).execute(
            ToolCall("get_item", {"item_id": "1"}), ToolDoc("get_item"), ctx
        )
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_INSTABILITY and SECRET not in str(info.value)
    assert urllib.parse.quote_plus(SECRET) not in str(info.value)
    dead = LiveHttpExecutor(
        {"t": {"url": "http://127.0.0.1:9/x", "api_key_env": "TLB_LIVE_KEY", "api_key_query": "k"}},
        enabled=True,
    )
    with pytest.raises(ToolUnstable) as info:
        dead.execute(ToolCall("t"), ToolDoc("t"), ctx)
    assert classify_feedback(str(info.value)) is ErrorKind.TOOL_INSTABILITY
    assert urllib.parse.quote_plus(SECRET) not in str(info.value) and SECRET not in str(info.value)


def test_config_errors(http_server, ctx: CallContext, monkeypatch) -> None:
    with pytest.raises(UsageError, match="unknown live endpoint field"):
        HttpEndpoint.from_dict({"url": "http://x", "methd": "GET"})
    with pytest.raises(UsageError, match="must be an http"):
        HttpEndpoint.from_dict({"url": "file:///etc/passwd"})
    monkeypatch.delenv("TLB_LIVE_KEY", raising=False)
    with pytest.raises(UsageError, match="TLB_LIVE_KEY is not set"):
        _exec(http_server).execute(ToolCall("get_item", {"item_id": "1"}), ToolDoc("get_item"), ctx)
    with pytest.raises(UsageError, match="no live endpoint configured"):
        _exec(http_server).execute(ToolCall("other"), ToolDoc("other"), ctx)
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)
    with pytest.raises(ToolCallFailed, match="missing 1 required positional argument: 'item_id'"):
        _exec(http_server).execute(ToolCall("get_item", {}), ToolDoc("get_item"), ctx)


def test_body_size_is_bounded(http_server, ctx: CallContext, monkeypatch) -> None:
    monkeypatch.setenv("TLB_LIVE_KEY", SECRET)
    http_server.respond = lambda seen: (200, {"Content-Type": "text/plain"}, b"y" * 300_000)
    out = _exec(http_server, max_bytes=1000).execute(
        ToolCall("get_item", {"item_id": "1"}), ToolDoc("get_item"), ctx
    )
    assert out == "y" * 1000
