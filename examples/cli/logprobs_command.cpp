// `rewardkit logprobs`: per-token log-probabilities and argmax predictions of a causal LM for
// each {"text": ...} line, the first thing to compare against transformers.
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/tokenizer.hpp"

namespace rewardkit::cli {

namespace {

struct LogprobsArgs {
  std::string model;
  std::string input = "-";
  bool skip_errors = false;
  LoadOptions load;
};

nlohmann::json score_text(const Model& model, const Tokenizer& tokenizer, const std::string& text) {
  const std::vector<int32_t> ids = tokenizer.encode(text, /*add_special_tokens=*/true);
  nlohmann::json out;
  out["ids"] = ids;
  out["logprobs"] = nlohmann::json::array();
  out["top_ids"] = nlohmann::json::array();
  if (ids.size() < 2) return out;
  at::Tensor input = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong).unsqueeze(0);
  TokenLogprobs lp = model.token_logprobs(input, at::ones_like(input));
  at::Tensor logprobs = lp.logprobs.squeeze(0).cpu().contiguous();
  at::Tensor top = lp.top_ids.squeeze(0).cpu().contiguous();
  const float* l = logprobs.data_ptr<float>();
  const int64_t* t = top.data_ptr<int64_t>();
  for (int64_t i = 0; i < logprobs.numel(); ++i) {
    out["logprobs"].push_back(l[i]);
    out["top_ids"].push_back(t[i]);
  }
  return out;
}

int run(const LogprobsArgs& args) {
  auto model = Model::load(args.model, args.load);
  if (model->info().head != ModelHead::CausalLM)
    throw Error(fmt::format("{}: logprobs needs a causal LM; this checkpoint is {}", args.model,
                            model->info().architecture));
  auto tokenizer = load_tokenizer(args.model);

  std::ifstream file;
  std::istream* in = &std::cin;
  const std::string source = args.input == "-" ? "<stdin>" : args.input;
  if (args.input != "-") {
    file.open(args.input);
    if (!file) throw Error(fmt::format("{}: cannot open", args.input));
    in = &file;
  }
  std::string line;
  int64_t line_no = 0, bad = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry no record
    nlohmann::json out;
    try {
      nlohmann::json rec;
      try {
        rec = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("not valid JSON ({})", e.what()));
      }
      if (!rec.is_object()) throw Error("expected a JSON object");
      if (!rec.contains("text")) throw Error("missing field \"text\"");
      if (!rec["text"].is_string()) throw Error("field \"text\" must be a string");
      out = score_text(*model, *tokenizer, rec["text"].get<std::string>());
      out["line"] = line_no;
      if (rec.contains("id")) out["id"] = rec["id"];
    } catch (const Error& e) {
      const std::string msg = fmt::format("{}:{}: {}", source, line_no, e.what());
      if (!args.skip_errors) throw Error(msg);
      ++bad;
      std::cerr << "rewardkit: " << msg << "\n";
      out = {{"line", line_no}, {"error", e.what()}};
    }
    std::cout << out.dump() << "\n" << std::flush;
  }
  if (bad > 0) std::cerr << fmt::format("rewardkit: {} of {} lines had errors\n", bad, line_no);
  return bad > 0 ? 3 : 0;
}

}  // namespace

void add_logprobs_command(CLI::App& app) {
  auto args = std::make_shared<LogprobsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "logprobs",
      "Per-token log-probs of a causal LM. Reads JSONL {\"text\": ...} lines and prints one JSON line each: "
      "ids (with special tokens, as HF encode), logprobs (n-1 values: log p(token i | tokens before)), "
      "top_ids (n-1 argmax predictions)");
  cmd->add_option("--model", args->model, "checkpoint directory (Hugging Face layout)")->required();
  add_jsonl_input_options(*cmd, args->input, args->skip_errors);
  add_load_options(*cmd, args->load);
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
