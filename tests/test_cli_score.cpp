// `rewardkit score` end to end on the committed scorer fixtures (tests/fixtures/scorers): the
// rewards the CLI prints equal the library's (the same Scorer, options and batch, called here)
// and the transformers values of expected.json within test_scorers.cpp's tolerances; ids and
// line numbers are carried; bad lines and bad flags are clear errors, and with --skip-errors
// every input line still gets exactly one output line.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "rewardkit/bradley_terry.hpp"
#include "rewardkit/confidence.hpp"
#include "rewardkit/density_ratio.hpp"
#include "rewardkit/log_likelihood.hpp"
#include "cli_runner.hpp"
#include "scorer_fixture.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

namespace {

using rewardkit::testing::cpu_fp32_options;

const fs::path& scorers() { return scorer_fixture_dir(); }
std::string model(const char* name) { return "'" + (scorers() / name).string() + "'"; }
std::string model_dir(const char* name) { return (scorers() / name).string(); }
const json& fixture() { return scorer_fixture(); }

// The fixture's samples of one kind, as the library's Samples and as the CLI's JSONL input.
struct Batch {
  std::vector<rewardkit::Sample> samples;
  std::string jsonl;
};

Batch batch(const std::string& kind) {
  Batch b;
  for (auto& f : fixture_samples(kind)) {
    b.samples.push_back(std::move(f.sample));
    b.jsonl += f.record.dump() + "\n";
  }
  return b;
}

std::string id_of(const Batch& b, size_t i) {
  size_t n = 0;
  std::istringstream in(b.jsonl);
  std::string line;
  while (std::getline(in, line))
    if (n++ == i) return json::parse(line)["id"];
  return "";
}

rewardkit::ScoringOptions small_batches() {
  rewardkit::ScoringOptions o;
  o.max_batch_tokens = 96;
  return o;
}

// The CLI flags matching cpu_fp32_options() and small_batches().
const std::string kCommon = " --device cpu --dtype float32 --threads 2 --batch-tokens 96 ";

// Every line's reward equals the library's, ids and lines are carried, token counts agree.
void expect_same_as_library(const std::vector<json>& got, const rewardkit::ScoreResult& want, const Batch& b) {
  ASSERT_EQ(got.size(), b.samples.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(id_of(b, i));
    EXPECT_EQ(got[i]["id"], id_of(b, i));
    EXPECT_EQ(got[i]["line"], i + 1);
    if (want.columns == 1) {
      ASSERT_TRUE(got[i]["reward"].is_number()) << got[i];
      EXPECT_NEAR(got[i]["reward"].get<double>(), want.reward(i), 1e-6);
      EXPECT_FALSE(got[i].contains("labels"));
    } else {
      ASSERT_TRUE(got[i]["reward"].is_array()) << got[i];
      ASSERT_EQ(got[i]["reward"].size(), static_cast<size_t>(want.columns));
      for (int64_t c = 0; c < want.columns; ++c)
        EXPECT_NEAR(got[i]["reward"][c].get<double>(), want.reward(i, static_cast<size_t>(c)), 1e-6);
      EXPECT_EQ(got[i]["labels"], json(want.labels));
    }
    const auto& d = want.details[i];
    EXPECT_EQ(got[i]["prompt_tokens"], d.prompt_tokens);
    EXPECT_EQ(got[i]["response_tokens"], d.response_tokens);
    EXPECT_EQ(got[i]["truncated_tokens"], d.truncated_tokens);
  }
}

}  // namespace

