#!/usr/bin/env python3
"""Time from asking to load a checkpoint to its first score, rewardkit beside transformers'
from_pretrained, in turns, several times; prints the medians and the ratio (for BENCHMARKS.md).

    python3 tools/bench/bench_load.py [--rewardkit build/bin/rewardkit] [--shape qwen3-0.6b]
        [--workload bt] [--dtype bfloat16] [--repeats 3] [--dir DIR]

The checkpoint is the bench shape's config with random weights, written by transformers
(save_pretrained: config.json + model.safetensors) in --dtype, to --dir or a temporary directory.
Both engines then load it in that dtype (no conversion) in fresh processes: `rewardkit bench
--checkpoint DIR` and `tools/bench/bench_hf.py --checkpoint DIR`, each timing from the load call
to the end of scoring one sequence. The file was just written, so it is in the page cache for
every run: this is the warm-cache time a job that loads a model it used before sees; a cold
read is bound by the disk for both engines alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import warnings

from bench_compare import HERE, run_json  # noqa: E402  (this folder is on sys.path when run as a script)


def save_checkpoint(workload_file: str, out_dir: str) -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification

    w = json.load(open(workload_file))
    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}[w["dtype"]]
    config = AutoConfig.for_model(**w["config"])
    cls = AutoModelForSequenceClassification if w["workload"] == "bt" else AutoModelForCausalLM
    torch.manual_seed(w["seed"])
    cls.from_config(config, torch_dtype=dtype).save_pretrained(out_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rewardkit", default=str(HERE.parent.parent / "build" / "bin" / "rewardkit"))
    ap.add_argument("--shape", default="qwen3-0.6b")
    ap.add_argument("--workload", default="bt", choices=["bt", "density-ratio", "best-of-n"])
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--dir", help="where to write the checkpoint (default: a temporary directory)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.dir or os.path.join(tmp, "checkpoint")
        wfile = os.path.join(tmp, "workload.json")
        common = ["--workload", args.workload, "--count", "1", "--dtype", args.dtype, "--threads", str(args.threads),
                  "--json"]
        run_json([args.rewardkit, "bench", "--shape", args.shape, "--emit-workload", wfile] + common)
        save_checkpoint(wfile, ckpt)
        rk, hf = [], []
        for _ in range(args.repeats):
            rk.append(run_json([args.rewardkit, "bench", "--checkpoint", ckpt] + common))
            hf.append(run_json([sys.executable, str(HERE / "bench_hf.py"), wfile, "--checkpoint", ckpt,
                                "--threads", str(args.threads), "--batch-sizes", "1"]))
            print(f"rewardkit load {rk[-1]['build_s']:.2f} s, first score {rk[-1]['load_to_first_score_s']:.2f} s; "
                  f"transformers from_pretrained {hf[-1]['build_s']:.2f} s, first score "
                  f"{hf[-1]['load_to_first_score_s']:.2f} s", file=sys.stderr)
    med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    rk_first, hf_first = med(rk, "load_to_first_score_s"), med(hf, "load_to_first_score_s")
    print(f"{args.shape} {args.workload} checkpoint ({rk[0]['weight_bytes'] / 2**20:.0f} MiB of {args.dtype} weights), "
          f"medians of {args.repeats}, {args.threads} threads; transformers {hf[0]['transformers']}, torch {hf[0]['torch']}\n")
    print("| engine | load (s) | load to first score (s) |")
    print("| --- | ---: | ---: |")
    print(f"| rewardkit | {med(rk, 'build_s'):.2f} | {rk_first:.2f} |")
    print(f"| transformers from_pretrained | {med(hf, 'build_s'):.2f} | {hf_first:.2f} |")
    print(f"\nrewardkit reaches its first score in {rk_first / hf_first:.2f}x transformers' time")


if __name__ == "__main__":
    sys.exit(main())
