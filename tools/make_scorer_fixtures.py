#!/usr/bin/env python3
"""Generate tests/fixtures/scorers/: tiny tokenizer + checkpoints and the transformers reference values
that the C++ scorer tests (Bradley-Terry, log-likelihood / density ratio / DPO, confidence) compare to.

    python3 tools/make_scorer_fixtures.py                # writes tests/fixtures/scorers/, then re-runs
                                                         # itself into a temp dir and compares bytes
    python3 tools/make_scorer_fixtures.py --no-recheck   # skip the second (determinism) run
    python3 tools/make_scorer_fixtures.py --out DIR      # write elsewhere

Needs: torch (CPU is enough), transformers 5.x (written with 5.24), tokenizers (0.23), safetensors,
jinja2.  No network, no external files: the tokenizer is trained here on a synthetic corpus built
from literals and a seeded random.Random, the weights come from seeded torch generators.  The
versions are recorded in expected.json; the same versions reproduce every file byte for byte.

What it writes (tests/fixtures/scorers/):
  <model>/config.json, model.safetensors            save_pretrained (transformers 5 layout), float32
  <model>/tokenizer.json, tokenizer_config.json     our byte-level BPE (see TOKENIZERS below)
  expected.json                                      samples + reference values (layout: see `notes`)
Models: lm_strong / lm_weak (LlamaForCausalLM, seeds 1 / 2, chat tokenizer), lm_base (LlamaForCausalLM
seed 3, base tokenizer: "<s>" BOS via TemplateProcessing, no chat template), rm (Qwen3ForSequence-
Classification, 1 label, seed 4), rm3 (LlamaForSequenceClassification, 3 labels, seed 5), and
lm_other_vocab (LlamaForCausalLM, 1 layer, tied embeddings, its own 300-token BPE trained on the same
corpus: the vocabulary differs from the chat tokenizer's, for the vocabulary-mismatch error test).

Reference values: transformers, float32, eager attention, eval + no_grad, one sequence at a time,
no padding, from the RELOADED saved directory (AutoModelFor*.from_pretrained).  See `notes` in
expected.json for each rule.

What it checks (fails loudly otherwise):
  * AutoTokenizer loads every tokenizer as TokenizersBackend, and its ids equal the raw `tokenizers`
    ids (add_special_tokens True and False) for every text it tokenizes; decode agrees too;
  * apply_chat_template(tokenize=True) ids == tok(text, add_special_tokens=False) ids;
  * the tokenized prompt is a prefix of the tokenized full text for every log-likelihood sample;
  * every sequence fits max_position_embeddings;
  * the reloaded checkpoint gives bit-identical outputs to the in-memory model, sdpa attention agrees
    with eager within 1e-5 * max|logit|;
  * every number is finite, log-probs vary across samples (not degenerate), the confidence token byte
    ends are non-decreasing and end at len(decoded.encode());
  * a second run in a fresh process produces byte-identical files (unless --no-recheck).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import jinja2  # noqa: E402
import safetensors  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    Qwen3Config,
    Qwen3ForSequenceClassification,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "scorers"

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

# ----------------------------------------------------------------------------------------------
# Tokenizers
# ----------------------------------------------------------------------------------------------

EOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
BOS_BASE = "<s>"
SPECIALS = [EOS, IM_START, IM_END]  # added after training: ids trained_size, +1, +2
CHAT_BPE_SIZE = 400  # including the 256-byte alphabet; + 3 specials = 403
OTHER_BPE_SIZE = 297  # + 3 specials = 300
CORPUS_SEED = 20240607

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

NAMES = ["Tom", "Anna", "Ravi", "Mei", "Lucas", "Sara", "Omar", "Zoë", "José", "Chloé"]
THINGS = ["apples", "books", "coins", "pencils", "marbles", "cookies", "stamps", "cards"]
CHAT_REPLIES = [
    "Sure! Here is a short answer.",
    "Thanks for asking. Let me think about it step by step.",
    "Hello! How can I help you today?",
    "I am not sure, but I can try to help.",
    "That is a great question.",
    "Of course. The main idea is simple.",
    "Hi there! Nice to meet you.",
    "Ok.",
    "You are welcome!",
    "I cannot help with that request, sorry.",
]
UNICODE_BITS = [
    "Grüße aus München!", "café au lait", "naïve résumé", "3 × 4 = 12", "x → y", "π ≈ 3.14",
    "日本語のテキスト", "emoji 😀 and 🎉", "Ça va? Très bien.", "½ + ½ = 1", "—dash—", "über schön",
]


def make_corpus() -> list[str]:
    rng = random.Random(CORPUS_SEED)
    out = []
    for _ in range(400):
        name, thing = rng.choice(NAMES), rng.choice(THINGS)
        a, b = rng.randint(2, 60), rng.randint(2, 40)
        op = rng.choice(["buys", "loses", "finds", "gives away"])
        if op in ("buys", "finds"):
            res, step = a + b, f"{a} + {b} = {a + b}"
        else:
            b = min(b, a - 1) if a > 1 else 1
            res, step = a - b, f"{a} - {b} = {a - b}"
        q = f"{name} has {a} {thing} and {op} {b}. How many {thing} does {name} have now?"
        ending = rng.choice([f"So the answer is \\boxed{{{res}}}.", f"The answer is {res}.", f"\\boxed{{{res}}}"])
        out.append(f"{q}\nStep 1: {step}.\n{ending}")
        # multiplication / fractions
        x, y = rng.randint(2, 12), rng.randint(2, 12)
        out.append(f"What is {x} times {y}?\nWe compute {x} × {y} = {x * y}.\nThe answer is \\boxed{{{x * y}}}.")
        p, r = rng.randint(1, 9), rng.randint(2, 9)
        out.append(f"Simplify {p}/{r}. The result is \\boxed{{\\frac{{{p}}}{{{r}}}}}.")
        out.append(rng.choice(CHAT_REPLIES) + " " + rng.choice(CHAT_REPLIES))
        out.append(f"user\n{rng.choice(CHAT_REPLIES)}\nassistant\n{rng.choice(CHAT_REPLIES)}\n"
                   "system\nYou are a helpful assistant.")
        if rng.random() < 0.5:
            out.append(rng.choice(UNICODE_BITS) + " " + rng.choice(UNICODE_BITS))
    return out


def train_bpe(corpus: list[str], trained_size: int) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=trained_size,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    assert tok.get_vocab_size() == trained_size, (tok.get_vocab_size(), trained_size)
    tok.add_special_tokens([tokenizers.AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    return tok


def tokenizer_variant(trained: Tokenizer, kind: str) -> tuple[str, dict]:
    """(tokenizer.json text, tokenizer_config.json dict) for kind 'chat' or 'base'."""
    tok = Tokenizer.from_str(trained.to_str())
    if kind == "chat":
        # Like Qwen2's tokenizer.json.  (A null post_processor would make transformers build a
        # TemplateProcessing "$A:0" of its own; the ids would be the same, but keep the file as used.)
        tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
        cfg = {"bos_token": None, "chat_template": CHAT_TEMPLATE}
    elif kind == "base":
        tok.add_special_tokens([tokenizers.AddedToken(BOS_BASE, special=True, normalized=False)])
        bos_id = tok.token_to_id(BOS_BASE)
        tok.post_processor = processors.TemplateProcessing(
            single=f"{BOS_BASE} $A", pair=f"{BOS_BASE} $A {BOS_BASE}:1 $B:1", special_tokens=[(BOS_BASE, bos_id)])
        cfg = {"bos_token": BOS_BASE}
    else:
        raise ValueError(kind)
    config = {
        "tokenizer_class": "TokenizersBackend",
        "bos_token": cfg["bos_token"],
        "eos_token": EOS,
        "pad_token": EOS,
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 256,
    }
    if "chat_template" in cfg:
        config["chat_template"] = cfg["chat_template"]
    return tok.to_str(pretty=True), config


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

STD_MATRIX = 0.2  # q/k/v/o and MLP projections
STD_EMBED = 0.4
STD_HEAD = 0.2  # lm_head and the classification `score` head
STD_NORM = 0.1  # RMSNorm weights: 1 + N(0, STD_NORM^2)

DIMS = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=128,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    attention_dropout=0.0,
    tie_word_embeddings=False,
)

ID2LABEL3 = {0: "helpfulness", 1: "correctness", 2: "safety"}

MODELS = [
    dict(name="lm_strong", cls=LlamaForCausalLM, cfg=LlamaConfig, seed=1, tokenizer="chat", head="causal"),
    dict(name="lm_weak", cls=LlamaForCausalLM, cfg=LlamaConfig, seed=2, tokenizer="chat", head="causal"),
    dict(name="lm_base", cls=LlamaForCausalLM, cfg=LlamaConfig, seed=3, tokenizer="base", head="causal"),
    dict(name="rm", cls=Qwen3ForSequenceClassification, cfg=Qwen3Config, seed=4, tokenizer="chat", head="cls",
         extra=dict(num_labels=1)),
    dict(name="rm3", cls=LlamaForSequenceClassification, cfg=LlamaConfig, seed=5, tokenizer="chat", head="cls",
         extra=dict(num_labels=3, id2label=dict(ID2LABEL3), label2id={v: k for k, v in ID2LABEL3.items()})),
    dict(name="lm_other_vocab", cls=LlamaForCausalLM, cfg=LlamaConfig, seed=6, tokenizer="other", head="causal",
         extra=dict(num_hidden_layers=1, tie_word_embeddings=True)),
]


@torch.no_grad()
def randomize(model, seed: int):
    """Overwrite every parameter with seeded noise (tied parameters once), in named_modules order."""
    gen = torch.Generator()
    gen.manual_seed(seed)
    seen = set()
    for mod_name, mod in model.named_modules():
        cls = type(mod).__name__
        for p_name, p in mod.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if "RMSNorm" in cls:
                val = 1.0 + STD_NORM * noise
            elif isinstance(mod, torch.nn.Embedding):
                val = STD_EMBED * noise
            elif isinstance(mod, torch.nn.Linear) and p_name == "weight":
                val = (STD_HEAD if mod_name in ("lm_head", "score") else STD_MATRIX) * noise
            else:
                raise RuntimeError(f"unexpected parameter {mod_name}.{p_name} in {cls}")
            p.copy_(val)
    assert len(seen) == sum(1 for _ in model.parameters())


def build_model(spec, tok_info):
    kw = dict(DIMS)
    kw.update(vocab_size=tok_info["vocab_size"], eos_token_id=tok_info["eos_token_id"],
              pad_token_id=tok_info["pad_token_id"], bos_token_id=tok_info["bos_token_id"])
    kw.update(spec.get("extra", {}))
    cfg = spec["cfg"](**kw)
    cfg._attn_implementation = "eager"
    torch.manual_seed(spec["seed"])  # construction-time init, overwritten below
    model = spec["cls"](cfg)
    model.eval()
    randomize(model, spec["seed"])
    return model


def load(path: Path, head: str, attn="eager"):
    cls = AutoModelForCausalLM if head == "causal" else AutoModelForSequenceClassification
    m = cls.from_pretrained(path, dtype=torch.float32, attn_implementation=attn)
    m.eval()
    return m


@torch.no_grad()
def logits_of(model, ids: list[int]) -> torch.Tensor:
    return model(input_ids=torch.tensor([ids], dtype=torch.int64)).logits[0].float()


# ----------------------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------------------

def chat(id_, *turns):
    msgs = [{"role": r, "content": c} for r, c in turns]
    assert msgs[-1]["role"] == "assistant"
    return {"id": id_, "kind": "chat", "messages": msgs}


SAMPLES = [
    chat("single_turn_boxed", ("user", "What is 6 times 7?"),
         ("assistant", "We compute 6 × 7 = 42, so the result is \\boxed{42}.")),
    chat("system_prompt_frac", ("system", "You are a careful math tutor."),
         ("user", "Simplify 3/6."),
         ("assistant", "Both numbers share the factor 3, so the result is \\boxed{\\frac{1}{2}}.")),
    chat("multi_turn", ("user", "Hi! Can you help me with math?"),
         ("assistant", "Of course. What is the question?"),
         ("user", "Tom has 5 apples and buys 3 more. How many apples does Tom have now?"),
         ("assistant", "Step 1: 5 + 3 = 8.\nSo the answer is \\boxed{8}.")),
    chat("two_boxes", ("user", "What is 9 + 3?"),
         ("assistant", "At first I wrote \\boxed{11}, but 9 + 3 = 12, so the answer is \\boxed{12}.")),
    chat("answer_is", ("system", "You are a helpful assistant."),
         ("user", "Anna has 12 coins and finds 5. How many coins does Anna have now?"),
         ("assistant", "Step 1: 12 + 5 = 17.\nThe answer is 17.\nThanks for asking.")),
    chat("answer_is_colon_and_boxed", ("user", "Simplify 9/6."),
         ("assistant", "The answer is: 3/2.\nIn LaTeX: \\boxed{\\frac{3}{2}}")),
    chat("no_answer", ("user", "What is the meaning of life?"),
         ("assistant", "I am not sure, but I can try to help.")),
    chat("unicode", ("user", "Grüße! What is 3 × 4?"),
         ("assistant", "Ça va? 3 × 4 = 12 → \\boxed{12} 😀")),
    chat("short", ("user", "Say ok."), ("assistant", "Ok.")),
    chat("chat_reply", ("system", "You are a friendly assistant."), ("user", "Hello!"),
         ("assistant", "Hi there! Nice to meet you. How can I help you today?")),
]

RAW_SAMPLES = [
    {"id": "raw_math", "kind": "raw", "prompt": "Question: What is 2 + 3?\nAnswer:",
     "response": " 2 + 3 = 5, so the answer is \\boxed{5}."},
    {"id": "raw_story", "kind": "raw", "prompt": "Hello! How can I help you today?",
     "response": "\nI am not sure, but thanks for asking."},
    {"id": "raw_unicode", "kind": "raw", "prompt": "Translate: thank you\n", "response": "café au lait ½ 😀"},
]

BETAS = (1.0, 0.1)


# ----------------------------------------------------------------------------------------------
# Reference computations
# ----------------------------------------------------------------------------------------------

def f(x) -> float:
    x = float(x)
    if not math.isfinite(x):
        raise AssertionError(f"non-finite value {x}")
    return x


class TokCheck:
    """AutoTokenizer + raw tokenizers.Tokenizer; every encode/decode goes through both."""

    def __init__(self, path: Path):
        self.hf = AutoTokenizer.from_pretrained(path)
        if type(self.hf).__name__ != "TokenizersBackend":
            raise AssertionError(f"{path}: AutoTokenizer gave {type(self.hf).__name__}, not TokenizersBackend")
        self.raw = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.path = path
        self.added_ids = {int(i) for i in self.raw.get_added_tokens_decoder()}

    def encode(self, text: str, add_special_tokens: bool) -> list[int]:
        ids = [int(i) for i in self.hf(text, add_special_tokens=add_special_tokens)["input_ids"]]
        raw = self.raw.encode(text, add_special_tokens=add_special_tokens).ids
        if ids != raw:
            raise AssertionError(f"{self.path}: AutoTokenizer {ids} != tokenizers {raw} for {text!r}")
        return ids

    def decode(self, ids: list[int]) -> str:
        s = self.hf.decode(ids, skip_special_tokens=False)
        r = self.raw.decode(ids, skip_special_tokens=False)
        if s != r:
            raise AssertionError(f"{self.path}: decode differs {s!r} vs {r!r}")
        return s

    def template(self, messages, add_generation_prompt: bool) -> str:
        text = self.hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        ids = self.hf.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        if [int(i) for i in ids] != self.encode(text, add_special_tokens=False):
            raise AssertionError(f"{self.path}: apply_chat_template(tokenize=True) ids differ for {messages}")
        return text


def check_len(ids, name):
    if len(ids) > DIMS["max_position_embeddings"]:
        raise AssertionError(f"{name}: {len(ids)} tokens > max_position_embeddings")


def bradley_terry(model, tok: TokCheck, sample, name):
    text = tok.template(sample["messages"], add_generation_prompt=False)
    bos = tok.hf.bos_token
    # RewardBench: drop a leading BOS string when the tokenizer adds BOS itself.
    adds_bos = bos is not None and tok.encode("", add_special_tokens=True)[:1] == [tok.hf.bos_token_id]
    applies = bool(bos) and text.startswith(bos) and adds_bos
    tok_text = text[len(bos):] if applies else text
    ids = tok.encode(tok_text, add_special_tokens=True)
    check_len(ids, name)
    with torch.no_grad():
        scores = model(input_ids=torch.tensor([ids])).logits[0].float()
    return {"text": text, "bos_rule_applied": applies, "ids": ids, "scores": [f(v) for v in scores.tolist()]}


FOLLOW_UP_POSITIVE = "Thanks, that is exactly right!"
FOLLOW_UP_NEGATIVE = "No, that is wrong."


def response_logprobs(model, full_ids, start):
    logp = torch.log_softmax(logits_of(model, full_ids), dim=-1)
    return [f(logp[t - 1, full_ids[t]]) for t in range(start, len(full_ids))]


def loglik_entry(model, prompt_text, full_text, prompt_ids, full_ids, name):
    check_len(full_ids, name)
    prefix_ok = full_ids[: len(prompt_ids)] == prompt_ids
    if not prefix_ok:
        raise AssertionError(f"{name}: prompt ids are not a prefix of the full ids")
    if len(full_ids) <= len(prompt_ids):
        raise AssertionError(f"{name}: no response tokens")
    lp = response_logprobs(model, full_ids, len(prompt_ids))
    s = math.fsum(lp)
    return {
        "prompt_text": prompt_text, "full_text": full_text, "prompt_ids": prompt_ids, "full_ids": full_ids,
        "prefix_ok": prefix_ok, "num_response_tokens": len(lp), "response_logprobs": lp,
        "sum": s, "mean": s / len(lp),
    }


def loglik_chat(model, tok: TokCheck, sample, name):
    msgs = sample["messages"]
    prompt_text = tok.template(msgs[:-1], add_generation_prompt=True)
    full_text = tok.template(msgs, add_generation_prompt=False)
    return loglik_entry(model, prompt_text, full_text, tok.encode(prompt_text, False), tok.encode(full_text, False),
                        name)


def loglik_raw(model, tok: TokCheck, sample, name):
    p, r = sample["prompt"], sample["response"]
    return loglik_entry(model, p, p + r, tok.encode(p, True), tok.encode(p + r, True), name)


def locate_boxed(d: bytes):
    """Inside of the last COMPLETE \\boxed{...} (braces nest; an unclosed last box is skipped, an
    empty last complete box gives None), as include/rewardkit/answer_locator.hpp documents."""
    i = len(d)
    while True:
        i = d.rfind(b"\\boxed{", 0, i)
        if i < 0:
            return None
        start = i + len(b"\\boxed{")
        depth = 1
        for j in range(start, len(d)):
            if d[j:j + 1] == b"{":
                depth += 1
            elif d[j:j + 1] == b"}":
                depth -= 1
                if depth == 0:
                    return (start, j) if j > start else None
        # unclosed: try the box that starts before this one


def locate_answer_is(d: bytes, phrase: bytes = b"The answer is"):
    """After the last `phrase`: skip spaces/tabs, one optional ':', spaces/tabs; up to the next
    newline (or the end); trailing whitespace, then one '.', then whitespace removed; empty -> None."""
    i = d.rfind(phrase)
    if i < 0:
        return None
    j = i + len(phrase)
    ws = b" \t"
    while j < len(d) and d[j] in ws:
        j += 1
    if d[j:j + 1] == b":":
        j += 1
        while j < len(d) and d[j] in ws:
            j += 1
    e = d.find(b"\n", j)
    e = len(d) if e < 0 else e
    trail = b" \t\r\f\v"
    while e > j and d[e - 1] in trail:
        e -= 1
    if e > j and d[e - 1:e] == b".":
        e -= 1
    while e > j and d[e - 1] in trail:
        e -= 1
    return (j, e) if e > j else None


LOCATORS = {"boxed": locate_boxed, "answer_is": locate_answer_is}


def _byte_decoder() -> dict[str, int]:
    # GPT-2 bytes_to_unicode, inverted (what tokenizers' ByteLevel uses).
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTE_DECODER = _byte_decoder()
assert set(BYTE_DECODER) == set(pre_tokenizers.ByteLevel.alphabet())


def token_bytes(tok: "TokCheck", i: int) -> bytes:
    piece = tok.raw.id_to_token(i)
    if i in tok.added_ids:
        return piece.encode("utf-8")
    return bytes(BYTE_DECODER[c] for c in piece)


def confidence(ll, tok: TokCheck, name):
    full_ids, n_prompt, lp = ll["full_ids"], len(ll["prompt_ids"]), ll["response_logprobs"]
    R = full_ids[n_prompt:]
    D = tok.decode(R)
    Db = D.encode("utf-8")
    # The bytes each token stands for; their concatenation is D's bytes.
    pieces = [token_bytes(tok, i) for i in R]
    if b"".join(pieces) != Db:
        raise AssertionError(f"{name}: token bytes do not concatenate to the decoded text")
    ends, n = [], 0
    for piece in pieces:
        n += len(piece)
        ends.append(n)
    # The brief's rule len(decode(R[:k+1]).encode()) equals these ends except where a prefix ends
    # inside a multi-byte character (decode then yields U+FFFD, 3 bytes): recorded for reference.
    ends_decode = [len(tok.decode(R[: k + 1]).encode("utf-8")) for k in range(len(R))]
    split = [k for k in range(len(R)) if ends_decode[k] != ends[k]]
    for k in split:
        if "\ufffd" not in tok.decode(R[: k + 1]):
            raise AssertionError(f"{name}: decode-prefix end differs at {k} without a split character")
    starts = [0] + ends[:-1]
    out = {"response_ids": R, "decoded": D, "decoded_num_bytes": len(Db), "token_byte_ends": ends,
           "token_byte_ends_decode_prefix": ends_decode, "tokens_ending_inside_a_character": split,
           "locators": {}}
    for loc, fn in LOCATORS.items():
        span = fn(Db)
        if span is None:
            out["locators"][loc] = {"found": False}
            continue
        s, e = span
        toks = [k for k in range(len(R)) if starts[k] < e and ends[k] > s]
        if not toks:
            raise AssertionError(f"{name}/{loc}: span {span} covers no token")
        lps = [lp[k] for k in toks]
        ps = [math.exp(x) for x in lps]
        out["locators"][loc] = {
            "found": True, "span": [s, e], "answer": Db[s:e].decode("utf-8"), "token_indices": toks,
            "mean_prob": f(math.fsum(ps) / len(ps)),
            "geometric_mean": f(math.exp(math.fsum(lps) / len(lps))),
            "min_prob": f(min(ps)),
            "mean_logprob": f(math.fsum(lps) / len(lps)),
        }
    return out


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def dir_size(p: Path) -> int:
    return sum(x.stat().st_size for x in p.rglob("*") if x.is_file())


def write_tokenizer(dir_: Path, tok_json: str, tok_cfg: dict):
    (dir_ / "tokenizer.json").write_text(tok_json + "\n", encoding="utf-8")
    (dir_ / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")


def generate(out: Path):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    corpus = make_corpus()
    trained = {"chat": train_bpe(corpus, CHAT_BPE_SIZE), "other": train_bpe(corpus, OTHER_BPE_SIZE)}
    tok_files = {
        "chat": tokenizer_variant(trained["chat"], "chat"),
        "base": tokenizer_variant(trained["chat"], "base"),
        "other": tokenizer_variant(trained["other"], "chat"),
    }

    # Tokenizer facts, from the files as AutoTokenizer loads them.
    tok_info = {}
    with tempfile.TemporaryDirectory() as td:
        for kind, (tj, tc) in tok_files.items():
            d = Path(td) / kind
            d.mkdir()
            write_tokenizer(d, tj, tc)
            t = TokCheck(d)
            size = len(t.hf)
            assert size == t.raw.get_vocab_size(with_added_tokens=True)
            tok_info[kind] = {
                "vocab_size": size,
                "bpe_vocab_size": t.raw.get_vocab_size(with_added_tokens=False),
                "num_merges": len(json.loads(tj)["model"]["merges"]),
                "class": type(t.hf).__name__,
                "eos_token": t.hf.eos_token, "eos_token_id": t.hf.eos_token_id,
                "pad_token": t.hf.pad_token, "pad_token_id": t.hf.pad_token_id,
                "bos_token": t.hf.bos_token, "bos_token_id": t.hf.bos_token_id,
                "im_start_id": t.raw.token_to_id(IM_START), "im_end_id": t.raw.token_to_id(IM_END),
                "has_chat_template": "chat_template" in tc,
                "adds_bos": t.encode("x", True) != t.encode("x", False),
            }
    assert tok_info["chat"]["vocab_size"] == CHAT_BPE_SIZE + 3 and tok_info["base"]["vocab_size"] == CHAT_BPE_SIZE + 4
    assert tok_info["other"]["vocab_size"] == 300
    assert tok_info["base"]["adds_bos"] and not tok_info["chat"]["adds_bos"]

    # Checkpoints.
    model_meta = {}
    for spec in MODELS:
        name = spec["name"]
        d = out / name
        model = build_model(spec, tok_info[spec["tokenizer"]])
        model.save_pretrained(d)  # transformers 5: always safetensors (no safe_serialization argument)
        gc = d / "generation_config.json"
        if gc.exists():
            gc.unlink()
        write_tokenizer(d, *tok_files[spec["tokenizer"]])
        spec["_mem"] = model
        cfg = json.loads((d / "config.json").read_text())
        model_meta[name] = {
            "dir": name, "architecture": cfg["architectures"][0], "model_type": cfg["model_type"],
            "tokenizer": spec["tokenizer"], "vocab_size": cfg["vocab_size"], "seed": spec["seed"],
            "num_hidden_layers": cfg["num_hidden_layers"],
            "num_labels": len(cfg["id2label"]) if spec["head"] == "cls" else None,
            "id2label": cfg.get("id2label") if spec["head"] == "cls" and spec["extra"]["num_labels"] > 1 else None,
            "pad_token_id": cfg.get("pad_token_id"), "eos_token_id": cfg.get("eos_token_id"),
            "bos_token_id": cfg.get("bos_token_id"),
        }

    loaded, toks = {}, {}
    for spec in MODELS:
        name = spec["name"]
        loaded[name] = load(out / name, spec["head"])
        toks[name] = TokCheck(out / name)

    # Reload check: bit-identical to the in-memory model, sdpa within 1e-5 relative (every sample's text).
    probe_texts = {}
    for spec in MODELS:
        name, mem, m = spec["name"], spec["_mem"], loaded[spec["name"]]
        t = toks[name]
        texts = ([t.template(s["messages"], False) for s in SAMPLES] if t.hf.chat_template
                 else [s["prompt"] + s["response"] for s in RAW_SAMPLES])
        sd = load(out / name, spec["head"], attn="sdpa")
        worst_sdpa, max_abs = 0.0, 0.0
        for text in texts:
            ids = t.encode(text, True)
            a, b, c = logits_of(m, ids), logits_of(mem, ids), logits_of(sd, ids)
            if not torch.equal(a, b):
                raise AssertionError(f"{name}: reloaded checkpoint differs from in-memory model by "
                                     f"{(a - b).abs().max().item()}")
            worst_sdpa = max(worst_sdpa, (a - c).abs().max().item())
            max_abs = max(max_abs, a.abs().max().item())
            if not torch.isfinite(a).all():
                raise AssertionError(f"{name}: non-finite logits")
        if worst_sdpa > 1e-5 * max(1.0, max_abs):
            raise AssertionError(f"{name}: sdpa differs from eager by {worst_sdpa} (max |logit| {max_abs})")
        model_meta[name]["max_abs_logit"] = max_abs
        model_meta[name]["max_abs_diff_sdpa_vs_eager"] = worst_sdpa
        probe_texts[name] = len(texts)
        del sd, spec["_mem"]

    # (a) Bradley-Terry.
    bt = {name: {s["id"]: bradley_terry(loaded[name], toks[name], s, f"{name}/{s['id']}") for s in SAMPLES}
          for name in ("rm", "rm3")}
    # (b) Log-likelihood.
    ll = {name: {s["id"]: loglik_chat(loaded[name], toks[name], s, f"{name}/{s['id']}") for s in SAMPLES}
          for name in ("lm_strong", "lm_weak")}
    ll["lm_base"] = {s["id"]: loglik_raw(loaded["lm_base"], toks["lm_base"], s, f"lm_base/{s['id']}")
                     for s in RAW_SAMPLES}
    for s in SAMPLES:  # both models see the same text and ids
        a, b = ll["lm_strong"][s["id"]], ll["lm_weak"][s["id"]]
        assert a["full_ids"] == b["full_ids"] and a["prompt_ids"] == b["prompt_ids"]
    # (c) Derived.
    derived = {}
    for s in SAMPLES:
        pol, ref = ll["lm_strong"][s["id"]], ll["lm_weak"][s["id"]]
        n = pol["num_response_tokens"]
        diff = pol["sum"] - ref["sum"]
        lp = pol["response_logprobs"]
        derived[s["id"]] = {
            "num_response_tokens": n,
            "density_ratio": f(diff),
            "density_ratio_mean": f(diff / n),
            "dpo": {str(beta): f(beta * diff) for beta in BETAS},
            "dpo_ref_free": {"avg": f(pol["mean"]), "sum": f(pol["sum"]),
                             "norm": f(-math.sqrt(math.fsum(x * x for x in lp)))},
        }
    # (e) Follow-up likelihood: a fixed user utterance after the conversation, scored as its own
    # turn (prompt = the conversation, no generation prompt; full = conversation + follow-up).
    follow = {"positive": FOLLOW_UP_POSITIVE, "negative": FOLLOW_UP_NEGATIVE, "lm_strong": {}}
    for s_ in SAMPLES:
        sums = {}
        for key, utterance in (("positive", FOLLOW_UP_POSITIVE), ("negative", FOLLOW_UP_NEGATIVE)):
            tok_ = toks["lm_strong"]
            msgs = s_["messages"] + [{"role": "user", "content": utterance}]
            prompt_text = tok_.template(s_["messages"], add_generation_prompt=False)
            full_text = tok_.template(msgs, add_generation_prompt=False)
            entry = loglik_entry(loaded["lm_strong"], prompt_text, full_text, tok_.encode(prompt_text, False),
                                 tok_.encode(full_text, False), f"follow/{s_['id']}/{key}")
            sums[key] = entry["sum"]
            sums[key + "_tokens"] = entry["num_response_tokens"]
        sums["reward"] = f(sums["positive"] - sums["negative"])
        follow["lm_strong"][s_["id"]] = sums
    # (d) Confidence.
    conf = {"lm_strong": {s["id"]: confidence(ll["lm_strong"][s["id"]], toks["lm_strong"], f"conf/{s['id']}")
                          for s in SAMPLES}}

    # Non-degeneracy: scores and log-likelihoods vary across samples.
    def spread(xs):
        return max(xs) - min(xs)
    for name in ("rm", "rm3"):
        for j in range(len(next(iter(bt[name].values()))["scores"])):
            if spread([v["scores"][j] for v in bt[name].values()]) < 0.1:
                raise AssertionError(f"{name}: label {j} scores barely vary across samples")
    for name in ("lm_strong", "lm_weak", "lm_base"):
        means = [v["mean"] for v in ll[name].values()]
        all_lp = [x for v in ll[name].values() for x in v["response_logprobs"]]
        if spread(means) < 0.1 or spread(all_lp) < 1.0:
            raise AssertionError(f"{name}: log-probs are degenerate")
    if spread([v["density_ratio"] for v in derived.values()]) < 0.5:
        raise AssertionError("density ratios barely vary")

    expected = {
        "generator": "tools/make_scorer_fixtures.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "safetensors": safetensors.__version__, "jinja2": jinja2.__version__},
        "notes": {
            "reference": "transformers float32, eager attention, eval, no_grad, one unpadded sequence at a time, "
                         "from AutoModelFor*.from_pretrained(<dir>) of the saved directory",
            "bradley_terry": "text = apply_chat_template(messages, tokenize=False) (no generation prompt); a leading "
                             "bos_token string is dropped when the tokenizer adds BOS itself (bos_rule_applied; never "
                             "here: the chat tokenizer has no BOS); ids = tok(text, add_special_tokens=True); "
                             "scores = logits[0] (raw head output at the last token, num_labels values)",
            "log_likelihood": "chat: prompt_text = apply_chat_template(messages[:-1], add_generation_prompt=True), "
                              "full_text = apply_chat_template(messages), both tokenized with add_special_tokens=False; "
                              "raw (lm_base): prompt_ids = tok(prompt), full_ids = tok(prompt + response), "
                              "add_special_tokens=True (BOS <s>). response_logprobs[k] = log_softmax(logits[t-1])"
                              "[full_ids[t]] for t = len(prompt_ids) + k < len(full_ids), float32; sum = fsum in "
                              "double of those float32 values, mean = sum / num_response_tokens",
            "derived": "policy/strong = lm_strong, reference/weak = lm_weak, same ids. density_ratio = sum_strong - "
                       "sum_weak; density_ratio_mean = that / num_response_tokens; dpo[beta] = beta * (sum_policy - "
                       "sum_ref) for beta '1.0' and '0.1'; dpo_ref_free (policy only): avg = mean, sum, norm = "
                       "-sqrt(sum of squared log-probs)",
            "follow_up": "lm_strong. For each chat sample and utterance u (positive, negative): prompt_text = "
                         "apply_chat_template(messages), full_text = apply_chat_template(messages + [user: u]), no "
                         "generation prompt, add_special_tokens=False; sum of the log-probs of the tokens from "
                         "len(prompt_ids) on; reward = positive sum - negative sum",
            "confidence": "lm_strong. response_ids R = full_ids[len(prompt_ids):] (ends with <|im_end|>, \\n); "
                          "decoded D = decode(R, skip_special_tokens=False); token k covers bytes "
                          "[token_byte_ends[k-1] (0 for k=0), token_byte_ends[k]) of D: cumulative byte lengths of "
                          "the tokens (byte-level piece mapped back to bytes; an added token: its content), which "
                          "concatenate to D's bytes. token_byte_ends_decode_prefix[k] = len(decode(R[:k+1]).encode()) "
                          "is the same except at tokens_ending_inside_a_character (decode yields U+FFFD there, 3 "
                          "bytes; not monotone). boxed: inside of the LAST complete \\boxed{...}, braces balanced; "
                          "answer_is: after the last 'The answer is', skip spaces/tabs, optional ':', spaces/tabs, up "
                          "to the next \\n (or end), trailing whitespace, one '.', whitespace removed (the rules of "
                          "include/rewardkit/answer_locator.hpp). span = [start, end) bytes of D; token_indices = k "
                          "with start_k < end and end_k > start; p_k = exp(response_logprobs[k]); mean_prob = mean "
                          "p_k, geometric_mean = exp(mean log p), min_prob, mean_logprob (double, from the float32 "
                          "log-probs)",
        },
        "tokenizers": tok_info,
        "models": model_meta,
        "samples": SAMPLES + RAW_SAMPLES,
        "bradley_terry": bt,
        "log_likelihood": ll,
        "derived": derived,
        "confidence": conf,
        "follow_up": follow,
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return expected


def compare_trees(a: Path, b: Path):
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if fa != fb:
        raise AssertionError(f"determinism: file lists differ: {set(fa) ^ set(fb)}")
    bad = [str(p) for p in fa if not filecmp.cmp(a / p, b / p, shallow=False)]
    if bad:
        raise AssertionError(f"determinism: files differ between two runs: {bad}")
    return len(fa)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-recheck", action="store_true", help="skip the second run that checks determinism")
    args = ap.parse_args()
    exp = generate(args.out)
    size = dir_size(args.out)
    print(f"wrote {args.out} ({size / 1024:.1f} KiB)")
    for name, m in exp["models"].items():
        print(f"  {name:15s} {m['architecture']:32s} vocab {m['vocab_size']}  "
              f"{dir_size(args.out / name) / 1024:7.1f} KiB  max|logit| {m['max_abs_logit']:.2f}  sdpa-eager {m['max_abs_diff_sdpa_vs_eager']:.2g}")
    for name, per in exp["bradley_terry"].items():
        print(f"  {name} scores: " + ", ".join(f"{k}={[round(x, 3) for x in v['scores']]}" for k, v in per.items()))
    for name, per in exp["log_likelihood"].items():
        print(f"  {name} mean logprob: " + ", ".join(f"{k}={v['mean']:.3f}" for k, v in per.items()))
    print("  density_ratio: " + ", ".join(f"{k}={v['density_ratio']:.3f}" for k, v in exp["derived"].items()))
    for k, v in exp["confidence"]["lm_strong"].items():
        locs = {n: (l["answer"], round(l["mean_prob"], 4)) for n, l in v["locators"].items() if l["found"]}
        print(f"  confidence {k}: {locs}")
    if size > 4 * 1024 * 1024:
        raise AssertionError(f"fixtures are {size} bytes > 4 MiB")
    if not args.no_recheck:
        with tempfile.TemporaryDirectory() as td:
            subprocess.run([sys.executable, __file__, "--out", td + "/s", "--no-recheck"], check=True,
                           stdout=subprocess.DEVNULL)
            n = compare_trees(args.out, Path(td) / "s")
        print(f"determinism: second run in a fresh process gave {n} byte-identical files")


if __name__ == "__main__":
    main()
