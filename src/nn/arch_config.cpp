#include "nn/arch_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "rewardkit/error.hpp"

namespace rewardkit::nn {

using nlohmann::json;

namespace {

// Which layers attend through a sliding window when config.json has no `layer_types`.
enum class SlidingRule {
  None,           // never
  AllLayers,      // Mistral: every layer when sliding_window is set
  QwenUpperLayers,// Qwen2/3: layers >= max_window_layers when use_sliding_window
  EvenLayers,     // Gemma2: layers 0, 2, 4, ... slide
};

struct ArchRow {
  const char* model_type;
  bool qkv_bias;          // q/k/v biases always present (Qwen2), whatever attention_bias says
  bool reads_attention_bias;  // attention_bias switches q/k/v/o biases (Llama, Qwen3, Gemma2)
  bool qk_norm;
  bool gemma_style;       // (1 + w) norms, sqrt(hidden) embedding scale, sandwich norms, soft-capping
  const char* activation_key;
  SlidingRule sliding;
  bool tie_default;       // tie_word_embeddings when config.json does not say
};

// The one table. HF's modeling_<type>.py files are the reference for each row.
constexpr ArchRow kArchTable[] = {
    {"llama", false, true, false, false, "hidden_act", SlidingRule::None, false},
    {"mistral", false, false, false, false, "hidden_act", SlidingRule::AllLayers, false},
    {"qwen2", true, false, false, false, "hidden_act", SlidingRule::QwenUpperLayers, false},
    {"qwen3", false, true, true, false, "hidden_act", SlidingRule::QwenUpperLayers, false},
    {"gemma2", false, true, false, true, "hidden_activation", SlidingRule::EvenLayers, true},
};

const ArchRow* find_row(const std::string& type) {
  for (const ArchRow& r : kArchTable)
    if (type == r.model_type) return &r;
  return nullptr;
}

// Typed field access with errors that name the source and the field.
struct Fields {
  const json& j;
  const std::string& source;

  bool has(const char* key) const { return j.contains(key) && !j[key].is_null(); }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(fmt::format("{}: field \"{}\" {}", source, key, what));
  }
  int64_t integer(const char* key) const {
    if (!j.contains(key)) fail(key, "is missing");
    if (!j[key].is_number_integer()) fail(key, "must be an integer");
    return j[key].get<int64_t>();
  }
  int64_t positive(const char* key) const {
    int64_t v = integer(key);
    if (v <= 0) fail(key, fmt::format("must be positive, got {}", v));
    return v;
  }
  int64_t positive_or(const char* key, int64_t fallback) const { return has(key) ? positive(key) : fallback; }
  double number(const json& obj, const std::string& key, const std::string& where) const {
    if (!obj[key].is_number()) fail(where, "must be a number");
    return obj[key].get<double>();
  }
  double number_or(const char* key, double fallback) const {
    return has(key) ? number(j, key, key) : fallback;
  }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j[key].is_boolean()) fail(key, "must be true or false");
    return j[key].get<bool>();
  }
  std::optional<int64_t> optional_token_id(const char* key) const {
    if (!has(key)) return std::nullopt;
    const json& v = j[key];
    // Some configs list several EOS ids; the first is the one HF treats as eos_token_id.
    if (v.is_array()) {
      if (v.empty()) return std::nullopt;
      if (!v[0].is_number_integer()) fail(key, "must be an integer or a list of integers");
      return v[0].get<int64_t>();
    }
    if (!v.is_number_integer()) fail(key, "must be an integer or a list of integers");
    return v.get<int64_t>();
  }
};

