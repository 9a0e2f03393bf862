// The reward methods against Hugging Face transformers (float32) on the committed tiny
// checkpoints of tests/fixtures/scorers (tools/make_scorer_fixtures.py): classifier scores of
// chat-formatted conversations, per-token response log-probs, density ratio / DPO rewards and
// confidence (CRew) aggregates. Tolerances: 1e-4 absolute per log-prob and score; sums of n
// log-probs n * 1e-4; probabilities 1e-3 relative (they are exp of log-probs good to 1e-4).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <thread>

#include "rewardkit/bradley_terry.hpp"
#include "rewardkit/confidence.hpp"
#include "rewardkit/density_ratio.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/log_likelihood.hpp"
#include "io/safetensors.hpp"
#include "scorer_fixture.hpp"
#include "test_support.hpp"

namespace {

using rewardkit::testing::cpu_fp32_options;
using rewardkit::testing::batch_tolerance;
using rewardkit::testing::fp32_tolerance;

namespace fs = std::filesystem;
using nlohmann::json;
using rewardkit::Sample;

const fs::path& dir() { return rewardkit::testing::scorer_fixture_dir(); }
std::string model_dir(const char* name) { return (dir() / name).string(); }
const json& fixture() { return rewardkit::testing::scorer_fixture(); }

// The fixture's samples of one kind ("chat" or "raw"), in file order.
std::vector<Sample> samples(const std::string& kind) {
  std::vector<Sample> out;
  for (auto& f : rewardkit::testing::fixture_samples(kind)) out.push_back(std::move(f.sample));
  return out;
}

// Small budget: several micro-batches, so batching is exercised too.
rewardkit::ScoringOptions small_batches() {
  rewardkit::ScoringOptions o;
  o.max_batch_tokens = 96;
  return o;
}

// What a reward sums, for batch_tolerance: the absolute log-probs of its tokens under every
// model it reads (a density ratio reads two, whose log-probs are of one size), or the reward.
double reward_magnitude(const rewardkit::ScoreResult& r, size_t i, int models = 1) {
  double sum = 0;
  for (float lp : r.details[i].token_logprobs) sum += std::abs(lp);
  return r.details[i].token_logprobs.empty() ? r.reward(i) : models * sum;
}

TEST(BradleyTerry, MatchesTransformersScores) {
  for (const char* name : {"rm", "rm3"}) {
    SCOPED_TRACE(name);
    auto scorer = rewardkit::BradleyTerryScorer::load(model_dir(name), cpu_fp32_options(), small_batches());
    const auto batch = samples("chat");
    const rewardkit::ScoreResult r = scorer->score(batch);
    const json& expected = fixture()["bradley_terry"][name];
    const int64_t labels = fixture()["models"][name]["num_labels"];
    ASSERT_EQ(r.columns, labels);
    ASSERT_EQ(r.rewards.size(0), static_cast<int64_t>(batch.size()));
    EXPECT_EQ(r.rewards.dim(), labels == 1 ? 1 : 2);
    for (size_t i = 0; i < batch.size(); ++i) {
      const json& e = expected[batch[i].id];
      EXPECT_EQ(r.details[i].response_tokens, static_cast<int64_t>(e["ids"].size())) << batch[i].id;
      for (int64_t c = 0; c < labels; ++c) {
        EXPECT_NEAR(r.reward(i, static_cast<size_t>(c)), e["scores"][c].get<double>(), 1e-4) << batch[i].id << " column " << c;
        const float from_tensor = labels == 1 ? r.rewards[static_cast<int64_t>(i)].item<float>()
                                              : r.rewards[static_cast<int64_t>(i)][c].item<float>();
        EXPECT_EQ(from_tensor, r.reward(i, static_cast<size_t>(c)));
      }
    }
    if (labels > 1) EXPECT_EQ(r.labels, (std::vector<std::string>{"helpfulness", "correctness", "safety"}));
  }
}

void expect_logprobs(const rewardkit::ScoreResult& r, const std::vector<Sample>& batch, const json& expected) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& e = expected[batch[i].id];
    const auto& got = r.details[i].token_logprobs;
    ASSERT_EQ(got.size(), e["response_logprobs"].size()) << batch[i].id;
    EXPECT_EQ(r.details[i].prompt_tokens, static_cast<int64_t>(e["prompt_ids"].size())) << batch[i].id;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_NEAR(got[k], e["response_logprobs"][k].get<double>(), 1e-4) << batch[i].id << " token " << k;
    }
    EXPECT_NEAR(r.reward(i), e["sum"].get<double>(), 1e-4 * static_cast<double>(got.size())) << batch[i].id;
  }
}

