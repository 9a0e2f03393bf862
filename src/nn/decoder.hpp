#pragma once
// The one decoder: a pre-norm transformer whose architecture differences are switches in
// ArchConfig. Names follow the Hugging Face checkpoints so a weight error is findable.
#include <ATen/ATen.h>

#include <vector>

#include "nn/arch_config.hpp"

namespace rewardkit::nn {

struct LayerWeights {
  at::Tensor input_layernorm;
  at::Tensor q_proj, q_bias, k_proj, k_bias, v_proj, v_bias, o_proj, o_bias;
  at::Tensor q_norm, k_norm;                         // Qwen3
  at::Tensor post_attention_layernorm;
  at::Tensor pre_feedforward_layernorm, post_feedforward_layernorm;  // Gemma2
  at::Tensor gate_proj, gate_bias, up_proj, up_bias, down_proj, down_bias;
};

struct DecoderWeights {
  at::Tensor embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  at::Tensor norm;          // final RMSNorm
  at::Tensor head;          // lm_head [vocab, hidden] (maybe embed_tokens) or score [labels, hidden]
  at::Tensor head_bias;     // optional
};

// A shared prompt's keys and values, computed once (Decoder::forward_prefix) and read by many
// continuations (Decoder::forward with a prefix): best-of-N scoring runs the prompt once.
struct PrefixCache {
  int64_t length = 0;
  std::vector<at::Tensor> keys, values;  // per layer [1, kv_heads, length, head_dim], rotary applied
  at::Tensor last_hidden;                // [hidden]: the final-normed state at the last prompt token
};

// Queries per block in explicit attention (default 64; see Decoder::explicit_attention). Tests
// set a small one so that sequences of a few tokens run several blocks. Returns the previous one.
int64_t set_attention_query_block(int64_t queries);

class Decoder {
 public:
  Decoder(ArchConfig config, DecoderWeights weights, at::Device device, at::ScalarType dtype);

  const ArchConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }
  const DecoderWeights& weights() const { return weights_; }

  // input_ids, attention_mask: [batch, time], 1 in the mask for real tokens. Padding may be on
  // either side: positions count real tokens only, and padded keys are never attended to.
  // Returns the final-normed hidden states [batch, time, hidden] in the model dtype.
  // With `prefix`, every sequence continues that prompt: its positions start after it and each
  // query also reads the prompt's keys (the result covers the continuation tokens only).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                     const PrefixCache* prefix = nullptr) const;

  // Runs one unpadded prompt [length >= 1] and keeps what its continuations need.
  PrefixCache forward_prefix(const at::Tensor& prompt_ids) const;

  // The head on hidden states [..., hidden]: float32 logits (soft-capped where the
  // architecture does) or classifier values.
  at::Tensor apply_head(const at::Tensor& hidden) const;

 private:
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;
  struct LayerKV {
    at::Tensor keys, values;  // [batch, kv_heads, time, head_dim]
  };
  // `blocked` [batch, 1, time, keys]: the keys a query may not read, with the layer's sliding
  // `window` (0: none) among them. `past`: keys and values before x's tokens (a prefix); `keep`:
  // where to store x's own.
  at::Tensor attention(const LayerWeights& w, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                       const at::Tensor& blocked, int64_t window, const LayerKV* past, LayerKV* keep) const;
  // softmax(q k^T) v with matrix products, where scaled_dot_product_attention is missing or cannot
  // soft-cap: q [batch, heads, time, hd], k and v [batch, kv_heads, keys, hd] (a prefix's first).
  at::Tensor explicit_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& blocked, int64_t window) const;
  at::Tensor run(const at::Tensor& input_ids, const at::Tensor& attention_mask, const PrefixCache* prefix,
                 PrefixCache* keep) const;
  at::Tensor mlp(const LayerWeights& w, const at::Tensor& x) const;

  ArchConfig config_;
  DecoderWeights weights_;
  at::Device device_;
  at::ScalarType dtype_;
  at::Tensor inv_freq_;  // [head_dim / 2] float32, rope scaling applied
};

// RoPE inverse frequencies for a config, float32 on CPU (exposed for tests).
at::Tensor rope_inverse_frequencies(const ArchConfig& config);

}  // namespace rewardkit::nn
