#include "score/batched_forward.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

namespace rewardkit::score {

namespace {

// Calls run(batch of sample indices, input_ids, attention_mask) for micro-batches of at most
// max_batch_tokens padded tokens (a sample longer than that gets a batch of its own).
void for_each_batch(const std::vector<TokenizedSample>& samples, int64_t max_batch_tokens,
                    const std::function<void(const std::vector<size_t>&, const at::Tensor&, const at::Tensor&)>& run) {
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return samples[a].ids.size() > samples[b].ids.size(); });
  size_t i = 0;
  while (i < order.size()) {
    const auto longest = static_cast<int64_t>(samples[order[i]].ids.size());
    size_t count = 1;
    while (i + count < order.size() && static_cast<int64_t>(count + 1) * longest <= max_batch_tokens) ++count;
    std::vector<size_t> batch(order.begin() + static_cast<std::ptrdiff_t>(i),
                              order.begin() + static_cast<std::ptrdiff_t>(i + count));
    at::Tensor ids = at::zeros({static_cast<int64_t>(count), longest}, at::kLong);
    at::Tensor mask = at::zeros({static_cast<int64_t>(count), longest}, at::kLong);
    auto ids_a = ids.accessor<int64_t, 2>();
    auto mask_a = mask.accessor<int64_t, 2>();
    for (size_t b = 0; b < count; ++b) {
      const std::vector<int32_t>& s = samples[batch[b]].ids;
      for (size_t t = 0; t < s.size(); ++t) {
        ids_a[static_cast<int64_t>(b)][static_cast<int64_t>(t)] = s[t];
        mask_a[static_cast<int64_t>(b)][static_cast<int64_t>(t)] = 1;
      }
    }
    run(batch, ids, mask);
    i += count;
  }
}

}  // namespace

std::vector<std::vector<float>> response_logprobs(const Model& model, const std::vector<TokenizedSample>& samples,
                                                  int64_t max_batch_tokens) {
  std::vector<std::vector<float>> out(samples.size());
  for_each_batch(samples, max_batch_tokens, [&](const std::vector<size_t>& batch, const at::Tensor& ids, const at::Tensor& mask) {
    const at::Tensor lp = model.token_logprobs(ids, mask).logprobs.to(at::kCPU).contiguous();
    auto a = lp.accessor<float, 2>();
    for (size_t b = 0; b < batch.size(); ++b) {
      const TokenizedSample& s = samples[batch[b]];
      const auto n = static_cast<int64_t>(s.ids.size());
      std::vector<float>& dst = out[batch[b]];
      for (int64_t t = std::max<int64_t>(s.response_start, 1); t < n; ++t) dst.push_back(a[static_cast<int64_t>(b)][t - 1]);
    }
  });
  return out;
}

at::Tensor classifier_scores(const Model& model, const std::vector<TokenizedSample>& samples, int64_t max_batch_tokens) {
  at::Tensor out = at::zeros({static_cast<int64_t>(samples.size()), model.info().num_labels}, at::kFloat);
  for_each_batch(samples, max_batch_tokens, [&](const std::vector<size_t>& batch, const at::Tensor& ids, const at::Tensor& mask) {
    const at::Tensor scores = model.classify(ids, mask).to(at::kCPU);
    for (size_t b = 0; b < batch.size(); ++b) out[static_cast<int64_t>(batch[b])].copy_(scores[static_cast<int64_t>(b)]);
  });
  return out;
}

}  // namespace rewardkit::score
