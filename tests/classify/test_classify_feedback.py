"""Execution feedback -> ErrorKind, for every upstream text (rotbench_tooleyes.md §4.1, TL-Training App. C)."""

from __future__ import annotations

import pytest

from tlbench.classify import classify_feedback, classify_feedback_detail
from tlbench.types import ErrorKind, Feedback

E = ErrorKind

FORMAT_ERROR = (
    "Your output format does not match the specified format, please revise your answer to follow the desired "
    "format.\n\nDesired format:\nThought: <The thought>\nAction: <The tool you take to>\nAction Input: <The "
    "parameters for the tool, you should provide a dict similar to {parameter_1: value_1, parameter_2: value 2} "
    "to call action.>"
)

CASES = [
    # format
    (FORMAT_ERROR, E.UNPARSABLE),
    # tool hallucination
    (
        "cannot import name 'get_wether' from 'Weather.weatherapi.tool' (/x/Tool_Library/Weather/tool.py)",
        E.TOOL_HALLUCINATION,
    ),
    ("name 'linguistic_analysis' is not defined", E.TOOL_HALLUCINATION),
    ("name 'functions' is not defined", E.TOOL_HALLUCINATION),
    ("invalid syntax (<string>, line 1)", E.TOOL_HALLUCINATION),
    ("module 'tools' has no attribute 'get_x'", E.TOOL_HALLUCINATION),
    # parameters
    ("get_translation_nllb() missing 1 required positional argument: 'max_length'", E.MISSING_PARAMETER),
    ("get_response() missing 2 required positional arguments: 'params' and 'url'", E.MISSING_PARAMETER),
    ("f() missing 1 required keyword-only argument: 'k'", E.MISSING_PARAMETER),
    ("list_properties() got an unexpected keyword argument 'resultSize'", E.PARAMETER_HALLUCINATION),
    ("f() takes 1 positional argument but 2 were given", E.PARAMETER_HALLUCINATION),
    # tool call failures (exception texts and error payloads)
    ("'<' not supported between instances of 'str' and 'int'", E.TOOL_CALL_FAILURE),
    ("'>=' not supported between instances of 'str' and 'int'", E.TOOL_CALL_FAILURE),
    ("Object of type bytes is not JSON serializable", E.TOOL_CALL_FAILURE),
    ("Object of type SerpResults is not JSON serializable", E.TOOL_CALL_FAILURE),
    ("Object of type IsADirectoryError is not JSON serializable", E.TOOL_CALL_FAILURE),
    ("invalid literal for int() with base 10: 'abc'", E.TOOL_CALL_FAILURE),
    ("slice indices must be integers or None or have an __index__ method", E.TOOL_CALL_FAILURE),
    ("local variable 'region' referenced before assignment", E.TOOL_CALL_FAILURE),
    ("unsupported type for timedelta days component: str", E.TOOL_CALL_FAILURE),
    ("'related_searches'", E.TOOL_CALL_FAILURE),
    ("'da'", E.TOOL_CALL_FAILURE),
    ("list index out of range", E.TOOL_CALL_FAILURE),
    ("400 Client Error: Bad Request for url: https://x", E.TOOL_CALL_FAILURE),
    ("Invalid API call", E.TOOL_CALL_FAILURE),
    ("HTTP Error 404: Not Found", E.TOOL_CALL_FAILURE),
    ("ValueError: bad date", E.TOOL_CALL_FAILURE),
    ('{"error": "No activity found with the specified parameters"}', E.TOOL_CALL_FAILURE),
    ('{"error": "Failed to query due to error in arguments"}', E.TOOL_CALL_FAILURE),
    ("{'error': 'bad symbol'}", E.TOOL_CALL_FAILURE),
    (
        '{"errors": [{"code": "DIS1004", "detail": "Resource not found", "status": "404"}]}',
        E.TOOL_CALL_FAILURE,
    ),
    ('{"status": "failure", "code": 401, "message": "You are not authorized."}', E.TOOL_CALL_FAILURE),
    # instability
    ('{"error": "connection error."}', E.TOOL_INSTABILITY),
    (
        "HTTPSConnectionPool(host='api.x.com', port=443): Max retries exceeded with url: /v1",
        E.TOOL_INSTABILITY,
    ),
    ("HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=10)", E.TOOL_INSTABILITY),
    ("[Errno 111] Connection refused", E.TOOL_INSTABILITY),
    ("503 Server Error: Service Unavailable for url: https://x", E.TOOL_INSTABILITY),
    ("HTTP Error 500: Internal Server Error", E.TOOL_INSTABILITY),
    ("429 Client Error: Too Many Requests", E.TOOL_INSTABILITY),
    (
        '{"message":"You have exceeded the rate limit per minute for your plan, BASIC, by the API provider"}',
        E.TOOL_INSTABILITY,
    ),
    ("ConnectionError: remote end closed connection without response", E.TOOL_INSTABILITY),
    ("Expecting value: line 1 column 1 (char 0)", E.TOOL_INSTABILITY),
    ("observation not recorded for this call", E.TOOL_INSTABILITY),
    ("\x00\x00garbled", E.TOOL_INSTABILITY),
    ("\ufffd\ufffd\ufffd\ufffd", E.TOOL_INSTABILITY),
    # normal observations
    ("Code executed successfully.", E.CORRECT),
    ("2023-10-28", E.CORRECT),
    ("open", E.CORRECT),
    ("", E.CORRECT),
    ("[]", E.CORRECT),
    ("{}", E.CORRECT),
    ('{"get": "drivers", "errors": [], "results": 0, "response": []}', E.CORRECT),
    ('{"page": 1, "took": 23, "timed_out": false, "total": 41812}', E.CORRECT),
    ('{"status": {"error_code": 0, "error_message": null}, "data": [1]}', E.CORRECT),
    ('{"status_code": 200, "response": [{"status_code": 400, "error": "Invalid Domain"}]}', E.CORRECT),
    ('{"activity": "Learn Kotlin", "type": "education", "participants": 1', E.CORRECT),  # truncated JSON
    ("Please specify a date and try again.", E.CORRECT),
]


