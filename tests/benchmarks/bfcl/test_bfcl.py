"""BFCL-v3 exec scorer: gold ceilings, every executable-checker fact and quirk of the research note."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.base import Item, LoadReport
from benchmarks.bfcl import BFCL_ALL, Bfcl, decode_upstream, repair_counts, values_equal
from benchmarks.metrics import summary

B = BFCL_ALL


def _score(item: Item, output: str, mode: str = "upstream"):
    return B.score_item(item, output, mode)


def test_bfcl_counts_match_the_research_note(bfcl_items: dict[str, Item]) -> None:
    items = list(bfcl_items.values())
    assert len(items) == 240
    assert sum(it.metadata["executable"] for it in items) == 134
    assert sum(len(it.gold[0]) for it in items) == 450
    by_cat = {
        c: sum(it.scenario == c for it in items)
        for c in ("simple", "multiple", "parallel", "parallel_multiple")
    }
    assert by_cat == {"simple": 100, "multiple": 50, "parallel": 50, "parallel_multiple": 40}
    assert [it.index for it in items] == list(range(240))


@pytest.mark.parametrize("fixture", ["bfcl_items", "bfcl_release_items"])
def test_bfcl_gold_ceilings(fixture: str, request: pytest.FixtureRequest) -> None:
    items = list(request.getfixturevalue(fixture).values())
    up = summary([_score(it, B.gold_output(it), "upstream") for it in items])
    fx = summary([_score(it, B.gold_output(it), "fixed") for it in items])
    assert up["exec_accuracy"] == 100.0 and up["exec_n"] == 134
    # upstream drops the positional argument of exec_parallel_multiple_18's gold calculate_mean([1,3,4,6,8])
    assert (up["TS"], up["PI"], up["CF"]) == (100.0, 99.58, 99.58)
    assert (fx["TS"], fx["PI"], fx["CF"], fx["exec_accuracy"]) == (100.0, 100.0, 100.0, 100.0)


def test_bfcl_repair_counts(bfcl_data_dir: Path) -> None:
    assert repair_counts(bfcl_data_dir) == {
        "positional": 1,
        "unary_plus": 0,
        "python_parser": 0,
        "exec_names": 0,
        "undocumented_params": 0,
    }


def test_bfcl_positional_dropped_upstream_mapped_fixed(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_simple_20"]  # calculate_triangle_area(base=500, height=300)
    up = _score(it, "calculate_triangle_area(500, 300)")
    assert up.exec is False and up.ts and not up.pi
    fx = _score(it, "calculate_triangle_area(500, 300)", "fixed")
    assert fx.exec is True and fx.cf


def test_bfcl_numbers_as_strings_fail(bfcl_items: dict[str, Item]) -> None:
    s = _score(bfcl_items["exec_simple_0"], "calc_binomial_probability(n='20', k=5, p=0.6)")
    assert s.exec is False and s.pi and not s.cf


def test_bfcl_int_as_float_passes_only_where_result_equal(bfcl_items: dict[str, Item]) -> None:
    assert (
        _score(bfcl_items["exec_simple_20"], "calculate_triangle_area(base=500.0, height=300.0)").exec is True
    )
    assert _score(bfcl_items["exec_simple_64"], "math_factorial(n=7.0)").exec is False
    assert _score(bfcl_items["exec_simple_64"], "math_factorial(n=7)").exec is True


def test_bfcl_no_numeric_tolerance_and_constant_arithmetic(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_multiple_0"]  # calc_binomial_probability(n=20, k=5, p=1/6)
    for text in (
        "calc_binomial_probability(n=20, k=5, p=1/6)",
        "calc_binomial_probability(n=20, k=5, p=0.16666666666666666)",
    ):
        s = _score(it, text)
        assert s.exec is True and s.cf
    s = _score(it, "calc_binomial_probability(n=20, k=5, p=0.1667)")
    assert s.exec is False and not s.cf


def test_bfcl_call_count_must_equal_gold(bfcl_items: dict[str, Item]) -> None:
    one = "calculate_triangle_area(base=500, height=300)"
    assert _score(bfcl_items["exec_simple_20"], f"[{one}, {one}]").exec is False
    par = bfcl_items["exec_parallel_10"]
    calls = [c.raw for c in par.gold[0]]
    assert _score(par, "[" + ", ".join(calls[:2]) + "]").exec is False
    assert _score(par, "[" + ", ".join([*calls, calls[0]]) + "]").exec is False
    assert _score(par, "[]").exec is False


def test_bfcl_parallel_is_order_free_and_one_to_one(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_parallel_39"]  # four sort_array calls
    calls = [c.raw for c in it.gold[0]]
    s = _score(it, "[" + ", ".join(reversed(calls)) + "]")
    assert s.exec is True and s.cf and s.detail["pairing"] == [3, 2, 1, 0]
    dup = _score(it, "[" + ", ".join([calls[0], calls[0], calls[2], calls[3]]) + "]")
    assert dup.exec is False and not dup.cf


def test_bfcl_names_are_case_sensitive(bfcl_items: dict[str, Item]) -> None:
    s = _score(bfcl_items["exec_simple_20"], "Calculate_Triangle_Area(base=500, height=300)")
    assert s.exec is False and not s.ts


@pytest.mark.parametrize(
    ("text", "upstream", "fixed"),
    [
        ("calculate_triangle_area(base=500, height=300)", True, True),
        ("[calculate_triangle_area(base=500, height=300)]", True, True),
        ("```\ncalculate_triangle_area(base=500, height=300)\n```", True, True),
        ("```python\ncalculate_triangle_area(base=500, height=300)\n```", False, True),
        ("Sure! calculate_triangle_area(base=500, height=300)", False, False),
        ("calculate_triangle_area(base=500, height=300) is the call you need.", False, False),
        ("I cannot help with that.", False, False),
    ],
)
def test_bfcl_fences_and_prose(bfcl_items: dict[str, Item], text: str, upstream: bool, fixed: bool) -> None:
    it = bfcl_items["exec_simple_20"]
    assert _score(it, text, "upstream").exec is upstream
    assert _score(it, text, "fixed").exec is fixed


def test_bfcl_unary_plus_is_minus_upstream_plus_fixed(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items[
        "exec_simple_6"
    ]  # calculate_displacement(initial_velocity=15.0, acceleration=9.8, time=10)
    text = "calculate_displacement(initial_velocity=+15.0, acceleration=9.8, time=10)"
    up = _score(it, text)
    assert up.exec is False and up.calls[0].arguments["initial_velocity"] == -15.0
    assert _score(it, text, "fixed").exec is True
    assert decode_upstream("f(a=-2)").calls[0].arguments == {"a": -2}


def test_bfcl_exec_names_repair(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items[
        "exec_simple_8"
    ]  # calculate_electrostatic_potential_energy(charge=5.0, voltage=10.0) = 50.0
    text = "calculate_density(mass=50.0, volume=1.0)"  # another function, the same result
    assert _score(it, text, "upstream").exec is True
    assert _score(it, text, "fixed").exec is False


def test_bfcl_undocumented_gold_param_repair(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_multiple_45"]  # gold book_room(... price=1000 ...), price not in this item's docs
    assert "price" not in next(d for d in it.tools if d.name == "book_room").properties
    text = "book_room(room_type='deluxe', check_in_date='08-11-2024', check_out_date='08-15-2024', customer_id='123')"
    up, fx = _score(it, text, "upstream"), _score(it, text, "fixed")
    assert up.ts and not up.pi
    assert fx.pi and fx.cf


def test_bfcl_defaults_count_as_omitted(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_parallel_39"]
    calls = [c.raw for c in it.gold[0]]
    calls[0] = "sort_array(array=[5, 2, 9, 1, 7], reverse=False)"
    s = _score(it, "[" + ", ".join(calls) + "]")
    assert s.pi and s.cf and s.exec


def test_bfcl_lambda_strings_compared_by_syntax_tree(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_simple_24"]  # estimate_derivative(function='lambda x: 3*x**2 + 2*x + 1', x=5)
    s = _score(it, "estimate_derivative(function='lambda x:3*x**2+2*x+1', x=5)")
    assert s.cf and s.exec is True
    bad = _score(it, "estimate_derivative(function=\"lambda x: __import__('os').getpid()\", x=5)")
    assert bad.exec is False and not bad.cf
    assert not values_equal("lambda x: x**2", "lambda x: x**3")


def test_bfcl_live_items_fall_back_to_cf(bfcl_items: dict[str, Item]) -> None:
    it = bfcl_items["exec_simple_30"]  # get_active_covid_case_by_country: live
    assert it.metadata["executable"] is False
    good = _score(it, B.gold_output(it))
    assert good.exec is None and good.correct and "fallback" in good.detail
    bad = _score(it, "get_active_covid_case_by_country(country='Peru')")
    assert bad.exec is None and bad.ts and bad.pi and not bad.cf and not bad.correct


def test_bfcl_release_differences(bfcl_items: dict[str, Item], bfcl_release_items: dict[str, Item]) -> None:
    fixed30, rel30 = bfcl_items["exec_parallel_multiple_30"], bfcl_release_items["exec_parallel_multiple_30"]
    assert len(fixed30.gold[0]) == 2 and fixed30.metadata["stale_result_types"]
    assert len(rel30.gold[0]) == 3 and not rel30.metadata["stale_result_types"]
    assert "get_zipcode_by_ip_address" in {c.name for c in rel30.gold[0]}
    # the fixed gold (2 calls) fails against the release's 3-call gold, and vice versa
    assert not B.score_item(rel30, B.gold_output(fixed30)).ts
    assert not B.score_item(fixed30, B.gold_output(rel30)).ts
    f10, r10 = bfcl_items["exec_parallel_10"], bfcl_release_items["exec_parallel_10"]
    assert "25 feet" in r10.messages[0]["content"] and "25 feet" not in f10.messages[0]["content"]
    assert [c.arguments for c in f10.gold[0]] == [c.arguments for c in r10.gold[0]]


@pytest.mark.parametrize("output", ["", "[", "[1, 2]", "f(**x)", "x" * 300_000, "((((" * 200])
def test_bfcl_bad_output_never_crashes(bfcl_items: dict[str, Item], output: str) -> None:
    for mode in ("upstream", "fixed"):
        s = _score(bfcl_items["exec_parallel_39"], output, mode)
        assert not s.ts and s.exec is False and not s.parsed


def test_bfcl_call_as_value_is_text_never_run(bfcl_items: dict[str, Item]) -> None:
    # upstream reads a call without keyword arguments as its source text; fixed refuses it
    it = bfcl_items["exec_parallel_39"]
    up = _score(it, "[f(a=__import__('os'))]")
    assert up.parsed and up.calls[0].arguments == {"a": "__import__('os')"} and up.exec is False
    assert not _score(it, "[f(a=__import__('os'))]", "fixed").parsed


def test_bfcl_loader_reports_bad_lines_and_goes_on(bfcl_data_dir: Path, tmp_path: Path) -> None:
    src = bfcl_data_dir / "bfcl_v3_exec"
    dst = tmp_path / "bfcl_v3_exec"
    (dst / "possible_answer").mkdir(parents=True)
    q = (src / "BFCL_v3_exec_simple.json").read_text().splitlines()[:3]
    a = (src / "possible_answer" / "BFCL_v3_exec_simple.json").read_text().splitlines()[:3]
    (dst / "BFCL_v3_exec_simple.json").write_text("\n".join([q[0], "{not json", q[1], q[2]]) + "\n")
    a[2] = a[2].replace("calculate_cosine_similarity(", "calculate_cosine_similarity((")
    (dst / "possible_answer" / "BFCL_v3_exec_simple.json").write_text("\n".join(a) + "\n")
    report = LoadReport()
    items = Bfcl("t", ("simple",)).load(tmp_path, report)
    assert [it.id for it in items] == ["exec_simple_0", "exec_simple_1"]
    assert any("BFCL_v3_exec_simple.json:2" in w for w in report.warnings)
    assert any("exec_simple_2 skipped" in w for w in report.warnings)


def test_bfcl_registry_names_resolve() -> None:
    from benchmarks import BENCHMARKS

    for name in (
        "bfcl-v3-exec",
        "bfcl-v3-exec-simple",
        "bfcl-v3-exec-multiple",
        "bfcl-v3-exec-parallel",
        "bfcl-v3-exec-parallel-multiple",
    ):
        bench = BENCHMARKS.get(name)
        assert bench.name == name and bench.default_format == "python"


def test_bfcl_unknown_mode_and_release_are_usage_errors(
    bfcl_items: dict[str, Item], bfcl_data_dir: Path
) -> None:
    from tlbench.errors import UsageError

    with pytest.raises(UsageError):
        _score(bfcl_items["exec_simple_0"], "x", "lenient")
    with pytest.raises(UsageError):
        Bfcl("x", release="v9").load(bfcl_data_dir)


# Issue 20 §3: BFCL's prompting decoder as the official one reads it (each verified against gorilla's
# default_decode_ast_prompting at d6b5fb8; None = the official decoder raises).
@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # the call list's ends are stripped of every '[', ']' and "'" after the wrapping
        ("['math_gcd(a=450, b=300)']", [("math_gcd", {"a": 450, "b": 300})]),
        ("[math_gcd(a=450, b=300)]]", [("math_gcd", {"a": 450, "b": 300})]),
        ("[math_gcd(a=450, b=300)] # done", None),  # the appended ']' ends up in the comment
        ("[\n  math_gcd(a=450, b=300)\n]", None),  # indented once the bracket is gone
        (
            "{math_gcd(a=4, b=2), math_lcm(a=4, b=2)}",
            [("math_gcd", {"a": 4, "b": 2}), ("math_lcm", {"a": 4, "b": 2})],
        ),
        # any unary operator on a constant negates it; on anything else it fails
        ("[geometry_area_circle(radius=not 15)]", [("geometry_area_circle", {"radius": -15})]),
        ("[f(a=~5, b=+3)]", [("f", {"a": -5, "b": -3})]),
        ("[math_gcd(a=-(-450), b=300)]", None),
        # arithmetic with Python's semantics, sequences included
        ("[calculate_mean(numbers=[1, 2] + [3])]", [("calculate_mean", {"numbers": [1, 2, 3]})]),
        ("[f(s='ab' + 'cd', t='ab' * 2)]", [("f", {"s": "abcd", "t": "abab"})]),
        # names, calls, subscripts and ... as text (a call with keywords as a dict)
        ("[sort_array(array=[3, 1], reverse=true)]", [("sort_array", {"array": [3, 1], "reverse": "true"})]),
        ("[f(a=float(5), b=dict(x=1))]", [("f", {"a": "float(5)", "b": {"dict": {"x": 1}}})]),
        ("[f(a=x[0], b=...)]", [("f", {"a": "x[0]", "b": "..."})]),
        ("[f(a=lambda x: x)]", None),
        ("[f(a=math.pi)]", None),
    ],
)
def test_bfcl_upstream_decoder_reads_as_gorilla(output: str, expected: list | None) -> None:
    got = decode_upstream(output)
    if expected is None:
        assert not got.ok
    else:
        assert [(c.name, dict(c.arguments)) for c in got.calls] == expected


def test_bfcl_tuple_vertices_fail_polygon_area_upstream(bfcl_items: dict[str, Item]) -> None:
    # the official polygon_area appends to its argument: a tuple of vertices raises AttributeError
    it = bfcl_items["exec_simple_98"]  # polygon_area(vertices=[[1,2],[3,4],[1,3]])
    assert _score(it, "[polygon_area(vertices=[[1, 2], [3, 4], [1, 3]])]").exec is True
    tup = _score(it, "[polygon_area(vertices=([1, 2], [3, 4], [1, 3]))]")
    assert tup.exec is False and tup.cf  # the arguments are equal; only the execution fails
