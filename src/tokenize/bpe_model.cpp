#include "tokenize/bpe_model.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <queue>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"
#include "tokenize/utf8.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;
using namespace json_fields;

BpeModel::BpeModel(const json& model, const std::string& where) {
  const json* vocab = model.contains("vocab") ? &model["vocab"] : nullptr;
  if (vocab == nullptr || !vocab->is_object()) throw Error(fmt::format("{}.vocab: expected an object of token -> id", where));
  vocab_.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    const int32_t id = token_id(it.value(), fmt::format("{}.vocab[{:?}]", where, it.key()));
    vocab_[it.key()] = id;
    if (static_cast<size_t>(id) >= tokens_.size()) {
      tokens_.resize(static_cast<size_t>(id) + 1);
      has_id_.resize(static_cast<size_t>(id) + 1, false);
    }
    tokens_[static_cast<size_t>(id)] = it.key();
    has_id_[static_cast<size_t>(id)] = true;
  }

  if (auto d = model.find("dropout"); d != model.end() && !d->is_null()) {
    if (!d->is_number() || d->get<double>() != 0.0) {
      throw Error(fmt::format("{}.dropout: BPE dropout ({}) is not supported: it makes tokenization random", where,
                              d->dump()));
    }
  }

  const json* merges = model.contains("merges") ? &model["merges"] : nullptr;
  if (merges != nullptr && !merges->is_null()) {
    if (!merges->is_array()) throw Error(fmt::format("{}.merges: expected an array", where));
    merge_parts_.reserve(merges->size());
    for (size_t r = 0; r < merges->size(); ++r) {
      const json& m = (*merges)[r];
      if (m.is_string()) {
        // The old format, "a b": exactly one space (tokens of such files have none).
        const std::string s = m.get<std::string>();
        const size_t space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
          throw Error(fmt::format("{}.merges[{}]: {:?} is not two tokens separated by one space", where, r, s));
        }
        merge_parts_.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        merge_parts_.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        throw Error(fmt::format("{}.merges[{}]: expected \"a b\" or [\"a\", \"b\"], got {}", where, r, m.dump()));
      }
    }
  }

  BpeSettings s;
  s.unk_token = optional_string(model, "unk_token", where);
  s.continuing_subword_prefix = optional_string(model, "continuing_subword_prefix", where).value_or("");
  s.end_of_word_suffix = optional_string(model, "end_of_word_suffix", where).value_or("");
  s.fuse_unk = bool_field(model, "fuse_unk", false, where);
  s.byte_fallback = bool_field(model, "byte_fallback", false, where);
  s.ignore_merges = bool_field(model, "ignore_merges", false, where);
  set_settings(s, where);
}

void BpeModel::set_settings(const BpeSettings& settings, const std::string& where) {
  settings_ = settings;
  unk_id_.reset();
  if (settings_.unk_token) {
    auto it = vocab_.find(*settings_.unk_token);
    if (it == vocab_.end()) {
      throw Error(fmt::format("{}.unk_token: {:?} is not in the vocabulary", where, *settings_.unk_token));
    }
    unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = vocab_.find(fmt::format("<0x{:02X}>", b));
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  // Merge (a, b) makes a + b without b's continuing_subword_prefix; a later duplicate wins.
  merges_.clear();
  merges_.reserve(merge_parts_.size());
  const size_t prefix_len = settings_.continuing_subword_prefix.size();
  for (size_t r = 0; r < merge_parts_.size(); ++r) {
    const auto& [a, b] = merge_parts_[r];
    auto ia = vocab_.find(a), ib = vocab_.find(b);
    if (ia == vocab_.end() || ib == vocab_.end()) {
      throw Error(fmt::format("{}.merges[{}]: {:?} is not in the vocabulary", where, r, ia == vocab_.end() ? a : b));
    }
    if (prefix_len > 0 && b.compare(0, prefix_len, settings_.continuing_subword_prefix) != 0) {
      throw Error(fmt::format("{}.merges[{}]: {:?} does not start with the continuing_subword_prefix {:?}", where, r,
                              b, settings_.continuing_subword_prefix));
    }
    const std::string joined = a + b.substr(prefix_len);
    auto ij = vocab_.find(joined);
    if (ij == vocab_.end()) {
      throw Error(fmt::format("{}.merges[{}]: the merged token {:?} is not in the vocabulary", where, r, joined));
    }
    merges_[pair_key(ia->second, ib->second)] = Merge{static_cast<int32_t>(r), ij->second};
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !has_id_[static_cast<size_t>(id)]) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (settings_.ignore_merges) {
    if (auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  merge_word(word, out);
}

// tokenizers' BPE::merge_word + Word::merge_all.
void BpeModel::merge_word(std::string_view w, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int prev, next;
    bool removed;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(w.size());
  auto add = [&](int32_t id) {
    const int n = static_cast<int>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back({id, n - 1, -1, false});
  };

  int32_t pending_unk = -1;  // an unk not yet added (held back so that fuse_unk can fuse it)
  std::string s;
  for (size_t i = 0; i < w.size();) {
    const size_t len = char_length(w, i);
    const bool is_first = i == 0, is_last = i + len == w.size();
    s.clear();
    if (!is_first) s += settings_.continuing_subword_prefix;
    s.append(w.substr(i, len));
    if (is_last) s += settings_.end_of_word_suffix;
    i += len;

    if (auto it = vocab_.find(s); it != vocab_.end()) {
      if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
      add(it->second);
      continue;
    }
    if (settings_.byte_fallback) {
      bool all = true;
      for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
      if (all) {
        if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
        for (unsigned char b : s) add(byte_ids_[b]);
        continue;
      }
    }
    if (unk_id_) {
      // Consecutive unknown characters become one unk with fuse_unk, one each without.
      if (pending_unk >= 0 && !settings_.fuse_unk) add(pending_unk);
      pending_unk = *unk_id_;
    }
    // No unk_token and no byte pieces: tokenizers drops the character; so do we.
  }
  if (pending_unk >= 0) add(pending_unk);

  struct Candidate {
    int32_t rank;
    int pos;
    int32_t new_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto find_merge = [&](int32_t a, int32_t b) -> const Merge* {
    auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({m->rank, static_cast<int>(i), m->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& cur = symbols[static_cast<size_t>(top.pos)];
    if (cur.removed || cur.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(cur.next)];
    const Merge* m = find_merge(cur.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
    cur.id = top.new_id;
    right.removed = true;
    cur.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
    if (cur.prev >= 0) {
      if (const Merge* pm = find_merge(symbols[static_cast<size_t>(cur.prev)].id, cur.id)) {
        queue.push({pm->rank, cur.prev, pm->new_id});
      }
    }
    if (cur.next >= 0) {
      if (const Merge* nm = find_merge(cur.id, symbols[static_cast<size_t>(cur.next)].id)) {
        queue.push({nm->rank, top.pos, nm->new_id});
      }
    }
  }
  for (const Symbol& sym : symbols) {
    if (!sym.removed) out.push_back(sym.id);
  }
}

}  // namespace rewardkit::tokenize
