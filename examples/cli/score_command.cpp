// `rewardkit score`: rewards for JSONL samples with any of the library's methods (Bradley-Terry
// classifiers, confidence, density ratio, DPO implicit reward, response log-likelihood). One output
// line per input line, in order. Lines are scored in chunks, so output streams and a sample that
// fails (too long, no chat template, ...) only affects its own line.
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "cli/record_reader.hpp"
#include "cli/sample_records.hpp"
#include "cli/scorer_options.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::cli {

namespace {

struct ScoreArgs {
  ScorerArgs scorer;
  int64_t chunk_lines = 64;
  bool skip_errors = false;
  bool quiet = false;
  std::string input = "-";
};

// One input line: a sample to score, or the error that stopped it.
struct Entry {
  int64_t line = 0;
  std::optional<ojson> id;
  std::optional<Sample> sample;
  std::string error;
};

std::string what_of(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

class Runner {
 public:
  Runner(const ScoreArgs& args, const Scorer& scorer, const RecordReader& reader)
      : args_(args), scorer_(scorer), reader_(reader) {}

  // Scores and writes the pending entries. Without --skip-errors, throws at the first bad one,
  // after writing those before it.
  void flush() {
    if (progress) progress->clear();
    std::vector<Sample> batch;
    std::vector<size_t> where;  // entry index of each batch sample
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].sample) {
        batch.push_back(*pending_[i].sample);
        where.push_back(i);
      }
    }
    std::optional<ScoreResult> all;
    if (!batch.empty()) {
      try {
        all = scorer_.score(batch);
      } catch (const std::exception&) {
        // Some sample failed: score them one by one below so that only it is affected.
      }
    }
    size_t next = 0;  // next batch sample
    for (Entry& e : pending_) {
      std::string text;
      if (e.sample) {
        const size_t k = next++;
        try {
          if (all) {
            text = render(e, *all, k);
          } else {
            text = render(e, scorer_.score({*e.sample}), 0);
          }
        } catch (const std::exception& ex) {
          e.error = what_of(ex);
          // The library names the sample by its index in the batch, here always 0: the line
          // number replaces that.
          const std::string prefix = "sample 0: ";
          if (e.error.rfind(prefix, 0) == 0) e.error.erase(0, prefix.size());
        }
      }
      if (text.empty()) text = error_record(e);
      std::cout << text << "\n";
    }
    std::cout << std::flush;
    if (progress) progress->advance(static_cast<int64_t>(pending_.size()));
    pending_.clear();
  }

  Progress* progress = nullptr;  // cleared before a chunk's messages, advanced after it

  void add(Entry e) {
    const bool stops = !e.sample && !args_.skip_errors;  // write what comes before it, then stop
    pending_.push_back(std::move(e));
    if (stops || static_cast<int64_t>(pending_.size()) >= args_.chunk_lines) flush();
  }

  int64_t bad() const { return bad_; }

 private:
  std::string error_record(const Entry& e) {
    const std::string msg = fmt::format("{}: {}", reader_.where(e.line), e.error);
    if (!args_.skip_errors) {
      std::cout << std::flush;
      pending_.clear();
      throw Error(msg);
    }
    ++bad_;
    std::cerr << "rewardkit: " << msg << "\n";
    return ojson{{"line", e.line}, {"error", e.error}}.dump(-1, ' ', false, ojson::error_handler_t::replace);
  }

  std::string render(const Entry& e, const ScoreResult& r, size_t k) const {
    ojson out = ojson::object();
    if (e.id) out["id"] = *e.id;
    out["line"] = e.line;
    if (r.columns == 1) {
      out["reward"] = r.reward(k);
    } else {
      ojson values = ojson::array();
      for (int64_t c = 0; c < r.columns; ++c) values.push_back(r.reward(k, static_cast<size_t>(c)));
      out["reward"] = std::move(values);
      out["labels"] = r.labels;
    }
    const SampleDetail& d = r.details.at(k);
    out["prompt_tokens"] = d.prompt_tokens;
    out["response_tokens"] = d.response_tokens;
    out["truncated_tokens"] = d.truncated_tokens;
    if (args_.scorer.method == "confidence") {
      out["answer_found"] = d.answer_found;
      out["answer"] = d.answer_found ? ojson(d.answer) : ojson(nullptr);
      out["answer_tokens"] = d.answer_tokens;
    }
    if (args_.scorer.token_logprobs) out["token_logprobs"] = d.token_logprobs;
    try {
      return out.dump();
    } catch (const nlohmann::json::exception& ex) {
      throw Error(fmt::format("the output is not valid UTF-8 ({})", ex.what()));
    }
  }

  const ScoreArgs& args_;
  const Scorer& scorer_;
  const RecordReader& reader_;
  std::vector<Entry> pending_;
  int64_t bad_ = 0;
};

int run(const ScoreArgs& args) {
  validate_scorer_args(args.scorer);
  RecordReader reader(args.input);  // opened first: a missing file fails before the models load
  const std::unique_ptr<Scorer> scorer = make_scorer(args.scorer);

  Runner runner(args, *scorer, reader);
  Progress progress("scoring records", 0, args.quiet);
  runner.progress = &progress;
  stop_on_interrupt();
  InputRecord rec;
  int64_t records = 0;
  while (!interrupted() && reader.next(rec)) {
    ++records;
    Entry e;
    e.line = rec.line;
    try {
      if (!rec.value) throw Error(rec.error);
      if (rec.value->is_object() && rec.value->contains("id")) e.id = (*rec.value)["id"];
      e.sample = parse_sample(*rec.value);
    } catch (const Error& ex) {
      e.sample.reset();
      e.error = ex.what();
    }
    runner.add(std::move(e));
  }
  runner.flush();
  progress.clear();
  if (interrupted()) {
    std::cerr << fmt::format("rewardkit: interrupted after {} records; the output holds each of them\n", records);
    return kInterruptedStatus;
  }
  if (runner.bad() > 0) std::cerr << fmt::format("rewardkit: {} of {} records had errors\n", runner.bad(), records);
  return runner.bad() > 0 ? 3 : 0;
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Rewards for JSONL samples. Each line is {\"messages\": [...]} (the last, assistant message is the response) or "
      "{\"prompt\": ..., \"response\": ...}, with optional \"id\" and \"domain\"; each gives one JSON line: id, line, "
      "reward (an array plus labels for a multi-label head), prompt_tokens, response_tokens, truncated_tokens, and "
      "for confidence answer_found, answer, answer_tokens");
  add_scorer_options(*cmd, args->scorer, /*with_token_logprobs=*/true);
  cmd->add_option("--chunk-lines", args->chunk_lines, "input lines scored (and written) together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_jsonl_input_options(*cmd, args->input, args->skip_errors);
  cmd->add_flag("--quiet", args->quiet, "no progress line on stderr");
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
