// `rewardkit annotate`: DPO preference pairs from N scored candidates per prompt. best-worst: the
// highest-reward candidate over the lowest. crew-dpo: every (correct, incorrect) pair of a
// prompt ranked by reward gap, the K largest kept (CRew-DPO's use of confidence to pick pairs).
// Rewards come from --method (any reward method) or from the candidates' own "reward" fields.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/group_scoring.hpp"
#include "cli/input_groups.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "cli/scorer_options.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::cli {

namespace {

struct AnnotateArgs {
  ScorerArgs scorer;
  std::string input = "-";
  std::string output = "-";
  std::string pairs = "best-worst";
  int64_t top_k = 1;
  double min_gap = 0.0;
  int64_t chunk_samples = 64;
  bool skip_errors = false;
  bool quiet = false;
  CLI::Option* top_k_option = nullptr;
};

struct Pair {
  size_t chosen, rejected;
};

// The pairs of one prompt; `why_none` says why there are none.
std::vector<Pair> pick_pairs(const AnnotateArgs& args, const EvalGroup& g, const std::vector<float>& r,
                             std::string& why_none) {
  std::vector<Pair> out;
  if (args.pairs == "best-worst") {
    const auto [lo, hi] = std::minmax_element(r.begin(), r.end());  // first minimum, last maximum
    const auto best = static_cast<size_t>(std::find(r.begin(), r.end(), *hi) - r.begin());  // first maximum
    if (static_cast<double>(*hi) - static_cast<double>(*lo) <= args.min_gap) {
      why_none = fmt::format("the reward gap {} is not above --min-gap {}", *hi - *lo, args.min_gap);
      return out;
    }
    out.push_back({best, static_cast<size_t>(lo - r.begin())});
    return out;
  }
  struct Scored {
    Pair pair;
    double gap;
  };
  std::vector<Scored> all;
  bool any_correct = false, any_incorrect = false;
  for (size_t c = 0; c < r.size(); ++c) {
    any_correct |= g.correct[c];
    any_incorrect |= !g.correct[c];
    if (!g.correct[c]) continue;
    for (size_t w = 0; w < r.size(); ++w) {
      if (g.correct[w]) continue;
      const double gap = static_cast<double>(r[c]) - static_cast<double>(r[w]);
      if (gap > args.min_gap) all.push_back({{c, w}, gap});
    }
  }
  if (!any_correct || !any_incorrect) {
    why_none = any_correct ? "no incorrect candidate" : "no correct candidate";
    return out;
  }
  if (all.empty()) {
    why_none = fmt::format("no correct candidate beats an incorrect one by more than --min-gap {}", args.min_gap);
    return out;
  }
  // Largest gap first; equal gaps keep the input order.
  std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.gap > b.gap; });
  for (size_t i = 0; i < all.size() && static_cast<int64_t>(i) < args.top_k; ++i) out.push_back(all[i].pair);
  return out;
}

ojson pair_record(const EvalGroup& g, const std::vector<float>& r, const Pair& p, int64_t line) {
  ojson out = ojson::object();
  if (g.id) out["id"] = *g.id;
  out["line"] = line;
  if (g.prompt_is_text) {
    out["prompt"] = g.prompt_text;
    out["chosen"] = g.response_texts[p.chosen];
    out["rejected"] = g.response_texts[p.rejected];
  } else {  // TRL conversational
    ojson prompt = ojson::array();
    for (const ChatMessage& m : g.prompt_messages) prompt.push_back({{"role", m.role}, {"content", m.content}});
    out["prompt"] = std::move(prompt);
    out["chosen"] = ojson::array({{{"role", "assistant"}, {"content", g.response_texts[p.chosen]}}});
    out["rejected"] = ojson::array({{{"role", "assistant"}, {"content", g.response_texts[p.rejected]}}});
  }
  out["chosen_reward"] = r[p.chosen];
  out["rejected_reward"] = r[p.rejected];
  out["chosen_index"] = p.chosen;
  out["rejected_index"] = p.rejected;
  if (g.labeled) {
    out["chosen_correct"] = static_cast<bool>(g.correct[p.chosen]);
    out["rejected_correct"] = static_cast<bool>(g.correct[p.rejected]);
  }
  return out;
}

