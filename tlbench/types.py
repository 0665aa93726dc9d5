"""The shared vocabulary of tlbench: every module speaks in these frozen dataclasses.

Data flows one way through them::

    Item -> (prompt, generation) -> ParseResult(list[ToolCall] | ParseFailure)
         -> Feedback (tools_env) -> Verdict (tlbench.classify) -> scores

They are deliberately small and immutable so that a value produced in one stage can be handed to the next
without defensive copies. ``ErrorKind`` is the closed error taxonomy of the TL-Training paper; nothing
outside this module invents another category name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tlbench import jsonio

__all__ = [
    "FINISH_NAMES",
    "ASK_USER_NAMES",
    "ErrorKind",
    "WrongToolKind",
    "ToolCall",
    "ToolDoc",
    "ParseFailure",
    "ParseResult",
    "Feedback",
    "CallVerdict",
    "Verdict",
    "canonical_json",
]

#: Names that end an episode with a final answer (compared case-insensitively).
FINISH_NAMES = frozenset({"finish", "final_answer", "finalanswer"})
#: Names that hand the turn to the (simulated) user.
ASK_USER_NAMES = frozenset({"ask_to_user", "ask_user"})


class ErrorKind(str, Enum):
    """The closed set of verdicts for one tool call or one turn (TL-Training Table 1 and §2).

    ::

        CORRECT                          all right
        UNPARSABLE                       output matches no call format (format error)
        documentation errors (DE)
        ├── TOOL_HALLUCINATION           called a tool that is not in the documentation
        ├── PARAMETER_HALLUCINATION      passed a parameter that the tool does not have
        ├── MISSING_PARAMETER            left out a required (or gold) parameter
        └── TYPE_MISMATCH                a value of the wrong JSON type (doc-only check)
        reference errors (need gold)
        ├── WRONG_TOOL                   a documented tool, but not the gold one
        ├── REDUNDANT_PARAMETER          a documented parameter that the gold call does not use
        └── CONTENT_ERROR                right tool and keys, wrong value
        execution errors (from feedback)
        ├── TOOL_CALL_FAILURE            the tool raised / rejected the call
        ├── TOOL_INSTABILITY             timeout, connection error, 5xx, garbled payload
        └── OTHER                        anything else the environment reports
    """

    CORRECT = "correct"
    UNPARSABLE = "unparsable"
    TOOL_HALLUCINATION = "tool_hallucination"
    PARAMETER_HALLUCINATION = "parameter_hallucination"
    MISSING_PARAMETER = "missing_parameter"
    TYPE_MISMATCH = "type_mismatch"
    WRONG_TOOL = "wrong_tool"
    REDUNDANT_PARAMETER = "redundant_parameter"
    CONTENT_ERROR = "content_error"
    TOOL_CALL_FAILURE = "tool_call_failure"
    TOOL_INSTABILITY = "tool_instability"
    OTHER = "other"

    @property
    def is_error(self) -> bool:
        """True for every kind but CORRECT."""
        return self is not ErrorKind.CORRECT

    @property
    def is_documentation_error(self) -> bool:
        """The paper's DE group: errors a model makes by misreading the tool documentation."""
        return self in _DE_KINDS

    @property
    def is_execution_error(self) -> bool:
        """Errors reported by the environment when the call ran."""
        return self in _EXEC_KINDS


_DE_KINDS = frozenset(
    {
        ErrorKind.TOOL_HALLUCINATION,
        ErrorKind.PARAMETER_HALLUCINATION,
        ErrorKind.MISSING_PARAMETER,
        ErrorKind.TYPE_MISMATCH,
    }
)
_EXEC_KINDS = frozenset({ErrorKind.TOOL_CALL_FAILURE, ErrorKind.TOOL_INSTABILITY, ErrorKind.OTHER})


class WrongToolKind(str, Enum):
    """Sub-types of WRONG_TOOL from the paper's Table 1."""

    FIRST_TOKEN = "first_token"  # the predicted name differs from the gold name from its first token
    SHARED_PREFIX = "shared_prefix"  # the names share a prefix and diverge later


