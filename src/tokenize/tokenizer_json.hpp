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
#include <memory>
#include <string>

#include "rewardkit/tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"

namespace rewardkit::tokenize {

// `path` is the tokenizer.json file; `config` the directory's tokenizer_config.json settings.
std::unique_ptr<Tokenizer> make_tokenizer_json_tokenizer(const std::string& path, const TokenizerConfig& config);

// The same without transformers' class rules and tokenizer_config.json: the file exactly as the
// `tokenizers` library runs it (Tokenizer.from_file). For comparing against that library.
std::unique_ptr<Tokenizer> make_raw_tokenizer_json_tokenizer(const std::string& path);

}  // namespace rewardkit::tokenize
