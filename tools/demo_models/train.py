#!/usr/bin/env python3
"""Train rewardkit's demo models (models/arith-*) and write their held-out evaluation sets and the
transformers reference results that `rewardkit eval` is checked against.

    python3 tools/demo_models/train.py                  # writes models/ (see models/README.md)
    python3 tools/demo_models/train.py --out DIR        # write elsewhere
    python3 tools/demo_models/train.py --rewardkit /path/to/rewardkit   # also cross-check the C++ CLI
                                                        # (tools/demo_models/check_cpp.py)

The task: multi-digit arithmetic (2-4 digit addition and subtraction, 2-3 digit x 1 digit
multiplication) with worked column-by-column steps and a final `\\boxed{N}`.  Incorrect solutions
contain one realistic slip: a dropped carry or borrow, a miscopied operand digit in one step, one
step's result off by one, or correct steps with a miscopied boxed answer (see `work`).  Everything
is generated from seeded random.Random streams; nothing is downloaded.

What it writes (under --out, default <repo>/models):
  arith-solver/  Qwen3ForCausalLM trained on correct solutions only      (confidence reward)
  arith-weak/    Qwen3ForCausalLM trained on unfiltered solutions (half wrong)
  arith-strong/  arith-weak fine-tuned on correct solutions              (density ratio strong/weak)
  arith-rm/      Qwen3ForSequenceClassification (1 label) from arith-weak's body, Bradley-Terry
                 loss on (correct, incorrect) pairs                       (bt reward)
  arith-data/    pairs.jsonl, best_of_4.jsonl, best_of_n.jsonl (held-out problems),
                 reference_results.json (reference accuracies, chance levels, per-record rewards,
                 a score cross-check set, library versions)
Every model directory holds config.json, model.safetensors (float32), tokenizer.json and
tokenizer_config.json ("TokenizersBackend", ChatML chat_template); all four share one byte-level BPE
tokenizer trained here on the training corpus (pre-tokenizer Digits(individual) + ByteLevel).

Training text is exactly what rewardkit scores: the conversation [user: prompt, assistant: response]
rendered with tokenizer.apply_chat_template(tokenize=False).  The LMs are trained with the loss on
the response tokens (full ids minus the add_generation_prompt prefix, add_special_tokens=False);
the RM reads the head at the last token of the full rendering tokenized with add_special_tokens=True
(the same ids here: the tokenizer adds no BOS/EOS).

Seeds: data SEED_EVAL=1001 (evaluation problems), SEED_TRAIN=2002 (training pool), SEED_DEV=3003
(dev problems for the diagnostics), per-model torch seeds in MODELS; torch deterministic
algorithms, 1 thread.  Written with python 3.11, torch 2.x (CPU), transformers 5.24, tokenizers
0.23 (the versions used are recorded in arith-data/reference_results.json).  The committed run took
1084 s (18 min: data 2 s, tokenizer 24 s, solver 320 s, weak 335 s, strong 135 s, rm 190 s, reference
results 77 s) plus ~15 s of imports, on 1 thread of a 2-core x86-64 machine shared with a compile;
stage times are printed.  Two runs on this machine gave byte-identical checkpoints and data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import jinja2  # noqa: E402
import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    Qwen3Config,
    Qwen3ForCausalLM,
    Qwen3ForSequenceClassification,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "models"

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

SEED_EVAL, SEED_TRAIN, SEED_DEV = 1001, 2002, 3003

# ----------------------------------------------------------------------------------------------
# The task: worked column arithmetic
# ----------------------------------------------------------------------------------------------

COLS = ["Ones", "Tens", "Hundreds", "Thousands", "Ten-thousands"]
SLIPS = ["dropped-carry", "miscopied-digit", "off-by-one-step", "miscopied-answer"]
OPS = ["add", "sub", "mul"]
SYM = {"add": "+", "sub": "-", "mul": "\u00d7"}


def digits(n: int, width: int) -> list[int]:
    return [int(c) for c in reversed(str(n).rjust(width, "0"))]


def prompt_of(op: str, a: int, b: int) -> str:
    return f"What is {a} {SYM[op]} {b}?"


def work(op: str, a: int, b: int, slip=None):
    """The worked steps of a op b, one line per column from the ones up.  slip = None, or
    (kind, column, value), or a list of those (at different columns):
      dropped-carry    the carry (borrow) coming into `column` is left out; column == width: the
                       final carry line is left out (multiplication, addition)
      miscopied-digit  in `column`, operand digit value[0] (0 top, 1 bottom) is read as value[1]
      off-by-one-step  `column`'s result is off by value (+1 or -1)
    Every later step is computed consistently from the wrong one.  Returns (lines, written digits
    ones first), or None when the slip is impossible here or would not be a plausible slip."""
    slips = [] if slip is None else ([slip] if isinstance(slip, tuple) else list(slip))
    at = {c: (k, v) for k, c, v in slips}
    if len(at) != len(slips):
        return None
    lines, out = [], []
    if op in ("add", "sub"):
        w = max(len(str(a)), len(str(b)))
        da, db = digits(a, w), digits(b, w)
    else:
        w = len(str(a))
        da, db = digits(a, w), [b] * w
    carry = 0
    w_final = w
    for i in range(w):
        x, y, c = da[i], db[i], carry
        kind, val = at.get(i, (None, None))
        here = kind is not None
        if here and kind == "dropped-carry":
            if c == 0:
                return None
            c = 0
        if here and kind == "miscopied-digit":
            if val[0] == 0:
                if x == val[1]:
                    return None
                x = val[1]
            else:
                if y == val[1] or (op == "mul" and val[1] < 2):
                    return None
                y = val[1]
        if op == "add":
            s = x + y + c
            if here and kind == "off-by-one-step":
                s += val
                if not 0 <= s <= 19:
                    return None
            terms = f"{x} + {y}" + (f" + {c}" if c else "")
            lines.append(f"{COLS[i]}: {terms} = {s}, write {s % 10} carry {s // 10}.")
            out.append(s % 10)
            carry = s // 10
        elif op == "sub":
            top = f"{x} - {c}" if c else f"{x}"
            t = x - c
            d, bo = (t - y, 0) if t >= y else (t + 10 - y, 1)
            if here and kind == "off-by-one-step":
                d += val
                if not 0 <= d <= 9:
                    return None
            if bo:
                lines.append(f"{COLS[i]}: {top} - {y} < 0, so 1{top} - {y} = {d}, write {d} borrow 1.")
            else:
                lines.append(f"{COLS[i]}: {top} - {y} = {d}, write {d} borrow 0.")
            out.append(d)
            carry = bo
        else:
            p = x * y
            s = p + c
            if here and kind == "off-by-one-step":
                s += val
                if s < 0:
                    return None
            if c:
                lines.append(f"{COLS[i]}: {x} \u00d7 {y} = {p}, {p} + {c} = {s}, write {s % 10} carry {s // 10}.")
            else:
                lines.append(f"{COLS[i]}: {x} \u00d7 {y} = {s}, write {s % 10} carry {s // 10}.")
            out.append(s % 10)
            carry = s // 10
    dropped_final = at.get(w_final, (None,))[0] == "dropped-carry"
    if op == "sub":
        if carry or dropped_final:
            return None  # a slip made the result negative / no final borrow to drop
    elif carry and not dropped_final:
        lines.append(f"Final carry: write {carry}.")
        out.append(carry)
    elif dropped_final and not carry:
        return None
    return lines, out


def answer_of(out: list[int]) -> str:
    return str(int("".join(str(d) for d in reversed(out))))  # leading zeros dropped


def render(lines: list[str], answer: str) -> str:
    return "\n".join(lines) + f"\nThe answer is \\boxed{{{answer}}}."


def true_value(op, a, b):
    return {"add": a + b, "sub": a - b, "mul": a * b}[op]


def correct_response(op, a, b) -> str:
    lines, out = work(op, a, b)
    ans = answer_of(out)
    assert int(ans) == true_value(op, a, b), (op, a, b, ans)
    return render(lines, ans)


def miscopy_answer(ans: str, rng: random.Random):
    for _ in range(50):
        s = list(ans)
        if len(s) >= 2 and rng.random() < 0.4:  # two neighbouring digits swapped
            j = rng.randrange(len(s) - 1)
            s[j], s[j + 1] = s[j + 1], s[j]
        else:  # one digit changed
            j = rng.randrange(len(s))
            s[j] = str(rng.choice([d for d in range(10) if str(d) != s[j]]))
        t = "".join(s)
        if t != ans and not (len(t) > 1 and t[0] == "0"):
            return t
    return None


def wrong_response(op, a, b, kind, rng: random.Random):
    """One response with a slip of `kind` (the final boxed answer is always wrong), or None."""
    lines0, out0 = work(op, a, b)
    ans = answer_of(out0)
    w = len(str(a)) if op == "mul" else max(len(str(a)), len(str(b)))
    for _ in range(40):
        if kind == "miscopied-answer":
            bad = miscopy_answer(ans, rng)
            if bad is None:
                return None
            return render(lines0, bad)
        col = rng.randrange(w + 1) if kind == "dropped-carry" else rng.randrange(w)
        if kind == "miscopied-digit":
            which = rng.randrange(2) if op != "mul" else (0 if rng.random() < 0.7 else 1)
            val = (which, rng.randrange(10))
        elif kind == "off-by-one-step":
            val = rng.choice([1, -1])
        else:
            val = None
        r = work(op, a, b, (kind, col, val))
        if r is None:
            continue
        bad = answer_of(r[1])
        if bad != ans:
            return render(r[0], bad)
    return None


def sample_problem(rng: random.Random):
    op = rng.choice(OPS)
    if op == "add":
        la, lb = rng.randint(2, 4), rng.randint(2, 4)
        a = rng.randint(10 ** (la - 1), 10 ** la - 1)
        b = rng.randint(10 ** (lb - 1), 10 ** lb - 1)
    elif op == "sub":
        la = rng.randint(2, 4)
        lb = rng.randint(2, la)
        a = rng.randint(10 ** (la - 1), 10 ** la - 1)
        b = rng.randint(10 ** (lb - 1), min(a, 10 ** lb - 1))
    else:
        la = rng.randint(2, 3)
        a = rng.randint(10 ** (la - 1), 10 ** la - 1)
        b = rng.randint(2, 9)
    return op, a, b


def wrong_set(op, a, b, kinds, rng, avoid=()):
    """Distinct wrong responses, one per entry of `kinds` (None when the problem cannot give them)."""
    seen, out = set(avoid), []
    for kind in kinds:
        for _ in range(20):
            r = wrong_response(op, a, b, kind, rng)
            if r is not None and r not in seen:
                break
        else:
            return None
        seen.add(r)
        out.append(r)
    return out


# ----------------------------------------------------------------------------------------------
# Data sets
# ----------------------------------------------------------------------------------------------

N_PAIRS_PER_SUBSET = 75      # pairs.jsonl: 4 slip subsets x 75 = 300 pairs
N_BEST_OF_4 = 102            # best_of_4.jsonl: 34 per op
N_BEST_OF_N, BEST_N = 102, 8  # best_of_n.jsonl
N_TRAIN_POOL = 12000         # distinct training problems
N_DEV = 240                  # dev problems for the diagnostics (not reported as results)


def make_eval_sets():
    rng = random.Random(SEED_EVAL)
    used = set()

    def fresh(op=None):
        while True:
            p = sample_problem(rng)
            if op is not None and p[0] != op:
                continue
            if p not in used:
                used.add(p)
                return p

    pairs = []
    for kind in SLIPS:
        k = 0
        while k < N_PAIRS_PER_SUBSET:
            op, a, b = fresh(OPS[k % 3])
            rej = wrong_response(op, a, b, kind, rng)
            if rej is None:  # this problem has no such slip (e.g. no carry): not used
                continue
            pairs.append({"id": f"{kind}-{op}-{k:03d}", "prompt": prompt_of(op, a, b),
                          "chosen": correct_response(op, a, b), "rejected": rej, "subset": kind,
                          "_problem": (op, a, b)})
            k += 1
    bo4 = []
    k = 0
    while len(bo4) < N_BEST_OF_4:
        op, a, b = fresh(OPS[k % 3])
        kinds = rng.sample(SLIPS, 3)  # three different slip kinds
        rej = wrong_set(op, a, b, kinds, rng, avoid=[correct_response(op, a, b)])
        if rej is None:
            continue
        bo4.append({"id": f"bo4-{op}-{len(bo4):03d}", "prompt": prompt_of(op, a, b),
                    "chosen": [correct_response(op, a, b)], "rejected": rej, "subset": op,
                    "_problem": (op, a, b)})
        k += 1
    bon = []
    k = 0
    while len(bon) < N_BEST_OF_N:
        op, a, b = fresh(OPS[k % 3])
        kinds = [SLIPS[j % 4] for j in range(BEST_N - 1)]
        rng.shuffle(kinds)
        rej = wrong_set(op, a, b, kinds, rng, avoid=[correct_response(op, a, b)])
        if rej is None:
            continue
        pos = rng.randrange(BEST_N)
        cands = [{"response": r, "correct": False} for r in rej]
        cands.insert(pos, {"response": correct_response(op, a, b), "correct": True})
        bon.append({"id": f"bon-{op}-{len(bon):03d}", "prompt": prompt_of(op, a, b), "candidates": cands,
                    "_problem": (op, a, b)})
        k += 1
    return pairs, bo4, bon, used


def make_pool(seed, n, exclude):
    rng = random.Random(seed)
    seen, out = set(exclude), []
    while len(out) < n:
        p = sample_problem(rng)
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def write_jsonl(path: Path, records):
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------------------

EOS, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIALS = [EOS, IM_START, IM_END]  # added after training: ids bpe_size, +1, +2
BPE_TARGET = 400  # an upper bound: the corpus saturates below it (every frequent pair merged)
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
MAX_LEN = 256


def train_tokenizer(texts: list[str], out_dir: Path):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=BPE_TARGET, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_special_tokens([tokenizers.AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    cfg = {
        "tokenizer_class": "TokenizersBackend",
        "bos_token": None,
        "eos_token": EOS,
        "pad_token": EOS,
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": MAX_LEN,
        "chat_template": CHAT_TEMPLATE,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tokenizer.json").write_text(tok.to_str(pretty=True) + "\n", encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")


class Tok:
    """AutoTokenizer (what rewardkit mirrors) with the raw tokenizers.Tokenizer as a cross-check."""

    def __init__(self, path: Path):
        self.hf = AutoTokenizer.from_pretrained(path)
        assert type(self.hf).__name__ == "TokenizersBackend", type(self.hf).__name__
        self.raw = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.added_ids = {int(i) for i in self.raw.get_added_tokens_decoder()}
        self.vocab_size = len(self.hf)
        self.eos_id = self.hf.eos_token_id
        self.pad_id = self.hf.pad_token_id

    def template(self, messages, add_generation_prompt: bool) -> str:
        return self.hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)

    def encode_many(self, texts: list[str], add_special_tokens: bool) -> list[list[int]]:
        return [list(map(int, x)) for x in self.hf(texts, add_special_tokens=add_special_tokens)["input_ids"]]

    def lm_ids(self, prompt: str, response: str):
        """(full ids, number of prompt ids): rewardkit's log-prob rule."""
        return self.lm_ids_many([(prompt, response)])[0]

    def lm_ids_many(self, pairs):
        msgs = [[{"role": "user", "content": p}, {"role": "assistant", "content": r}] for p, r in pairs]
        ptexts = [self.template(m[:-1], True) for m in msgs]
        ftexts = [self.template(m, False) for m in msgs]
        pids = self.encode_many(ptexts, False)
        fids = self.encode_many(ftexts, False)
        out = []
        for p, f_ in zip(pids, fids):
            if f_[: len(p)] != p or len(f_) <= len(p) or len(f_) > MAX_LEN:
                raise AssertionError("prompt ids are not a proper prefix of the full ids (or too long)")
            out.append((f_, len(p)))
        return out

    def rm_ids_many(self, pairs):
        """The classifier's ids: full rendering, add_special_tokens=True (no BOS rule applies: no BOS)."""
        texts = [self.template([{"role": "user", "content": p}, {"role": "assistant", "content": r}], False)
                 for p, r in pairs]
        ids = self.encode_many(texts, True)
        assert all(len(x) <= MAX_LEN for x in ids)
        return ids

    def token_bytes(self, i: int) -> bytes:
        piece = self.raw.id_to_token(i)
        if i in self.added_ids:
            return piece.encode("utf-8")
        return bytes(BYTE_DECODER[c] for c in piece)