int run(const AnnotateArgs& args) {
  validate_scorer_args(args.scorer);
  if (args.top_k_option->count() > 0 && args.pairs != "crew-dpo")
    throw CLI::ValidationError("--top-k", "applies to --pairs crew-dpo only (best-worst gives one pair per prompt)");
  const bool crew = args.pairs == "crew-dpo";
  InputGroups in = read_input_groups(args.input, EvalFormat::candidates, /*labels_required=*/crew);
  int64_t bad = report_bad_records({in}, args.skip_errors);

  std::vector<const EvalGroup*> groups;
  for (const ParsedRecord& r : in.records)
    if (r.group) groups.push_back(&*r.group);
  std::vector<GroupRewards> rewards;
  stop_on_interrupt();
  if (!args.scorer.method.empty()) {
    const std::unique_ptr<Scorer> scorer = make_scorer(args.scorer);
    Progress progress("scoring prompts", static_cast<int64_t>(groups.size()), args.quiet);
    rewards = score_groups(*scorer, groups, static_cast<size_t>(args.chunk_samples), progress);
  } else {
    for (const EvalGroup* g : groups) {
      GroupRewards r;
      for (size_t i = 0; i < g->given_rewards.size(); ++i) {
        if (!g->given_rewards[i]) {
          r.rewards.clear();
          r.error = fmt::format("candidates[{}] has no \"reward\"; give --method to score the candidates", i);
          break;
        }
        r.rewards.push_back(static_cast<float>(*g->given_rewards[i]));
      }
      rewards.push_back(std::move(r));
    }
  }

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (args.output != "-") {
    file.open(args.output, std::ios::binary);
    if (!file) throw Error(fmt::format("{}: cannot write", args.output));
    out = &file;
  }
  int64_t written = 0, without_pair = 0;
  size_t next_group = 0;
  for (const ParsedRecord& rec : in.records) {
    std::string error = rec.error;
    std::string text;
    if (rec.group) {
      const GroupRewards& r = rewards[next_group++];
      if (r.error == "interrupted") break;
      if (r.error.empty()) {
        std::string why_none;
        for (const Pair& p : pick_pairs(args, *rec.group, r.rewards, why_none)) {
          text += pair_record(*rec.group, r.rewards, p, rec.line).dump(-1, ' ', false,
                                                                       ojson::error_handler_t::replace) + "\n";
          ++written;
        }
        if (text.empty()) {
          ++without_pair;
          if (!args.quiet) std::cerr << fmt::format("rewardkit: {}: no pair: {}\n", rec.where, why_none);
        }
      } else {
        error = r.error;
        if (!args.skip_errors) throw Error(fmt::format("{}: {}", rec.where, error));
        std::cerr << fmt::format("rewardkit: {}: {}\n", rec.where, error);
        ++bad;
      }
    }
    if (!error.empty()) text = ojson{{"line", rec.line}, {"error", error}}.dump(-1, ' ', false,
                                                                              ojson::error_handler_t::replace) + "\n";
    *out << text;  // whole lines only
  }
  out->flush();
  if (!*out) throw Error(fmt::format("{}: write failed", args.output == "-" ? "<stdout>" : args.output));
  std::cerr << fmt::format("rewardkit: {} pairs from {} prompts ({} without a pair, {} with errors)\n", written,
                           in.records.size(), without_pair, bad);
  if (interrupted()) {
    std::cerr << "rewardkit: interrupted; the output holds the prompts before the interruption\n";
    return kInterruptedStatus;
  }
  return bad > 0 ? 3 : 0;
}

}  // namespace

void add_annotate_command(CLI::App& app) {
  auto args = std::make_shared<AnnotateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "annotate",
      "DPO preference pairs from scored candidates. Input records: {\"prompt\": str or [messages], \"candidates\": "
      "[{\"response\": str, \"correct\": bool, \"reward\": number}, ...]} (\"correct\" for crew-dpo, \"reward\" "
      "when no --method is given). Output: one {\"prompt\", \"chosen\", \"rejected\", ...} line per pair (TRL "
      "conversational when the prompt is a message list)");
  add_scorer_options(*cmd, args->scorer, /*with_token_logprobs=*/false, /*method_required=*/false);
  cmd->add_option("--input", args->input, "candidates file (JSON Lines or a JSON array, .gz or not); - for stdin")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "pairs file; - for stdout")->capture_default_str();
  cmd->add_option("--pairs", args->pairs,
                      "best-worst: the top-reward candidate over the bottom one; crew-dpo: (correct, incorrect) "
                      "pairs with the largest reward gaps")
          ->capture_default_str()
          ->check(CLI::IsMember({"best-worst", "crew-dpo"}));
  CLI::Option* top_k = cmd->add_option("--top-k", args->top_k, "crew-dpo: pairs kept per prompt")
                           ->capture_default_str()
                           ->check(CLI::PositiveNumber);
  args->top_k_option = top_k;
  cmd->add_option("--min-gap", args->min_gap, "keep a pair only when chosen's reward exceeds rejected's by more")
      ->capture_default_str();
  cmd->add_option("--chunk-samples", args->chunk_samples, "responses scored together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--skip-errors", args->skip_errors,
                "write an {\"line\", \"error\"} line for a bad record and go on (exit status 3) instead of stopping");
  cmd->add_flag("--quiet", args->quiet, "no progress line and no per-prompt notes on stderr");
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
