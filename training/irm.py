"""IRM (TL-Training §3.3): reinforcement learning with the shared classifier's reward.

The reward of a completion is :func:`tlbench.reward.irm_reward_fn`: parse the completion in the prompt
format's parser, classify it against the tool docs and the gold calls with :mod:`tlbench.classify`, map the
verdict to the paper's reward table. Nothing here re-implements any of it.

Two algorithms:

* ``grpo`` (default): ``trl.GRPOTrainer`` (group-relative advantages, clipped PPO-style ratio, KL to the
  starting model weighted by ``kl_beta`` in the loss). ``batch_size`` prompts per step, each sampled
  ``num_generations`` times.
* ``ppo``: the paper's actor-critic PPO, written here compactly (:class:`PPOTrainerLite`): a frozen
  reference copy of the starting model, a critic that is the *starting (SFT) model's* transformer plus a
  new value head (the authors' code meant to do this but loaded nothing; we check it in a test), per-token
  reward ``-kl_beta * (logp - logp_ref)`` plus the clipped IRM score on the last token, GAE(gamma, lambda),
  the clipped surrogate policy loss and the clipped value loss ``0.5 * max((V-R)^2, (Vclip-R)^2)``.
  Rollouts are sampled with ``temperature`` (the authors' script sampled greedily, which makes every
  ratio exactly 1; ours is a documented deviation).

RL prompts come from trajectories: every assistant turn that has gold calls becomes one prompt (the
rendered history before it), with the tools and the gold as columns for the reward.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.reward import irm_reward_fn
from training.mae import turn_targets
from training.recipe import RLStage
from training.trajectory import Trajectory

__all__ = ["build_rl_rows", "irm_reward", "run_grpo", "Critic", "PPOTrainerLite", "gae"]


def build_rl_rows(
    trajectories: Iterable[Trajectory], tokenizer: Any, fmt: str, parser: str, *, max_prompt_tokens: int = 0
) -> list[dict[str, Any]]:
    """One row per assistant turn with gold calls: ``prompt`` (text), ``tools``/``gold`` (JSON), ``format``."""
    from tlbench.prompts import render

    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for traj in trajectories:
        gold = traj.gold
        if gold is None:
            continue
        messages, tools = traj.messages, traj.tools
        for k, t in enumerate(turn_targets(traj, mae=False)):
            if k >= len(gold) or not gold[k]:
                continue
            prompt = render(fmt, messages[: t.message_index], tools or None, tokenizer=tokenizer)
            if not isinstance(prompt, str) or prompt in seen:
                continue
            if max_prompt_tokens and len(tokenizer(prompt)["input_ids"]) > max_prompt_tokens:
                continue
            seen.add(prompt)
            rows.append(
                {
                    "prompt": prompt,
                    "tools": jsonio.dumps(tools),
                    "gold": jsonio.dumps(gold[k]),
                    "format": parser,
                }
            )
    return rows


def irm_reward(prompts: Any, completions: Any, **columns: Any) -> list[float]:
    """trl reward function: the shared IRM reward with the ``tools``/``gold``/``format`` columns."""
    return irm_reward_fn(
        prompts,
        completions,
        tools=columns.get("tools"),
        gold=columns.get("gold"),
        format=columns.get("format") or "react",
    )


def _use_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def run_grpo(
    model_path: str | Path,
    tokenizer: Any,
    rows: Sequence[Mapping[str, Any]],
    rl: RLStage,
    ckpt_dir: Path,
    *,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
    resume: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Train with ``trl.GRPOTrainer``; returns (trained model, metrics). Resumes from ``ckpt_dir``."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from transformers.trainer_utils import get_last_checkpoint
    from trl import GRPOConfig, GRPOTrainer

    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32)
    tokenizer.padding_side = "left"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    args = GRPOConfig(
        output_dir=str(ckpt_dir),
        learning_rate=rl.actor_lr,
        per_device_train_batch_size=rl.batch_size * rl.num_generations,
        num_generations=rl.num_generations,
        max_completion_length=rl.max_completion_length,
        temperature=rl.temperature,
        beta=rl.kl_beta,
        epsilon=rl.clip_range,
        num_train_epochs=rl.epochs,
        max_steps=rl.max_steps,
        logging_steps=1,
        save_strategy="steps",
        save_steps=max(1, rl.save_steps),
        save_total_limit=1,
        report_to=[],
        seed=seed,
        use_cpu=_use_cpu(),
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=irm_reward,
        args=args,
        train_dataset=Dataset.from_list([dict(r) for r in rows]),
        processing_class=tokenizer,
        callbacks=list(callbacks),
    )
    last = get_last_checkpoint(str(ckpt_dir)) if resume else None
    result = trainer.train(resume_from_checkpoint=last)
    rewards = [h["reward"] for h in trainer.state.log_history if "reward" in h]
    metrics = {
        "algo": "grpo",
        "steps": trainer.state.global_step,
        "train_loss": result.training_loss,
        "reward_first": rewards[0] if rewards else None,
        "reward_last": rewards[-1] if rewards else None,
        "reward_mean": sum(rewards) / len(rewards) if rewards else None,
        "resumed_from": last,
    }
    return trainer.model, metrics


def gae(rewards: Any, values: Any, mask: Any, gamma: float, lam: float) -> tuple[Any, Any]:
    """Generalised advantage estimates and returns over response positions (masked positions are 0)."""
    import torch

    rewards, values = rewards * mask, values * mask
    adv = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    steps = rewards.size(1)
    for t in reversed(range(steps)):
        next_v = values[:, t + 1] if t + 1 < steps else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_v - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        adv[:, t] = running
    return adv, adv + values


class Critic:
    """Value model: the starting model's transformer (``AutoModel``) plus a zero-initialised value head."""

    def __init__(self, model_path: str | Path) -> None:
        import torch
        from transformers import AutoModel

        self.backbone = AutoModel.from_pretrained(str(model_path), dtype=torch.float32)
        hidden = int(self.backbone.config.hidden_size)
        self.v_head = torch.nn.Linear(hidden, 1, bias=False)
        torch.nn.init.zeros_(self.v_head.weight)

    def parameters(self) -> list[Any]:
        """Trainable parameters (backbone and head)."""
        return [*self.backbone.parameters(), *self.v_head.parameters()]

    def values(self, ids: Any, mask: Any, pos: Any) -> Any:
        """V(s_t) for every position: [batch, seq]."""
        out = self.backbone(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False)
        return self.v_head(out.last_hidden_state.float()).squeeze(-1)

    def state_dict(self) -> dict[str, Any]:
        """Flat tensors for safetensors."""
        sd = {f"backbone.{k}": v.contiguous() for k, v in self.backbone.state_dict().items()}
        sd["v_head.weight"] = self.v_head.weight.detach().contiguous()
        return sd

    def load_state_dict(self, sd: Mapping[str, Any]) -> None:
        """Inverse of :meth:`state_dict`."""
        self.backbone.load_state_dict({k[9:]: v for k, v in sd.items() if k.startswith("backbone.")})
        self.v_head.weight.data.copy_(sd["v_head.weight"])


