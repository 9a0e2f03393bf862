#include "rewardkit/density_ratio.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "rewardkit/error.hpp"
#include "score/batched_forward.hpp"
#include "score/scoring_common.hpp"

namespace rewardkit {

namespace {

// Both models must read the same ids the same way: same tokens, same embedding rows.
void check_same_vocabulary(const score::LoadedModel& a, const std::string& a_dir, const score::LoadedModel& b,
                           const std::string& b_dir) {
  const int64_t va = a.model->info().vocab_size, vb = b.model->info().vocab_size;
  if (va != vb) {
    throw Error(fmt::format("{} and {} have different vocabularies ({} and {} embeddings): a density ratio needs the "
                            "same tokens in both models",
                            a_dir, b_dir, va, vb));
  }
  const Tokenizer& ta = a.formatter.tokenizer();
  const Tokenizer& tb = b.formatter.tokenizer();
  if (ta.vocab_size() != tb.vocab_size()) {
    throw Error(fmt::format("{} and {} have different tokenizers ({} and {} tokens)", a_dir, b_dir, ta.vocab_size(),
                            tb.vocab_size()));
  }
  for (int64_t id = 0; id < ta.vocab_size(); ++id) {
    const auto i = static_cast<int32_t>(id);
    std::string x, y;
    try {
      x = ta.id_to_token(i);
    } catch (const Error&) {
    }
    try {
      y = tb.id_to_token(i);
    } catch (const Error&) {
    }
    if (x != y) {
      throw Error(fmt::format("{} and {} have different tokenizers: id {} is {:?} in one and {:?} in the other", a_dir,
                              b_dir, id, x, y));
    }
  }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The sample with its domain's criteria applied: the system prompt first, exemplars before the
// last user message (or, for raw text, both before the prompt).
Sample apply_criteria(Sample s, const DomainCriteria& c, const std::string& exemplar_format, bool has_template) {
  std::string exemplars;
  for (const Exemplar& e : c.exemplars) {
    exemplars += replace_all(replace_all(exemplar_format, "{prompt}", e.prompt), "{response}", e.response);
  }
  if (s.messages.empty() && has_template) {
    s.messages = {ChatMessage{"user", s.prompt}, ChatMessage{"assistant", s.response}};
  }
  if (s.messages.empty()) {
    s.prompt = (c.system_prompt.empty() ? "" : c.system_prompt + "\n\n") + exemplars + s.prompt;
    return s;
  }
  if (!exemplars.empty()) {
    for (auto it = s.messages.rbegin(); it != s.messages.rend(); ++it) {
      if (it->role == "user") {
        it->content = exemplars + it->content;
        break;
      }
    }
  }
  if (!c.system_prompt.empty()) {
    if (s.messages.front().role == "system") {
      s.messages.front().content = c.system_prompt + "\n\n" + s.messages.front().content;
    } else {
      s.messages.insert(s.messages.begin(), ChatMessage{"system", c.system_prompt});
    }
  }
  return s;
}

}  // namespace

struct DensityRatioScorer::Impl {
  score::LoadedModel numerator;
  std::optional<score::LoadedModel> denominator;  // absent: reference-free
  ScoringOptions options;
  DensityRatioOptions ratio;
  std::string method;
};

DensityRatioScorer::DensityRatioScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DensityRatioScorer::~DensityRatioScorer() = default;

std::string DensityRatioScorer::method() const { return impl_->method; }

std::unique_ptr<DensityRatioScorer> DensityRatioScorer::load(const std::string& strong_dir, const std::string& weak_dir,
                                                             const LoadOptions& load_options, const ScoringOptions& options,
                                                             const DensityRatioOptions& ratio_options) {
  if (ratio_options.reduction == LogRatioReduction::norm) {
    throw Error("DensityRatioOptions::reduction norm is the reference-free DPO variant; use load_reference_free");
  }
  auto impl = std::make_unique<Impl>(
      Impl{score::load_for_scoring(strong_dir, ModelHead::CausalLM, "strong model", load_options, options),
           score::load_for_scoring(weak_dir, ModelHead::CausalLM, "weak model", load_options, options), options,
           ratio_options, "density-ratio"});
  check_same_vocabulary(impl->numerator, strong_dir, *impl->denominator, weak_dir);
  return std::unique_ptr<DensityRatioScorer>(new DensityRatioScorer(std::move(impl)));
}

std::unique_ptr<DensityRatioScorer> DensityRatioScorer::load_dpo(const std::string& policy_dir,
                                                                 const std::string& reference_dir, double beta,
                                                                 const LoadOptions& load_options,
                                                                 const ScoringOptions& options) {
  DensityRatioOptions ratio;
  ratio.beta = beta;
  auto scorer = load(policy_dir, reference_dir, load_options, options, ratio);
  scorer->impl_->method = "dpo";
  return scorer;
}

std::unique_ptr<DensityRatioScorer> DensityRatioScorer::load_reference_free(const std::string& policy_dir,
                                                                            LogRatioReduction reduction,
                                                                            const LoadOptions& load_options,
                                                                            const ScoringOptions& options) {
  DensityRatioOptions ratio;
  ratio.reduction = reduction;
  auto impl = std::make_unique<Impl>(Impl{
      score::load_for_scoring(policy_dir, ModelHead::CausalLM, "policy", load_options, options), std::nullopt,
      options, ratio, "dpo"});
  return std::unique_ptr<DensityRatioScorer>(new DensityRatioScorer(std::move(impl)));
}

ScoreResult DensityRatioScorer::score(const std::vector<Sample>& samples) const {
  const Impl& m = *impl_;
  const score::SampleFormatter& formatter = m.numerator.formatter;  // both models see A's formatting
  std::vector<Sample> prepared;
  const std::vector<Sample>* to_score = &samples;
  if (!m.ratio.domains.empty()) {
    prepared.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      const std::string domain = m.ratio.domain_rule ? m.ratio.domain_rule(samples[i]) : samples[i].domain;
      auto it = m.ratio.domains.find(domain);
      if (it == m.ratio.domains.end()) it = m.ratio.domains.find("");
      if (it == m.ratio.domains.end()) {
        throw Error(fmt::format("{}: no criteria for domain {:?} and no default (\"\") domain",
                                score::sample_name(samples[i], i), domain));
      }
      prepared.push_back(apply_criteria(samples[i], it->second, m.ratio.exemplar_format, formatter.has_chat_template()));
    }
    to_score = &prepared;
  }

