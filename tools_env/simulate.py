"""A deterministic simulator for web tools that cannot run offline.

The response is shaped, in order of preference, by:

1. the tool's documented output schema (``ToolDoc.returns``: a JSON schema, an OpenAPI response object with
   ``content``/``schema``, or a plain ``{"field": "description"}`` mapping);
2. output hints in the description (ToolAlpaca's ``Output: Returns a JSON object containing the image URL,
   image source, and ...`` becomes an object with ``image_url``, ``image_source`` ...);
3. a plausible generic shape: ``{"status": "success", "tool": name, "data": {...}}`` whose values are derived
   from the arguments.

Every value comes from a ``random.Random`` seeded by ``sha256(tool, canonical_json(arguments), seed)``
(:func:`stable_seed`), so the same call gives the same response in every process and on every machine (no
``hash()``, no clock). Argument values are echoed where a field's name matches a parameter, so that the
observation stays consistent with the call.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from typing import Any

from tlbench.types import ToolCall, ToolDoc, canonical_json
from tools_env.base import CallContext

__all__ = ["stable_seed", "simulate_response", "SimulatedExecutor"]

MAX_DEPTH = 5
MAX_PROPERTIES = 24
_WORDS = (
    "alpha bright cedar delta ember falcon garden harbor island jasper kepler lumen meadow nova orchid "
    "pioneer quartz river summit timber umbra vertex willow xenon yonder zephyr"
).split()


def stable_seed(*parts: Any) -> int:
    """A 64-bit seed from JSON-able ``parts``: sha256 of their canonical JSON (stable everywhere)."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def simulate_response(doc: ToolDoc, arguments: Mapping[str, Any], seed: int = 0) -> Any:
    """The simulated JSON-ready response of ``doc``'s tool to ``arguments`` (pure and deterministic)."""
    args = dict(arguments)
    rng = random.Random(stable_seed("simulate", doc.name, canonical_json(args), seed))  # not cryptography
    gen = _Gen(rng, args, doc.name)
    schema = _output_schema(doc.returns)
    if schema is not None:
        return gen.value(schema, "result", 0)
    fields = _hint_fields(doc.description)
    if fields:
        props = {name: ({"type": "array", "items": {}} if is_list else {}) for name, is_list in fields}
        return gen.value({"type": "object", "properties": props}, "result", 0)
    return {"status": "success", "tool": doc.name, "data": gen.generic()}


class SimulatedExecutor:
    """Executor: :func:`simulate_response` with the run seed (``ctx.seed``) or a fixed ``seed``."""

    name = "simulate"

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The simulated response to ``call``."""
        return simulate_response(doc, call.arguments, ctx.seed if self.seed is None else self.seed)


# --------------------------------------------------------------------------- output documentation


def _output_schema(returns: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A JSON schema from whatever form ``returns`` takes, or None when there is nothing usable."""
    if not isinstance(returns, Mapping) or not returns:
        return None
    content = returns.get("content")
    if isinstance(content, Mapping) and content:
        media = content.get("application/json") or next(iter(content.values()))
        if isinstance(media, Mapping) and isinstance(media.get("schema"), Mapping):
            return media["schema"]
    if isinstance(returns.get("schema"), Mapping):
        return returns["schema"]
    if any(k in returns for k in ("type", "properties", "items", "enum", "anyOf", "oneOf")):
        return returns
    if all(isinstance(v, str) for v in returns.values()):  # {"field": "description", ...}
        return {"type": "object", "properties": {str(k): {"description": v} for k, v in returns.items()}}
    return None


_OUTPUT_SENTENCE = re.compile(r"(?:Output:|\bReturns?\b)([^\n]{0,600})", re.IGNORECASE)
_CONTAINING = re.compile(
    r"\b(?:containing|contains|including|includes|with|of)\b\s+(.{0,500})", re.IGNORECASE
)
_STOP = {
    "the",
    "a",
    "an",
    "its",
    "their",
    "his",
    "her",
    "each",
    "respective",
    "such",
    "as",
    "also",
    "any",
    "along",
    "with",
    "brief",
    "short",
    "detailed",
    "various",
    "relevant",
    "some",
    "all",
    "other",
    "additional",
    "json",
}
_RELATIVE = re.compile(
    r"\b(?:that|which|who|whose|matching|based|for|from|of|in|on|by|to|if|when)\b", re.IGNORECASE
)


def _hint_fields(description: str) -> list[tuple[str, bool]]:
    """Field names (and whether each is a list) read from an ``Output: ... containing X, Y and Z`` hint."""
    m = _OUTPUT_SENTENCE.search(description or "")
    if not m:
        return []
    c = _CONTAINING.search(m.group(1))
    if not c:
        return []
    clause = re.split(r"[.;:(]", c.group(1), maxsplit=1)[0]
    fields: list[tuple[str, bool]] = []
    for phrase in re.split(r",|\band\b|\bor\b", clause):
        is_list = bool(re.search(r"\b(?:array|list|lists|arrays)\b", phrase, re.IGNORECASE))
        phrase = re.sub(r"\b(?:an? )?(?:array|list)s? of\b", " ", phrase, flags=re.IGNORECASE)
        phrase = _RELATIVE.split(phrase, maxsplit=1)[0]
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", phrase.lower()) if w not in _STOP]
        if not words or len(words) > 5:
            continue
        name = "_".join(words[-2:])
        if name not in {f for f, _ in fields}:
            fields.append((name, is_list or words[-1].endswith("s") and len(words[-1]) > 3))
        if len(fields) >= 8:
            break
    return fields


