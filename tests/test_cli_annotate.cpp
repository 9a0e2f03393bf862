// `rewardkit annotate`: DPO pairs from candidates, best-vs-worst and CRew-DPO top-K, worked by
// hand on given rewards, and with --method on the fixture reward model (rewards equal the
// library's). Bad records are errors by line, or error lines in order with --skip-errors.
#include <gtest/gtest.h>

#include "rewardkit/bradley_terry.hpp"
#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

namespace {

json candidate(const std::string& response, double reward, bool correct) {
  return {{"response", response}, {"reward", reward}, {"correct", correct}};
}

std::string jsonl(const std::vector<json>& records) {
  std::string out;
  for (const json& r : records) out += r.dump() + "\n";
  return out;
}

}  // namespace

TEST(CliAnnotate, BestVersusWorstByGivenReward) {
  const std::vector<json> in = {
      {{"id", "a"}, {"prompt", "p1"},
       {"candidates", {candidate("x", 0.1, true), candidate("y", 0.9, false), candidate("z", -0.3, true)}}},
      // All rewards equal: no pair, said on stderr.
      {{"id", "b"}, {"prompt", "p2"}, {"candidates", {candidate("u", 1.0, true), candidate("v", 1.0, false)}}},
      // A message-list prompt gives TRL conversational pairs.
      {{"id", "c"},
       {"prompt", {{{"role", "user"}, {"content", "p3"}}}},
       {"candidates", {candidate("s", 2.0, true), candidate("t", 3.0, false)}}},
  };
  const CliResult r = run_cli("annotate", jsonl(in));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["id"], "a");
  EXPECT_EQ(out[0]["prompt"], "p1");
  EXPECT_EQ(out[0]["chosen"], "y");
  EXPECT_EQ(out[0]["rejected"], "z");
  EXPECT_FLOAT_EQ(out[0]["chosen_reward"].get<float>(), 0.9f);
  EXPECT_FLOAT_EQ(out[0]["rejected_reward"].get<float>(), -0.3f);
  EXPECT_EQ(out[0]["chosen_correct"], false);
  EXPECT_EQ(out[1]["id"], "c");
  EXPECT_EQ(out[1]["prompt"], json::parse(R"([{"role": "user", "content": "p3"}])"));
  EXPECT_EQ(out[1]["chosen"], json::parse(R"([{"role": "assistant", "content": "t"}])"));
  EXPECT_EQ(out[1]["rejected"], json::parse(R"([{"role": "assistant", "content": "s"}])"));
  EXPECT_NE(r.err.find("<stdin>:2: no pair: the reward gap 0 is not above --min-gap 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 pairs from 3 prompts (1 without a pair, 0 with errors)"), std::string::npos) << r.err;
}

TEST(CliAnnotate, CrewDpoKeepsTheLargestCorrectOverIncorrectGaps) {
  // correct 0 (0.9) and 2 (0.4); incorrect 1 (0.1) and 3 (0.8). Gaps: (0,1) 0.8, (2,1) 0.3,
  // (0,3) 0.1, (2,3) -0.4 (never a pair: the correct one scores lower).
  const json rec = {{"prompt", "p"},
                    {"candidates", {candidate("c0", 0.9, true), candidate("w1", 0.1, false), candidate("c2", 0.4, true),
                                    candidate("w3", 0.8, false)}}};
  auto pairs = [&](const std::string& flags) {
    const CliResult r = run_cli("annotate --pairs crew-dpo " + flags, rec.dump() + "\n");
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<std::pair<std::string, std::string>> out;
    for (const json& p : json_lines(r.out)) out.emplace_back(p["chosen"], p["rejected"]);
    return out;
  };
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(pairs(""), (P{{"c0", "w1"}}));
  EXPECT_EQ(pairs("--top-k 2"), (P{{"c0", "w1"}, {"c2", "w1"}}));
  EXPECT_EQ(pairs("--top-k 9"), (P{{"c0", "w1"}, {"c2", "w1"}, {"c0", "w3"}}));
  EXPECT_EQ(pairs("--top-k 9 --min-gap 0.2"), (P{{"c0", "w1"}, {"c2", "w1"}}));
}

TEST(CliAnnotate, ScoresWithAMethodAsTheLibraryDoes) {
  const std::vector<std::string> responses = {"4", "It is 4.", "5", "22"};
  json cands = json::array();
  for (const std::string& r : responses) cands.push_back({{"response", r}});
  const json rec = {{"id", 7}, {"prompt", "What is 2+2?"}, {"candidates", cands}};
  const fs::path rm = fixtures_dir() / "scorers" / "rm";
  const CliResult r = run_cli("annotate --method bt --device cpu --dtype float32 --quiet --model '" + rm.string() + "'",
                              rec.dump() + "\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  const rewardkit::LoadOptions o = rewardkit::testing::cpu_fp32_options();
  std::vector<rewardkit::Sample> samples;
  for (const std::string& s : responses) samples.push_back(rewardkit::Sample::text("What is 2+2?", s));
  const auto want = rewardkit::BradleyTerryScorer::load(rm.string(), o)->score(samples).values;
  const auto best = std::max_element(want.begin(), want.end()) - want.begin();
  const auto worst = std::min_element(want.begin(), want.end()) - want.begin();
  EXPECT_EQ(out[0]["chosen_index"], best);
  EXPECT_EQ(out[0]["rejected_index"], worst);
  EXPECT_EQ(out[0]["chosen"], responses[best]);
  EXPECT_NEAR(out[0]["chosen_reward"].get<double>(), want[best], 1e-5);
  EXPECT_NEAR(out[0]["rejected_reward"].get<double>(), want[worst], 1e-5);
  EXPECT_FALSE(out[0].contains("chosen_correct"));  // no labels given
}

TEST(CliAnnotate, BadRecordsByLine) {
  const std::string good = json{{"prompt", "p"}, {"candidates", {candidate("a", 1, true), candidate("b", 0, false)}}}.dump();
  const std::string no_reward = R"({"prompt": "p", "candidates": [{"response": "a", "correct": true}, {"response": "b", "correct": false}]})";
  const std::string no_label = R"({"prompt": "p", "candidates": [{"response": "a", "reward": 1}, {"response": "b", "reward": 0}]})";
  const std::string input = good + "\n" + no_reward + "\n[1, 2\n" + good + "\n";
  CliResult r = run_cli("annotate", input);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("<stdin>:3: not valid JSON"), std::string::npos) << r.err;
  r = run_cli("annotate --skip-errors", input);
  EXPECT_EQ(r.status, 3) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 4u);  // in input order: pair, error, error, pair
  EXPECT_EQ(out[0]["chosen"], "a");
  EXPECT_EQ(out[1]["line"], 2);
  EXPECT_NE(out[1]["error"].get<std::string>().find("candidates[0] has no \"reward\"; give --method"),
            std::string::npos);
  EXPECT_EQ(out[2]["line"], 3);
  EXPECT_TRUE(out[2].contains("error"));
  EXPECT_EQ(out[3]["line"], 4);
  // CRew-DPO needs the correctness labels.
  r = run_cli("annotate --pairs crew-dpo", no_label + "\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("<stdin>:1: candidates[0] has no \"correct\""), std::string::npos) << r.err;
  // --top-k belongs to crew-dpo.
  r = run_cli("annotate --top-k 2", good + "\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("applies to --pairs crew-dpo only"), std::string::npos) << r.err;
  // A model flag without --method is refused before anything is read.
  r = run_cli("annotate --model /nonexistent", good + "\n");
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("needs --method"), std::string::npos) << r.err;
}