RopeConfig parse_rope(const Fields& f) {
  RopeConfig rope;
  // transformers 5 writes rope_parameters (theta inside); 4.x wrote rope_theta + rope_scaling.
  const json* params = nullptr;
  std::string where;
  // As transformers 5 reads them: a legacy rope_scaling wins over rope_parameters.
  if (f.has("rope_scaling")) {
    params = &f.j["rope_scaling"];
    where = "rope_scaling";
  } else if (f.has("rope_parameters")) {
    params = &f.j["rope_parameters"];
    where = "rope_parameters";
  }
  rope.theta = f.number_or("rope_theta", 10000.0);
  if (!params) return rope;
  if (!params->is_object()) f.fail(where, "must be an object");
  const json& p = *params;
  if (p.contains("rope_theta")) rope.theta = f.number(p, "rope_theta", where + ".rope_theta");
  std::string type = "default";
  for (const char* key : {"rope_type", "type"})
    if (p.contains(key) && p[key].is_string()) {
      type = p[key].get<std::string>();
      break;
    }
  auto need = [&](const char* key) {
    if (!p.contains(key)) f.fail(where + "." + key, fmt::format("is missing (needed by rope type \"{}\")", type));
    return f.number(p, key, where + "." + key);
  };
  if (type == "default") {
    rope.type = RopeConfig::Type::Default;
  } else if (type == "linear") {
    rope.type = RopeConfig::Type::Linear;
    rope.factor = need("factor");
  } else if (type == "llama3") {
    rope.type = RopeConfig::Type::Llama3;
    rope.factor = need("factor");
    rope.low_freq_factor = need("low_freq_factor");
    rope.high_freq_factor = need("high_freq_factor");
    rope.original_max_position_embeddings =
        p.contains("original_max_position_embeddings")
            ? static_cast<int64_t>(f.number(p, "original_max_position_embeddings", where + ".original_max_position_embeddings"))
            : f.positive_or("max_position_embeddings", 2048);
    if (rope.high_freq_factor == rope.low_freq_factor)
      f.fail(where + ".high_freq_factor", "must differ from low_freq_factor");
  } else {
    f.fail(where + ".rope_type",
           fmt::format("is \"{}\"; supported rope types are default, linear and llama3", type));
  }
  if (rope.factor <= 0) f.fail(where + ".factor", "must be positive");
  return rope;
}

}  // namespace

std::vector<std::string> supported_model_types() {
  std::vector<std::string> out;
  for (const ArchRow& r : kArchTable) out.emplace_back(r.model_type);
  return out;
}