TEST(LogLikelihood, ChatSamplesMatchTransformers) {
  auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches());
  const auto batch = samples("chat");
  expect_logprobs(scorer->score(batch), batch, fixture()["log_likelihood"]["lm_strong"]);
}

TEST(LogLikelihood, BaseModelTakesRawTextWithItsSpecialTokens) {
  auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_base"), cpu_fp32_options(), small_batches());
  const auto batch = samples("raw");
  expect_logprobs(scorer->score(batch), batch, fixture()["log_likelihood"]["lm_base"]);
  // A conversation needs a chat template, which this checkpoint lacks.
  try {
    scorer->score(samples("chat"));
    ADD_FAILURE() << "expected an error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no chat template"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("single_turn_boxed"), std::string::npos) << e.what();
  }
}

TEST(LogLikelihood, MeanIsTheSumOverTheTokenCount) {
  rewardkit::LogLikelihoodOptions mean;
  mean.mean = true;
  auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), {}, mean);
  const auto batch = samples("chat");
  const auto r = scorer->score(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& e = fixture()["log_likelihood"]["lm_strong"][batch[i].id];
    EXPECT_NEAR(r.reward(i), e["mean"].get<double>(), 1e-4) << batch[i].id;
  }
}

TEST(DensityRatio, StrongOverWeakMatchesTransformers) {
  const auto batch = samples("chat");
  rewardkit::DensityRatioOptions mean;
  mean.reduction = rewardkit::LogRatioReduction::mean;
  auto summed = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), small_batches());
  auto averaged =
      rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), small_batches(), mean);
  EXPECT_EQ(summed->method(), "density-ratio");
  const auto rs = summed->score(batch);
  const auto ra = averaged->score(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& e = fixture()["derived"][batch[i].id];
    const double n = e["num_response_tokens"];
    EXPECT_NEAR(rs.reward(i), e["density_ratio"].get<double>(), 2e-4 * n) << batch[i].id;
    EXPECT_NEAR(ra.reward(i), e["density_ratio_mean"].get<double>(), 2e-4) << batch[i].id;
  }
}

TEST(DensityRatio, DpoRewardsMatchRewardBenchFormulas) {
  const auto batch = samples("chat");
  for (double beta : {1.0, 0.1}) {
    auto dpo = rewardkit::DensityRatioScorer::load_dpo(model_dir("lm_strong"), model_dir("lm_weak"), beta, cpu_fp32_options());
    EXPECT_EQ(dpo->method(), "dpo");
    const auto r = dpo->score(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      const json& e = fixture()["derived"][batch[i].id];
      EXPECT_NEAR(r.reward(i), e["dpo"][beta == 1.0 ? "1.0" : "0.1"].get<double>(),
                  2e-4 * beta * e["num_response_tokens"].get<double>())
          << batch[i].id << " beta " << beta;
    }
  }
  using rewardkit::LogRatioReduction;
  for (auto [mode, key] : {std::pair{LogRatioReduction::mean, "avg"}, {LogRatioReduction::sum, "sum"},
                           {LogRatioReduction::norm, "norm"}}) {
    auto free = rewardkit::DensityRatioScorer::load_reference_free(model_dir("lm_strong"), mode, cpu_fp32_options());
    const auto r = free->score(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      const json& e = fixture()["derived"][batch[i].id];
      EXPECT_NEAR(r.reward(i), e["dpo_ref_free"][key].get<double>(), 1e-4 * e["num_response_tokens"].get<double>())
          << batch[i].id << " " << key;
    }
  }
}

TEST(DensityRatio, DifferentVocabulariesAreRefused) {
  try {
    rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_other_vocab"), cpu_fp32_options());
    ADD_FAILURE() << "expected an error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("different vocabularies"), std::string::npos) << e.what();
  }
}

