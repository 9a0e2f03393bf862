#include "rewardkit/training.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "rewardkit/error.hpp"

namespace rewardkit {

namespace {

std::string shape_string(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void check_floating(const char* what, const char* name, const at::Tensor& t) {
  if (!t.defined()) throw Error(fmt::format("{}: `{}` is an undefined tensor", what, name));
  if (!at::isFloatingType(t.scalar_type())) {
    throw Error(fmt::format("{}: `{}` must be a floating tensor, got {}", what, name,
                            std::string(c10::toString(t.scalar_type()))));
  }
}

// float16/bfloat16 are computed in float32; other floating types as they are.
at::ScalarType compute_type(at::ScalarType t) {
  return t == at::kHalf || t == at::kBFloat16 ? at::kFloat : t;
}

}  // namespace

at::Tensor bradley_terry_loss(const at::Tensor& chosen, const at::Tensor& rejected,
                              const std::optional<at::Tensor>& margin, double center_rewards_coefficient) {
  constexpr const char* what = "bradley_terry_loss";
  check_floating(what, "chosen", chosen);
  check_floating(what, "rejected", rejected);
  if (chosen.sizes() != rejected.sizes()) {
    throw Error(fmt::format("{}: chosen has shape {} but rejected has shape {} (they must match)", what,
                            shape_string(chosen), shape_string(rejected)));
  }
  if (chosen.numel() == 0) throw Error(fmt::format("{}: no pairs (chosen has shape {})", what, shape_string(chosen)));
  if (chosen.device() != rejected.device()) {
    throw Error(fmt::format("{}: chosen is on {} but rejected on {}", what, chosen.device().str(),
                            rejected.device().str()));
  }
  if (!std::isfinite(center_rewards_coefficient)) {
    throw Error(fmt::format("{}: center_rewards_coefficient must be finite, got {}", what, center_rewards_coefficient));
  }
  at::ScalarType type = compute_type(at::promote_types(chosen.scalar_type(), rejected.scalar_type()));
  if (margin) {
    check_floating(what, "margin", *margin);
    if (margin->dim() != 0 && margin->sizes() != chosen.sizes()) {
      throw Error(fmt::format("{}: margin has shape {} but the rewards have shape {} (use the same shape, or a 0-dim "
                              "scalar for one margin)",
                              what, shape_string(*margin), shape_string(chosen)));
    }
    if (margin->device() != chosen.device()) {
      throw Error(fmt::format("{}: margin is on {} but the rewards on {}", what, margin->device().str(),
                              chosen.device().str()));
    }
    type = compute_type(at::promote_types(type, margin->scalar_type()));
  }
  const at::Tensor c = chosen.to(type);
  const at::Tensor r = rejected.to(type);
  at::Tensor diff = c - r;
  if (margin) diff = diff - margin->to(type);
  at::Tensor loss = -at::log_sigmoid(diff).mean();
  if (center_rewards_coefficient != 0.0) loss = loss + center_rewards_coefficient * (c + r).pow(2).mean();
  return loss;
}

RunningRewardNormalizer::RunningRewardNormalizer(double eps) : eps_(eps) {
  if (!(eps >= 0) || !std::isfinite(eps)) {
    throw Error(fmt::format("RunningRewardNormalizer: eps must be finite and >= 0, got {}", eps));
  }
}

void RunningRewardNormalizer::update(const at::Tensor& rewards) {
  if (!rewards.defined()) throw Error("RunningRewardNormalizer::update: undefined tensor");
  const at::ScalarType st = rewards.scalar_type();
  if (at::isComplexType(st)) {
    throw Error(fmt::format("RunningRewardNormalizer::update: rewards must be real, got {}",
                            std::string(c10::toString(st))));
  }
  if (rewards.numel() == 0) return;
  const at::Tensor x = rewards.detach().to(at::kCPU, at::kDouble).reshape({-1});
  if (!at::isfinite(x).all().item<bool>()) {
    throw Error(fmt::format("RunningRewardNormalizer::update: the batch of {} rewards holds NaN or infinite values",
                            x.numel()));
  }
  const int64_t nb = x.numel();
  const double mb = x.mean().item<double>();
  const double m2b = (x - mb).pow(2).sum().item<double>();
  const int64_t n = count_ + nb;
  const double delta = mb - mean_;
  const double na = static_cast<double>(count_);
  mean_ += delta * static_cast<double>(nb) / static_cast<double>(n);
  m2_ += m2b + delta * delta * na * static_cast<double>(nb) / static_cast<double>(n);
  count_ = n;
}

double RunningRewardNormalizer::std() const {
  return count_ > 0 ? std::sqrt(m2_ / static_cast<double>(count_)) : 0.0;
}

at::Tensor RunningRewardNormalizer::normalize(const at::Tensor& rewards) const {
  check_floating("RunningRewardNormalizer::normalize", "rewards", rewards);
  if (count_ == 0) throw Error("RunningRewardNormalizer::normalize: no rewards seen yet (call update() first)");
  const at::ScalarType type = rewards.scalar_type();
  return ((rewards.to(compute_type(type)) - mean_) / (std() + eps_)).to(type);
}

at::Tensor whiten_groups(const at::Tensor& rewards, int64_t group_size, bool scale, double eps) {
  constexpr const char* what = "whiten_groups";
  if (!rewards.defined()) throw Error(fmt::format("{}: undefined tensor", what));
  const at::ScalarType st = rewards.scalar_type();
  if (at::isComplexType(st)) throw Error(fmt::format("{}: rewards must be real, got {}", what, std::string(c10::toString(st))));
  if (group_size < 1) throw Error(fmt::format("{}: group_size must be >= 1, got {}", what, group_size));
  if (scale && group_size < 2) {
    throw Error(fmt::format("{}: scaling by the unbiased group std needs group_size >= 2, got {} (pass scale = false)",
                            what, group_size));
  }
  if (rewards.dim() != 1 && rewards.dim() != 2) {
    throw Error(fmt::format("{}: rewards must be [n * group_size] or [n, group_size], got shape {}", what,
                            shape_string(rewards)));
  }
  if (rewards.dim() == 2 && rewards.size(1) != group_size) {
    throw Error(fmt::format("{}: rewards have shape {} but group_size is {}", what, shape_string(rewards), group_size));
  }
  if (rewards.numel() % group_size != 0) {
    throw Error(fmt::format("{}: {} rewards do not split into groups of {}", what, rewards.numel(), group_size));
  }
  if (!std::isfinite(eps) || eps < 0) throw Error(fmt::format("{}: eps must be finite and >= 0, got {}", what, eps));
  const at::ScalarType out_type = at::isFloatingType(st) ? st : at::kFloat;
  const at::Tensor x = rewards.to(compute_type(out_type)).reshape({-1, group_size});
  at::Tensor adv = x - x.mean({1}, /*keepdim=*/true);
  if (scale) adv = adv / (x.std({1}, /*unbiased=*/true, /*keepdim=*/true) + eps);
  return adv.reshape(rewards.sizes()).to(out_type);
}

}  // namespace rewardkit