TEST(CliScore, BradleyTerryMatchesLibraryAndTransformers) {
  const Batch b = batch("chat");
  for (const char* name : {"rm", "rm3"}) {
    SCOPED_TRACE(name);
    CliResult r = run_cli("score --method bt --model " + model(name) + kCommon, b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    const auto want = rewardkit::BradleyTerryScorer::load(model_dir(name), cpu_fp32_options(), small_batches())->score(b.samples);
    expect_same_as_library(got, want, b);
    const json& expected = fixture()["bradley_terry"][name];
    const int64_t labels = fixture()["models"][name]["num_labels"];
    for (size_t i = 0; i < got.size(); ++i) {
      const json& e = expected[id_of(b, i)];
      EXPECT_EQ(got[i]["response_tokens"], e["ids"].size());
      for (int64_t c = 0; c < labels; ++c) {
        const double v = labels == 1 ? got[i]["reward"].get<double>() : got[i]["reward"][c].get<double>();
        EXPECT_NEAR(v, e["scores"][c].get<double>(), 1e-4) << id_of(b, i) << " column " << c;
      }
    }
    if (labels > 1) EXPECT_EQ(got[0]["labels"], json({"helpfulness", "correctness", "safety"}));
  }
}

TEST(CliScore, DensityRatioMatchesLibraryAndTransformers) {
  const Batch b = batch("chat");
  for (bool mean : {false, true}) {
    SCOPED_TRACE(mean ? "mean" : "sum");
    CliResult r = run_cli("score --method density-ratio --strong " + model("lm_strong") + " --weak " +
                              model("lm_weak") + (mean ? " --mean" : "") + kCommon,
                          b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    rewardkit::DensityRatioOptions ratio;
    if (mean) ratio.reduction = rewardkit::LogRatioReduction::mean;
    const auto want = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(),
                                                          small_batches(), ratio)
                          ->score(b.samples);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i) {
      const json& e = fixture()["derived"][id_of(b, i)];
      const double n = e["num_response_tokens"];
      EXPECT_EQ(got[i]["response_tokens"], e["num_response_tokens"]);
      if (mean)
        EXPECT_NEAR(got[i]["reward"].get<double>(), e["density_ratio_mean"].get<double>(), 2e-4) << id_of(b, i);
      else
        EXPECT_NEAR(got[i]["reward"].get<double>(), e["density_ratio"].get<double>(), 2e-4 * n) << id_of(b, i);
      EXPECT_FALSE(got[i].contains("token_logprobs"));
    }
  }
}

TEST(CliScore, DpoWithAndWithoutReferenceMatchesLibrary) {
  const Batch b = batch("chat");
  {
    CliResult r = run_cli("score --method dpo --policy " + model("lm_strong") + " --reference " + model("lm_weak") +
                              " --beta 0.1" + kCommon,
                          b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    const auto want = rewardkit::DensityRatioScorer::load_dpo(model_dir("lm_strong"), model_dir("lm_weak"), 0.1,
                                                              cpu_fp32_options(), small_batches())
                          ->score(b.samples);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i) {
      const json& e = fixture()["derived"][id_of(b, i)];
      EXPECT_NEAR(got[i]["reward"].get<double>(), e["dpo"]["0.1"].get<double>(),
                  2e-4 * 0.1 * e["num_response_tokens"].get<double>());
    }
  }
  using rewardkit::LogRatioReduction;
  for (auto [mode, key] : {std::pair{LogRatioReduction::mean, "avg"}, {LogRatioReduction::sum, "sum"},
                           {LogRatioReduction::norm, "norm"}}) {
    SCOPED_TRACE(key);
    CliResult r = run_cli(
        "score --method dpo --policy " + model("lm_strong") + " --ref-free " + key + " --token-logprobs" + kCommon,
        b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    const auto want =
        rewardkit::DensityRatioScorer::load_reference_free(model_dir("lm_strong"), mode, cpu_fp32_options(), small_batches())
            ->score(b.samples);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i) {
      const json& e = fixture()["derived"][id_of(b, i)];
      EXPECT_NEAR(got[i]["reward"].get<double>(), e["dpo_ref_free"][key].get<double>(),
                  1e-4 * e["num_response_tokens"].get<double>());
      ASSERT_EQ(got[i]["token_logprobs"].size(), want.details[i].token_logprobs.size());
      for (size_t k = 0; k < want.details[i].token_logprobs.size(); ++k)
        EXPECT_NEAR(got[i]["token_logprobs"][k].get<double>(), want.details[i].token_logprobs[k], 1e-6);
    }
  }
}