def _byte_decoder() -> dict[str, int]:
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


# ----------------------------------------------------------------------------------------------
# Models and training
# ----------------------------------------------------------------------------------------------

DIMS = dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
            intermediate_size=384, max_position_embeddings=MAX_LEN, rms_norm_eps=1e-6, attention_dropout=0.0,
            tie_word_embeddings=False, rope_theta=10000.0)

# steps x batch sequences (the RM: batch pairs = 2 x batch sequences); AdamW, linear warm-up then
# cosine decay to 10% of lr; weight decay 0.01 on matrices; gradient norm clipped at 1.
TRAIN = {
    "solver": dict(seed=11, steps=360, batch=32, lr=3e-3, warmup=30),
    "weak": dict(seed=12, steps=360, batch=32, lr=3e-3, warmup=30),
    "strong": dict(seed=13, steps=150, batch=32, lr=1e-3, warmup=10),
    "rm": dict(seed=14, steps=240, batch=16, lr=2e-3, warmup=20),
}
WEAK_WRONG_FRACTION = 0.5


def lm_config(cls, tok: Tok):
    return cls(vocab_size=tok.vocab_size, eos_token_id=tok.eos_id, pad_token_id=tok.pad_id, bos_token_id=None,
               initializer_range=0.02, **DIMS)


