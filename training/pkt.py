"""PKT (TL-Training §3.2): key tokens of a tool name and their loss weight.

For a tool name in a target turn, the key tokens are

* the first token of the name, and
* for every other candidate tool in the same prompt, the token at which the target's token sequence
  stops matching the sequence it would have had with that candidate written instead (on token ids, with
  the model's tokenizer). For ``search`` against ``search_news`` that is the token after the name: the
  decision to stop.

The shared-prefix tokens between are not key tokens (as in the authors' code). With ``K`` the key tokens of
a turn and ``NK`` its other target tokens, every key token weighs ``CLIP(|NK| / |K|, 1, w_max)`` (the paper's
w_max is 9); other target tokens weigh 1; prompt and observation tokens 0.

Divergence is found by tokenizing the target text twice (gold name, candidate name) and comparing ids;
the character where they part is then mapped onto the target's actual tokens, which may be the exact ids a
backend generated (see :func:`token_spans`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["NameSpan", "find_name_spans", "token_spans", "key_token_indices", "pkt_weight", "turn_weights"]


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A tool name at characters ``[start, end)`` of a target text."""

    name: str
    start: int
    end: int


_IDENT = re.compile(r"[A-Za-z0-9_.\-]")
#: Characters that may follow a name written as a call (``name(``, ``"name"``, ``Action: name\n``, end).
_CALL_FOLLOW = set("(\"'\n<`:,} ")


def find_name_spans(text: str, names: Sequence[str]) -> list[NameSpan]:
    """Where each called tool name (in call order) is written in ``text``.

    Each name is looked up after the previous one, as a whole word; occurrences that look like a call
    (followed by ``(``, a quote, a newline, ...) and are not inside a thought are preferred: the last
    whole-word occurrence before the next call's text wins over an earlier mention in prose.
    Names that cannot be found are skipped (they then get no key tokens).
    """
    spans: list[NameSpan] = []
    cursor = 0
    for name in names:
        if not name:
            continue
        hits = []
        for m in re.finditer(re.escape(name), text[cursor:]):
            s, e = cursor + m.start(), cursor + m.end()
            before = text[s - 1] if s > 0 else ""
            after = text[e] if e < len(text) else ""
            if (before and _IDENT.match(before)) or (after and _IDENT.match(after)):
                continue
            hits.append((s, e, after))
        if not hits:
            continue
        callish = [h for h in hits if h[2] == "" or h[2] in _CALL_FOLLOW and h[2] != " "]
        s, e, _ = (callish or hits)[0]
        spans.append(NameSpan(name, s, e))
        cursor = e
    return spans


def _decode(tokenizer: Any, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


def token_spans(
    tokenizer: Any, text: str, ids: Sequence[int] | None = None
) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of ``text`` and each token's character span in it.

    With ``ids`` (e.g. the exact ids a backend generated) the spans come from incremental decoding; without,
    ``text`` is tokenized (offset mapping when the tokenizer has one, incremental decoding otherwise).
    """
    if ids is None:
        try:
            enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            out_ids = list(enc["input_ids"])
            offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"]]
            if len(offsets) == len(out_ids):
                return out_ids, _fill_gaps(offsets, len(text))
        except (NotImplementedError, TypeError, ValueError, KeyError):
            pass
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    out_ids = list(ids)
    spans: list[tuple[int, int]] = []
    prev = 0
    for k in range(len(out_ids)):
        end = min(len(_decode(tokenizer, out_ids[: k + 1])), len(text))
        spans.append((prev, max(prev, end)))
        prev = max(prev, end)
    return out_ids, spans


def _fill_gaps(offsets: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Make spans contiguous (offset maps can skip whitespace that a token swallowed)."""
    out: list[tuple[int, int]] = []
    prev = 0
    for a, b in offsets:
        if a > prev:
            a = prev
        out.append((a, max(a, b)))
        prev = max(prev, b)
    return out


def _token_at(spans: Sequence[tuple[int, int]], char: int) -> int | None:
    """Index of the token covering ``char`` (or the first token starting at/after it)."""
    for k, (a, b) in enumerate(spans):
        if a <= char < b:
            return k
    for k, (a, _) in enumerate(spans):
        if a >= char:
            return k
    return None


def _divergence_char(
    tokenizer: Any, text: str, gold: tuple[list[int], list[tuple[int, int]]], span: NameSpan, other: str
) -> int | None:
    """The character of ``text`` where its tokenization parts from the one with ``other`` as the name."""
    variant = text[: span.start] + other + text[span.end :]
    gold_ids, gold_spans = gold
    var_ids = tokenizer(variant, add_special_tokens=False)["input_ids"]
    for k, (g, v) in enumerate(zip(gold_ids, var_ids, strict=False)):
        if g != v:
            return gold_spans[k][0]
    if len(gold_ids) > len(var_ids):  # the variant ended first: the gold continues here
        return gold_spans[len(var_ids)][0]
    return None


def key_token_indices(
    tokenizer: Any,
    text: str,
    spans: Sequence[tuple[int, int]],
    names: Sequence[NameSpan],
    candidates: Sequence[str],
) -> set[int]:
    """Indices (into the target's tokens, whose char ``spans`` are given) of the PKT key tokens."""
    keys: set[int] = set()
    gold = token_spans(tokenizer, text) if names else ([], [])
    for ns in names:
        first = _token_at(spans, ns.start)
        if first is None:
            continue
        keys.add(first)
        for other in candidates:
            if other == ns.name or not other:
                continue
            char = _divergence_char(tokenizer, text, gold, ns, other)
            if char is None:
                continue
            k = _token_at(spans, max(char, spans[first][0]))
            if k is not None:
                keys.add(k)
    return keys


def pkt_weight(n_key: int, n_nonkey: int, w_max: float) -> float:
    """``CLIP(|NK| / |K|, 1, w_max)``; 1 when there are no key tokens."""
    if n_key <= 0:
        return 1.0
    return float(min(max(n_nonkey / n_key, 1.0), w_max))


def turn_weights(
    tokenizer: Any,
    text: str,
    ids: Sequence[int] | None,
    called: Sequence[str],
    candidates: Sequence[str],
    w_max: float,
) -> tuple[list[int], list[float], set[int]]:
    """(token ids, per-token weights, key indices) of one target turn under PKT."""
    tok_ids, spans = token_spans(tokenizer, text, ids)
    names = find_name_spans(text, called)
    keys = key_token_indices(tokenizer, text, spans, names, candidates)
    w = pkt_weight(len(keys), len(tok_ids) - len(keys), w_max)
    weights = [w if k in keys else 1.0 for k in range(len(tok_ids))]
    return tok_ids, weights, keys
