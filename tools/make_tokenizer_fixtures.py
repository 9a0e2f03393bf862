#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizers/sentencepiece_expected.json: what Hugging Face transformers
gives for sentencepiece tokenizer.model checkpoints, for tests/test_sentencepiece.cpp.

    python3 tools/make_tokenizer_fixtures.py [--assets ../shared/assets] [--out PATH] [--no-llmbar]

Needs the Python packages `transformers` (5.x; the fixture records the version), `tokenizers`,
`sentencepiece` and `protobuf`. Reads the real models in <assets>/tokenizers/{llama2,mistral-v1,
mistral-v3}/tokenizer.model and <assets>/stories260K/tokenizer.model (never copied into the repo).

Also trains tests/fixtures/tokenizers/tiny_bpe/tokenizer.model (our own 420-piece model, so the
C++ suite has a real model without the assets) when it is missing or with --retrain-tiny, and
records `variants` (config-file variants of the Llama 2 checkpoint) and `json_variants` (a
tokenizer.json beside the tokenizer.model).

What it checks while writing (the script fails if any does not hold):
- HF `LlamaTokenizer` == the emulation rewardkit implements (added tokens split first, HF's
  Metaspace step, then sentencepiece on a model proto rewritten to identity normalization and
  merge priority by piece id), on every fixture text and, unless --no-llmbar, on the 1,257
  LLMBar texts of <assets>/datasets/llmbar for every model, and for Llama 2 / Mistral v1 with a
  hub-like tokenizer.json (score-ordered merges) beside the model.
- HF == plain Python sentencepiece (`sp.encode`) on the texts where they should agree (no
  leading/doubled spaces, no special-token strings); where they differ it is recorded per case
  (`sp_native_ids`, `sp_agrees`) and summarized in `notes`.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import sentencepiece as spm  # noqa: E402
import transformers  # noqa: E402
from sentencepiece import sentencepiece_model_pb2 as sp_pb2  # noqa: E402
from transformers import AutoTokenizer, LlamaTokenizer  # noqa: E402

MODELS = {
    "llama2": "tokenizers/llama2/tokenizer.model",
    "mistral-v1": "tokenizers/mistral-v1/tokenizer.model",
    "mistral-v3": "tokenizers/mistral-v3/tokenizer.model",
    "stories260K": "stories260K/tokenizer.model",
    # Our own tiny BPE model, committed, so that the suite has a real model without the assets.
    # Trained by this script (--retrain-tiny) with a normalization rule (U+FB01 -> "fi",
    # U+FF21 -> "A"), remove_extra_whitespaces, user-defined and control symbols: all things HF
    # ignores or treats differently from sentencepiece.
    "tiny_bpe": "fixture:tokenizers/tiny_bpe/tokenizer.model",
}

# The configs of the real checkpoints (Llama-2-7b-hf, Mistral-7B-v0.1/-Instruct-v0.3 and
# stories260K's own) say add_bos_token true / add_eos_token false; the tests recreate this file.
BASE_CONFIG = {"tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "add_eos_token": False}

LONG_PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog. Reward models assign a scalar score to a "
    "response given a prompt; preference datasets pair a chosen response with a rejected one, "
    "and a Bradley-Terry model turns the score difference into a probability. In 2024, several "
    "open models (7B, 8B and 70B parameters) reached 90%+ accuracy on RewardBench's Chat "
    "section, while the Chat Hard and Reasoning sections remained harder: subtle instruction "
    "following, code correctness, and math proofs. Tokenization matters here: a single extra "
    "space, a missing BOS token, or a different treatment of \"\\n\\n\" changes every "
    "log-probability after it. Therefore we check byte-for-byte parity with the reference "
    "implementation—including em dashes, naïve café accents, and emoji 🎉—before trusting any "
    "number."
)

