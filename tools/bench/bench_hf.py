#!/usr/bin/env python3
"""The Hugging Face transformers side of `rewardkit bench`: the same workload (config, lengths,
dtype, written by `rewardkit bench --emit-workload FILE`) run with transformers, random weights
from the config, at transformers' best batch size, printed as one JSON object with the fields
`rewardkit bench --json` prints.

    python3 tools/bench/bench_hf.py WORKLOAD.json [--threads N] [--batch-sizes 1,4,16] [--checkpoint DIR]

How transformers is used (what a user would write): AutoModelFor{SequenceClassification,CausalLM}
.from_config(config, torch_dtype=dtype), eval(), torch.inference_mode(), sequences sorted by length
and right-padded per batch; bt reads `.logits` (the score at the last real token); density-ratio
and best-of-n take log_softmax(logits.float()) and gather the next-token log-probs. The batch size
is the fastest of --batch-sizes on the first sequences (timed once each), then the whole workload
is timed once. Peak memory: ru_maxrss over the resident size before the model was built.
--checkpoint DIR loads the model(s) with from_pretrained(DIR, torch_dtype=dtype) instead, and
load_to_first_score_s times from that call to the end of the first score (one sequence).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification  # noqa: E402


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return -1


def sequences(layout, workload):
    """(prompt, response) lengths in the order rewardkit builds them."""
    out = []
    for g in layout:
        if workload == "bt":
            out += [(g[0], g[1]), (g[0], g[2])]
        elif workload == "density-ratio":
            out.append((g[0], g[1]))
        else:
            out += [(g[0], r) for r in g[1]]
    return out


def make_ids(seqs, vocab, seed):
    rng = random.Random(seed + 1)
    out, last_p, prompt = [], -1, []
    for p, r in seqs:
        if p != last_p:
            prompt = [rng.randrange(vocab) for _ in range(p)]
            last_p = p
        out.append((prompt + [rng.randrange(vocab) for _ in range(r)], p))
    return out


def run_batches(models, samples, batch_size, classifier, pad_id):
    order = sorted(range(len(samples)), key=lambda i: -len(samples[i][0]))
    for start in range(0, len(order), batch_size):
        batch = [samples[i] for i in order[start:start + batch_size]]
        T = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), T), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), T), dtype=torch.long)
        for b, (s, _) in enumerate(batch):
            ids[b, : len(s)] = torch.tensor(s)
            mask[b, : len(s)] = 1
        for m in models:
            out = m(input_ids=ids, attention_mask=mask)
            if classifier:
                out.logits.float()
            else:
                logp = torch.log_softmax(out.logits.float(), -1)
                logp[:, :-1].gather(-1, ids[:, 1:].unsqueeze(-1))


def forward_flops(c, T, lm_head):
    H, I, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim", H // nh)
    proj = 2.0 * T * (H * nh * hd + 2.0 * H * nkv * hd + nh * hd * H + 3.0 * H * I)
    attn = 2.0 * 2.0 * nh * hd * T * (T + 1) / 2.0
    return L * (proj + attn) + (2.0 * T * c["vocab_size"] * H if lm_head else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch-sizes", default="1,4,16")
    ap.add_argument("--checkpoint", help="from_pretrained this directory instead of random weights")
    args = ap.parse_args()
    w = json.load(open(args.workload))
    torch.set_num_threads(args.threads)
    torch.manual_seed(w["seed"])
    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}[w["dtype"]]
    classifier = w["workload"] == "bt"
    cfg_dict = dict(w["config"])
    baseline = rss_bytes()
    t0 = time.perf_counter()
    cls = AutoModelForSequenceClassification if classifier else AutoModelForCausalLM
    n_models = 2 if w["workload"] == "density-ratio" else 1
    if args.checkpoint:
        models = [cls.from_pretrained(args.checkpoint, torch_dtype=dtype).eval() for _ in range(n_models)]
        config = models[0].config
    else:
        config = AutoConfig.for_model(**cfg_dict)
        models = [cls.from_config(config, torch_dtype=dtype).eval() for _ in range(n_models)]
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in models[0].parameters())
    weight_bytes = sum(sum(p.numel() * p.element_size() for p in m.parameters()) for m in models)
    samples = make_ids(sequences(w["layout"], w["workload"]), config.vocab_size, w["seed"])
    pad_id = config.pad_token_id if config.pad_token_id is not None else 0
    tokens = sum(len(s) for s, _ in samples)
    flops = n_models * sum(forward_flops(cfg_dict, len(s), not classifier) for s, _ in samples)
    with torch.inference_mode():
        run_batches(models, samples[:1], 1, classifier, pad_id)  # warm-up, and the first score
        first_score_s = time.perf_counter() - t0
        probe = samples[: min(len(samples), 32)]
        best, best_rate = 1, 0.0
        for bs in [int(x) for x in args.batch_sizes.split(",")]:
            t = time.perf_counter()
            run_batches(models, probe, bs, classifier, pad_id)
            rate = sum(len(s) for s, _ in probe) / (time.perf_counter() - t)
            if rate > best_rate:
                best, best_rate = bs, rate
        t = time.perf_counter()
        run_batches(models, samples, best, classifier, pad_id)
        wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    print(json.dumps({
        "engine": "transformers", "transformers": transformers.__version__, "torch": torch.__version__,
        "workload": w["workload"], "dtype": w["dtype"], "threads": torch.get_num_threads(), "batch_size": best,
        "sequences": len(samples), "tokens": tokens, "wall_s": wall, "tokens_per_s": tokens / wall,
        "model_flops_per_s": flops / wall, "peak_rss_over_baseline_bytes": peak, "baseline_rss_bytes": baseline,
        "weight_bytes": weight_bytes, "build_s": build_s, "parameters": params,
        "checkpoint": args.checkpoint or "", "load_to_first_score_s": first_score_s,
    }))


if __name__ == "__main__":
    sys.exit(main())
