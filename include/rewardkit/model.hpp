#pragma once
// The engine: a Hugging Face checkpoint directory loaded onto a device, run over padded
// batches of token ids. Every reward rewardkit computes reads one of these outputs.
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rewardkit/load.hpp"

namespace rewardkit {

namespace nn {
class Decoder;
struct ArchConfig;
struct DecoderWeights;
struct PrefixCache;
}

enum class ModelHead { CausalLM, SequenceClassification };

struct ModelInfo {
  std::string dir;
  std::string model_type;     // config.json model_type, e.g. "qwen3"
  std::string architecture;   // architectures[0], e.g. "Qwen3ForSequenceClassification"
  ModelHead head = ModelHead::CausalLM;
  int64_t num_labels = 0;             // classifiers: width of the head
  std::vector<std::string> labels;    // classifiers: id2label names
  int64_t vocab_size = 0, hidden_size = 0, num_layers = 0;
  int64_t max_length = 0;             // longest accepted sequence (LoadOptions::max_length or the config's)
  int64_t parameter_count = 0;
  std::string stored_dtype;           // config.json torch_dtype
  std::string dtype;                  // dtype it runs in: "float32", "bfloat16", "float16"
  std::string device;                 // e.g. "cpu", "cuda:0"
  int64_t pad_token_id = -1, bos_token_id = -1, eos_token_id = -1;  // -1 when config.json has none
};

// Per-token log-probabilities of a causal LM: for t in [0, T-1), log p(ids[t+1] | ids[..t]).
struct TokenLogprobs {
  at::Tensor logprobs;  // [batch, time - 1] float32; 0 unless tokens t and t+1 are both real
  at::Tensor top_ids;   // [batch, time - 1] int64: argmax prediction at each position, -1 where no log-prob is
};

class Model {
 public:
  // Reads config.json and the safetensors weights of `dir`. Errors name the file, the field
  // or the tensor at fault.
  static std::shared_ptr<Model> load(const std::string& dir, const LoadOptions& options = {});
  // A model of a config.json's shape (the text of the file) with random weights drawn as
  // transformers initializes them (normal(0, 0.02), seeded): for benchmarks and tests that need
  // no checkpoint. `name` stands for the directory in info() and in errors.
  static std::shared_ptr<Model> random(const std::string& config_json, const LoadOptions& options = {},
                                       uint64_t seed = 0, const std::string& name = "<random>");
  ~Model();

  const ModelInfo& info() const { return info_; }
  at::Device device() const;
  at::ScalarType dtype() const;

  // Inputs: input_ids [batch, time] (any integer type, any device) and attention_mask of the
  // same shape, 1 for real tokens. Padding may be on either side. Forward passes are const and
  // share no mutable state, so one Model can serve several threads.

  // Final-normed hidden states [batch, time, hidden] in the model dtype, on the model device.
  at::Tensor hidden_states(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;
  // Causal LMs: full float32 logits [batch, time, vocab]. Memory grows with the vocabulary:
  // prefer token_logprobs for scoring.
  at::Tensor logits(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;
  // Causal LMs: log-softmax computed in chunks of positions, keeping only the target token's
  // value and the argmax (never the whole [batch, time, vocab] in float32).
  TokenLogprobs token_logprobs(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;
  // The same for the targets from first_target[b] on (an index into ids[b]; [batch], integers):
  // earlier positions are 0 (top_ids -1) and cost no head work. A prompt's tokens are not scored.
  TokenLogprobs token_logprobs(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                               const at::Tensor& first_target) const;
  // Causal LMs, many continuations of one prompt: encode_prompt runs the prompt (unpadded, at
  // least one token) once, and continuation_logprobs reads its keys and values for each batch
  // of continuations: logprobs [batch, time] = log p(ids[b, t] | prompt, ids[b, :t]), 0 where the
  // token is not real. Equal to token_logprobs on the joined sequences up to float rounding.
  std::shared_ptr<const nn::PrefixCache> encode_prompt(const at::Tensor& prompt_ids) const;
  TokenLogprobs continuation_logprobs(const nn::PrefixCache& prompt, const at::Tensor& input_ids,
                                      const at::Tensor& attention_mask) const;
  // Sequence classifiers: the head [batch, num_labels] float32 at each sequence's last real
  // token (by the attention mask, not by searching for pad_token_id as HF does: the two agree
  // except when pad == eos and the text itself ends in eos, where HF reads one token early).
  at::Tensor classify(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;

  // The engine itself, for code inside rewardkit.
  const nn::Decoder& decoder() const { return *decoder_; }

 private:
  Model() = default;
  static std::shared_ptr<Model> assemble(const std::string& dir, nn::ArchConfig config, nn::DecoderWeights weights,
                                         const LoadOptions& options, at::Device device, at::ScalarType dtype,
                                         int64_t parameter_count);
  void check_inputs(const at::Tensor& input_ids, const at::Tensor& attention_mask, int64_t prefix_length = 0) const;
  void check_causal_lm(const char* what) const;
  // log p(targets[i]) under the head at hidden rows [n, hidden], in chunks; 0 where !valid.
  TokenLogprobs pick_logprobs(const at::Tensor& rows, const at::Tensor& targets, const at::Tensor& valid) const;
  ModelInfo info_;
  std::unique_ptr<nn::Decoder> decoder_;
};

}  // namespace rewardkit
