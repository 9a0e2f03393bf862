#!/usr/bin/env python3
"""Cross-check `rewardkit score` against the transformers rewards that tools/demo_models/train.py
recorded for models/arith-data/score_check.jsonl (24 responses of pairs.jsonl, both sides of 3
pairs of each subset).

    python3 tools/demo_models/check_cpp.py --rewardkit build/examples/cli/rewardkit [--models models]

Runs, in float32 on the CPU,
    rewardkit score --method bt --model arith-rm
    rewardkit score --method confidence --model arith-solver           (locator boxed, mean)
    rewardkit score --method density-ratio --strong arith-strong --weak arith-weak
on score_check.jsonl and compares each reward with reference_results.json["score_check"] (absolute
difference <= 1e-4, scaled by max(1, |reference|)), and the token counts and the confidence answer
exactly.  Exit status 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-4


def run(rewardkit: str, args: list[str], input_path: Path) -> list[dict]:
    cmd = [rewardkit, "score", *args, "--input", str(input_path), "--device", "cpu", "--dtype", "float32",
           "--threads", "1"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def scalar(v):
    if isinstance(v, list):
        assert len(v) == 1, v
        return float(v[0])
    return float(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rewardkit", required=True, help="the rewardkit program")
    ap.add_argument("--models", type=Path, default=REPO_ROOT / "models")
    args = ap.parse_args()
    m, data = args.models, args.models / "arith-data"
    ref = json.loads((data / "reference_results.json").read_text(encoding="utf-8"))["score_check"]
    inp = data / "score_check.jsonl"
    runs = {
        "bt": ["--method", "bt", "--model", str(m / "arith-rm")],
        "confidence": ["--method", "confidence", "--model", str(m / "arith-solver")],
        "density-ratio": ["--method", "density-ratio", "--strong", str(m / "arith-strong"), "--weak",
                          str(m / "arith-weak")],
    }
    bad = 0
    for method, a in runs.items():
        got = run(args.rewardkit, a, inp)
        if len(got) != len(ref):
            print(f"{method}: {len(got)} output lines for {len(ref)} samples")
            bad += 1
            continue
        worst = 0.0
        for r, g in zip(ref, got):
            if "error" in g:
                print(f"{method} {r['id']}: error {g['error']}")
                bad += 1
                continue
            if g.get("id") != r["id"]:
                print(f"{method}: id {g.get('id')!r} where {r['id']!r} was expected")
                bad += 1
            want, have = r[method], scalar(g["reward"])
            err = abs(have - want) / max(1.0, abs(want))
            worst = max(worst, err)
            problems = []
            if err > TOL:
                problems.append(f"reward {have!r} vs transformers {want!r}")
            if method != "bt":
                if g.get("prompt_tokens") != r["prompt_tokens"] or g.get("response_tokens") != r["response_tokens"]:
                    problems.append(f"tokens {g.get('prompt_tokens')}/{g.get('response_tokens')} vs "
                                    f"{r['prompt_tokens']}/{r['response_tokens']}")
            if method == "confidence":
                if g.get("answer") != r["confidence_answer"] or g.get("answer_tokens") != r["confidence_answer_tokens"]:
                    problems.append(f"answer {g.get('answer')!r} ({g.get('answer_tokens')} tokens) vs "
                                    f"{r['confidence_answer']!r} ({r['confidence_answer_tokens']} tokens)")
            if problems:
                bad += 1
                print(f"{method} {r['id']}: " + "; ".join(problems))
        print(f"{method:14s} {len(got)} samples, worst relative difference {worst:.2e}")
    if bad:
        print(f"{bad} disagreements")
        sys.exit(1)
    print("rewardkit score agrees with transformers on every sample")


if __name__ == "__main__":
    main()