TEST(DensityRatio, CriteriaChangeWhatBothModelsSee) {
  // A system prompt and an exemplar for domain "math": the reward must equal the plain density
  // ratio of the conversation rewritten by hand the same way.
  rewardkit::DensityRatioOptions options;
  options.domains["math"] = {"Judge the arithmetic.", {{"1+1?", "2"}}};
  options.domains[""] = {};
  auto custom = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), {}, options);
  auto plain = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options());
  std::vector<Sample> batch = samples("chat");
  batch[0].domain = "math";  // single_turn_boxed: no system message yet
  batch[1].domain = "math";  // system_prompt_frac: has one
  std::vector<Sample> by_hand = samples("chat");
  by_hand[0].messages.insert(by_hand[0].messages.begin(), {"system", "Judge the arithmetic."});
  by_hand[0].messages[1].content = "Example question:\n1+1?\nExample answer:\n2\n\n" + by_hand[0].messages[1].content;
  by_hand[1].messages[0].content = "Judge the arithmetic.\n\n" + by_hand[1].messages[0].content;
  by_hand[1].messages[1].content = "Example question:\n1+1?\nExample answer:\n2\n\n" + by_hand[1].messages[1].content;
  const auto a = custom->score(batch);
  const auto b = plain->score(by_hand);
  const auto untouched = plain->score(samples("chat"));
  // Same tokens, other neighbours in the batch: equal within batch_tolerance.
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_NEAR(a.reward(i), b.reward(i), batch_tolerance(reward_magnitude(b, i, 2))) << batch[i].id;
  EXPECT_GT(std::abs(a.reward(0) - untouched.reward(0)), 1e-3);  // the criteria did change something
  // A rule, when given, decides the domain instead of Sample::domain.
  options.domain_rule = [](const Sample& s) { return s.id == "single_turn_boxed" ? "math" : ""; };
  auto ruled = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), {}, options);
  const auto c = ruled->score(samples("chat"));
  EXPECT_NEAR(c.reward(0), b.reward(0), batch_tolerance(reward_magnitude(b, 0, 2)));
  EXPECT_NEAR(c.reward(1), untouched.reward(1), batch_tolerance(reward_magnitude(untouched, 1, 2)));
}

TEST(Confidence, AnswerTokenProbabilitiesMatchTransformers) {
  const auto batch = samples("chat");
  using rewardkit::ConfidenceAggregation;
  const std::vector<std::pair<ConfidenceAggregation, const char*>> aggregations = {
      {ConfidenceAggregation::mean_probability, "mean_prob"},
      {ConfidenceAggregation::geometric_mean, "geometric_mean"},
      {ConfidenceAggregation::min_probability, "min_prob"},
      {ConfidenceAggregation::mean_logprob, "mean_logprob"}};
  for (const char* locator_name : {"boxed", "answer_is"}) {
    for (const auto& [aggregation, key] : aggregations) {
      SCOPED_TRACE(std::string(locator_name) + " " + key);
      rewardkit::ConfidenceOptions options;
      options.locator = std::string(locator_name) == "boxed" ? rewardkit::boxed_answer() : rewardkit::answer_is_answer();
      options.aggregation = aggregation;
      options.no_answer_reward = -7.0f;
      auto scorer = rewardkit::ConfidenceScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches(), options);
      const auto r = scorer->score(batch);
      for (size_t i = 0; i < batch.size(); ++i) {
        const json& e = fixture()["confidence"]["lm_strong"][batch[i].id]["locators"][locator_name];
        ASSERT_EQ(r.details[i].answer_found, e["found"].get<bool>()) << batch[i].id;
        if (!e["found"].get<bool>()) {
          EXPECT_EQ(r.reward(i), -7.0f) << batch[i].id;
          continue;
        }
        EXPECT_EQ(r.details[i].answer, e["answer"].get<std::string>()) << batch[i].id;
        EXPECT_EQ(r.details[i].answer_tokens, static_cast<int64_t>(e["token_indices"].size())) << batch[i].id;
        const double want = e[key];
        const double tol = aggregation == ConfidenceAggregation::mean_logprob ? 1e-4 : 1e-3 * std::abs(want);
        EXPECT_NEAR(r.reward(i), want, tol) << batch[i].id;
      }
    }
  }
}