TEXTS = [
    "I believe the meaning of life is",
    "Hello world",
    " Hello world",
    "  two leading spaces",
    "trailing space ",
    "trailing spaces   ",
    "multiple   spaces  between    words",
    "a  b",
    "line one\nline two\n\nline four",
    "\n starts with a newline",
    "tabs\there\t\tand\t there",
    "digits 123 4567 89012 3.14159 1,000,000",
    "Punctuation: hello, world! (really?) [yes] {no} <maybe> \"quoted\" 'single' — dash… ellipsis",
    "Accented: café naïve résumé Ærøskøbing Straße crème brûlée",
    "CJK: 日本語のテキスト 中文文本 한국어",
    "Emoji: 🤗🚀 👍🏽 family 👨‍👩‍👧",
    "Byte fallback: \u0000 nul, \u0007 bell, \U0001F9EC dna, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ",
    "",
    " ",
    "   ",
    "\n",
    LONG_PARAGRAPH,
    "<s>",
    "Question: <s> what </s> is <unk>?",
    "<s>Hello",
    "<0x41> is a byte piece written out",
    "\u2581 literal metaspace \u2581\u2581x",
    "Code:\n```python\ndef f(x):\n    return x ** 2\n```",
    "Mixed: Ελληνικά Русский العربية עברית हिन्दी",
    "[INST] What is 2+2? [/INST] 4</s>[INST]again[/INST]",
    "[REFERENCE_DOC_3] cited doc",
    "<|user|>hi there<|assistant|> hello<ctrl>",
    "\ufb01ne \uff21 fullwidth",
]