ArchConfig parse_arch_config(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: not a JSON object", source));
  Fields f{j, source};

  ArchConfig c;
  if (!f.has("model_type") || !j["model_type"].is_string()) f.fail("model_type", "is missing");
  c.model_type = j["model_type"].get<std::string>();
  const ArchRow* row = find_row(c.model_type);
  if (!row)
    throw Error(fmt::format("{}: model_type \"{}\" is not supported; supported: {}", source, c.model_type,
                            fmt::join(supported_model_types(), ", ")));

  if (f.has("architectures")) {
    if (!j["architectures"].is_array() || j["architectures"].empty() || !j["architectures"][0].is_string())
      f.fail("architectures", "must be a non-empty list of class names");
    c.architecture = j["architectures"][0].get<std::string>();
  }
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (c.architecture.empty() || ends_with(c.architecture, "ForCausalLM")) {
    c.head = HeadKind::CausalLM;
  } else if (ends_with(c.architecture, "ForSequenceClassification")) {
    c.head = HeadKind::SequenceClassification;
  } else {
    f.fail("architectures", fmt::format("is [\"{}\"]; rewardkit runs *ForCausalLM and "
                                        "*ForSequenceClassification checkpoints",
                                        c.architecture));
  }

  c.vocab_size = f.positive("vocab_size");
  c.hidden_size = f.positive("hidden_size");
  c.intermediate_size = f.positive("intermediate_size");
  c.num_layers = f.positive("num_hidden_layers");
  c.num_heads = f.positive("num_attention_heads");
  c.num_kv_heads = f.positive_or("num_key_value_heads", c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0)
    f.fail("num_key_value_heads",
           fmt::format("({}) must divide num_attention_heads ({})", c.num_kv_heads, c.num_heads));
  if (f.has("head_dim")) {
    c.head_dim = f.positive("head_dim");
  } else {
    if (c.hidden_size % c.num_heads != 0)
      f.fail("head_dim", "is missing and hidden_size is not a multiple of num_attention_heads");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) f.fail("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = f.positive_or("max_position_embeddings", 2048);
  c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6);
  c.rope = parse_rope(f);

  std::string act = "silu";
  for (const char* key : {row->activation_key, "hidden_act"})
    if (f.has(key)) {
      if (!j[key].is_string()) f.fail(key, "must be a string");
      act = j[key].get<std::string>();
      break;
    }
  if (act == "silu" || act == "swish") {
    c.activation = Activation::SiLU;
  } else if (act == "gelu_pytorch_tanh" || act == "gelu_tanh") {
    c.activation = Activation::GeluTanh;
  } else {
    f.fail(row->activation_key, fmt::format("is \"{}\"; supported: silu, gelu_pytorch_tanh", act));
  }

  const bool attention_bias = row->reads_attention_bias && f.boolean_or("attention_bias", false);
  c.qkv_bias = row->qkv_bias || attention_bias;
  c.o_bias = attention_bias;
  c.mlp_bias = c.model_type == "llama" && f.boolean_or("mlp_bias", false);
  c.qk_norm = row->qk_norm;
  c.gemma_norm = c.embed_scale = c.sandwich_norm = row->gemma_style;
  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", row->tie_default);

  c.attention_scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  if (row->gemma_style) {
    // HF Gemma2Config defaults, used when the key is absent; an explicit null turns it off.
    auto softcap = [&](const char* key, double fallback) -> std::optional<double> {
      if (!j.contains(key)) return fallback;
      if (j[key].is_null()) return std::nullopt;
      double v = f.number(j, key, key);
      if (v <= 0) f.fail(key, "must be positive");
      return v;
    };
    c.attn_logit_softcapping = softcap("attn_logit_softcapping", 50.0);
    c.final_logit_softcapping = softcap("final_logit_softcapping", 30.0);
    double scalar = f.number_or("query_pre_attn_scalar", 256.0);
    if (scalar <= 0) f.fail("query_pre_attn_scalar", "must be positive");
    c.attention_scale = 1.0 / std::sqrt(scalar);
  }

  // Sliding windows: `layer_types` when the file has it (transformers >= 4.54), else the
  // rule each architecture's modeling code applies.
  const int64_t window = f.has("sliding_window") ? f.positive("sliding_window") : 0;
  c.layer_window.assign(c.num_layers, 0);
  if (f.has("layer_types")) {
    const json& types = j["layer_types"];
    if (!types.is_array() || static_cast<int64_t>(types.size()) != c.num_layers)
      f.fail("layer_types", fmt::format("must list one type for each of the {} layers", c.num_layers));
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string t = types[i].is_string() ? types[i].get<std::string>() : "";
      if (t == "sliding_attention") {
        if (window == 0) f.fail("sliding_window", "must be set when layer_types has sliding_attention");
        c.layer_window[i] = window;
      } else if (t != "full_attention") {
        f.fail(fmt::format("layer_types[{}]", i),
               fmt::format("is \"{}\"; supported: full_attention, sliding_attention", types[i].dump()));
      }
    }
  } else if (window > 0) {
    const bool qwen_sliding = f.boolean_or("use_sliding_window", false);
    const int64_t max_window_layers = f.has("max_window_layers") ? f.integer("max_window_layers") : 0;
    for (int64_t i = 0; i < c.num_layers; ++i) {
      switch (row->sliding) {
        case SlidingRule::None: break;
        case SlidingRule::AllLayers: c.layer_window[i] = window; break;
        case SlidingRule::QwenUpperLayers:
          if (qwen_sliding && i >= max_window_layers) c.layer_window[i] = window;
          break;
        case SlidingRule::EvenLayers:
          if (i % 2 == 0) c.layer_window[i] = window;
          break;
      }
    }
  }

  if (c.head == HeadKind::SequenceClassification) {
    std::map<int64_t, std::string> labels;
    if (f.has("id2label")) {
      if (!j["id2label"].is_object()) f.fail("id2label", "must be an object");
      for (auto& [k, v] : j["id2label"].items()) {
        int64_t idx = -1;
        try {
          size_t used = 0;
          idx = std::stoll(k, &used);
          if (used != k.size()) idx = -1;
        } catch (...) {
        }
        if (idx < 0 || !v.is_string()) f.fail("id2label", fmt::format("entry \"{}\" is not index -> name", k));
        labels[idx] = v.get<std::string>();
      }
    }
    // HF: num_labels comes from id2label when present, else num_labels, else 2.
    c.num_labels = labels.empty() ? f.positive_or("num_labels", 2) : static_cast<int64_t>(labels.size());
    for (int64_t i = 0; i < c.num_labels; ++i) {
      auto it = labels.find(i);
      if (!labels.empty() && it == labels.end())
        f.fail("id2label", fmt::format("has no entry for label {} of {}", i, c.num_labels));
      c.id2label.push_back(it != labels.end() ? it->second : fmt::format("LABEL_{}", i));
    }
  }

  c.pad_token_id = f.optional_token_id("pad_token_id");
  c.bos_token_id = f.optional_token_id("bos_token_id");
  c.eos_token_id = f.optional_token_id("eos_token_id");
  for (const char* key : {"dtype", "torch_dtype"})
    if (f.has(key) && j[key].is_string()) {
      c.torch_dtype = j[key].get<std::string>();
      break;
    }
  return c;
}

ArchConfig load_arch_config(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open (is {} a Hugging Face checkpoint directory?)", path, dir));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_arch_config(ss.str(), path);
}

}  // namespace rewardkit::nn