TEST(CliScore, LogprobOnRawTextAndChatMatchesLibrary) {
  {
    const Batch b = batch("raw");
    CliResult r = run_cli("score --method logprob --token-logprobs --model " + model("lm_base") + kCommon, b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    const auto want =
        rewardkit::LogLikelihoodScorer::load(model_dir("lm_base"), cpu_fp32_options(), small_batches())->score(b.samples);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i) {
      const json& e = fixture()["log_likelihood"]["lm_base"][id_of(b, i)];
      EXPECT_EQ(got[i]["prompt_tokens"], e["prompt_ids"].size());
      ASSERT_EQ(got[i]["token_logprobs"].size(), e["response_logprobs"].size());
      for (size_t k = 0; k < e["response_logprobs"].size(); ++k)
        EXPECT_NEAR(got[i]["token_logprobs"][k].get<double>(), e["response_logprobs"][k].get<double>(), 1e-4);
      EXPECT_NEAR(got[i]["reward"].get<double>(), e["sum"].get<double>(),
                  1e-4 * static_cast<double>(e["response_logprobs"].size()));
    }
  }
  {
    const Batch b = batch("chat");
    CliResult r = run_cli("score --method logprob --mean --model " + model("lm_strong") + kCommon, b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    rewardkit::LogLikelihoodOptions mean;
    mean.mean = true;
    const auto want =
        rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches(), mean)->score(b.samples);
    const auto got = json_lines(r.out);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i]["reward"].get<double>(),
                  fixture()["log_likelihood"]["lm_strong"][id_of(b, i)]["mean"].get<double>(), 1e-4);
  }
}

TEST(CliScore, ConfidenceMatchesLibraryAndTransformers) {
  const Batch b = batch("chat");
  struct Case {
    const char* flags;
    const char* locator;
    const char* key;
    rewardkit::ConfidenceAggregation aggregation;
  };
  using rewardkit::ConfidenceAggregation;
  for (const Case& c : {Case{"", "boxed", "mean_prob", ConfidenceAggregation::mean_probability},
                        Case{" --locator answer-is --aggregation geometric --no-answer-reward -7", "answer_is",
                             "geometric_mean", ConfidenceAggregation::geometric_mean},
                        Case{" --locator boxed --aggregation mean-logprob --no-answer-reward -7", "boxed",
                             "mean_logprob", ConfidenceAggregation::mean_logprob}}) {
    SCOPED_TRACE(c.flags);
    CliResult r = run_cli(std::string("score --method confidence --model ") + model("lm_strong") + c.flags + kCommon,
                          b.jsonl);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto got = json_lines(r.out);
    rewardkit::ConfidenceOptions options;
    options.locator = std::string(c.locator) == "boxed" ? rewardkit::boxed_answer() : rewardkit::answer_is_answer();
    options.aggregation = c.aggregation;
    options.no_answer_reward = std::string(c.flags).empty() ? 0.0f : -7.0f;
    const auto want =
        rewardkit::ConfidenceScorer::load(model_dir("lm_strong"), cpu_fp32_options(), small_batches(), options)->score(b.samples);
    expect_same_as_library(got, want, b);
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(id_of(b, i));
      const json& e = fixture()["confidence"]["lm_strong"][id_of(b, i)]["locators"][c.locator];
      ASSERT_EQ(got[i]["answer_found"], e["found"]);
      if (!e["found"].get<bool>()) {
        EXPECT_TRUE(got[i]["answer"].is_null());
        EXPECT_EQ(got[i]["answer_tokens"], 0);
        EXPECT_EQ(got[i]["reward"].get<double>(), options.no_answer_reward);
        continue;
      }
      EXPECT_EQ(got[i]["answer"], e["answer"]);
      EXPECT_EQ(got[i]["answer_tokens"], e["token_indices"].size());
      const double want_value = e[c.key];
      const double tol = c.aggregation == ConfidenceAggregation::mean_logprob ? 1e-4 : 1e-3 * std::abs(want_value);
      EXPECT_NEAR(got[i]["reward"].get<double>(), want_value, tol);
    }
  }
  // A regular-expression locator and an invalid one.
  CliResult r = run_cli("score --method confidence --locator 'regex:=\\s*(\\d+)' --model " + model("lm_strong") + kCommon,
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"9+3?\"}, {\"role\": \"assistant\", "
                        "\"content\": \"9 + 3 = 12\"}]}\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).at(0)["answer"], "12");
  r = run_cli("score --method confidence --locator 'regex:(' --model " + model("lm_strong") + kCommon, "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--locator"), std::string::npos) << r.err;
}

