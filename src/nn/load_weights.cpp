#include "nn/load_weights.hpp"

#include <set>

#include <ATen/CPUGeneratorImpl.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rewardkit/error.hpp"

namespace rewardkit::nn {

namespace {

// NaN and inf values in a weight, checked in slices so that the temporary mask stays small.
int64_t count_non_finite(const at::Tensor& weight) {
  constexpr int64_t kSlice = int64_t{1} << 22;
  const at::Tensor flat = weight.reshape({-1});
  const int64_t n = flat.numel();
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i += kSlice) {
    const at::Tensor finite = at::isfinite(flat.slice(0, i, std::min(n, i + kSlice)));
    bad += finite.numel() - finite.sum().item<int64_t>();
  }
  return bad;
}

// Where the decoder's tensors come from: a checkpoint, or a random generator (benchmarks).
// Names are Hugging Face's; `local` names are under the base model's prefix.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  at::Tensor get(const std::string& local, const std::vector<int64_t>& shape) { return take(prefix_ + local, shape); }
  at::Tensor get_optional(const std::string& local, const std::vector<int64_t>& shape, bool wanted) {
    if (!wanted) return {};
    return take(prefix_ + local, shape);
  }
  // A tensor outside the base model (lm_head, score): no prefix.
  at::Tensor get_top(const std::string& name, const std::vector<int64_t>& shape) { return take(name, shape); }
  virtual bool has_top(const std::string& name) const = 0;
  virtual void ignore(const std::string& name) = 0;
  virtual void check_all_used() const = 0;

 protected:
  explicit WeightSource(std::string prefix) : prefix_(std::move(prefix)) {}
  virtual at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) = 0;

 private:
  std::string prefix_;
};

// Hands out a checkpoint's tensors by name, checking shape and dtype, and remembers what it
// handed out so that tensors the architecture does not use can be reported instead of silently
// ignored.
class TensorSource : public WeightSource {
 public:
  TensorSource(const io::Checkpoint& ckpt, std::string prefix, at::Device device, at::ScalarType dtype)
      : WeightSource(std::move(prefix)), ckpt_(ckpt), device_(device), dtype_(dtype) {}

  bool has_top(const std::string& name) const override { return ckpt_.contains(name); }
  void ignore(const std::string& name) override { used_.insert(name); }

  void check_all_used() const override {
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
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) override {
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
    // A NaN or inf in a weight makes every score that touches it meaningless: refuse the file
    // here, naming the tensor, rather than let scores come out non-finite (or, through a
    // masked-out lane, subtly wrong). One pass over the mapped bytes, in the stored dtype.
    if (const int64_t bad = count_non_finite(t); bad > 0) {
      throw Error(fmt::format("{}: tensor \"{}\" holds {} non-finite value(s) (NaN or inf); the checkpoint is "
                              "corrupt", ckpt_.file_of(name), name, bad));
    }
    // No copy when the stored dtype and device already match: the weight stays memory-mapped.
    return t.to(device_, dtype_);
  }

  const io::Checkpoint& ckpt_;
  at::Device device_;
  at::ScalarType dtype_;
  std::set<std::string> used_;
};

// Random weights as transformers initializes them (normal(0, 0.02) matrices, zero biases, norm
// scales of 1, or 0 where the norm scales by 1 + w), from a seeded generator.
class RandomSource : public WeightSource {
 public:
  RandomSource(const ArchConfig& config, at::Device device, at::ScalarType dtype, uint64_t seed)
      : WeightSource("model."), config_(config), device_(device), dtype_(dtype), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  bool has_top(const std::string&) const override { return false; }
  void ignore(const std::string&) override {}
  void check_all_used() const override {}

 private:
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) override {
    const auto opts = at::TensorOptions().dtype(at::kFloat);
    at::Tensor t;
    if (name.find("norm") != std::string::npos) {
      t = config_.gemma_norm ? at::zeros(shape, opts) : at::ones(shape, opts);
    } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      t = at::zeros(shape, opts);
    } else {
      t = at::normal(0.0, 0.02, shape, gen_, opts);
    }
    return t.to(device_, dtype_);
  }

  const ArchConfig& config_;
  at::Device device_;
  at::ScalarType dtype_;
  at::Generator gen_;
};

DecoderWeights assemble_weights(WeightSource& src, const ArchConfig& c) {
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

}  // namespace

DecoderWeights load_decoder_weights(const io::Checkpoint& ckpt, const ArchConfig& c, at::Device device,
                                    at::ScalarType dtype) {
  // *ForCausalLM and *ForSequenceClassification keep the base model under "model."; a bare
  // base model has no prefix.
  std::string prefix = "model.";
  if (!ckpt.contains("model.embed_tokens.weight") && ckpt.contains("embed_tokens.weight")) prefix = "";
  TensorSource src(ckpt, prefix, device, dtype);
  return assemble_weights(src, c);
}

DecoderWeights random_decoder_weights(const ArchConfig& c, at::Device device, at::ScalarType dtype, uint64_t seed) {
  RandomSource src(c, device, dtype, seed);
  return assemble_weights(src, c);
}

}  // namespace rewardkit::nn
