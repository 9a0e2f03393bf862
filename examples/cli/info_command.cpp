// `rewardkit info`: what a checkpoint directory is (architecture, head, size, dtype, tokenizer,
// chat template) and where and in what dtype rewardkit would run it. The model is loaded with the
// given load options (default: auto), so device and dtype are the ones a scoring run would get.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "rewardkit/chat.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "rewardkit/tokenizer.hpp"

namespace rewardkit::cli {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

struct InfoArgs {
  std::string model;
  bool json = false;
  LoadOptions load;
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// tokenizer_config.json as JSON, or null when absent or unreadable.
nlohmann::json tokenizer_config(const fs::path& dir) {
  std::ifstream in(dir / "tokenizer_config.json");
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

ojson id_or_null(int64_t id) { return id < 0 ? ojson(nullptr) : ojson(id); }

ojson describe(const InfoArgs& args) {
  const std::shared_ptr<Model> model = Model::load(args.model, args.load);
  const ModelInfo& info = model->info();
  const fs::path dir(args.model);
  const nlohmann::json config = tokenizer_config(dir);

  ojson out = ojson::object();
  out["dir"] = info.dir;
  out["architecture"] = info.architecture;
  out["model_type"] = info.model_type;
  out["head"] = info.head == ModelHead::CausalLM ? "causal-lm" : "sequence-classification";
  out["num_labels"] = info.head == ModelHead::CausalLM ? ojson(nullptr) : ojson(info.num_labels);
  out["labels"] = info.head == ModelHead::CausalLM ? ojson(nullptr) : ojson(info.labels);
  out["parameter_count"] = info.parameter_count;
  out["stored_dtype"] = info.stored_dtype.empty() ? ojson(nullptr) : ojson(info.stored_dtype);
  out["vocab_size"] = info.vocab_size;
  out["hidden_size"] = info.hidden_size;
  out["num_layers"] = info.num_layers;
  out["max_length"] = info.max_length;
  out["pad_token_id"] = id_or_null(info.pad_token_id);
  out["bos_token_id"] = id_or_null(info.bos_token_id);
  out["eos_token_id"] = id_or_null(info.eos_token_id);

  // The tokenizer files present, and the kind rewardkit reads.
  ojson tok = ojson::object();
  ojson files = ojson::array();
  for (const char* f : {"tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt", "tokenizer_config.json",
                        "special_tokens_map.json"})
    if (is_file(dir / f)) files.push_back(f);
  const bool has_json = is_file(dir / "tokenizer.json"), has_spm = is_file(dir / "tokenizer.model");
  const bool has_vocab_merges = is_file(dir / "vocab.json") && is_file(dir / "merges.txt");
  const std::string tokenizer_class =
      config.is_object() && config.contains("tokenizer_class") && config["tokenizer_class"].is_string()
          ? config["tokenizer_class"].get<std::string>()
          : "";
  // load_tokenizer's order: tokenizer.json, else vocab.json + merges.txt (except for a
  // LlamaTokenizer checkpoint that has a tokenizer.model), else tokenizer.model.
  const bool llama_class = tokenizer_class == "LlamaTokenizer" || tokenizer_class == "LlamaTokenizerFast";
  tok["kind"] = has_json                                        ? ojson("tokenizer.json")
                : has_vocab_merges && !(has_spm && llama_class) ? ojson("vocab+merges")
                : has_spm                                       ? ojson("sentencepiece")
                                                                : ojson(nullptr);
  tok["files"] = std::move(files);
  tok["class"] = tokenizer_class.empty() ? ojson(nullptr) : ojson(tokenizer_class);
  try {
    tok["vocab_size"] = load_tokenizer(args.model)->vocab_size();
    tok["error"] = nullptr;
  } catch (const Error& e) {
    tok["vocab_size"] = nullptr;
    tok["error"] = e.what();
  }
  out["tokenizer"] = std::move(tok);

  // The chat template, as transformers 5 picks it: chat_template.jinja, else tokenizer_config.json.
  ojson chat = ojson::object();
  const bool in_jinja = is_file(dir / "chat_template.jinja");
  const bool in_config = config.is_object() && config.contains("chat_template") && !config["chat_template"].is_null();
  chat["present"] = in_jinja || in_config;
  chat["source"] = in_jinja ? ojson("chat_template.jinja") : in_config ? ojson("tokenizer_config.json") : ojson(nullptr);
  chat["error"] = nullptr;
  if (in_jinja || in_config) {
    try {
      ChatFormatter::load(args.model);
    } catch (const Error& e) {
      chat["error"] = e.what();
    }
  }
  out["chat_template"] = std::move(chat);

  out["device"] = info.device;
  out["dtype"] = info.dtype;
  out["requested"] = {{"device", args.load.device}, {"dtype", args.load.dtype}};
  return out;
}

std::string text_of(const ojson& j) {
  auto str = [](const ojson& v, const char* none = "none") {
    if (v.is_null()) return std::string(none);
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::string head;
  if (j["head"] == "causal-lm") {
    head = "causal LM";
  } else {
    head = fmt::format("sequence classification, {} label{}", j["num_labels"].get<int64_t>(),
                       j["num_labels"].get<int64_t>() == 1 ? "" : "s");
    if (!j["labels"].empty()) {
      std::string names;
      for (const auto& l : j["labels"]) names += (names.empty() ? "" : ", ") + l.get<std::string>();
      head += ": " + names;
    }
  }
  const ojson& tok = j["tokenizer"];
  std::string files;
  for (const auto& f : tok["files"]) files += (files.empty() ? "" : ", ") + f.get<std::string>();
  std::string tokenizer = str(tok["kind"]);
  if (!tok["class"].is_null()) tokenizer += fmt::format(" ({})", tok["class"].get<std::string>());
  if (!files.empty()) tokenizer += "; files: " + files;
  std::string tok_vocab = tok["vocab_size"].is_null() ? "cannot load: " + tok["error"].get<std::string>()
                                                      : tok["vocab_size"].dump();
  const ojson& chat = j["chat_template"];
  std::string chat_text = chat["present"].get<bool>() ? "yes (" + chat["source"].get<std::string>() + ")" : "no";
  if (!chat["error"].is_null()) chat_text += "; does not load: " + chat["error"].get<std::string>();

  std::string out;
  auto row = [&](const char* name, const std::string& value) { out += fmt::format("{:<15} {}\n", name, value); };
  row("model", j["dir"].get<std::string>());
  row("architecture", str(j["architecture"]));
  row("model_type", str(j["model_type"]));
  row("head", head);
  row("parameters", j["parameter_count"].dump());
  row("stored dtype", str(j["stored_dtype"], "unknown"));
  row("vocab size", fmt::format("{} (embeddings); tokenizer: {}", j["vocab_size"].dump(), tok_vocab));
  row("max length", j["max_length"].dump());
  row("layers", fmt::format("{} (hidden size {})", j["num_layers"].dump(), j["hidden_size"].dump()));
  row("special ids", fmt::format("pad {}, bos {}, eos {}", str(j["pad_token_id"]), str(j["bos_token_id"]),
                                 str(j["eos_token_id"])));
  row("tokenizer", tokenizer);
  row("chat template", chat_text);
  row("runs on", fmt::format("{}, {} (asked: device {}, dtype {})", j["device"].get<std::string>(),
                             j["dtype"].get<std::string>(), j["requested"]["device"].get<std::string>(),
                             j["requested"]["dtype"].get<std::string>()));
  return out;
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "info",
      "What a checkpoint is: architecture, model_type, head and labels, parameter count, stored dtype, vocab size, "
      "max length, tokenizer kind, chat template, and the device and dtype rewardkit runs it in with the given load "
      "options (default auto)");
  cmd->add_option("--model", args->model, "checkpoint directory (Hugging Face layout)")->required();
  cmd->add_flag("--json", args->json, "print one JSON object instead of text");
  add_load_options(*cmd, args->load);
  cmd->callback([args] {
    const ojson j = describe(*args);
    if (args->json)
      std::cout << j.dump(-1, ' ', false, ojson::error_handler_t::replace) << "\n";
    else
      std::cout << text_of(j);
  });
}

}  // namespace rewardkit::cli
