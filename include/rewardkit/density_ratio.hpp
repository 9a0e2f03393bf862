#pragma once
// Density ratio rewards: r = sum over response tokens of log p_A(y|x) - log p_B(y|x).
// - CDR (strong over weak): A = a stronger LM, B = a weaker one with the same vocabulary; both
//   see the same formatted text (A's chat template). Summed by default, as in the CDR code;
//   per-token mean on request (reward_hub's default). Customizable per domain: a system prompt
//   (criteria) and in-context exemplars put before the last user turn; a sample's domain is
//   Sample::domain, or what the caller's rule returns.
// - DPO implicit reward (RewardBench dpo.py): A = policy, B = reference, times beta; without a
//   reference model, the reference-free variants of run_dpo.py over the policy's log-probs:
//   avg (mean), sum, norm (minus the L2 norm of the per-token log-probs).
// Response tokens follow scorer.hpp's formatting rule (CDR code), also for DPO: unlike
// RewardBench's dpo.py, no BOS is prepended and no EOS appended beyond what the template has.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rewardkit/load.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/scorer.hpp"

namespace rewardkit {

struct Exemplar {
  std::string prompt;
  std::string response;
};

struct DomainCriteria {
  // Put first as a system message; when the conversation has one, before its content ("\n\n").
  std::string system_prompt;
  // Prepended to the last user message, each rendered with exemplar_format.
  std::vector<Exemplar> exemplars;
};

enum class LogRatioReduction {
  sum,   // sum over response tokens (CDR, DPO)
  mean,  // per-token mean (length-normalized CDR; run_dpo.py "avg" without a reference)
  norm,  // minus the L2 norm of the per-token values (run_dpo.py "norm"; reference-free only)
};

struct DensityRatioOptions {
  LogRatioReduction reduction = LogRatioReduction::sum;
  double beta = 1.0;  // scales the reward (DPO's beta)
  std::map<std::string, DomainCriteria> domains;  // by Sample::domain; "" is the default
  // When set, decides the domain of every sample (Sample::domain is then ignored).
  std::function<std::string(const Sample&)> domain_rule;
  // How an exemplar is written before the last user message: {prompt} and {response} are
  // replaced.
  std::string exemplar_format = "Example question:\n{prompt}\nExample answer:\n{response}\n\n";
};

class DensityRatioScorer final : public Scorer {
 public:
  // CDR: strong over weak. Throws rewardkit::Error when the two vocabularies differ.
  static std::unique_ptr<DensityRatioScorer> load(const std::string& strong_dir, const std::string& weak_dir,
                                                  const LoadOptions& load_options = {}, const ScoringOptions& options = {},
                                                  const DensityRatioOptions& ratio_options = {});
  // DPO implicit reward: beta * (log pi(y|x) - log pi_ref(y|x)), summed.
  static std::unique_ptr<DensityRatioScorer> load_dpo(const std::string& policy_dir, const std::string& reference_dir,
                                                      double beta = 1.0, const LoadOptions& load_options = {},
                                                      const ScoringOptions& options = {});
  // Reference-free DPO reward (run_dpo.py --ref_free_type): avg, sum or norm of the policy's
  // response log-probs.
  static std::unique_ptr<DensityRatioScorer> load_reference_free(const std::string& policy_dir,
                                                                 LogRatioReduction reduction,
                                                                 const LoadOptions& load_options = {},
                                                                 const ScoringOptions& options = {});
  ~DensityRatioScorer() override;

  ScoreResult score(const std::vector<Sample>& samples) const override;
  std::string method() const override;

 private:
  struct Impl;
  explicit DensityRatioScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rewardkit
