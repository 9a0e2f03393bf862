#pragma once
// Confidence as reward (CRew): how sure a causal LM is of the final answer of a response, in one
// teacher-forced pass. The answer is located in the response by a pluggable locator
// (answer_locator.hpp: \boxed{...}, "The answer is ...", a regular expression); the tokens
// covering it are those of the response whose decoded text overlaps the located span; their
// probabilities are aggregated (mean probability by default, as in the CRew paper).
// The locator sees the decoded response up to its first special token (the template's
// end-of-turn marker), so "The answer is 42" on the last line ends at "42". A token that ends in
// the middle of a multi-byte character counts as covering nothing (the token that completes the
// character covers all of it); the reference fixture counts its bytes instead, which differs
// only when an answer boundary falls inside such a character.
// A response without an answer gets ConfidenceOptions::no_answer_reward and
// SampleDetail::answer_found = false.
#include <memory>
#include <string>

#include "rewardkit/answer_locator.hpp"
#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit {

enum class ConfidenceAggregation {
  mean_probability,  // arithmetic mean of p (CRew)
  geometric_mean,    // exp(mean log p)
  min_probability,   // the least confident answer token
  mean_logprob,      // mean log p
};

struct ConfidenceOptions {
  AnswerLocator locator = boxed_answer();
  ConfidenceAggregation aggregation = ConfidenceAggregation::mean_probability;
  float no_answer_reward = 0.0f;
};

class ConfidenceScorer final : public Scorer {
 public:
  static std::unique_ptr<ConfidenceScorer> load(const std::string& dir, const LoadOptions& load_options = {},
                                                const ScoringOptions& options = {},
                                                ConfidenceOptions confidence_options = {});
  ~ConfidenceScorer() override;

  ScoreResult score(const std::vector<Sample>& samples) const override;
  std::string method() const override { return "confidence"; }
  const Model& model() const;

 private:
  struct Impl;
  explicit ConfidenceScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rewardkit
