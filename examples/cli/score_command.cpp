// `rewardkit score`: rewards for JSONL samples with any of the library's methods (Bradley-Terry
// classifiers, confidence, density ratio, DPO implicit reward, response log-likelihood). One output
// line per input line, in order. Lines are scored in chunks, so output streams and a sample that
// fails (too long, no chat template, ...) only affects its own line.
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "rewardkit/bradley_terry.hpp"
#include "rewardkit/confidence.hpp"
#include "rewardkit/density_ratio.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/log_likelihood.hpp"

namespace rewardkit::cli {

namespace {

using ojson = nlohmann::ordered_json;

struct ScoreArgs {
  std::string method;
  std::string model, strong, weak, policy, reference, ref_free;
  double beta = 1.0;
  bool mean = false;
  bool token_logprobs = false;
  std::string locator = "boxed";
  std::string aggregation = "mean";
  float no_answer_reward = 0.0f;
  std::string criteria;
  std::string chat_vars = "{}";
  int64_t batch_tokens = ScoringOptions{}.max_batch_tokens;
  int64_t chunk_lines = 64;
  bool truncate = false;
  bool skip_errors = false;
  std::string input = "-";
  LoadOptions load;
  // The method-specific options, by flag name, to tell which were given.
  std::map<std::string, CLI::Option*> given;
};

// What each method takes (beyond the common options) and needs.
struct MethodRule {
  std::set<std::string> takes;
  const char* usage;
};

const std::map<std::string, MethodRule>& method_rules() {
  static const std::map<std::string, MethodRule> rules = {
      {"bt", {{"--model"}, "--model DIR (a *ForSequenceClassification checkpoint)"}},
      {"confidence",
       {{"--model", "--locator", "--aggregation", "--no-answer-reward", "--token-logprobs"},
        "--model DIR [--locator boxed|answer-is[:PHRASE]|regex:PATTERN] [--aggregation mean|geometric|min|mean-logprob] "
        "[--no-answer-reward X] [--token-logprobs]"}},
      {"logprob", {{"--model", "--mean", "--token-logprobs"}, "--model DIR [--mean] [--token-logprobs]"}},
      {"density-ratio",
       {{"--strong", "--weak", "--mean", "--criteria", "--token-logprobs"},
        "--strong DIR --weak DIR [--mean] [--criteria FILE] [--token-logprobs]"}},
      {"dpo",
       {{"--policy", "--reference", "--beta", "--ref-free", "--token-logprobs"},
        "--policy DIR --reference DIR [--beta B], or --policy DIR --ref-free avg|sum|norm; [--token-logprobs]"}},
  };
  return rules;
}

void validate(const ScoreArgs& a) {
  const MethodRule& rule = method_rules().at(a.method);
  const std::string where = "--method " + a.method;
  auto has = [&](const std::string& flag) { return a.given.at(flag)->count() > 0; };
  for (const auto& [flag, opt] : a.given) {
    if (opt->count() > 0 && !rule.takes.count(flag))
      throw CLI::ValidationError(where, fmt::format("does not take {}; it takes {}", flag, rule.usage));
  }
  auto need = [&](const std::string& flag) {
    if (!has(flag)) throw CLI::ValidationError(where, fmt::format("needs {}; usage: {}", flag, rule.usage));
  };
  if (a.method == "bt" || a.method == "confidence" || a.method == "logprob") need("--model");
  if (a.method == "density-ratio") {
    need("--strong");
    need("--weak");
  }
  if (a.method == "dpo") {
    need("--policy");
    if (has("--reference") && has("--ref-free"))
      throw CLI::ValidationError(where, "--reference and --ref-free contradict each other: give one");
    if (!has("--reference") && !has("--ref-free"))
      throw CLI::ValidationError(where, fmt::format("needs --reference DIR or --ref-free avg|sum|norm; usage: {}",
                                                    rule.usage));
    if (has("--beta") && has("--ref-free"))
      throw CLI::ValidationError(where, "--beta applies to --reference only (the reference-free rewards have no beta)");
  }
}

AnswerLocator make_locator(const std::string& spec) {
  try {
    if (spec == "boxed") return boxed_answer();
    if (spec == "answer-is") return answer_is_answer();
    if (spec.rfind("answer-is:", 0) == 0) return answer_is_answer(spec.substr(10));
    if (spec.rfind("regex:", 0) == 0) return regex_answer(spec.substr(6));
  } catch (const Error& e) {
    throw CLI::ValidationError("--locator", e.what());
  }
  throw CLI::ValidationError("--locator",
                             fmt::format("{:?} is not boxed, answer-is, answer-is:PHRASE or regex:PATTERN", spec));
}

ConfidenceAggregation make_aggregation(const std::string& name) {
  if (name == "mean") return ConfidenceAggregation::mean_probability;
  if (name == "geometric") return ConfidenceAggregation::geometric_mean;
  if (name == "min") return ConfidenceAggregation::min_probability;
  return ConfidenceAggregation::mean_logprob;  // the option's check admits nothing else
}

LogRatioReduction make_ref_free(const std::string& name) {
  if (name == "avg") return LogRatioReduction::mean;
  if (name == "sum") return LogRatioReduction::sum;
  return LogRatioReduction::norm;
}

// --criteria FILE: {"domain": {"system_prompt": "...", "exemplars": [{"prompt": ..., "response": ...}]}}.
std::map<std::string, DomainCriteria> read_criteria(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: expected an object of domain -> criteria", path));
  std::map<std::string, DomainCriteria> out;
  for (const auto& [domain, c] : j.items()) {
    const std::string where = fmt::format("{}: domain {:?}", path, domain);
    if (!c.is_object()) throw Error(where + ": expected an object");
    DomainCriteria criteria;
    for (const auto& [key, value] : c.items()) {
      if (key == "system_prompt") {
        if (!value.is_string()) throw Error(where + ": \"system_prompt\" must be a string");
        criteria.system_prompt = value.get<std::string>();
      } else if (key == "exemplars") {
        if (!value.is_array()) throw Error(where + ": \"exemplars\" must be an array");
        for (const auto& e : value) {
          if (!e.is_object() || !e.contains("prompt") || !e.contains("response") || !e["prompt"].is_string() ||
              !e["response"].is_string())
            throw Error(where + ": each exemplar must be {\"prompt\": string, \"response\": string}");
          criteria.exemplars.push_back({e["prompt"].get<std::string>(), e["response"].get<std::string>()});
        }
      } else {
        throw Error(fmt::format("{}: unknown key {:?} (system_prompt, exemplars)", where, key));
      }
    }
    out[domain] = std::move(criteria);
  }
  return out;
}

std::unique_ptr<Scorer> make_scorer(const ScoreArgs& a) {
  ScoringOptions options;
  options.max_batch_tokens = a.batch_tokens;
  options.truncate = a.truncate;
  options.chat.extra_json = a.chat_vars;
  if (a.method == "bt") return BradleyTerryScorer::load(a.model, a.load, options);
  if (a.method == "confidence") {
    ConfidenceOptions c;
    c.locator = make_locator(a.locator);
    c.aggregation = make_aggregation(a.aggregation);
    c.no_answer_reward = a.no_answer_reward;
    return ConfidenceScorer::load(a.model, a.load, options, c);
  }
  if (a.method == "logprob") {
    LogLikelihoodOptions ll;
    ll.mean = a.mean;
    return LogLikelihoodScorer::load(a.model, a.load, options, ll);
  }
  if (a.method == "density-ratio") {
    DensityRatioOptions ratio;
    ratio.reduction = a.mean ? LogRatioReduction::mean : LogRatioReduction::sum;
    if (!a.criteria.empty()) ratio.domains = read_criteria(a.criteria);
    return DensityRatioScorer::load(a.strong, a.weak, a.load, options, ratio);
  }
  if (!a.ref_free.empty()) return DensityRatioScorer::load_reference_free(a.policy, make_ref_free(a.ref_free), a.load, options);
  return DensityRatioScorer::load_dpo(a.policy, a.reference, a.beta, a.load, options);
}

// One JSONL record to a Sample; throws rewardkit::Error for a bad record.
Sample parse_sample(const ojson& rec) {
  if (!rec.is_object()) throw Error("expected a JSON object");
  Sample s;
  const bool has_messages = rec.contains("messages");
  const bool has_text = rec.contains("prompt") || rec.contains("response");
  if (has_messages && has_text) throw Error("give either \"messages\" or \"prompt\" and \"response\", not both");
  if (has_messages) {
    const ojson& messages = rec["messages"];
    if (!messages.is_array()) throw Error("field \"messages\" must be an array of message objects");
    if (messages.empty()) throw Error("field \"messages\" is empty");
    for (size_t i = 0; i < messages.size(); ++i) {
      const ojson& m = messages[i];
      if (!m.is_object()) throw Error(fmt::format("messages[{}] must be an object", i));
      ChatMessage msg;
      for (const auto& [key, value] : m.items()) {
        if (key == "role") {
          if (!value.is_string() || value.get_ref<const std::string&>().empty())
            throw Error(fmt::format("messages[{}].role must be a non-empty string", i));
          msg.role = value.get<std::string>();
        } else if (key == "content") {
          if (!value.is_string()) throw Error(fmt::format("messages[{}].content must be a string", i));
          msg.content = value.get<std::string>();
        } else if (key == "reasoning_content") {
          if (value.is_null()) continue;
          if (!value.is_string()) throw Error(fmt::format("messages[{}].reasoning_content must be a string", i));
          msg.reasoning_content = value.get<std::string>();
        } else {
          throw Error(fmt::format("messages[{}]: key {:?} is not supported (role, content, reasoning_content)", i, key));
        }
      }
      if (msg.role.empty()) throw Error(fmt::format("messages[{}] has no \"role\"", i));
      if (!m.contains("content")) throw Error(fmt::format("messages[{}] has no \"content\"", i));
      s.messages.push_back(std::move(msg));
    }
    if (s.messages.back().role != "assistant")
      throw Error(fmt::format("the last message is the response and must have role \"assistant\", not {:?}",
                              s.messages.back().role));
  } else if (has_text) {
    for (const char* key : {"prompt", "response"}) {
      if (!rec.contains(key)) throw Error(fmt::format("missing field \"{}\"", key));
      if (!rec[key].is_string()) throw Error(fmt::format("field \"{}\" must be a string", key));
    }
    s.prompt = rec["prompt"].get<std::string>();
    s.response = rec["response"].get<std::string>();
  } else {
    throw Error("missing field \"messages\" (or \"prompt\" and \"response\")");
  }
  if (rec.contains("domain")) {
    if (!rec["domain"].is_string()) throw Error("field \"domain\" must be a string");
    s.domain = rec["domain"].get<std::string>();
  }
  return s;
}

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
  Runner(const ScoreArgs& args, const Scorer& scorer, std::string source)
      : args_(args), scorer_(scorer), source_(std::move(source)) {}

