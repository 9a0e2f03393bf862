#pragma once
// Hugging Face tokenizer.json checkpoints (BPE models: byte-level as in GPT-2, Llama 3, Qwen2/3,
// DeepSeek-V3; sentencepiece-style with Metaspace/byte_fallback as in Llama 2, Mistral, Gemma),
// tokenized as transformers 5.24's AutoTokenizer tokenizes them.
//
// The pipeline is tokenizers' own: added tokens found in the raw text (non-normalized ones) ->
// normalizer over each stretch between them -> normalized added tokens -> pre-tokenizer ->
// BPE per word -> post-processor (with add_special_tokens). The components live in
// normalizers/pre_tokenizers/bpe_model/post_processors/decoders.*; transformers' class-specific
// rebuilding of them in transformers_classes.*. Anything a file uses that rewardkit does not
// implement is an error at load time naming the file and the JSON path of the component.
//
// Beyond HF (which only sees valid Unicode): invalid UTF-8 input is not an error; each byte that is
// not part of a well-formed sequence is replaced by U+FFFD first, as for sentencepiece.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "rewardkit/tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/transformers_classes.hpp"

namespace rewardkit::tokenize {

// `path` is the tokenizer.json file; `config` the directory's tokenizer_config.json settings.
std::unique_ptr<Tokenizer> make_tokenizer_json_tokenizer(const std::string& path, const TokenizerConfig& config);

// The same from a parsed tokenizer.json (transformers' class rules applied as for the file);
// `path_for_errors` only names it in error messages.
std::unique_ptr<Tokenizer> make_tokenizer_from_json(nlohmann::json tokenizer_json, const std::string& path_for_errors,
                                                    const TokenizerConfig& config);

// A pipeline that a transformers class has built itself from other files (vocab.json + merges.txt,
// see vocab_merges.hpp), so no class rewrites it: `rules` gives the class's default special
// tokens. Such a class builds no post-processor, so transformers' TokenizersBackend
// .update_post_processor makes one from add_bos_token / add_eos_token (default false) and the
// final bos/eos ids; the JSON's own post_processor is ignored.
std::unique_ptr<Tokenizer> make_tokenizer_from_class_built_json(nlohmann::json tokenizer_json,
                                                                const std::string& path_for_errors,
                                                                const TokenizerConfig& config,
                                                                const TransformersClassRules& rules);

// The same without transformers' class rules and tokenizer_config.json: the file exactly as the
// `tokenizers` library runs it (Tokenizer.from_file). For comparing against that library.
std::unique_ptr<Tokenizer> make_raw_tokenizer_json_tokenizer(const std::string& path);

}  // namespace rewardkit::tokenize