# --------------------------------------------------------------------------- value generation


class _Gen:
    """Generates values for schemas and field names from one seeded RNG."""

    def __init__(self, rng: random.Random, args: Mapping[str, Any], tool: str) -> None:
        self.rng = rng
        self.raw_args = {str(k): v for k, v in sorted(args.items(), key=lambda kv: str(kv[0]))}
        self.args = {k.lower(): v for k, v in self.raw_args.items()}
        self.tool = tool

    def value(self, schema: Mapping[str, Any], key: str, depth: int) -> Any:
        if not isinstance(schema, Mapping):
            schema = {}
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
        for combo in ("oneOf", "anyOf", "allOf"):
            options = schema.get(combo)
            if isinstance(options, list) and options and isinstance(options[0], Mapping):
                return self.value(options[0], key, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None:
            if "properties" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
        if kind == "object" or (kind is None and depth == 0):
            return self.obj(schema, key, depth)
        if kind == "array":
            if depth >= MAX_DEPTH:
                return []
            items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
            return [self.value(items, _singular(key), depth + 1) for _ in range(self.rng.randint(1, 3))]
        if kind == "integer":
            return self.integer(key)
        if kind == "number":
            return self.number(key)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.scalar(key, schema)

    def obj(self, schema: Mapping[str, Any], key: str, depth: int) -> dict[str, Any]:
        props = schema.get("properties")
        if not isinstance(props, Mapping) or not props or depth >= MAX_DEPTH:
            return self.record(key)
        return {str(k): self.value(v, str(k), depth + 1) for k, v in list(props.items())[:MAX_PROPERTIES]}

    def scalar(self, key: str, schema: Mapping[str, Any]) -> Any:
        """A string-like value chosen by the field name (or an echoed argument)."""
        k = key.lower()
        if k in self.args and isinstance(self.args[k], (str, int, float, bool)):
            return self.args[k]
        fmt = str(schema.get("format", "")).lower()
        if "url" in k or "link" in k or "image" in k or "uri" in fmt or "href" in k:
            return f"https://example.com/{_slug(self.tool)}/{self.hex(10)}"
        if "email" in k or fmt == "email":
            return f"{self.word()}.{self.word()}@example.com"
        if "date" in k or fmt in ("date", "date-time") or k.endswith("_at"):
            return f"20{self.rng.randint(18, 25)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        if k == "id" or k.endswith("_id") or k.endswith("id") and len(k) <= 6:
            return self.hex(12)
        if any(s in k for s in ("count", "total", "number", "num", "page", "size", "age", "year", "score")):
            return self.integer(k)
        if any(s in k for s in ("price", "rate", "amount", "lat", "lon", "temperature", "percent")):
            return self.number(k)
        if "description" in k or "text" in k or "summary" in k or "content" in k or "fact" in k:
            return self.sentence()
        return self.phrase()

    def integer(self, key: str) -> int:
        k = key.lower()
        if k in self.args and isinstance(self.args[k], int) and not isinstance(self.args[k], bool):
            return self.args[k]
        if "year" in k:
            return self.rng.randint(1990, 2025)
        if "page" in k:
            return 1
        if "age" in k:
            return self.rng.randint(1, 90)
        return self.rng.randint(0, 1000)

    def number(self, key: str) -> float:
        k = key.lower()
        if "lat" in k:
            return round(self.rng.uniform(-90.0, 90.0), 4)
        if "lon" in k or "lng" in k:
            return round(self.rng.uniform(-180.0, 180.0), 4)
        if "temp" in k:
            return round(self.rng.uniform(-10.0, 35.0), 1)
        if "percent" in k or "rate" in k:
            return round(self.rng.uniform(0.0, 100.0), 2)
        return round(self.rng.uniform(0.0, 1000.0), 2)

    def record(self, key: str) -> dict[str, Any]:
        return {"id": self.hex(12), "name": self.phrase(), "description": self.sentence()}

    def generic(self) -> dict[str, Any]:
        """The generic ``data`` object: the query echoed and 1-3 results derived from it."""
        topic = " ".join(str(v) for v in self.args.values() if isinstance(v, (str, int, float)))[:80]
        results = []
        for _ in range(self.rng.randint(1, 3)):
            rec = self.record("result")
            if topic:
                rec["name"] = f"{topic} {self.word()}".strip()
            rec["score"] = round(self.rng.uniform(0.5, 1.0), 3)
            results.append(rec)
        return {"query": dict(self.raw_args), "count": len(results), "results": results}

    def word(self) -> str:
        return self.rng.choice(_WORDS)

    def phrase(self) -> str:
        return " ".join(self.word() for _ in range(self.rng.randint(1, 3))).title()

    def sentence(self) -> str:
        return " ".join(self.word() for _ in range(self.rng.randint(6, 12))).capitalize() + "."

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") and len(key) > 3 else key


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "api"
