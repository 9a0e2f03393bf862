#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failure:
#   1. the normal build (Release) and its whole test suite;
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitize);
#   3. a short run of every libFuzzer target (tests/fuzz/run.sh, clang).
# Each build directory is reused when it exists. CHECK_FUZZ_SECONDS sets the time per fuzz
# target (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-2}"

echo "== 1/3 Release build and tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== 2/3 ASan + UBSan build and tests"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Release -DREWARDKIT_SANITIZE=ON
cmake --build build-sanitize -j"$jobs"
ctest --test-dir build-sanitize --output-on-failure -j"$jobs"

echo "== 3/3 fuzz targets, ${CHECK_FUZZ_SECONDS:-8} s each"
tests/fuzz/run.sh "${CHECK_FUZZ_SECONDS:-8}" build-fuzz
