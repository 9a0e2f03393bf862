#include "cli/commands.hpp"

namespace rewardkit::cli {

void add_load_options(CLI::App& cmd, LoadOptions& o) {
  cmd.add_option("--device", o.device, "cpu, cuda, cuda:N or auto (CUDA when available)")
      ->capture_default_str();
  cmd.add_option("--dtype", o.dtype,
                 "float32, bfloat16, float16 or auto (CUDA: bfloat16; CPU: bfloat16 for 16-bit checkpoints "
                 "on CPUs with native bf16, else float32)")
      ->capture_default_str();
  cmd.add_option("--threads", o.threads, "CPU threads, 0 for all cores")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-length", o.max_length, "longest sequence in tokens, 0 for the model's own limit")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

}  // namespace rewardkit::cli
