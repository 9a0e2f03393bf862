#include "score/scoring_common.hpp"

#include <fmt/format.h>

#include <cmath>

#include "rewardkit/error.hpp"

namespace rewardkit {

namespace score {

LoadedModel load_for_scoring(const std::string& dir, ModelHead head, const std::string& role,
                             const LoadOptions& load_options, const ScoringOptions& options) {
  std::shared_ptr<Model> model = Model::load(dir, load_options);
  if (model->info().head != head) {
    throw Error(fmt::format("{} {}: {} is a {}, but this method needs a {}", role, dir, model->info().architecture,
                            model->info().head == ModelHead::CausalLM ? "causal LM" : "sequence classifier",
                            head == ModelHead::CausalLM ? "causal LM (*ForCausalLM)"
                                                        : "sequence classifier (*ForSequenceClassification)"));
  }
  if (options.max_batch_tokens <= 0) {
    throw Error(fmt::format("ScoringOptions::max_batch_tokens must be positive, got {}", options.max_batch_tokens));
  }
  SampleFormatter formatter = SampleFormatter::load(dir, options.chat);
  if (formatter.tokenizer().vocab_size() > model->info().vocab_size) {
    throw Error(fmt::format("{} {}: the tokenizer has {} tokens but the model only {} embeddings", role, dir,
                            formatter.tokenizer().vocab_size(), model->info().vocab_size));
  }
  return LoadedModel{std::move(model), std::move(formatter)};
}

std::vector<TokenizedSample> tokenize_samples(const std::vector<Sample>& samples, const SampleFormatter& formatter,
                                              const Model& model, const ScoringOptions& options, Formatting formatting) {
  const bool classifier = formatting == Formatting::classifier;
  std::vector<TokenizedSample> out;
  out.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    TokenizedSample t = classifier ? formatter.for_classifier(samples[i], i)
                                   : formatter.for_log_probs(samples[i], i, formatting == Formatting::follow_up);
    fit_to_length(t, model.info().max_length, options.truncate, sample_name(samples[i], i));
    if (!classifier && t.response_start >= static_cast<int64_t>(t.ids.size())) {
      throw Error(fmt::format("{}: the response has no tokens", sample_name(samples[i], i)));
    }
    out.push_back(std::move(t));
  }
  return out;
}

ScoreResult make_result(const std::vector<Sample>& samples, std::vector<float> values, int64_t columns,
                        std::vector<SampleDetail> details, const ScoringOptions& options,
                        std::vector<std::string> labels) {
  for (size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) {
      const size_t i = k / static_cast<size_t>(columns);
      throw Error(fmt::format("{}: the reward is {} (the model's outputs are not finite for it)",
                              sample_name(samples.at(i), i), values[k]));
    }
  }
  ScoreResult r;
  const auto n = static_cast<int64_t>(details.size());
  at::Tensor t = at::empty(columns == 1 ? std::vector<int64_t>{n} : std::vector<int64_t>{n, columns}, at::kFloat);
  std::copy(values.begin(), values.end(), t.data_ptr<float>());
  r.rewards = t.to(at::Device(options.result_device));
  r.values = std::move(values);
  r.columns = columns;
  r.labels = std::move(labels);
  r.details = std::move(details);
  return r;
}

SampleDetail log_prob_detail(const TokenizedSample& s, std::vector<float> token_logprobs) {
  SampleDetail d;
  d.prompt_tokens = s.response_start;
  d.response_tokens = static_cast<int64_t>(token_logprobs.size());
  d.truncated_tokens = s.truncated;
  d.token_logprobs = std::move(token_logprobs);
  return d;
}

}  // namespace score
}  // namespace rewardkit
