"""Property tests: arbitrary (adversarial) inputs never crash the classifier, feedback mapper or doc loaders."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlbench.classify import check_against_docs, classify, classify_call, classify_feedback, normalise_value
from tlbench.docs import docs_from_any, docs_from_python_signatures
from tlbench.reward import irm_reward
from tlbench.types import ErrorKind, ToolCall, ToolDoc

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Composite inputs (calls x docs x gold) are costly to generate: fewer examples keep the suite fast.
COMPOSITE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["f", "g", "get_x", "getX", "finish", "", "f.g", "Ünï"]) | st.text(max_size=12)
calls = st.builds(
    ToolCall, name=names, arguments=st.dictionaries(st.text(max_size=6), json_values, max_size=5)
)
schemas = st.dictionaries(
    st.sampled_from(["type", "enum", "items", "properties", "required", "default"]), json_values, max_size=4
)
docs = st.lists(
    st.builds(
        ToolDoc,
        name=names,
        parameters=st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.dictionaries(st.text(max_size=6), schemas, max_size=4),
            }
        ),
        required=st.lists(st.text(max_size=6), max_size=3).map(tuple),
        defaults=st.dictionaries(st.text(max_size=6), json_values, max_size=2),
    ),
    max_size=4,
)


@COMPOSITE
@given(calls, docs, st.lists(calls, max_size=3))
def test_classify_call_never_raises(call: ToolCall, doc_list: list[ToolDoc], gold: list[ToolCall]) -> None:
    cv = classify_call(call, doc_list, gold)
    assert isinstance(cv.kind, ErrorKind)
    assert check_against_docs(call, doc_list).kind in ErrorKind


@COMPOSITE
@given(st.lists(calls, max_size=4), docs, st.lists(st.lists(calls, max_size=3), max_size=3))
def test_classify_turn_never_raises(pred: list[ToolCall], doc_list: list[ToolDoc], gold: list) -> None:
    verdict = classify(pred, doc_list, gold)
    assert -2.0 <= irm_reward(verdict) <= 1.0


@FAST
@given(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_feedback_never_raises(text: str) -> None:
    assert classify_feedback(text) in ErrorKind
    assert classify_feedback("{" + text) in ErrorKind
    assert classify_feedback("'" + text + "'") in ErrorKind


@FAST
@given(st.text(max_size=300))
def test_python_signature_loader_never_raises(text: str) -> None:
    docs_from_python_signatures(text)
    docs_from_python_signatures("def f(" + text + "):\n    pass\n")


@FAST
@given(json_values)
def test_docs_from_any_never_raises_on_json(value: object) -> None:
    try:
        docs_from_any(value)
    except Exception as exc:  # only DataError is allowed (e.g. a system prompt without a tool list)
        from tlbench.errors import DataError

        assert isinstance(exc, DataError)
    normalise_value(value)


#: Feedback texts hostile to naive regexes (quadratic backtracking); tests/perf/bench_worst_case.py times them
#: (linear time: < 2 s for all of them).
ADVERSARIAL_FEEDBACK = [
    "a" * 1_000_000,
    "'" * 1_000_000,
    "f() missing 1 required positional argument: " + "'" * 500_000,
    "name '" + "x" * 500_000,
    "{" * 500_000,
    '{"error": "' + "timeout " * 100_000 + '"}',
    "\x00" * 100_000,
]


def test_adversarial_feedback_is_classified() -> None:
    for p in ADVERSARIAL_FEEDBACK:
        assert isinstance(classify_feedback(p), ErrorKind), p[:40]
