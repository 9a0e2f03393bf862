#pragma once
// What transformers 5.24's tokenizer classes change about a tokenizer.json when AutoTokenizer
// loads it (measured; tools/make_tokenizer_json_fixtures.py records both behaviours).
//
// A class without its own __init__ (TokenizersBackend, PreTrainedTokenizerFast) runs the file as
// it is. A class with one (LlamaTokenizer, GemmaTokenizer, Qwen2Tokenizer, ...) takes only the
// vocabulary, the merges and the post-processor from the file and rebuilds normalizer,
// pre-tokenizer, decoder and the BPE flags its own way: LlamaTokenizer, for instance, drops the
// file's Prepend/Replace normalizer for a Metaspace pre-tokenizer, so " Hello" loses the extra
// "▁" the file would give it. LlamaTokenizer checkpoints whose tokenizer.json is byte-level
// (DeepSeek-V3, ...) are loaded as TokenizersBackend. Classes rewardkit does not know are an error,
// never a silent guess.
//
// For every class the post-processor stays the file's: add_bos_token / add_eos_token in
// tokenizer_config.json change nothing when there is a tokenizer.json (DeepSeek-V3 says
// add_bos_token true and gets no BOS from transformers).
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "tokenize/tokenizer_config.hpp"

namespace rewardkit::tokenize {

struct TransformersClassRules {
  std::string class_name;  // as transformers resolves it ("TokenizersBackend", "LlamaTokenizer", ...)
  // The class's default strings for named special tokens the config does not mention
  // (nullopt: none by default).
  std::map<std::string, std::optional<std::string>> default_special_tokens;
};

// Rewrites `tokenizer_json` (parsed tokenizer.json) in place the way the checkpoint's
// tokenizer_class rebuilds it. `path` names the file in errors.
TransformersClassRules apply_transformers_class(nlohmann::json& tokenizer_json, const TokenizerConfig& config,
                                                const std::string& path);

}  // namespace rewardkit::tokenize
