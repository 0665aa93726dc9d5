"""Seeded failure injection: makes any executor unreliable the way web tools are (the paper's tool instability).

``FaultInjector(inner, rates, seed)`` decides for each call, from ``sha256(seed, tool, canonical arguments, n)``
where ``n`` counts earlier calls with the same tool and arguments, whether to fail and how. The decision does
not depend on other calls or on thread scheduling, so a rerun with the same seed fails the same calls.

Kinds (rates are probabilities; their sum must be at most 1):

==============  ==============================================================  ========================
kind            what happens                                                    inner executor called?
==============  ==============================================================  ========================
``timeout``     ``HTTPSConnectionPool(host=..., port=443): Read timed out. ...``  no
``connection``  ``... Max retries exceeded ... [Errno 111] Connection refused``   no
``http_5xx``    ``502 Server Error: Bad Gateway for url: ...`` (500/502/503/504)  no
``truncated``   ``Connection broken: IncompleteRead(...)`` + the cut payload      yes
``garbled``     ``ChunkedEncodingError: ...`` + the payload with mangled bytes    yes
==============  ==============================================================  ========================

Every text raised is a ``ToolUnstable`` that ``tlbench.classify.classify_feedback`` maps to TOOL_INSTABILITY
(tested). Errors of the inner executor pass through unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.types import ToolCall, ToolDoc, canonical_json
from tools_env.base import CallContext, Executor, ToolUnstable
from tools_env.simulate import stable_seed

__all__ = ["FaultInjector", "FAULT_KINDS", "fault_text"]

FAULT_KINDS = ("timeout", "connection", "http_5xx", "truncated", "garbled")
_5XX = (
    (500, "Internal Server Error"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
)
_UNIT = float(1 << 53)


def _host(tool: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", tool.lower()).strip("-")[:40] or "api"
    return f"api.{slug}.com"


def fault_text(kind: str, tool: str, draw: int, payload: str = "") -> str:
    """The realistic error text of fault ``kind`` for ``tool`` (``draw`` picks variants; pure function)."""
    host, path = _host(tool), f"/v1/{tool}"
    if kind == "timeout":
        return (
            f"HTTPSConnectionPool(host='{host}', port=443): Read timed out. (read timeout={10 + draw % 21})"
        )
    if kind == "connection":
        return (
            f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {path} "
            "(Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at "
            f"0x7f{draw % (1 << 40):010x}>: Failed to establish a new connection: [Errno 111] Connection refused'))"
        )
    if kind == "http_5xx":
        code, reason = _5XX[draw % len(_5XX)]
        return f"{code} Server Error: {reason} for url: https://{host}{path}"
    if kind == "truncated":
        body = payload or '{"status": "success", "data": {"results": [{"id": 1, "name": "'
        cut = max(1, len(body) * (1 + draw % 3) // 4)
        return (
            "('Connection broken: IncompleteRead("
            f"{cut} bytes read, {max(len(body) - cut, 1)} more expected)', IncompleteRead({cut} bytes read)) "
            f"partial body: {body[:cut][:1500]}"  # short: the classifier reads long texts as observations
        )
    if kind == "garbled":
        body = (payload or '{"status": "success", "data": {}}')[:400]
        chars = list(body)
        for i in range(0, len(chars), 3 + draw % 3):  # replace every 3rd-5th character: unreadable
            chars[i] = "\ufffd"
        mangled = "".join(chars)
        if mangled.count("\ufffd") < 3:
            mangled += "\ufffd\ufffd\ufffd"
        return f"ChunkedEncodingError: invalid chunk encoding, undecodable payload: {mangled}"
    raise ValueError(f"unknown fault kind {kind!r}")


class FaultInjector:
    """Wraps ``inner`` and injects seeded faults at ``rates`` (see the module docstring)."""

    def __init__(self, inner: Executor, rates: Mapping[str, float], seed: int = 0) -> None:
        unknown = sorted(set(rates) - set(FAULT_KINDS))
        if unknown:
            raise UsageError(f"unknown fault kind(s) {', '.join(unknown)}; known: {', '.join(FAULT_KINDS)}")
        clean: dict[str, float] = {}
        for kind in FAULT_KINDS:
            rate = rates.get(kind, 0.0)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= float(rate) <= 1.0:
                raise UsageError(f"fault rate for {kind!r} must be a number in [0, 1], got {rate!r}")
            clean[kind] = float(rate)
        if sum(clean.values()) > 1.0 + 1e-9:
            raise UsageError(f"fault rates add up to {sum(clean.values()):.3f} > 1")
        self.inner = inner
        self.rates = clean
        self.seed = seed
        self.name = f"faults:{inner.name}"
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def decide(self, tool: str, arguments: Mapping[str, Any]) -> tuple[str | None, int]:
        """The fault for the next call of ``tool(arguments)`` (None: no fault) and a draw for its variant."""
        key = canonical_json([tool, dict(arguments)])
        with self._lock:
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
        h = stable_seed("faults", self.seed, tool, canonical_json(dict(arguments)), n)
        u = (h >> 11) / _UNIT  # uniform in [0, 1)
        acc = 0.0
        for kind in FAULT_KINDS:
            acc += self.rates[kind]
            if u < acc:
                return kind, h & 0xFFFF
        return None, h & 0xFFFF

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The inner result, or an injected ``ToolUnstable``."""
        kind, draw = self.decide(call.name, call.arguments)
        if kind is None:
            return self.inner.execute(call, doc, ctx)
        if kind in ("truncated", "garbled"):
            result = self.inner.execute(call, doc, ctx)
            payload = result if isinstance(result, str) else jsonio.dumps(result, default=str)
            raise ToolUnstable(fault_text(kind, call.name, draw, payload))
        raise ToolUnstable(fault_text(kind, call.name, draw))
