#pragma once
// Reward utilities for training loops, on at::Tensor: the reward-model loss of TRL's
// RewardTrainer, a running reward normalizer (PPO-style) and GRPO's per-group whitening.
// Inputs may live on any device; results stay on the inputs' device. Bad shapes, dtypes or
// arguments throw rewardkit::Error.
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

namespace rewardkit {

// Bradley-Terry reward-model loss, as TRL's RewardTrainer computes it (DESIGN 2):
//   -logsigmoid(chosen - rejected - margin).mean() + coefficient * mean((chosen + rejected)^2)
// `chosen` and `rejected` are floating tensors of the same shape with at least one element
// (e.g. [B] or [B, 1]); `margin` has that shape too, or is a 0-dim scalar. The centering term
// (TRL's center_rewards_coefficient, recommended 0.01) is skipped when the coefficient is 0.
// Differentiable: gradients flow to every input that requires them. float16/bfloat16 inputs
// are computed in float32 and the loss is float32; otherwise the loss has the inputs' dtype.
// Unlike TRL, a [B] margin is never broadcast against [B, 1] rewards into a [B, B] matrix:
// mismatched shapes are an error.
at::Tensor bradley_terry_loss(const at::Tensor& chosen, const at::Tensor& rejected,
                              const std::optional<at::Tensor>& margin = std::nullopt,
                              double center_rewards_coefficient = 0.0);

// Running mean and standard deviation of every reward seen so far, updated batch by batch
// (Chan et al.'s parallel combination of Welford statistics, in float64 on the CPU, so the
// order of batches does not matter beyond rounding). std() is the population standard
// deviation (divide by count, as PPO implementations' RunningMeanStd): 0 after one reward.
class RunningRewardNormalizer {
 public:
  explicit RunningRewardNormalizer(double eps = 1e-8);

  // Adds every element of `rewards` (any shape, any real dtype, any device; not tracked by
  // autograd). An empty tensor changes nothing; NaN or infinite rewards are an error (they
  // would poison the statistics for good) and leave the statistics unchanged.
  void update(const at::Tensor& rewards);
  // (rewards - mean()) / (std() + eps), with the shape, dtype and device of `rewards` (a
  // floating tensor). Before the first reward has been seen: rewardkit::Error.
  at::Tensor normalize(const at::Tensor& rewards) const;

  // mean() and std() are 0 before the first update.
  double mean() const { return mean_; }
  double std() const;
  int64_t count() const { return count_; }
  double eps() const { return eps_; }

 private:
  double eps_;
  int64_t count_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;  // sum of squared deviations from the mean
};

// GRPO advantages: rewards grouped `group_size` at a time (the completions of one prompt are
// consecutive), each group's mean subtracted and, when `scale`, the result divided by
// (group std + eps). The std is torch's default, unbiased (divide by group_size - 1), as TRL's
// GRPOTrainer computes rewards.view(-1, G).std(dim=1); so scaling needs group_size >= 2.
// A group whose rewards are all equal gives zeros. `rewards` is [n * group_size] or
// [n, group_size]; the result has its shape. Floating inputs keep their dtype (float16/bfloat16
// are computed in float32 and cast back); integer or bool rewards (0/1 correctness) give
// float32. A size not divisible by group_size, group_size < 1, or a 2-D shape whose second
// dimension is not group_size: rewardkit::Error.
at::Tensor whiten_groups(const at::Tensor& rewards, int64_t group_size, bool scale = true, double eps = 1e-6);

}  // namespace rewardkit
