// Pairwise utilities on plain floats: stable preference probabilities, best-of-N and ranking
// (ties, NaN), the reward-weighted majority vote, and the RewardBench metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "rewardkit/error.hpp"
#include "rewardkit/pairwise.hpp"

using namespace rewardkit;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST(PreferenceProbability, IsTheSigmoidOfTheDifference) {
  for (double a : {-3.0, -0.5, 0.0, 0.25, 2.0}) {
    for (double b : {-1.0, 0.0, 1.5}) {
      EXPECT_NEAR(preference_probability(a, b), 1.0 / (1.0 + std::exp(-(a - b))), 1e-15) << a << " " << b;
      // P(a > b) + P(b > a) = 1.
      EXPECT_NEAR(preference_probability(a, b) + preference_probability(b, a), 1.0, 1e-15);
    }
  }
  EXPECT_EQ(preference_probability(1.5, 1.5), 0.5);
}

TEST(PreferenceProbability, StableForLargeDifferences) {
  EXPECT_EQ(preference_probability(1000.0, 0.0), 1.0);
  EXPECT_EQ(preference_probability(0.0, 1000.0), 0.0);
  // A naive 1 / (1 + exp(740)) overflows to 1 / inf = 0; the stable form keeps exp(-740).
  EXPECT_GT(preference_probability(-740.0, 0.0), 0.0);
  EXPECT_EQ(preference_probability(-740.0, 0.0), std::exp(-740.0));
  EXPECT_NEAR(preference_probability(-700.0, 0.0) / std::exp(-700.0), 1.0, 1e-12);
  EXPECT_FALSE(std::isnan(preference_probability(1e308, -1e308)));
  EXPECT_TRUE(std::isnan(preference_probability(std::nan(""), 0.0)));
}

TEST(PreferenceProbability, VectorsAndMargins) {
  const std::vector<float> chosen = {1.0f, -2.0f, 0.5f};
  const std::vector<float> rejected = {0.0f, 1.0f, 0.5f};
  const auto p = preference_probabilities(chosen, rejected);
  const auto m = preference_margins(chosen, rejected);
  ASSERT_EQ(p.size(), 3u);
  ASSERT_EQ(m.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(m[i], double(chosen[i]) - double(rejected[i]));
    EXPECT_DOUBLE_EQ(p[i], preference_probability(chosen[i], rejected[i]));
  }
  EXPECT_THROW(preference_probabilities({1.0f}, {}), Error);
  EXPECT_THROW(preference_margins({1.0f, 2.0f}, {1.0f}), Error);
  EXPECT_TRUE(preference_margins({}, {}).empty());
}

TEST(BestOfN, ArgmaxFirstOnTiesNaNNeverWins) {
  EXPECT_EQ(best_of_n({0.1f, 0.9f, 0.3f}), 1u);
  EXPECT_EQ(best_of_n({2.0f, 5.0f, 5.0f, 1.0f}), 1u);
  EXPECT_EQ(best_of_n({kNaN, -1.0f, kNaN}), 1u);
  EXPECT_EQ(best_of_n({kNaN, -kInf}), 1u);
  EXPECT_EQ(best_of_n({-3.0f}), 0u);
  EXPECT_THROW(best_of_n({}), Error);
  EXPECT_THROW(best_of_n({kNaN, kNaN}), Error);
}

TEST(RankDescending, StableWithNaNLast) {
  EXPECT_EQ(rank_descending({0.2f, 0.9f, 0.2f, 0.5f}), (std::vector<size_t>{1, 3, 0, 2}));
  EXPECT_EQ(rank_descending({kNaN, 1.0f, kNaN, 2.0f}), (std::vector<size_t>{3, 1, 0, 2}));
  EXPECT_TRUE(rank_descending({}).empty());
  const std::vector<float> r = {3.0f, -1.0f, 3.0f, 7.0f, -1.0f};
  const auto order = rank_descending(r);
  EXPECT_EQ(order.front(), best_of_n(r));
  for (size_t i = 1; i < order.size(); ++i) {
    EXPECT_GE(r[order[i - 1]], r[order[i]]);
    if (r[order[i - 1]] == r[order[i]]) EXPECT_LT(order[i - 1], order[i]);
  }
}

TEST(WeightedMajorityVote, NonNegativeRewardsAreNormalizedBySum) {
  // A: 0.1 + 0.2 = 0.3, B: 0.9 (one confident candidate beats two unsure ones), no answer: excluded.
  const auto v = weighted_majority_vote({"A", "A", "B", std::nullopt}, {0.1f, 0.2f, 0.9f, 100.0f});
  const double sum = double(0.1f) + double(0.2f) + double(0.9f);
  EXPECT_EQ(v.answer, "B");
  EXPECT_NEAR(v.weight, double(0.9f) / sum, 1e-12);
  ASSERT_EQ(v.totals.size(), 2u);
  EXPECT_NEAR(v.totals.at("A"), (double(0.1f) + double(0.2f)) / sum, 1e-12);
  EXPECT_NEAR(v.totals.at("A") + v.totals.at("B"), 1.0, 1e-12);
  // Majority wins when confidences are alike.
  EXPECT_EQ(weighted_majority_vote({"7", "8", "7"}, {0.5f, 0.6f, 0.5f}).answer, "7");
}

