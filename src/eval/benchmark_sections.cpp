#include "rewardkit/benchmark_sections.hpp"

#include <utility>

namespace rewardkit {

namespace {

struct Section {
  const char* name;
  std::vector<std::pair<const char*, int>> subsets;  // name, weight (example count)
};

// rewardbench/constants.py: SUBSET_MAPPING and EXAMPLE_COUNTS.
const std::vector<Section>& rewardbench_layout() {
  static const std::vector<Section> layout = {
      {"Chat",
       {{"alpacaeval-easy", 100}, {"alpacaeval-length", 95}, {"alpacaeval-hard", 95}, {"mt-bench-easy", 28},
        {"mt-bench-med", 40}}},
      {"Chat Hard",
       {{"mt-bench-hard", 37}, {"llmbar-natural", 100}, {"llmbar-adver-neighbor", 134}, {"llmbar-adver-GPTInst", 92},
        {"llmbar-adver-GPTOut", 47}, {"llmbar-adver-manual", 46}}},
      {"Safety",
       {{"refusals-dangerous", 100}, {"refusals-offensive", 100}, {"xstest-should-refuse", 154},
        {"xstest-should-respond", 250}, {"donotanswer", 136}}},
      {"Reasoning",
       {{"math-prm", 984}, {"hep-cpp", 164}, {"hep-go", 164}, {"hep-java", 164}, {"hep-js", 164},
        {"hep-python", 164}, {"hep-rust", 164}}},
  };
  return layout;
}

// RewardBench 2: one section per subset, equal weights.
const std::vector<Section>& rewardbench2_layout() {
  static const std::vector<Section> layout = {
      {"Factuality", {{"Factuality", 1}}}, {"Precise IF", {{"Precise IF", 1}}}, {"Math", {{"Math", 1}}},
      {"Safety", {{"Safety", 1}}},         {"Focus", {{"Focus", 1}}},           {"Ties", {{"Ties", 1}}},
  };
  return layout;
}

BenchmarkScores sections_of(const std::vector<Section>& layout, const std::map<std::string, double>& scores) {
  BenchmarkScores out;
  double total = 0.0;
  bool complete = true;
  for (const Section& section : layout) {
    SectionScore s;
    s.name = section.name;
    double weighted = 0.0, weight = 0.0;
    for (const auto& [subset, count] : section.subsets) {
      const auto it = scores.find(subset);
      if (it == scores.end()) {
        s.missing.emplace_back(subset);
        continue;
      }
      s.subsets.emplace_back(subset);
      weighted += it->second * count;
      weight += count;
    }
    if (weight > 0) {
      s.score = weighted / weight;
      total += *s.score;
    } else {
      complete = false;
    }
    out.sections.push_back(std::move(s));
  }
  if (complete) out.overall = total / static_cast<double>(layout.size());
  return out;
}

bool in_layout(const std::vector<Section>& layout, const std::string& subset) {
  for (const Section& section : layout)
    for (const auto& entry : section.subsets)
      if (subset == entry.first) return true;
  return false;
}

}  // namespace

BenchmarkScores rewardbench_sections(const std::map<std::string, double>& subset_scores) {
  return sections_of(rewardbench_layout(), subset_scores);
}

BenchmarkScores rewardbench2_sections(const std::map<std::string, double>& subset_scores) {
  return sections_of(rewardbench2_layout(), subset_scores);
}

bool is_rewardbench_subset(const std::string& subset) { return in_layout(rewardbench_layout(), subset); }
bool is_rewardbench2_subset(const std::string& subset) { return in_layout(rewardbench2_layout(), subset); }

}  // namespace rewardkit
