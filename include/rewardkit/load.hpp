#pragma once
// Options chosen when a checkpoint is loaded. Plain values with obvious defaults.
#include <cstdint>
#include <string>

namespace rewardkit {

struct LoadOptions {
  // "cpu", "cuda", "cuda:N", or "auto" (CUDA device 0 when one is available, else CPU).
  std::string device = "auto";
  // "float32", "bfloat16", "float16", or "auto":
  //  - on CUDA: bfloat16 (the dtype reward models are trained and released in);
  //  - on CPU: bfloat16 when the checkpoint is stored in 16-bit floats and the CPU has native
  //    bf16 matrix units (AMX or AVX512-BF16), float32 otherwise.
  // Norm statistics, softmax and log-softmax always run in float32.
  std::string dtype = "auto";
  // CPU threads for intra-op parallelism; 0 means all cores (libtorch itself starts with 1).
  int threads = 0;
  // Longest sequence accepted, in tokens; 0 means the checkpoint's max_position_embeddings.
  int64_t max_length = 0;
};

}  // namespace rewardkit
