// `rewardkit eval` end to end on the committed Bradley-Terry fixture (tests/fixtures/scorers/rm):
// every input layout gives the library's rewards for the same texts; the subset, section and
// overall arithmetic is checked on pairs whose outcome is known; JSON arrays and gzip files read
// as JSON Lines do; bad records are reported by line, with and without --skip-errors; the real
// LLMBar files (RewardBench's Chat Hard subsets) go through the whole harness.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "rewardkit/bradley_terry.hpp"
#include "rewardkit/pairwise.hpp"
#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

namespace {

fs::path rm_dir() { return fixtures_dir() / "scorers" / "rm"; }
const std::string kEval = "eval --method bt --device cpu --dtype float32 --threads 2 --quiet --model ";

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// Library rewards, fp32, for (prompt, response) texts.
std::vector<float> library_rewards(const std::vector<std::pair<std::string, std::string>>& texts) {
  const rewardkit::LoadOptions o = rewardkit::testing::cpu_fp32_options();
  static const auto scorer = rewardkit::BradleyTerryScorer::load(rm_dir().string(), o);
  std::vector<rewardkit::Sample> samples;
  for (const auto& [p, r] : texts) samples.push_back(rewardkit::Sample::text(p, r));
  return scorer->score(samples).values;
}

const std::vector<std::string> kPrompts = {"What is 2+2?", "Name a color.", "Say hello.", "Count to three."};
const std::vector<std::vector<std::string>> kResponses = {
    {"4", "5", "It is 4.", "22"},
    {"Blue.", "Seven.", "Red, like a rose.", "No."},
    {"Hello!", "Goodbye.", "hi", "What?"},
    {"1, 2, 3.", "3, 2, 1.", "One two three", "Four."},
};

struct EvalRun {
  CliResult cli;
  json report;
  std::vector<json> scores;
};

EvalRun run_eval(const TempDir& d, const std::string& inputs, const std::string& extra = "") {
  EvalRun r;
  const fs::path report = d.path() / "report.json", scores = d.path() / "scores.jsonl";
  fs::remove(report);
  fs::remove(scores);
  r.cli = run_cli(kEval + q(rm_dir()) + " " + inputs + " --report " + q(report) + " --scores " + q(scores) + " " +
                  extra);
  if (fs::exists(report)) r.report = json::parse(read_text(report));
  if (fs::exists(scores)) r.scores = json_lines(read_text(scores));
  return r;
}

std::string jsonl(const std::vector<json>& records) {
  std::string out;
  for (const json& r : records) out += r.dump() + "\n";
  return out;
}

json message(const char* role, const std::string& content) { return {{"role", role}, {"content", content}}; }

// The same 4 pairs (response 0 chosen over response 1 of each prompt) in each pair layout.
std::vector<json> pairs_as(const std::string& layout) {
  std::vector<json> out;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const std::string &p = kPrompts[i], &c = kResponses[i][0], &r = kResponses[i][1];
    if (layout == "rewardbench") out.push_back({{"id", i}, {"prompt", p}, {"chosen", c}, {"rejected", r}, {"subset", "s"}});
    if (layout == "trl") out.push_back({{"prompt", p}, {"chosen", c}, {"rejected", r}});
    if (layout == "trl-conversational")
      out.push_back({{"prompt", {message("user", p)}}, {"chosen", {message("assistant", c)}},
                     {"rejected", {message("assistant", r)}}});
    if (layout == "trl-implicit")
      out.push_back({{"chosen", {message("user", p), message("assistant", c)}},
                     {"rejected", {message("user", p), message("assistant", r)}}});
  }
  return out;
}

double score_of(const json& report, const std::string& subset) {
  for (const json& s : report["subsets"])
    if (s["subset"] == subset) return s["score"];
  ADD_FAILURE() << "no subset " << subset << " in " << report.dump();
  return -1;
}

}  // namespace

