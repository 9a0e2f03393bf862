#pragma once
// Running many token sequences through a Model in micro-batches bounded by a token budget
// (longest first, right-padded), reading out only what the scorers need.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "rewardkit/model.hpp"
#include "score/sample_formatter.hpp"

namespace rewardkit::score {

// For each sample, log p(ids[t] | ids[..t]) for t from max(response_start, 1) to the end.
// With share_prompts, samples whose prompts (the tokens before response_start) are the same run
// that prompt once and their responses read its keys and values (best-of-N); the values agree
// with the unshared ones up to float rounding.
std::vector<std::vector<float>> response_logprobs(const Model& model, const std::vector<TokenizedSample>& samples,
                                                  int64_t max_batch_tokens, bool share_prompts = true);

// A classifier's head at each sample's last token: [n, num_labels] float32 on the CPU.
at::Tensor classifier_scores(const Model& model, const std::vector<TokenizedSample>& samples, int64_t max_batch_tokens);

}  // namespace rewardkit::score
