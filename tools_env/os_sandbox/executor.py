"""The code-execution tools (python / bash, like ToolEyes' ``Execute``) as an executor of :mod:`tools_env`.

Covered here: the tool names and their code argument (ToolEyes' spellings, ``code:`` included), a non-string
code argument or a missing one is a ``ToolCallFailed``, and the mapping of a :class:`~tools_env.os_sandbox
.run.CodeResult` to the executor contract: the output text, a time-out as ``ToolUnstable``, a full or
uncopyable episode directory as ``ToolCallFailed``. Not covered: running the code
(:mod:`tools_env.os_sandbox.run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.os_sandbox.run import CodeLimits, run_code
from tools_env.os_sandbox.transfer import no_space

__all__ = ["CODE_TOOLS", "CodeExecutor"]

#: Tool name -> language of the code argument.
CODE_TOOLS: dict[str, str] = {
    "execute_pycode": "python",
    "exectue_pycode_REPL": "python",
    "exectue_pycode_REPL_Ast": "python-ast",
    "execute_bash_code": "bash",
}
_CODE_ARGS = ("code", "code:", "commands", "command")


def _code_argument(call: ToolCall) -> str:
    args: Mapping[str, Any] = call.arguments
    for key in _CODE_ARGS:
        if key in args:
            value = args[key]
            if not isinstance(value, str):
                raise ToolCallFailed(f"TypeError: {key} must be a string, not {type(value).__name__}")
            return value
    raise ToolCallFailed(f"{call.name}() missing 1 required positional argument: 'code'")


class CodeExecutor:
    """Executor for the code-execution tools of :data:`CODE_TOOLS`; ``ctx.workdir`` is the writable directory.

    Returns the output text (like the upstream tools). A timeout is tool instability ("Tool execution timed
    out ..."); a missing sandbox is a refusal (``ToolUnstable``, "tool unavailable: code execution refused").
    A call that leaves the episode directory full, or whose directory cannot be copied back, failed
    (``ToolCallFailed``: "OSError: [Errno 28] No space left on device ...", then what the code printed).
    """

    name = "code"

    def __init__(self, limits: CodeLimits | None = None) -> None:
        self.limits = limits or CodeLimits()

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """Run the call's code in the OS sandbox and return what it printed."""
        language = CODE_TOOLS.get(call.name)
        if language is None:
            raise ToolCallFailed(f"cannot import name '{call.name}' from 'tools_env.os_sandbox'")
        result = run_code(language, _code_argument(call), ctx.workdir, self.limits)
        if result.timed_out:
            raise ToolUnstable(f"Tool execution timed out after {self.limits.timeout_s:g} s")
        if result.workdir_full and not result.error:
            result = replace(
                result, error=no_space(self.limits.workdir_bytes, "the episode directory is full")
            )
        if result.error:
            raise ToolCallFailed(f"{result.error}\n{result.output}".rstrip("\n"))
        return result.output + ("\n[output truncated]" if result.truncated else "")