TEST(WeightedMajorityVote, AllZeroIsAPlainMajorityVote) {
  const auto v = weighted_majority_vote({"x", "y", "y"}, {0.0f, 0.0f, 0.0f});
  EXPECT_EQ(v.answer, "y");
  EXPECT_NEAR(v.weight, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(v.totals.at("x"), 1.0 / 3.0, 1e-12);
}

TEST(WeightedMajorityVote, NegativeRewardsUseSoftmax) {
  const std::vector<float> r = {-1.0f, 2.0f, 0.5f};
  const auto v = weighted_majority_vote({"A", "B", "A"}, r);
  const double z = std::exp(-1.0) + std::exp(2.0) + std::exp(0.5);
  EXPECT_NEAR(v.totals.at("A"), (std::exp(-1.0) + std::exp(0.5)) / z, 1e-12);
  EXPECT_NEAR(v.totals.at("B"), std::exp(2.0) / z, 1e-12);
  EXPECT_EQ(v.answer, "B");
  // Shift invariance: adding a constant that keeps one reward negative changes nothing.
  const auto shifted = weighted_majority_vote({"A", "B", "A"}, {-101.0f, -98.0f, -99.5f});
  EXPECT_NEAR(shifted.totals.at("B"), v.totals.at("B"), 1e-6);
  // Large magnitudes do not overflow.
  const auto big = weighted_majority_vote({"A", "B"}, {-1e30f, 1e30f});
  EXPECT_EQ(big.answer, "B");
  EXPECT_NEAR(big.weight, 1.0, 1e-12);
}

TEST(WeightedMajorityVote, TiesGoToTheFirstAnswer) {
  EXPECT_EQ(weighted_majority_vote({"b", "a"}, {0.5f, 0.5f}).answer, "b");
  EXPECT_EQ(weighted_majority_vote({std::nullopt, "a", "b"}, {9.0f, 0.25f, 0.25f}).answer, "a");
  EXPECT_EQ(weighted_majority_vote({"z", "a", "a", "z"}, {1.0f, 1.0f, 1.0f, 1.0f}).answer, "z");
}

TEST(WeightedMajorityVote, Errors) {
  EXPECT_THROW(weighted_majority_vote({"a"}, {}), Error);
  EXPECT_THROW(weighted_majority_vote({}, {}), Error);
  EXPECT_THROW(weighted_majority_vote({std::nullopt, std::nullopt}, {1.0f, 2.0f}), Error);
  EXPECT_THROW(weighted_majority_vote({"a", "b"}, {1.0f, kNaN}), Error);
  EXPECT_THROW(weighted_majority_vote({"a", "b"}, {kInf, 1.0f}), Error);
  // A non-finite reward of a candidate without an answer is ignored.
  EXPECT_EQ(weighted_majority_vote({"a", std::nullopt}, {1.0f, kNaN}).answer, "a");
}

TEST(PairwiseAccuracy, StrictlyGreaterWins) {
  EXPECT_DOUBLE_EQ(pairwise_accuracy({1.0f, 2.0f, 3.0f, 0.0f}, {0.0f, 2.0f, 4.0f, -1.0f}), 0.5);
  EXPECT_DOUBLE_EQ(pairwise_accuracy({kNaN, 1.0f}, {0.0f, kNaN}), 0.0);
  EXPECT_DOUBLE_EQ(pairwise_accuracy({5.0f}, {4.0f}), 1.0);
  EXPECT_THROW(pairwise_accuracy({}, {}), Error);
  EXPECT_THROW(pairwise_accuracy({1.0f}, {1.0f, 2.0f}), Error);
}

TEST(BestOf4Score, RewardBench2Ties) {
  EXPECT_DOUBLE_EQ(best_of_4_score(3.0f, {1.0f, 2.0f, 0.0f}), 1.0);
  EXPECT_DOUBLE_EQ(best_of_4_score(3.0f, {3.0f, 2.0f, 0.0f}), 0.5);
  EXPECT_DOUBLE_EQ(best_of_4_score(3.0f, {3.0f, 3.0f, 3.0f}), 0.25);
  EXPECT_DOUBLE_EQ(best_of_4_score(3.0f, {3.0f, 3.0f, 0.0f}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(best_of_4_score(2.0f, {3.0f, 1.0f, 0.0f}), 0.0);
  EXPECT_DOUBLE_EQ(best_of_4_score(kNaN, {1.0f, 2.0f, 0.0f}), 0.0);
  EXPECT_DOUBLE_EQ(best_of_4_score(1.0f, {kNaN, 1.0f, 0.0f}), 0.5);
  EXPECT_DOUBLE_EQ(best_of_4_score(1.0f, {}), 1.0);
}
