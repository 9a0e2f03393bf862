#include "cli/scorer_options.hpp"

#include <fstream>
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

void validate_impl(const ScorerArgs& a) {
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

std::unique_ptr<Scorer> make_scorer_impl(const ScorerArgs& a) {
  ScoringOptions options;
  options.max_batch_tokens = a.batch_tokens;
  options.share_prompts = a.share_prompts;
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

}  // namespace

void validate_scorer_args(const ScorerArgs& args) {
  if (args.method.empty()) {
    for (const auto& [flag, opt] : args.given)
      if (opt->count() > 0) throw CLI::ValidationError(flag, "needs --method");
  } else {
    validate_impl(args);
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
}

std::unique_ptr<Scorer> make_scorer(const ScorerArgs& args) { return make_scorer_impl(args); }

std::map<std::string, std::string> scorer_models(const ScorerArgs& a) {
  std::map<std::string, std::string> out;
  for (const auto& [name, dir] : {std::pair<const char*, const std::string&>{"model", a.model},
                                  {"strong", a.strong}, {"weak", a.weak}, {"policy", a.policy},
                                  {"reference", a.reference}}) {
    if (!dir.empty()) out[name] = dir;
  }
  return out;
}

void add_scorer_options(CLI::App& cmd_ref, ScorerArgs& a, bool with_token_logprobs, bool method_required) {
  CLI::App* cmd = &cmd_ref;
  ScorerArgs* args = &a;
  CLI::Option* method = cmd->add_option("--method", args->method, "bt, confidence, density-ratio, dpo or logprob")
                            ->check(CLI::IsMember({"bt", "confidence", "density-ratio", "dpo", "logprob"}));
  if (method_required) method->required();
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
  if (with_token_logprobs) {
    g["--token-logprobs"] = cmd->add_flag("--token-logprobs", args->token_logprobs,
                                          "add token_logprobs: log p of each response token (under --strong / --policy)");
  }
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
  cmd->add_flag("!--no-share-prompts", args->share_prompts,
                "log-prob methods: score each sample whole instead of running a prompt that several samples "
                "share once");
  cmd->add_flag("--truncate", args->truncate,
                "drop prompt tokens from the left of a sample longer than the model's limit instead of failing it");
  add_load_options(*cmd, args->load);
}

}  // namespace rewardkit::cli
