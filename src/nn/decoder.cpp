#include "nn/decoder.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <torch/version.h>  // TORCH_VERSION_MAJOR: whether scaled_dot_product_attention exists

#include "nn/widening_matmul.hpp"
#include "rewardkit/error.hpp"

namespace rewardkit::nn {

at::Tensor rope_inverse_frequencies(const ArchConfig& c) {
  const int64_t dim = c.head_dim;
  at::Tensor inv = 1.0 / at::pow(c.rope.theta, at::arange(0, dim, 2, at::kLong).to(at::kFloat) / dim);
  switch (c.rope.type) {
    case RopeConfig::Type::Default: break;
    case RopeConfig::Type::Linear: inv = inv / c.rope.factor; break;
    case RopeConfig::Type::Llama3: {
      // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`,
      // short ones kept, and the band between them interpolated.
      const double factor = c.rope.factor;
      const double old_len = static_cast<double>(c.rope.original_max_position_embeddings);
      const double low_wavelen = old_len / c.rope.low_freq_factor;
      const double high_wavelen = old_len / c.rope.high_freq_factor;
      at::Tensor wavelen = 2 * M_PI / inv;
      at::Tensor scaled = at::where(wavelen > low_wavelen, inv / factor, inv);
      at::Tensor smooth = (old_len / wavelen - c.rope.low_freq_factor) /
                          (c.rope.high_freq_factor - c.rope.low_freq_factor);
      at::Tensor smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
      at::Tensor medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
      inv = at::where(medium, smoothed, scaled);
      break;
    }
  }
  return inv.contiguous();
}

Decoder::Decoder(ArchConfig config, DecoderWeights weights, at::Device device, at::ScalarType dtype)
    : config_(std::move(config)), weights_(std::move(weights)), device_(device), dtype_(dtype) {
  inv_freq_ = rope_inverse_frequencies(config_).to(device_);
}

at::Tensor Decoder::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
  // Statistics in float32, as HF's LlamaRMSNorm / Gemma2RMSNorm.
  at::Tensor x32 = x.to(at::kFloat);
  at::Tensor normed = x32 * at::rsqrt(x32.square().mean(-1, /*keepdim=*/true) + config_.rms_norm_eps);
  if (config_.gemma_norm) return (normed * (1.0 + weight.to(at::kFloat))).to(dtype_);
  return weight * normed.to(dtype_);
}

namespace {

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return b.defined() ? at::linear(x, w, b) : at::linear(x, w);
}

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

namespace {
std::atomic<int64_t> attention_query_block{64};
}  // namespace

int64_t set_attention_query_block(int64_t queries) {
  if (queries < 1) throw Error(fmt::format("attention query block {}: must be positive", queries));
  return attention_query_block.exchange(queries);
}

at::Tensor Decoder::explicit_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const at::Tensor& blocked, int64_t window) const {
  const int64_t B = q.size(0), T = q.size(2), S = k.size(2), P = S - T;
  const int64_t nh = config_.num_heads, nkv = config_.num_kv_heads, hd = config_.head_dim, rep = nh / nkv;
  // Grouped-query attention without copying keys and values per query head: the nh / nkv query
  // heads that read one KV head (HF's order) are stacked along time, [B, nkv, rep * n, hd].
  // Scores in float32 even for a bfloat16 model, as transformers' default (sdpa) attention keeps
  // them (see widening_matmul.hpp). The probabilities are rounded to the model dtype for the
  // value product, as sdpa does too.
  // bf16 on the CPU: q and k stay bf16 and oneDNN multiplies them into float32 scores, scaled.
  const bool widen = dtype_ == at::kBFloat16 && q.device().is_cpu() && widening_matmul_built();
  // Otherwise, or if oneDNN refuses: both in float32, the scale applied to q (T x hd values)
  // rather than to the scores (T x S). Made at the first block that needs them.
  at::Tensor qf, kf;
  const auto float_scores = [&](int64_t q0, int64_t n, int64_t k_begin, int64_t K) {
    if (!qf.defined()) {
      qf = (q.to(at::kFloat) * config_.attention_scale).reshape({B, nkv, rep, T, hd});
      kf = k.to(at::kFloat);
    }
    const at::Tensor qg = qf.narrow(3, q0, n).reshape({B, nkv, rep * n, hd});
    return at::matmul(qg, kf.narrow(2, k_begin, K).transpose(-1, -2));  // [B, nkv, rep * n, K]
  };
  const at::Tensor q_grouped = q.view({B, nkv, rep, T, hd});
  at::Tensor out = at::empty({B, nh, T, hd}, q.options());
  at::Tensor out_grouped = out.view({B, nkv, rep, T, hd});
  // Queries in blocks, each against the keys it may read: those after the block's last query are
  // causally blocked and those before its window's start too, so they are never multiplied, and
  // the float32 scores alive at once stay a block's. About halves the work on long sequences.
  const int64_t block = attention_query_block.load();
  for (int64_t q0 = 0; q0 < T; q0 += block) {
    const int64_t n = std::min(block, T - q0);
    const int64_t k_end = P + q0 + n, k_begin = window > 0 ? std::max<int64_t>(0, P + q0 - window + 1) : 0;
    const int64_t K = k_end - k_begin;
    at::Tensor scores;  // [B, nkv, rep, n, K] in memory, either way
    if (widen)
      scores = widening_matmul(q_grouped.narrow(3, q0, n),
                               k.narrow(2, k_begin, K).transpose(-1, -2).unsqueeze(2),
                               static_cast<float>(config_.attention_scale));
    if (!scores.defined()) scores = float_scores(q0, n, k_begin, K);
    if (config_.attn_logit_softcapping) {
      const double cap = *config_.attn_logit_softcapping;
      scores = at::tanh(scores / cap) * cap;
    }
    // Blocked scores get float32's lowest added, as transformers' additive masks do: their
    // exp is then exactly 0, as with -inf (every row keeps its diagonal). One pass over the
    // scores with a [B, 1, 1, n, K] 0 / 1 mask: masked_fill_ through the broadcast mask took
    // seven times as long.
    scores.view({B, nkv, rep, n, K})
        .add_(blocked.narrow(2, q0, n).narrow(3, k_begin, K).unsqueeze(2).to(at::kFloat),
              std::numeric_limits<float>::lowest());
    const at::Tensor probs = at::softmax(scores, -1).to(dtype_).view({B, nkv, rep * n, K});
    out_grouped.narrow(3, q0, n).copy_(at::matmul(probs, v.narrow(2, k_begin, K)).view({B, nkv, rep, n, hd}));
  }
  return out;
}

