#pragma once
// Rewards as plain floats: preference probabilities, best-of-N selection, reward-weighted
// majority voting ("SC+Reward", CRew) and the pairwise metrics of RewardBench (DESIGN 2).
// Mismatched sizes, empty inputs where a result needs at least one value, and non-finite
// rewards where they would make the result meaningless throw rewardkit::Error.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rewardkit {

// P(a preferred over b) under Bradley-Terry: sigmoid(r_a - r_b). Stable for any difference
// (no overflow: 1 for a difference of +1000, 0 for -1000, exact 0.5 for equal rewards).
// A NaN reward gives NaN.
double preference_probability(double r_a, double r_b);

// Element-wise preference_probability(chosen[i], rejected[i]) and chosen[i] - rejected[i]
// (computed in double). The sizes must match.
std::vector<double> preference_probabilities(const std::vector<float>& chosen, const std::vector<float>& rejected);
std::vector<double> preference_margins(const std::vector<float>& chosen, const std::vector<float>& rejected);

// Index of the highest reward; the first of equal maxima wins. NaN never wins (a NaN is
// smaller than everything, -inf included). Empty, or only NaN: rewardkit::Error.
size_t best_of_n(const std::vector<float>& rewards);

// Indices from the highest reward to the lowest; equal rewards keep their input order (stable).
// NaN rewards come last, in input order.
std::vector<size_t> rank_descending(const std::vector<float>& rewards);

struct VoteResult {
  std::string answer;                    // the winning answer
  double weight = 0.0;                   // its total normalized weight, in (0, 1]
  std::map<std::string, double> totals;  // total normalized weight of each answer given
};

// Reward-weighted majority vote ("SC+Reward"): candidates are grouped by their extracted answer
// (nullopt = the candidate gave no answer: excluded, its reward ignored); each remaining
// candidate weighs its reward normalized over the remaining candidates; the answer with the
// largest total weight wins, and exact ties go to the answer that appears first.
// Normalization:
//   - all rewards >= 0 (confidences, probabilities): w_i = r_i / sum(r); when they sum to 0,
//     every candidate weighs the same (a plain majority vote);
//   - any reward < 0 (unbounded reward-model scores): w_i = softmax(r)_i, the Bradley-Terry
//     reading of scores as logits (shift-invariant, every weight positive).
// The sizes must match; no candidate with an answer, or a non-finite reward of a candidate
// with an answer: rewardkit::Error.
VoteResult weighted_majority_vote(const std::vector<std::optional<std::string>>& answers,
                                  const std::vector<float>& rewards);

// RewardBench accuracy: the fraction of pairs with chosen[i] > rejected[i] strictly (ties and
// NaNs lose). The sizes must match and not be 0.
double pairwise_accuracy(const std::vector<float>& chosen, const std::vector<float>& rejected);

// RewardBench 2 per-prompt score (1 chosen, usually 3 rejected, any number allowed): when the
// chosen reward is the maximum, 1 / (number of rewards equal to it, the chosen included), else
// 0. A NaN chosen scores 0; NaN rejected rewards beat nothing and tie with nothing.
double best_of_4_score(float chosen, const std::vector<float>& rejected);

// Best-of-N accuracy of one prompt: the chance that the highest-reward candidate is correct when
// equal maxima are broken uniformly at random, i.e. (correct candidates among the maxima) /
// (number of maxima). All NaN rewards score 0 (nothing is selected). The sizes must match and not
// be 0.
double best_of_n_correct_share(const std::vector<float>& rewards, const std::vector<bool>& correct);

}  // namespace rewardkit
