// Training utilities on ATen tensors: the Bradley-Terry loss and its gradients against the
// formula worked out with plain doubles, the running normalizer against a two-pass mean/std,
// and GRPO group whitening against a hand computation.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rewardkit/error.hpp"
#include "rewardkit/training.hpp"

using namespace rewardkit;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kDouble).contiguous().reshape({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

at::Tensor doubles(const std::vector<double>& v) { return at::tensor(v, at::kDouble); }

}  // namespace

TEST(BradleyTerryLoss, MatchesTheFormula) {
  const std::vector<double> c = {1.0, -0.5, 2.0, 0.25};
  const std::vector<double> r = {0.5, 0.5, -1.0, 0.25};
  const std::vector<double> m = {0.1, 0.0, 0.5, -0.3};
  const double coef = 0.01;
  double plain = 0, with_margin = 0, center = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    plain += -std::log(sigmoid(c[i] - r[i]));
    with_margin += -std::log(sigmoid(c[i] - r[i] - m[i]));
    center += (c[i] + r[i]) * (c[i] + r[i]);
  }
  const double n = static_cast<double>(c.size());
  plain /= n;
  with_margin /= n;
  center /= n;
  EXPECT_NEAR(bradley_terry_loss(doubles(c), doubles(r)).item<double>(), plain, 1e-12);
  EXPECT_NEAR(bradley_terry_loss(doubles(c), doubles(r), doubles(m)).item<double>(), with_margin, 1e-12);
  EXPECT_NEAR(bradley_terry_loss(doubles(c), doubles(r), doubles(m), coef).item<double>(), with_margin + coef * center,
              1e-12);
  // A 0-dim margin applies to every pair.
  double scalar_margin = 0;
  for (size_t i = 0; i < c.size(); ++i) scalar_margin += -std::log(sigmoid(c[i] - r[i] - 0.2));
  EXPECT_NEAR(bradley_terry_loss(doubles(c), doubles(r), at::scalar_tensor(0.2, at::kDouble)).item<double>(),
              scalar_margin / n, 1e-12);
  // [B, 1] float32 rewards, as a sequence-classification head gives them.
  const at::Tensor cf = doubles(c).to(at::kFloat).view({-1, 1});
  const at::Tensor rf = doubles(r).to(at::kFloat).view({-1, 1});
  const at::Tensor lf = bradley_terry_loss(cf, rf, std::nullopt, coef);
  EXPECT_EQ(lf.scalar_type(), at::kFloat);
  EXPECT_EQ(lf.dim(), 0);
  EXPECT_NEAR(lf.item<double>(), plain + coef * center, 1e-6);
}

TEST(BradleyTerryLoss, StableAndHalfPrecisionInputs) {
  // logsigmoid of a large negative margin is the margin itself, not -inf.
  EXPECT_NEAR(bradley_terry_loss(doubles({-1000.0}), doubles({0.0})).item<double>(), 1000.0, 1e-9);
  EXPECT_NEAR(bradley_terry_loss(doubles({1000.0}), doubles({0.0})).item<double>(), 0.0, 1e-12);
  const at::Tensor c = doubles({1.0, 2.0}).to(at::kBFloat16);
  const at::Tensor r = doubles({0.0, 3.0}).to(at::kBFloat16);
  const at::Tensor loss = bradley_terry_loss(c, r);
  EXPECT_EQ(loss.scalar_type(), at::kFloat);
  EXPECT_NEAR(loss.item<double>(), (-std::log(sigmoid(1.0)) - std::log(sigmoid(-1.0))) / 2, 1e-6);
}

TEST(BradleyTerryLoss, GradientsFollowTheFormula) {
  const std::vector<double> c = {1.0, -0.5, 2.0};
  const std::vector<double> r = {0.5, 0.5, -1.0};
  const std::vector<double> m = {0.1, 0.0, 0.5};
  const double coef = 0.05;
  at::Tensor tc = doubles(c).requires_grad_();
  at::Tensor tr = doubles(r).requires_grad_();
  at::Tensor tm = doubles(m).requires_grad_();
  at::Tensor loss = bradley_terry_loss(tc, tr, tm, coef);
  ASSERT_TRUE(loss.requires_grad());
  loss.backward();
  const auto gc = to_vector(tc.grad());
  const auto gr = to_vector(tr.grad());
  const auto gm = to_vector(tm.grad());
  const double n = static_cast<double>(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    // d/dd [-log sigmoid(d)] = -(1 - sigmoid(d)); d/dx [(c + r)^2] = 2 (c + r).
    const double dl = -(1.0 - sigmoid(c[i] - r[i] - m[i])) / n;
    const double dc = 2.0 * (c[i] + r[i]) * coef / n;
    EXPECT_NEAR(gc[i], dl + dc, 1e-12) << i;
    EXPECT_NEAR(gr[i], -dl + dc, 1e-12) << i;
    EXPECT_NEAR(gm[i], -dl, 1e-12) << i;
  }
  // Central finite differences agree too (the formula above is not the only witness).
  const double h = 1e-6;
  for (size_t i = 0; i < c.size(); ++i) {
    std::vector<double> up = c, down = c;
    up[i] += h;
    down[i] -= h;
    const double fd = (bradley_terry_loss(doubles(up), doubles(r), doubles(m), coef).item<double>() -
                       bradley_terry_loss(doubles(down), doubles(r), doubles(m), coef).item<double>()) /
                      (2 * h);
    EXPECT_NEAR(gc[i], fd, 1e-8) << i;
  }
}

