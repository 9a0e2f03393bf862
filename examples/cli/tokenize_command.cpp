// `rewardkit tokenize`: the ids a checkpoint's tokenizer gives each {"text": ...} line, or, with
// --chat, each {"messages": [...]} conversation rendered through the checkpoint's chat template
// (the text a reward model scores). Loads only the tokenizer, never the weights.
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/record_reader.hpp"
#include "rewardkit/chat.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"

namespace rewardkit::cli {

namespace {

struct TokenizeArgs {
  std::string model;
  std::string input = "-";
  bool no_special = false;
  bool chat = false;
  bool add_generation_prompt = false;
  bool skip_errors = false;
};

// One input record to its output record; throws rewardkit::Error for a bad record.
ojson tokenize_record(const TokenizeArgs& args, const Tokenizer& tokenizer, const ChatFormatter* formatter,
                      const ojson& rec) {
  if (!rec.is_object()) throw Error("expected a JSON object");
  const bool has_text = rec.contains("text"), has_messages = rec.contains("messages");
  if (has_text && has_messages) throw Error("give either \"text\" or \"messages\", not both");
  if (!has_text && !has_messages) throw Error("missing field \"text\" (or \"messages\" with --chat)");
  ojson out = ojson::object();
  if (has_text) {
    if (!rec["text"].is_string()) throw Error("field \"text\" must be a string");
    const std::string& text = rec["text"].get_ref<const std::string&>();
    out["ids"] = tokenizer.encode(text, /*add_special_tokens=*/!args.no_special);
    if (args.chat) out["text"] = text;
  } else {
    if (!formatter) throw Error("field \"messages\" needs --chat (to render them with the chat template)");
    if (!rec["messages"].is_array()) throw Error("field \"messages\" must be an array of message objects");
    ChatOptions options;
    options.add_generation_prompt = args.add_generation_prompt;
    const std::string rendered = formatter->render_json(rec["messages"].dump(), options);
    out["ids"] = args.no_special ? tokenizer.encode(rendered, /*add_special_tokens=*/false)
                                 : encode_rendered_chat(tokenizer, rendered, formatter->bos_token());
    out["text"] = rendered;
  }
  if (rec.contains("id")) out["id"] = rec["id"];
  return out;
}

int run(const TokenizeArgs& args) {
  RecordReader reader(args.input);  // a missing file fails before the tokenizer loads
  auto tokenizer = load_tokenizer(args.model);
  std::optional<ChatFormatter> formatter;
  if (args.chat) formatter = ChatFormatter::load(args.model);

  InputRecord rec;
  int64_t records = 0, bad = 0;
  while (reader.next(rec)) {
    ++records;
    std::string text;
    try {
      if (!rec.value) throw Error(rec.error);
      ojson out = tokenize_record(args, *tokenizer, formatter ? &*formatter : nullptr, *rec.value);
      out["line"] = rec.line;
      try {
        text = out.dump();
      } catch (const nlohmann::json::exception& e) {  // a template that cut a UTF-8 sequence
        throw Error(fmt::format("the output is not valid UTF-8 ({})", e.what()));
      }
    } catch (const Error& e) {
      const std::string msg = fmt::format("{}: {}", reader.where(rec.line), e.what());
      if (!args.skip_errors) throw Error(msg);
      ++bad;
      std::cerr << "rewardkit: " << msg << "\n";
      text = ojson{{"line", rec.line}, {"error", e.what()}}.dump(-1, ' ', false, ojson::error_handler_t::replace);
    }
    std::cout << text << "\n" << std::flush;
  }
  if (bad > 0) std::cerr << fmt::format("rewardkit: {} of {} records had errors\n", bad, records);
  return bad > 0 ? 3 : 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "Token ids of a checkpoint's tokenizer (no weights are loaded). Reads JSONL {\"text\": ...} lines, or with "
      "--chat also {\"messages\": [...]} conversations rendered with the checkpoint's chat template, and prints one "
      "JSON line each: ids (special tokens added as HF encode adds them), text (with --chat: the rendered "
      "conversation, or the input text), line");
  cmd->add_option("--model", args->model, "checkpoint directory (Hugging Face layout)")->required();
  add_jsonl_input_options(*cmd, args->input, args->skip_errors);
  cmd->add_flag("--no-special", args->no_special, "do not add BOS/EOS (HF add_special_tokens=False)");
  CLI::Option* chat = cmd->add_flag(
      "--chat", args->chat,
      "accept {\"messages\": [...]} lines and render them with the chat template as HF apply_chat_template does; "
      "a leading BOS the tokenizer would add again is dropped, as RewardBench does");
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt,
                "end rendered conversations with the header of the assistant's turn")
      ->needs(chat);
  run_with_status(*cmd, [args] { return run(*args); });
}

}  // namespace rewardkit::cli
