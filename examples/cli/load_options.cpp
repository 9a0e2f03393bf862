// Options and plumbing shared by the subcommands.
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

void add_jsonl_input_options(CLI::App& cmd, std::string& input, bool& skip_errors) {
  cmd.add_option("--input", input, "JSON Lines file or a JSON array of records, gzip-compressed or not; - for stdin")->capture_default_str();
  cmd.add_flag("--skip-errors", skip_errors,
               "write an {\"error\": ...} line for a bad input line and go on (exit status 3) instead of stopping");
}

void run_with_status(CLI::App& cmd, std::function<int()> run) {
  cmd.callback([run = std::move(run)] {
    const int rc = run();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rewardkit::cli
