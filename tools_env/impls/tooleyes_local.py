"""Offline implementations of the ToolEyes tools that need no network.

Written from the documentation in ``Tool_Library/{Calculator/Calculator,Calendar/Calendar,Random/Random,
File/file_operation}/config_gpt4.json`` (names and parameters match the docs exactly), not from upstream code.
ToolEyes documents every parameter as ``"string"``, so numeric parameters accept numbers or numeric strings.

Each tool is a plain function of JSON values. Keyword-only parameters are *context* supplied by the runner
(:mod:`tools_env.impls.local`), never by the model:

* ``workdir`` - the episode's private directory; file tools cannot leave it (absolute paths, ``..`` and
  symlinks that resolve outside are refused, the final component is opened with ``O_NOFOLLOW``);
* ``seed`` - makes the random tools reproducible (derived from the run seed, the call and its position);
* ``today`` - an ISO date that pins ``current_date`` (tests, replays); the real date otherwise.

Errors are ordinary exceptions (``ValueError``, ``OSError`` ...): the runner turns them into
``ToolCallFailed`` with ``str(e)`` as the observation, as ToolEyes does.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
import string
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from tools_env.impls.safe_arith import evaluate

__all__ = [
    "calculator",
    "current_date",
    "get_random_number",
    "get_uuid",
    "generate_string",
    "generate_password",
    "generate_placeholder_text",
    "write_file",
    "read_file",
    "confined_path",
    "MAX_FILE_BYTES",
    "MAX_COUNT",
    "MAX_LENGTH",
]

MAX_COUNT = 100  # at most this many numbers / uuids / strings / sentences per call
MAX_LENGTH = 1000  # longest generated string or password
MAX_FILE_BYTES = 1 << 20  # file tools read and write at most 1 MiB
DEFAULT_FILE = "output.txt"

_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea "
    "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur "
    "excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum "
    "porro quisquam dolorem quia numquam eius modi tempora magnam quaerat voluptatem"
).split()


# --------------------------------------------------------------------------- helpers


def _as_int(value: Any, name: str, lo: int, hi: int, default: int | None = None) -> int:
    """An integer parameter given as a number or a numeric string, within ``[lo, hi]``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise ValueError(f"parameter '{name}' is required")
        return default
    if isinstance(value, bool):
        raise ValueError(f"parameter '{name}' must be an integer, not a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"parameter '{name}' must be an integer, got {value!r}")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            as_float = float(text)  # "3.0" is fine; "five" raises "could not convert string to float"
            if not as_float.is_integer():
                raise ValueError(f"parameter '{name}' must be an integer, got {text!r}") from None
            value = int(as_float)
    if not isinstance(value, int):
        raise ValueError(f"parameter '{name}' must be an integer, not {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"parameter '{name}' must be between {lo} and {hi}, got {value}")
    return value


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # reproducible test data, not cryptography


# --------------------------------------------------------------------------- Calculator


def calculator(input_query: str) -> int | float:
    """The value of an arithmetic expression such as ``"400/1400"`` (safe ``ast`` evaluator, never ``eval``)."""
    return evaluate(input_query)


# --------------------------------------------------------------------------- Calendar


def current_date(*, today: str | None = None) -> str:
    """Today's date as ``YYYY-MM-DD`` (``today`` pins it for reproducible runs)."""
    if today:
        return _dt.date.fromisoformat(str(today)[:10]).isoformat()
    return _dt.date.today().isoformat()


# --------------------------------------------------------------------------- Random


def get_random_number(min: Any = None, max: Any = None, cnt: Any = None, *, seed: int = 0) -> list[int]:
    """``cnt`` random integers in ``[min, max]`` (defaults 0, 100 and 1)."""
    lo = _as_int(min, "min", -(10**18), 10**18, default=0)
    hi = _as_int(max, "max", -(10**18), 10**18, default=100)
    n = _as_int(cnt, "cnt", 1, MAX_COUNT, default=1)
    if lo > hi:
        raise ValueError(f"min ({lo}) must not be greater than max ({hi})")
    rng = _rng(seed)
    return [rng.randint(lo, hi) for _ in range(n)]


def get_uuid(cnt: Any = None, *, seed: int = 0) -> list[str]:
    """``cnt`` version-4 UUIDs (reproducible from ``seed``)."""
    n = _as_int(cnt, "cnt", 1, MAX_COUNT, default=1)
    rng = _rng(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def generate_string(len: Any = None, cnt: Any = None, *, seed: int = 0) -> list[str]:
    """``cnt`` random strings of ``len`` letters and digits (defaults 10 and 1)."""
    size = _as_int(len, "len", 1, MAX_LENGTH, default=10)
    n = _as_int(cnt, "cnt", 1, MAX_COUNT, default=1)
    rng = _rng(seed)
    alphabet = string.ascii_letters + string.digits
    return ["".join(rng.choice(alphabet) for _ in range(size)) for _ in range(n)]


def generate_password(len: Any = None, cnt: Any = None, *, seed: int = 0) -> list[str]:
    """``cnt`` passwords of ``len`` characters mixing letters, digits and punctuation (defaults 12 and 1).

    Passwords of 4 or more characters contain at least one lower-case letter, upper-case letter, digit and
    punctuation mark.
    """
    size = _as_int(len, "len", 1, MAX_LENGTH, default=12)
    n = _as_int(cnt, "cnt", 1, MAX_COUNT, default=1)
    rng = _rng(seed)
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation)
    alphabet = "".join(classes)
    out: list[str] = []
    for _ in range(n):
        chars = [rng.choice(c) for c in classes] if size >= 4 else []
        chars += [rng.choice(alphabet) for _ in range(size - (4 if size >= 4 else 0))]
        rng.shuffle(chars)
        out.append("".join(chars))
    return out


def generate_placeholder_text(cnt: Any = None, *, seed: int = 0) -> list[str]:
    """``cnt`` lorem-ipsum-like sentences (default 1), from a built-in word list."""
    n = _as_int(cnt, "cnt", 1, MAX_COUNT, default=1)
    rng = _rng(seed)
    sentences = []
    for _ in range(n):
        words = [rng.choice(_LOREM) for _ in range(rng.randint(6, 14))]
        sentences.append(" ".join(words).capitalize() + ".")
    return sentences


# --------------------------------------------------------------------------- File


def confined_path(workdir: str | os.PathLike[str], file_path: str) -> Path:
    """``file_path`` resolved inside ``workdir``; ``PermissionError`` when it would point anywhere else.

    Refused: non-strings, empty names, NUL bytes, absolute paths (POSIX or Windows style), any ``..``
    component, and paths whose resolution (following existing symlinks) leaves ``workdir``.
    """
    if not isinstance(file_path, str):
        raise ValueError(f"file_path must be a string, not {type(file_path).__name__}")
    name = file_path.strip()
    if not name or "\x00" in name:
        raise ValueError("file_path must be a non-empty path without NUL characters")
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or (len(name) > 1 and name[1] == ":") or name.startswith("~"):
        raise PermissionError(f"Permission denied: absolute paths are not allowed: '{file_path}'")
    if ".." in posix.parts:
        raise PermissionError(f"Permission denied: '..' is not allowed in file_path: '{file_path}'")
    root = Path(workdir).resolve()
    target = (root / Path(*posix.parts)).resolve()
    if target != root and root not in target.parents:
        raise PermissionError(f"Permission denied: '{file_path}' resolves outside the working directory")
    return target


def write_file(text: str, file_path: str = "", *, workdir: str) -> str:
    """Write ``text`` to ``file_path`` inside the episode's directory (default ``output.txt``)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, not {type(text).__name__}")
    data = text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"text too large ({len(data)} bytes, limit {MAX_FILE_BYTES})")
    rel = file_path if isinstance(file_path, str) and file_path.strip() else DEFAULT_FILE
    target = confined_path(workdir, rel)
    if target.parent != Path(workdir).resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        confined_path(workdir, rel)  # re-check: a directory created above must not be a way out
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return f"The file has been written to {rel} successfully."


def read_file(file_path: str, *, workdir: str) -> str:
    """The text of ``file_path`` inside the episode's directory (UTF-8, at most 1 MiB)."""
    target = confined_path(workdir, file_path)
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"file too large to read (limit {MAX_FILE_BYTES} bytes): '{file_path}'")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"file is not UTF-8 text: '{file_path}'") from None