# Variants of the llama2 checkpoint's config files: each exercises a part of the config reading.
ADDED_TOKENS_DECODER = {
    "0": {"content": "<unk>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
    "1": {"content": "<s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
    "2": {"content": "</s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
    "32000": {"content": "<pad>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
    "32001": {"content": "<|im_end|>", "lstrip": True, "normalized": False, "rstrip": True, "single_word": False, "special": True},
    "32002": {"content": "<tool>", "lstrip": False, "normalized": True, "rstrip": False, "single_word": False, "special": False},
    "32003": {"content": "<word>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": True, "special": False},
}
VARIANTS = {
    "no_add_bos_key": {"files": {"tokenizer_config.json": {"tokenizer_class": "LlamaTokenizer"}}},
    "no_config_files": {"files": {}},
    "legacy": {"files": {"tokenizer_config.json": dict(BASE_CONFIG, legacy=True)}},
    "no_prefix_space_with_eos": {
        "files": {"tokenizer_config.json": dict(BASE_CONFIG, add_prefix_space=False, add_eos_token=True)}
    },
    "added_tokens": {
        "files": {
            "tokenizer_config.json": dict(
                BASE_CONFIG,
                added_tokens_decoder=ADDED_TOKENS_DECODER,
                bos_token="<s>",
                eos_token="<|im_end|>",
                pad_token="<pad>",
                unk_token="<unk>",
            )
        }
    },
    "special_tokens_map": {
        "files": {
            "tokenizer_config.json": dict(BASE_CONFIG, add_eos_token=True, pad_token="<pad>"),
            "special_tokens_map.json": {
                "eos_token": {"content": "<eot>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
                "pad_token": "<unk>",
                "additional_special_tokens": ["<x1>"],
            },
        }
    },
    "null_bos": {"files": {"tokenizer_config.json": dict(BASE_CONFIG, bos_token=None)}},
}
VARIANT_TEXTS = [
    "Hello world",
    " Hi",
    "",
    "Hi<s>there",
    "Hi <s> there",
    "Hi <|im_end|> there",
    "Hi<pad>there",
    "a <tool> b",
    "a <word> b",
    "a<word>b",
    "-<word>-",
    "é<word>",
    "<eot> and <x1>",
    "multiple   spaces",
]


def load_proto(path):
    m = sp_pb2.ModelProto()
    with open(path, "rb") as f:
        m.ParseFromString(f.read())
    return m


def hf_mode_processor(path, ranks=None):
    """The rewrite RK_SPM_MODE_HF_BPE (ranks None) or rk_spm_load_ranked does in the shim, done
    with the Python protobuf."""
    m = load_proto(path)
    ns = m.normalizer_spec
    ns.name = "identity"
    ns.precompiled_charsmap = b""
    ns.add_dummy_prefix = False
    ns.remove_extra_whitespaces = False
    ns.escape_whitespaces = True
    m.trainer_spec.model_type = sp_pb2.TrainerSpec.BPE
    for i, p in enumerate(m.pieces):
        if p.type in (p.NORMAL, p.UNUSED, p.USER_DEFINED):
            p.type = p.NORMAL
            if ranks is None:
                p.score = -float(i)
            elif ranks[i] >= 0:
                p.score = -float(ranks[i])
            elif len(p.piece) <= 1:
                p.score = -float(len(ranks) + i)
            else:
                p.type = p.CONTROL  # no merge forms it: unmergeable for sentencepiece
    return spm.SentencePieceProcessor(model_proto=m.SerializeToString()), m


def merge_ranks(tokenizer_json):
    vocab = tokenizer_json["model"]["vocab"]
    ranks = [-1] * len(vocab)
    for r, merge in enumerate(tokenizer_json["model"]["merges"]):
        a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
        i = vocab.get(a + b)
        if i is not None and ranks[i] < 0:
            ranks[i] = r
    return ranks


class Emulation:
    """rewardkit's encode for the default config (non-legacy, add_prefix_space)."""

    def __init__(self, path, hf, tokenizer_json=None):
        ranks = merge_ranks(tokenizer_json) if tokenizer_json is not None else None
        self.sp, proto = hf_mode_processor(path, ranks)
        self.added = {str(t): i for i, t in hf.added_tokens_decoder.items()}
        for i, p in enumerate(proto.pieces):
            if tokenizer_json is None and p.type in (p.CONTROL, p.USER_DEFINED):
                assert self.added.get(p.piece) == i, (p.piece, i)
        alternatives = sorted(self.added, key=len, reverse=True)  # longest first: leftmost-longest
        self.pattern = re.compile("|".join(re.escape(a) for a in alternatives))

    def encode(self, text):
        chunks, start = [], 0
        for m in self.pattern.finditer(text):
            if start < m.start():
                chunks.append((start, text[start:m.start()]))
            chunks.append((None, m.group(0)))
            start = m.end()
        if start < len(text):
            chunks.append((start, text[start:]))
        ids = []
        for offset, chunk in chunks:
            if offset is None:
                ids.append(self.added[chunk])
                continue
            chunk = chunk.replace(" ", "\u2581")
            if offset == 0 and not chunk.startswith("\u2581"):
                chunk = "\u2581" + chunk
            ids += self.sp.encode(chunk)
        return ids


def should_agree_with_sentencepiece(text, specials, removes_extra_whitespaces, has_charsmap=False):
    """Plain sentencepiece adds its dummy prefix even before a space, ranks merges by score,
    knows no added tokens, and may collapse whitespace (stories260K's normalizer does; HF
    ignores the normalizer): it agrees with HF only away from those."""
    if text == "" or text.startswith((" ", "\u2581")) or "  " in text:
        return False
    if removes_extra_whitespaces and text.endswith(" "):
        return False
    if has_charsmap and not text.isascii():
        return False
    return not any(s in text for s in specials)


def make_dir(tmp, name, model_path, files):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    os.symlink(os.path.abspath(model_path), os.path.join(d, "tokenizer.model"))
    for fname, content in files.items():
        with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
    return d


def cases_for(hf, texts, sp=None, emu=None, specials=(), removes_extra_whitespaces=False, has_charsmap=False):
    cases = []
    for text in texts:
        with_special = hf(text)["input_ids"]
        without = hf.encode(text, add_special_tokens=False)
        case = {
            "text": text,
            "ids": with_special,
            "ids_no_special": without,
            "decoded": hf.decode(with_special),
            "decoded_skip_special": hf.decode(with_special, skip_special_tokens=True),
            "decoded_no_special": hf.decode(without),
        }
        if emu is not None:
            emulated = emu.encode(text)
            if emulated != without:
                raise SystemExit(f"emulation differs from HF for {text!r}: {emulated} vs {without}")
        if sp is not None:
            native = sp.encode(text)
            case["sp_native_ids"] = native
            case["sp_agrees"] = native == without
            if should_agree_with_sentencepiece(text, specials, removes_extra_whitespaces, has_charsmap) and native != without:
                raise SystemExit(f"sentencepiece and HF should agree on {text!r}: {native} vs {without}")
        cases.append(case)
    return cases


def decode_cases(hf, vocab_size):
    """Crafted id lists for decode: byte runs, special tokens in the middle, out-of-range ids."""
    pid = hf.convert_tokens_to_ids
    byte = lambda b: pid(f"<0x{b:02X}>")  # noqa: E731
    word = [i for i in hf.encode("the cat sat", add_special_tokens=False)]
    lists = [
        [hf.bos_token_id] + word,
        word + [hf.eos_token_id],
        [hf.eos_token_id, hf.bos_token_id] + word,
        word[:1] + [hf.bos_token_id] + word[1:],
        [byte(0xF0), byte(0x9F)],                       # incomplete UTF-8: one U+FFFD per byte
        [byte(0x41), byte(0xF0)],                       # one invalid byte spoils the whole run
        [byte(0xF0), byte(0x9F), byte(0xA4), byte(0x97)],  # a whole emoji from bytes
        [byte(0xE2), byte(0x96), byte(0x81)] + word,    # U+2581 from bytes is not turned into a space
        [byte(0xF0)] + word + [byte(0x9F), byte(0xA4), byte(0x97)],
        [pid("\u2581")],
        [pid("\u2581"), pid("\u2581")] + word,
        [hf.bos_token_id, pid("\u2581")] + word,
        [hf.unk_token_id] + word,
        word + [vocab_size + 5],                        # beyond the vocabulary: dropped
        [],
    ]
    lists = [[i for i in ids if i is not None] for ids in lists]  # a variant may have no BOS
    return [
        {
            "ids": ids,
            "decoded": hf.decode(ids),
            "decoded_skip_special": hf.decode(ids, skip_special_tokens=True),
        }
        for ids in lists
    ]


def train_tiny_model(path):
    import io

    corpus = [t for t in TEXTS + VARIANT_TEXTS if t.strip()] + LONG_PARAGRAPH.split(". ")
    rules = path + ".rules.tsv"
    with open(rules, "w", encoding="utf-8") as f:
        f.write("FB01\t66 69\nFF21\t41\n")
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus * 3), model_writer=model, vocab_size=420, model_type="bpe",
            byte_fallback=True, user_defined_symbols=["<|user|>", "<|assistant|>"], control_symbols=["<ctrl>"],
            normalization_rule_tsv=rules, remove_extra_whitespaces=True, hard_vocab_limit=False,
            num_threads=1, character_coverage=0.98, minloglevel=2)
    finally:
        os.remove(rules)
    with open(path, "wb") as f:
        f.write(model.getvalue())


def generic_tokenizer_json(model_path, tmp, name):
    """The tokenizer.json transformers' generic converter writes for a tokenizer.model: merges
    ordered by piece score, as in the hub's Llama 2 / Mistral tokenizer.json files."""
    d = make_dir(tmp, "generic-" + name, model_path, {})
    generic = AutoTokenizer.from_pretrained(d)
    assert type(generic).__name__ == "TokenizersBackend", type(generic)
    j = json.loads(generic._tokenizer.to_str())
    # The hub files' post-processor: BOS before the text.
    j["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
    }
    return j


def json_variant_cases(name, model_path, tokenizer_json, config, tmp, texts, bench=()):
    d = make_dir(tmp, "json-" + name, model_path,
                 {"tokenizer.json": tokenizer_json, "tokenizer_config.json": config})
    hf = AutoTokenizer.from_pretrained(d)
    assert type(hf) is LlamaTokenizer, type(hf)
    emu = Emulation(model_path, hf, tokenizer_json)
    cases = cases_for(hf, texts, emu=emu)
    for s in bench:
        if emu.encode(s) != hf.encode(s, add_special_tokens=False):
            raise SystemExit(f"{name}: emulation differs from HF on an LLMBar text: {s[:80]!r}")
    return hf, cases


def llmbar_texts(assets):
    texts = []
    d = os.path.join(assets, "datasets", "llmbar")
    if not os.path.isdir(d):
        return texts
    for name in sorted(os.listdir(d)):
        if name.endswith(".json"):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                for row in json.load(f):
                    texts += [row["input"], row["output_1"], row["output_2"]]
    return texts


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", default=os.path.join(here, "..", "..", "shared", "assets"))
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "tokenizers", "sentencepiece_expected.json"))
    parser.add_argument("--no-llmbar", action="store_true", help="skip the long parity check on LLMBar texts")
    parser.add_argument("--retrain-tiny", action="store_true", help="train tests/fixtures/tokenizers/tiny_bpe again")
    args = parser.parse_args()
    fixtures = os.path.join(here, "..", "tests", "fixtures")
    tiny = os.path.join(fixtures, "tokenizers", "tiny_bpe", "tokenizer.model")
    if args.retrain_tiny or not os.path.isfile(tiny):
        os.makedirs(os.path.dirname(tiny), exist_ok=True)
        train_tiny_model(tiny)

    out = {
        "generator": "tools/make_tokenizer_fixtures.py",
        "transformers_version": transformers.__version__,
        "sentencepiece_version": spm.__version__,
        "base_config": BASE_CONFIG,
        "notes": [],
        "models": {},
        "variants": {},
    }
    bench = llmbar_texts(args.assets) if not args.no_llmbar else []
    tmp = tempfile.mkdtemp(prefix="rk-tok-fixtures-")
    try:
        for name, rel in MODELS.items():
            if rel.startswith("fixture:"):
                path = os.path.join(fixtures, rel[len("fixture:"):])
            else:
                path = os.path.join(args.assets, rel)
            if not os.path.isfile(path):
                raise SystemExit(f"missing {path}")
            config = dict(BASE_CONFIG)
            own = os.path.join(os.path.dirname(path), "tokenizer_config.json")
            if os.path.isfile(own):  # stories260K ships its own
                with open(own, encoding="utf-8") as f:
                    config = json.load(f)
            d = make_dir(tmp, name, path, {"tokenizer_config.json": config})
            hf = AutoTokenizer.from_pretrained(d)
            assert type(hf) is LlamaTokenizer, type(hf)
            sp = spm.SentencePieceProcessor(model_file=path)
            emu = Emulation(path, hf)
            specials = list(emu.added)
            proto = load_proto(path)
            cases = cases_for(hf, TEXTS, sp=sp, emu=emu, specials=specials,
                              removes_extra_whitespaces=proto.normalizer_spec.remove_extra_whitespaces,
                              has_charsmap=bool(proto.normalizer_spec.precompiled_charsmap))
            for s in bench:  # emulation parity on a real corpus (raises on the first mismatch)
                got, want = emu.encode(s), hf.encode(s, add_special_tokens=False)
                if got != want:
                    raise SystemExit(f"{name}: emulation differs from HF on an LLMBar text: {s[:80]!r}")
            native_diff = sum(1 for s in bench if sp.encode(s) != hf.encode(s, add_special_tokens=False))
            out["models"][name] = {
                "asset": rel,
                "tokenizer_config": config,
                "piece_size": sp.get_piece_size(),
                "vocab_size": len(hf),
                "bos_id": hf.bos_token_id,
                "eos_id": hf.eos_token_id,
                "pad_id": hf.pad_token_id,
                "unk_id": hf.unk_token_id,
                "special_ids": sorted(hf.all_special_ids),
                "sample_tokens": {str(i): hf.convert_ids_to_tokens(i) for i in sorted({0, 1, 2, 3, 13, 259, 306, 29871, sp.get_piece_size() - 1} & set(range(sp.get_piece_size())))},
                "normalizer": {
                    "name": proto.normalizer_spec.name,
                    "add_dummy_prefix": proto.normalizer_spec.add_dummy_prefix,
                    "remove_extra_whitespaces": proto.normalizer_spec.remove_extra_whitespaces,
                },
                "cases": cases,
                "decode_cases": decode_cases(hf, len(hf)),
                "llmbar_parity": {"texts": len(bench), "emulation_mismatches": 0, "sp_native_differs": native_diff},
            }
            differ = [c["text"] for c in cases if not c["sp_agrees"]]
            out["notes"].append(
                f"{name}: HF and plain sentencepiece differ on {len(differ)} of {len(cases)} fixture texts"
                f" ({native_diff} of {len(bench)} LLMBar texts): {differ}"
            )
            print(f"{name}: {len(cases)} cases, sentencepiece differs on {len(differ)}; "
                  f"LLMBar {len(bench)} texts, emulation exact, native differs on {native_diff}", file=sys.stderr)

        llama = os.path.join(args.assets, MODELS["llama2"])
        for vname, v in VARIANTS.items():
            d = make_dir(tmp, "variant-" + vname, llama, v["files"])
            hf = LlamaTokenizer.from_pretrained(d)
            out["variants"][vname] = {
                "model": "llama2",
                "files": v["files"],
                "vocab_size": len(hf),
                "bos_id": hf.bos_token_id,
                "eos_id": hf.eos_token_id,
                "pad_id": hf.pad_token_id,
                "unk_id": hf.unk_token_id,
                "add_bos_token": hf.add_bos_token,
                "add_eos_token": hf.add_eos_token,
                "added_tokens": {str(i): str(t) for i, t in hf.added_tokens_decoder.items() if i >= 32000},
                "cases": cases_for(hf, VARIANT_TEXTS),
                "decode_cases": decode_cases(hf, len(hf)),
            }

        # tokenizer.json beside tokenizer.model. Real files (hub-like, score-ordered merges) for
        # Llama 2 and Mistral v1: checked here against the emulation, not stored (derived from the
        # assets). The committed case: tiny_bpe with a tokenizer.json whose merges are deliberately
        # reordered (merges making a piece with U+2581 last), an extra added token, and
        # add_bos_token false in the config, which HF ignores when tokenizer.json is present.
        out["json_variants"] = {}
        for name in ["llama2", "mistral-v1"]:
            path = os.path.join(args.assets, MODELS[name])
            j = generic_tokenizer_json(path, tmp, name)
            hf, cases = json_variant_cases(name, path, j, BASE_CONFIG, tmp, TEXTS, bench)
            changed = sum(1 for c, base in zip(cases, out["models"][name]["cases"]) if c["ids"] != base["ids"])
            out["notes"].append(
                f"{name} with a hub-like tokenizer.json (score-ordered merges): {changed} of {len(cases)} fixture "
                f"texts get other ids than from tokenizer.model alone; emulation exact on them and {len(bench)} LLMBar texts")
        tiny_path = os.path.join(fixtures, MODELS["tiny_bpe"][len("fixture:"):])
        j = generic_tokenizer_json(tiny_path, tmp, "tiny_bpe")
        merges = j["model"]["merges"]
        key = lambda m: "\u2581" in "".join(m if isinstance(m, list) else m.split(" "))  # noqa: E731
        j["model"]["merges"] = [m for m in merges if not key(m)] + [m for m in merges if key(m)]
        j["added_tokens"].append({"id": len(j["model"]["vocab"]), "content": "<extra>", "single_word": False,
                                  "lstrip": False, "rstrip": False, "normalized": False, "special": True})
        config = {"tokenizer_class": "LlamaTokenizer", "add_bos_token": False, "add_eos_token": True}
        hf, cases = json_variant_cases("tiny_bpe", tiny_path, j, config, tmp, TEXTS + ["a<extra>b <extra>"])
        out["json_variants"]["tiny_bpe_json"] = {
            "model": "tiny_bpe",
            "files": {"tokenizer.json": j, "tokenizer_config.json": config},
            "vocab_size": len(hf),
            "bos_id": hf.bos_token_id,
            "eos_id": hf.eos_token_id,
            "pad_id": hf.pad_token_id,
            "cases": cases,
            "decode_cases": decode_cases(hf, len(hf)),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    out["notes"] += [
        "transformers 5.x LlamaTokenizer is a tokenizers BPE converted from tokenizer.model: merges ranked by "
        "the merged piece's id (sentencepiece ranks by score; Llama 2's '\u2581\u2581' id 259 has score -1e9, "
        "so 'a  b' differs), no normalizer (the model's add_dummy_prefix/remove_extra_whitespaces are "
        "ignored), Metaspace prepend_scheme 'first' (legacy false, the default) that does not prepend "
        "before a leading space, control/user-defined pieces and named special tokens split out first.",
        "add_bos_token defaults to false when tokenizer_config.json lacks it (variant no_add_bos_key).",
        "additional_special_tokens in special_tokens_map.json is ignored by LlamaTokenizer "
        "(variant special_tokens_map: '<x1>' is not split); eos '<eot>' gets the new id 32000.",
        "decode drops ids beyond the vocabulary; a run of byte tokens that is not valid UTF-8 becomes "
        "one U+FFFD per byte.",
    ]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    # Keep id lists on one line: smaller file, readable diffs.
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
