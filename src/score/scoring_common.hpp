#pragma once
// Pieces every scorer implementation uses: loading a model for a role, tokenizing a batch of
// samples under the length limit, and assembling a ScoreResult.
#include <memory>
#include <string>
#include <vector>

#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/scorer.hpp"
#include "score/sample_formatter.hpp"

namespace rewardkit::score {

struct LoadedModel {
  std::shared_ptr<Model> model;
  SampleFormatter formatter;
};

// The model and tokenizer (and chat template) of `dir`; `role` ("policy", "reward model", ...)
// names it in errors; the head must be `head`.
LoadedModel load_for_scoring(const std::string& dir, ModelHead head, const std::string& role,
                             const LoadOptions& load_options, const ScoringOptions& options);

// Formats and tokenizes every sample (for_log_probs or for_classifier) and applies the length
// limit of `model`.
enum class Formatting { classifier, log_probs, follow_up };
std::vector<TokenizedSample> tokenize_samples(const std::vector<Sample>& samples, const SampleFormatter& formatter,
                                              const Model& model, const ScoringOptions& options, Formatting formatting);

// values: sample-major, `columns` per sample. A reward that is NaN or infinite is an error naming
// its sample (`samples` are the ones scored, for the names): never a number passed on.
ScoreResult make_result(const std::vector<Sample>& samples, std::vector<float> values, int64_t columns,
                        std::vector<SampleDetail> details,
                        const ScoringOptions& options, std::vector<std::string> labels = {});

// Detail fields every log-prob method fills in.
SampleDetail log_prob_detail(const TokenizedSample& s, std::vector<float> token_logprobs);

}  // namespace rewardkit::score
