"""The classifier on calls (no parsing): doc-only checks, gold checks, turn-level matching, severity order."""

from __future__ import annotations

import pytest

from tlbench.classify import (
    SEVERITY,
    check_against_docs,
    classify,
    classify_call,
    gold_alternatives,
    most_severe,
    name_tokens,
    normalise_value,
    type_matches,
    values_normalised_equal,
    wrong_tool_kind,
)
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc, WrongToolKind

E = ErrorKind


def _doc(name: str, props: dict, required: tuple[str, ...] = (), defaults: dict | None = None) -> ToolDoc:
    return ToolDoc(
        name=name,
        parameters={"type": "object", "properties": props, "required": list(required)},
        required=required,
        defaults=defaults or {},
    )


DOCS = (
    _doc(
        "get_weather",
        {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "ratio": {"type": "number"},
            "verbose": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        ("city",),
        {"unit": "c"},
    ),
    _doc("get_weather_forecast", {"city": {"type": "string"}}, ("city",)),
    _doc("search_news", {"query": {"type": "string"}}, ("query",)),
    _doc("free_form", {}),
    ToolDoc(name="no_schema", parameters={}),
    _doc("finish", {"answer": {"type": "string"}}, ("answer",)),
)


def C(name: str, **args) -> ToolCall:
    return ToolCall(name=name, arguments=args)


# ------------------------------------------------------------------------------------ doc-only checks

DOC_ONLY = [
    ("correct", C("get_weather", city="Paris"), ()),
    ("tool hallucination", C("get_wether", city="Paris"), (E.TOOL_HALLUCINATION,)),
    ("case differs = hallucination", C("Get_Weather", city="Paris"), (E.TOOL_HALLUCINATION,)),
    ("param hallucination", C("get_weather", city="Paris", country="FR"), (E.PARAMETER_HALLUCINATION,)),
    ("missing required", C("get_weather", days=3), (E.MISSING_PARAMETER,)),
    ("type mismatch", C("get_weather", city="Paris", days="3"), (E.TYPE_MISMATCH,)),
    ("bool is not an integer", C("get_weather", city="P", days=True), (E.TYPE_MISMATCH,)),
    ("int is a number", C("get_weather", city="P", ratio=2), ()),
    ("integral float is an integer", C("get_weather", city="P", days=2.0), ()),
    ("enum violation", C("get_weather", city="P", unit="k"), (E.TYPE_MISMATCH,)),
    ("array items type", C("get_weather", city="P", tags=["a", 1]), (E.TYPE_MISMATCH,)),
    (
        "several, ordered by severity",
        C("get_weather", days="x", zz=1),
        (E.PARAMETER_HALLUCINATION, E.MISSING_PARAMETER, E.TYPE_MISMATCH),
    ),
    ("empty properties: extra key hallucinated", C("free_form", a=1), (E.PARAMETER_HALLUCINATION,)),
    ("no schema at all: params not checked", C("no_schema", a=1), ()),
    ("finish documented", C("finish", answer="x"), ()),
]


@pytest.mark.parametrize(("label", "call", "kinds"), DOC_ONLY, ids=[c[0] for c in DOC_ONLY])
def test_check_against_docs(label: str, call: ToolCall, kinds: tuple[ErrorKind, ...]) -> None:
    cv = check_against_docs(call, DOCS)
    assert cv.kinds == kinds
    assert cv.kind == (kinds[0] if kinds else E.CORRECT)


def test_doc_only_names_the_parameters() -> None:
    cv = check_against_docs(C("get_weather", days="x", zz=1), DOCS)
    assert cv.hallucinated_params == ("zz",)
    assert cv.missing_params == ("city",)
    assert cv.mismatched_params == ("days",)


def test_finish_is_never_a_hallucination_even_undocumented() -> None:
    assert check_against_docs(C("finish", answer="x"), DOCS[:1]).kind is E.CORRECT
    assert check_against_docs(C("final_answer"), ()).kind is E.CORRECT


def test_null_accepted_where_the_default_is_null() -> None:
    doc = _doc("f", {"a": {"type": "string"}}, (), {"a": None})
    assert check_against_docs(C("f", a=None), [doc]).kind is E.CORRECT
    assert check_against_docs(C("f", a=None), [_doc("f", {"a": {"type": "string"}})]).kind is E.TYPE_MISMATCH


def test_docs_may_be_a_mapping() -> None:
    index = {d.name: d for d in DOCS}
    assert check_against_docs(C("get_weather", city="x"), index).kind is E.CORRECT


# ---------------------------------------------------------------------------------------- with gold

GOLD = [C("get_weather", city="Paris", days=3)]

WITH_GOLD = [
    ("correct", C("get_weather", city="Paris", days=3), E.CORRECT),
    ("tool hallucination", C("weather_get", city="Paris"), E.TOOL_HALLUCINATION),
    ("wrong tool", C("search_news", query="Paris"), E.WRONG_TOOL),
    ("param hallucination", C("get_weather", city="Paris", days=3, zz=1), E.PARAMETER_HALLUCINATION),
    ("redundant", C("get_weather", city="Paris", days=3, verbose=True), E.REDUNDANT_PARAMETER),
    ("missing (gold, not required)", C("get_weather", city="Paris"), E.MISSING_PARAMETER),
    ("content", C("get_weather", city="London", days=3), E.CONTENT_ERROR),
    ("type mismatch beats content", C("get_weather", city="Paris", days="3"), E.TYPE_MISMATCH),
]


@pytest.mark.parametrize(("label", "call", "kind"), WITH_GOLD, ids=[c[0] for c in WITH_GOLD])
def test_classify_call_with_gold(label: str, call: ToolCall, kind: ErrorKind) -> None:
    assert classify_call(call, DOCS, GOLD).kind is kind


def test_wrong_tool_subtypes() -> None:
    shared = classify_call(C("get_weather_forecast", city="Paris"), DOCS, GOLD)
    assert shared.kind is E.WRONG_TOOL and shared.wrong_tool is WrongToolKind.SHARED_PREFIX
    first = classify_call(C("search_news", query="Paris"), DOCS, GOLD)
    assert first.kind is E.WRONG_TOOL and first.wrong_tool is WrongToolKind.FIRST_TOKEN


def test_wrong_tool_compares_with_the_closest_gold() -> None:
    kind, closest = wrong_tool_kind("searchNewsToday", ["get_weather", "search_web"])
    assert kind is WrongToolKind.SHARED_PREFIX and closest == "search_web"
    assert wrong_tool_kind("fetch_x", ["get_x", "put_x"])[0] is WrongToolKind.FIRST_TOKEN


def test_name_tokens() -> None:
    assert name_tokens("getWeatherData_v2") == ("get", "weather", "data", "v", "2")
    assert name_tokens("HTTPServer.run-now") == ("http", "server", "run", "now")
    assert name_tokens("") == ()


def test_content_normalised_equal_flag() -> None:
    syn = classify_call(C("get_weather", city="  paris ", days=3), DOCS, GOLD)
    assert syn.kind is E.CONTENT_ERROR and syn.content_normalised_equal
    other = classify_call(C("get_weather", city="London", days=3), DOCS, GOLD)
    assert other.kind is E.CONTENT_ERROR and not other.content_normalised_equal
    typed = classify_call(C("get_weather", city="Paris", days="3"), DOCS, GOLD)
    assert typed.kinds == (E.TYPE_MISMATCH, E.CONTENT_ERROR) and typed.content_normalised_equal
    assert typed.mismatched_params == ("days",)


def test_all_parameter_problems_together() -> None:
    cv = classify_call(C("get_weather", days=3, zz=1, verbose=True), DOCS, GOLD)
    assert cv.kinds == (E.PARAMETER_HALLUCINATION, E.MISSING_PARAMETER, E.REDUNDANT_PARAMETER)
    assert (cv.hallucinated_params, cv.redundant_params, cv.missing_params) == (
        ("zz",),
        ("verbose",),
        ("city",),
    )


def test_best_gold_alternative_wins() -> None:
    gold = [
        C("get_weather", city="Rome"),
        C("get_weather", city="Paris", days=3),
        C("search_news", query="x"),
    ]
    cv = classify_call(C("get_weather", city="Paris", days=3), DOCS, gold)
    assert cv.kind is E.CORRECT and cv.gold_index == 1
    content = classify_call(C("get_weather", city="Rome", days=4), DOCS, gold[1:2] + gold[:1])
    assert (
        content.kind is E.CONTENT_ERROR
    )  # content error (vs the first gold) beats a redundant parameter (vs the second)


def test_gold_key_is_never_hallucinated_and_defaults_are_harmless() -> None:
    gold = [C("get_weather", city="Paris", undocumented=1)]
    assert classify_call(C("get_weather", city="Paris", undocumented=1), DOCS, gold).kind is E.CORRECT
    assert (
        classify_call(C("get_weather", city="Paris", unit="c"), DOCS, [C("get_weather", city="Paris")]).kind
        is E.CORRECT
    )
    assert (
        classify_call(C("get_weather", city="Paris"), DOCS, [C("get_weather", city="Paris", unit="c")]).kind
        is E.CORRECT
    )


def test_wildcard_accepts_any_value_but_needs_the_key() -> None:
    gold = [C("get_weather", city="Paris", days="None")]
    assert (
        classify_call(C("get_weather", city="Paris", days=5), DOCS, gold, wildcard="None").kind is E.CORRECT
    )
    assert (
        classify_call(C("get_weather", city="Paris"), DOCS, gold, wildcard="None").kind is E.MISSING_PARAMETER
    )
    assert classify_call(C("get_weather", city="Paris", days=5), DOCS, gold).kind is E.CONTENT_ERROR


def test_finish_text_is_not_compared_and_finish_names_match() -> None:
    gold = [C("finish", answer="It is sunny.")]
    assert classify_call(C("finish", answer="Sunny today"), DOCS, gold).kind is E.CORRECT
    assert classify_call(C("Final_Answer", answer="x"), DOCS, gold).kind is E.CORRECT


# ---------------------------------------------------------------------------------------- turn level


def test_unparsable_turn() -> None:
    v = classify(ParseResult(failure=ParseFailure("bad_json")), DOCS, [GOLD])
    assert v.kind is E.UNPARSABLE and v.kinds == (E.UNPARSABLE,) and v.is_error


def test_turn_without_gold_is_doc_only() -> None:
    v = classify(ParseResult(calls=(C("get_weather", city="x"), C("nope"))), DOCS)
    assert v.kind is E.TOOL_HALLUCINATION
    assert [c.kind for c in v.calls] == [E.CORRECT, E.TOOL_HALLUCINATION]
    assert classify(ParseResult(final_answer="done"), DOCS).kind is E.CORRECT


def test_parallel_calls_match_order_free() -> None:
    gold = [[C("get_weather", city="Paris"), C("search_news", query="x")]]
    v = classify([C("search_news", query="x"), C("get_weather", city="Paris")], DOCS, gold)
    assert v.kind is E.CORRECT and len(v.calls) == 2
    assert sorted(c.gold_index for c in v.calls) == [0, 1]


def test_missing_and_extra_parallel_calls() -> None:
    gold = [[C("get_weather", city="Paris"), C("search_news", query="x")]]
    short = classify([C("get_weather", city="Paris")], DOCS, gold)
    assert short.kind is E.WRONG_TOOL and any(c.call is None for c in short.calls)
    extra = classify(
        [C("get_weather", city="Paris"), C("search_news", query="x"), C("free_form")], DOCS, gold
    )
    assert extra.kind is E.WRONG_TOOL and len(extra.calls) == 3


def test_turn_headline_is_the_most_severe_call() -> None:
    gold = [[C("get_weather", city="Paris"), C("search_news", query="x")]]
    v = classify([C("get_weather", city="Rome"), C("search_news", query="x", zz=1)], DOCS, gold)
    assert v.kind is E.PARAMETER_HALLUCINATION
    assert set(v.kinds) == {E.CONTENT_ERROR, E.PARAMETER_HALLUCINATION}


def test_final_answer_against_gold() -> None:
    assert classify(ParseResult(final_answer="x"), DOCS, [[C("finish", answer="y")]]).kind is E.CORRECT
    assert classify(ParseResult(final_answer="x"), DOCS, [[]]).kind is E.CORRECT
    assert classify(ParseResult(final_answer="x"), DOCS, [GOLD]).kind is E.WRONG_TOOL
    assert classify([C("get_weather", city="Paris")], DOCS, [[]]).kind is E.WRONG_TOOL
    assert (
        classify([C("get_weather", city="Paris", zz=1)], DOCS, []).kind is E.PARAMETER_HALLUCINATION
    )  # no gold


def test_flat_gold_list_means_single_call_alternatives() -> None:
    gold = [C("search_news", query="x"), C("get_weather", city="Paris")]
    assert classify([C("get_weather", city="Paris")], DOCS, gold).kind is E.CORRECT


def test_many_parallel_calls_use_the_greedy_matcher() -> None:
    gold = [[C("search_news", query=str(i)) for i in range(9)]]
    pred = [C("search_news", query=str(i)) for i in reversed(range(9))]
    assert classify(pred, DOCS, gold).kind is E.CORRECT


# -------------------------------------------------------------------------------------------- helpers


def test_severity_order_is_the_documented_one() -> None:
    assert SEVERITY[0] is E.UNPARSABLE and SEVERITY[-1] is E.CORRECT
    assert set(SEVERITY) == set(ErrorKind)
    assert most_severe([E.CONTENT_ERROR, E.WRONG_TOOL, E.MISSING_PARAMETER]) is E.WRONG_TOOL
    assert most_severe([E.MISSING_PARAMETER, E.REDUNDANT_PARAMETER]) is E.MISSING_PARAMETER
    assert most_severe([]) is E.CORRECT


def test_normalisation() -> None:
    assert values_normalised_equal("Ｐａｒｉｓ  France", "paris france")
    assert values_normalised_equal("3", 3) and values_normalised_equal(3.0, "3")
    assert values_normalised_equal(["b", "a"], ["A", "B"])
    assert not values_normalised_equal("Paris", "London")
    assert normalise_value("True") is True
    deep: list = []
    cur = deep
    for _ in range(100):
        cur.append([])
        cur = cur[0]
    normalise_value(deep)  # no RecursionError


def test_type_matches_edge_cases() -> None:
    assert type_matches(1, {"type": ["string", "integer"]})
    assert not type_matches(1.5, {"type": "integer"})
    assert type_matches({"a": 1}, {"type": "dict"})
    assert type_matches("anything", {"type": "any"}) and type_matches(1, "not a schema")


def test_gold_alternatives_shapes() -> None:
    one = {"name": "f", "arguments": {"a": 1}}
    assert gold_alternatives(None) is None
    assert gold_alternatives(one) == [[ToolCall("f", {"a": 1})]]
    assert gold_alternatives([one, one]) == [[ToolCall("f", {"a": 1})], [ToolCall("f", {"a": 1})]]
    assert gold_alternatives([[one, one]]) == [[ToolCall("f", {"a": 1}), ToolCall("f", {"a": 1})]]
    assert gold_alternatives('{"name": "f", "arguments": "{\\"a\\": 1}"}') == [[ToolCall("f", {"a": 1})]]
    assert gold_alternatives({"Action": "f", "Action_Input": '{"a": 1}'}) == [[ToolCall("f", {"a": 1})]]
    assert gold_alternatives([[]]) == [[]]
    for bad in ({"nome": "f"}, 3, [3], "text without a format"):
        with pytest.raises(ValueError):
            gold_alternatives(bad)