TEST(CliScore, LineNumberWithoutIdAndReasoningContent) {
  CliResult r = run_cli("score --method bt --model " + model("rm") + kCommon,
                        "{\"prompt\": \"What is 2+2?\", \"response\": \"4\"}\n\n"
                        "{\"id\": 7, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": "
                        "\"assistant\", \"content\": \"Hello\", \"reasoning_content\": null}]}\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].contains("id"));
  EXPECT_EQ(got[0]["line"], 1);
  EXPECT_EQ(got[1]["id"], 7);
  EXPECT_EQ(got[1]["line"], 3) << "blank lines count, as in the other commands";
  // A raw prompt/response is a user and an assistant message when there is a template.
  const auto want = rewardkit::BradleyTerryScorer::load(model_dir("rm"), cpu_fp32_options(), small_batches())
                        ->score({rewardkit::Sample::conversation({{"user", "What is 2+2?"}, {"assistant", "4"}}),
                                 rewardkit::Sample::conversation({{"user", "Hi"}, {"assistant", "Hello"}})});
  EXPECT_NEAR(got[0]["reward"].get<double>(), want.reward(0), 1e-6);
  EXPECT_NEAR(got[1]["reward"].get<double>(), want.reward(1), 1e-6);
}

namespace {

// Good lines 1 and 6; lines 2-5 and 7-9 are bad in different ways.
const std::string kMixed =
    "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
    "\"content\": \"Hello\"}]}\n"
    "{not json\n"
    "{\"id\": \"c\", \"prompt\": \"only a prompt\"}\n"
    "{\"id\": \"d\", \"prompt\": \"p\", \"response\": 5}\n"
    "{\"id\": \"e\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
    "\"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"And?\"}]}\n"
    "{\"id\": \"f\", \"prompt\": \"What is 2+2?\", \"response\": \"4\"}\n"
    "[1, 2]\n"
    "{\"id\": \"h\", \"messages\": [{\"role\": \"user\", \"content\": 3}, {\"role\": \"assistant\", \"content\": "
    "\"x\"}]}\n"
    "{\"id\": \"i\"}\n";

}  // namespace

TEST(CliScore, SkipErrorsKeepsOneLinePerInput) {
  for (const char* chunk : {"", " --chunk-lines 2"}) {
    SCOPED_TRACE(chunk);
    CliResult r = run_cli("score --method bt --skip-errors --model " + model("rm") + kCommon + chunk, kMixed);
    EXPECT_EQ(r.status, 3) << r.err;
    const auto got = json_lines(r.out);
    ASSERT_EQ(got.size(), 9u);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]["line"], i + 1);
      const bool good = i == 0 || i == 5;
      EXPECT_EQ(got[i].contains("reward"), good) << got[i];
      EXPECT_EQ(got[i].contains("error"), !good) << got[i];
      if (!good) EXPECT_EQ(got[i].size(), 2u) << "error records are {line, error}: " << got[i];
    }
    EXPECT_EQ(got[0]["id"], "a");
    EXPECT_EQ(got[5]["id"], "f");
    EXPECT_NE(got[1]["error"].get<std::string>().find("not valid JSON"), std::string::npos) << got[1];
    EXPECT_NE(got[2]["error"].get<std::string>().find("\"response\""), std::string::npos) << got[2];
    EXPECT_NE(got[3]["error"].get<std::string>().find("must be a string"), std::string::npos) << got[3];
    EXPECT_NE(got[4]["error"].get<std::string>().find("\"assistant\""), std::string::npos) << got[4];
    EXPECT_NE(got[6]["error"].get<std::string>().find("object"), std::string::npos) << got[6];
    EXPECT_NE(got[7]["error"].get<std::string>().find("messages[0].content"), std::string::npos) << got[7];
    EXPECT_NE(got[8]["error"].get<std::string>().find("missing field"), std::string::npos) << got[8];
    EXPECT_NE(r.err.find("<stdin>:5:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("7 of 9 records had errors"), std::string::npos) << r.err;
  }
}

