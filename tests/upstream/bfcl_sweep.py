"""A seeded sweep of BFCL-v3 exec predictions built from the public gold calls (issue 20, section 3).

Every item of the four exec categories (gorilla ``d6b5fb8`` data, 240 items) gets predictions in BFCL's
prompting format (``[func(a=1), g(b='x')]``): ``PER_EXEC_ITEM`` for each of the 134 items whose gold calls
run offline (the executable checker's verdict is compared there) and ``PER_LIVE_ITEM`` for each of the 106
items with a live-web call (only the decoder's reading is compared). Each prediction is the item's gold
call list mutated by one *kind* of mutation; the kinds cycle through :data:`KINDS` in a fixed order, so
every kind meets every category. They cover ``benchmarks/bfcl``'s rules and quirks:

* values: changed numbers, strings, lists and booleans; retyped (``5`` / ``5.0`` / ``"5"`` / ``[5]``,
  list / tuple); arithmetic (``10/2``, ``5*2``, ``1/6``), a unary ``+`` (read as ``-``) and ``-(-x)``,
  ``not`` / ``~``, bare names, ``...``, ``None``, quoting styles, string and list concatenation, subscripts,
  attributes, calls, lambdas and sets as values, non-finite numbers, the documented defaults;
* keys: missing, extra (documented optional and undocumented), renamed, positional arguments;
* names: another function of the item, re-cased, misspelt, dotted;
* calls: reordered, dropped, duplicated, an extra call;
* format breakage: no brackets, fences with and without a language tag, backticks, prose before or after,
  quotes around the call list, doubled brackets, tuples and sets of calls, semicolons, newlines, a trailing
  comma, truncation, JSON instead of calls, ``Call:`` prefix, empty output.

Determinism: each prediction has its own ``random.Random`` seeded with a string (CPython's version-2
string seeding hashes it with SHA-512: the same stream on every Python 3), only ``random()``,
``randrange()``, ``choice()`` and ``shuffle()`` are drawn, values are written with ``repr`` of ints, strings
and floats (stable since Python 3.1) and :func:`json.dumps`. :func:`fingerprint` is the SHA-256 of the
sweep; the verdict file records it.

:func:`canonical_calls` is the one text form of a decoded call list that both sides are compared in.

Standard library only (no tlbench import): the same module produced the official verdicts in a scratch
environment that runs gorilla's checker (see ``test_bfcl_agreement.py``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = "tlbench-issue20-bfcl-v1"
PER_EXEC_ITEM = 75
PER_LIVE_ITEM = 25
CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple")
#: The 19 functions that call a live web API (the other 32 are pure; research note bfcl_toolalpaca.md §1.5).
#: A copy of ``tools_env.impls.bfcl_exec.LIVE_FUNCTIONS``, because this module runs without tlbench; the
#: agreement test checks that the two are equal.
LIVE = frozenset(
    {
        "get_weather_data",
        "get_coordinate_by_ip_address",
        "get_zipcode_by_ip_address",
        "retrieve_city_based_on_zipcode",
        "retrieve_holiday_by_year",
        "convert_currency",
        "get_coordinates_from_city",
        "get_movie_rating",
        "get_movie_director",
        "find_term_on_urban_dictionary",
        "get_covid_death_by_country",
        "get_active_covid_case_by_country",
        "get_rating_by_amazon_ASIN",
        "get_price_by_amazon_ASIN",
        "get_product_name_by_amazon_ASIN",
        "get_company_name_by_stock_name",
        "get_stock_price_by_stock_name",
        "get_stock_history",
        "get_time_zone_by_coord",
    }
)


@dataclass(frozen=True, slots=True)
class Case:
    """One swept prediction: the item id (``exec_simple_0``), whether it runs offline, the mutation, the text."""

    id: str
    executable: bool
    kind: str
    output: str


@dataclass(frozen=True, slots=True)
class Item:
    """What the generator needs of one item: id, category, docs, gold call strings and result types."""

    id: str
    category: str
    functions: list[dict[str, Any]]
    gold: list[str]
    result_types: list[str]

    @property
    def executable(self) -> bool:
        """All gold calls use pure functions and are checked by exact match (the 134 offline items)."""
        names = {_parse(g)[0] for g in self.gold}
        types = self.result_types[: len(self.gold)]
        return not names & LIVE and all(t == "exact_match" for t in types)


# ------------------------------------------------------------------------------------------ gold calls

Arg = tuple[str | None, str]  # (keyword or None for positional, value source text)


def _parse(text: str) -> tuple[str, list[Arg]]:
    """A gold call string's name and arguments (value source text kept verbatim)."""
    text = text.strip()
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call)
    name = ast.unparse(node.func)
    args: list[Arg] = [(None, ast.get_source_segment(text, a) or ast.unparse(a)) for a in node.args]
    args += [(k.arg, ast.get_source_segment(text, k.value) or ast.unparse(k.value)) for k in node.keywords]
    return name, args


