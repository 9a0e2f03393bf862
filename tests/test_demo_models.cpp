// The shipped demo models (models/, trained by tools/demo_models/train.py): `rewardkit eval` with
// each of the three methods gives the figures that transformers gave in the recipe
// (models/arith-data/reference_results.json), and the first records' rewards agree within 1e-4.
// A figure may differ only by records the reference marks as fragile: pairs whose rewards are
// within 1e-4 of each other, and best-of-N records with tied maxima (the recipe takes the first
// maximum, rewardkit shares the credit).
#include <gtest/gtest.h>

#include <cmath>

#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

namespace {

fs::path models_dir() { return fixtures_dir().parent_path().parent_path() / "models"; }

const json& reference() {
  static const json r = json::parse(read_text(models_dir() / "arith-data" / "reference_results.json"));
  return r;
}

void expect_reference(const std::string& method, const std::string& model_flags) {
  const fs::path data = models_dir() / "arith-data";
  TempDir d;
  const fs::path report = d.path() / "report.json", scores = d.path() / "scores.jsonl";
  std::string inputs;
  for (const char* f : {"pairs.jsonl", "best_of_4.jsonl", "best_of_n.jsonl"}) inputs += " --input '" + (data / f).string() + "'";
  const CliResult r = run_cli("eval --quiet --device cpu --dtype float32 --threads 2 --method " + method + " " +
                              model_flags + inputs + " --report '" + report.string() + "' --scores '" +
                              scores.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const json rep = json::parse(read_text(report));
  const json& ref = reference()["results"][method];
  const int64_t near_ties = ref["pairs"]["near_ties"];
  for (const json& s : rep["subsets"]) {
    const std::string subset = s["subset"], metric = s["metric"];
    const double got = s["score"];
    SCOPED_TRACE(subset + " " + metric);
    if (metric == "pairwise accuracy") {
      const json& want = ref["pairs"]["subsets"][subset];
      EXPECT_EQ(s["count"], want["num_pairs"]);
      EXPECT_LE(std::abs(got - want["accuracy"].get<double>()), near_ties / want["num_pairs"].get<double>() + 1e-12);
      EXPECT_DOUBLE_EQ(s["chance"].get<double>(), 0.5);
    } else if (metric == "best-of-4") {
      const json& want = ref["best_of_4"]["subsets"][subset];
      EXPECT_EQ(s["count"], want["num_records"]);
      const double fragile = ref["best_of_4"]["records_with_ties_at_max"].get<double>();
      EXPECT_LE(std::abs(got - want["score"].get<double>()), fragile / want["num_records"].get<double>() + 1e-12);
    } else {
      const json& want = ref["best_of_n"];
      EXPECT_EQ(s["count"], want["num_records"]);
      const double fragile = want["records_with_ties_at_max"].get<double>();
      EXPECT_LE(std::abs(got - want["accuracy"].get<double>()), fragile / want["num_records"].get<double>() + 1e-12);
      EXPECT_NEAR(s["chance"].get<double>(), 1.0 / 8, 1e-12);
    }
  }
  EXPECT_EQ(rep["subsets"].size(), 4u + 3u + 1u);

  // The first records' rewards, file by file (the scores file follows the inputs' order).
  const std::vector<json> lines = json_lines(read_text(scores));
  ASSERT_EQ(lines.size(), 300u + 102u + 102u);
  auto near = [](double got, double want) { EXPECT_NEAR(got, want, 1e-4 * std::max(1.0, std::abs(want))); };
  const json& first = reference()["first_records"];
  for (size_t i = 0; i < first["pairs.jsonl"].size(); ++i) {
    const json& w = first["pairs.jsonl"][i][method];
    EXPECT_EQ(lines[i]["id"], first["pairs.jsonl"][i]["id"]);
    near(lines[i]["rewards"][0], w["chosen"]);
    near(lines[i]["rewards"][1], w["rejected"]);
  }
  for (size_t i = 0; i < first["best_of_4.jsonl"].size(); ++i) {
    const json& line = lines[300 + i];
    const json& w = first["best_of_4.jsonl"][i][method];
    EXPECT_EQ(line["id"], first["best_of_4.jsonl"][i]["id"]);
    near(line["rewards"][0], w["chosen"][0]);
    for (size_t k = 0; k < 3; ++k) near(line["rewards"][1 + k], w["rejected"][k]);
  }
  for (size_t i = 0; i < first["best_of_n.jsonl"].size(); ++i) {
    const json& line = lines[402 + i];
    const json& w = first["best_of_n.jsonl"][i][method];
    EXPECT_EQ(line["id"], first["best_of_n.jsonl"][i]["id"]);
    ASSERT_EQ(line["rewards"].size(), w.size());
    for (size_t k = 0; k < w.size(); ++k) near(line["rewards"][k], w[k]);
  }
}

}  // namespace

class DemoModels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(models_dir() / "arith-data" / "reference_results.json"))
      GTEST_SKIP() << "no " << models_dir() << "/arith-data (the demo models are not in this checkout)";
  }
  static std::string dir(const char* name) { return "'" + (models_dir() / name).string() + "'"; }
};

TEST_F(DemoModels, BradleyTerryEvalEqualsTransformers) { expect_reference("bt", "--model " + dir("arith-rm")); }

TEST_F(DemoModels, ConfidenceEvalEqualsTransformers) {
  expect_reference("confidence", "--model " + dir("arith-solver"));
}

TEST_F(DemoModels, DensityRatioEvalEqualsTransformers) {
  expect_reference("density-ratio", "--strong " + dir("arith-strong") + " --weak " + dir("arith-weak"));
}
