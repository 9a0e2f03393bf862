// rewardkit inside an evaluation harness: RewardBench-style pairwise accuracy of a reward model
// over a JSON Lines file of preference pairs.
//
//   eval_harness <reward_model_dir> <pairs.jsonl>
//
// Each line is {"prompt": ..., "chosen": ..., "rejected": ...} with an optional "id"; blank lines
// are skipped. A pair counts as won only when chosen scores strictly higher (ties lose). A bad
// line stops the run with "file:line: message" and exit status 1.
#include <nlohmann/json.hpp>
#include <rewardkit/rewardkit.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Pair {
  std::string where;  // "file:line", for messages
  std::string id;
  std::string prompt, chosen, rejected;
};

// An error in the input file, reported as "file:line: message".
struct BadLine : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw BadLine(where + ": missing \"" + key + "\"");
  if (!it->is_string()) throw BadLine(where + ": \"" + key + "\" must be a string, got " + it->type_name());
  return it->get<std::string>();
}

std::vector<Pair> read_pairs(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw BadLine(path + ": cannot open");
  std::vector<Pair> pairs;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
      if (const size_t tag = what.find("] "); tag != std::string::npos) what.erase(0, tag + 2);
      throw BadLine(where + ": invalid JSON: " + what);
    }
    if (!j.is_object()) throw BadLine(where + ": expected a JSON object, got " + j.type_name());
    Pair p;
    p.where = where;
    p.prompt = string_field(j, "prompt", where);
    p.chosen = string_field(j, "chosen", where);
    p.rejected = string_field(j, "rejected", where);
    if (const auto id = j.find("id"); id != j.end()) p.id = id->is_string() ? id->get<std::string>() : id->dump();
    if (p.id.empty()) p.id = "line " + std::to_string(number);
    pairs.push_back(std::move(p));
  }
  if (pairs.empty()) throw BadLine(path + ": no pairs");
  return pairs;
}

// The conversation a reward model judges: the user's prompt and one candidate answer. The
// sample id is "file:line", so a scoring error (e.g. a pair too long for the model) names it.
rewardkit::Sample as_sample(const Pair& p, const std::string& response) {
  return rewardkit::Sample::conversation({{"user", p.prompt}, {"assistant", response}}, p.where);
}

std::string shorten(const std::string& s, size_t n = 24) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: eval_harness <reward_model_dir> <pairs.jsonl>\n");
    return 2;
  }
  try {
    const std::vector<Pair> pairs = read_pairs(argv[2]);

    // Defaults: CUDA device 0 when there is one, else all CPU cores; dtype chosen for the device.
    auto reward_model = rewardkit::BradleyTerryScorer::load(argv[1]);

    // One Scorer call per side; rewardkit batches by tokens, and a sample's reward does not
    // depend on its batch, so this equals scoring pair by pair.
    std::vector<rewardkit::Sample> chosen, rejected;
    for (const Pair& p : pairs) {
      chosen.push_back(as_sample(p, p.chosen));
      rejected.push_back(as_sample(p, p.rejected));
    }
    const std::vector<float> r_chosen = reward_model->score(chosen).values;
    const std::vector<float> r_rejected = reward_model->score(rejected).values;

    const std::vector<double> margins = rewardkit::preference_margins(r_chosen, r_rejected);
    const std::vector<double> p_chosen = rewardkit::preference_probabilities(r_chosen, r_rejected);
    std::printf("%-20s %9s %9s %9s %8s  %s\n", "id", "chosen", "rejected", "margin", "P(c>r)", "prompt");
    for (size_t i = 0; i < pairs.size(); ++i) {
      std::printf("%-20s %9.4f %9.4f %+9.4f %8.3f  %s\n", shorten(pairs[i].id, 20).c_str(), r_chosen[i],
                  r_rejected[i], margins[i], p_chosen[i], shorten(pairs[i].prompt).c_str());
    }
    const double accuracy = rewardkit::pairwise_accuracy(r_chosen, r_rejected);
    const auto won = static_cast<long long>(std::lround(accuracy * static_cast<double>(pairs.size())));
    std::printf("pairwise accuracy: %.4f (%lld of %zu pairs won)\n", accuracy, won, pairs.size());
    return 0;
  } catch (const BadLine& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_harness: %s\n", e.what());
    return 1;
  }
}
