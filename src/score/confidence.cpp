#include "rewardkit/confidence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "rewardkit/error.hpp"
#include "score/batched_forward.hpp"
#include "score/scoring_common.hpp"

namespace rewardkit {

struct ConfidenceScorer::Impl {
  score::LoadedModel loaded;
  ScoringOptions options;
  ConfidenceOptions confidence;
};

ConfidenceScorer::ConfidenceScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfidenceScorer::~ConfidenceScorer() = default;

std::unique_ptr<ConfidenceScorer> ConfidenceScorer::load(const std::string& dir, const LoadOptions& load_options,
                                                         const ScoringOptions& options,
                                                         ConfidenceOptions confidence_options) {
  if (!confidence_options.locator) throw Error("ConfidenceOptions::locator is empty");
  if (!std::isfinite(confidence_options.no_answer_reward)) {
    throw Error("ConfidenceOptions::no_answer_reward must be a finite number");
  }
  auto impl = std::make_unique<Impl>(Impl{
      score::load_for_scoring(dir, ModelHead::CausalLM, "language model", load_options, options), options,
      std::move(confidence_options)});
  return std::unique_ptr<ConfidenceScorer>(new ConfidenceScorer(std::move(impl)));
}

const Model& ConfidenceScorer::model() const { return *impl_->loaded.model; }

ScoreResult ConfidenceScorer::score(const std::vector<Sample>& samples) const {
  const Impl& m = *impl_;
  const Tokenizer& tokenizer = m.loaded.formatter.tokenizer();
  const auto tokenized =
      score::tokenize_samples(samples, m.loaded.formatter, *m.loaded.model, m.options, score::Formatting::log_probs);
  auto logprobs =
      score::response_logprobs(*m.loaded.model, tokenized, m.options.max_batch_tokens, m.options.share_prompts);

  std::vector<float> values(samples.size(), m.confidence.no_answer_reward);
  std::vector<SampleDetail> details;
  details.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const score::TokenizedSample& t = tokenized[i];
    // The scored tokens (logprobs[i] covers positions max(response_start, 1) ..).
    const auto first = static_cast<size_t>(std::max<int64_t>(t.response_start, 1));
    const std::vector<int32_t> response(t.ids.begin() + static_cast<std::ptrdiff_t>(first), t.ids.end());
    // Token k covers bytes [ends[k-1], ends[k]) of the decoded response. A token that ends
    // inside a multi-byte character covers nothing; the one completing it covers it all.
    const std::string decoded = tokenizer.decode(response, false);
    std::vector<size_t> ends(response.size());
    std::vector<int32_t> prefix;
    prefix.reserve(response.size());
    size_t searchable = decoded.size();  // the locator sees the text before the first special token
    for (size_t k = 0; k < response.size(); ++k) {
      prefix.push_back(response[k]);
      const std::string text_k = tokenizer.decode(prefix, false);
      const bool is_prefix = text_k.size() <= decoded.size() && decoded.compare(0, text_k.size(), text_k) == 0;
      ends[k] = is_prefix ? text_k.size() : (k == 0 ? 0 : ends[k - 1]);
      const bool special = tokenizer.decode({response[k]}, true).empty() && !tokenizer.decode({response[k]}, false).empty();
      if (special && searchable == decoded.size()) searchable = k == 0 ? 0 : ends[k - 1];
    }
    const std::string text = decoded.substr(0, searchable);
    SampleDetail d = score::log_prob_detail(t, logprobs[i]);
    const std::optional<AnswerSpan> span = m.confidence.locator(text);
    if (span && span->begin < span->end && span->end <= text.size()) {
      double sum_p = 0.0, sum_lp = 0.0, min_p = 1.0;
      int64_t count = 0;
      for (size_t k = 0; k < response.size(); ++k) {
        const size_t begin = k == 0 ? 0 : ends[k - 1];
        if (begin < span->end && ends[k] > span->begin) {
          const double lp = logprobs[i][k];
          sum_p += std::exp(lp);
          sum_lp += lp;
          min_p = std::min(min_p, std::exp(lp));
          ++count;
        }
      }
      if (count > 0) {
        d.answer_found = true;
        d.answer = text.substr(span->begin, span->end - span->begin);
        d.answer_tokens = count;
        const double n = static_cast<double>(count);
        switch (m.confidence.aggregation) {
          case ConfidenceAggregation::mean_probability: values[i] = static_cast<float>(sum_p / n); break;
          case ConfidenceAggregation::geometric_mean: values[i] = static_cast<float>(std::exp(sum_lp / n)); break;
          case ConfidenceAggregation::min_probability: values[i] = static_cast<float>(min_p); break;
          case ConfidenceAggregation::mean_logprob: values[i] = static_cast<float>(sum_lp / n); break;
        }
      }
    }
    details.push_back(std::move(d));
  }
  return score::make_result(samples, std::move(values), 1, std::move(details), m.options);
}

}  // namespace rewardkit