  // Scores and writes the pending entries. Without --skip-errors, throws at the first bad one,
  // after writing those before it.
  void flush() {
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
    pending_.clear();
  }

  void add(Entry e) {
    const bool stops = !e.sample && !args_.skip_errors;  // write what comes before it, then stop
    pending_.push_back(std::move(e));
    if (stops || static_cast<int64_t>(pending_.size()) >= args_.chunk_lines) flush();
  }

  int64_t bad() const { return bad_; }

 private:
  std::string error_record(const Entry& e) {
    const std::string msg = fmt::format("{}:{}: {}", source_, e.line, e.error);
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
    if (args_.method == "confidence") {
      out["answer_found"] = d.answer_found;
      out["answer"] = d.answer_found ? ojson(d.answer) : ojson(nullptr);
      out["answer_tokens"] = d.answer_tokens;
    }
    if (args_.token_logprobs) out["token_logprobs"] = d.token_logprobs;
    try {
      return out.dump();
    } catch (const nlohmann::json::exception& ex) {
      throw Error(fmt::format("the output is not valid UTF-8 ({})", ex.what()));
    }
  }

  const ScoreArgs& args_;
  const Scorer& scorer_;
  const std::string source_;
  std::vector<Entry> pending_;
  int64_t bad_ = 0;
};

int run(const ScoreArgs& args) {
  validate(args);
  std::ifstream file;
  std::istream* in = &std::cin;
  const std::string source = args.input == "-" ? "<stdin>" : args.input;
  if (args.input != "-") {
    file.open(args.input);
    if (!file) throw Error(fmt::format("{}: cannot open", args.input));
    in = &file;
  }
  if (args.chat_vars != "{}") {
    nlohmann::json vars;
    try {
      vars = nlohmann::json::parse(args.chat_vars);
    } catch (const nlohmann::json::exception& e) {
      throw CLI::ValidationError("--chat-vars", fmt::format("not valid JSON ({})", e.what()));
    }
    if (!vars.is_object()) throw CLI::ValidationError("--chat-vars", "must be a JSON object");
  }
  const std::unique_ptr<Scorer> scorer = make_scorer(args);

  Runner runner(args, *scorer, source);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry no record
    Entry e;
    e.line = line_no;
    try {
      ojson rec;
      try {
        rec = ojson::parse(line);
      } catch (const nlohmann::json::exception& ex) {
        throw Error(fmt::format("not valid JSON ({})", ex.what()));
      }
      if (rec.is_object() && rec.contains("id")) e.id = rec["id"];
      e.sample = parse_sample(rec);
    } catch (const Error& ex) {
      e.sample.reset();
      e.error = ex.what();
    }
    runner.add(std::move(e));
  }
  runner.flush();
  if (runner.bad() > 0) std::cerr << fmt::format("rewardkit: {} of {} lines had errors\n", runner.bad(), line_no);
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
  cmd->add_option("--method", args->method, "bt, confidence, density-ratio, dpo or logprob")
      ->required()
      ->check(CLI::IsMember({"bt", "confidence", "density-ratio", "dpo", "logprob"}));
  auto& g = args->given;
  g["--model"] = cmd->add_option("--model", args->model, "checkpoint directory (bt, confidence, logprob)");
  g["--strong"] = cmd->add_option("--strong", args->strong, "density-ratio: the strong causal LM (its chat template formats)");
  g["--weak"] = cmd->add_option("--weak", args->weak, "density-ratio: the weak causal LM (same vocabulary)");
  g["--policy"] = cmd->add_option("--policy", args->policy, "dpo: the policy (DPO-trained) causal LM");
  g["--reference"] = cmd->add_option("--reference", args->reference, "dpo: the reference causal LM");
  g["--ref-free"] = cmd->add_option("--ref-free", args->ref_free,
                                    "dpo without a reference: avg (mean log-prob), sum or norm (run_dpo.py)")
                        ->check(CLI::IsMember({"avg", "sum", "norm"}));
  g["--beta"] = cmd->add_option("--beta", args->beta, "dpo with --reference: reward = beta * log-ratio")->capture_default_str();
  g["--mean"] = cmd->add_flag("--mean", args->mean, "density-ratio, logprob: per-token mean instead of the sum");
  g["--token-logprobs"] = cmd->add_flag("--token-logprobs", args->token_logprobs,
                                        "add token_logprobs: log p of each response token (under --strong / --policy)");
  g["--locator"] = cmd->add_option("--locator", args->locator,
                                   "confidence: boxed, answer-is (\"The answer is\"), answer-is:PHRASE or regex:PATTERN")
                       ->capture_default_str();
  g["--aggregation"] = cmd->add_option("--aggregation", args->aggregation,
                                       "confidence: mean (probability), geometric, min or mean-logprob")
                           ->capture_default_str()
                           ->check(CLI::IsMember({"mean", "geometric", "min", "mean-logprob"}));
  g["--no-answer-reward"] = cmd->add_option("--no-answer-reward", args->no_answer_reward,
                                            "confidence: the reward of a response without an answer")
                                ->capture_default_str();
  g["--criteria"] = cmd->add_option("--criteria", args->criteria,
                                    "density-ratio: JSON file {domain: {system_prompt, exemplars: [{prompt, "
                                    "response}]}} applied by each sample's \"domain\" (\"\" is the default)");
  cmd->add_option("--chat-vars", args->chat_vars, "extra chat-template variables as a JSON object, e.g. "
                                                  "{\"enable_thinking\": false}")
      ->capture_default_str();
  cmd->add_option("--batch-tokens", args->batch_tokens, "at most this many padded tokens per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--chunk-lines", args->chunk_lines, "input lines scored (and written) together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--truncate", args->truncate,
                "drop prompt tokens from the left of a sample longer than the model's limit instead of failing it");
  add_jsonl_input_options(*cmd, args->input, args->skip_errors);
  add_load_options(*cmd, args->load);
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
