#!/usr/bin/env bash
# Compiles (syntax and types only) every translation unit that includes torch headers against
# a libtorch 2.x, to keep the code building for GPU users while CI builds on Debian's 1.13.
# Uses the headers of the torch wheel from PyPI (pip install torch), or TORCH_INCLUDE.
set -euo pipefail
cd "$(dirname "$0")/.."
inc=${TORCH_INCLUDE:-$(python3 -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'include'))")}
version=$(python3 -c "import torch; print(torch.__version__)" 2>/dev/null || echo "?")
echo "checking against torch $version headers in $inc"
status=0
for f in $(grep -rl --include='*.cpp' -e 'ATen' -e 'rewardkit/model.hpp' -e 'rewardkit/rewardkit.hpp' src examples tests); do
  if ! g++ -std=c++20 -fsyntax-only -Iinclude -Isrc -Iexamples -Itests -isystem "$inc" \
       -DREWARDKIT_TEST_FIXTURES='""' -DREWARDKIT_SHARED_ASSETS='""' -DREWARDKIT_CLI_PATH='""' \
       -DREWARDKIT_INSTALL_LIBDIR='""' "$f"; then
    echo "FAILED: $f"; status=1
  fi
done
[ $status -eq 0 ] && echo "all torch-including sources compile against torch $version"
exit $status
