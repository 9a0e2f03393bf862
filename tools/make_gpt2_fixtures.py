#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizers/gpt2_expected.json: what Hugging Face transformers gives for a
checkpoint that has the real GPT-2 vocabulary as vocab.json + merges.txt (and no tokenizer.json),
so that the C++ tests (tests/test_gpt2_tokenizer.cpp) can compare exactly without Python.

    python3 tools/make_gpt2_fixtures.py [--assets DIR] [--texts PATH] [--out PATH]

Needs the Python packages `transformers` (5.x) and `tokenizers`; the fixture records their
versions. Reads <assets>/tokenizers/gpt2/encoder.json and vocab.bpe (default assets:
../shared/assets beside the checkout; see its PROVENANCE.md) and links them, as vocab.json and
merges.txt, into temporary directories; they are never copied into the repo (the fixture records
their sha256, and the script refuses files with other sums). The texts are NOT repeated here: they
are the "texts" list of tests/fixtures/tokenizers/tokenizer_json_expected.json (written by
tools/make_tokenizer_json_fixtures.py); the fixture records their count and sha256, so a test can
tell when that list changed and this fixture must be rewritten.

Variants (`variants.<name>`), each a temporary directory with vocab.json + merges.txt and
  default             nothing else; loaded with GPT2TokenizerFast.from_pretrained (AutoTokenizer
                      cannot pick a class without a config file)
  add_prefix_space    tokenizer_config.json {"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": true}
  bos_eos_added_tokens tokenizer_config.json with tokenizer_class GPT2TokenizerFast, add_bos_token and
                      add_eos_token true, pad_token "<pad>", plus a legacy added_tokens.json (with
                      "<|endoftext|>", "<pad>" and "<|user|>"); `extra_texts` are tried after `texts`
the last two loaded with AutoTokenizer.from_pretrained. `cases[i]` belongs to texts[i] (then
extra_texts) and holds
  ids                  tok(text)["input_ids"]                      (add_special_tokens=True)
  ids_no_special       tok(text, add_special_tokens=False)["input_ids"]
  decoded              tok.decode(ids_no_special, skip_special_tokens=False)
  decoded_skip_special tok.decode(ids, skip_special_tokens=True)
plus vocab_size (len(tok)), bos/eos/pad/unk ids, some id -> token pairs, and `pipeline`: the
backend's pre_tokenizer, decoder, post_processor and model settings (tokenizers' serialization
without vocab and merges), which rewardkit's gpt2_tokenizer_json() must reproduce.

