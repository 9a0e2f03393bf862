#!/usr/bin/env python3
"""Generate the numerical fixtures that the C++ engine tests compare against.

Run from anywhere (paths are resolved relative to the repository root):

    python3 tools/make_engine_fixtures.py                 # both parts
    python3 tools/make_engine_fixtures.py --only tiny     # tiny random checkpoints only
    python3 tools/make_engine_fixtures.py --only stories  # stories260K reference only
    python3 tools/make_engine_fixtures.py --assets /path/to/assets   # default: <repo>/../shared/assets
    python3 tools/make_engine_fixtures.py --add-probes    # probe batches into existing classifiers

Requirements: torch (CPU is enough), transformers 5.x, safetensors, sentencepiece.  Everything is
seeded; re-running with the same torch/transformers versions reproduces the same files.

Part 1 -- tests/fixtures/tiny/<variant>/
    Tiny random decoder checkpoints built with transformers, one directory per variant (see
    VARIANTS below), each holding:
      config.json                    as written by save_pretrained (transformers 5 layout:
                                     `rope_parameters`), except the variants that are rewritten into
                                     the legacy 4.x layout (`rope_theta` + `rope_scaling`) on purpose.
      model.safetensors              (llama_causal: model-0000x-of-0000n.safetensors shards +
                                     model.safetensors.index.json)
      expected.safetensors           input_ids / attention_mask           int64 [3, 12], right padded
                                     left_input_ids / left_attention_mask int64 [3, 12], left padded
                                     lengths                              int64 [3]
                                     causal: logits, logits_bf16          f32 [3, 12, vocab]
                                             (zeros at padded positions)
                                     cls:    scores, scores_bf16          f32 [3, num_labels]
                                             probe_input_ids / probe_attention_mask int64 [32, 12]
                                             probe_scores, probe_scores_bf16  f32 [32, num_labels]
                                             (32 more sequences, for the bf16 accuracy bound)
      expected.json                  versions, notes, max |logit|, lengths, measured effects.
    Reference outputs are transformers' eager-attention outputs for each sequence run ALONE and
    UNPADDED (batch of 1).  fp32 outputs come from `from_pretrained(dir, dtype=float32)` of the saved
    directory; *_bf16 outputs from `from_pretrained(dir, dtype=bfloat16)` (this is how users load a
    bf16 model; note that `model.to(torch.bfloat16)` is NOT equivalent: it also rounds the rotary
    `inv_freq` buffer to bf16, whereas from_pretrained keeps it fp32), upcast to fp32.
    The script asserts that the right-padded batch and the left-padded batch (with
    position_ids = clamp(cumsum(mask) - 1, min=0)) reproduce the unpadded fp32 outputs at the real
    positions within 1e-5, that the legacy-layout configs reload to identical outputs, and that each
    special feature (sliding window, softcaps, query_pre_attn_scalar, rope scaling, biases, q/k norm)
    changes the outputs measurably.

Part 2 -- tests/fixtures/stories260K/reference.json
    From the real stories260K checkpoint (<assets>/stories260K, not copied): the greedy continuation
    of BOS, per-position log-probs / argmax of one full forward pass over it, and the same for three
    short texts tokenized by transformers' LlamaTokenizer (plus a few tokenizer probes where the
    HF tokenizer and raw sentencepiece disagree).  Skipped with a message if the assets are absent.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import zlib
from pathlib import Path

import torch

import transformers
from safetensors.torch import save_file
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    Gemma2Config,
    LlamaConfig,
    MistralConfig,
    Qwen2Config,
    Qwen3Config,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_DIR = REPO_ROOT / "tests" / "fixtures" / "tiny"
STORIES_DIR = REPO_ROOT / "tests" / "fixtures" / "stories260K"

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
torch.use_deterministic_algorithms(True)

# ----------------------------------------------------------------------------------------------
# Part 1: tiny random checkpoints
# ----------------------------------------------------------------------------------------------

PAD_ID = 0
VOCAB = 256
LENGTHS = (12, 7, 3)  # all but the last exceed the sliding window (4)
TMAX = max(LENGTHS)
INPUT_SEED = 1234
# Classifiers give one score per sequence, so three sequences give three numbers: too few for a
# bf16 accuracy bound that is not a coin toss (one rounding flip moves a max over three).  Their
# fixtures also hold a probe batch of PROBE_COUNT sequences (lengths 1..TMAX), each run alone.
PROBE_SEED = 4321
PROBE_COUNT = 32

# Random re-initialisation.  With hidden 64 these give logits with std ~2-3 and max |logit| ~8-10
# (checked and recorded in expected.json): attention is far from uniform, nothing saturates.
STD_MATRIX = 0.15  # q/k/v/o, MLP projections
STD_EMBED = 0.3  # token embeddings (also the LM head when tied)
STD_HEAD = 0.3  # untied lm_head and the classification `score` head
STD_BIAS = 0.1
STD_NORM = 0.1  # RMSNorm weights: 1 + N(0, STD_NORM^2) (Gemma: N(0, STD_NORM^2), used as 1 + w)

COMMON = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=128,
    vocab_size=VOCAB,
    max_position_embeddings=128,
    rms_norm_eps=1e-6,
    pad_token_id=PAD_ID,
    bos_token_id=1,
    eos_token_id=2,
    attention_dropout=0.0,
)

CONFIG_CLASSES = {
    "llama": LlamaConfig,
    "mistral": MistralConfig,
    "qwen2": Qwen2Config,
    "qwen3": Qwen3Config,
    "gemma2": Gemma2Config,
}

GEMMA2_EXTRA = dict(
    num_hidden_layers=3,  # default layer_types -> sliding, full, sliding
    sliding_window=4,
    # The real values (50 / 30) never bite at these scales.  Here the pre-cap attention scores have
    # mean |s| ~1 and max ~5, and the pre-cap logits std ~2.5 and max ~17, so a cap of 2.5 on the
    # scores and 10 on the logits changes outputs clearly without saturating everything.
    attn_logit_softcapping=2.5,
    final_logit_softcapping=10.0,
    query_pre_attn_scalar=8,  # != head_dim (16): scale 8**-0.5, a wrong 1/sqrt(head_dim) is detected
    hidden_activation="gelu_pytorch_tanh",
    tie_word_embeddings=True,
)

LLAMA3_ROPE = dict(
    rope_type="llama3",
    rope_theta=500000.0,
    factor=8.0,
    low_freq_factor=1.0,
    high_freq_factor=4.0,
    # 64 rather than 16: with head_dim 16 and theta 5e5 the 8 wavelengths are 6.3, 32.4, 167, ...
    # so original_max_position_embeddings=64 (high_freq_wavelen 16, low_freq_wavelen 64) puts one
    # frequency in each of the three llama3 branches (kept / smoothed / divided by factor).  With 16
    # the "kept" branch would never be exercised.  (llama3 scaling is static: it changes inv_freq
    # regardless of the sequence length.)
    original_max_position_embeddings=64,
)


def variant(name, arch, head, notes, extra=None, **kw):
    return dict(name=name, arch=arch, head=head, notes=notes, extra=extra or {}, **kw)


VARIANTS = [
    variant(
        "llama_causal", "llama", "causal",
        "plain llama, GQA 4q/2kv, untied lm_head; saved sharded (index.json + >= 2 shards)",
        max_shard_size="150KB",
    ),
    variant("llama_cls", "llama", "cls", "plain llama, GQA, sequence classification num_labels=1"),
    variant(
        "llama_mha_causal", "llama", "causal",
        "llama with 4 kv heads (plain MHA) and tie_word_embeddings=True (no lm_head.weight in the file)",
        extra=dict(num_key_value_heads=4, tie_word_embeddings=True),
    ),
    variant(
        "llama3rope_causal", "llama", "causal",
        "llama3 rope scaling (factor 8, low 1, high 4, original_max_position_embeddings 64), theta 5e5",
        extra=dict(rope_parameters=dict(LLAMA3_ROPE)),
        bite=[("rope_default", dict(rope_parameters=dict(rope_type="default", rope_theta=500000.0)))],
    ),
    variant(
        "llama3rope_cls", "llama", "cls",
        "llama3 rope scaling as llama3rope_causal; config.json rewritten in the LEGACY layout "
        "(top-level rope_theta, rope_scaling with rope_type llama3); reload verified identical",
        extra=dict(rope_parameters=dict(LLAMA3_ROPE)),
        legacy_rope=True,
        bite=[("rope_default", dict(rope_parameters=dict(rope_type="default", rope_theta=500000.0)))],
    ),
    variant(
        "llama_linear_legacy_causal", "llama", "causal",
        "linear rope scaling factor 2; config.json rewritten in the LEGACY layout (top-level "
        "rope_theta, rope_scaling {type: linear, factor: 2.0}); reload verified identical",
        extra=dict(rope_parameters=dict(rope_type="linear", factor=2.0, rope_theta=10000.0)),
        legacy_rope=True,
        legacy_type_key="type",
        bite=[("rope_default", dict(rope_parameters=dict(rope_type="default", rope_theta=10000.0)))],
    ),
    variant(
        "mistral_causal", "mistral", "causal", "mistral, sliding_window 4 on every layer",
        extra=dict(sliding_window=4),
        bite=[("no_sliding_window", dict(sliding_window=None))],
    ),
    variant(
        "mistral_cls", "mistral", "cls", "mistral, sliding_window 4 on every layer",
        extra=dict(sliding_window=4),
        bite=[("no_sliding_window", dict(sliding_window=None))],
    ),
    variant(
        "qwen2_causal", "qwen2", "causal",
        "qwen2 (q/k/v biases). config.json rewritten like hub Qwen2 configs: sliding_window 4 with "
        "use_sliding_window false and no layer_types; transformers IGNORES the window in that case "
        "(reload verified identical) -- all layers are full attention",
        qwen_window_trap=True,
    ),
    variant("qwen2_cls", "qwen2", "cls", "qwen2 (q/k/v biases), all layers full attention"),
    variant("qwen3_causal", "qwen3", "causal", "qwen3 (per-head q_norm/k_norm before RoPE), untied"),
    variant("qwen3_cls", "qwen3", "cls", "qwen3 (per-head q_norm/k_norm before RoPE)"),
    variant(
        "qwen3_causal_tied_bf16", "qwen3", "causal",
        "qwen3, tie_word_embeddings=True, weights saved in bfloat16; `logits` = the bf16 weights "
        "upcast to fp32 and run in fp32; `logits_bf16` = loaded and run in bf16",
        extra=dict(tie_word_embeddings=True),
        save_dtype=torch.bfloat16,
    ),
    variant(
        "qwen3_cls3", "qwen3", "cls", "qwen3, num_labels 3 with id2label helpfulness/correctness/coherence",
        extra=dict(num_labels=3, id2label={0: "helpfulness", 1: "correctness", 2: "coherence"},
                   label2id={"helpfulness": 0, "correctness": 1, "coherence": 2}),
    ),
    variant(
        "gemma2_causal", "gemma2", "causal",
        "gemma2: 3 layers (sliding, full, sliding), sliding_window 4, attn softcap 2.5, final softcap 10, "
        "query_pre_attn_scalar 8, tied embeddings, sqrt(hidden) embedding scale, (1+w) RMSNorm, "
        "sandwich norms, gelu_pytorch_tanh",
        extra=dict(GEMMA2_EXTRA),
        bite=[
            ("no_attn_softcap", dict(attn_logit_softcapping=None)),
            ("no_final_softcap", dict(final_logit_softcapping=None)),
            ("query_pre_attn_scalar_eq_head_dim", dict(query_pre_attn_scalar=16)),
            ("no_sliding_window", dict(sliding_window=4096)),
        ],
    ),
    variant(
        "gemma2_cls", "gemma2", "cls",
        "gemma2 as gemma2_causal, sequence classification (final_logit_softcapping does NOT apply "
        "to the score head)",
        extra=dict(GEMMA2_EXTRA),
        bite=[
            ("no_attn_softcap", dict(attn_logit_softcapping=None)),
            ("query_pre_attn_scalar_eq_head_dim", dict(query_pre_attn_scalar=16)),
            ("no_sliding_window", dict(sliding_window=4096)),
        ],
    ),
]

# Notes written into the script because somebody will ask (all verified in transformers 5.24):
# * Left padding + sliding window is fine: the window is `q_idx - w < kv_idx <= q_idx` on tensor
#   indices, and with left padding the real tokens are contiguous, so index distance equals position
#   distance; pad keys are removed by the padding mask.  All variants pass the left-padded check.
# * Rows of padded queries are garbage (left padding: a pad query sees no key, all scores get
#   finfo.min and the softmax is uniform over every key); they never feed real rows.
# * *ForSequenceClassification pools at the RIGHTMOST token != pad_token_id
#   (argmax(arange(T) * (ids != pad))), so it handles left and right padding alike; it does not look
#   at attention_mask.  If no token is non-pad it reads position 0.


def seeded_generator(tag: str, base: int = 0) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(base + zlib.crc32(tag.encode()))
    return g


def make_inputs():
    g = torch.Generator()
    g.manual_seed(INPUT_SEED)
    seqs = [torch.randint(1, VOCAB, (n,), generator=g, dtype=torch.int64) for n in LENGTHS]
    right_ids, right_mask = right_padded(seqs)
    left_ids = torch.full((len(seqs), TMAX), PAD_ID, dtype=torch.int64)
    left_mask = torch.zeros((len(seqs), TMAX), dtype=torch.int64)
    for i, s in enumerate(seqs):
        left_ids[i, TMAX - len(s):] = s
        left_mask[i, TMAX - len(s):] = 1
    return seqs, right_ids, right_mask, left_ids, left_mask


def right_padded(seqs):
    ids = torch.full((len(seqs), TMAX), PAD_ID, dtype=torch.int64)
    mask = torch.zeros((len(seqs), TMAX), dtype=torch.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return ids, mask


def make_probe_seqs():
    g = torch.Generator()
    g.manual_seed(PROBE_SEED)
    lengths = torch.randint(1, TMAX + 1, (PROBE_COUNT,), generator=g).tolist()
    return [torch.randint(1, VOCAB, (n,), generator=g, dtype=torch.int64) for n in lengths]


def build_config(v):
    kw = dict(COMMON)
    # (Qwen2's q/k/v biases are hard-wired in its modeling code; there is no config switch.)
    kw.update(copy.deepcopy(v["extra"]))
    if v["head"] == "cls" and "num_labels" not in kw:
        kw["num_labels"] = 1
    cfg = CONFIG_CLASSES[v["arch"]](**kw)
    cfg._attn_implementation = "eager"
    return cfg


@torch.no_grad()
def randomize(model, gen):
    """Overwrite every parameter with seeded noise (tied parameters are visited once)."""
    seen = set()
    for mod_name, mod in model.named_modules():
        cls = type(mod).__name__
        for p_name, p in mod.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if "RMSNorm" in cls:
                base = 0.0 if cls.startswith("Gemma") else 1.0
                val = base + STD_NORM * noise
            elif isinstance(mod, torch.nn.Embedding):
                val = STD_EMBED * noise
            elif isinstance(mod, torch.nn.Linear):
                if p_name == "bias":
                    val = STD_BIAS * noise
                elif mod_name in ("lm_head", "score"):
                    val = STD_HEAD * noise
                else:
                    val = STD_MATRIX * noise
            else:
                raise RuntimeError(f"unexpected parameter {mod_name}.{p_name} in {cls}")
            p.copy_(val.to(p.dtype))
    n_params = sum(1 for _ in model.parameters())
    assert len(seen) == n_params, (len(seen), n_params)


def model_class(head):
    return AutoModelForCausalLM if head == "causal" else AutoModelForSequenceClassification


def load(path, head, dtype, **overrides):
    m = model_class(head).from_pretrained(path, dtype=dtype, attn_implementation="eager", **overrides)
    m.eval()
    assert m.config._attn_implementation == "eager"
    return m


@torch.no_grad()
def outputs_alone(model, head, seqs):
    """Each sequence alone, unpadded, batch of 1.  causal -> [B, T, V] right-padded layout (zeros
    at pads); cls -> [B, num_labels]."""
    res = []
    for s in seqs:
        out = model(input_ids=s[None]).logits.float()[0]
        res.append(out)
    if head == "cls":
        return torch.stack(res)
    full = torch.zeros((len(seqs), TMAX, res[0].shape[-1]), dtype=torch.float32)
    for i, r in enumerate(res):
        full[i, : r.shape[0]] = r
    return full


@torch.no_grad()
def check_batches(model, head, ref, seqs, right_ids, right_mask, left_ids, left_mask, name, tol=1e-5):
    out_r = model(input_ids=right_ids, attention_mask=right_mask).logits.float()
    pos_left = (left_mask.cumsum(-1) - 1).clamp(min=0)
    out_l = model(input_ids=left_ids, attention_mask=left_mask, position_ids=pos_left).logits.float()
    worst = {"right": 0.0, "left": 0.0}
    for i, s in enumerate(seqs):
        n = len(s)
        if head == "causal":
            r, l, e = out_r[i, :n], out_l[i, TMAX - n:], ref[i, :n]
        else:
            r, l, e = out_r[i], out_l[i], ref[i]
        worst["right"] = max(worst["right"], (r - e).abs().max().item())
        worst["left"] = max(worst["left"], (l - e).abs().max().item())
    for k, d in worst.items():
        if not d <= tol:
            raise AssertionError(f"{name}: {k}-padded batch differs from unpadded runs by {d:.3g} > {tol}")
    return worst


def max_diff_real(a, b, head):
    if head == "cls":
        return (a - b).abs().max().item()
    d = 0.0
    for i, n in enumerate(LENGTHS):
        d = max(d, (a[i, :n] - b[i, :n]).abs().max().item())
    return d


def rewrite_config_legacy_rope(cfg_path: Path, type_key: str):
    cfg = json.loads(cfg_path.read_text())
    rp = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rp.pop("rope_theta")
    rtype = rp.pop("rope_type")
    cfg["rope_scaling"] = {type_key: rtype, **rp}
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def rewrite_config_qwen_window_trap(cfg_path: Path):
    cfg = json.loads(cfg_path.read_text())
    assert cfg.get("use_sliding_window") is False, cfg
    cfg.pop("layer_types", None)
    cfg["sliding_window"] = 4
    cfg["max_window_layers"] = 1
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def make_variant(v, inputs):
    name, arch, head = v["name"], v["arch"], v["head"]
    seqs, right_ids, right_mask, left_ids, left_mask = inputs
    out_dir = TINY_DIR / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    torch.manual_seed(zlib.crc32(name.encode()))  # construction-time init (overwritten below)
    cfg = build_config(v)
    model = model_class(head).from_config(cfg, attn_implementation="eager")
    model.eval()
    randomize(model, seeded_generator(name))

    with torch.no_grad():
        mem_out = outputs_alone(model, head, seqs)  # in-memory fp32 model, before any dtype change

    save_dtype = v.get("save_dtype")
    if save_dtype is not None:
        model = model.to(save_dtype)
    save_kw = {}
    if "max_shard_size" in v:
        save_kw["max_shard_size"] = v["max_shard_size"]
    # transformers 5 always writes safetensors (the `safe_serialization` argument no longer exists)
    model.save_pretrained(out_dir, **save_kw)
    gen_cfg = out_dir / "generation_config.json"
    if gen_cfg.exists():
        gen_cfg.unlink()  # not needed by the engine
    del model

    ref = load(out_dir, head, torch.float32)
    ref_out = outputs_alone(ref, head, seqs)
    if save_dtype is None:
        d = max_diff_real(ref_out, mem_out, head)
        assert d == 0.0, f"{name}: reloaded checkpoint differs from the in-memory model by {d}"
    else:
        d = max_diff_real(ref_out, mem_out, head)
        print(f"  {name}: effect of rounding weights to {save_dtype}: {d:.4g}")

    worst = check_batches(ref, head, ref_out, seqs, right_ids, right_mask, left_ids, left_mask, name)

    # Measured effect of each special feature (must be clearly above bf16 noise).
    effects = {}
    for tag, overrides in v.get("bite", []):
        alt = load(out_dir, head, torch.float32, **copy.deepcopy(overrides))
        alt_out = outputs_alone(alt, head, seqs)
        effects[tag] = max_diff_real(alt_out, ref_out, head)
        del alt
    # Features that are not config switches: measure by zeroing the parameters.
    if arch == "qwen2":
        effects["zero_qkv_bias"] = _effect_of_zeroing(out_dir, head, seqs, ref_out, lambda n: n.endswith("_proj.bias"))
    if arch == "qwen3":
        effects["qk_norm_weight_one"] = _effect_of_zeroing(
            out_dir, head, seqs, ref_out, lambda n: n.endswith("q_norm.weight") or n.endswith("k_norm.weight"),
            value=1.0)

    # Rewritten configs: the rewritten directory must reload to bit-identical outputs.
    config_layout = "transformers5"
    if v.get("legacy_rope"):
        rewrite_config_legacy_rope(out_dir / "config.json", v.get("legacy_type_key", "rope_type"))
        config_layout = "legacy_rope_scaling"
    if v.get("qwen_window_trap"):
        rewrite_config_qwen_window_trap(out_dir / "config.json")
        config_layout = "hub_style_sliding_window_disabled"
    if config_layout != "transformers5":
        cfg_json = json.loads((out_dir / "config.json").read_text())
        assert "rope_parameters" not in cfg_json or config_layout != "legacy_rope_scaling"
        re = load(out_dir, head, torch.float32)
        re_out = outputs_alone(re, head, seqs)
        d = max_diff_real(re_out, ref_out, head)
        assert d == 0.0, f"{name}: rewritten config.json changes outputs by {d}"
        if v.get("legacy_rope"):
            assert re.config.rope_parameters["rope_type"] == ref.config.rope_parameters["rope_type"]
        if v.get("qwen_window_trap"):
            assert re.config.sliding_window is None and set(re.config.layer_types) == {"full_attention"}
        del re

    bf = load(out_dir, head, torch.bfloat16)
    bf_out = outputs_alone(bf, head, seqs)
    bf_vs_fp32 = max_diff_real(bf_out, ref_out, head)
    probe = probe_outputs(ref, bf) if head == "cls" else {}
    del bf
    for tag, d in effects.items():
        if not d > max(0.05, 2 * bf_vs_fp32):
            raise AssertionError(f"{name}: feature check {tag} changes outputs by only {d:.3g}"
                                 f" (bf16 noise {bf_vs_fp32:.3g})")

    key = "logits" if head == "causal" else "scores"
    tensors = {
        "input_ids": right_ids.contiguous(),
        "attention_mask": right_mask.contiguous(),
        "left_input_ids": left_ids.contiguous(),
        "left_attention_mask": left_mask.contiguous(),
        "lengths": torch.tensor(LENGTHS, dtype=torch.int64),
        key: ref_out.contiguous(),
        key + "_bf16": bf_out.contiguous(),
        **probe,
    }
    save_file(tensors, str(out_dir / "expected.safetensors"), metadata={"variant": name})

    real = torch.cat([ref_out[i, :n].flatten() for i, n in enumerate(LENGTHS)]) if head == "causal" \
        else ref_out.flatten()
    weight_files = sorted(p.name for p in out_dir.glob("model*.safetensors"))
    weight_names = sorted(k for k in ref.state_dict().keys())
    from safetensors import safe_open
    stored = []
    for wf in weight_files:
        with safe_open(str(out_dir / wf), framework="pt") as f:
            stored += list(f.keys())
    meta = {
        "variant": name,
        "arch": arch,
        "model_type": ref.config.model_type,
        "architecture": type(ref).__name__,
        "head": head,
        "notes": v["notes"],
        "config_layout": config_layout,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "saved_dtype": str(save_dtype or torch.float32).replace("torch.", ""),
        "attn_implementation": "eager",
        "pad_token_id": PAD_ID,
        "lengths": list(LENGTHS),
        "padded_length": TMAX,
        "num_labels": int(ref_out.shape[-1]) if head == "cls" else None,
        "output_key": key,
        f"max_abs_{key}": real.abs().max().item(),
        f"std_{key}": real.std().item() if real.numel() > 1 else 0.0,
        "max_abs_diff_bf16_vs_fp32": bf_vs_fp32,
        **probe_meta(probe),
        "max_abs_diff_right_padded_batch": worst["right"],
        "max_abs_diff_left_padded_batch": worst["left"],
        "feature_effects_max_abs_diff": effects,
        "weight_files": weight_files,
        "stored_tensors": sorted(stored),
        "tied_word_embeddings": bool(getattr(ref.config, "tie_word_embeddings", False)),
        "expected_tensors": sorted(tensors.keys()),
    }
    (out_dir / "expected.json").write_text(json.dumps(meta, indent=2) + "\n")
    del ref
    return meta


def probe_outputs(ref, bf):
    """A classifier's probe batch: inputs and each sequence's scores alone, fp32 and bf16."""
    seqs = make_probe_seqs()
    ids, mask = right_padded(seqs)
    return {"probe_input_ids": ids, "probe_attention_mask": mask,
            "probe_scores": outputs_alone(ref, "cls", seqs).contiguous(),
            "probe_scores_bf16": outputs_alone(bf, "cls", seqs).contiguous()}


def probe_meta(probe):
    if not probe:
        return {}
    return {"probe_max_abs_diff_bf16_vs_fp32": (probe["probe_scores_bf16"] - probe["probe_scores"]).abs().max().item()}


def add_probes(only=None):
    """Append the probe batch to existing classifier fixtures, leaving every other file and tensor
    as it is.  (Outputs of a full rebuild can move by an ulp from one CPU to another; the fixtures'
    weights and earlier outputs need not churn for a new tensor.)"""
    from safetensors import safe_open
    for v in VARIANTS:
        if v["head"] != "cls" or (only and v["name"] not in only):
            continue
        out_dir = TINY_DIR / v["name"]
        with safe_open(str(out_dir / "expected.safetensors"), framework="pt") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
            metadata = f.metadata()
        probe = probe_outputs(load(out_dir, "cls", torch.float32), load(out_dir, "cls", torch.bfloat16))
        tensors.update(probe)
        save_file(tensors, str(out_dir / "expected.safetensors"), metadata=metadata)
        meta = json.loads((out_dir / "expected.json").read_text())
        meta.update(probe_meta(probe))
        meta["expected_tensors"] = sorted(tensors.keys())
        (out_dir / "expected.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"{v['name']:28s} probe bf16-fp32 {meta['probe_max_abs_diff_bf16_vs_fp32']:.3g}")


def _effect_of_zeroing(out_dir, head, seqs, ref_out, pred, value=0.0):
    m = load(out_dir, head, torch.float32)
    with torch.no_grad():
        n = 0
        for k, p in m.named_parameters():
            if pred(k):
                p.fill_(value)
                n += 1
        assert n > 0
    out = outputs_alone(m, head, seqs)
    return max_diff_real(out, ref_out, head)


def make_tiny(only=None):
    TINY_DIR.mkdir(parents=True, exist_ok=True)
    inputs = make_inputs()
    for v in VARIANTS:
        if only and v["name"] not in only:
            continue
        meta = make_variant(v, inputs)
        size = dir_size(TINY_DIR / v["name"])
        key = meta["output_key"]
        print(f"{v['name']:28s} {size/1024:8.1f} KiB  max|{key}| {meta['max_abs_' + key]:7.3f}  "
              f"std {meta['std_' + key]:6.3f}  bf16-fp32 {meta['max_abs_diff_bf16_vs_fp32']:.3g}  "
              f"pad r/l {meta['max_abs_diff_right_padded_batch']:.2g}/{meta['max_abs_diff_left_padded_batch']:.2g}  "
              f"effects {json.dumps({k: round(x, 3) for k, x in meta['feature_effects_max_abs_diff'].items()})}")
    print(f"tiny fixtures total: {dir_size(TINY_DIR)/1024/1024:.2f} MiB in {TINY_DIR}")


# ----------------------------------------------------------------------------------------------
# Part 2: stories260K reference outputs
# ----------------------------------------------------------------------------------------------

STORIES_TEXTS = [
    "Once upon a time, there was a little girl named Lily.",
    "The cat sat on the mat.",
    "",
]
# Strings where transformers' LlamaTokenizer (tokenizers BPE converted from tokenizer.model) and raw
# sentencepiece may disagree: this tokenizer.model has normalizer_spec.remove_extra_whitespaces=true,
# which the converted HF tokenizer does not apply.
TOKENIZER_PROBES = [
    "  two  spaces",
    "trailing space ",
    "Hello\nworld",
    "caf\u00e9 \U0001F600",
    "Lily said, \"Let's play!\"",
]


@torch.no_grad()
def per_position(model, ids):
    """log p(ids[i+1] | ids[:i+1]) and argmax at positions 0..n-2, one fp32 forward pass."""
    if len(ids) < 2:
        return [], []
    x = torch.tensor([ids], dtype=torch.int64)
    logits = model(input_ids=x).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    tgt = x[0, 1:]
    lp = logp[:-1].gather(-1, tgt[:, None])[:, 0]
    top = logits[:-1].argmax(-1)
    return [float(v) for v in lp.tolist()], [int(v) for v in top.tolist()]


@torch.no_grad()
def top2_margins(model, ids):
    """top1 - top2 logit gap at positions 0..n-2 (how robust an argmax comparison is)."""
    if len(ids) < 2:
        return []
    logits = model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
    t2 = logits.topk(2, dim=-1).values
    return [float(v) for v in (t2[:, 0] - t2[:, 1]).tolist()]


NEAR_TIE = 0.05


def min_margin(model, ids):
    m = top2_margins(model, ids)
    return min(m) if m else None


def near_ties(model, ids):
    """Positions whose argmax is decided by less than NEAR_TIE logits: {position: margin}."""
    return {str(i): m for i, m in enumerate(top2_margins(model, ids)) if m < NEAR_TIE}


def make_stories(assets: Path):
    src = assets / "stories260K"
    if not (src / "config.json").exists():
        print(f"[stories260K] skipped: {src} not found (pass --assets DIR)")
        return
    import sentencepiece as spm
    from transformers import LlamaForCausalLM, LlamaTokenizer

    STORIES_DIR.mkdir(parents=True, exist_ok=True)
    model = LlamaForCausalLM.from_pretrained(src, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    tok = LlamaTokenizer.from_pretrained(src)
    sp = spm.SentencePieceProcessor(model_file=str(src / "tokenizer.model"))
    bos = model.config.bos_token_id
    assert bos == 1 and tok.bos_token_id == 1

    # Greedy continuation.  generate() stops at eos (id 2) if the model emits it; we ask for exactly
    # 200 new tokens and record whether eos appeared.
    prompt = torch.tensor([[bos]], dtype=torch.int64)
    with torch.no_grad():
        gen = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                             max_new_tokens=200, pad_token_id=model.config.eos_token_id)
    greedy = [int(t) for t in gen[0].tolist()]
    logprobs, top = per_position(model, greedy)
    # generate() (KV cache, one token at a time) must agree with the full forward pass argmax.
    mismatch = [i for i in range(len(greedy) - 1) if top[i] != greedy[i + 1]]
    assert not mismatch, f"greedy tokens differ from full-pass argmax at positions {mismatch}"

    texts = []
    for s in STORIES_TEXTS:
        ids = [int(t) for t in tok(s)["input_ids"]]
        sp_ids = [bos] + sp.encode(s)
        assert ids == sp_ids, (s, ids, sp_ids)
        lp, tp = per_position(model, ids)
        texts.append({"text": s, "ids": ids, "logprobs": lp, "top_ids": tp,
                      "min_top2_logit_margin": min_margin(model, ids), "near_ties": near_ties(model, ids)})

    probes = []
    for s in TOKENIZER_PROBES:
        ids = [int(t) for t in tok(s)["input_ids"]]
        sp_ids = [bos] + sp.encode(s)
        probes.append({"text": s, "hf_ids": ids, "sentencepiece_bos_ids": sp_ids, "agree": ids == sp_ids})

    weights_sha = hashlib.sha256((src / "model.safetensors").read_bytes()).hexdigest()
    ref = {
        "model": "stories260K",
        "model_safetensors_sha256": weights_sha,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "dtype": "float32",
        "attn_implementation": "eager",
        "notes": (
            "greedy_ids = BOS + model.generate(do_sample=False, max_new_tokens=200); greedy_logprobs[i] = "
            "log p(ids[i+1] | ids[:i+1]) and greedy_top_ids[i] = argmax at position i, from ONE fp32 forward "
            "pass over the whole sequence (n-1 values). texts: ids from transformers.LlamaTokenizer "
            "(add_bos_token, no eos), equal to [1] + sentencepiece.encode(text) for these texts. "
            "tokenizer_probes: HF vs raw sentencepiece ids; they disagree where the text has repeated/"
            "leading/trailing spaces because tokenizer.model sets remove_extra_whitespaces=true and "
            "the HF tokenizers-based LlamaTokenizer does not normalize. near_ties: positions (index into "
            "top_ids) whose top1-top2 logit gap is < 0.05, where an fp32 engine may legitimately pick "
            "the other token; a greedy loop may diverge from greedy_ids after such a position."
        ),
        "bos_id": bos,
        "eos_id": model.config.eos_token_id,
        "greedy_ids": greedy,
        "greedy_num_new_tokens": len(greedy) - 1,
        "greedy_stopped_at_eos": model.config.eos_token_id in greedy[1:],
        "greedy_logprobs": logprobs,
        "greedy_top_ids": top,
        "greedy_min_top2_logit_margin": min_margin(model, greedy),
        "greedy_near_ties": near_ties(model, greedy),
        "greedy_text": tok.decode(greedy, skip_special_tokens=True),
        "texts": texts,
        "tokenizer_probes": probes,
    }
    out = STORIES_DIR / "reference.json"
    out.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"[stories260K] wrote {out} ({out.stat().st_size/1024:.1f} KiB); {len(greedy)-1} new tokens, "
          f"stopped_at_eos={ref['greedy_stopped_at_eos']}, min top1-top2 logit margin {ref['greedy_min_top2_logit_margin']:.4f}")
    print("[stories260K] greedy text:", repr(ref["greedy_text"][:300]))
    for p in probes:
        if not p["agree"]:
            print(f"[stories260K] tokenizer probe differs: {p['text']!r}: hf {p['hf_ids']} sp {p['sentencepiece_bos_ids']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--assets", type=Path, default=REPO_ROOT.parent / "shared" / "assets",
                    help="directory holding stories260K/ (default: <repo>/../shared/assets)")
    ap.add_argument("--only", choices=["tiny", "stories"], default=None)
    ap.add_argument("--variants", nargs="*", default=None, help="subset of tiny variants to (re)build")
    ap.add_argument("--add-probes", action="store_true",
                    help="only append the probe batch to the existing classifier fixtures")
    args = ap.parse_args()
    if args.add_probes:
        add_probes(args.variants)
        return
    if args.only in (None, "tiny"):
        make_tiny(args.variants)
    if args.only in (None, "stories"):
        make_stories(args.assets)


if __name__ == "__main__":
    main()
