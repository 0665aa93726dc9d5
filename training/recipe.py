"""Training recipes: TOML files in ``training/recipes/`` (the paper's Table 5 rows plus ``tiny-*`` presets).

A recipe has an ``[sft]`` stage (MAE/PKT switches and optimiser settings) and an ``[rl]`` stage (IRM with
GRPO or PPO). ``extends = "other"`` starts from another recipe and overrides the keys it sets, so the tiny
presets only state what differs. Unknown keys are an error (a typo must not silently fall back to a
default). ``--recipe`` also accepts a path to a TOML file of the same shape.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 gets tomli from the train extra
    import tomli as tomllib

__all__ = ["RECIPE_DIR", "SFTStage", "RLStage", "Recipe", "list_recipes", "load_recipe"]

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"
#: The paper's Table 5 rows, in its order.
TABLE5_ORDER = ("none", "mae", "pkt", "irm", "mae_pkt", "mae_irm", "pkt_irm", "all")


@dataclass(frozen=True, slots=True)
class SFTStage:
    """Supervised stage. ``max_steps`` < 0 means "run ``epochs`` epochs"."""

    enabled: bool = True
    mae: bool = False
    pkt: bool = False
    w_max: float = 9.0
    learning_rate: float = 1e-6
    batch_size: int = 4
    grad_accum: int = 1
    epochs: float = 1.0
    max_steps: int = -1
    max_length: int = 8192
    warmup_ratio: float = 0.01
    lr_scheduler: str = "constant_with_warmup"
    loss_norm: str = "token"
    weight_decay: float = 0.01
    save_steps: int = 200


@dataclass(frozen=True, slots=True)
class RLStage:
    """IRM reinforcement stage (paper §3.3); ``batch_size`` counts prompts per update."""

    enabled: bool = False
    algo: str = "grpo"
    actor_lr: float = 2e-6
    critic_lr: float = 1e-6
    batch_size: int = 8
    epochs: float = 3.0
    max_steps: int = -1
    kl_beta: float = 0.3
    num_generations: int = 4
    temperature: float = 0.7
    max_completion_length: int = 512
    max_prompt_length: int = 0  # tokens; longer RL prompts are skipped (0 = no limit)
    clip_range: float = 0.2
    value_clip_range: float = 0.2
    gamma: float = 1.0
    lam: float = 0.95
    reward_clip: float = 5.0
    ppo_epochs: int = 1
    save_steps: int = 50


@dataclass(frozen=True, slots=True)
class Recipe:
    """A named training recipe (``source`` is the TOML file it came from)."""

    name: str
    description: str = ""
    preset: str = "paper"
    sft: SFTStage = field(default_factory=SFTStage)
    rl: RLStage = field(default_factory=RLStage)
    source: str = ""

    @property
    def components(self) -> str:
        """``MAE+PKT+IRM``-style label of what is switched on (``none`` for plain SFT)."""
        parts = [
            n for n, on in (("MAE", self.sft.mae), ("PKT", self.sft.pkt), ("IRM", self.rl.enabled)) if on
        ]
        return "+".join(parts) or "none"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the model card and logs)."""
        return dataclasses.asdict(self)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"recipe {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"recipe {path}: {exc}") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _resolve(ref: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], Path]:
    p = Path(ref)
    path = p if p.suffix == ".toml" and p.is_file() else RECIPE_DIR / f"{ref}.toml"
    if not path.is_file():
        known = ", ".join(list_recipes())
        raise UsageError(f"unknown recipe {ref!r}; known: {known} (or a path to a .toml file)")
    if str(path) in seen:
        raise UsageError(f"recipe {path}: 'extends' cycle through {' -> '.join(seen)}")
    data = _read(path)
    parent = data.pop("extends", None)
    if parent:
        base, _ = _resolve(str(parent), (*seen, str(path)))
        base.pop("name", None)
        data = _merge(base, data)
    return data, path


def _stage(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a table")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(names)}")
    kwargs: dict[str, Any] = {}
    for k, v in data.items():
        default = getattr(cls(), k)
        if (
            isinstance(default, bool) != isinstance(v, bool)
            or (isinstance(default, int | float) and not isinstance(v, int | float))
            or (isinstance(default, str) and not isinstance(v, str))
        ):
            raise UsageError(f"{where}.{k}: expected {type(default).__name__}, got {v!r}")
        kwargs[k] = float(v) if isinstance(default, float) else v
    return cls(**kwargs)


def load_recipe(ref: str) -> Recipe:
    """A recipe by name (``training/recipes/NAME.toml``) or by path."""
    data, path = _resolve(ref)
    top = {"name", "description", "preset", "sft", "rl"}
    unknown = sorted(set(data) - top)
    if unknown:
        raise UsageError(f"recipe {path}: unknown key(s) {', '.join(unknown)}")
    recipe = Recipe(
        name=str(data.get("name") or path.stem),
        description=str(data.get("description", "")),
        preset=str(data.get("preset", "paper")),
        sft=_stage(SFTStage, data.get("sft"), f"recipe {path.name} [sft]"),
        rl=_stage(RLStage, data.get("rl"), f"recipe {path.name} [rl]"),
        source=str(path),
    )
    if recipe.rl.algo not in ("grpo", "ppo"):
        raise UsageError(f"recipe {path.name} [rl].algo: expected 'grpo' or 'ppo', got {recipe.rl.algo!r}")
    if recipe.sft.loss_norm not in ("token", "sample"):
        raise UsageError(f"recipe {path.name} [sft].loss_norm: expected 'token' or 'sample'")
    return recipe


def list_recipes() -> list[str]:
    """Names of the shipped recipes, paper rows first, then the tiny presets."""
    names = {p.stem for p in RECIPE_DIR.glob("*.toml")}
    paper = [n for n in TABLE5_ORDER if n in names]
    tiny = [f"tiny-{n}" for n in TABLE5_ORDER if f"tiny-{n}" in names]
    return paper + tiny + sorted(names - set(paper) - set(tiny))