What it checks while writing (the script fails if any does not hold): the asset sha256 sums;
every id list is a list of ints; for `default`, AutoTokenizer with tokenizer_config.json
{"tokenizer_class": "GPT2TokenizerFast"} and with only a config.json {"model_type": "gpt2"} gives
the same ids and decodes as GPT2TokenizerFast; the default variant's backend, serialized, equals a
tokenizers.Tokenizer built from that serialization (ids of every text). Deterministic: same inputs
give the same file.
"""
import argparse
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer, GPT2TokenizerFast  # noqa: E402

ASSET_SHA256 = {
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}

VARIANTS = {
    "default": {"files": {}, "loader": "GPT2TokenizerFast"},
    "add_prefix_space": {
        "files": {"tokenizer_config.json": {"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": True}},
        "loader": "AutoTokenizer",
    },
    "bos_eos_added_tokens": {
        "files": {
            "tokenizer_config.json": {"tokenizer_class": "GPT2TokenizerFast", "add_bos_token": True,
                                      "add_eos_token": True, "pad_token": "<pad>"},
            # ids as an old checkpoint would write them; transformers re-derives them
            "added_tokens.json": {"<|endoftext|>": 50256, "<pad>": 50257, "<|user|>": 50258},
        },
        "loader": "AutoTokenizer",
        "extra_texts": ["<|user|>", "Hi<|user|> there<pad><|endoftext|>x", " <|user|>\n<|endoftext|> ",
                        "<|user|><|user|>", "<|use", "<pad>"],
    },
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def int_list(x, what):
    if hasattr(x, "keys") and "input_ids" in x:
        x = x["input_ids"]
    x = list(x)
    if not all(type(i) is int for i in x):
        raise SystemExit(f"{what}: not a flat list of ints: {x[:10]!r}")
    return x


def make_dir(root, name, assets_gpt2, files):
    d = os.path.join(root, name)
    os.makedirs(d)
    os.symlink(os.path.join(assets_gpt2, "encoder.json"), os.path.join(d, "vocab.json"))
    os.symlink(os.path.join(assets_gpt2, "vocab.bpe"), os.path.join(d, "merges.txt"))
    for fname, content in files.items():
        with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
    return d


def cases_of(tok, texts, name):
    out = []
    for i, text in enumerate(texts):
        ids = int_list(tok(text, add_special_tokens=True)["input_ids"], f"{name} ids #{i}")
        ns = int_list(tok(text, add_special_tokens=False)["input_ids"], f"{name} ids_no_special #{i}")
        out.append({
            "ids": ids,
            "ids_no_special": ns,
            "decoded": tok.decode(ns, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return out


def pipeline_of(tok):
    j = json.loads(tok.backend_tokenizer.to_str())
    model = {k: v for k, v in j["model"].items() if k not in ("vocab", "merges")}
    return {"normalizer": j["normalizer"], "pre_tokenizer": j["pre_tokenizer"], "decoder": j["decoder"],
            "post_processor": j["post_processor"], "model": model, "added_tokens": j["added_tokens"]}


def dump(data):
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    # Keep id lists on one line: smaller file, readable diffs (house style).
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                  lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--assets", default=os.path.join(root, "..", "shared", "assets"))
    ap.add_argument("--texts", default=os.path.join(root, "tests", "fixtures", "tokenizers", "tokenizer_json_expected.json"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "tokenizers", "gpt2_expected.json"))
    args = ap.parse_args()

    gpt2 = os.path.join(args.assets, "tokenizers", "gpt2")
    sums = {}
    for fname, want in ASSET_SHA256.items():
        p = os.path.join(gpt2, fname)
        if not os.path.isfile(p):
            raise SystemExit(f"missing {p} (see the assets' PROVENANCE.md)")
        sums[fname] = sha256(p)
        if sums[fname] != want:
            raise SystemExit(f"{p}: sha256 {sums[fname]}, expected {want}")

    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)["texts"]
    texts_sha = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode("utf-8")).hexdigest()

    data = {
        "generator": "tools/make_gpt2_fixtures.py",
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "python": platform.python_version()},
        "assets": {"vocab.json": {"file": "tokenizers/gpt2/encoder.json", "sha256": sums["encoder.json"]},
                   "merges.txt": {"file": "tokenizers/gpt2/vocab.bpe", "sha256": sums["vocab.bpe"]}},
        "texts_from": "tests/fixtures/tokenizers/tokenizer_json_expected.json: texts",
        "texts_count": len(texts),
        "texts_sha256": texts_sha,
        "variants": {},
    }
    with tempfile.TemporaryDirectory(prefix="rewardkit-gpt2-") as tmp:
        for name, v in VARIANTS.items():
            d = make_dir(tmp, name, gpt2, v["files"])
            loader = GPT2TokenizerFast if v["loader"] == "GPT2TokenizerFast" else AutoTokenizer
            tok = loader.from_pretrained(d)
            all_texts = texts + v.get("extra_texts", [])
            cases = cases_of(tok, all_texts, name)
            size = len(tok)
            pick = [0, 1, 2, 220, 198, 15496, 50255, 50256] + list(range(50257, size))
            entry = {
                "files": v["files"],
                "loaded_with": f"{v['loader']}.from_pretrained",
                "transformers_class": type(tok).__name__,
                "pipeline": pipeline_of(tok),
                "vocab_size": size,
                "bos_id": tok.bos_token_id,
                "eos_id": tok.eos_token_id,
                "pad_id": tok.pad_token_id,
                "unk_id": tok.unk_token_id,
                "id_to_token": [{"id": i, "token": tok.convert_ids_to_tokens(i)} for i in pick],
                "extra_texts": v.get("extra_texts", []),
                "cases": cases,
            }
            data["variants"][name] = entry

            if name == "default":
                # The same through AutoTokenizer, by tokenizer_class and by config.json's model_type.
                for label, files in (("tokenizer_class", {"tokenizer_config.json": {"tokenizer_class": "GPT2TokenizerFast"}}),
                                     ("model_type", {"config.json": {"model_type": "gpt2"}})):
                    other = AutoTokenizer.from_pretrained(make_dir(tmp, "check_" + label, gpt2, files))
                    if cases_of(other, all_texts, label) != cases or len(other) != size:
                        raise SystemExit(f"AutoTokenizer via {label} differs from GPT2TokenizerFast")
                # The backend as serialized runs the same in plain tokenizers.
                raw = tokenizers.Tokenizer.from_str(tok.backend_tokenizer.to_str())
                for i, text in enumerate(all_texts):
                    if raw.encode(text, add_special_tokens=False).ids != cases[i]["ids_no_special"]:
                        raise SystemExit(f"serialized backend differs on text {i}")
            adds = [c["ids"] != c["ids_no_special"] for c in cases]
            print(f"{name}: {entry['transformers_class']}, vocab {size}, bos/eos/pad/unk "
                  f"{entry['bos_id']}/{entry['eos_id']}/{entry['pad_id']}/{entry['unk_id']}, "
                  f"{len(cases)} texts, special tokens added to {sum(adds)}; "
                  f"pre_tokenizer {entry['pipeline']['pre_tokenizer']}", file=sys.stderr)

    for fname, want in ASSET_SHA256.items():
        if sha256(os.path.join(gpt2, fname)) != want:
            raise SystemExit(f"{fname} changed while reading it")
    data["notes"] = [
        "default: no tokenizer_config.json; GPT2Tokenizer's defaults: add_prefix_space false, add_bos_token false, "
        "bos = eos = unk = <|endoftext|> (50256), no pad; AutoTokenizer needs a tokenizer_class or config.json "
        "model_type to pick the class, and then gives the same.",
        "GPT2Tokenizer builds no post-processor; TokenizersBackend.update_post_processor makes TemplateProcessing "
        "'[bos] $A [eos]' from add_bos_token / add_eos_token.",
        "added_tokens.json (read because tokenizer_config.json has no added_tokens_decoder): ids are re-derived "
        "(model id when in the vocabulary, else the next free one in index order); tokens that are not named "
        "special tokens are added as normalized, non-special.",
    ]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dump(data))
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
