// The real TinyStories Llama (../shared/assets/stories260K) against transformers' outputs
// recorded by tools/make_engine_fixtures.py in tests/fixtures/stories260K/reference.json.
// Float32; log-prob tolerance 1e-4 (the engine's parity bar). The reference's smallest
// top-two logit gap on the greedy sequence is 4e-3, forty times that bar, so argmax
// agreement is required at every position with no allowance.
#include <gtest/gtest.h>

#include "rewardkit/model.hpp"
#include "test_support.hpp"

using namespace rewardkit;
using namespace rewardkit::testing;

namespace {

class Stories260K : public ::testing::Test {
 protected:
  void SetUp() override {
    assets_ = shared_assets_dir();
    if (assets_.empty() || !fs::exists(assets_ / "stories260K" / "model.safetensors"))
      GTEST_SKIP() << "../shared/assets/stories260K is absent (set REWARDKIT_SHARED_ASSETS to run this)";
    reference_ = nlohmann::json::parse(read_text(fixtures_dir() / "stories260K" / "reference.json"));
    LoadOptions o;
    o.device = "cpu";
    o.dtype = "float32";
    model_ = Model::load((assets_ / "stories260K").string(), o);
  }
  fs::path assets_;
  nlohmann::json reference_;
  std::shared_ptr<Model> model_;
};

}  // namespace

TEST_F(Stories260K, ArgmaxIsTransformersGreedyTokenAtEveryPosition) {
  const std::vector<int64_t> ids = reference_["greedy_ids"].get<std::vector<int64_t>>();
  ASSERT_EQ(ids.size(), 201u);
  ASSERT_EQ(ids[0], 1) << "greedy continuation starts from BOS";
  at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
  TokenLogprobs lp = model_->token_logprobs(input, at::ones_like(input));
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_EQ(lp.top_ids[0][i].item<int64_t>(), ids[i + 1]) << "position " << i;
    EXPECT_NEAR(lp.logprobs[0][i].item<double>(), reference_["greedy_logprobs"][i].get<double>(), 1e-4)
        << "position " << i;
  }
}

TEST_F(Stories260K, OwnGreedyLoopReproducesTheStory) {
  // Decoding step by step with rewardkit alone (no teacher forcing) gives transformers' story.
  const std::vector<int64_t> want = reference_["greedy_ids"].get<std::vector<int64_t>>();
  std::vector<int64_t> ids{1};
  while (ids.size() < 61) {
    at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
    ids.push_back(model_->logits(input, at::ones_like(input))[0][-1].argmax().item<int64_t>());
  }
  EXPECT_EQ(ids, std::vector<int64_t>(want.begin(), want.begin() + 61));
}

TEST_F(Stories260K, PaddedBatchMatchesSingleSequences) {
  std::vector<std::vector<int64_t>> seqs;
  for (auto& t : reference_["texts"])
    if (t["ids"].size() > 1) seqs.push_back(t["ids"].get<std::vector<int64_t>>());
  ASSERT_GE(seqs.size(), 2u);
  int64_t T = 0;
  for (auto& s : seqs) T = std::max<int64_t>(T, s.size());
  at::Tensor ids = at::zeros({(int64_t)seqs.size(), T}, at::kLong), mask = at::zeros_like(ids);
  for (size_t b = 0; b < seqs.size(); ++b)
    for (size_t t = 0; t < seqs[b].size(); ++t) {
      // left padding: the harder case for positions
      const int64_t at_t = T - seqs[b].size() + t;
      ids[b][at_t] = seqs[b][t];
      mask[b][at_t] = 1;
    }
  TokenLogprobs lp = model_->token_logprobs(ids, mask);
  size_t k = 0;
  for (auto& t : reference_["texts"]) {
    if (t["ids"].size() < 2) continue;
    const int64_t n = t["ids"].size();
    for (int64_t i = 0; i + 1 < n; ++i)
      EXPECT_NEAR(lp.logprobs[k][T - n + i].item<double>(), t["logprobs"][i].get<double>(), 1e-4);
    ++k;
  }
}