// A sample's reward does not depend on its position in the input or on its neighbours (a long
// one forces padding around it): reversed, and interleaved with a long filler, every reward
// stays within batch_tolerance (float32 GEMM rounding by row position) for a log-prob method, a
// classifier and the density ratio.
TEST(Scoring, RewardsDoNotDependOnPositionOrNeighbours) {
  const auto batch = samples("chat");
  std::vector<Sample> reversed(batch.rbegin(), batch.rend());
  const Sample filler = Sample::conversation(
      {{"user", "Please explain, in some detail, why the sky looks blue during the day but red at dusk."},
       {"assistant", "Sunlight scatters off air molecules, and blue light scatters the most; at dusk the light "
                     "crosses more air, so the blue is scattered away and red is left."}},
      "filler");
  std::vector<Sample> interleaved;
  for (const Sample& s : batch) {
    interleaved.push_back(filler);
    interleaved.push_back(s);
  }
  rewardkit::ScoringOptions big_batches;
  big_batches.max_batch_tokens = 1 << 20;  // all in one padded batch
  std::vector<std::unique_ptr<rewardkit::Scorer>> scorers;
  scorers.push_back(rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), big_batches));
  scorers.push_back(rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options(), big_batches));
  scorers.push_back(rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), big_batches));
  for (const auto& scorer : scorers) {
    SCOPED_TRACE(scorer->method());
    const int models = scorer->method() == "density-ratio" ? 2 : 1;
    const auto base = scorer->score(batch);
    const auto rev = scorer->score(reversed);
    const auto mixed = scorer->score(interleaved);
    for (size_t i = 0; i < batch.size(); ++i) {
      const double tol = batch_tolerance(reward_magnitude(base, i, models));
      EXPECT_NEAR(rev.reward(batch.size() - 1 - i), base.reward(i), tol) << batch[i].id;
      EXPECT_NEAR(mixed.reward(2 * i + 1), base.reward(i), tol) << batch[i].id;
      EXPECT_NEAR(mixed.reward(2 * i), mixed.reward(0), batch_tolerance(reward_magnitude(mixed, 0, models)))
          << "the filler at " << 2 * i;
    }
  }
}

// An empty response: with a chat template it is still a turn (its end-of-turn token is scored);
// as raw text it has no tokens, which the log-prob methods refuse, naming the sample.
TEST(Scoring, EmptyResponsesAreScoredOrClearlyRefused) {
  const Sample empty_turn = Sample::conversation({{"user", "What is 2+2?"}, {"assistant", ""}}, "empty-turn");
  const auto ll = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options())->score({empty_turn});
  EXPECT_GE(ll.details[0].response_tokens, 1);
  EXPECT_TRUE(std::isfinite(ll.reward(0)));
  const auto bt = rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options())->score({empty_turn});
  EXPECT_TRUE(std::isfinite(bt.reward(0)));

  auto base = rewardkit::LogLikelihoodScorer::load(model_dir("lm_base"), cpu_fp32_options());
  const std::string what = rewardkit::testing::message_of([&] { base->score({Sample::text("2+2=", "", "empty-text")}); });
  EXPECT_NE(what.find("id \"empty-text\""), std::string::npos) << what;
  EXPECT_NE(what.find("the response has no tokens"), std::string::npos) << what;
}

// The reward of a sample does not depend on the batch around it (fp32: within 1e-5, or 2 ulp
// of large sums, see fp32_tolerance).
TEST(Scoring, BatchCompositionDoesNotChangeRewards) {
  const auto batch = samples("chat");
  rewardkit::ScoringOptions one_by_one;
  one_by_one.max_batch_tokens = 1;  // every sample alone
  rewardkit::ScoringOptions all_at_once;
  all_at_once.max_batch_tokens = 1 << 20;
  auto a = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), one_by_one)->score(batch);
  auto b = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), all_at_once)->score(batch);
  auto c = rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options(), one_by_one)->score(batch);
  auto d = rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options(), all_at_once)->score(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_NEAR(a.reward(i), b.reward(i), fp32_tolerance(b.reward(i))) << batch[i].id;
    EXPECT_NEAR(c.reward(i), d.reward(i), fp32_tolerance(d.reward(i))) << batch[i].id;
  }
}

TEST(Scoring, TooLongIsAnErrorUnlessTruncating) {
  rewardkit::LoadOptions short_limit = cpu_fp32_options();
  short_limit.max_length = 30;
  const auto batch = samples("chat");  // multi_turn is longer than 30 tokens
  auto strict = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), short_limit);
  try {
    strict->score(batch);
    ADD_FAILURE() << "expected an error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("longer than the model's limit of 30"), std::string::npos) << e.what();
  }
  rewardkit::ScoringOptions truncate;
  truncate.truncate = true;
  // Only samples whose response fits can be truncated to 30 tokens; pick those.
  std::vector<Sample> fitting;
  for (const Sample& s : batch) {
    const json& e = fixture()["log_likelihood"]["lm_strong"][s.id];
    const size_t response = e["full_ids"].size() - e["prompt_ids"].size();
    if (response < 30 && e["full_ids"].size() > 30) fitting.push_back(s);
  }
  ASSERT_FALSE(fitting.empty());
  const auto r = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), short_limit, truncate)->score(fitting);
  for (size_t i = 0; i < fitting.size(); ++i) {
    const json& e = fixture()["log_likelihood"]["lm_strong"][fitting[i].id];
    EXPECT_EQ(r.details[i].truncated_tokens, static_cast<int64_t>(e["full_ids"].size()) - 30) << fitting[i].id;
    EXPECT_EQ(r.details[i].prompt_tokens + r.details[i].response_tokens, 30) << fitting[i].id;
  }
}

