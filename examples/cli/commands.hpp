#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "rewardkit/load.hpp"

namespace rewardkit::cli {

// Adds --device, --dtype, --threads and --max-length, shared by every command that loads a model.
void add_load_options(CLI::App& cmd, LoadOptions& options);

void add_logprobs_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_info_command(CLI::App& app);

}  // namespace rewardkit::cli
