// load_tokenizer: registered loaders first, then the files of the checkpoint directory.
#include <fmt/format.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/tokenizer_json.hpp"
#include "tokenize/vocab_merges.hpp"

namespace rewardkit {

namespace fs = std::filesystem;

namespace {

std::mutex& loaders_mutex() {
  static std::mutex m;
  return m;
}

std::vector<TokenizerLoader>& loaders() {
  static std::vector<TokenizerLoader> v;
  return v;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks
}

}  // namespace

void register_tokenizer_loader(TokenizerLoader loader) {
  if (!loader) throw Error("register_tokenizer_loader: the loader is empty");
  std::lock_guard<std::mutex> lock(loaders_mutex());
  loaders().push_back(std::move(loader));
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir) {
  // Call the loaders outside the lock, so that one may itself load or register.
  std::vector<TokenizerLoader> registered;
  {
    std::lock_guard<std::mutex> lock(loaders_mutex());
    registered = loaders();
  }
  for (const TokenizerLoader& loader : registered) {
    if (std::unique_ptr<Tokenizer> t = loader(model_dir)) return t;
  }

  const fs::path dir(model_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("cannot load a tokenizer from {}: not a directory", model_dir));
  }
  // tokenizer.json, else vocab.json + merges.txt (GPT-2 style), else sentencepiece tokenizer.model.
  const fs::path json_file = dir / "tokenizer.json";
  const fs::path vocab_file = dir / "vocab.json";
  const fs::path merges_file = dir / "merges.txt";
  const fs::path spm_file = dir / "tokenizer.model";
  const bool has_json = is_file(json_file);
  const bool has_vocab = is_file(vocab_file);
  const bool has_merges = is_file(merges_file);
  const bool has_spm = is_file(spm_file);
  if (!has_json && !(has_vocab && has_merges) && !has_spm) {
    std::string half;
    if (has_vocab != has_merges) {
      half = has_vocab ? " (it has vocab.json but no merges.txt)" : " (it has merges.txt but no vocab.json)";
    }
    throw Error(fmt::format(
        "no tokenizer in {}: it has neither tokenizer.json, nor vocab.json with merges.txt, nor tokenizer.model{}",
        model_dir, half));
  }

  const tokenize::TokenizerConfig config = tokenize::read_tokenizer_config(model_dir);
  if (has_json) return tokenize::make_tokenizer_json_tokenizer(json_file.string(), config);
  // A LlamaTokenizer checkpoint that also carries vocab.json/merges.txt reads its tokenizer.model,
  // as transformers' LlamaTokenizer does.
  const bool llama_class = config.tokenizer_class && tokenize::is_llama_tokenizer_class(*config.tokenizer_class);
  if (has_vocab && has_merges && !(has_spm && llama_class)) {
    return tokenize::make_vocab_merges_tokenizer(vocab_file.string(), merges_file.string(), config);
  }
  // The sentencepiece implementation reproduces transformers' LlamaTokenizer; another class
  // (GemmaTokenizer, T5Tokenizer, ...) tokenizes the same pieces differently, so refuse it
  // rather than give other ids.
  if (config.tokenizer_class && !tokenize::is_llama_tokenizer_class(*config.tokenizer_class)) {
    throw Error(fmt::format(
        "{}: tokenizer_class \"{}\" is not supported: rewardkit tokenizes a tokenizer.model (without a "
        "tokenizer.json) the way transformers' LlamaTokenizer does, and only for LlamaTokenizer/LlamaTokenizerFast "
        "checkpoints",
        config.config_path, *config.tokenizer_class));
  }
  return tokenize::make_sentencepiece_tokenizer(spm_file.string(), config);
}

}  // namespace rewardkit
