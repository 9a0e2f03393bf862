#include "tokenize/tokenizer_json_hints.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "rewardkit/error.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;

namespace {

bool flag(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// TemplateProcessing's "single" template, as ids around $A.
void read_template(const json& tp, const std::string& file, TokenizerJsonHints& out) {
  const json& single = tp.value("single", json::array());
  const json& specials = tp.value("special_tokens", json::object());
  bool seen_sequence = false;
  for (const json& item : single) {
    if (item.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    auto st = item.find("SpecialToken");
    if (st == item.end()) throw Error(fmt::format("{}: unexpected post_processor template item {}", file, item.dump()));
    const std::string name = st->value("id", "");
    auto def = specials.find(name);
    if (def == specials.end() || !def->contains("ids")) {
      throw Error(fmt::format("{}: post_processor uses special token \"{}\" without defining its ids", file, name));
    }
    for (const json& id : (*def)["ids"]) (seen_sequence ? out.suffix_ids : out.prefix_ids).push_back(id.get<int32_t>());
  }
}

}  // namespace

TokenizerJsonHints read_tokenizer_json_hints(const std::string& path) {
  TokenizerJsonHints out;
  out.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j;
  try {
    j = json::parse(buffer.str());
  } catch (const json::exception& e) {
    throw Error(fmt::format("malformed JSON in {}: {}", path, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object at the top level", path));
  try {
    const json& model = j.value("model", json::object());
    out.model_type = model.value("type", "");
    if (auto v = model.find("vocab"); v != model.end() && v->is_object()) {
      out.vocab.reserve(v->size());
      for (auto it = v->begin(); it != v->end(); ++it) out.vocab.emplace(it.key(), it.value().get<int64_t>());
    }
    if (auto m = model.find("merges"); m != model.end() && m->is_array()) {
      out.merges.reserve(m->size());
      for (const json& merge : *m) {
        if (merge.is_string()) {
          const std::string s = merge.get<std::string>();
          const size_t space = s.find(' ');
          if (space == std::string::npos) throw Error(fmt::format("{}: merge \"{}\" has no space", path, s));
          out.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2) {
          out.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
        } else {
          throw Error(fmt::format("{}: unexpected merge {}", path, merge.dump()));
        }
      }
    }
    if (auto a = j.find("added_tokens"); a != j.end() && a->is_array()) {
      for (const json& t : *a) {
        AddedTokenSpec spec;
        spec.content = t.at("content").get<std::string>();
        spec.special = flag(t, "special", false);
        spec.lstrip = flag(t, "lstrip", false);
        spec.rstrip = flag(t, "rstrip", false);
        spec.single_word = flag(t, "single_word", false);
        spec.normalized = flag(t, "normalized", !spec.special);
        out.added_tokens.emplace_back(t.at("id").get<int64_t>(), spec);
      }
    }
    const json& pp = j.value("post_processor", json());
    if (!pp.is_null()) {
      const std::string type = pp.value("type", "");
      if (type == "TemplateProcessing") {
        read_template(pp, path, out);
      } else if (type == "Sequence") {
        for (const json& p : pp.value("processors", json::array())) {
          const std::string t = p.value("type", "");
          if (t == "TemplateProcessing") {
            read_template(p, path, out);
          } else if (t != "ByteLevel") {
            throw Error(fmt::format("{}: post_processor {} is not supported yet", path, t));
          }
        }
      } else {
        throw Error(fmt::format("{}: post_processor {} is not supported yet", path, type));
      }
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: unexpected content: {}", path, e.what()));
  }
  return out;
}

}  // namespace rewardkit::tokenize
