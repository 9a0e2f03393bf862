#include "rewardkit/model.hpp"

#include <fmt/format.h>

#include "io/safetensors.hpp"
#include "nn/arch_config.hpp"
#include "nn/decoder.hpp"
#include "nn/load_weights.hpp"
#include "rewardkit/error.hpp"
#include "util/device.hpp"

namespace rewardkit {

Model::~Model() = default;

std::shared_ptr<Model> Model::load(const std::string& dir, const LoadOptions& options) {
  nn::ArchConfig config = nn::load_arch_config(dir);
  const at::Device device = util::resolve_device(options.device);
  const at::ScalarType dtype = util::resolve_dtype(options.dtype, device, config.torch_dtype);
  util::apply_threads(options.threads, dtype);
  if (options.max_length < 0) throw Error(fmt::format("max_length = {}: must be 0 or positive", options.max_length));

  io::Checkpoint checkpoint(dir);
  nn::DecoderWeights weights = nn::load_decoder_weights(checkpoint, config, device, dtype);
  int64_t parameters = 0;
  for (const std::string& name : checkpoint.names()) {
    int64_t n = 1;
    for (int64_t d : checkpoint.entry(name).shape) n *= d;
    parameters += n;
  }
  return assemble(dir, std::move(config), std::move(weights), options, device, dtype, parameters);
}

std::shared_ptr<Model> Model::random(const std::string& config_json, const LoadOptions& options, uint64_t seed,
                                     const std::string& name) {
  nn::ArchConfig config = nn::parse_arch_config(config_json, name);
  const at::Device device = util::resolve_device(options.device);
  const at::ScalarType dtype = util::resolve_dtype(options.dtype, device, config.torch_dtype);
  util::apply_threads(options.threads, dtype);
  if (options.max_length < 0) throw Error(fmt::format("max_length = {}: must be 0 or positive", options.max_length));
  nn::DecoderWeights weights = nn::random_decoder_weights(config, device, dtype, seed);
  int64_t parameters = weights.embed_tokens.numel() + weights.norm.numel();
  for (const nn::LayerWeights& l : weights.layers) {
    for (const at::Tensor* t : {&l.input_layernorm, &l.q_proj, &l.q_bias, &l.k_proj, &l.k_bias, &l.v_proj, &l.v_bias,
                                &l.o_proj, &l.o_bias, &l.q_norm, &l.k_norm, &l.post_attention_layernorm,
                                &l.pre_feedforward_layernorm, &l.post_feedforward_layernorm, &l.gate_proj,
                                &l.gate_bias, &l.up_proj, &l.up_bias, &l.down_proj, &l.down_bias})
      if (t->defined()) parameters += t->numel();
  }
  if (!weights.head.is_same(weights.embed_tokens)) parameters += weights.head.numel();
  if (weights.head_bias.defined()) parameters += weights.head_bias.numel();
  return assemble(name, std::move(config), std::move(weights), options, device, dtype, parameters);
}

std::shared_ptr<Model> Model::assemble(const std::string& dir, nn::ArchConfig config, nn::DecoderWeights weights,
                                       const LoadOptions& options, at::Device device, at::ScalarType dtype,
                                       int64_t parameter_count) {
  std::shared_ptr<Model> model(new Model());
  ModelInfo& info = model->info_;
  info.dir = dir;
  info.model_type = config.model_type;
  info.architecture = config.architecture;
  info.head = config.head == nn::HeadKind::CausalLM ? ModelHead::CausalLM : ModelHead::SequenceClassification;
  info.num_labels = config.num_labels;
  info.labels = config.id2label;
  info.vocab_size = config.vocab_size;
  info.hidden_size = config.hidden_size;
  info.num_layers = config.num_layers;
  info.max_length = options.max_length > 0 ? options.max_length : config.max_position_embeddings;
  info.parameter_count = parameter_count;
  info.stored_dtype = config.torch_dtype;
  info.dtype = util::dtype_name(dtype);
  info.device = device.str();
  info.pad_token_id = config.pad_token_id.value_or(-1);
  info.bos_token_id = config.bos_token_id.value_or(-1);
  info.eos_token_id = config.eos_token_id.value_or(-1);
  model->decoder_ = std::make_unique<nn::Decoder>(std::move(config), std::move(weights), device, dtype);
  return model;
}

at::Device Model::device() const { return decoder_->device(); }
at::ScalarType Model::dtype() const { return decoder_->dtype(); }

void Model::check_inputs(const at::Tensor& ids, const at::Tensor& mask, int64_t prefix_length) const {
  if (!ids.defined() || ids.dim() != 2)
    throw Error("input_ids must be a [batch, time] tensor");
  if (!mask.defined() || mask.sizes() != ids.sizes())
    throw Error(fmt::format("attention_mask must have the shape of input_ids [{}, {}]", ids.size(0), ids.size(1)));
  if (prefix_length + ids.size(1) > info_.max_length)
    throw Error(fmt::format("{}: sequence of {} tokens exceeds max_length {}", info_.dir, prefix_length + ids.size(1),
                            info_.max_length));
  if (ids.numel() == 0) return;
  if (at::isFloatingType(ids.scalar_type())) throw Error("input_ids must hold integers");
  const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
  if (lo < 0 || hi >= info_.vocab_size)
    throw Error(fmt::format("{}: token id {} is outside the vocabulary [0, {})", info_.dir, lo < 0 ? lo : hi,
                            info_.vocab_size));
}

at::Tensor Model::hidden_states(const at::Tensor& ids, const at::Tensor& mask) const {
  check_inputs(ids, mask);
  return decoder_->forward(ids, mask);
}

at::Tensor Model::logits(const at::Tensor& ids, const at::Tensor& mask) const {
  check_causal_lm("logits");
  return decoder_->apply_head(hidden_states(ids, mask));
}

void Model::check_causal_lm(const char* what) const {
  if (info_.head != ModelHead::CausalLM)
    throw Error(fmt::format("{}: {} need a causal LM, this is {}", info_.dir, what, info_.architecture));
}

TokenLogprobs Model::pick_logprobs(const at::Tensor& rows, const at::Tensor& targets, const at::Tensor& valid) const {
  // Only the rows whose log-prob is wanted go through the vocabulary head (the head is most of a
  // small model's work, and a prompt's positions are often not scored), in chunks that bound the
  // float32 logits alive at once to about 64 MiB whatever the vocabulary.
  const at::Tensor wanted = valid.nonzero().squeeze(1);
  const at::Tensor wanted_rows = rows.index_select(0, wanted), wanted_targets = targets.index_select(0, wanted);
  const int64_t chunk = std::max<int64_t>(1, (int64_t{16} << 20) / info_.vocab_size);
  std::vector<at::Tensor> lp, top;
  for (int64_t start = 0; start < wanted_rows.size(0); start += chunk) {
    const int64_t n = std::min(chunk, wanted_rows.size(0) - start);
    const at::Tensor logp = at::log_softmax(decoder_->apply_head(wanted_rows.narrow(0, start, n)), -1);
    lp.push_back(logp.gather(1, wanted_targets.narrow(0, start, n).unsqueeze(1)).squeeze(1));
    top.push_back(logp.argmax(-1));
  }
  TokenLogprobs out;
  out.logprobs = at::zeros({rows.size(0)}, rows.options().dtype(at::kFloat));
  out.top_ids = at::full({rows.size(0)}, -1, rows.options().dtype(at::kLong));
  if (!lp.empty()) {
    out.logprobs.index_copy_(0, wanted, at::cat(lp));
    out.top_ids.index_copy_(0, wanted, at::cat(top));
  }
  return out;
}

std::shared_ptr<const nn::PrefixCache> Model::encode_prompt(const at::Tensor& prompt_ids) const {
  check_causal_lm("prompt caches");
  if (!prompt_ids.defined() || prompt_ids.dim() != 1 || prompt_ids.size(0) < 1)
    throw Error("encode_prompt: the prompt must be a [length >= 1] tensor");
  const at::Tensor row = prompt_ids.view({1, -1});
  check_inputs(row, at::ones_like(row));
  return std::make_shared<const nn::PrefixCache>(decoder_->forward_prefix(prompt_ids));
}

TokenLogprobs Model::continuation_logprobs(const nn::PrefixCache& prompt, const at::Tensor& ids,
                                           const at::Tensor& mask) const {
  check_causal_lm("token log-probs");
  check_inputs(ids, mask, prompt.length);
  const int64_t B = ids.size(0), T = ids.size(1);
  const auto opts = at::TensorOptions().device(decoder_->device());
  if (T == 0 || B == 0)
    return TokenLogprobs{at::zeros({B, T}, opts.dtype(at::kFloat)), at::zeros({B, T}, opts.dtype(at::kLong))};
  const at::Tensor hidden = decoder_->forward(ids, mask, &prompt);
  // Token t is predicted at t - 1, the first one at the prompt's last token.
  const at::Tensor predicting =
      at::cat({prompt.last_hidden.view({1, 1, -1}).expand({B, 1, hidden.size(2)}), hidden.narrow(1, 0, T - 1)}, 1);
  const at::Tensor valid = mask.to(decoder_->device()).to(at::kBool).reshape({-1});
  TokenLogprobs out = pick_logprobs(predicting.reshape({B * T, -1}),
                                    ids.to(decoder_->device(), at::kLong).reshape({-1}), valid);
  out.logprobs = out.logprobs.view({B, T});
  out.top_ids = out.top_ids.view({B, T});
  return out;
}

TokenLogprobs Model::token_logprobs(const at::Tensor& ids, const at::Tensor& mask) const {
  return token_logprobs(ids, mask, at::Tensor());
}

TokenLogprobs Model::token_logprobs(const at::Tensor& ids, const at::Tensor& mask, const at::Tensor& first_target) const {
  check_causal_lm("token log-probs");
  check_inputs(ids, mask);  // also for inputs too short to run
  const int64_t B = ids.size(0), T = ids.size(1);
  if (first_target.defined() && (first_target.dim() != 1 || first_target.size(0) != B))
    throw Error(fmt::format("token_logprobs: first_target must be a [batch = {}] tensor", B));
  TokenLogprobs out;
  const auto opts = at::TensorOptions().device(decoder_->device());
  if (T < 2) {
    out.logprobs = at::zeros({B, 0}, opts.dtype(at::kFloat));
    out.top_ids = at::zeros({B, 0}, opts.dtype(at::kLong));
    return out;
  }
  const at::Tensor hidden = decoder_->forward(ids, mask);
  const at::Tensor targets = ids.to(decoder_->device(), at::kLong).narrow(1, 1, T - 1).reshape({-1});
  // A log-prob is defined where both the predicting position and the target are real tokens.
  const at::Tensor real = mask.to(decoder_->device()).to(at::kBool);
  at::Tensor valid = real.narrow(1, 0, T - 1) & real.narrow(1, 1, T - 1);
  if (first_target.defined()) {
    const at::Tensor target_index = at::arange(1, T, opts.dtype(at::kLong)).view({1, T - 1});
    valid = valid & target_index.ge(first_target.to(decoder_->device(), at::kLong).view({B, 1}));
  }
  const at::Tensor rows = hidden.narrow(1, 0, T - 1).reshape({B * (T - 1), -1});
  out = pick_logprobs(rows, targets, valid.reshape({-1}));
  out.logprobs = out.logprobs.view({B, T - 1});
  out.top_ids = out.top_ids.view({B, T - 1});
  return out;
}

at::Tensor Model::classify(const at::Tensor& ids, const at::Tensor& mask) const {
  if (info_.head != ModelHead::SequenceClassification)
    throw Error(fmt::format("{}: classify needs a *ForSequenceClassification checkpoint, this is {}", info_.dir,
                            info_.architecture.empty() ? info_.model_type : info_.architecture));
  const at::Tensor hidden = hidden_states(ids, mask);
  const at::Tensor real = mask.to(decoder_->device()).to(at::kBool);
  if (real.size(1) == 0 || real.any(1).logical_not().any().item<bool>())
    throw Error("classify: every sequence needs at least one real token");
  // Index of the last real token: the largest position whose mask is set.
  const at::Tensor pos = at::arange(real.size(1), at::TensorOptions().dtype(at::kLong).device(decoder_->device()));
  const at::Tensor last = (pos.unsqueeze(0) * real.to(at::kLong)).argmax(1);
  const at::Tensor picked =
      hidden.gather(1, last.view({-1, 1, 1}).expand({hidden.size(0), 1, hidden.size(2)})).squeeze(1);  // [B, H]
  return decoder_->apply_head(picked);
}

}  // namespace rewardkit
