"""The ``glm`` format: ChatGLM-4 tool calls, the tool name on the first line and JSON arguments after it.

::

    get_weather
    {"city": "Paris"}

Rules (documented contract): a call is an output whose first line is a bare tool name (letters, digits,
``_``, ``.``, ``-``; no spaces) followed by a JSON object (the rest of the output, whitespace allowed; a
fenced block is also accepted). A bare-name first line followed by something that starts with ``{`` but is
not one complete JSON object is a ``ParseFailure``. Anything else - including a one-word reply with nothing
after it - is a final answer (GLM-4 answers in plain text). A ``finish`` call sets ``final_answer``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tlbench.parsers._util import Failed, call_from_obj, guarded, load_json, result_from_calls
from tlbench.types import ParseResult, ToolDoc

__all__ = ["parse_glm"]

_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


@guarded()
def parse_glm(text: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse ``name\\n{json}`` (module docstring); ``docs`` is unused. Never raises."""
    del docs
    body = text.strip()
    first, _, rest = body.partition("\n")
    name = first.strip()
    rest = rest.strip()
    if rest.startswith("```"):
        rest = rest.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    if _NAME.fullmatch(name) is None or not rest.startswith("{"):
        return ParseResult(final_answer=body)
    args = load_json(rest)
    if not isinstance(args, dict):
        raise Failed("not_object", "the arguments must be a JSON object", rest)
    return result_from_calls([call_from_obj({"name": name, "arguments": args}, body)])
