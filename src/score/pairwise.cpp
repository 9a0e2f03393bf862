#include "rewardkit/pairwise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "rewardkit/error.hpp"

namespace rewardkit {

namespace {

void check_same_size(const char* what, size_t chosen, size_t rejected) {
  if (chosen != rejected) {
    throw Error(fmt::format("{}: {} chosen rewards but {} rejected rewards (the sizes must match)", what, chosen,
                            rejected));
  }
}

// a ranks above b: NaN ranks below everything.
bool ranks_above(float a, float b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}

}  // namespace

double preference_probability(double r_a, double r_b) {
  const double d = r_a - r_b;
  if (std::isnan(d)) return d;
  if (d >= 0) return 1.0 / (1.0 + std::exp(-d));
  const double e = std::exp(d);
  return e / (1.0 + e);
}

std::vector<double> preference_probabilities(const std::vector<float>& chosen, const std::vector<float>& rejected) {
  check_same_size("preference_probabilities", chosen.size(), rejected.size());
  std::vector<double> out(chosen.size());
  for (size_t i = 0; i < chosen.size(); ++i) out[i] = preference_probability(chosen[i], rejected[i]);
  return out;
}

std::vector<double> preference_margins(const std::vector<float>& chosen, const std::vector<float>& rejected) {
  check_same_size("preference_margins", chosen.size(), rejected.size());
  std::vector<double> out(chosen.size());
  for (size_t i = 0; i < chosen.size(); ++i) out[i] = static_cast<double>(chosen[i]) - static_cast<double>(rejected[i]);
  return out;
}

size_t best_of_n(const std::vector<float>& rewards) {
  if (rewards.empty()) throw Error("best_of_n: no rewards");
  size_t best = 0;
  for (size_t i = 1; i < rewards.size(); ++i)
    if (ranks_above(rewards[i], rewards[best])) best = i;
  if (std::isnan(rewards[best])) throw Error(fmt::format("best_of_n: all {} rewards are NaN", rewards.size()));
  return best;
}

std::vector<size_t> rank_descending(const std::vector<float>& rewards) {
  std::vector<size_t> order(rewards.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranks_above(rewards[a], rewards[b]); });
  return order;
}

VoteResult weighted_majority_vote(const std::vector<std::optional<std::string>>& answers,
                                  const std::vector<float>& rewards) {
  if (answers.size() != rewards.size()) {
    throw Error(fmt::format("weighted_majority_vote: {} answers but {} rewards (the sizes must match)", answers.size(),
                            rewards.size()));
  }
  std::vector<size_t> voters;
  bool any_negative = false;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i]) continue;
    if (!std::isfinite(rewards[i])) {
      throw Error(fmt::format("weighted_majority_vote: candidate {} has a non-finite reward ({})", i, rewards[i]));
    }
    any_negative = any_negative || rewards[i] < 0;
    voters.push_back(i);
  }
  if (voters.empty()) {
    throw Error(fmt::format("weighted_majority_vote: none of the {} candidates has an answer", answers.size()));
  }

  std::vector<double> weight(voters.size());
  if (any_negative) {
    double max_r = -INFINITY;
    for (size_t i : voters) max_r = std::max(max_r, static_cast<double>(rewards[i]));
    double z = 0;
    for (size_t k = 0; k < voters.size(); ++k) z += weight[k] = std::exp(static_cast<double>(rewards[voters[k]]) - max_r);
    for (double& w : weight) w /= z;
  } else {
    double sum = 0;
    for (size_t i : voters) sum += rewards[i];
    for (size_t k = 0; k < voters.size(); ++k)
      weight[k] = sum > 0 ? rewards[voters[k]] / sum : 1.0 / static_cast<double>(voters.size());
  }

  VoteResult result;
  std::vector<const std::string*> first_seen;  // answers in order of first appearance
  for (size_t k = 0; k < voters.size(); ++k) {
    const std::string& a = *answers[voters[k]];
    auto [it, inserted] = result.totals.try_emplace(a, 0.0);
    if (inserted) first_seen.push_back(&it->first);
    it->second += weight[k];
  }
  const std::string* winner = first_seen.front();
  for (const std::string* a : first_seen)
    if (result.totals.at(*a) > result.totals.at(*winner)) winner = a;
  result.answer = *winner;
  result.weight = result.totals.at(*winner);
  return result;
}

double pairwise_accuracy(const std::vector<float>& chosen, const std::vector<float>& rejected) {
  check_same_size("pairwise_accuracy", chosen.size(), rejected.size());
  if (chosen.empty()) throw Error("pairwise_accuracy: no pairs");
  size_t won = 0;
  for (size_t i = 0; i < chosen.size(); ++i) won += chosen[i] > rejected[i] ? 1 : 0;
  return static_cast<double>(won) / static_cast<double>(chosen.size());
}

double best_of_4_score(float chosen, const std::vector<float>& rejected) {
  if (std::isnan(chosen)) return 0.0;
  size_t tied = 1;
  for (float r : rejected) {
    if (r > chosen) return 0.0;
    if (r == chosen) ++tied;
  }
  return 1.0 / static_cast<double>(tied);
}

double best_of_n_correct_share(const std::vector<float>& rewards, const std::vector<bool>& correct) {
  if (rewards.size() != correct.size())
    throw Error(fmt::format("best_of_n_correct_share: {} rewards but {} correctness labels", rewards.size(),
                            correct.size()));
  if (rewards.empty()) throw Error("best_of_n_correct_share: no candidates");
  float best = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (float r : rewards) {
    if (std::isnan(r)) continue;
    if (!any || r > best) best = r;
    any = true;
  }
  if (!any) return 0.0;
  size_t maxima = 0, correct_maxima = 0;
  for (size_t i = 0; i < rewards.size(); ++i) {
    if (rewards[i] != best) continue;
    ++maxima;
    if (correct[i]) ++correct_maxima;
  }
  return static_cast<double>(correct_maxima) / static_cast<double>(maxima);
}

}  // namespace rewardkit