def lr_at(step, cfg):
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    t = (step - cfg["warmup"]) / max(1, cfg["steps"] - cfg["warmup"])
    return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def make_optimizer(model, lr):
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-8)


def batches(n_items, batch, steps, seed):
    """`steps` lists of `batch` indices: seeded shuffled epochs over range(n_items).  (Batches of
    length-sorted items trained worse: they group problems of one kind.)"""
    rng = random.Random(seed)
    order, out = [], []
    while len(out) < steps:
        if len(order) < batch:
            perm = list(range(n_items))
            rng.shuffle(perm)
            order += perm
        out.append(order[:batch])
        order = order[batch:]
    return out


def pad_batch(seqs, pad_id):
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def train_lm(model, examples, cfg, pad_id, name):
    """examples: list of (full ids, number of prompt ids); loss = mean CE over response tokens."""
    torch.manual_seed(cfg["seed"])
    model.train()
    opt = make_optimizer(model, cfg["lr"])
    t0, log = time.time(), []
    for step, idx in enumerate(batches(len(examples), cfg["batch"], cfg["steps"], cfg["seed"])):
        seqs = [examples[i][0] for i in idx]
        ids, mask = pad_batch(seqs, pad_id)
        labels = torch.full_like(ids, -100)
        for r, i in enumerate(idx):
            full, n_prompt = examples[i]
            labels[r, n_prompt: len(full)] = ids[r, n_prompt: len(full)]
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        logits = model(input_ids=ids, attention_mask=mask).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1),
                               ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        log.append(loss.item())
        if step % 60 == 0 or step == cfg["steps"] - 1:
            print(f"    {name} step {step:4d}  loss {np.mean(log[-20:]):.4f}  lr {lr_at(step, cfg):.2e}  "
                  f"{time.time() - t0:6.1f}s", flush=True)
    model.eval()
    return {"final_loss_last20": float(np.mean(log[-20:])), "seconds": round(time.time() - t0, 1)}


