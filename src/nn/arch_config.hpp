#pragma once
// A checkpoint's config.json, reduced to the switches of the one decoder rewardkit runs.
// Adding an architecture means adding a row to the table in arch_config.cpp.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rewardkit::nn {

enum class HeadKind { CausalLM, SequenceClassification };
enum class Activation { SiLU, GeluTanh };

struct RopeConfig {
  enum class Type { Default, Linear, Llama3 };
  Type type = Type::Default;
  double theta = 10000.0;
  double factor = 1.0;
  // llama3 only
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ArchConfig {
  std::string model_type;
  std::string architecture;  // architectures[0], e.g. "LlamaForSequenceClassification"
  HeadKind head = HeadKind::CausalLM;
  int64_t num_labels = 0;             // sequence classification only
  std::vector<std::string> id2label;  // num_labels names, "LABEL_i" when absent

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  Activation activation = Activation::SiLU;

  // Architecture switches (DESIGN 1, "One decoder, many architectures").
  bool qkv_bias = false;        // Qwen2; llama's attention_bias
  bool o_bias = false;          // llama's attention_bias also covers o_proj
  bool mlp_bias = false;        // llama's mlp_bias
  bool qk_norm = false;         // Qwen3: RMSNorm over head_dim on q and k before RoPE
  bool gemma_norm = false;      // RMSNorm scales by (1 + w)
  bool embed_scale = false;     // embeddings times sqrt(hidden_size)
  bool sandwich_norm = false;   // Gemma2: norms after attention and MLP as well
  bool tie_word_embeddings = false;
  std::optional<double> attn_logit_softcapping;
  std::optional<double> final_logit_softcapping;
  double attention_scale = 0;   // multiplies q.k; head_dim^-0.5 unless query_pre_attn_scalar
  // Per layer: 0 for full causal attention, else the sliding window (a query at i sees keys j
  // with i - w < j <= i).
  std::vector<int64_t> layer_window;

  std::optional<int64_t> pad_token_id, bos_token_id, eos_token_id;
  std::string torch_dtype;  // as stored in config.json, may be empty
};

// Parses `dir`/config.json. Errors name the file and the field.
ArchConfig load_arch_config(const std::string& dir);
// Same, from JSON text; `source` names it in errors.
ArchConfig parse_arch_config(const std::string& json_text, const std::string& source);
// The model types in the table, for messages and `info`.
std::vector<std::string> supported_model_types();

}  // namespace rewardkit::nn
