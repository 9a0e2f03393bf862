#include "rewardkit/bradley_terry.hpp"

#include "score/batched_forward.hpp"
#include "score/scoring_common.hpp"

namespace rewardkit {

struct BradleyTerryScorer::Impl {
  score::LoadedModel loaded;
  ScoringOptions options;
};

BradleyTerryScorer::BradleyTerryScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BradleyTerryScorer::~BradleyTerryScorer() = default;

std::unique_ptr<BradleyTerryScorer> BradleyTerryScorer::load(const std::string& dir, const LoadOptions& load_options,
                                                             const ScoringOptions& options) {
  auto impl = std::make_unique<Impl>(Impl{
      score::load_for_scoring(dir, ModelHead::SequenceClassification, "reward model", load_options, options), options});
  return std::unique_ptr<BradleyTerryScorer>(new BradleyTerryScorer(std::move(impl)));
}

const Model& BradleyTerryScorer::model() const { return *impl_->loaded.model; }

ScoreResult BradleyTerryScorer::score(const std::vector<Sample>& samples) const {
  const Model& model = *impl_->loaded.model;
  const auto tokenized = score::tokenize_samples(samples, impl_->loaded.formatter, model, impl_->options, score::Formatting::classifier);
  const at::Tensor scores = score::classifier_scores(model, tokenized, impl_->options.max_batch_tokens).contiguous();
  const int64_t columns = model.info().num_labels;
  std::vector<float> values(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
  std::vector<SampleDetail> details(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    details[i].response_tokens = static_cast<int64_t>(tokenized[i].ids.size());
    details[i].truncated_tokens = tokenized[i].truncated;
  }
  return score::make_result(samples, std::move(values), columns, std::move(details), impl_->options,
                            columns > 1 ? model.info().labels : std::vector<std::string>{});
}

}  // namespace rewardkit