def rm_rewards(model, ids, mask):
    """Head value at the last real token of each right-padded row."""
    out = model(input_ids=ids, attention_mask=mask).logits[:, 0]
    return out


def train_rm(model, pairs, cfg, pad_id, name):
    """pairs: list of (chosen ids, rejected ids); loss = -log sigmoid(r_chosen - r_rejected)."""
    torch.manual_seed(cfg["seed"])
    model.train()
    opt = make_optimizer(model, cfg["lr"])
    t0, log, accs = time.time(), [], []
    for step, idx in enumerate(batches(len(pairs), cfg["batch"], cfg["steps"], cfg["seed"])):
        seqs = [pairs[i][0] for i in idx] + [pairs[i][1] for i in idx]
        ids, mask = pad_batch(seqs, pad_id)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        r = rm_rewards(model, ids, mask)
        rc, rr = r[: len(idx)], r[len(idx):]
        loss = -F.logsigmoid(rc - rr).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        log.append(loss.item())
        accs.append((rc > rr).float().mean().item())
        if step % 40 == 0 or step == cfg["steps"] - 1:
            print(f"    {name} step {step:4d}  loss {np.mean(log[-20:]):.4f}  train acc {np.mean(accs[-20:]):.3f}  "
                  f"lr {lr_at(step, cfg):.2e}  {time.time() - t0:6.1f}s", flush=True)
    model.eval()
    return {"final_loss_last20": float(np.mean(log[-20:])), "train_pair_acc_last20": float(np.mean(accs[-20:])),
            "seconds": round(time.time() - t0, 1)}


def save(model, tok_dir: Path, out: Path):
    if out.exists():
        shutil.rmtree(out)
    model.save_pretrained(out)  # transformers 5: safetensors, float32
    gc = out / "generation_config.json"
    if gc.exists():
        gc.unlink()
    for f_ in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tok_dir / f_, out / f_)


# ----------------------------------------------------------------------------------------------
# Reference rewards (transformers, float32, eager, eval, no_grad, one unpadded sequence at a time)
# ----------------------------------------------------------------------------------------------

def load(path: Path, causal: bool):
    cls = AutoModelForCausalLM if causal else AutoModelForSequenceClassification
    m = cls.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    m.eval()
    return m


def locate_boxed(d: bytes):
    """Inside of the last complete \\boxed{...}, braces nesting (include/rewardkit/answer_locator.hpp)."""
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