TEST(CliEval, EveryPairLayoutGivesTheLibrarysRewards) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    for (int k : {0, 1}) texts.emplace_back(kPrompts[i], kResponses[i][k]);
  const std::vector<float> want = library_rewards(texts);
  double won = 0;
  for (size_t i = 0; i < kPrompts.size(); ++i) won += want[2 * i] > want[2 * i + 1];

  TempDir d;
  for (const char* layout : {"rewardbench", "trl", "trl-conversational", "trl-implicit"}) {
    SCOPED_TRACE(layout);
    write_text(d.path() / "pairs.jsonl", jsonl(pairs_as(layout)));
    const EvalRun r = run_eval(d, "--input " + q(d.path() / "pairs.jsonl"));
    ASSERT_EQ(r.cli.status, 0) << r.cli.err;
    const std::string format = std::string(layout) == "trl-implicit" ? "trl-conversational" : layout;
    EXPECT_EQ(r.report["inputs"][0]["format"], format);
    EXPECT_EQ(r.report["inputs"][0]["format_detected"], true);
    ASSERT_EQ(r.scores.size(), kPrompts.size());
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      // A string prompt is a user turn, as a message list is: the same tokens, the same reward
      // (batches differ from the library's, hence 1e-5).
      EXPECT_NEAR(r.scores[i]["rewards"][0].get<double>(), want[2 * i], 1e-5);
      EXPECT_NEAR(r.scores[i]["rewards"][1].get<double>(), want[2 * i + 1], 1e-5);
      EXPECT_EQ(r.scores[i]["line"], i + 1);
    }
    const std::string subset = std::string(layout) == "rewardbench" ? "s" : "pairs";  // else the file's name
    EXPECT_DOUBLE_EQ(score_of(r.report, subset), won / 4.0);
    EXPECT_EQ(r.report["rewardbench"], nullptr);
    EXPECT_NE(r.cli.out.find("| pairs | " + subset + " | pairwise accuracy | 4 |"), std::string::npos) << r.cli.out;
  }
}

TEST(CliEval, BestOfFourAndBestOfNFollowTheirRules) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    for (const std::string& resp : kResponses[i]) texts.emplace_back(kPrompts[i], resp);
  const std::vector<float> r = library_rewards(texts);
  std::vector<json> rb2, cand;
  double want_rb2 = 0, want_bon = 0, chance_bon = 0;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    // RewardBench 2: response i % 4 chosen, the other three rejected.
    const size_t chosen = i % 4;
    json rejected = json::array();
    std::vector<float> rejected_rewards;
    for (size_t k = 0; k < 4; ++k) {
      if (k == chosen) continue;
      rejected.push_back(kResponses[i][k]);
      rejected_rewards.push_back(r[4 * i + k]);
    }
    rb2.push_back({{"prompt", kPrompts[i]}, {"chosen", {kResponses[i][chosen]}}, {"rejected", rejected},
                   {"subset", i < 2 ? "Math" : "Focus"}});
    want_rb2 += rewardkit::best_of_4_score(r[4 * i + chosen], rejected_rewards);
    // Candidates: responses 0 and 2 correct.
    json c = json::array();
    std::vector<float> rewards;
    std::vector<bool> correct;
    for (size_t k = 0; k < 4; ++k) {
      c.push_back({{"response", kResponses[i][k]}, {"correct", k % 2 == 0}});
      rewards.push_back(r[4 * i + k]);
      correct.push_back(k % 2 == 0);
    }
    cand.push_back({{"id", fmt::format("c{}", i)}, {"prompt", kPrompts[i]}, {"candidates", c}});
    want_bon += rewardkit::best_of_n_correct_share(rewards, correct);
    chance_bon += 0.5;
  }
  TempDir d;
  write_text(d.path() / "rb2.jsonl", jsonl(rb2));
  write_text(d.path() / "cand.jsonl", jsonl(cand));
  const EvalRun run =
      run_eval(d, "--input " + q(d.path() / "rb2.jsonl") + " --input " + q(d.path() / "cand.jsonl"));
  ASSERT_EQ(run.cli.status, 0) << run.cli.err;
  EXPECT_EQ(run.report["inputs"][0]["format"], "rewardbench2");
  EXPECT_EQ(run.report["inputs"][1]["format"], "candidates");
  ASSERT_EQ(run.scores.size(), 8u);
  for (size_t i = 0; i < 4; ++i) {
    // Scores lines: the chosen reward first, then the rejected ones in input order.
    EXPECT_NEAR(run.scores[i]["rewards"][0].get<double>(), r[4 * i + i % 4], 1e-5);
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(run.scores[4 + i]["rewards"][k].get<double>(), r[4 * i + k], 1e-5);
  }
  double got_rb2 = 0;
  for (const json& s : run.report["subsets"])
    if (s["metric"] == "best-of-4") got_rb2 += s["score"].get<double>() * s["count"].get<double>();
  EXPECT_NEAR(got_rb2, want_rb2, 1e-12);
  EXPECT_NEAR(score_of(run.report, "cand"), want_bon / 4, 1e-12);
  for (const json& s : run.report["subsets"]) {
    if (s["metric"] == "best-of-4") EXPECT_DOUBLE_EQ(s["chance"].get<double>(), 0.25);
    if (s["metric"] == "best-of-N") EXPECT_DOUBLE_EQ(s["chance"].get<double>(), chance_bon / 4);
  }
  // Math and Focus are RewardBench 2 subsets: sections, but no overall without the other four.
  ASSERT_TRUE(run.report["rewardbench2"].is_object());
  EXPECT_EQ(run.report["rewardbench2"]["overall"], nullptr);
  EXPECT_NE(run.cli.out.find("| RewardBench 2 section |"), std::string::npos);
}