TEST(Scoring, WrongHeadAndBadSamplesAreClearErrors) {
  EXPECT_THROW(rewardkit::BradleyTerryScorer::load(model_dir("lm_strong"), cpu_fp32_options()), rewardkit::Error);
  EXPECT_THROW(rewardkit::LogLikelihoodScorer::load(model_dir("rm"), cpu_fp32_options()), rewardkit::Error);
  auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options());
  Sample no_response = Sample::conversation({{"user", "hi"}}, "x1");
  try {
    scorer->score({no_response});
    ADD_FAILURE() << "expected an error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("id \"x1\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"assistant\""), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

// "The answer is" on the response's last line: the locator stops before the template's
// end-of-turn token instead of taking it into the answer.
TEST(Confidence, AnswerOnTheLastLineStopsAtTheEndOfTurn) {
  rewardkit::ConfidenceOptions options;
  options.locator = rewardkit::answer_is_answer();
  auto scorer = rewardkit::ConfidenceScorer::load(model_dir("lm_strong"), cpu_fp32_options(), {}, options);
  const auto r = scorer->score({Sample::conversation({{"user", "What is 8+9?"}, {"assistant", "The answer is 17."}})});
  ASSERT_TRUE(r.details[0].answer_found);
  EXPECT_EQ(r.details[0].answer, "17");
  EXPECT_GT(r.reward(0), 0.0f);
  EXPECT_LE(r.reward(0), 1.0f);
}

}  // namespace

namespace {

// A reward model whose head weights are finite but so large that the head's sum overflows:
// the score is refused, naming the sample. (NaN weights are refused at load, see below.)
TEST(Scoring, NonFiniteRewardsAreErrorsNamingTheSample) {
  rewardkit::testing::TempDir broken;
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(dir() / "rm" / f, broken.path() / f);
  }
  rewardkit::io::Checkpoint original((dir() / "rm").string());
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const std::string& name : original.names()) {
    at::Tensor t = original.tensor(name).clone();
    if (name == "score.weight") t.fill_(std::numeric_limits<float>::max());
    tensors.emplace_back(name, t);
  }
  rewardkit::testing::write_safetensors(broken.path() / "model.safetensors", tensors);
  auto scorer = rewardkit::BradleyTerryScorer::load(broken.path().string(), cpu_fp32_options());
  const std::string what = rewardkit::testing::message_of([&] { scorer->score(samples("chat")); });
  EXPECT_NE(what.find("sample 0 (id \"single_turn_boxed\")"), std::string::npos) << what;
  EXPECT_TRUE(what.find("nan") != std::string::npos || what.find("inf") != std::string::npos) << what;

  rewardkit::ConfidenceOptions nan_default;
  nan_default.no_answer_reward = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(rewardkit::ConfidenceScorer::load(model_dir("lm_strong"), cpu_fp32_options(), {}, nan_default), rewardkit::Error);
}

}  // namespace

namespace {

// NaN or inf anywhere in a checkpoint's weights is refused when the model loads, naming the file
// and the tensor, for every method.
TEST(Scoring, NonFiniteWeightsAreRefusedAtLoad) {
  rewardkit::io::Checkpoint original((dir() / "rm").string());
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    rewardkit::testing::TempDir broken;
    for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"})
      fs::copy_file(dir() / "rm" / f, broken.path() / f);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const std::string& name : original.names()) {
      at::Tensor t = original.tensor(name).clone();
      if (name == "model.layers.0.mlp.down_proj.weight") t.view({-1}).narrow(0, 7, 1).fill_(bad);
      tensors.emplace_back(name, t);
    }
    rewardkit::testing::write_safetensors(broken.path() / "model.safetensors", tensors);
    const std::string what =
        rewardkit::testing::message_of([&] { rewardkit::BradleyTerryScorer::load(broken.path().string(), cpu_fp32_options()); });
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("\"model.layers.0.mlp.down_proj.weight\" holds 1 non-finite value"), std::string::npos)
        << what;
  }
}

