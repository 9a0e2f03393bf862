#include "cli/group_scoring.hpp"

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "cli/interrupt.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::cli {

std::string error_text(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

namespace {

std::vector<float> single_rewards(const ScoreResult& r) {
  if (r.columns != 1)
    throw Error(fmt::format("the reward model has {} labels; evaluation needs one reward per response",
                            r.columns));
  return r.values;
}

// The library names a failing sample by its index in the batch, here the group's responses in
// input order (chosen first, then rejected; or the candidates).
std::string as_response_index(std::string message) {
  if (message.rfind("sample ", 0) == 0) message.replace(0, 6, "response");
  return message;
}

}  // namespace

std::vector<GroupRewards> score_groups(const Scorer& scorer, const std::vector<const EvalGroup*>& groups,
                                       size_t chunk_samples, Progress& progress) {
  std::vector<GroupRewards> out(groups.size());
  size_t g = 0;
  while (g < groups.size()) {
    if (interrupted()) {
      for (; g < groups.size(); ++g) out[g].error = "interrupted";
      break;
    }
    // A chunk: whole groups, about chunk_samples responses.
    size_t end = g, samples = 0;
    std::vector<Sample> batch;
    while (end < groups.size() && (end == g || samples + groups[end]->responses.size() <= chunk_samples)) {
      samples += groups[end]->responses.size();
      batch.insert(batch.end(), groups[end]->responses.begin(), groups[end]->responses.end());
      ++end;
    }
    bool done = false;
    try {
      const std::vector<float> rewards = single_rewards(scorer.score(batch));
      size_t k = 0;
      for (size_t i = g; i < end; ++i) {
        const size_t n = groups[i]->responses.size();
        out[i].rewards.assign(rewards.begin() + static_cast<std::ptrdiff_t>(k),
                              rewards.begin() + static_cast<std::ptrdiff_t>(k + n));
        k += n;
      }
      done = true;
    } catch (const std::exception&) {
      // Some response failed: score group by group so that only its own group is affected.
    }
    if (!done) {
      for (size_t i = g; i < end; ++i) {
        try {
          out[i].rewards = single_rewards(scorer.score(groups[i]->responses));
        } catch (const std::exception& e) {
          out[i].error = as_response_index(error_text(e));
        }
      }
    }
    progress.advance(static_cast<int64_t>(end - g));
    g = end;
  }
  return out;
}

}  // namespace rewardkit::cli
