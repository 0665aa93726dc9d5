"""An optional adapter that sends a tool call to a real HTTP endpoint. Off by default.

A small config maps each tool to an endpoint (:class:`HttpEndpoint`)::

    {"get_weather": {"method": "GET", "url": "https://api.example.com/v1/weather/{city}",
                     "query": ["units"], "api_key_env": "WEATHER_KEY", "api_key_query": "appid"}}

URL placeholders are filled from the arguments (percent-encoded); the remaining arguments go to the query string
(GET/DELETE/HEAD) or the JSON body (other methods) unless ``query``/``body`` list them explicitly. The key is
read at call time from the environment variable the config names and sent as a header (``api_key_header``,
with ``api_key_prefix``) or a query parameter (``api_key_query``). It is never logged, never part of a cache
key (only the tool and the model's arguments are) and is scrubbed from every error text.

Outcomes: 2xx -> the JSON body (or text); timeouts, connection errors, 429 and 5xx -> ``ToolUnstable``;
other 4xx -> ``ToolCallFailed`` (``"404 Client Error: Not Found for url: ..."``, as ``requests`` words it);
redirects are not followed (a key must not travel to another host) and count as unstable. Bodies are read up to
``max_bytes``.

The adapter refuses to run unless constructed with ``enabled=True``: live calls are never made by accident.
"""

from __future__ import annotations

import os
import string
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable

__all__ = ["HttpEndpoint", "LiveHttpExecutor", "endpoints_from_config"]

_QUERY_METHODS = frozenset({"GET", "DELETE", "HEAD"})


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """How one tool maps onto HTTP (see the module docstring for the fields' meaning)."""

    url: str
    method: str = "GET"
    query: tuple[str, ...] | None = None
    body: tuple[str, ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    api_key_env: str | None = None
    api_key_header: str | None = None
    api_key_prefix: str = ""
    api_key_query: str | None = None
    timeout_s: float = 10.0
    max_bytes: int = 1 << 20

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HttpEndpoint:
        """An endpoint from a JSON config entry (unknown keys are an error, so typos do not pass silently)."""
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(data) - known)
        if extra:
            raise UsageError(
                f"unknown live endpoint field(s): {', '.join(extra)}; known: {', '.join(sorted(known))}"
            )
        if not isinstance(data.get("url"), str) or not data["url"].startswith(("http://", "https://")):
            raise UsageError("live endpoint 'url' must be an http:// or https:// URL template")
        values = dict(data)
        for key in ("query", "body"):
            if values.get(key) is not None:
                values[key] = tuple(str(x) for x in values[key])
        values["method"] = str(values.get("method", "GET")).upper()
        return cls(**values)

    def placeholders(self) -> tuple[str, ...]:
        """The ``{name}`` fields of the URL template."""
        return tuple(f for _, f, _, _ in string.Formatter().parse(self.url) if f)


def endpoints_from_config(config: Mapping[str, Any]) -> dict[str, HttpEndpoint]:
    """``{tool: HttpEndpoint}`` from ``{tool: {...}}`` (entries may already be endpoints)."""
    return {
        str(tool): entry if isinstance(entry, HttpEndpoint) else HttpEndpoint.from_dict(entry)
        for tool, entry in config.items()
    }


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return jsonio.dumps(value, separators=(",", ":"))


class LiveHttpExecutor:
    """Executor that performs the configured HTTP request for each call (only when ``enabled``)."""

    name = "live_http"

    def __init__(self, endpoints: Mapping[str, Any], enabled: bool = False) -> None:
        self.endpoints = endpoints_from_config(endpoints)
        self.enabled = enabled

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The endpoint's answer to ``call``."""
        if not self.enabled:
            raise UsageError(
                "the live HTTP adapter is off: construct LiveHttpExecutor(..., enabled=True) to use it"
            )
        ep = self.endpoints.get(call.name)
        if ep is None:
            raise UsageError(f"no live endpoint configured for tool {call.name!r}")
        key = None
        if ep.api_key_env:
            key = os.environ.get(ep.api_key_env)
            if not key:
                raise UsageError(
                    f"environment variable {ep.api_key_env} is not set (API key for {call.name!r})"
                )
        try:
            return self._request(call, ep, key)
        except (ToolUnstable, ToolCallFailed) as exc:
            raise type(exc)(_scrub(str(exc), key)) from None

    def _request(self, call: ToolCall, ep: HttpEndpoint, key: str | None) -> Any:
        import requests  # the offline executors need no HTTP stack

        args = {str(k): v for k, v in call.arguments.items()}
        fields = ep.placeholders()
        missing = [f for f in fields if f not in args]
        if missing:
            raise ToolCallFailed(f"{call.name}() missing 1 required positional argument: '{missing[0]}'")
        url = ep.url.format(**{f: urllib.parse.quote(_scalar(args.pop(f)), safe="") for f in fields})
        query_names = (
            ep.query if ep.query is not None else (tuple(args) if ep.method in _QUERY_METHODS else ())
        )
        body_names = ep.body if ep.body is not None else tuple(a for a in args if a not in query_names)
        params = {n: _scalar(args[n]) for n in query_names if n in args}
        body = {n: args[n] for n in body_names if n in args} if ep.method not in _QUERY_METHODS else None
        headers = dict(ep.headers)
        if key and ep.api_key_header:
            headers[ep.api_key_header] = f"{ep.api_key_prefix}{key}"
        if key and ep.api_key_query:
            params[ep.api_key_query] = key
        try:
            resp = requests.request(
                ep.method,
                url,
                params=params or None,
                json=body if body else None,
                headers=headers,
                timeout=ep.timeout_s,
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout as exc:
            raise ToolUnstable(f"Read timed out. ({exc})") from None
        except requests.RequestException as exc:
            raise ToolUnstable(f"Connection error: {exc}") from None
        with resp:
            shown_url = _redact_url(resp.url or url, ep.api_key_query)
            if resp.status_code == 429 or resp.status_code >= 500:
                raise ToolUnstable(f"{resp.status_code} Server Error: {resp.reason} for url: {shown_url}")
            if 300 <= resp.status_code < 400:
                raise ToolUnstable(
                    f"Tool temporarily unavailable: redirect ({resp.status_code}) not followed"
                )
            if resp.status_code >= 400:
                raise ToolCallFailed(f"{resp.status_code} Client Error: {resp.reason} for url: {shown_url}")
            try:
                data = _read(resp, ep.max_bytes)
            except requests.RequestException as exc:
                raise ToolUnstable(f"Connection error: incomplete read: {exc}") from None
        text = data.decode(resp.encoding or "utf-8", errors="replace")
        if text.lstrip()[:1] in ("{", "["):
            try:
                return jsonio.parse(text)
            except ValueError:
                pass
        return text


def _read(resp: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _redact_url(url: str, key_param: str | None) -> str:
    if not key_param:
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    redacted = [(k, "***" if k == key_param else v) for k, v in query]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(redacted)))


def _scrub(text: str, secret: str | None) -> str:
    if not secret:
        return text
    for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
        text = text.replace(form, "***")
    return text
