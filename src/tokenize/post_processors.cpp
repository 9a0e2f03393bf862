#include "tokenize/post_processors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rewardkit/error.hpp"
#include "tokenize/json_fields.hpp"

namespace rewardkit::tokenize {

using nlohmann::json;
using namespace json_fields;

namespace {

SpecialTokenTemplate parse_template(const json& spec, const std::string& where) {
  const json& single = array_field(spec, "single", where);
  const json& specials = spec.contains("special_tokens") ? spec["special_tokens"] : json::object();
  SpecialTokenTemplate out;
  int sequences = 0;
  for (size_t i = 0; i < single.size(); ++i) {
    const json& item = single[i];
    const std::string at = fmt::format("{}.single[{}]", where, i);
    if (item.contains("Sequence")) {
      const json& seq = item["Sequence"];
      if (!seq.is_object() || seq.value("id", "") != "A") {
        throw Error(fmt::format("{}: a single-sequence template may only hold sequence A, got {}", at, item.dump()));
      }
      ++sequences;
      continue;
    }
    auto st = item.find("SpecialToken");
    if (st == item.end() || !st->is_object()) throw Error(fmt::format("{}: unexpected template item {}", at, item.dump()));
    const std::string name = string_field(*st, "id", at + ".SpecialToken");
    auto def = specials.find(name);
    if (def == specials.end() || !def->is_object() || !def->contains("ids") || !(*def)["ids"].is_array()) {
      throw Error(fmt::format("{}: special token {:?} has no ids in {}.special_tokens", at, name, where));
    }
    for (const json& id : (*def)["ids"]) {
      (sequences == 0 ? out.prefix : out.suffix).push_back(token_id(id, fmt::format("{}.special_tokens[{:?}].ids", where, name)));
    }
  }
  if (sequences != 1) throw Error(fmt::format("{}.single: expected exactly one $A, found {}", where, sequences));
  return out;
}

// RobertaProcessing / BertProcessing: cls $A sep, with cls and sep given as [token, id].
SpecialTokenTemplate parse_cls_sep(const json& spec, const std::string& where) {
  auto id_of = [&](const char* key) {
    const json& pair = required(spec, key, where);
    if (!pair.is_array() || pair.size() != 2) throw Error(fmt::format("{}.{}: expected [token, id]", where, key));
    return token_id(pair[1], fmt::format("{}.{}[1]", where, key));
  };
  return SpecialTokenTemplate{{id_of("cls")}, {id_of("sep")}};
}

}  // namespace

SpecialTokenTemplate parse_post_processor(const json& spec, const std::string& where) {
  if (spec.is_null()) return {};
  const std::string type = type_of(spec, where);
  if (type == "TemplateProcessing") return parse_template(spec, where);
  if (type == "ByteLevel") return {};
  if (type == "RobertaProcessing" || type == "BertProcessing") return parse_cls_sep(spec, where);
  if (type == "Sequence") {
    // Each processor wraps what the ones before it produced.
    const json& list = array_field(spec, "processors", where);
    SpecialTokenTemplate out;
    for (size_t i = 0; i < list.size(); ++i) {
      SpecialTokenTemplate inner = parse_post_processor(list[i], fmt::format("{}.processors[{}]", where, i));
      out.prefix.insert(out.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
      out.suffix.insert(out.suffix.end(), inner.suffix.begin(), inner.suffix.end());
    }
    return out;
  }
  throw Error(fmt::format("{}: post-processor type \"{}\" is not supported by rewardkit (supported: "
                          "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)",
                          where, type));
}

}  // namespace rewardkit::tokenize
