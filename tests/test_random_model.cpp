// Model::random: a config.json's shape with seeded random weights, for benchmarks. Same shape and
// parameter count as a checkpoint of that config, deterministic per seed, finite outputs, and
// the weights transformers' initializer would draw (std 0.02).
#include <gtest/gtest.h>

#include "nn/decoder.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;

TEST(RandomModel, SameShapeAsTheCheckpointOfItsConfig) {
  for (const char* name : {"rm", "lm_strong", "rm3"}) {
    SCOPED_TRACE(name);
    const fs::path dir = fixtures_dir() / "scorers" / name;
    const auto real = rewardkit::Model::load(dir.string(), cpu_fp32_options());
    const auto random = rewardkit::Model::random(read_text(dir / "config.json"), cpu_fp32_options(), 7, "random-" + std::string(name));
    EXPECT_EQ(random->info().parameter_count, real->info().parameter_count);
    EXPECT_EQ(random->info().architecture, real->info().architecture);
    EXPECT_EQ(random->info().num_labels, real->info().num_labels);
    EXPECT_EQ(random->info().dir, "random-" + std::string(name));
    const at::Tensor ids = at::randint(0, real->info().vocab_size, {2, 9}, at::kLong);
    const at::Tensor mask = at::ones_like(ids);
    const at::Tensor out = real->info().head == rewardkit::ModelHead::CausalLM ? random->logits(ids, mask)
                                                                               : random->classify(ids, mask);
    const at::Tensor want = real->info().head == rewardkit::ModelHead::CausalLM ? real->logits(ids, mask)
                                                                                : real->classify(ids, mask);
    EXPECT_EQ(out.sizes(), want.sizes());
    EXPECT_TRUE(at::isfinite(out).all().item<bool>());
  }
}

TEST(RandomModel, DeterministicPerSeedWithTransformersInitScale) {
  const std::string config = read_text(fixtures_dir() / "scorers" / "lm_strong" / "config.json");
  const auto a = rewardkit::Model::random(config, cpu_fp32_options(), 1), b = rewardkit::Model::random(config, cpu_fp32_options(), 1),
             c = rewardkit::Model::random(config, cpu_fp32_options(), 2);
  const at::Tensor& wa = a->decoder().weights().layers[0].q_proj;
  EXPECT_TRUE(at::equal(wa, b->decoder().weights().layers[0].q_proj));
  EXPECT_FALSE(at::equal(wa, c->decoder().weights().layers[0].q_proj));
  EXPECT_NEAR(wa.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(wa.mean().item<double>(), 0.0, 0.002);
  EXPECT_TRUE(at::equal(a->decoder().weights().layers[0].input_layernorm,
                        at::ones_like(a->decoder().weights().layers[0].input_layernorm)));
  EXPECT_THROW(rewardkit::Model::random("{not json", cpu_fp32_options()), rewardkit::Error);
}