def _positions(mask: Any) -> Any:
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


def _token_logprobs(model: Any, ids: Any, mask: Any, n_prompt: int) -> Any:
    import torch

    out = model(input_ids=ids, attention_mask=mask, position_ids=_positions(mask), use_cache=False)
    logits = out.logits[:, n_prompt - 1 : -1].float()
    return torch.log_softmax(logits, dim=-1).gather(-1, ids[:, n_prompt:, None]).squeeze(-1)


class PPOTrainerLite:
    """Actor-critic PPO with the IRM reward (see the module docstring). One ``step`` = one batch of prompts."""

    def __init__(
        self,
        model_path: str | Path,
        tokenizer: Any,
        rl: RLStage,
        *,
        seed: int = 0,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        torch.manual_seed(seed)
        self.rl, self.tok, self.seed, self.log = rl, tokenizer, seed, log or (lambda _row: None)
        self.tok.padding_side = "left"
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.actor = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32)
        self.ref = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32).eval()
        for p in self.ref.parameters():
            p.requires_grad_(False)
        self.critic = Critic(model_path)
        self.actor_opt = torch.optim.AdamW(self.actor.parameters(), lr=rl.actor_lr, betas=(0.9, 0.95))
        self.critic_opt = torch.optim.AdamW(self.critic.parameters(), lr=rl.critic_lr, betas=(0.9, 0.95))
        self.global_step = 0
        eos = self.actor.generation_config.eos_token_id
        self.eos_ids = set(
            eos if isinstance(eos, list) else [eos if eos is not None else self.tok.eos_token_id]
        )

    def _response_mask(self, resp: Any) -> Any:
        import torch

        mask = torch.ones_like(resp, dtype=torch.float32)
        for i in range(resp.size(0)):
            for t in range(resp.size(1)):
                if int(resp[i, t]) in self.eos_ids:
                    mask[i, t + 1 :] = 0.0
                    break
        return mask

    def step(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Roll out one completion per prompt, score it, and do ``ppo_epochs`` clipped updates."""
        import torch

        rl = self.rl
        enc = self.tok(
            [r["prompt"] for r in rows], return_tensors="pt", padding=True, add_special_tokens=False
        )
        n_prompt = enc["input_ids"].size(1)
        self.actor.eval()
        with torch.no_grad():
            seq = self.actor.generate(
                **enc,
                do_sample=rl.temperature > 0,
                temperature=rl.temperature if rl.temperature > 0 else None,
                top_p=1.0,
                top_k=0,
                max_new_tokens=rl.max_completion_length,
                pad_token_id=self.tok.pad_token_id,
            )
        resp = seq[:, n_prompt:]
        rmask = self._response_mask(resp)
        mask = torch.cat([enc["attention_mask"].float(), rmask], dim=1)
        texts = [
            self.tok.decode(resp[i][rmask[i] > 0].tolist(), skip_special_tokens=True)
            for i in range(len(rows))
        ]
        scores = irm_reward(
            None,
            texts,
            tools=[r["tools"] for r in rows],
            gold=[r["gold"] for r in rows],
            format=[r["format"] for r in rows],
        )
        with torch.no_grad():
            old_logp = _token_logprobs(self.actor, seq, mask, n_prompt)
            ref_logp = _token_logprobs(self.ref, seq, mask, n_prompt)
            old_v = self.critic.values(seq, mask, _positions(mask))[:, n_prompt - 1 : -1]
            kl = (old_logp - ref_logp) * rmask
            rewards = -rl.kl_beta * kl
            last = (rmask.sum(dim=1).long() - 1).clamp(min=0)
            clipped = torch.tensor(scores).clamp(-rl.reward_clip, rl.reward_clip)
            rewards[torch.arange(len(rows)), last] += clipped
            adv, returns = gae(rewards, old_v, rmask, rl.gamma, rl.lam)
        self.actor.train()
        denom = rmask.sum().clamp(min=1.0)
        for _ in range(max(1, rl.ppo_epochs)):
            logp = _token_logprobs(self.actor, seq, mask, n_prompt)
            ratio = torch.exp(logp - old_logp)
            pg = torch.max(-adv * ratio, -adv * ratio.clamp(1 - rl.clip_range, 1 + rl.clip_range))
            pg_loss = (pg * rmask).sum() / denom
            self.actor_opt.zero_grad()
            pg_loss.backward()
            torch.nn.utils.clip_grad_norm_(self.actor.parameters(), 1.0)
            self.actor_opt.step()
            v = self.critic.values(seq, mask, _positions(mask))[:, n_prompt - 1 : -1]
            v_clip = old_v + (v - old_v).clamp(-rl.value_clip_range, rl.value_clip_range)
            vf = 0.5 * torch.max((v - returns) ** 2, (v_clip - returns) ** 2)
            vf_loss = (vf * rmask).sum() / denom
            self.critic_opt.zero_grad()
            vf_loss.backward()
            torch.nn.utils.clip_grad_norm_(self.critic.parameters(), 1.0)
            self.critic_opt.step()
        self.global_step += 1
        row = {
            "step": self.global_step,
            "reward": sum(scores) / len(scores),
            "pg_loss": float(pg_loss.detach()),
            "vf_loss": float(vf_loss.detach()),
            "kl": float(kl.sum() / denom),
            "response_len": float(rmask.sum(dim=1).mean()),
        }
        self.log(row)
        return row

    def save(self, folder: Path) -> None:
        """Checkpoint: actor (HF folder), critic (safetensors) and the step counter."""
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        self.actor.save_pretrained(folder / "actor")
        save_file(self.critic.state_dict(), str(folder / "critic.safetensors"))
        (folder / "state.json").write_text(jsonio.dumps({"global_step": self.global_step}), encoding="utf-8")

    def load(self, folder: Path) -> None:
        """Resume from :meth:`save` (optimizer moments restart; documented)."""
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModelForCausalLM

        self.actor = AutoModelForCausalLM.from_pretrained(str(folder / "actor"), dtype=torch.float32)
        self.actor_opt = torch.optim.AdamW(self.actor.parameters(), lr=self.rl.actor_lr, betas=(0.9, 0.95))
        self.critic.load_state_dict(load_file(str(folder / "critic.safetensors")))
        state = jsonio.parse((folder / "state.json").read_text(encoding="utf-8"))
        self.global_step = int(state.get("global_step", 0))

    def train(
        self, rows: Sequence[Mapping[str, Any]], ckpt_dir: Path, *, resume: bool = True
    ) -> dict[str, Any]:
        """Run ``epochs`` passes (or ``max_steps`` steps) over ``rows``; checkpoints every ``save_steps``."""
        rl = self.rl
        per_epoch = max(1, math.ceil(len(rows) / rl.batch_size))
        total = rl.max_steps if rl.max_steps > 0 else int(math.ceil(per_epoch * rl.epochs))
        resumed = None
        if resume and (ckpt_dir / "state.json").is_file():
            self.load(ckpt_dir)
            resumed = str(ckpt_dir)
        history: list[dict[str, Any]] = []
        while self.global_step < total:
            epoch, k = divmod(self.global_step, per_epoch)
            order = list(range(len(rows)))
            random.Random(self.seed + epoch).shuffle(order)
            batch = [rows[i] for i in order[k * rl.batch_size : (k + 1) * rl.batch_size]]
            history.append(self.step(batch))
            if self.global_step % max(1, rl.save_steps) == 0 or self.global_step == total:
                self.save(ckpt_dir)
        rewards = [h["reward"] for h in history]
        return {
            "algo": "ppo",
            "steps": self.global_step,
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "reward_mean": sum(rewards) / len(rewards) if rewards else None,
            "resumed_from": resumed,
        }
