"""Chat-template parity: the ids training builds from a collected trajectory are the ids the backend used.

A tiny random Llama with a BPE tokenizer trained here (no downloads) is run by the ``transformers`` backend
through ``tlbench collect``'s engine with the ``chat-template`` prompt format. A spy records the prompt ids the
backend fed the model and the ids it generated. Checks:

* every turn's stored ``token_ids`` are exactly the generated ids, and decode to the stored message;
* for every turn, rendering the *stored* messages (roles as written to the file) with the same template and
  tokenizing as the training side does gives exactly the prompt ids the backend fed the model;
* ``training.sequences.build_examples`` (the training side) puts prompt + generated ids of the first turn at the
  head of its sequence, unchanged.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from training import sequences  # noqa: E402 - needs torch

SPECIALS = ["<|pad|>", "<|bos|>", "<|end|>", "<|unk|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"]
TEMPLATE = (
    "{{ bos_token }}{%- if tools %}<|system|>Tools: {{ tools | tojson }}<|end|>\n{% endif %}"
    "{%- for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>\n{% endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _tokenizer():  # noqa: ANN202 - transformers type
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    rng = random.Random(1)
    corpus = []
    for i in range(200):
        city = rng.choice(["Paris", "Oslo", "Lima", "Rome"])
        corpus.append(f'Action: get_weather\nAction Input: {{"city": "{city}", "unit": "{i % 3}"}}')
        corpus.append(f"What is the weather in {city}? The local time is {i}:00. Thank you for the answer.")
    tok = Tokenizer(models.BPE(unk_token="<|unk|>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|bos|>",
        eos_token="<|end|>",
        pad_token="<|pad|>",
        unk_token="<|unk|>",
        chat_template=TEMPLATE,
    )


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tok = _tokenizer()
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # spread logits; special tokens get logit 0 so generations stay plain text
        emb = model.model.embed_tokens.weight
        emb.mul_(8.0)
        emb[: len(SPECIALS)] = 0.0
    out = tmp_path_factory.mktemp("parity_llama")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_training_ids_match_what_the_backend_generated(tiny_dir: Path, tmp_path: Path, weather_docs) -> None:
    from tlbench.backends.base import GenConfig
    from tlbench.backends.hf import HFBackend
    from tlbench.prompts import render, stop_for
    from training.collector import collect
    from training.tasks.synthetic import generate_tasks, library_from_docs
    from training.trajectory import read_trajectories

    backend = HFBackend.from_pretrained(tiny_dir, dtype="float32", device="cpu", batch_size=2)
    tok = backend.tokenizer
    fed: dict[str, list[int]] = {}
    generated: list[tuple[int, ...]] = []
    encode, finish = backend.encode, backend._finish

    def spy_encode(prompt, tools=None):  # noqa: ANN001, ANN202
        ids = encode(prompt, tools)
        fed[prompt if isinstance(prompt, str) else json.dumps(prompt)] = ids
        return ids

    def spy_finish(row, n_prompt, config, truncated):  # noqa: ANN001, ANN202
        g = finish(row, n_prompt, config, truncated)
        generated.append(g.token_ids)
        return g

    backend.encode, backend._finish = spy_encode, spy_finish
    tasks = generate_tasks(library_from_docs(weather_docs[:3]), n=2, seed=0)
    out = tmp_path / "p.jsonl"
    fmt = "chat-template"
    config = GenConfig(max_new_tokens=10, stop=stop_for(fmt))
    stats = collect(
        tasks, out, backend, fmt=fmt, tokenizer=tok, config=config, batch_size=2, max_generations=3
    )
    assert stats.written == 2
    records = list(read_trajectories(out))
    checked = 0
    for rec in records:
        for turn in rec.turns:
            if turn.token_ids is None:
                continue  # the appended forced-finish text was not generated
            checked += 1
            assert turn.token_ids in generated
            content = rec.messages[turn.message_index]["content"]
            assert tok.decode(list(turn.token_ids), skip_special_tokens=True) == content
            prompt = render(fmt, rec.messages[: turn.message_index], rec.tools, tokenizer=tok)
            assert isinstance(prompt, str) and prompt in fed, "the stored messages render a different prompt"
            assert (
                list(tok(prompt, add_special_tokens=not prompt.startswith(tok.bos_token))["input_ids"])
                == fed[prompt]
            )
    assert checked >= 2
    examples, bstats = sequences.build_examples(records, tok, fmt, mae=False, pkt=False)
    assert bstats.used_token_ids >= 2 and examples
    first = records[0]
    t0 = first.turns[0]
    prompt0 = render(fmt, first.messages[: t0.message_index], first.tools, tokenizer=tok)
    head = fed[prompt0] + list(t0.token_ids)
    ex = next(e for e in examples if e.record_id == first.id)
    assert list(ex.input_ids[: len(head)]) == head
