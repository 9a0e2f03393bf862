#!/usr/bin/env python3
"""Runs `rewardkit bench` and tools/bench/bench_hf.py (transformers) on the same workloads, in turns,
several times, and prints the medians and the ratios as a Markdown table (for BENCHMARKS.md).

    python3 tools/bench/bench_compare.py [--rewardkit build/bin/rewardkit] [--shape small]
        [--workloads bt,density-ratio,best-of-n] [--repeats 3] [--count N] [--dtype bfloat16]

Each repeat runs rewardkit then transformers (alternating, so drift on a shared machine hits
both); each run is a fresh process. The figures are medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_COUNTS = {"bt": 32, "density-ratio": 32, "best-of-n": 4}


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rewardkit", default=str(HERE.parent.parent / "build" / "bin" / "rewardkit"))
    ap.add_argument("--shape", default="small")
    ap.add_argument("--workloads", default="bt,density-ratio,best-of-n")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--count", type=int, default=0, help="pairs/samples/prompts (default per workload)")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workload in args.workloads.split(","):
            count = args.count or DEFAULT_COUNTS[workload]
            wfile = os.path.join(tmp, f"{workload}.json")
            rk_cmd = [args.rewardkit, "bench", "--shape", args.shape, "--workload", workload, "--count", str(count),
                      "--dtype", args.dtype, "--threads", str(args.threads), "--json", "--emit-workload", wfile]
            rk, hf = [], []
            for _ in range(args.repeats):
                rk.append(run_json(rk_cmd))
                hf.append(run_json([sys.executable, str(HERE / "bench_hf.py"), wfile, "--threads", str(args.threads)]))
                print(f"{workload}: rewardkit {rk[-1]['tokens_per_s']:.0f} tok/s, transformers "
                      f"{hf[-1]['tokens_per_s']:.0f} tok/s (batch {hf[-1]['batch_size']})", file=sys.stderr)
            med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
            rows.append({
                "workload": workload, "tokens": rk[0]["tokens"],
                "rk_tps": med(rk, "tokens_per_s"), "hf_tps": med(hf, "tokens_per_s"),
                "rk_frac": med(rk, "fraction_of_matmul_rate"), "matmul": med(rk, "matmul_flops_per_s"),
                "rk_mem": med(rk, "peak_rss_over_baseline_bytes"), "hf_mem": med(hf, "peak_rss_over_baseline_bytes"),
                "weights": rk[0]["weight_bytes"], "hf_batch": hf[0]["batch_size"],
                "ideal": rk[0].get("ideal_prompt_sharing_speedup"),
                "compute_ideal": rk[0].get("compute_ideal_prompt_sharing_speedup"),
                "sharing": (med(rk, "prompt_sharing_speedup") if "prompt_sharing_speedup" in rk[0] else None),
                "versions": f"transformers {hf[0]['transformers']}, torch {hf[0]['torch']}",
            })
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} threads; "
          f"shape {args.shape}, {args.dtype}; medians of {args.repeats} runs; {rows[0]['versions']}\n")
    print("| workload | tokens | rewardkit tok/s | transformers tok/s (batch) | ratio | rewardkit % of matmul rate "
          "| peak mem over baseline, rewardkit / transformers / weights (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        mib = lambda b: f"{b / 1048576:.0f}"  # noqa: E731
        print(f"| {r['workload']} | {r['tokens']} | {r['rk_tps']:.0f} | {r['hf_tps']:.0f} ({r['hf_batch']}) | "
              f"{r['rk_tps'] / r['hf_tps']:.2f}x | {100 * r['rk_frac']:.0f}% of {r['matmul'] / 1e9:.0f} GFLOP/s | "
              f"{mib(r['rk_mem'])} / {mib(r['hf_mem'])} / {mib(r['weights'])} |")
    for r in rows:
        if r["sharing"]:
            print(f"\n{r['workload']}: prompt sharing {r['sharing']:.2f}x faster than scoring each sequence whole, "
                  f"{100 * r['sharing'] / r['ideal']:.0f}% of the ideal N(P+R)/(P+NR) = {r['ideal']:.2f}x, "
                  f"{100 * r['sharing'] / r['compute_ideal']:.0f}% of the ideal by FLOPs {r['compute_ideal']:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