TEST(BradleyTerryLoss, ShapeAndTypeErrors) {
  const at::Tensor a = doubles({1.0, 2.0});
  EXPECT_THROW(bradley_terry_loss(a, doubles({1.0, 2.0, 3.0})), Error);
  EXPECT_THROW(bradley_terry_loss(a.view({2, 1}), a), Error);
  // A [B] margin against [B, 1] rewards is not broadcast into [B, B].
  EXPECT_THROW(bradley_terry_loss(a.view({2, 1}), a.view({2, 1}), a), Error);
  EXPECT_THROW(bradley_terry_loss(a, a, doubles({1.0})), Error);
  EXPECT_THROW(bradley_terry_loss(at::ones({2}, at::kLong), at::ones({2}, at::kLong)), Error);
  EXPECT_THROW(bradley_terry_loss(a, a, at::ones({2}, at::kInt)), Error);
  EXPECT_THROW(bradley_terry_loss(doubles({}), doubles({})), Error);
  EXPECT_THROW(bradley_terry_loss(at::Tensor(), a), Error);
  EXPECT_THROW(bradley_terry_loss(a, a, std::nullopt, std::nan("")), Error);
}

TEST(RunningRewardNormalizer, MatchesTwoPassStatistics) {
  std::mt19937 rng(1234);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::uniform_int_distribution<int> batch(0, 40);
  RunningRewardNormalizer norm;
  std::vector<double> seen;
  for (int b = 0; b < 30; ++b) {
    // A large offset with small spread: a one-pass sum of squares loses every digit here.
    std::vector<float> values(static_cast<size_t>(batch(rng)));
    for (float& v : values) v = static_cast<float>(1e4 + noise(rng));
    for (float v : values) seen.push_back(v);
    at::Tensor t = at::tensor(values, at::kFloat);
    if (b % 3 == 0 && !values.empty()) t = t.view({1, -1});  // any shape
    norm.update(t);
  }
  ASSERT_GT(seen.size(), 100u);
  double mean = 0;
  for (double v : seen) mean += v;
  mean /= static_cast<double>(seen.size());
  double var = 0;
  for (double v : seen) var += (v - mean) * (v - mean);
  var /= static_cast<double>(seen.size());  // population variance
  EXPECT_EQ(norm.count(), static_cast<int64_t>(seen.size()));
  EXPECT_NEAR(norm.mean(), mean, 1e-9);
  EXPECT_NEAR(norm.std(), std::sqrt(var), 1e-9);
  EXPECT_GT(norm.std(), 0.005);

  const std::vector<double> probe = {1e4, 1e4 + 0.02, 9999.99};
  const auto out = to_vector(norm.normalize(doubles(probe)));
  for (size_t i = 0; i < probe.size(); ++i) {
    EXPECT_NEAR(out[i], (probe[i] - mean) / (std::sqrt(var) + 1e-8), 1e-5) << i;
  }
  const at::Tensor f = norm.normalize(doubles(probe).to(at::kFloat).view({3, 1}));
  EXPECT_EQ(f.scalar_type(), at::kFloat);
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{3, 1}));
}

