#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one for a while on a
# corpus seeded from the committed fixtures. Any crash, leak, timeout or broken property fails
# the run; libFuzzer leaves the input in <build>/artifacts/<target>/ (commit it under
# tests/fuzz/regressions/<target>/ with the fix).
#
#   tests/fuzz/run.sh [seconds per target] [build dir]       (defaults: 10, build-fuzz)
#   FUZZ_TARGETS="fuzz_records fuzz_safetensors" tests/fuzz/run.sh 600
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-10}"
build="${2:-$root/build-fuzz}"
clang_bin="${CLANG:-clang++-14}"

mkdir -p "$build"
cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$clang_bin" > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"${JOBS:-2}"

# Seed corpora: the fixture files each parser reads, plus the committed regression inputs.
corpus="$build/corpus"
seed() {  # seed <target> <files...>
  mkdir -p "$corpus/$1"
  local t="$1"; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$corpus/$t/seed-$(echo "$f" | md5sum | cut -c1-12)"; done
  cp "$root/tests/fuzz/regressions/$t/"* "$corpus/$t/" 2>/dev/null || true
}
shopt -s globstar nullglob
fixtures="$root/tests/fixtures"
# safetensors: each fixture file's header plus the first bytes of its data (whole files would
# only slow the fuzzer down; the header is what is parsed).
mkdir -p "$build/seeds-safetensors"
for f in "$fixtures"/**/*.safetensors "$root"/models/*/model.safetensors; do
  len=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
  head -c $((8 + len + 64)) "$f" > "$build/seeds-safetensors/$(echo "$f" | md5sum | cut -c1-12)"
done
seed fuzz_safetensors "$build"/seeds-safetensors/*
seed fuzz_config_json "$fixtures"/**/config.json "$root"/models/*/config.json
seed fuzz_tokenizer_json "$fixtures"/**/tokenizer.json "$root"/models/arith-rm/tokenizer.json
seed fuzz_tokenize_text "$fixtures"/chat/*.json "$root"/models/arith-data/score_check.jsonl
seed fuzz_sentencepiece_model "$fixtures"/tokenizers/tiny_bpe/tokenizer.model
# Chat templates: the templates the fixtures carry, one file each.
mkdir -p "$build/seeds-templates"
python3 - "$build/seeds-templates" "$fixtures" "$root/models" <<'PY'
import json, pathlib, sys, hashlib
out = pathlib.Path(sys.argv[1])
for root in sys.argv[2:]:
    for p in pathlib.Path(root).rglob("*"):
        texts = []
        if p.name == "tokenizer_config.json":
            t = json.loads(p.read_text()).get("chat_template")
            texts = [t] if isinstance(t, str) else [x["template"] for x in t or []]
        elif p.suffix == ".jinja":
            texts = [p.read_text()]
        elif p.name == "expected.json" and p.parent.name == "chat":
            texts = [u["template"] for u in json.loads(p.read_text())["unit"]]
        for t in texts:
            (out / hashlib.md5(t.encode()).hexdigest()[:12]).write_text(t)
PY
seed fuzz_chat_template "$build"/seeds-templates/*
seed fuzz_records "$root"/models/arith-data/*.jsonl "$root"/examples/embedding/pairs.jsonl

# Each target: -max_total_time bounds the run; a single input over -timeout seconds (60: the
# instrumentation makes the renderer about 10x slower than a release build, so a chat template
# that spends its whole work budget, twice per input, takes some 4 s here, several times that on a
# loaded machine) or -rss_limit_mb of memory is a finding.
status=0
for target in ${FUZZ_TARGETS:-fuzz_safetensors fuzz_config_json fuzz_tokenizer_json fuzz_tokenize_text fuzz_sentencepiece_model fuzz_chat_template fuzz_records}; do
  mkdir -p "$build/artifacts/$target"
  max_len=65536
  [ "$target" = fuzz_safetensors ] && max_len=262144
  [ "$target" = fuzz_tokenize_text ] && max_len=4096  # four tokenizers, twice each, per input
  echo "== $target: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/$target" "$corpus/$target" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
      -max_len=$max_len -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" \
      > "$build/$target.log" 2>&1; then
    echo "!! $target failed:"; tail -60 "$build/$target.log"; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$target.log" | tr '\n' ' '; echo
  fi
done
exit $status
