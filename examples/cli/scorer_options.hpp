#pragma once
// The reward-method options shared by `score`, `eval` and `annotate`: --method and the models
// and settings each method takes, checked together (a flag that does not belong to the method is
// an error), and the Scorer they make.
#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

#include "rewardkit/load.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit::cli {

struct ScorerArgs {
  std::string method;
  std::string model, strong, weak, policy, reference, ref_free;
  double beta = 1.0;
  bool mean = false;
  bool token_logprobs = false;  // `score` only: an output option, checked with the method's flags
  std::string locator = "boxed";
  std::string aggregation = "mean";
  float no_answer_reward = 0.0f;
  std::string criteria;
  std::string chat_vars = "{}";
  int64_t batch_tokens = ScoringOptions{}.max_batch_tokens;
  bool share_prompts = ScoringOptions{}.share_prompts;
  bool truncate = false;
  LoadOptions load;
  // The method-specific options, by flag name, to tell which were given.
  std::map<std::string, CLI::Option*> given;
};

// Registers --method, the models, the method options, --chat-vars, --batch-tokens, --truncate
// and the load options. `method_required`: false lets a command run without a method
// (`annotate` on rewards already in its input).
void add_scorer_options(CLI::App& cmd, ScorerArgs& args, bool with_token_logprobs, bool method_required = true);

// Throws CLI::ValidationError for flags the method does not take or models it lacks.
void validate_scorer_args(const ScorerArgs& args);

// Loads the models; call after validate_scorer_args.
std::unique_ptr<Scorer> make_scorer(const ScorerArgs& args);

// The models a run used, for reports: {"model": DIR} or {"strong": ..., "weak": ...}, ...
std::map<std::string, std::string> scorer_models(const ScorerArgs& args);

}  // namespace rewardkit::cli