def answer_token_indices(tok: Tok, R: list[int]):
    """(indices k of the response tokens R that overlap the inside of the last \\boxed{...}, answer text).
    D = decode(R, skip_special_tokens=False) as UTF-8 bytes; token k covers bytes [e_(k-1), e_k) where
    e_k is the cumulative byte length of the tokens' bytes (byte-level piece -> bytes; a special token:
    its content), which concatenate to D."""
    pieces = [tok.token_bytes(i) for i in R]
    D = tok.hf.decode(R, skip_special_tokens=False).encode("utf-8")
    assert b"".join(pieces) == D
    ends, n = [], 0
    for p in pieces:
        n += len(p)
        ends.append(n)
    starts = [0] + ends[:-1]
    span = locate_boxed(D)
    assert span is not None
    s, e = span
    ks = [k for k in range(len(R)) if starts[k] < e and ends[k] > s]
    assert ks
    return ks, D[s:e].decode("utf-8")


def confidence_of(tok: Tok, full, n_prompt, lps):
    """Mean probability (fsum of exp(float32 log-prob), double) of the answer tokens."""
    ks, answer = answer_token_indices(tok, full[n_prompt:])
    ps = [math.exp(lps[k]) for k in ks]
    return {"reward": math.fsum(ps) / len(ps), "answer": answer, "answer_tokens": len(ks)}


def f32(x: float) -> float:
    return float(np.float32(x))


class Scorer:
    """All three rewards of (prompt, response) pairs.  prefetch() runs sequences of equal length
    together (a batch without padding); score() reads the cache, or runs the one sequence alone."""

    def __init__(self, out: Path):
        self.tok = Tok(out / "arith-rm")
        self.rm = load(out / "arith-rm", causal=False)
        self.solver = load(out / "arith-solver", causal=True)
        self.strong = load(out / "arith-strong", causal=True)
        self.weak = load(out / "arith-weak", causal=True)
        self.cache = {}

    @torch.no_grad()
    def _run(self, keys, chunk=64):
        lm = self.tok.lm_ids_many(keys)
        rm_ids = self.tok.rm_ids_many(keys)
        by_len = {}
        for i, (full, _) in enumerate(lm):
            by_len.setdefault(len(full), []).append(i)
        lps = {n: [None] * len(keys) for n in ("solver", "strong", "weak")}
        for idx_all in by_len.values():
            for c in range(0, len(idx_all), chunk):
                idx = idx_all[c: c + chunk]
                x = torch.tensor([lm[i][0] for i in idx])
                for name in lps:
                    logp = torch.log_softmax(getattr(self, name)(input_ids=x).logits.float(), dim=-1)
                    for row, i in enumerate(idx):
                        full, n_prompt = lm[i]
                        lps[name][i] = [float(logp[row, t - 1, full[t]]) for t in range(n_prompt, len(full))]
        bt = [None] * len(keys)
        by_len = {}
        for i, ids in enumerate(rm_ids):
            by_len.setdefault(len(ids), []).append(i)
        for idx_all in by_len.values():
            for c in range(0, len(idx_all), chunk):
                idx = idx_all[c: c + chunk]
                r = self.rm(input_ids=torch.tensor([rm_ids[i] for i in idx])).logits[:, 0].tolist()
                for row, i in enumerate(idx):
                    bt[i] = float(r[row])
        for i, key in enumerate(keys):
            full, n_prompt = lm[i]
            conf = confidence_of(self.tok, full, n_prompt, lps["solver"][i])
            self.cache[key] = {
                "bt": bt[i],
                "confidence": conf["reward"],
                "density-ratio": math.fsum(lps["strong"][i]) - math.fsum(lps["weak"][i]),
                "confidence_answer": conf["answer"],
                "confidence_answer_tokens": conf["answer_tokens"],
                "prompt_tokens": n_prompt,
                "response_tokens": len(full) - n_prompt,
                "logprob_strong_sum": math.fsum(lps["strong"][i]),
                "logprob_weak_sum": math.fsum(lps["weak"][i]),
                "logprob_solver_mean": math.fsum(lps["solver"][i]) / len(lps["solver"][i]),
            }

    def prefetch(self, keys):
        keys = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if keys:
            self._run(keys)

    def score(self, prompt, response):
        key = (prompt, response)
        if key not in self.cache:
            self._run([key])
        return self.cache[key]

    def score_alone(self, prompt, response):
        """The same rewards, the sequence run by itself (for the batching self-check)."""
        saved = self.cache.pop((prompt, response), None)
        self._run([(prompt, response)])
        out = self.cache.pop((prompt, response))
        if saved is not None:
            self.cache[(prompt, response)] = saved
        return out


METHODS = ["bt", "confidence", "density-ratio"]


