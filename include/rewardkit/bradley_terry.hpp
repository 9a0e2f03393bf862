#pragma once
// Bradley-Terry reward models: stock Hugging Face *ForSequenceClassification checkpoints
// (Skywork-Reward-V2, Llama-3.1 / Qwen3 RMs). The reward is the raw head output at the last
// token of the chat-formatted conversation, response included (RewardBench's formatting: a
// duplicated BOS string dropped). Multi-label heads give one column per label (id2label names).
// For pairs, P(a > b) = sigmoid(r_a - r_b): see pairwise.hpp.
#include <memory>
#include <string>

#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit {

class BradleyTerryScorer final : public Scorer {
 public:
  // Throws rewardkit::Error when `dir` is not a sequence classifier, or has no tokenizer.
  static std::unique_ptr<BradleyTerryScorer> load(const std::string& dir, const LoadOptions& load_options = {},
                                                  const ScoringOptions& options = {});
  ~BradleyTerryScorer() override;

  ScoreResult score(const std::vector<Sample>& samples) const override;
  std::string method() const override { return "bradley-terry"; }
  const Model& model() const;

 private:
  struct Impl;
  explicit BradleyTerryScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rewardkit
