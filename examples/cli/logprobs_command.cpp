// `rewardkit logprobs`: per-token log-probabilities and argmax predictions of a causal LM for
// each {"text": ...} line, the first thing to compare against transformers.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/record_reader.hpp"
#include "cli/sample_records.hpp"
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
  RecordReader reader(args.input);  // a missing file fails before the model loads
  auto model = Model::load(args.model, args.load);
  if (model->info().head != ModelHead::CausalLM)
    throw Error(fmt::format("{}: logprobs needs a causal LM; this checkpoint is {}", args.model,
                            model->info().architecture));
  auto tokenizer = load_tokenizer(args.model);

  InputRecord rec;
  int64_t records = 0, bad = 0;
  while (reader.next(rec)) {
    ++records;
    nlohmann::json out;
    try {
      if (!rec.value) throw Error(rec.error);
      const ojson& r = *rec.value;
      if (!r.is_object()) throw Error("expected a JSON object");
      out = score_text(*model, *tokenizer, string_field(r, "text"));
      out["line"] = rec.line;
      if (r.contains("id")) out["id"] = r["id"];
    } catch (const Error& e) {
      const std::string msg = fmt::format("{}: {}", reader.where(rec.line), e.what());
      if (!args.skip_errors) throw Error(msg);
      ++bad;
      std::cerr << "rewardkit: " << msg << "\n";
      out = {{"line", rec.line}, {"error", e.what()}};
    }
    std::cout << out.dump() << "\n" << std::flush;
  }
  if (bad > 0) std::cerr << fmt::format("rewardkit: {} of {} records had errors\n", bad, records);
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