@pytest.mark.parametrize(("text", "kind"), CASES, ids=[c[0][:40] for c in CASES])
def test_feedback_text(text: str, kind: ErrorKind) -> None:
    assert classify_feedback(text) is kind


def test_feedback_object_keeps_its_category() -> None:
    fb = Feedback(category=E.TOOL_INSTABILITY, text="name 'x' is not defined", tool="x")
    assert classify_feedback(fb) is E.TOOL_INSTABILITY
    assert classify_feedback_detail(fb).tool == "x"
    assert classify_feedback(None) is E.CORRECT


def test_detail_names() -> None:
    d = classify_feedback_detail("get_response() missing 2 required positional arguments: 'params' and 'url'")
    assert (d.kind, d.tool, d.params) == (E.MISSING_PARAMETER, "get_response", ("params", "url"))
    d = classify_feedback_detail("list_properties() got an unexpected keyword argument 'resultSize'")
    assert (d.tool, d.params) == ("list_properties", ("resultSize",))
    assert classify_feedback_detail("cannot import name 'foo' from 'a.b' (/p)").tool == "foo"
    assert classify_feedback_detail("name 'bar' is not defined").tool == "bar"


#: Long observations: a 1 MB JSON result and 1 MB of prose are observations, not errors; the other three are
#: hostile to naive scanners. Their speed is measured by tests/perf/bench_worst_case.py (target < 2 s in all),
#: the classifier's rate on short texts by tests/perf/bench_parse_classify.py (>= 20,000 feedbacks/s).
LONG_OBSERVATIONS: list[tuple[str, E | None]] = [
    (
        '{"results": [' + ",".join('{"title": "error handling timeout"}' for _ in range(30_000)) + "]}",
        E.CORRECT,
    ),
    ("x" * 1_000_000 + " Traceback (most recent call last)", E.CORRECT),
    ("'" * 200_000 + "a" * 200_000, None),
    ("[" * 100_000, None),
    ("{" * 100_000, None),
]


def test_long_observation_is_correct() -> None:
    for text, want in LONG_OBSERVATIONS:
        got = classify_feedback(text)
        assert isinstance(got, E) and (want is None or got is want), (text[:40], got)


def test_tools_env_type_mismatch_texts_map_to_type_mismatch() -> None:
    from tlbench.classify import classify_feedback_detail

    d = classify_feedback_detail("TypeError: f() argument 'p' must be integer, not str")
    assert d.kind is ErrorKind.TYPE_MISMATCH and d.tool == "f" and d.params == ("p",)
    assert (
        classify_feedback("ValueError: get_x() argument 'unit' must be one of ['c', 'f'], not 'k'")
        is ErrorKind.TYPE_MISMATCH
    )
