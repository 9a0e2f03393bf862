#include "nn/load_weights.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rewardkit/error.hpp"

namespace rewardkit::nn {

namespace {

// Hands out tensors by name, checking shape and dtype, and remembers what it handed out so
// that tensors the architecture does not use can be reported instead of silently ignored.
class TensorSource {
 public:
  TensorSource(const io::Checkpoint& ckpt, std::string prefix, at::Device device, at::ScalarType dtype)
      : ckpt_(ckpt), prefix_(std::move(prefix)), device_(device), dtype_(dtype) {}

  at::Tensor get(const std::string& local, const std::vector<int64_t>& shape) {
    return take(prefix_ + local, shape);
  }
  at::Tensor get_optional(const std::string& local, const std::vector<int64_t>& shape, bool wanted) {
    const std::string name = prefix_ + local;
    if (!wanted) return {};
    return take(name, shape);
  }
  // A tensor outside the base model (lm_head, score): no prefix.
  at::Tensor get_top(const std::string& name, const std::vector<int64_t>& shape) { return take(name, shape); }
  bool has_top(const std::string& name) const { return ckpt_.contains(name); }
  void ignore(const std::string& name) { used_.insert(name); }

  void check_all_used() const {
    std::vector<std::string> unused;
    for (const std::string& name : ckpt_.names())
      if (!used_.count(name) && name.find("rotary_emb.inv_freq") == std::string::npos) unused.push_back(name);
    if (unused.empty()) return;
    const size_t shown = std::min<size_t>(unused.size(), 5);
    throw Error(fmt::format(
        "{}: {} tensor(s) that this architecture does not use, e.g. \"{}\"; config.json and the weights "
        "disagree (a bias or norm the config does not declare?), refusing to drop them silently",
        ckpt_.file_of(unused[0]), unused.size(),
        fmt::join(std::vector<std::string>(unused.begin(), unused.begin() + shown), "\", \"")));
  }

 private:
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) {
    if (!ckpt_.contains(name))
      throw Error(fmt::format("{}: missing tensor \"{}\" (expected shape [{}])", ckpt_.dir(), name,
                              fmt::join(shape, ", ")));
    const io::TensorEntry& e = ckpt_.entry(name);
    if (e.shape != shape)
      throw Error(fmt::format("{}: tensor \"{}\" has shape [{}], expected [{}]", ckpt_.file_of(name), name,
                              fmt::join(e.shape, ", "), fmt::join(shape, ", ")));
    if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16")
      throw Error(fmt::format("{}: tensor \"{}\" has dtype {}; weights must be F32, F16 or BF16",
                              ckpt_.file_of(name), name, e.dtype));
    used_.insert(name);
    at::Tensor t = ckpt_.tensor(name);
    // No copy when the stored dtype and device already match: the weight stays memory-mapped.
    return t.to(device_, dtype_);
  }

  const io::Checkpoint& ckpt_;
  std::string prefix_;
  at::Device device_;
  at::ScalarType dtype_;
  std::set<std::string> used_;
};

}  // namespace

DecoderWeights load_decoder_weights(const io::Checkpoint& ckpt, const ArchConfig& c, at::Device device,
                                    at::ScalarType dtype) {
  // *ForCausalLM and *ForSequenceClassification keep the base model under "model."; a bare
  // base model has no prefix.
  std::string prefix = "model.";
  if (!ckpt.contains("model.embed_tokens.weight") && ckpt.contains("embed_tokens.weight")) prefix = "";
  TensorSource src(ckpt, prefix, device, dtype);

  const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
  const int64_t q_dim = c.num_heads * hd, kv_dim = c.num_kv_heads * hd;

  DecoderWeights w;
  w.embed_tokens = src.get("embed_tokens.weight", {c.vocab_size, H});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    LayerWeights l;
    l.input_layernorm = src.get(p + "input_layernorm.weight", {H});
    l.q_proj = src.get(p + "self_attn.q_proj.weight", {q_dim, H});
    l.k_proj = src.get(p + "self_attn.k_proj.weight", {kv_dim, H});
    l.v_proj = src.get(p + "self_attn.v_proj.weight", {kv_dim, H});
    l.o_proj = src.get(p + "self_attn.o_proj.weight", {H, q_dim});
    l.q_bias = src.get_optional(p + "self_attn.q_proj.bias", {q_dim}, c.qkv_bias);
    l.k_bias = src.get_optional(p + "self_attn.k_proj.bias", {kv_dim}, c.qkv_bias);
    l.v_bias = src.get_optional(p + "self_attn.v_proj.bias", {kv_dim}, c.qkv_bias);
    l.o_bias = src.get_optional(p + "self_attn.o_proj.bias", {H}, c.o_bias);
    l.q_norm = src.get_optional(p + "self_attn.q_norm.weight", {hd}, c.qk_norm);
    l.k_norm = src.get_optional(p + "self_attn.k_norm.weight", {hd}, c.qk_norm);
    l.post_attention_layernorm = src.get(p + "post_attention_layernorm.weight", {H});
    l.pre_feedforward_layernorm = src.get_optional(p + "pre_feedforward_layernorm.weight", {H}, c.sandwich_norm);
    l.post_feedforward_layernorm = src.get_optional(p + "post_feedforward_layernorm.weight", {H}, c.sandwich_norm);
    l.gate_proj = src.get(p + "mlp.gate_proj.weight", {I, H});
    l.up_proj = src.get(p + "mlp.up_proj.weight", {I, H});
    l.down_proj = src.get(p + "mlp.down_proj.weight", {H, I});
    l.gate_bias = src.get_optional(p + "mlp.gate_proj.bias", {I}, c.mlp_bias);
    l.up_bias = src.get_optional(p + "mlp.up_proj.bias", {I}, c.mlp_bias);
    l.down_bias = src.get_optional(p + "mlp.down_proj.bias", {H}, c.mlp_bias);
    w.layers.push_back(std::move(l));
  }
  w.norm = src.get("norm.weight", {H});

  if (c.head == HeadKind::CausalLM) {
    if (c.tie_word_embeddings) {
      w.head = w.embed_tokens;
      // HF ignores a stored lm_head when embeddings are tied; so do we.
      if (src.has_top("lm_head.weight")) src.ignore("lm_head.weight");
    } else {
      w.head = src.get_top("lm_head.weight", {c.vocab_size, H});
    }
  } else {
    w.head = src.get_top("score.weight", {c.num_labels, H});
    if (src.has_top("score.bias")) w.head_bias = src.get_top("score.bias", {c.num_labels});
    // A classifier's config may carry an unused tied lm_head from its base model.
    if (src.has_top("lm_head.weight")) src.ignore("lm_head.weight");
  }
  src.check_all_used();
  return w;
}

}  // namespace rewardkit::nn
