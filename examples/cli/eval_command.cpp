// `rewardkit eval`: a reward method on preference benchmarks. Pairwise accuracy per subset
// (a pair is won only when chosen scores strictly higher), RewardBench 2 best-of-4, best-of-N
// accuracy over labeled candidates; RewardBench and RewardBench 2 section and overall scores
// when the subsets are theirs. Prints a Markdown table; --report writes the same as JSON and
// --scores every record's rewards.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/group_scoring.hpp"
#include "cli/input_groups.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "cli/scorer_options.hpp"
#include "rewardkit/benchmark_sections.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/pairwise.hpp"

namespace rewardkit::cli {

namespace {

struct EvalArgs {
  ScorerArgs scorer;
  std::vector<std::string> inputs;
  std::string format = "auto";
  std::string report, scores;
  int64_t chunk_samples = 64;
  bool skip_errors = false;
  bool quiet = false;
};

const char* metric_of(EvalFormat f) {
  switch (f) {
    case EvalFormat::rewardbench2:
      return "best-of-4";
    case EvalFormat::candidates:
      return "best-of-N";
    default:
      return "pairwise accuracy";
  }
}

// A record's score under its format's rule, and the score of guessing.
struct RecordScore {
  double score = 0.0, chance = 0.0;
};

RecordScore score_record(EvalFormat f, const EvalGroup& g, const std::vector<float>& r) {
  if (f == EvalFormat::candidates) {
    double correct = 0;
    for (bool c : g.correct) correct += c;
    return {best_of_n_correct_share(r, g.correct), correct / static_cast<double>(r.size())};
  }
  // Pairs and RewardBench 2: the chosen response comes first.
  const std::vector<float> rejected(r.begin() + 1, r.end());
  if (f == EvalFormat::rewardbench2) return {best_of_4_score(r[0], rejected), 1.0 / static_cast<double>(r.size())};
  return {r[0] > r[1] ? 1.0 : 0.0, 0.5};
}

struct SubsetTally {
  size_t input = 0;
  std::string subset;
  int64_t count = 0;
  double score_sum = 0.0, chance_sum = 0.0;
  double score() const { return score_sum / static_cast<double>(count); }
  double chance() const { return chance_sum / static_cast<double>(count); }
};

std::string percent(double x) { return fmt::format("{:.1f}%", 100.0 * x); }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

ojson sections_json(const BenchmarkScores& s) {
  ojson out = ojson::object();
  ojson sections = ojson::array();
  for (const SectionScore& sec : s.sections) {
    sections.push_back({{"section", sec.name},
                        {"score", sec.score ? ojson(*sec.score) : ojson(nullptr)},
                        {"subsets", sec.subsets},
                        {"missing", sec.missing}});
  }
  out["sections"] = std::move(sections);
  out["overall"] = s.overall ? ojson(*s.overall) : ojson(nullptr);
  return out;
}

void print_sections(std::ostream& os, const char* benchmark, const BenchmarkScores& s) {
  os << fmt::format("\n| {} section | score | subsets scored |\n| --- | ---: | --- |\n", benchmark);
  std::vector<std::string> incomplete;
  for (const SectionScore& sec : s.sections) {
    const size_t all = sec.subsets.size() + sec.missing.size();
    std::string subsets = fmt::format("{} of {}", sec.subsets.size(), all);
    if (!sec.missing.empty() && !sec.subsets.empty()) subsets += " (missing " + join(sec.missing) + ")";
    os << fmt::format("| {} | {} | {} |\n", sec.name, sec.score ? percent(*sec.score) : "n/a", subsets);
    if (!sec.score) incomplete.push_back(sec.name);
  }
  os << fmt::format("| overall | {} | {} |\n", s.overall ? percent(*s.overall) : "n/a",
                    s.overall ? "mean of the sections" : "no subset of " + join(incomplete));
}

void write_file(const std::string& path, const std::string& text) {
  // Written beside and renamed, so a reader never sees half a report.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(fmt::format("{}: cannot write", tmp));
    out << text;
    if (!out.flush()) throw Error(fmt::format("{}: write failed", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(fmt::format("{}: cannot rename to {}", tmp, path));
}

int run(const EvalArgs& args) {
  validate_scorer_args(args.scorer);
  const std::optional<EvalFormat> forced = parse_format_name(args.format);
  const auto start = std::chrono::steady_clock::now();
  std::vector<InputGroups> inputs;
  for (const std::string& path : args.inputs) inputs.push_back(read_input_groups(path, forced, true));
  int64_t bad = report_bad_records(inputs, args.skip_errors);

  const std::unique_ptr<Scorer> scorer = make_scorer(args.scorer);
  std::vector<const EvalGroup*> groups;
  std::vector<std::pair<size_t, size_t>> where;  // (input, record) of each group
  for (size_t i = 0; i < inputs.size(); ++i)
    for (size_t k = 0; k < inputs[i].records.size(); ++k)
      if (inputs[i].records[k].group) {
        groups.push_back(&*inputs[i].records[k].group);
        where.emplace_back(i, k);
      }
  stop_on_interrupt();
  std::vector<GroupRewards> rewards;
  {
    Progress progress("scoring records", static_cast<int64_t>(groups.size()), args.quiet);
    rewards = score_groups(*scorer, groups, static_cast<size_t>(args.chunk_samples), progress);
  }
  if (interrupted()) {
    std::cerr << "rewardkit: interrupted; no report written\n";
    return kInterruptedStatus;
  }

  // Per record: the score, or the error that kept it out.
  std::vector<SubsetTally> tallies;
  std::map<std::pair<size_t, std::string>, size_t> tally_of;
  ojson errors = ojson::array();
  std::string scores_jsonl;
  std::vector<int64_t> input_errors(inputs.size(), 0);
  size_t next_group = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (size_t k = 0; k < inputs[i].records.size(); ++k) {
      const ParsedRecord& rec = inputs[i].records[k];
      ojson line = ojson::object();
      line["input"] = inputs[i].path;
      line["line"] = rec.line;
      std::string error = rec.error;
      if (rec.group) {
        const GroupRewards& r = rewards[next_group++];
        const EvalGroup& g = *rec.group;
        if (g.id) line["id"] = *g.id;
        if (r.error.empty()) {
          const RecordScore s = score_record(inputs[i].format, g, r.rewards);
          const std::string subset = g.subset.empty() ? inputs[i].name : g.subset;
          auto [it, added] = tally_of.try_emplace({i, subset}, tallies.size());
          if (added) tallies.push_back({i, subset});
          SubsetTally& t = tallies[it->second];
          ++t.count;
          t.score_sum += s.score;
          t.chance_sum += s.chance;
          line["subset"] = subset;
          line["rewards"] = r.rewards;
          line["correct"] = g.correct;
          line["score"] = s.score;
        } else {
          error = r.error;
          if (!args.skip_errors) throw Error(fmt::format("{}: {}", rec.where, error));
          std::cerr << fmt::format("rewardkit: {}: {}\n", rec.where, error);
          ++bad;
        }
      }
      if (!error.empty()) {
        ++input_errors[i];
        line["error"] = error;
        errors.push_back({{"input", inputs[i].path}, {"line", rec.line}, {"error", error}});
      }
      scores_jsonl += line.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
    }
  }
  if (!args.scores.empty()) write_file(args.scores, scores_jsonl);

  std::map<std::string, double> rb_subsets, rb2_subsets;
  for (const SubsetTally& t : tallies) {
    const EvalFormat f = inputs[t.input].format;
    if (f == EvalFormat::rewardbench2 && is_rewardbench2_subset(t.subset)) rb2_subsets[t.subset] = t.score();
    if ((f == EvalFormat::rewardbench || f == EvalFormat::trl || f == EvalFormat::trl_conversational) &&
        is_rewardbench_subset(t.subset))
      rb_subsets[t.subset] = t.score();
  }

  // The table.
  std::string models;
  for (const auto& [role, dir] : scorer_models(args.scorer)) models += (models.empty() ? "" : ", ") + role + " " + dir;
  std::cout << fmt::format("### {} ({})\n\n", args.scorer.method, models);
  std::cout << "| input | subset | metric | n | score | chance |\n| --- | --- | --- | ---: | ---: | ---: |\n";
  for (const SubsetTally& t : tallies) {
    std::cout << fmt::format("| {} | {} | {} | {} | {} | {} |\n", inputs[t.input].name, t.subset,
                             metric_of(inputs[t.input].format), t.count, percent(t.score()), percent(t.chance()));
  }
  if (bad > 0) std::cout << fmt::format("\n{} record(s) could not be scored and are left out (see the errors).\n", bad);
  const BenchmarkScores rb = rewardbench_sections(rb_subsets), rb2 = rewardbench2_sections(rb2_subsets);
  if (!rb_subsets.empty()) print_sections(std::cout, "RewardBench", rb);
  if (!rb2_subsets.empty()) print_sections(std::cout, "RewardBench 2", rb2);
  std::cout << std::flush;

  if (!args.report.empty()) {
    ojson report = ojson::object();
    report["method"] = args.scorer.method;
    report["models"] = scorer_models(args.scorer);
    ojson in = ojson::array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      in.push_back({{"path", inputs[i].path},
                    {"format", format_name(inputs[i].format)},
                    {"format_detected", inputs[i].detected},
                    {"records", inputs[i].records.size()},
                    {"errors", input_errors[i]}});
    }
    report["inputs"] = std::move(in);
    ojson subsets = ojson::array();
    for (const SubsetTally& t : tallies) {
      subsets.push_back({{"input", inputs[t.input].path},
                         {"subset", t.subset},
                         {"metric", metric_of(inputs[t.input].format)},
                         {"count", t.count},
                         {"score", t.score()},
                         {"chance", t.chance()}});
    }
    report["subsets"] = std::move(subsets);
    report["rewardbench"] = rb_subsets.empty() ? ojson(nullptr) : sections_json(rb);
    report["rewardbench2"] = rb2_subsets.empty() ? ojson(nullptr) : sections_json(rb2);
    report["errors"] = std::move(errors);
    report["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_file(args.report, report.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n");
  }
  if (bad > 0) std::cerr << fmt::format("rewardkit: {} records had errors\n", bad);
  return bad > 0 ? 3 : 0;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Evaluate a reward method on preference data: pairwise accuracy per subset (chosen must score strictly "
      "higher), RewardBench 2 best-of-4, best-of-N accuracy on labeled candidates, and RewardBench / RewardBench 2 "
      "section and overall scores when the subsets are theirs. Formats (detected from the first record): "
      "rewardbench, trl, trl-conversational, rewardbench2, candidates; JSON Lines or a JSON array, .gz or not. "
      "Prints a Markdown table");
  add_scorer_options(*cmd, args->scorer, /*with_token_logprobs=*/false);
  cmd->add_option("--input", args->inputs, "input file (repeat for several; - for stdin)")->required();
  cmd->add_option("--format", args->format, "the input layout, or auto to detect it from the first record")
      ->capture_default_str()
      ->check(CLI::IsMember(format_names()));
  cmd->add_option("--report", args->report, "write the results as JSON to this file");
  cmd->add_option("--scores", args->scores,
                  "write every record's rewards (or error) as JSON Lines to this file: input, line, id, subset, "
                  "rewards (chosen first), correct, score");
  cmd->add_option("--chunk-samples", args->chunk_samples, "responses scored together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--skip-errors", args->skip_errors,
                "leave bad or unscorable records out of the scores, list them (report, --scores) and exit with "
                "status 3, instead of stopping");
  cmd->add_flag("--quiet", args->quiet, "no progress line on stderr");
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
