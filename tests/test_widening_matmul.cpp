// The bf16 x bf16 -> float32 product behind attention scores (src/nn/widening_matmul.hpp),
// against libtorch's float32 product of the same bf16 values: the products of two bf16 numbers
// are exact in float32, so the two differ only in the order of float32 additions.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "nn/widening_matmul.hpp"

namespace {

using rewardkit::nn::widening_matmul;

at::Tensor bf16_randn(at::IntArrayRef sizes, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(sizes, gen, at::TensorOptions().dtype(at::kFloat)).mul_(3).to(at::kBFloat16);
}

// Skips unless this build and this CPU run the oneDNN product.
#define REQUIRE_WIDENING()                                                                     \
  do {                                                                                         \
    if (!rewardkit::nn::widening_matmul_built())                                               \
      GTEST_SKIP() << "built without oneDNN headers (libdnnl-dev): scores use float32 matmul"; \
    if (!widening_matmul(bf16_randn({2, 2}, 0), bf16_randn({2, 2}, 1), 1.0f).defined())        \
      GTEST_SKIP() << "oneDNN refuses bf16 matmul on this CPU";                                \
  } while (0)

void expect_matches_float(const at::Tensor& a, const at::Tensor& b, float alpha) {
  const at::Tensor ours = widening_matmul(a, b, alpha);
  ASSERT_TRUE(ours.defined());
  const at::Tensor ref = at::matmul(a.to(at::kFloat), b.to(at::kFloat)) * alpha;
  ASSERT_EQ(ours.sizes(), ref.sizes());
  EXPECT_EQ(ours.scalar_type(), at::kFloat);
  // float32 sums of K = 128 terms of magnitude ~10: reordering moves them by a few ulps of the
  // sum; a bf16-rounded result would be off by up to 2^-9 relative (0.2 at 100).
  const double worst = (ours - ref).abs().max().item<double>();
  const double scale = ref.abs().max().item<double>();
  EXPECT_LE(worst, 1e-5 * scale) << "largest |value| " << scale;
}

TEST(WideningMatmul, MatchesFloat32ProductOfTheSameBf16Values) {
  REQUIRE_WIDENING();
  expect_matches_float(bf16_randn({3, 17, 128}, 2), bf16_randn({3, 128, 29}, 3), 1.0f);
  expect_matches_float(bf16_randn({1, 64, 64}, 4), bf16_randn({1, 64, 300}, 5), 0.125f);
}

TEST(WideningMatmul, ResultIsNotRoundedToBf16) {
  REQUIRE_WIDENING();
  // 1 + 2^-10 has no bf16 form (8 significant bits): a bf16 result would read 1.
  const at::Tensor a = at::tensor({1.0f, 0.0009765625f}, at::kFloat).to(at::kBFloat16).view({1, 2});
  const at::Tensor b = at::ones({2, 1}, at::kBFloat16);
  EXPECT_EQ(widening_matmul(a, b, 1.0f).item<float>(), 1.0009765625f);
}

TEST(WideningMatmul, ReadsStridedAndBroadcastOperands) {
  REQUIRE_WIDENING();
  // Attention's layout: queries [B, kv heads, heads per kv head, n, hd] cut from a
  // [B, T, heads, hd] tensor, keys transposed and shared by the heads of a group.
  const at::Tensor q = bf16_randn({2, 40, 8, 64}, 6).transpose(1, 2).view({2, 4, 2, 40, 64}).narrow(3, 5, 20);
  const at::Tensor k = bf16_randn({2, 40, 4, 64}, 7).transpose(1, 2).narrow(2, 3, 30).transpose(-1, -2).unsqueeze(2);
  expect_matches_float(q, k, 0.09f);
  // An expanded (stride 0) operand is read correctly too.
  expect_matches_float(bf16_randn({1, 9, 16}, 8).expand({3, 9, 16}), bf16_randn({3, 16, 5}, 9), 1.0f);
}

TEST(WideningMatmul, EmptyInnerDimensionGivesZeros) {
  REQUIRE_WIDENING();
  const at::Tensor out = widening_matmul(at::empty({2, 3, 0}, at::kBFloat16), at::empty({2, 0, 4}, at::kBFloat16), 1.0f);
  ASSERT_TRUE(out.defined());
  EXPECT_EQ(out.sizes(), at::IntArrayRef({2, 3, 4}));
  EXPECT_EQ(out.abs().sum().item<float>(), 0.0f);
}

TEST(WideningMatmul, DeclinesWhatItDoesNotMultiply) {
  // Undefined means "compute it yourself": float32 inputs, mismatched shapes.
  EXPECT_FALSE(widening_matmul(at::ones({2, 2}), at::ones({2, 2}), 1.0f).defined());
  EXPECT_FALSE(widening_matmul(at::ones({2, 3}, at::kBFloat16), at::ones({2, 3}, at::kBFloat16), 1.0f).defined());
  EXPECT_FALSE(
      widening_matmul(at::ones({2, 2, 3}, at::kBFloat16), at::ones({3, 3, 2}, at::kBFloat16), 1.0f).defined());
}

}  // namespace
