// RewardBench / RewardBench 2 section arithmetic on hand-worked examples, and best-of-N accuracy
// with ties.
#include <gtest/gtest.h>

#include <cmath>

#include "rewardkit/benchmark_sections.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/pairwise.hpp"

namespace {

const rewardkit::SectionScore& section(const rewardkit::BenchmarkScores& s, const std::string& name) {
  for (const auto& sec : s.sections)
    if (sec.name == name) return sec;
  throw std::runtime_error("no section " + name);
}

TEST(RewardBenchSections, WeightedByPublishedExampleCounts) {
  const auto s = rewardkit::rewardbench_sections({
      {"alpacaeval-easy", 0.9},   // weight 100
      {"mt-bench-easy", 0.5},     // weight 28
      {"llmbar-natural", 0.6},    // weight 100
      {"llmbar-adver-manual", 0.25},  // weight 46
      {"donotanswer", 0.5},       // weight 136
      {"math-prm", 0.8},          // weight 984 (up-weighted)
      {"hep-python", 0.5},        // weight 164
      {"my-own-subset", 0.0},     // not RewardBench's: ignored
  });
  ASSERT_EQ(s.sections.size(), 4u);
  // Chat: (0.9*100 + 0.5*28) / 128 = 104 / 128.
  EXPECT_NEAR(*section(s, "Chat").score, 0.8125, 1e-12);
  // Chat Hard: (0.6*100 + 0.25*46) / 146 = 71.5 / 146.
  EXPECT_NEAR(*section(s, "Chat Hard").score, 71.5 / 146.0, 1e-12);
  EXPECT_NEAR(*section(s, "Safety").score, 0.5, 1e-12);
  // Reasoning: (0.8*984 + 0.5*164) / 1148 = 869.2 / 1148.
  EXPECT_NEAR(*section(s, "Reasoning").score, 869.2 / 1148.0, 1e-12);
  ASSERT_TRUE(s.overall.has_value());
  EXPECT_NEAR(*s.overall, (0.8125 + 71.5 / 146.0 + 0.5 + 869.2 / 1148.0) / 4.0, 1e-12);
  EXPECT_EQ(section(s, "Chat").subsets, (std::vector<std::string>{"alpacaeval-easy", "mt-bench-easy"}));
  EXPECT_EQ(section(s, "Chat").missing,
            (std::vector<std::string>{"alpacaeval-length", "alpacaeval-hard", "mt-bench-med"}));
}

TEST(RewardBenchSections, MissingSectionGivesNoOverall) {
  // Only Chat Hard subsets, as in the LLMBar files: the leaderboard code would average in three
  // zeros; here the other sections are missing and there is no overall score.
  const auto s = rewardkit::rewardbench_sections({{"llmbar-natural", 1.0}, {"llmbar-adver-neighbor", 0.0}});
  EXPECT_NEAR(*section(s, "Chat Hard").score, 100.0 / 234.0, 1e-12);
  EXPECT_FALSE(section(s, "Chat").score.has_value());
  EXPECT_EQ(section(s, "Chat").subsets.size(), 0u);
  EXPECT_EQ(section(s, "Chat").missing.size(), 5u);
  EXPECT_FALSE(s.overall.has_value());
}

TEST(RewardBenchSections, RewardBench2IsThePlainMeanOfSixSubsets) {
  std::map<std::string, double> scores = {{"Factuality", 0.5}, {"Precise IF", 0.25}, {"Math", 0.75},
                                          {"Safety", 1.0},     {"Focus", 0.0}};
  auto s = rewardkit::rewardbench2_sections(scores);
  EXPECT_FALSE(s.overall.has_value());  // Ties missing
  EXPECT_EQ(section(s, "Ties").missing, std::vector<std::string>{"Ties"});
  scores["Ties"] = 0.5;
  s = rewardkit::rewardbench2_sections(scores);
  ASSERT_TRUE(s.overall.has_value());
  EXPECT_NEAR(*s.overall, 3.0 / 6.0, 1e-12);
  EXPECT_TRUE(rewardkit::is_rewardbench2_subset("Precise IF"));
  EXPECT_FALSE(rewardkit::is_rewardbench2_subset("math-prm"));
  EXPECT_TRUE(rewardkit::is_rewardbench_subset("math-prm"));
}

TEST(BestOfN, TiesShareTheCredit) {
  using rewardkit::best_of_n_correct_share;
  EXPECT_EQ(best_of_n_correct_share({0.1f, 0.9f, 0.3f}, {false, true, false}), 1.0);
  EXPECT_EQ(best_of_n_correct_share({0.1f, 0.9f, 0.3f}, {true, false, false}), 0.0);
  // Two maxima, one correct: a random pick among them is right half the time.
  EXPECT_EQ(best_of_n_correct_share({0.9f, 0.9f, 0.3f}, {true, false, false}), 0.5);
  EXPECT_EQ(best_of_n_correct_share({2.f, 2.f, 2.f, 2.f}, {true, false, false, false}), 0.25);
  // NaN is never selected; all NaN selects nothing.
  EXPECT_EQ(best_of_n_correct_share({NAN, 0.1f}, {false, true}), 1.0);
  EXPECT_EQ(best_of_n_correct_share({NAN, NAN}, {true, true}), 0.0);
  EXPECT_THROW(best_of_n_correct_share({1.f}, {true, false}), rewardkit::Error);
  EXPECT_THROW(best_of_n_correct_share({}, {}), rewardkit::Error);
}

}  // namespace
