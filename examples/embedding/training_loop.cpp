// rewardkit inside an RL training loop (GRPO style): for each prompt the policy samples a group
// of G responses, a Bradley-Terry reward model scores them, the rewards arrive as one tensor on
// the policy's device, and each group is whitened into advantages.
//
//   training_loop <reward_model_dir> [device]      device: cpu (default), cuda, cuda:N
//
// The "samples" below are fixed strings standing in for policy.generate(); everything else is
// what a real loop does with them. Exits non-zero when a check on the result fails.
#include <rewardkit/rewardkit.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

namespace {

// One prompt and the G responses the policy sampled for it.
struct Group {
  std::string prompt;
  std::vector<std::string> responses;
};

// A rollout batch: 3 prompts x 4 samples each.
std::vector<Group> sample_rollouts() {
  return {
      {"What is 2 + 2?", {"4", "2 + 2 = 4.", "5", "I am not sure."}},
      {"Name a primary color.", {"Red.", "Blue is one.", "Purple.", "Colors are nice."}},
      {"Say hello in French.", {"Bonjour!", "Salut.", "Hello.", "Hola."}},
  };
}

// First `n` characters of `s`, for display (cut on a UTF-8 character boundary).
std::string shorten(const std::string& s, size_t n = 32) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

bool on_device(const at::Tensor& t, const at::Device& want) {
  return t.device().type() == want.type() && (!want.has_index() || t.device().index() == want.index());
}

std::string shape(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

int fail(const std::string& message) {
  std::fprintf(stderr, "training_loop: check failed: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: training_loop <reward_model_dir> [device]\n");
    return 2;
  }
  const std::string model_dir = argv[1];
  const std::string device = argc > 2 ? argv[2] : "cpu";  // where the policy lives
  const at::Device policy_device(device);

  // Load the reward model once, before the loop. Here it shares the policy's device; it could
  // run anywhere: result_device is what puts the rewards next to the policy.
  rewardkit::LoadOptions load;
  load.device = device;
  rewardkit::ScoringOptions scoring;
  scoring.result_device = device;
  auto reward_model = rewardkit::BradleyTerryScorer::load(model_dir, load, scoring);

  // --- one training step ---------------------------------------------------------------------
  const std::vector<Group> groups = sample_rollouts();
  const int64_t G = static_cast<int64_t>(groups.front().responses.size());
  const int64_t P = static_cast<int64_t>(groups.size());

  // Flatten prompt-major: the G completions of a prompt are consecutive, as whiten_groups expects.
  std::vector<rewardkit::Sample> batch;
  for (int64_t p = 0; p < P; ++p) {
    for (int64_t g = 0; g < G; ++g) {
      batch.push_back(rewardkit::Sample::conversation(
          {{"user", groups[p].prompt}, {"assistant", groups[p].responses[g]}},
          "prompt " + std::to_string(p) + " sample " + std::to_string(g)));
    }
  }

  // One call for the whole batch (rewardkit micro-batches internally).
  const rewardkit::ScoreResult scored = reward_model->score(batch);
  const at::Tensor& rewards = scored.rewards;  // [P * G] float32, on the policy's device

  // GRPO advantages: per-group (reward - mean) / (std + eps). Stays on the rewards' device.
  const at::Tensor advantages = rewardkit::whiten_groups(rewards, G);

  // The numbers as the training code would log them (copied to the CPU only for printing).
  const at::Tensor adv_cpu = advantages.cpu();
  std::printf("reward model %s (%s), rewards on %s\n", model_dir.c_str(), reward_model->method().c_str(),
              rewards.device().str().c_str());
  for (int64_t p = 0; p < P; ++p) {
    std::printf("prompt %lld: %s\n", static_cast<long long>(p), groups[p].prompt.c_str());
    std::printf("  %9s %9s  %s\n", "reward", "advantage", "response");
    for (int64_t g = 0; g < G; ++g) {
      const int64_t i = p * G + g;
      std::printf("  %9.4f %+9.4f  %s\n", scored.reward(i), adv_cpu[i].item<float>(),
                  shorten(groups[p].responses[g]).c_str());
    }
  }

  // Preference pairs from the same rollouts (e.g. to train the reward model further, or for a
  // DPO data builder): each group's best response against its worst.
  std::vector<int64_t> best, worst;
  for (int64_t p = 0; p < P; ++p) {
    const std::vector<float> group(scored.values.begin() + p * G, scored.values.begin() + (p + 1) * G);
    const std::vector<size_t> order = rewardkit::rank_descending(group);
    best.push_back(p * G + static_cast<int64_t>(order.front()));
    worst.push_back(p * G + static_cast<int64_t>(order.back()));
  }
  const at::Tensor chosen = rewards.index_select(0, at::tensor(best, at::kLong).to(rewards.device()));
  const at::Tensor rejected = rewards.index_select(0, at::tensor(worst, at::kLong).to(rewards.device()));
  const at::Tensor loss = rewardkit::bradley_terry_loss(chosen, rejected, std::nullopt, 0.01);
  std::printf("bradley_terry_loss(best, worst) over %lld pairs, centering 0.01: %.4f\n", static_cast<long long>(P),
              loss.item<float>());

  // --- checks a training loop can rely on ----------------------------------------------------
  if (!on_device(rewards, policy_device)) return fail("rewards are on " + rewards.device().str() + ", not " + device);
  if (!on_device(advantages, policy_device)) return fail("advantages are on " + advantages.device().str());
  if (rewards.dim() != 1 || rewards.size(0) != P * G)
    return fail("rewards have shape " + shape(rewards) + ", expected [" + std::to_string(P * G) + "]");
  if (advantages.sizes() != rewards.sizes()) return fail("advantages and rewards differ in shape");
  if (!rewards.isfinite().all().item<bool>()) return fail("a reward is not finite");
  const double worst_mean = advantages.view({P, G}).mean(1).abs().max().item<double>();
  if (!(worst_mean < 1e-4)) return fail("a group's advantages have mean " + std::to_string(worst_mean));
  std::printf("ok: rewards [%lld] on %s, largest |group mean of advantages| %.1e\n",
              static_cast<long long>(P * G), rewards.device().str().c_str(), worst_mean);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "training_loop: %s\n", e.what());
  return 1;
}
