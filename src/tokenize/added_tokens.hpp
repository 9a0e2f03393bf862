#pragma once
// Finding added tokens in text, as tokenizers' AddedVocabulary does before the model runs:
// leftmost-longest matches (its Aho-Corasick automaton), then the single_word, lstrip and rstrip
// rules of each token. Shared by the sentencepiece and tokenizer.json implementations.
#include <cstddef>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenize/tokenizer_config.hpp"

namespace rewardkit::tokenize {

// A stretch of text: an added token (index >= 0, as given to AddedTokenMatcher::add) or plain
// text between tokens (index -1). Offsets are bytes into the text.
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
  int index = -1;
};

class AddedTokenMatcher {
 public:
  // Registers `spec` under `index` (what a match reports). Empty contents are ignored, as HF does.
  void add(const AddedTokenSpec& spec, int index);
  bool empty() const { return specs_.empty(); }

  // Splits s (which sits at byte `base` of the text) into tokens and the text around them and
  // appends the spans, offsets relative to the text. Never appends an empty text span.
  void split(std::string_view s, size_t base, std::vector<TextSpan>& out) const;

 private:
  // The longest token starting at s[pos]: its slot in specs_, or -1; sets *len.
  int longest_at(std::string_view s, size_t pos, size_t* len) const;

  struct Entry {
    AddedTokenSpec spec;
    int index;
  };
  std::vector<Entry> specs_;
  // A byte trie: edge (node << 8 | byte) -> child node; terminal_[node] = slot in specs_ or -1.
  std::unordered_map<uint64_t, int> edges_;
  std::vector<int> terminal_{-1};
};

}  // namespace rewardkit::tokenize