  const auto tokenized =
      score::tokenize_samples(*to_score, formatter, *m.numerator.model, m.options, score::Formatting::log_probs);
  const int64_t budget = m.options.max_batch_tokens;
  auto num = score::response_logprobs(*m.numerator.model, tokenized, budget, m.options.share_prompts);
  std::vector<std::vector<float>> den;
  if (m.denominator) den = score::response_logprobs(*m.denominator->model, tokenized, budget, m.options.share_prompts);

  std::vector<float> values(samples.size());
  std::vector<SampleDetail> details;
  details.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const size_t n = num[i].size();
    double reduced = 0.0;
    if (m.ratio.reduction == LogRatioReduction::norm) {
      double sq = 0.0;
      for (float v : num[i]) sq += static_cast<double>(v) * v;
      reduced = -std::sqrt(sq);
    } else {
      double sum = 0.0;
      for (size_t k = 0; k < n; ++k) sum += static_cast<double>(num[i][k]) - (m.denominator ? den[i][k] : 0.0);
      reduced = m.ratio.reduction == LogRatioReduction::mean ? sum / static_cast<double>(n) : sum;
    }
    values[i] = static_cast<float>(m.ratio.beta * reduced);
    details.push_back(score::log_prob_detail(tokenized[i], std::move(num[i])));
  }
  return score::make_result(samples, std::move(values), 1, std::move(details), m.options);
}

}  // namespace rewardkit