at::Tensor Decoder::attention(const LayerWeights& w, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin, const at::Tensor& blocked, int64_t window, const LayerKV* past,
                              LayerKV* keep) const {
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t nh = config_.num_heads, nkv = config_.num_kv_heads, hd = config_.head_dim;
  // [B, T, heads, hd] -> [B, heads, T, hd]
  at::Tensor q = linear(x, w.q_proj, w.q_bias).view({B, T, nh, hd});
  at::Tensor k = linear(x, w.k_proj, w.k_bias).view({B, T, nkv, hd});
  at::Tensor v = linear(x, w.v_proj, w.v_bias).view({B, T, nkv, hd}).transpose(1, 2);
  if (config_.qk_norm) {
    q = rms_norm(q, w.q_norm);
    k = rms_norm(k, w.k_norm);
  }
  q = q.transpose(1, 2);
  k = k.transpose(1, 2);
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  if (keep) *keep = LayerKV{k, v};
  if (past) {
    const int64_t P = past->keys.size(2);
    k = at::cat({past->keys.expand({B, nkv, P, hd}), k}, 2);
    v = at::cat({past->values.expand({B, nkv, P, hd}), v}, 2);
  }
  at::Tensor out;
#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 1)
  if (!config_.attn_logit_softcapping) {
    // Grouped-query attention: each KV head serves nh / nkv query heads, in HF's order.
    const int64_t S = k.size(2), rep = nh / nkv;
    const at::Tensor kh = k.unsqueeze(2).expand({B, nkv, rep, S, hd}).reshape({B, nh, S, hd});
    const at::Tensor vh = v.unsqueeze(2).expand({B, nkv, rep, S, hd}).reshape({B, nh, S, hd});
    out = at::scaled_dot_product_attention(q, kh, vh, blocked.logical_not(), 0.0, false, config_.attention_scale);
  }
#endif
  if (!out.defined()) out = explicit_attention(q, k, v, blocked, window);
  out = out.transpose(1, 2).reshape({B, T, nh * hd});
  return linear(out, w.o_proj, w.o_bias);
}

at::Tensor Decoder::mlp(const LayerWeights& w, const at::Tensor& x) const {
  at::Tensor gate = linear(x, w.gate_proj, w.gate_bias);
  gate = config_.activation == Activation::SiLU ? at::silu(gate) : at::gelu(gate, "tanh");
  return linear(gate * linear(x, w.up_proj, w.up_bias), w.down_proj, w.down_bias);
}

at::Tensor Decoder::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                            const PrefixCache* prefix) const {
  if (input_ids.dim() != 2 || attention_mask.sizes() != input_ids.sizes())
    throw Error("forward: input_ids and attention_mask must both be [batch, time]");
  if (prefix && (prefix->length < 1 || prefix->keys.size() != weights_.layers.size()))
    throw Error("forward: the prefix cache is empty or from another model");
  return run(input_ids, attention_mask, prefix, nullptr);
}

