// The `rewardkit` command line. Each subcommand lives in its own file and registers itself
// here.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "rewardkit/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rewardkit: score text with reward models"};
  app.require_subcommand(1);
  rewardkit::cli::add_logprobs_command(app);
  rewardkit::cli::add_tokenize_command(app);
  rewardkit::cli::add_score_command(app);
  rewardkit::cli::add_info_command(app);
  rewardkit::cli::add_eval_command(app);
  rewardkit::cli::add_annotate_command(app);
  rewardkit::cli::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const rewardkit::Error& e) {
    std::cerr << "rewardkit: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rewardkit: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
