#pragma once
// How RewardBench and RewardBench 2 turn per-subset scores into section scores and an overall
// score, so that a harness reports the leaderboard's numbers, not just subset accuracies.
//
// RewardBench (v1; rewardbench/constants.py and utils.py, calculate_scores_per_section): a
// section's score is the mean of its subsets' accuracies weighted by the subsets' example counts
// in the published dataset (math-prm is up-weighted to 984 to weigh as much as the six code
// subsets together); the overall score is the plain mean of the four sections.
// RewardBench 2: each subset is a section; the overall score is the plain mean of the six.
//
// Where the leaderboard code quietly scores a section that has no subset as 0, these functions
// report it as missing and give no overall score unless every section has at least one subset.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rewardkit {

struct SectionScore {
  std::string name;                  // "Chat", "Chat Hard", ...
  std::optional<double> score;       // in [0, 1]; empty when none of its subsets was given
  std::vector<std::string> subsets;  // the subsets given, in the benchmark's order
  std::vector<std::string> missing;  // its subsets that were not given
};

struct BenchmarkScores {
  std::vector<SectionScore> sections;  // in the benchmark's order
  std::optional<double> overall;       // only when every section has a score
};

// Subset name -> accuracy in [0, 1]. Subsets that are not the benchmark's are ignored.
BenchmarkScores rewardbench_sections(const std::map<std::string, double>& subset_scores);
BenchmarkScores rewardbench2_sections(const std::map<std::string, double>& subset_scores);

// Whether a subset name belongs to RewardBench (v1) or RewardBench 2.
bool is_rewardbench_subset(const std::string& subset);
bool is_rewardbench2_subset(const std::string& subset);

}  // namespace rewardkit
