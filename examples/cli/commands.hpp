#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "rewardkit/load.hpp"

namespace rewardkit::cli {

// Adds --device, --dtype, --threads and --max-length, shared by every command that loads a model.
void add_load_options(CLI::App& cmd, LoadOptions& options);

// --input FILE (default stdin) and --skip-errors, shared by every command that reads JSONL.
void add_jsonl_input_options(CLI::App& cmd, std::string& input, bool& skip_errors);

// Runs `run` when the subcommand is chosen; a non-zero result becomes the exit status.
void run_with_status(CLI::App& cmd, std::function<int()> run);

void add_logprobs_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_annotate_command(CLI::App& app);
void add_bench_command(CLI::App& app);

}  // namespace rewardkit::cli
