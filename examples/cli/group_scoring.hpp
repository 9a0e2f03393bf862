#pragma once
// Scoring every response of many groups (eval, annotate) in chunks; a response that fails (too
// long, no chat template, ...) fails only its own group.
#include <string>
#include <vector>

#include "cli/eval_records.hpp"
#include "cli/progress.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit::cli {

struct GroupRewards {
  std::vector<float> rewards;  // one per response; empty when `error` is set
  std::string error;
};

// One reward per response, so a multi-label head is an error. Stops early (the rest get no
// rewards and the error "interrupted") when interrupted().
std::vector<GroupRewards> score_groups(const Scorer& scorer, const std::vector<const EvalGroup*>& groups,
                                       size_t chunk_samples, Progress& progress);

// The message of an exception, without libtorch's backtrace.
std::string error_text(const std::exception& e);

}  // namespace rewardkit::cli
