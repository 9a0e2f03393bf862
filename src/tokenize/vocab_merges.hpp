#pragma once
// Checkpoints with a GPT-2 style vocabulary, vocab.json + merges.txt, and no tokenizer.json,
// tokenized as transformers 5.24's GPT2Tokenizer builds them (measured, see
// tools/make_gpt2_fixtures.py):
//   model        BPE(vocab, merges, dropout None, continuing_subword_prefix "", end_of_word_suffix "",
//                fuse_unk False): no unk_token in the model, no byte_fallback
//   normalizer   none
//   pre_tokenizer ByteLevel(add_prefix_space = tokenizer_config's add_prefix_space, default false;
//                use_regex true)
//   decoder      ByteLevel
//   post_processor none of its own, so TokenizersBackend.update_post_processor builds
//                "[bos] $A [eos]" from add_bos_token / add_eos_token (both default false)
//   special tokens bos, eos and unk default to "<|endoftext|>" (pad none); tokenizer_config.json /
//                special_tokens_map.json override them as for any class
//   added_tokens.json (legacy) is read when tokenizer_config.json has no added_tokens_decoder, as
//                transformers does: a token is special when it is one of the named/extra special
//                tokens of the config files, and normalized when it is not special
//   additional_special_tokens counts as extra_special_tokens when the latter is absent (transformers
//                5 converts the old name for this class)
// Only GPT2Tokenizer / GPT2TokenizerFast (or no tokenizer_class) is supported: other classes that
// read vocab.json + merges.txt (RobertaTokenizer, CLIPTokenizer, ...) build different pipelines
// and are refused at load time.
//
// merges.txt is read as tokenizers' BPE::from_file reads it: lines starting with "#version" are
// skipped, every other line must be exactly two tokens separated by one space (a CRLF ending is
// allowed), and both tokens and their concatenation must be in the vocabulary. Beyond HF: blank
// lines at the end of the file are ignored (HF rejects them); a blank line before a merge is an
// error, as in HF. Errors name the file and the 1-based line.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "rewardkit/tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"

namespace rewardkit::tokenize {

// True for the tokenizer_class values handled here: GPT2Tokenizer, GPT2TokenizerFast.
bool is_gpt2_tokenizer_class(const std::string& tokenizer_class);

// The tokenizer.json that GPT2Tokenizer builds for these files and settings ("post_processor" is
// null: it is made from the final bos/eos ids when the tokenizer is built, see
// make_tokenizer_from_class_built_json). Throws rewardkit::Error naming the file (and line) for
// anything malformed, and for a tokenizer_class other than GPT2Tokenizer(Fast).
nlohmann::json gpt2_tokenizer_json(const std::string& vocab_path, const std::string& merges_path,
                                   const TokenizerConfig& config);

// The tokenizer of a checkpoint directory's vocab.json + merges.txt (+ added_tokens.json).
std::unique_ptr<Tokenizer> make_vocab_merges_tokenizer(const std::string& vocab_path, const std::string& merges_path,
                                                       const TokenizerConfig& config);

}  // namespace rewardkit::tokenize
