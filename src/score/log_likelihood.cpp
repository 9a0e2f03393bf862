#include "rewardkit/log_likelihood.hpp"

#include <fmt/format.h>

#include <numeric>

#include "rewardkit/error.hpp"
#include "score/batched_forward.hpp"
#include "score/scoring_common.hpp"

namespace rewardkit {

struct LogLikelihoodScorer::Impl {
  score::LoadedModel loaded;
  ScoringOptions options;
  LogLikelihoodOptions ll;

  // Summed (or mean) response log-probs of the samples, with details.
  std::vector<float> reduce(const std::vector<Sample>& samples, score::Formatting formatting, bool mean,
                            std::vector<SampleDetail>* details) const {
    const Model& model = *loaded.model;
    const auto tokenized = score::tokenize_samples(samples, loaded.formatter, model, options, formatting);
    auto logprobs = score::response_logprobs(model, tokenized, options.max_batch_tokens, options.share_prompts);
    std::vector<float> values(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      const double sum = std::accumulate(logprobs[i].begin(), logprobs[i].end(), 0.0);
      values[i] = static_cast<float>(mean ? sum / static_cast<double>(logprobs[i].size()) : sum);
      if (details) details->push_back(score::log_prob_detail(tokenized[i], std::move(logprobs[i])));
    }
    return values;
  }
};

LogLikelihoodScorer::LogLikelihoodScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogLikelihoodScorer::~LogLikelihoodScorer() = default;

std::unique_ptr<LogLikelihoodScorer> LogLikelihoodScorer::load(const std::string& dir, const LoadOptions& load_options,
                                                               const ScoringOptions& options,
                                                               const LogLikelihoodOptions& ll_options) {
  auto impl = std::make_unique<Impl>(
      Impl{score::load_for_scoring(dir, ModelHead::CausalLM, "language model", load_options, options), options, ll_options});
  return std::unique_ptr<LogLikelihoodScorer>(new LogLikelihoodScorer(std::move(impl)));
}

const Model& LogLikelihoodScorer::model() const { return *impl_->loaded.model; }

ScoreResult LogLikelihoodScorer::score(const std::vector<Sample>& samples) const {
  std::vector<SampleDetail> details;
  std::vector<float> values = impl_->reduce(samples, score::Formatting::log_probs, impl_->ll.mean, &details);
  return score::make_result(samples, std::move(values), 1, std::move(details), impl_->options);
}

ScoreResult LogLikelihoodScorer::score_follow_ups(const std::vector<Sample>& samples, const std::string& positive,
                                                  const std::string& negative) const {
  // The follow-up is scored like a response: its own turn, after the conversation.
  auto with_follow_up = [&](const std::string& utterance) {
    std::vector<Sample> out;
    out.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].messages.empty()) {
        throw Error(fmt::format("{}: follow-up likelihood needs a conversation (messages)",
                                score::sample_name(samples[i], i)));
      }
      Sample s = samples[i];
      s.messages.push_back(ChatMessage{"user", utterance});
      out.push_back(std::move(s));
    }
    return out;
  };
  std::vector<SampleDetail> details;
  const std::vector<float> pos = impl_->reduce(with_follow_up(positive), score::Formatting::follow_up, false, &details);
  const std::vector<float> neg = impl_->reduce(with_follow_up(negative), score::Formatting::follow_up, false, nullptr);
  std::vector<float> values(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) values[i] = pos[i] - neg[i];
  return score::make_result(samples, std::move(values), 1, std::move(details), impl_->options);
}

}  // namespace rewardkit
