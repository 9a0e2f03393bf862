// Arbitrary bytes as text through the committed tokenizers (byte-level BPE tokenizer.json files
// and a sentencepiece model, in transformers' and in sentencepiece's own semantics). Every id
// is inside the vocabulary, decoding never fails on encoder output, and the byte-level BPE
// tokenizers (no normalizer) give valid UTF-8 text back exactly.
#include <memory>
#include <vector>

#include "fuzz_common.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"
#include "tokenize/utf8.hpp"

namespace {

struct Loaded {
  std::unique_ptr<rewardkit::Tokenizer> tokenizer;
  bool round_trips;  // byte-level BPE without a normalizer: decode(encode(t)) == t for valid UTF-8
};

const std::vector<Loaded>& tokenizers() {
  static const std::vector<Loaded> all = [] {
    const std::string root = rewardkit::fuzz::fixtures_dir();
    std::vector<Loaded> v;
    v.push_back({rewardkit::load_tokenizer(root + "/tests/fixtures/scorers/rm"), true});
    v.push_back({rewardkit::load_tokenizer(root + "/models/arith-rm"), true});
    v.push_back({rewardkit::tokenize::make_sentencepiece_tokenizer(
                     root + "/tests/fixtures/tokenizers/tiny_bpe/tokenizer.model", rewardkit::tokenize::TokenizerConfig{}),
                 false});
    return v;
  }();
  return all;
}

const rewardkit::tokenize::SentencepieceModel& native_model() {
  static const rewardkit::tokenize::SentencepieceModel m(
      rewardkit::fuzz::fixtures_dir() + "/tests/fixtures/tokenizers/tiny_bpe/tokenizer.model",
      rewardkit::tokenize::SentencepieceModel::Mode::native);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  const std::string text(fuzz::as_text(data, size));
  const bool valid = tokenize::valid_utf8(text);
  for (const Loaded& t : tokenizers()) {
    for (bool special : {false, true}) {
      const std::vector<int32_t> ids = t.tokenizer->encode(text, special);
      for (int32_t id : ids) RK_FUZZ_CHECK(id >= 0 && id < t.tokenizer->vocab_size(), "ids inside the vocabulary");
      const std::string back = t.tokenizer->decode(ids, false);
      (void)t.tokenizer->decode(ids, true);
      if (t.round_trips && valid && !special) RK_FUZZ_CHECK(back == text, "byte-level BPE gives the text back");
    }
  }
  const tokenize::SentencepieceModel& m = native_model();
  const std::vector<int32_t> ids = m.encode(text);
  for (int32_t id : ids) RK_FUZZ_CHECK(id >= 0 && id < m.piece_size(), "sentencepiece ids inside the vocabulary");
  (void)m.decode(ids);
  return 0;
}