def metrics(sc: Scorer, pairs, bo4, bon):
    """All comparisons on the rewards rounded to float32 (rewardkit's reward type)."""
    res = {}
    for m in METHODS:
        per_subset, fragile = {}, 0
        for r in pairs:
            c = f32(sc.score(r["prompt"], r["chosen"])[m])
            j = f32(sc.score(r["prompt"], r["rejected"])[m])
            per_subset.setdefault(r["subset"], []).append(1.0 if c > j else 0.0)
            fragile += abs(c - j) < 1e-4 * max(1.0, abs(c))
        all_ = [x for v in per_subset.values() for x in v]
        pair_res = {"accuracy": float(np.mean(all_)), "num_pairs": len(all_),
                    "subsets": {k: {"accuracy": float(np.mean(v)), "num_pairs": len(v)}
                                for k, v in per_subset.items()},
                    "subset_mean": float(np.mean([np.mean(v) for v in per_subset.values()])),
                    "near_ties": int(fragile)}
        s4, per_sub4, ties4 = [], {}, 0
        for r in bo4:
            c = f32(sc.score(r["prompt"], r["chosen"][0])[m])
            rej = [f32(sc.score(r["prompt"], x)[m]) for x in r["rejected"]]
            mx = max([c] + rej)
            k = 1 + sum(1 for x in rej if x == c)
            v = (1.0 / k) if c >= mx else 0.0
            ties4 += k > 1 and c >= mx
            s4.append(v)
            per_sub4.setdefault(r["subset"], []).append(v)
        sn, ties_n = [], 0
        for r in bon:
            vals = [f32(sc.score(r["prompt"], c_["response"])[m]) for c_ in r["candidates"]]
            best = int(np.argmax(vals))  # the first of equal maxima (rewardkit::best_of_n)
            ties_n += sum(1 for x in vals if x == vals[best]) > 1
            sn.append(1.0 if r["candidates"][best]["correct"] else 0.0)
        res[m] = {
            "pairs": pair_res,
            "best_of_4": {"score": float(np.mean(s4)), "num_records": len(s4),
                          "subsets": {k: {"score": float(np.mean(v)), "num_records": len(v)}
                                      for k, v in per_sub4.items()},
                          "records_with_ties_at_max": int(ties4)},
            "best_of_n": {"accuracy": float(np.mean(sn)), "num_records": len(sn),
                          "records_with_ties_at_max": int(ties_n)},
        }
    return res


# ----------------------------------------------------------------------------------------------
# Diagnostics: does the LM solve the task? (teacher-forced, dev problems)
# ----------------------------------------------------------------------------------------------