TEST(RunningRewardNormalizer, EdgeCasesAndErrors) {
  RunningRewardNormalizer norm(0.5);
  EXPECT_EQ(norm.count(), 0);
  EXPECT_THROW(norm.normalize(doubles({1.0})), Error);
  norm.update(doubles({}));
  EXPECT_EQ(norm.count(), 0);
  norm.update(doubles({3.0}));
  EXPECT_EQ(norm.count(), 1);
  EXPECT_DOUBLE_EQ(norm.mean(), 3.0);
  EXPECT_DOUBLE_EQ(norm.std(), 0.0);
  EXPECT_DOUBLE_EQ(norm.normalize(doubles({4.0})).item<double>(), 2.0);  // (4 - 3) / (0 + 0.5)
  // Integer rewards are accepted by update; {1, 5} with the 3 seen: mean 3, population std sqrt(8/3).
  norm.update(at::tensor(std::vector<int64_t>{1, 5}));
  EXPECT_DOUBLE_EQ(norm.mean(), 3.0);
  EXPECT_NEAR(norm.std(), std::sqrt(8.0 / 3.0), 1e-15);
  EXPECT_THROW(norm.update(doubles({1.0, std::nan("")})), Error);
  EXPECT_THROW(norm.update(doubles({INFINITY})), Error);
  EXPECT_EQ(norm.count(), 3);
  EXPECT_DOUBLE_EQ(norm.mean(), 3.0);
  EXPECT_THROW(norm.normalize(at::ones({2}, at::kLong)), Error);
  EXPECT_THROW(RunningRewardNormalizer(-1.0), Error);
}

TEST(WhitenGroups, MatchesHandComputation) {
  const std::vector<double> r = {1.0, 2.0, 6.0, 0.0, 0.0, 3.0};
  const int64_t g = 3;
  std::vector<double> expect_scaled(r.size()), expect_centered(r.size());
  for (size_t start = 0; start < r.size(); start += g) {
    double mean = 0;
    for (int64_t k = 0; k < g; ++k) mean += r[start + k];
    mean /= g;
    double ss = 0;
    for (int64_t k = 0; k < g; ++k) ss += (r[start + k] - mean) * (r[start + k] - mean);
    const double sd = std::sqrt(ss / (g - 1));  // unbiased, as torch's default std
    for (int64_t k = 0; k < g; ++k) {
      expect_centered[start + k] = r[start + k] - mean;
      expect_scaled[start + k] = (r[start + k] - mean) / (sd + 1e-6);
    }
  }
  const auto scaled = to_vector(whiten_groups(doubles(r), g));
  const auto centered = to_vector(whiten_groups(doubles(r), g, /*scale=*/false));
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_NEAR(scaled[i], expect_scaled[i], 1e-12) << i;
    EXPECT_NEAR(centered[i], expect_centered[i], 1e-12) << i;
  }
  // [n, G] keeps its shape; float32 stays float32.
  const at::Tensor two_d = whiten_groups(doubles(r).to(at::kFloat).view({2, 3}), g);
  EXPECT_EQ(two_d.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(two_d.scalar_type(), at::kFloat);
  const auto two_d_values = to_vector(two_d);
  for (size_t i = 0; i < r.size(); ++i) EXPECT_NEAR(two_d_values[i], expect_scaled[i], 1e-5) << i;
}

TEST(WhitenGroups, EqualGroupsIntegersAndErrors) {
  // A group of equal rewards gives zeros, not NaN.
  const auto flat = to_vector(whiten_groups(doubles({2.0, 2.0, 1.0, 0.0}), 2));
  EXPECT_EQ(flat[0], 0.0);
  EXPECT_EQ(flat[1], 0.0);
  // Unbiased std of {1, 0} is sqrt(0.5): (1 - 0.5) / sqrt(0.5) = sqrt(0.5).
  EXPECT_NEAR(flat[2], std::sqrt(0.5) * (std::sqrt(0.5) / (std::sqrt(0.5) + 1e-6)), 1e-12);
  EXPECT_NEAR(flat[3], -flat[2], 1e-15);
  // 0/1 correctness rewards as integers give float32.
  const at::Tensor ints = whiten_groups(at::tensor(std::vector<int64_t>{1, 0, 0, 0}), 4, false);
  EXPECT_EQ(ints.scalar_type(), at::kFloat);
  EXPECT_NEAR(to_vector(ints)[0], 0.75, 1e-7);
  EXPECT_EQ(whiten_groups(doubles({}), 4).numel(), 0);
  EXPECT_EQ(to_vector(whiten_groups(doubles({5.0, 7.0}), 1, false)), (std::vector<double>{0.0, 0.0}));
  EXPECT_THROW(whiten_groups(doubles({1.0, 2.0, 3.0}), 2), Error);
  EXPECT_THROW(whiten_groups(doubles({1.0, 2.0}), 0), Error);
  EXPECT_THROW(whiten_groups(doubles({1.0, 2.0}), 1), Error);  // unbiased std of one reward
  EXPECT_THROW(whiten_groups(doubles({1.0, 2.0, 3.0, 4.0}).view({2, 2}), 4), Error);
  EXPECT_THROW(whiten_groups(doubles({1.0, 2.0, 3.0, 4.0}).view({1, 2, 2}), 2), Error);
  EXPECT_THROW(whiten_groups(at::Tensor(), 2), Error);
}
