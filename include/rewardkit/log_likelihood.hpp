#pragma once
// Log-likelihood of the response under a causal LM, given the prompt: summed (default) or
// averaged over the response tokens; the per-token values are in SampleDetail::token_logprobs.
// Prompt/response boundaries as in scorer.hpp's formatting rule (CDR code).
//
// Follow-up likelihood as reward: score_follow_ups appends a fixed user utterance after each
// conversation and scores it: reward = log p(positive follow-up) - log p(negative follow-up).
#include <memory>
#include <string>

#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit {

struct LogLikelihoodOptions {
  bool mean = false;  // false: sum over response tokens; true: mean per token
};

class LogLikelihoodScorer final : public Scorer {
 public:
  static std::unique_ptr<LogLikelihoodScorer> load(const std::string& dir, const LoadOptions& load_options = {},
                                                   const ScoringOptions& options = {},
                                                   const LogLikelihoodOptions& ll_options = {});
  ~LogLikelihoodScorer() override;

  ScoreResult score(const std::vector<Sample>& samples) const override;
  // Conversations only. For each sample, the summed log-prob of `positive` and of `negative`, each
  // scored as a user turn appended after the response; reward = positive - negative.
  ScoreResult score_follow_ups(const std::vector<Sample>& samples, const std::string& positive,
                               const std::string& negative) const;
  std::string method() const override { return "log-likelihood"; }
  const Model& model() const;

 private:
  struct Impl;
  explicit LogLikelihoodScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rewardkit