// A 100 MB line (a runaway record, or a file that is not JSON Lines) is one bad record: its
// error says how long it is, memory stays bounded, and the records after it are scored.
TEST(CliScore, HugeLineIsOneBadRecordAndTheRestAreScored) {
  const std::string good = R"({"id": "g", "prompt": "What is 2+2?", "response": "4"})";
  const std::string huge = "{\"prompt\": \"" + std::string(size_t{100} << 20, 'x') + "\"}";
  const std::string expected_error = std::to_string(huge.size()) + " bytes long, over the limit of 67108864 bytes";
  std::string input = good + "\n" + huge + "\n" + good + "\n";
  CliResult r = run_cli("score --method bt --skip-errors --model " + model("rm") + kCommon, input);
  input.clear();
  EXPECT_EQ(r.status, 3) << r.err;
  const auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), 3u) << r.err;
  EXPECT_TRUE(got[0].contains("reward")) << got[0];
  EXPECT_EQ(got[1]["line"], 2);
  EXPECT_NE(got[1]["error"].get<std::string>().find(expected_error),
            std::string::npos) << got[1];
  EXPECT_TRUE(got[2].contains("reward")) << got[2];
  // The same record, another row of the batch: equal up to GEMM rounding by row position.
  EXPECT_NEAR(got[2]["reward"].get<double>(), got[0]["reward"].get<double>(),
              batch_tolerance(got[0]["reward"].get<double>()));
}

TEST(CliScore, BadLineStopsWithItsNumberAfterTheLinesBefore) {
  TempDir d;
  write_text(d.path() / "in.jsonl", kMixed);
  CliResult r = run_cli("score --method bt --model " + model("rm") + kCommon + " --input '" +
                            (d.path() / "in.jsonl").string() + "'",
                        "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.status, 3);
  EXPECT_NE(r.err.find((d.path() / "in.jsonl").string() + ":2: not valid JSON"), std::string::npos) << r.err;
  const auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), 1u) << "the lines before the bad one are written";
  EXPECT_EQ(got[0]["id"], "a");
  // A messages sample whose last role is not the assistant's.
  r = run_cli("score --method bt --model " + model("rm") + kCommon,
              "{\"prompt\": \"a\", \"response\": \"b\"}\n"
              "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n{\"prompt\": \"a\", \"response\": \"b\"}\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("<stdin>:2: the last message"), std::string::npos) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 1u);
}