// One loaded scorer used from several threads at once gives the serial results (the API
// promises that score() is const and shares no mutable state).
TEST(Scoring, ConcurrentScoringMatchesSerial) {
  auto rm = rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options(), small_batches());
  auto lm = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches());
  const auto batch = samples("chat");
  const auto rm_serial = rm->score(batch).values;
  const auto lm_serial = lm->score(batch).values;
  std::vector<std::vector<float>> rm_got(4), lm_got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 3; ++repeat) {
        rm_got[t] = rm->score(batch).values;
        lm_got[t] = lm->score(batch).values;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_EQ(rm_got[t].size(), rm_serial.size());
    for (size_t i = 0; i < rm_serial.size(); ++i) {
      EXPECT_NEAR(rm_got[t][i], rm_serial[i], 1e-5) << "thread " << t << " sample " << i;
      EXPECT_NEAR(lm_got[t][i], lm_serial[i], 1e-5) << "thread " << t << " sample " << i;
    }
  }
}

}  // namespace

namespace {

// Follow-up likelihood: log p(positive follow-up) - log p(negative follow-up), each a user turn
// after the conversation; against transformers (sums of n log-probs: n * 1e-4 each).
TEST(LogLikelihood, FollowUpRewardsMatchTransformers) {
  const json& expected = fixture()["follow_up"];
  auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches());
  const auto batch = samples("chat");
  const auto r = scorer->score_follow_ups(batch, expected["positive"], expected["negative"]);
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& e = expected["lm_strong"][batch[i].id];
    const double tokens = e["positive_tokens"].get<double>() + e["negative_tokens"].get<double>();
    EXPECT_NEAR(r.reward(i), e["reward"].get<double>(), 1e-4 * tokens) << batch[i].id;
    EXPECT_EQ(r.details[i].response_tokens, e["positive_tokens"].get<int64_t>()) << batch[i].id;
  }
  EXPECT_THROW(scorer->score_follow_ups(samples("raw"), "a", "b"), rewardkit::Error);
}

}  // namespace

// Best-of-N: candidates for one prompt share its keys and values (ScoringOptions::share_prompts).
// Their rewards and per-token log-probs equal unshared scoring within batch_tolerance (the
// prompt's keys come from other GEMM rows), in input order, with a sample of another prompt between them and a
// budget small enough to split a group's responses over several micro-batches.
TEST(PromptSharing, BestOfNScoresEqualUnsharedScores) {
  using rewardkit::ChatMessage;
  std::vector<Sample> batch;
  const std::vector<ChatMessage> question = {{"system", "You are a careful math tutor."},
                                             {"user", "What is 17 times 3? Show your steps."}};
  const char* replies[] = {"17 x 3 = 51.", "We add 17 three times: 17 + 17 = 34, 34 + 17 = 51. \\boxed{51}",
                           "It is 41.", "", "Three times seventeen is fifty-one, so the answer is 51."};
  for (size_t k = 0; k < std::size(replies); ++k) {
    auto m = question;
    m.push_back({"assistant", replies[k]});
    batch.push_back(Sample::conversation(m, "candidate" + std::to_string(k)));
    if (k == 1) batch.push_back(Sample::conversation({{"user", "Hi"}, {"assistant", "Hello!"}}, "other"));
  }
  rewardkit::ScoringOptions shared = small_batches(), unshared = small_batches();
  shared.max_batch_tokens = unshared.max_batch_tokens = 160;
  unshared.share_prompts = false;
  auto expect_equal = [&](const rewardkit::ScoreResult& a, const rewardkit::ScoreResult& b, int models) {
    ASSERT_EQ(a.details.size(), batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_NEAR(a.reward(i), b.reward(i), batch_tolerance(reward_magnitude(b, i, models))) << batch[i].id;
      ASSERT_EQ(a.details[i].token_logprobs.size(), b.details[i].token_logprobs.size()) << batch[i].id;
      for (size_t t = 0; t < a.details[i].token_logprobs.size(); ++t)
        EXPECT_NEAR(a.details[i].token_logprobs[t], b.details[i].token_logprobs[t],
                    batch_tolerance(b.details[i].token_logprobs[t]))
            << batch[i].id << " token " << t;
    }
  };
  {
    auto a = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), shared);
    auto b = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), unshared);
    expect_equal(a->score(batch), b->score(batch), 1);
  }
  {
    auto a = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), shared);
    auto b = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(), unshared);
    expect_equal(a->score(batch), b->score(batch), 2);
  }
}
