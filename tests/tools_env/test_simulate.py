"""The deterministic web-tool simulator: stable across processes, shaped by the docs, driven by the arguments."""

from __future__ import annotations

import json
import subprocess
import sys

from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext
from tools_env.simulate import SimulatedExecutor, simulate_response, stable_seed

WEATHER = ToolDoc(
    name="get_forecast",
    description="Weather forecast for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}},
    returns={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number"},
            "unit": {"type": "string", "enum": ["C", "F"]},
            "forecast": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"date": {"type": "string"}, "high": {"type": "integer"}},
                },
            },
        },
    },
)
CASES = [
    (WEATHER, {"city": "Paris", "days": 3}),
    (ToolDoc(name="search_news"), {"q": "tennis", "page": 2}),
    (
        ToolDoc(
            name="searchAxolotlImages",
            description="Search images.\nOutput: Returns a JSON object containing an array of axolotl images that "
            "match the criteria, along with their respective image URLs, image sources, and brief descriptions.",
        ),
        {"color": "wild"},
    ),
]

_CHILD = """
import json, sys
from tlbench.types import ToolDoc
from tools_env.simulate import simulate_response
cases = json.loads(sys.stdin.read())
out = [simulate_response(ToolDoc(**{k: v for k, v in d.items() if k != 'defaults'}), a, 11) for d, a in cases]
print(json.dumps(out, sort_keys=True))
"""


def test_same_response_in_another_process() -> None:
    here = [simulate_response(doc, args, 11) for doc, args in CASES]
    payload = json.dumps([[doc.to_dict(), args] for doc, args in CASES])
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], input=payload, capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(proc.stdout) == json.loads(json.dumps(here, sort_keys=True))


def test_stable_seed_is_a_fixed_function() -> None:
    # pinned value: sha256 of the canonical JSON, not Python's salted hash()
    assert stable_seed("simulate", "t", "{}", 0) == stable_seed("simulate", "t", "{}", 0)
    assert stable_seed("a") == 0x0EB5B8D6F81BC677  # first 8 bytes of sha256('["a"]')
    assert stable_seed("simulate", "t", "{}", 0) != stable_seed("simulate", "t", "{}", 1)


def test_response_follows_documented_schema() -> None:
    out = simulate_response(WEATHER, {"city": "Paris", "days": 3}, 0)
    assert set(out) == {"city", "temperature", "unit", "forecast"}
    assert out["city"] == "Paris"  # argument echoed where the field name matches
    assert isinstance(out["temperature"], float) and out["unit"] in ("C", "F")
    assert 1 <= len(out["forecast"]) <= 3
    assert all(set(f) == {"date", "high"} and isinstance(f["high"], int) for f in out["forecast"])


def test_openapi_response_and_field_mapping_forms() -> None:
    openapi = ToolDoc(
        name="getFact",
        returns={
            "description": "ok",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"fact": {"type": "string"}}}}
            },
        },
    )
    assert set(simulate_response(openapi, {}, 0)) == {"fact"}
    plain = ToolDoc(name="lookup", returns={"title": "The title", "url": "Where it lives"})
    out = simulate_response(plain, {}, 0)
    assert set(out) == {"title", "url"} and out["url"].startswith("https://")


def test_description_hints_shape_the_response() -> None:
    doc, args = CASES[2]
    out = simulate_response(doc, args, 0)
    assert {"axolotl_images", "image_urls", "image_sources"} <= set(out)
    assert all(u.startswith("https://") for u in out["image_urls"])


def test_generic_shape_depends_on_arguments_and_seed() -> None:
    doc = ToolDoc(name="search_news")
    a = simulate_response(doc, {"q": "tennis"}, 0)
    assert a["status"] == "success" and a["tool"] == "search_news" and a["data"]["query"] == {"q": "tennis"}
    assert all("tennis" in r["name"] for r in a["data"]["results"])
    assert a == simulate_response(doc, {"q": "tennis"}, 0)
    assert a != simulate_response(doc, {"q": "golf"}, 0)
    assert a != simulate_response(doc, {"q": "tennis"}, 1)
    # argument order does not matter (canonical JSON)
    assert simulate_response(doc, {"x": 1, "y": 2}, 0) == simulate_response(doc, {"y": 2, "x": 1}, 0)


def test_executor_uses_run_seed(tmp_path) -> None:
    call = ToolCall("search_news", {"q": "x"})
    doc = ToolDoc(name="search_news")
    ex = SimulatedExecutor()
    assert ex.execute(call, doc, CallContext(tmp_path, seed=1)) != ex.execute(
        call, doc, CallContext(tmp_path, seed=2)
    )
    fixed = SimulatedExecutor(seed=5)
    assert fixed.execute(call, doc, CallContext(tmp_path, seed=1)) == fixed.execute(
        call, doc, CallContext(tmp_path, seed=2)
    )


def test_hostile_docs_do_not_crash() -> None:
    deep: dict = {"type": "object", "properties": {}}
    node = deep
    for _ in range(50):
        child: dict = {"type": "object", "properties": {}}
        node["properties"]["n"] = child
        node = child
    wide = {
        "type": "object",
        "properties": {f"f{i}": {"type": "array", "items": {"type": "array"}} for i in range(1000)},
    }
    for returns in (
        deep,
        wide,
        {"type": ["null", "integer"]},
        {"oneOf": [{"type": "boolean"}]},
        {"weird": 1},
    ):
        out = simulate_response(ToolDoc(name="t", returns=returns), {"a": [1, {"b": None}]}, 0)
        assert len(json.dumps(out)) < 200_000