TEST(CliScore, AFailingSampleOnlyAffectsItsLine) {
  // multi_turn is longer than 30 tokens, the others of the batch are not.
  const Batch b = batch("chat");
  rewardkit::LoadOptions short_limit = cpu_fp32_options();
  short_limit.max_length = 30;
  const auto scorer = rewardkit::LogLikelihoodScorer::load(model_dir("lm_strong"), short_limit, small_batches());
  std::vector<size_t> fit, too_long;
  for (size_t i = 0; i < b.samples.size(); ++i) {
    try {
      scorer->score({b.samples[i]});
      fit.push_back(i);
    } catch (const rewardkit::Error&) {
      too_long.push_back(i);
    }
  }
  ASSERT_FALSE(fit.empty());
  ASSERT_FALSE(too_long.empty());
  const std::string flags = "score --method logprob --max-length 30 --model " + model("lm_strong") + kCommon;
  CliResult r = run_cli(flags + " --skip-errors", b.jsonl);
  EXPECT_EQ(r.status, 3) << r.err;
  const auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), b.samples.size());
  for (size_t i : too_long) {
    EXPECT_EQ(got[i]["line"], i + 1);
    EXPECT_NE(got[i]["error"].get<std::string>().find("longer than the model's limit of 30"), std::string::npos)
        << got[i];
    EXPECT_EQ(got[i]["error"].get<std::string>().find("sample 0"), std::string::npos) << got[i];
  }
  for (size_t i : fit) {
    const auto want = scorer->score({b.samples[i]});
    EXPECT_EQ(got[i]["id"], id_of(b, i));
    EXPECT_NEAR(got[i]["reward"].get<double>(), want.reward(0), 1e-5) << got[i];
  }
  // Without --skip-errors: the lines before the first long one, then the error.
  r = run_cli(flags, b.jsonl);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(fmt::format("<stdin>:{}:", too_long[0] + 1)), std::string::npos) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), too_long[0]);
  // With --truncate, prompt tokens are dropped instead (where the response fits).
  r = run_cli(flags + " --truncate --skip-errors", b.jsonl);
  const auto truncated = json_lines(r.out);
  ASSERT_EQ(truncated.size(), b.samples.size());
  int64_t dropped = 0;
  for (const auto& t : truncated)
    if (t.contains("truncated_tokens")) dropped += t["truncated_tokens"].get<int64_t>();
  EXPECT_GT(dropped, 0);
}

TEST(CliScore, CriteriaFileRoutesByDomain) {
  TempDir d;
  write_text(d.path() / "criteria.json",
             R"({"math": {"system_prompt": "Judge the arithmetic.", "exemplars": [{"prompt": "1+1?", "response": "2"}]}, "": {}})");
  const Batch b = batch("chat");
  std::vector<rewardkit::Sample> samples = b.samples;
  std::string jsonl;
  std::istringstream in(b.jsonl);
  std::string line;
  for (size_t i = 0; std::getline(in, line); ++i) {
    json rec = json::parse(line);
    if (i % 2 == 0) {
      rec["domain"] = "math";
      samples[i].domain = "math";
    }
    jsonl += rec.dump() + "\n";
  }
  CliResult r = run_cli("score --method density-ratio --strong " + model("lm_strong") + " --weak " + model("lm_weak") +
                            " --criteria '" + (d.path() / "criteria.json").string() + "'" + kCommon,
                        jsonl);
  ASSERT_EQ(r.status, 0) << r.err;
  rewardkit::DensityRatioOptions options;
  options.domains["math"] = {"Judge the arithmetic.", {{"1+1?", "2"}}};
  options.domains[""] = {};
  const auto want = rewardkit::DensityRatioScorer::load(model_dir("lm_strong"), model_dir("lm_weak"), cpu_fp32_options(),
                                                        small_batches(), options)
                        ->score(samples);
  expect_same_as_library(json_lines(r.out), want, b);
}

