#pragma once
// What every reward method shares: the sample types, the options of a scoring run, the result,
// and the Scorer interface. Methods: bradley_terry.hpp, log_likelihood.hpp, density_ratio.hpp,
// confidence.hpp.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rewardkit/chat.hpp"
#include "rewardkit/sample.hpp"

namespace rewardkit {

struct SampleDetail {
  int64_t prompt_tokens = 0;    // tokens before the response (classifiers: 0)
  int64_t response_tokens = 0;  // tokens scored as the response (classifiers: all of them)
  int64_t truncated_tokens = 0; // prompt tokens dropped from the left (ScoringOptions::truncate)
  // Log-prob methods: log p of each response token under the (first) model.
  std::vector<float> token_logprobs;
  // Confidence: whether the locator found an answer, its text and how many tokens cover it.
  bool answer_found = false;
  std::string answer;
  int64_t answer_tokens = 0;
};

struct ScoreResult {
  // [n] float32, or [n, columns] for a multi-label classifier; on ScoringOptions::result_device.
  at::Tensor rewards;
  std::vector<float> values;         // the same numbers, sample-major
  int64_t columns = 1;               // 1, or the classifier's num_labels
  std::vector<std::string> labels;   // column names (id2label) of a multi-label head
  std::vector<SampleDetail> details; // one per sample

  float reward(size_t sample, size_t column = 0) const { return values.at(sample * columns + column); }
};

struct ScoringOptions {
  // Micro-batching: at most this many (padded) tokens per forward pass. A sample's reward does
  // not depend on which others share its batch.
  int64_t max_batch_tokens = 8192;
  // A sample longer than the model's limit is an error naming it; with truncate, prompt tokens
  // are dropped from the left instead (RewardBench's rule) and SampleDetail says how many.
  bool truncate = false;
  // Samples with the same prompt (best-of-N candidates, a DPO pair) run it once and their
  // responses attend to its cached keys and values. Rewards agree with unshared scoring up to
  // float rounding (about 1e-6 relative in float32); false reproduces one-sequence-at-a-time
  // arithmetic exactly.
  bool share_prompts = true;
  // Where ScoreResult::rewards is put ("cpu", "cuda:0", ...): the device of the caller's policy.
  std::string result_device = "cpu";
  // Template variables for chat formatting (e.g. {"enable_thinking": false}).
  ChatOptions chat;
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Rewards for `samples`, in order. Any number of samples; errors name the sample (its id, or
  // its index when it has none).
  virtual ScoreResult score(const std::vector<Sample>& samples) const = 0;
  // "bradley-terry", "log-likelihood", "density-ratio", "dpo", "confidence".
  virtual std::string method() const = 0;
};

}  // namespace rewardkit
