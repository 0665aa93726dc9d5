"""tools_env: the sandboxed tool-execution environment with structured feedback.

Public surface (imported lazily, so ``import tools_env`` stays cheap for sandbox workers)::

    ToolRegistry, ToolEntry, tool, EXECUTORS, doc_from_function      tools_env.registry
    validate_call, FORMAT_ERROR_TEXT                                 tools_env.validate
    SandboxPool, SandboxLimits, SandboxRequest, SandboxOutcome       tools_env.sandbox
    ErrorClass                                                       tools_env.sandbox
    ToolEnv                                                          tools_env.env
    Episode, Turn, FORCED_TURN_FINISH, FORCED_ERR_FINISH             tools_env.episode
    CallContext, Executor, ToolCallFailed, ToolUnstable, Status      tools_env.base
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ToolRegistry": "tools_env.registry",
    "ToolEntry": "tools_env.registry",
    "tool": "tools_env.registry",
    "EXECUTORS": "tools_env.registry",
    "doc_from_function": "tools_env.registry",
    "validate_call": "tools_env.validate",
    "FORMAT_ERROR_TEXT": "tools_env.validate",
    "SandboxPool": "tools_env.sandbox",
    "SandboxLimits": "tools_env.sandbox",
    "SandboxRequest": "tools_env.sandbox",
    "SandboxOutcome": "tools_env.sandbox",
    "ErrorClass": "tools_env.sandbox",
    "ToolEnv": "tools_env.env",
    "Episode": "tools_env.episode",
    "Turn": "tools_env.episode",
    "FORCED_TURN_FINISH": "tools_env.episode",
    "FORCED_ERR_FINISH": "tools_env.episode",
    "CallContext": "tools_env.base",
    "Executor": "tools_env.base",
    "ToolCallFailed": "tools_env.base",
    "ToolUnstable": "tools_env.base",
    "Status": "tools_env.base",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tools_env' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