TEST(CliScore, MissingOrContradictoryModelFlagsAreClearErrors) {
  const std::string rm = model("rm"), lm = model("lm_strong"), weak = model("lm_weak");
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"score --model " + rm, "--method"},
           {"score --method bt", "needs --model"},
           {"score --method bradley-terry --model " + rm, "--method"},
           {"score --method bt --strong " + lm + " --model " + rm, "does not take --strong"},
           {"score --method bt --mean --model " + rm, "does not take --mean"},
           {"score --method bt --token-logprobs --model " + rm, "does not take --token-logprobs"},
           {"score --method logprob --locator boxed --model " + lm, "does not take --locator"},
           {"score --method density-ratio --strong " + lm, "needs --weak"},
           {"score --method density-ratio --model " + lm, "does not take --model"},
           {"score --method dpo --policy " + lm, "--reference DIR or --ref-free"},
           {"score --method dpo --reference " + weak, "needs --policy"},
           {"score --method dpo --policy " + lm + " --reference " + weak + " --ref-free avg", "contradict"},
           {"score --method dpo --policy " + lm + " --ref-free sum --beta 0.1", "--beta"},
           {"score --method dpo --policy " + lm + " --ref-free mean", "--ref-free"},
           {"score --method dpo --policy " + lm + " --reference " + weak + " --mean", "does not take --mean"},
           {"score --method confidence --model " + lm + " --aggregation median", "--aggregation"},
           {"score --method confidence --model " + lm + " --locator boxes", "--locator"},
           {"score --method bt --model " + lm, "sequence classifier"},
           {"score --method logprob --model " + rm, "causal LM"},
           {"score --method bt --model /nonexistent/dir", "config.json"},
           {"score --method bt --model " + rm + " --batch-tokens 0", "--batch-tokens"},
           {"score --method bt --model " + rm + " --chat-vars '[1]'", "--chat-vars"},
       }) {
    SCOPED_TRACE(c.args);
    CliResult r = run_cli(c.args, "{\"prompt\": \"a\", \"response\": \"b\"}\n");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.status, 3);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliScore, ConversationWithoutChatTemplateIsALineError) {
  CliResult r = run_cli("score --method logprob --skip-errors --model " + model("lm_base") + kCommon,
                        "{\"prompt\": \"Hello\", \"response\": \" world\"}\n"
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
                        "\"content\": \"Hello\"}]}\n");
  EXPECT_EQ(r.status, 3);
  const auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].contains("reward"));
  EXPECT_NE(got[1]["error"].get<std::string>().find("no chat template"), std::string::npos) << got[1];
}

// SIGINT mid-run: the records before it are written whole, numbered from 1 without a gap, and
// the exit status says the run was interrupted.
TEST(CliScore, InterruptLeavesACompletePrefix) {
  TempDir d;
  std::string input;
  const int total = 40000;
  for (int i = 0; i < total; ++i) input += R"({"prompt": "What is 2+2?", "response": "It is 4."})" "\n";
  write_text(d.path() / "in.jsonl", input);
  // One SIGINT to the process itself after 2 s (GNU timeout would signal it twice: directly and
  // through its process group, and the second signal kills by design).
  const std::string cmd = std::string("'") + REWARDKIT_CLI_PATH + "' score --method bt --quiet --chunk-lines 8 --model " +
                          model("rm") + kCommon + " --input '" + (d.path() / "in.jsonl").string() + "' > '" +
                          (d.path() / "out").string() + "' 2> '" + (d.path() / "err").string() +
                          "' & pid=$!; sleep 2; kill -INT $pid; wait $pid";
  const int raw = std::system(cmd.c_str());
  const int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  if (status == 0) GTEST_SKIP() << "all " << total << " records were scored before the signal came";
  EXPECT_EQ(status, 130) << read_text(d.path() / "err");
  const std::string out = read_text(d.path() / "out");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  const auto lines = json_lines(out);  // throws on a cut line
  for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(lines[i]["line"], i + 1);
  EXPECT_LT(lines.size(), static_cast<size_t>(total));
  EXPECT_NE(read_text(d.path() / "err").find("interrupted after"), std::string::npos);
}