def canonical_json(value: Any) -> str:
    """A stable text form of a JSON value (sorted keys, no spaces): used for cache keys and hashing."""
    return jsonio.canonical(value)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One parsed tool call.

    ``arguments`` holds parsed JSON values only (never code). ``raw`` is the slice of model output the call
    was parsed from, kept for reports and error messages.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw: str = ""

    @property
    def is_finish(self) -> bool:
        """True when this call ends the episode with a final answer."""
        return self.name.lower() in FINISH_NAMES

    @property
    def is_ask_user(self) -> bool:
        """True when this call asks the user a question."""
        return self.name.lower() in ASK_USER_NAMES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``raw`` included)."""
        return {"name": self.name, "arguments": dict(self.arguments), "raw": self.raw}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        """Inverse of :meth:`to_dict`; accepts ``parameters`` as an alias of ``arguments``."""
        args = data.get("arguments", data.get("parameters", {}))
        if isinstance(args, str):
            args = jsonio.parse(args) if args.strip() else {}
        return cls(name=str(data["name"]), arguments=dict(args or {}), raw=str(data.get("raw", "")))


@dataclass(frozen=True, slots=True)
class ToolDoc:
    """The documentation of one tool, normalised to JSON schema.

    ``parameters`` is a JSON-schema object schema (``{"type": "object", "properties": ..., "required": ...}``).
    ``required`` and ``defaults`` are derived views kept explicitly because every checker needs them.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    required: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    returns: Mapping[str, Any] | None = None

    @property
    def properties(self) -> Mapping[str, Any]:
        """The parameter schemas keyed by parameter name."""
        props = self.parameters.get("properties") or {}
        return props if isinstance(props, Mapping) else {}

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in documentation order (used to map positional arguments)."""
        return tuple(self.properties.keys())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, OpenAI-function style plus ``defaults``."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": dict(self.parameters),
        }
        if self.defaults:
            out["defaults"] = dict(self.defaults)
        if self.returns is not None:
            out["returns"] = dict(self.returns)
        return out


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a model output could not be read as a call or a final answer.

    ``reason`` is a short machine-readable code (``"no_call"``, ``"bad_json"``, ``"bad_syntax"``,
    ``"not_object"``, ``"too_deep"``, ``"empty"`` ...); ``message`` is for humans.
    """

    reason: str
    message: str = ""
    raw: str = ""


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a parser returns: calls, or a final answer, or a failure - never an exception.

    ``final_answer`` is set when the output finishes the task without (further) tool calls; a ``finish``
    call is also reported as a call so that scorers which treat it as a tool (RoTBench) can see it.
    """

    calls: tuple[ToolCall, ...] = ()
    final_answer: str | None = None
    failure: ParseFailure | None = None
    thought: str = ""

    @property
    def ok(self) -> bool:
        """True when the output was understood (calls or a final answer)."""
        return self.failure is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "calls": [c.to_dict() for c in self.calls],
            "final_answer": self.final_answer,
            "failure": None
            if self.failure is None
            else {"reason": self.failure.reason, "message": self.failure.message},
            "thought": self.thought,
        }


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the environment answers to one tool call.

    ``category`` comes from the shared classifier (never decided ad hoc by an executor); ``text`` is the
    observation shown to the model (upstream-compatible wording for errors); ``payload`` is the structured
    result when there is one.
    """

    category: ErrorKind
    text: str
    payload: Any = None
    tool: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the call ran and returned a result."""
        return self.category is ErrorKind.CORRECT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "category": self.category.value,
            "text": self.text,
            "payload": self.payload,
            "tool": self.tool,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Feedback:
        """Inverse of :meth:`to_dict`."""
        return cls(
            category=ErrorKind(data["category"]),
            text=str(data.get("text", "")),
            payload=data.get("payload"),
            tool=str(data.get("tool", "")),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True, slots=True)
class CallVerdict:
    """The classifier's judgement of one predicted call.

    ``kinds`` lists every problem found (several parameter problems can co-occur); ``kind`` is the headline
    (the most severe). ``gold_index`` is the matched gold call, if any.
    """

    call: ToolCall | None
    kinds: tuple[ErrorKind, ...]
    wrong_tool: WrongToolKind | None = None
    hallucinated_params: tuple[str, ...] = ()
    redundant_params: tuple[str, ...] = ()
    missing_params: tuple[str, ...] = ()
    mismatched_params: tuple[str, ...] = ()
    content_normalised_equal: bool = False
    gold_index: int | None = None

    @property
    def kind(self) -> ErrorKind:
        """The headline category (first of ``kinds``, which the classifier orders by severity)."""
        return self.kinds[0] if self.kinds else ErrorKind.CORRECT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "call": None if self.call is None else self.call.to_dict(),
            "kind": self.kind.value,
            "kinds": [k.value for k in self.kinds],
            "wrong_tool": None if self.wrong_tool is None else self.wrong_tool.value,
            "hallucinated_params": list(self.hallucinated_params),
            "redundant_params": list(self.redundant_params),
            "missing_params": list(self.missing_params),
            "mismatched_params": list(self.mismatched_params),
            "content_normalised_equal": self.content_normalised_equal,
            "gold_index": self.gold_index,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classifier's judgement of one model turn: per call, and one headline for the turn."""

    kind: ErrorKind
    calls: tuple[CallVerdict, ...] = ()
    parse: ParseResult | None = None

    @property
    def kinds(self) -> tuple[ErrorKind, ...]:
        """Every distinct category found in the turn, in order of appearance (each call's kinds by severity)."""
        seen: list[ErrorKind] = []
        for cv in self.calls:
            for k in cv.kinds:
                if k not in seen:
                    seen.append(k)
        if not seen:
            seen.append(self.kind)
        return tuple(seen)

    @property
    def is_error(self) -> bool:
        """True when the turn is erroneous (what MAE masks out)."""
        return self.kind.is_error

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind.value,
            "kinds": [k.value for k in self.kinds],
            "calls": [c.to_dict() for c in self.calls],
        }