TEST(CliEval, SectionArithmeticOnPairsWithKnownOutcomes) {
  // For each prompt, response 0 vs 1: which scores higher under the fixture, by a safe margin.
  std::vector<std::pair<std::string, std::string>> texts;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    for (int k : {0, 1, 2, 3}) texts.emplace_back(kPrompts[i], kResponses[i][k]);
  const std::vector<float> r = library_rewards(texts);
  // A pair per prompt with a margin above 1e-3, as (higher, lower).
  std::vector<std::pair<std::string, std::string>> high_low;
  std::vector<std::string> prompts;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b)
        if (r[4 * i + a] > r[4 * i + b] + 1e-3f && high_low.size() == i) {
          high_low.emplace_back(kResponses[i][a], kResponses[i][b]);
          prompts.push_back(kPrompts[i]);
        }
  }
  ASSERT_EQ(high_low.size(), kPrompts.size());
  auto pair = [&](size_t i, const char* subset, bool win) {
    const auto& [hi, lo] = high_low[i % high_low.size()];
    return json{{"prompt", prompts[i % prompts.size()]}, {"chosen", win ? hi : lo}, {"rejected", win ? lo : hi},
                {"subset", subset}};
  };
  const std::vector<json> records = {
      pair(0, "alpacaeval-easy", true), pair(1, "alpacaeval-easy", false),  // 0.5, weight 100
      pair(2, "mt-bench-easy", true),                                        // 1.0, weight 28
      pair(3, "llmbar-natural", false), pair(0, "llmbar-natural", false),
      pair(1, "llmbar-natural", true),  pair(2, "llmbar-natural", true),     // 0.5
      pair(3, "donotanswer", true),                                          // 1.0
      pair(0, "math-prm", true),        pair(1, "math-prm", false),          // 0.5, weight 984
      pair(2, "hep-go", true),                                               // 1.0, weight 164
      pair(3, "my-subset", true),                                            // not RewardBench's
  };
  TempDir d;
  write_text(d.path() / "rb.jsonl", jsonl(records));
  const EvalRun run = run_eval(d, "--input " + q(d.path() / "rb.jsonl"));
  ASSERT_EQ(run.cli.status, 0) << run.cli.err;
  EXPECT_DOUBLE_EQ(score_of(run.report, "alpacaeval-easy"), 0.5);
  EXPECT_DOUBLE_EQ(score_of(run.report, "llmbar-natural"), 0.5);
  EXPECT_DOUBLE_EQ(score_of(run.report, "my-subset"), 1.0);
  const json& sections = run.report["rewardbench"]["sections"];
  ASSERT_EQ(sections.size(), 4u);
  // Hand-worked: Chat (0.5*100 + 1*28) / 128; Chat Hard 0.5; Safety 1; Reasoning
  // (0.5*984 + 1*164) / 1148; overall their mean.
  const double chat = 78.0 / 128.0, reasoning = 656.0 / 1148.0;
  EXPECT_EQ(sections[0]["section"], "Chat");
  EXPECT_NEAR(sections[0]["score"].get<double>(), chat, 1e-12);
  EXPECT_NEAR(sections[1]["score"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(sections[2]["score"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(sections[3]["score"].get<double>(), reasoning, 1e-12);
  EXPECT_NEAR(run.report["rewardbench"]["overall"].get<double>(), (chat + 0.5 + 1.0 + reasoning) / 4, 1e-12);
  EXPECT_NE(run.cli.out.find(fmt::format("| overall | {:.1f}% |", 100 * (chat + 1.5 + reasoning) / 4)),
            std::string::npos)
      << run.cli.out;
}

TEST(CliEval, JsonArrayAndGzipReadAsJsonLines) {
  TempDir d;
  const std::vector<json> records = pairs_as("rewardbench");
  write_text(d.path() / "pairs.jsonl", jsonl(records));
  write_text(d.path() / "array.json", json(records).dump(2));
  ASSERT_EQ(std::system(("gzip -c " + q(d.path() / "pairs.jsonl") + " > " + q(d.path() / "gz.jsonl.gz")).c_str()), 0);
  const EvalRun want = run_eval(d, "--input " + q(d.path() / "pairs.jsonl"));
  ASSERT_EQ(want.cli.status, 0) << want.cli.err;
  for (const char* name : {"array.json", "gz.jsonl.gz"}) {
    SCOPED_TRACE(name);
    const EvalRun got = run_eval(d, "--input " + q(d.path() / name));
    ASSERT_EQ(got.cli.status, 0) << got.cli.err;
    EXPECT_EQ(got.report["subsets"][0]["score"], want.report["subsets"][0]["score"]);
    ASSERT_EQ(got.scores.size(), want.scores.size());
    for (size_t i = 0; i < got.scores.size(); ++i) {
      EXPECT_EQ(got.scores[i]["rewards"], want.scores[i]["rewards"]);
      EXPECT_EQ(got.scores[i]["line"], i + 1);  // JSON array: the element's position
    }
  }
  // A cut gzip stream is an error, not a shorter evaluation.
  const std::string gz = read_text(d.path() / "gz.jsonl.gz");
  write_text(d.path() / "cut.jsonl.gz", gz.substr(0, gz.size() / 2));
  const EvalRun cut = run_eval(d, "--input " + q(d.path() / "cut.jsonl.gz"));
  EXPECT_EQ(cut.cli.status, 1);
  EXPECT_NE(cut.cli.err.find("truncated or corrupt"), std::string::npos) << cut.cli.err;
}

TEST(CliEval, BadRecordsStopTheRunOrAreListedWithSkipErrors) {
  TempDir d;
  std::vector<json> good = pairs_as("rewardbench");
  const std::string text = good[0].dump() + "\n" + "{not json\n" +
                           R"({"prompt": "p", "chosen": "a", "rejected": 5, "subset": "s"})" "\n" + good[1].dump() +
                           "\n" + R"({"prompt": "p", "chosen": "a", "rejected": "b"})" "\n";
  write_text(d.path() / "bad.jsonl", text);
  const EvalRun stop = run_eval(d, "--input " + q(d.path() / "bad.jsonl"));
  EXPECT_EQ(stop.cli.status, 1);
  EXPECT_EQ(stop.cli.out, "");
  EXPECT_NE(stop.cli.err.find("bad.jsonl:2: not valid JSON"), std::string::npos) << stop.cli.err;
  EXPECT_NE(stop.cli.err.find("bad.jsonl:3: fields \"chosen\" and \"rejected\" are string and number"),
            std::string::npos)
      << stop.cli.err;
  EXPECT_NE(stop.cli.err.find("bad.jsonl:5: missing field \"subset\""), std::string::npos) << stop.cli.err;
  EXPECT_NE(stop.cli.err.find("3 of 5 records are bad"), std::string::npos) << stop.cli.err;

  const EvalRun skip = run_eval(d, "--input " + q(d.path() / "bad.jsonl"), "--skip-errors");
  EXPECT_EQ(skip.cli.status, 3) << skip.cli.err;
  ASSERT_EQ(skip.scores.size(), 5u);  // one line per record, in order
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(skip.scores[i]["line"], i + 1);
    EXPECT_EQ(skip.scores[i].contains("error"), i == 1 || i == 2 || i == 4) << skip.scores[i];
  }
  ASSERT_EQ(skip.report["errors"].size(), 3u);
  EXPECT_EQ(skip.report["errors"][0]["line"], 2);
  EXPECT_EQ(skip.report["inputs"][0]["errors"], 3);
  EXPECT_EQ(skip.report["subsets"][0]["count"], 2);
  EXPECT_NE(skip.cli.out.find("3 record(s) could not be scored"), std::string::npos) << skip.cli.out;
}

TEST(CliEval, FormatsAreCheckedRecordByRecord) {
  TempDir d;
  const json rb = pairs_as("rewardbench")[0];
  const json rb2 = {{"prompt", "p"}, {"chosen", {"a"}}, {"rejected", {"b", "c", "d"}}, {"subset", "Math"}};
  write_text(d.path() / "mixed.jsonl", rb.dump() + "\n" + rb2.dump() + "\n");
  EvalRun r = run_eval(d, "--input " + q(d.path() / "mixed.jsonl"));
  EXPECT_EQ(r.cli.status, 1);
  EXPECT_NE(r.cli.err.find("mixed.jsonl:2: a rewardbench2 record in a rewardbench file"), std::string::npos)
      << r.cli.err;
  // RewardBench 2's Ties records have several chosen responses and a score of their own.
  json ties = rb2;
  ties["chosen"] = {"a", "a2"};
  ties["subset"] = "Ties";
  write_text(d.path() / "ties.jsonl", rb2.dump() + "\n" + ties.dump() + "\n");
  r = run_eval(d, "--input " + q(d.path() / "ties.jsonl"));
  EXPECT_EQ(r.cli.status, 1);
  EXPECT_NE(r.cli.err.find("ties.jsonl:2: field \"chosen\" has 2 responses"), std::string::npos) << r.cli.err;
  // --format forces the layout: RewardBench fields read as TRL standard (no subset needed).
  write_text(d.path() / "pairs.jsonl", jsonl(pairs_as("rewardbench")));
  r = run_eval(d, "--input " + q(d.path() / "pairs.jsonl"), "--format trl");
  ASSERT_EQ(r.cli.status, 0) << r.cli.err;
  EXPECT_EQ(r.report["inputs"][0]["format"], "trl");
  EXPECT_EQ(r.report["inputs"][0]["format_detected"], false);
  // Nothing to evaluate is an error, not an empty table.
  write_text(d.path() / "empty.jsonl", "\n\n");
  r = run_eval(d, "--input " + q(d.path() / "empty.jsonl"));
  EXPECT_EQ(r.cli.status, 1);
  EXPECT_NE(r.cli.err.find("no records"), std::string::npos) << r.cli.err;
}

// The LLMBar files are RewardBench's Chat Hard llmbar subsets in their own layout
// ([{input, output_1, output_2, label}], label = the better output). Converted here to RewardBench
// records and evaluated with the fixture reward model (its context raised so that the long real
// texts fit: RoPE has no learned positions, and the weights are unchanged).
TEST(CliEval, LlmBarFilesThroughTheHarness) {
  const fs::path llmbar = shared_assets_dir() / "datasets" / "llmbar";
  if (!fs::exists(llmbar / "natural.json")) GTEST_SKIP() << "no " << llmbar << " (shared assets absent)";
  TempDir d;
  fs::copy(rm_dir(), d.path() / "rm");
  json config = json::parse(read_text(d.path() / "rm" / "config.json"));
  config["max_position_embeddings"] = 32768;
  write_text(d.path() / "rm" / "config.json", config.dump(2));

  const std::vector<std::pair<const char*, const char*>> files = {{"natural", "llmbar-natural"},
                                                                   {"neighbor", "llmbar-adver-neighbor"},
                                                                   {"gptinst", "llmbar-adver-GPTInst"},
                                                                   {"gptout", "llmbar-adver-GPTOut"},
                                                                   {"manual", "llmbar-adver-manual"}};
  // The 20 shortest pairs of each file (by characters; all 419 take minutes through the eager
  // attention of Debian's libtorch), so the section weights are the files' full sizes.
  constexpr size_t kPerFile = 20;
  std::string records;
  std::map<std::string, size_t> counts, file_sizes;
  for (const auto& [file, subset] : files) {
    const json data = json::parse(read_text(llmbar / (std::string(file) + ".json")));
    file_sizes[subset] = data.size();
    std::vector<size_t> order(data.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto chars = [&](size_t i) {
      const json& e = data[i];
      return e["input"].get<std::string>().size() + e["output_1"].get<std::string>().size() +
             e["output_2"].get<std::string>().size();
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return chars(a) < chars(b); });
    order.resize(kPerFile);
    for (size_t i : order) {
      const json& e = data[i];
      const bool first = e["label"] == 1;
      records += json{{"id", fmt::format("{}-{}", file, i)},
                      {"prompt", e["input"]},
                      {"chosen", first ? e["output_1"] : e["output_2"]},
                      {"rejected", first ? e["output_2"] : e["output_1"]},
                      {"subset", subset}}
                     .dump() +
                 "\n";
      ++counts[subset];
    }
  }
  // These files hold RewardBench's subsets whole: their sizes are its example counts.
  EXPECT_EQ(file_sizes, (std::map<std::string, size_t>{{"llmbar-natural", 100}, {"llmbar-adver-neighbor", 134},
                                                        {"llmbar-adver-GPTInst", 92}, {"llmbar-adver-GPTOut", 47},
                                                        {"llmbar-adver-manual", 46}}));
  write_text(d.path() / "llmbar.jsonl", records);
  const fs::path report = d.path() / "report.json", scores = d.path() / "scores.jsonl";
  const CliResult r = run_cli(kEval + q(d.path() / "rm") + " --input " + q(d.path() / "llmbar.jsonl") +
                              " --report " + q(report) + " --scores " + q(scores) + " --batch-tokens 4096");
  ASSERT_EQ(r.status, 0) << r.err;
  const json rep = json::parse(read_text(report));
  const std::vector<json> lines = json_lines(read_text(scores));
  ASSERT_EQ(lines.size(), 5 * kPerFile);
  // Each subset's accuracy is its share of won pairs, from the per-record rewards.
  std::map<std::string, double> won;
  for (const json& l : lines) won[l["subset"]] += l["rewards"][0].get<double>() > l["rewards"][1].get<double>();
  double weighted = 0, weight = 0;
  for (const json& s : rep["subsets"]) {
    const std::string subset = s["subset"];
    EXPECT_EQ(s["count"], counts[subset]) << subset;
    EXPECT_DOUBLE_EQ(s["score"].get<double>(), won[subset] / counts[subset]) << subset;
    weighted += s["score"].get<double>() * file_sizes[subset];
    weight += file_sizes[subset];
  }
  EXPECT_EQ(weight, 419);
  const json& chat_hard = rep["rewardbench"]["sections"][1];
  EXPECT_EQ(chat_hard["section"], "Chat Hard");
  EXPECT_NEAR(chat_hard["score"].get<double>(), weighted / weight, 1e-12);
  EXPECT_EQ(chat_hard["missing"], json({"mt-bench-hard"}));
  EXPECT_EQ(rep["rewardbench"]["overall"], nullptr);  // Chat, Safety, Reasoning absent
  // Spot check: the first record's rewards are the library's.
  const json first = json::parse(records.substr(0, records.find('\n')));
  const rewardkit::LoadOptions o = rewardkit::testing::cpu_fp32_options();
  const auto lib = rewardkit::BradleyTerryScorer::load((d.path() / "rm").string(), o)
                       ->score({rewardkit::Sample::text(first["prompt"], first["chosen"]),
                                rewardkit::Sample::text(first["prompt"], first["rejected"])});
  EXPECT_NEAR(lines[0]["rewards"][0].get<double>(), lib.reward(0), 1e-5);
  EXPECT_NEAR(lines[0]["rewards"][1].get<double>(), lib.reward(1), 1e-5);
}