def _render(name: str, args: Sequence[Arg], eq: str = "=") -> str:
    return name + "(" + ", ".join(v if k is None else f"{k}{eq}{v}" for k, v in args) + ")"


def _listing(calls: Sequence[str], sep: str = ", ") -> str:
    return "[" + sep.join(calls) + "]"


# ------------------------------------------------------------------------------------- value mutations


def _literal(src: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(src)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _changed(src: str, rng: random.Random) -> str:
    ok, v = _literal(src)
    if not ok:
        return rng.choice(["7", "0.5", "'x'"])
    if isinstance(v, bool):
        return repr(not v)
    if isinstance(v, int):
        return repr(rng.choice([v + 1, v - 1, v * 2 + 1, -v - 3]))
    if isinstance(v, float):
        return repr(rng.choice([v + 0.5, v * 1.1 + 0.01, -v - 1.0, round(v, 1) + 0.05]))
    if isinstance(v, str):
        if v.startswith("lambda"):
            return repr(v.replace("2", "3", 1) if "2" in v else v + " + 1")
        return repr(rng.choice([v + "x", v.upper() + "Q", v[::-1] + "!", ""]))
    if isinstance(v, list | tuple):
        if not v:
            return repr(type(v)([1]))
        items = list(v)
        i = rng.randrange(len(items))
        items[i] = _literal(_changed(repr(items[i]), rng))[1]
        if rng.random() < 0.3:
            items = items[:-1]
        return repr(type(v)(items))
    if isinstance(v, dict):
        return repr({**v, "extra": 1})
    return "1"


def _retyped(src: str, rng: random.Random) -> str:
    ok, v = _literal(src)
    if not ok:
        return repr(src)
    if isinstance(v, bool):
        return rng.choice(["1", "0", repr(str(v)), "true" if v else "false"])
    if isinstance(v, int):
        return rng.choice([repr(float(v)), repr(str(v)), repr([v])])
    if isinstance(v, float):
        return rng.choice([repr(int(v)) if v == int(v) else repr(round(v)), repr(str(v)), repr([v])])
    if isinstance(v, str):
        try:
            return repr(int(v))
        except ValueError:
            return rng.choice([repr([v]), repr(len(v)), "None"])
    if isinstance(v, tuple):
        return repr(list(v))
    if isinstance(v, list):
        return rng.choice([repr(tuple(v)), repr(str(v)), repr(v[0] if v else 0)])
    return repr(str(v))


def _int_float(src: str, rng: random.Random) -> str:
    ok, v = _literal(src)
    if ok and isinstance(v, int) and not isinstance(v, bool):
        return repr(float(v))
    if ok and isinstance(v, float) and v == int(v):
        return repr(int(v))
    if ok and isinstance(v, list | tuple) and v and all(isinstance(x, int | float) for x in v):
        out = [float(x) if isinstance(x, int) else (int(x) if x == int(x) else x) for x in v]
        return repr(type(v)(out))
    return src


def _expression(src: str, rng: random.Random) -> str:
    ok, v = _literal(src)
    if ok and isinstance(v, int) and not isinstance(v, bool):
        return rng.choice(
            [f"{v - 1} + 1", f"{v * 2} / 2", f"{v} * 1", f"({v} + 0)", f"{v + 3} - 3", f"{v} // 1"]
        )
    if ok and isinstance(v, float):
        return rng.choice([f"{v!r} * 1", f"{v * 2!r} / 2", f"{v!r} + 0", f"({v!r})"])
    if ok and isinstance(v, str) and len(v) > 1:
        k = rng.randrange(1, len(v))
        return f"{v[:k]!r} + {v[k:]!r}"
    if ok and isinstance(v, list) and len(v) > 1:
        k = rng.randrange(1, len(v))
        return f"{v[:k]!r} + {v[k:]!r}"
    if ok and isinstance(v, tuple) and len(v) > 1:
        return f"{v[:1]!r} + {v[1:]!r}"
    return src


def _signed(src: str, rng: random.Random) -> str:
    ok, v = _literal(src)
    if ok and isinstance(v, int | float) and not isinstance(v, bool):
        if v < 0:
            return rng.choice([f"-({-v!r})", f"- {-v!r}", f"-(-({v!r}))"])
        return rng.choice([f"+{v!r}", f"-(-{v!r})", f"- -{v!r}", f"+ {v!r}"])
    return "+1"


def _odd_value(src: str, rng: random.Random) -> str:
    """Python expressions that BFCL's decoder reads in its own way (see the module docstring of bfcl.py)."""
    ok, v = _literal(src)
    word = v if ok and isinstance(v, str) and v.isidentifier() else "value"
    return rng.choice(
        [
            word,  # a bare name
            "...",
            "None",
            "True",
            f"[{src}][0]",  # a subscript
            "math.pi",  # an attribute
            f"float({src})",  # a call without keywords
            f"dict(value={src})",  # a call with keywords
            f"not {src}",
            "~5",
            "{1, 2}",  # a set
            "f'{x}'",  # an f-string
            "1e400",
            "-1e400",
            "lambda x: x**2",
            '"""triple"""',
            "'\\x41\\u00e9'",
            "1 < 2",
            "{'k': [1, 2], 'n': None}",
            "{}",
            "[]",
        ]
    )


# ------------------------------------------------------------------------------------------- mutators


@dataclass(frozen=True, slots=True)
class _Ctx:
    rng: random.Random
    item: Item
    calls: list[tuple[str, list[Arg]]]

    def docs(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.item.functions}

    def pick(self) -> int:
        return self.rng.randrange(len(self.calls))

    def out(self, calls: Sequence[tuple[str, Sequence[Arg]]]) -> str:
        return _listing([_render(n, a) for n, a in calls])


def _mutate_value(c: _Ctx, how: Callable[[str, random.Random], str]) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    i = c.pick()
    name, args = calls[i]
    if args:
        j = c.rng.randrange(len(args))
        args[j] = (args[j][0], how(args[j][1], c.rng))
    return c.out(calls)


def _k_gold_verbatim(c: _Ctx) -> str:
    return _listing(c.item.gold)


def _k_gold_bare(c: _Ctx) -> str:
    return ", ".join(c.item.gold)


def _k_gold_spaced(c: _Ctx) -> str:
    calls = [_render(n, a, eq=c.rng.choice([" = ", "= ", "="])) for n, a in c.calls]
    return c.rng.choice(
        ["[\n  " + ",\n  ".join(calls) + "\n]", _listing(calls, ",  "), " " + _listing(calls) + "\n"]
    )


def _k_fence_plain(c: _Ctx) -> str:
    return c.rng.choice(["```\n{}\n```", "`{}`", "```{}```", "\n\n{}\n\n"]).format(_listing(c.item.gold))


def _k_fence_tagged(c: _Ctx) -> str:
    return c.rng.choice(["```python\n{}\n```", "```json\n{}\n```", "```tool_code\n{}\n```"]).format(
        _listing(c.item.gold)
    )


def _k_prose_after(c: _Ctx) -> str:
    return _listing(c.item.gold) + c.rng.choice(
        [" I hope this helps!", "\nThese calls answer it.", " # done"]
    )


def _k_prose_before(c: _Ctx) -> str:
    return c.rng.choice(["Sure! ", "Here are the calls: ", "Call: ", "<tool_call>"]) + _listing(c.item.gold)


def _k_quoted(c: _Ctx) -> str:
    body = ", ".join(c.item.gold)
    return c.rng.choice([f"'{body}'", f'"{body}"', f"['{body}']", f"[{body!r}]"])


def _k_brackets(c: _Ctx) -> str:
    body = ", ".join(c.item.gold)
    return c.rng.choice([f"[[{body}]]", f"({body})", f"{{{body}}}", f"[{body},]", f"[{body}]]", f"[[{body}]"])


def _k_separators(c: _Ctx) -> str:
    return c.rng.choice(["; ", "\n", " ", " and "]).join(c.item.gold)


def _k_truncated(c: _Ctx) -> str:
    text = _listing(c.item.gold)
    return text[: c.rng.randrange(1, len(text))]


def _k_json_calls(c: _Ctx) -> str:
    calls = []
    for name, args in c.calls:
        values = {k or f"_{i}": (_literal(v)[1] if _literal(v)[0] else v) for i, (k, v) in enumerate(args)}
        calls.append({"name": name, "arguments": values})
    return json.dumps(calls if c.rng.random() < 0.5 else calls[0], default=str)


def _k_empty(c: _Ctx) -> str:
    return c.rng.choice(["", "[]", "None", "   ", "```\n```", "I cannot help with that.", "[None]", "[1, 2]"])


def _k_calls_shuffled(c: _Ctx) -> str:
    calls = list(c.calls)
    c.rng.shuffle(calls)
    return c.out(calls)


def _k_call_dropped(c: _Ctx) -> str:
    calls = list(c.calls)
    del calls[c.pick()]
    return c.out(calls)


def _k_call_duplicated(c: _Ctx) -> str:
    calls = list(c.calls)
    calls.insert(c.rng.randrange(len(calls) + 1), calls[c.pick()])
    return c.out(calls)


def _k_call_extra(c: _Ctx) -> str:
    calls = list(c.calls)
    name = c.rng.choice([f["name"] for f in c.item.functions])
    props = c.docs()[name]["parameters"]["properties"]
    args = [(p, c.rng.choice(["1", "2.5", "'x'", "[1, 2]"])) for p in props]
    calls.insert(c.rng.randrange(len(calls) + 1), (name, args))
    return c.out(calls)


def _k_name_other(c: _Ctx) -> str:
    calls = list(c.calls)
    i = c.pick()
    names = [f["name"] for f in c.item.functions if f["name"] != calls[i][0]] or ["calculate_mean"]
    calls[i] = (c.rng.choice(names), calls[i][1])
    return c.out(calls)


def _k_name_case(c: _Ctx) -> str:
    calls = list(c.calls)
    i = c.pick()
    n = calls[i][0]
    calls[i] = (c.rng.choice([n.upper(), n.capitalize(), n.lower() + "_", n.replace("_", "")]), calls[i][1])
    return c.out(calls)


def _k_name_typo(c: _Ctx) -> str:
    calls = list(c.calls)
    i = c.pick()
    n = calls[i][0]
    k = c.rng.randrange(1, len(n))
    calls[i] = (c.rng.choice([n[:k] + n[k + 1 :], n[:k] + "x" + n[k:]]), calls[i][1])
    return c.out(calls)


def _k_name_dotted(c: _Ctx) -> str:
    calls = list(c.calls)
    i = c.pick()
    calls[i] = (c.rng.choice(["functions.", "tools.", "api.v1."]) + calls[i][0], calls[i][1])
    return c.out(calls)


def _k_value_changed(c: _Ctx) -> str:
    return _mutate_value(c, _changed)


def _k_value_retyped(c: _Ctx) -> str:
    return _mutate_value(c, _retyped)


def _k_value_int_float(c: _Ctx) -> str:
    return _mutate_value(c, _int_float)


def _k_value_expression(c: _Ctx) -> str:
    return _mutate_value(c, _expression)


def _k_value_signed(c: _Ctx) -> str:
    return _mutate_value(c, _signed)


def _k_value_odd(c: _Ctx) -> str:
    return _mutate_value(c, _odd_value)


def _k_value_quotes(c: _Ctx) -> str:
    def requote(src: str, rng: random.Random) -> str:
        ok, v = _literal(src)
        if ok and isinstance(v, str):
            return rng.choice([json.dumps(v), repr(v), f"'''{v}'''" if "'" not in v else json.dumps(v)])
        if ok and isinstance(v, list | tuple):
            return json.dumps(list(v)) if rng.random() < 0.5 else src.replace(" ", "")
        return src

    return _mutate_value(c, requote)


def _k_values_all_changed(c: _Ctx) -> str:
    return c.out([(n, [(k, _changed(v, c.rng)) for k, v in a]) for n, a in c.calls])


def _k_key_dropped(c: _Ctx) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    i = c.pick()
    if calls[i][1]:
        del calls[i][1][c.rng.randrange(len(calls[i][1]))]
    return c.out(calls)


def _k_key_renamed(c: _Ctx) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    i = c.pick()
    args = calls[i][1]
    if args:
        j = c.rng.randrange(len(args))
        k = args[j][0] or "value"
        args[j] = (c.rng.choice([k + "s", k.upper(), k[:-1] or "k", "_" + k]), args[j][1])
    return c.out(calls)


def _k_key_extra(c: _Ctx) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    i = c.pick()
    name, args = calls[i]
    doc = c.docs().get(name, {}).get("parameters", {})
    given = {k for k, _ in args}
    optional = [p for p in doc.get("properties", {}) if p not in given]
    if optional and c.rng.random() < 0.6:
        p = c.rng.choice(optional)
        spec = doc["properties"][p]
        value = repr(spec["default"]) if "default" in spec else c.rng.choice(["1", "'x'", "True", "[1]"])
        args.append((p, value))
    else:
        args.append(
            (c.rng.choice(["extra", "verbose", "units", "precision"]), c.rng.choice(["1", "'x'", "None"]))
        )
    return c.out(calls)


def _k_key_default(c: _Ctx) -> str:
    # an optional parameter given with its documented default, or a defaulted one left out
    calls = [(n, list(a)) for n, a in c.calls]
    for name, args in calls:
        props = c.docs().get(name, {}).get("parameters", {}).get("properties", {})
        given = {k for k, _ in args}
        for p, spec in props.items():
            if "default" in spec and p not in given:
                args.append((p, repr(spec["default"])))
            elif "default" in spec and c.rng.random() < 0.5:
                args[:] = [(k, v) for k, v in args if k != p]
    return c.out(calls)


def _k_positional(c: _Ctx) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    i = c.pick()
    args = calls[i][1]
    if args:
        if c.rng.random() < 0.5:
            args[0] = (None, args[0][1])
        else:
            args[:] = [(None, v) for _, v in args]
    return c.out(calls)


def _k_key_order(c: _Ctx) -> str:
    calls = [(n, list(a)) for n, a in c.calls]
    for _, args in calls:
        kw = [a for a in args if a[0] is not None]
        c.rng.shuffle(kw)
        args[:] = [a for a in args if a[0] is None] + kw
    return c.out(calls)


def _k_lambda(c: _Ctx) -> str:
    # estimate_derivative's function argument: re-spaced text, another function, or a real lambda
    calls = [(n, list(a)) for n, a in c.calls]
    for _, args in calls:
        for j, (k, v) in enumerate(args):
            ok, val = _literal(v)
            if ok and isinstance(val, str) and val.strip().startswith("lambda"):
                body = val.strip()
                args[j] = (
                    k,
                    c.rng.choice(
                        [
                            repr(body.replace(" ", "")),
                            repr(body.replace(":", " : ").replace("+", " + ")),
                            repr(body.replace("x", "y")),
                            body,
                            repr(body + " + 0"),
                            repr("lambda x: x"),
                        ]
                    ),
                )
                return c.out(calls)
    return _mutate_value(c, _changed)


KINDS: tuple[tuple[str, Callable[[_Ctx], str]], ...] = tuple(
    (name[3:], fn) for name, fn in sorted(globals().items()) if name.startswith("_k_") and callable(fn)
)


# ---------------------------------------------------------------------------------------------- sweep


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_items(data_dir: Path | str) -> list[Item]:
    """The 240 items of ``bfcl_v3_exec/`` (questions + ``possible_answer/``), in benchmark order."""
    root = Path(data_dir) / "bfcl_v3_exec"
    items = []
    for cat in CATEGORIES:
        answers = {a["id"]: a for a in _jsonl(root / "possible_answer" / f"BFCL_v3_exec_{cat}.json")}
        for q in _jsonl(root / f"BFCL_v3_exec_{cat}.json"):
            a = answers[q["id"]]
            items.append(
                Item(q["id"], cat, q["function"], list(a["ground_truth"]), list(a["execution_result_type"]))
            )
    return items


def cases(data_dir: Path | str) -> list[Case]:
    """The whole sweep, in a fixed order (item by item); kinds cycle separately for the two item groups."""
    out: list[Case] = []
    counters = {True: 0, False: 0}
    for item in load_items(data_dir):
        executable = item.executable
        calls = [_parse(g) for g in item.gold]
        for j in range(PER_EXEC_ITEM if executable else PER_LIVE_ITEM):
            rng = random.Random(f"{SEED}|{item.id}|{j}")
            kind, fn = KINDS[counters[executable] % len(KINDS)]
            counters[executable] += 1
            out.append(Case(item.id, executable, kind, fn(_Ctx(rng, item, calls))))
    return out


def fingerprint(sweep: Sequence[Case]) -> str:
    """SHA-256 of the sweep (id, kind and text of every case, in order)."""
    h = hashlib.sha256()
    for c in sweep:
        h.update(f"{c.id}\t{c.kind}\t{c.output}\x00".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {
            (k if isinstance(k, str) else f"<{type(k).__name__}:{k!r}>"): _plain(v) for k, v in value.items()
        }
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return f"<{type(value).__name__}:{value!r}>"


def canonical_calls(calls: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """One line of JSON for a decoded call list: ``[[name, {arg: value}], ...]`` with keys sorted, tuples
    as lists, non-finite floats as ``Infinity``/``NaN``, other types tagged ``"<type:repr>"``. A decoder
    error and an empty call list are both ``[]`` (no calls: both score 0 everywhere)."""
    return json.dumps([[n, _plain(a)] for n, a in calls], sort_keys=True, ensure_ascii=True)
