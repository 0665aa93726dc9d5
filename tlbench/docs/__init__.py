"""Tool documentation loaders: every benchmark's tool docs become :class:`ToolDoc` with a JSON-schema core.

One loader per upstream shape, each tolerant of missing fields (a tool with no parameters block gets an
empty object schema; a malformed entry is skipped rather than failing the whole list):

* :func:`docs_from_openai_list` - RoTBench/ToolEyes lists ``{name, description, parameters}``, also the
  OpenAI ``tools`` wrapping ``{"type": "function", "function": {...}}``;
* :func:`docs_from_rotbench_system` - the JSON list embedded in a RoTBench/ToolEyes system prompt;
* :func:`docs_from_tooleyes_config` - a ToolEyes ``Tool_Library/<Cat>/<Tool>/config_gpt4.json``;
* :func:`docs_from_bfcl` - BFCL function docs (pseudo-types ``dict``/``float``/``tuple``/``any`` mapped);
* :func:`docs_from_toolalpaca` - one ToolAlpaca item (``Function_Projection`` names + ``Function_Description``);
* :func:`docs_from_python_signatures` / :func:`docs_to_python_signatures` - the ``def name(p: str):``
  docstring style of TL-CodeLLaMA and NexusRaven (read with :mod:`ast`, never executed).

All of them normalise types with :func:`normalise_schema`, so the classifier sees one vocabulary:
``string integer number boolean array object null``.

Modules: :mod:`~tlbench.docs.schema` (type names and JSON-schema normalisation), :mod:`~tlbench.docs.loaders`
(the JSON and text shapes above, and :func:`docs_from_any`) and :mod:`~tlbench.docs.signatures` (Python
stubs, read and written). A benchmark's own doc loader is its ``Benchmark.tool_docs``, built on these.
"""

from __future__ import annotations

from tlbench.docs.loaders import (
    doc_from_openai,
    docs_from_any,
    docs_from_bfcl,
    docs_from_openai_list,
    docs_from_rotbench_system,
    docs_from_toolalpaca,
    docs_from_tooleyes_config,
)
from tlbench.docs.schema import normalise_schema
from tlbench.docs.signatures import docs_from_python_signatures, docs_to_python_signatures

__all__ = [
    "normalise_schema",
    "doc_from_openai",
    "docs_from_openai_list",
    "docs_from_rotbench_system",
    "docs_from_tooleyes_config",
    "docs_from_bfcl",
    "docs_from_toolalpaca",
    "docs_from_python_signatures",
    "docs_to_python_signatures",
    "docs_from_any",
]