@torch.no_grad()
def lm_diagnostics(model, tok: Tok, dev):
    """On correct solutions of dev problems: per-token argmax accuracy over response tokens, the share
    of responses whose every token is the argmax (a greedy decode would reproduce them), and the
    argmax accuracy of the boxed answer's tokens."""
    exs = tok.lm_ids_many([(prompt_of(*p), correct_response(*p)) for p in dev])
    tok_hits = tok_n = exact = box_hits = 0
    for full, n_prompt in exs:
        logits = model(input_ids=torch.tensor([full])).logits[0]
        pred = logits.argmax(-1)[n_prompt - 1: len(full) - 1].tolist()
        gold = full[n_prompt:]
        hits = [a == b for a, b in zip(pred, gold)]
        tok_hits += sum(hits)
        tok_n += len(hits)
        exact += all(hits)
        ks, _ = answer_token_indices(tok, gold)
        box_hits += all(hits[k] for k in ks)
    return {"token_accuracy": tok_hits / tok_n, "exact_responses": exact / len(exs),
            "boxed_answer_exact": box_hits / len(exs), "num_dev": len(exs)}


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def du(p: Path) -> int:
    return sum(x.stat().st_size for x in p.rglob("*") if x.is_file())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--rewardkit", default=None, help="rewardkit program: cross-check `rewardkit score` after training")
    ap.add_argument("--steps-scale", type=float, default=1.0, help="experiments only: scale every step count")
    args = ap.parse_args()
    out: Path = args.out
    T0 = time.time()
    stage_times = {}

    def stage(name, t):
        stage_times[name] = round(time.time() - t, 1)
        print(f"[{time.time() - T0:7.1f}s] {name} done in {stage_times[name]:.1f}s", flush=True)

    # 1. data
    t = time.time()
    pairs, bo4, bon, eval_problems = make_eval_sets()
    dev = make_pool(SEED_DEV, N_DEV, eval_problems)
    pool = make_pool(SEED_TRAIN, N_TRAIN_POOL, eval_problems | set(dev))
    assert not (set(pool) & eval_problems) and not (set(dev) & eval_problems)
    rng = random.Random(SEED_TRAIN + 1)
    correct = [(prompt_of(*p), correct_response(*p)) for p in pool]
    unfiltered, rm_pairs = [], []
    for p in pool:
        pr, good = prompt_of(*p), correct_response(*p)
        kinds = rng.sample(SLIPS, 4)
        bad = next((r for r in (wrong_response(*p, k, rng) for k in kinds) if r is not None), None)
        assert bad is not None
        rm_pairs.append((pr, good, bad))
        unfiltered.append((pr, bad) if rng.random() < WEAK_WRONG_FRACTION else (pr, good))
    data_dir = out / "arith-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    write_jsonl(data_dir / "pairs.jsonl", pairs)
    write_jsonl(data_dir / "best_of_4.jsonl", bo4)
    write_jsonl(data_dir / "best_of_n.jsonl", bon)
    stage("data", t)

    # 2. tokenizer (trained on the training pool's prompts and responses, correct and wrong)
    t = time.time()
    tok_dir = Path(tempfile.mkdtemp(prefix="arith-tok-"))
    corpus = ["user", "assistant"] + [f"{pr}\n{g}\n{b}" for pr, g, b in rm_pairs]
    train_tokenizer(corpus, tok_dir)
    tok = Tok(tok_dir)
    scale = args.steps_scale
    cfgs = {k: dict(v, steps=max(1, int(v["steps"] * scale))) for k, v in TRAIN.items()}
    ex_correct = tok.lm_ids_many(correct)
    ex_unfiltered = tok.lm_ids_many(unfiltered)
    n_rm = cfgs["rm"]["steps"] * cfgs["rm"]["batch"]  # one epoch over the first n_rm training problems
    rmc = tok.rm_ids_many([(pr, g) for pr, g, _ in rm_pairs[:n_rm]])
    rmr = tok.rm_ids_many([(pr, b) for pr, _, b in rm_pairs[:n_rm]])
    ex_rm = list(zip(rmc, rmr))
    print(f"    vocab {tok.vocab_size}; mean tokens per training conversation "
          f"{np.mean([len(x[0]) for x in ex_unfiltered]):.1f}, max {max(len(x[0]) for x in ex_unfiltered)}")
    stage("tokenizer", t)

    info = {}
    # 3. solver: correct only
    t = time.time()
    torch.manual_seed(cfgs["solver"]["seed"])
    solver = Qwen3ForCausalLM(lm_config(Qwen3Config, tok))
    info["arith-solver"] = train_lm(solver, ex_correct, cfgs["solver"], tok.pad_id, "solver")
    save(solver, tok_dir, out / "arith-solver")
    stage("train arith-solver", t)

    # 4. weak: unfiltered
    t = time.time()
    torch.manual_seed(cfgs["weak"]["seed"])
    weak = Qwen3ForCausalLM(lm_config(Qwen3Config, tok))
    info["arith-weak"] = train_lm(weak, ex_unfiltered, cfgs["weak"], tok.pad_id, "weak")
    save(weak, tok_dir, out / "arith-weak")
    stage("train arith-weak", t)

    # 5. strong: weak + correct only (a different slice of the pool than the order the solver saw)
    t = time.time()
    strong = AutoModelForCausalLM.from_pretrained(out / "arith-weak", dtype=torch.float32)
    info["arith-strong"] = train_lm(strong, ex_correct, cfgs["strong"], tok.pad_id, "strong")
    save(strong, tok_dir, out / "arith-strong")
    stage("train arith-strong", t)

    # 6. reward model: weak's body + a fresh 1-label head, Bradley-Terry
    t = time.time()
    torch.manual_seed(cfgs["rm"]["seed"])
    rm = AutoModelForSequenceClassification.from_pretrained(out / "arith-weak", num_labels=1, dtype=torch.float32)
    assert isinstance(rm, Qwen3ForSequenceClassification)
    with torch.no_grad():
        g = torch.Generator().manual_seed(cfgs["rm"]["seed"])
        rm.score.weight.copy_(0.02 * torch.randn(rm.score.weight.shape, generator=g))
    rm.config.pad_token_id = tok.pad_id
    info["arith-rm"] = train_rm(rm, ex_rm, cfgs["rm"], tok.pad_id, "rm")
    save(rm, tok_dir, out / "arith-rm")
    shutil.rmtree(tok_dir)
    stage("train arith-rm", t)

    # 7. reference results from the reloaded directories
    t = time.time()
    sc = Scorer(out)
    for name in ("arith-solver", "arith-weak", "arith-strong"):
        m = getattr(sc, name.split("-")[1])
        info[name]["dev_diagnostics"] = lm_diagnostics(m, sc.tok, dev)
        print(f"    {name} dev: {info[name]['dev_diagnostics']}")
    for name in ("arith-solver", "arith-weak", "arith-strong", "arith-rm"):
        cfg = json.loads((out / name / "config.json").read_text())
        info[name].update(architecture=cfg["architectures"][0], model_type=cfg["model_type"],
                          parameters=int(sum(p.numel() for p in getattr(sc, name.split("-")[1]).parameters())),
                          train=cfgs[name.split("-")[1]], bytes=du(out / name))
    keys = [(r["prompt"], x) for r in pairs for x in (r["chosen"], r["rejected"])]
    keys += [(r["prompt"], x) for r in bo4 for x in r["chosen"] + r["rejected"]]
    keys += [(r["prompt"], c["response"]) for r in bon for c in r["candidates"]]
    sc.prefetch(keys)
    res = metrics(sc, pairs, bo4, bon)
    stage("reference results", t)

    first5 = {}
    for fname, recs in (("pairs.jsonl", pairs), ("best_of_4.jsonl", bo4), ("best_of_n.jsonl", bon)):
        first5[fname] = []
        for r in recs[:5]:
            if "candidates" in r:
                resp = [c["response"] for c in r["candidates"]]
                row = {"id": r["id"], "correct_index": [c["correct"] for c in r["candidates"]].index(True)}
                for m in METHODS:
                    row[m] = [sc.score(r["prompt"], x)[m] for x in resp]
            elif isinstance(r["chosen"], list):
                row = {"id": r["id"]}
                for m in METHODS:
                    row[m] = {"chosen": [sc.score(r["prompt"], x)[m] for x in r["chosen"]],
                              "rejected": [sc.score(r["prompt"], x)[m] for x in r["rejected"]]}
            else:
                row = {"id": r["id"]}
                for m in METHODS:
                    row[m] = {"chosen": sc.score(r["prompt"], r["chosen"])[m],
                              "rejected": sc.score(r["prompt"], r["rejected"])[m]}
            first5[fname].append(row)

    # The score cross-check set: 24 responses of pairs.jsonl (both sides of 12 pairs, 3 per subset).
    check = []
    for kind in SLIPS:
        for r in [p for p in pairs if p["subset"] == kind][:3]:
            for side in ("chosen", "rejected"):
                s = sc.score(r["prompt"], r[side])
                check.append({"id": f"{r['id']}/{side}", "prompt": r["prompt"], "response": r[side], **s})
    worst = 0.0
    for c in check:  # batched (equal lengths, no padding) vs alone
        a = sc.score_alone(c["prompt"], c["response"])
        for m in METHODS:
            worst = max(worst, abs(a[m] - c[m]) / max(1.0, abs(c[m])))
    assert worst < 1e-5, f"batched and single-sequence rewards differ by {worst}"
    print(f"    batched vs single-sequence rewards: worst relative difference {worst:.2e}")
    (data_dir / "score_check.jsonl").write_text(
        "".join(json.dumps({"id": c["id"], "prompt": c["prompt"], "response": c["response"]}, ensure_ascii=False)
                + "\n" for c in check), encoding="utf-8")

    chance = {
        "pairs": 0.0,
        "best_of_4": 0.25,
        "best_of_n": 1.0 / BEST_N,
        "note": "a random reward wins a pair with probability 1/2 (ties lose); a constant reward scores 0 on pairs "
                "and 1/4 on best_of_4 (a 4-way tie), and picks the first candidate on best_of_n (correct 1/8 of the "
                "time here, the correct candidate's position being uniform)",
        "pairs_random_reward": 0.5,
    }
    results = {
        "generator": "tools/demo_models/train.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "safetensors": safetensors.__version__, "jinja2": jinja2.__version__,
                     "numpy": np.__version__},
        "rules": {
            "reference": "transformers float32, eager attention, eval, no_grad, no padding (sequences of equal length "
                         "run together; checked against one sequence at a time to < 1e-5 on score_check), from "
                         "AutoModelFor*.from_pretrained(<dir>) of the saved directories",
            "conversation": "messages = [{role: user, content: prompt}, {role: assistant, content: response}]",
            "bt": "arith-rm. ids = tok(apply_chat_template(messages, tokenize=False), add_special_tokens=True) (no "
                  "BOS is added or dropped: the tokenizer has none); reward = logits[0, 0], the raw head at the last "
                  "token",
            "log_probs": "prompt = apply_chat_template(messages[:-1], add_generation_prompt=True), full = "
                         "apply_chat_template(messages), both add_special_tokens=False; response tokens = full[len("
                         "prompt):] (they end with <|im_end|> and \\n); lp_t = log_softmax(logits[t-1])[full[t]] in "
                         "float32",
            "density-ratio": "arith-strong over arith-weak: fsum(lp_strong) - fsum(lp_weak) over all response tokens, "
                             "in double from float32 log-probs (not length-normalized)",
            "confidence": "arith-solver. D = decode(response ids, skip_special_tokens=False) as UTF-8 bytes; token k "
                          "covers bytes [e_(k-1), e_k) where e_k = cumulative byte length of the tokens (a byte-level "
                          "piece's bytes; a special token's content); span = inside of the last complete "
                          "\\boxed{...} (braces nest); the answer tokens are those with start < span end and end > "
                          "span start (here exactly the answer's digit tokens, one per digit); reward = mean of "
                          "exp(lp) over them (fsum in double)",
            "comparisons": "every metric compares the rewards rounded to float32 (rewardkit's reward type)",
            "pairs": "a pair is won iff reward(chosen) > reward(rejected) strictly; accuracy per subset = won / pairs; "
                     "accuracy = over all pairs (the subsets are equal-sized, so it equals subset_mean)",
            "best_of_4": "RewardBench 2: per record 1/k when the chosen reward equals the max of the 4 (k = how many "
                         "of the 4 equal it), else 0; score = mean over records",
            "best_of_n": "the candidate with the highest reward (the first of equal maxima, as rewardkit::best_of_n) "
                         "is correct: 1, else 0; accuracy = mean over records",
            "near_ties": "pairs whose float32 rewards differ by < 1e-4 relative: an implementation that agrees to "
                         "1e-4 may decide them differently",
        },
        "files": {
            "pairs.jsonl": {"records": len(pairs), "format": "RewardBench: id, prompt, chosen, rejected, subset",
                            "subsets": SLIPS},
            "best_of_4.jsonl": {"records": len(bo4), "format": "RewardBench 2: id, prompt, chosen [1], rejected [3], "
                                "subset", "subsets": OPS},
            "best_of_n.jsonl": {"records": len(bon), "format": "id, prompt, candidates [{response, correct}] x 8, "
                                "exactly one correct"},
            "score_check.jsonl": {"records": len(check), "format": "id, prompt, response (rewardkit score input)"},
        },
        "chance": chance,
        "results": res,
        "first_records": first5,
        "score_check": check,
        "models": info,
        "stage_seconds": stage_times,
    }
    (data_dir / "reference_results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")

    # Table
    print()
    print(f"{'method':15s} " + " ".join(f"{s[:15]:>15s}" for s in SLIPS) + f" {'pairs':>7s} {'bo4':>7s} {'boN':>7s}")
    for m in METHODS:
        r = res[m]
        print(f"{m:15s} " + " ".join(f"{r['pairs']['subsets'][s]['accuracy']:15.3f}" for s in SLIPS)
              + f" {r['pairs']['accuracy']:7.3f} {r['best_of_4']['score']:7.3f} {r['best_of_n']['accuracy']:7.3f}")
    print(f"{'chance':15s} " + " ".join(f"{0.5:15.3f}" for _ in SLIPS) + f" {0.5:7.3f} {0.25:7.3f} {1 / BEST_N:7.3f}")
    print()
    for name in ("arith-solver", "arith-weak", "arith-strong", "arith-rm"):
        print(f"  {name:13s} {info[name]['architecture']:32s} {info[name]['parameters']:8d} params "
              f"{du(out / name) / 1e6:6.2f} MB")
    print(f"  arith-data    {du(data_dir) / 1e6:6.2f} MB; models/ total {du(out) / 1e6:.2f} MB")
    print(f"total wall time {time.time() - T0:.0f}s")

    if args.rewardkit:
        subprocess.run([sys.executable, str(Path(__file__).with_name("check_cpp.py")), "--models", str(out),
                        "--rewardkit", args.rewardkit], check=True)


if __name__ == "__main__":
    main()