PrefixCache Decoder::forward_prefix(const at::Tensor& prompt_ids) const {
  if (prompt_ids.dim() != 1 || prompt_ids.size(0) < 1) throw Error("forward_prefix: the prompt must be [length >= 1]");
  PrefixCache cache;
  const at::Tensor ids = prompt_ids.view({1, -1});
  const at::Tensor hidden = run(ids, at::ones_like(ids), nullptr, &cache);
  cache.length = prompt_ids.size(0);
  cache.last_hidden = hidden[0][cache.length - 1];
  return cache;
}

at::Tensor Decoder::run(const at::Tensor& input_ids, const at::Tensor& attention_mask, const PrefixCache* prefix,
                        PrefixCache* keep) const {
  const at::Tensor ids = input_ids.to(device_, at::kLong);
  const at::Tensor real = attention_mask.to(device_).to(at::kBool);
  const int64_t B = ids.size(0), T = ids.size(1);
  const int64_t P = prefix ? prefix->length : 0;  // the prompt's tokens come first, all real

  // Positions count real tokens, so a sequence's rotary phases do not depend on its padding.
  const at::Tensor positions = (real.to(at::kLong).cumsum(-1) - 1).clamp_min(0) + P;
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq_.view({1, 1, -1});
  at::Tensor emb = at::cat({freqs, freqs}, -1).unsqueeze(1);  // [B, 1, T, hd]
  const at::Tensor cos = emb.cos().to(dtype_), sin = emb.sin().to(dtype_);

  // blocked[b, 0, i, j]: query i (sequence index P + i) may not read key j (the prompt's keys, then
  // the sequence's). Allowed: causal, real keys only, within the layer's window; the diagonal
  // always, so padded rows stay finite.
  const auto long_opts = at::TensorOptions().dtype(at::kLong).device(device_);
  const at::Tensor delta = (at::arange(T, long_opts) + P).view({T, 1}) - at::arange(P + T, long_opts).view({1, P + T});
  const at::Tensor diagonal = delta.eq(0);
  const at::Tensor real_keys = P == 0 ? real : at::cat({at::ones({B, P}, real.options()), real}, 1);
  std::map<int64_t, at::Tensor> blocked_by_window;
  auto blocked_for = [&](int64_t window) -> const at::Tensor& {
    auto it = blocked_by_window.find(window);
    if (it != blocked_by_window.end()) return it->second;
    at::Tensor causal = delta.ge(0);
    if (window > 0) causal = causal & delta.lt(window);
    at::Tensor allowed = (causal.unsqueeze(0) & real_keys.unsqueeze(1)) | diagonal.unsqueeze(0);
    return blocked_by_window.emplace(window, allowed.logical_not().unsqueeze(1)).first->second;
  };

  at::Tensor h = at::embedding(weights_.embed_tokens, ids);
  if (config_.embed_scale)
    h = h * at::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)),
                              at::TensorOptions().dtype(dtype_).device(device_));
  if (keep) {
    keep->keys.resize(weights_.layers.size());
    keep->values.resize(weights_.layers.size());
  }
  for (size_t i = 0; i < weights_.layers.size(); ++i) {
    const LayerWeights& w = weights_.layers[i];
    const at::Tensor& blocked = blocked_for(config_.layer_window[i]);
    const LayerKV past = prefix ? LayerKV{prefix->keys[i], prefix->values[i]} : LayerKV{};
    LayerKV kept;
    at::Tensor a = attention(w, rms_norm(h, w.input_layernorm), cos, sin, blocked, config_.layer_window[i],
                             prefix ? &past : nullptr,
                             keep ? &kept : nullptr);
    if (keep) {
      keep->keys[i] = kept.keys;
      keep->values[i] = kept.values;
    }
    if (config_.sandwich_norm) {
      h = h + rms_norm(a, w.post_attention_layernorm);
      h = h + rms_norm(mlp(w, rms_norm(h, w.pre_feedforward_layernorm)), w.post_feedforward_layernorm);
    } else {
      h = h + a;
      h = h + mlp(w, rms_norm(h, w.post_attention_layernorm));
    }
  }
  return rms_norm(h, weights_.norm);
}

at::Tensor Decoder::apply_head(const at::Tensor& hidden) const {
  at::Tensor out = linear(hidden, weights_.head, weights_.head_bias).to(at::kFloat);
  if (config_.head == HeadKind::CausalLM && config_.final_logit_softcapping) {
    const double cap = *config_.final_logit_softcapping;
    out = at::tanh(out / cap) * cap;
  }
  return out;
}

}  // namespace rewardkit::nn
