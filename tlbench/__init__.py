"""tlbench: train and evaluate LLMs on tool use (TL-Training: MAE, PKT, IRM).

The shared vocabulary lives in :mod:`tlbench.types`; the single judge of a tool call is
:mod:`tlbench.classify`.
"""

from tlbench.types import (
    CallVerdict,
    ErrorKind,
    Feedback,
    ParseFailure,
    ParseResult,
    ToolCall,
    ToolDoc,
    Verdict,
    WrongToolKind,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "CallVerdict",
    "ErrorKind",
    "Feedback",
    "ParseFailure",
    "ParseResult",
    "ToolCall",
    "ToolDoc",
    "Verdict",
    "WrongToolKind",
]
