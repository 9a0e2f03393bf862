// `rewardkit logprobs` end to end: the real stories260K model and tokenizer, against the ids,
// log-probs and argmax transformers recorded (tolerance 1e-4 on log-probs, exact on ids).
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;

namespace {

fs::path stories() {
  fs::path a = shared_assets_dir();
  return a.empty() ? a : a / "stories260K";
}

}  // namespace

TEST(CliLogprobs, MatchesTransformersOnStories260K) {
  if (stories().empty()) GTEST_SKIP() << "../shared/assets/stories260K is absent";
  const auto ref = nlohmann::json::parse(read_text(fixtures_dir() / "stories260K" / "reference.json"));
  std::string input;
  for (auto& t : ref["texts"]) input += nlohmann::json{{"text", t["text"]}}.dump() + "\n";
  CliResult r = run_cli("logprobs --device cpu --dtype float32 --model '" + stories().string() + "'", input);
  ASSERT_EQ(r.status, 0) << r.err;
  auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), ref["texts"].size());
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& want = ref["texts"][i];
    EXPECT_EQ(got[i]["ids"], want["ids"]) << want["text"];
    EXPECT_EQ(got[i]["top_ids"], want["top_ids"]) << want["text"];
    ASSERT_EQ(got[i]["logprobs"].size(), want["logprobs"].size());
    for (size_t k = 0; k < want["logprobs"].size(); ++k)
      EXPECT_NEAR(got[i]["logprobs"][k].get<double>(), want["logprobs"][k].get<double>(), 1e-4);
    EXPECT_EQ(got[i]["line"], i + 1);
  }
}

TEST(CliLogprobs, BadLineStopsWithItsNumber) {
  if (stories().empty()) GTEST_SKIP() << "../shared/assets/stories260K is absent";
  CliResult r = run_cli("logprobs --model '" + stories().string() + "'",
                        "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n{\"text\": \"never reached\"}\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("<stdin>:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"text\""), std::string::npos) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 1u) << "output before the bad line is complete";
}

TEST(CliLogprobs, SkipErrorsKeepsOneLinePerInput) {
  if (stories().empty()) GTEST_SKIP() << "../shared/assets/stories260K is absent";
  CliResult r = run_cli("logprobs --skip-errors --model '" + stories().string() + "'",
                        "{\"text\": \"one\"}\nnot json\n{\"text\": 5}\n{\"text\": \"four\", \"id\": \"x\"}\n");
  EXPECT_EQ(r.status, 3);
  auto got = json_lines(r.out);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[0].contains("ids"));
  EXPECT_TRUE(got[1].contains("error"));
  EXPECT_EQ(got[1]["line"], 2);
  EXPECT_TRUE(got[2].contains("error"));
  EXPECT_EQ(got[3]["id"], "x");
  EXPECT_NE(r.err.find("2 of 4 records had errors"), std::string::npos) << r.err;
}

TEST(CliLogprobs, ClearErrorsForBadOptions) {
  CliResult r = run_cli("logprobs --model /nonexistent/dir", "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  r = run_cli("logprobs --model '" + (fixtures_dir() / "tiny" / "llama_causal").string() + "' --device cuda:7", "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("cuda:7"), std::string::npos) << r.err;
  r = run_cli("logprobs", "");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}
