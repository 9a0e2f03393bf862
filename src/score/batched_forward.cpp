#include "score/batched_forward.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

#include "nn/decoder.hpp"

namespace rewardkit::score {

namespace {

// Calls run(batch of sample indices, input_ids, attention_mask) for micro-batches of at most
// max_batch_tokens padded tokens (a sample longer than that gets a batch of its own). Sequences
// that continue a shared prompt of `prompt_length` tokens count it too, since they attend to it.
void for_each_batch(const std::vector<TokenizedSample>& samples, int64_t max_batch_tokens,
                    const std::function<void(const std::vector<size_t>&, const at::Tensor&, const at::Tensor&)>& run,
                    int64_t prompt_length = 0) {
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return samples[a].ids.size() > samples[b].ids.size(); });
  size_t i = 0;
  while (i < order.size()) {
    const auto longest = static_cast<int64_t>(samples[order[i]].ids.size());
    size_t count = 1;
    while (i + count < order.size() && static_cast<int64_t>(count + 1) * (prompt_length + longest) <= max_batch_tokens)
      ++count;
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

// Samples that share their prompt tokens with at least one other and have a response: each
// group's members, in input order. Prompt sharing pays from two continuations on.
std::vector<std::vector<size_t>> shared_prompt_groups(const std::vector<TokenizedSample>& samples) {
  std::map<std::vector<int32_t>, std::vector<size_t>> by_prompt;
  for (size_t i = 0; i < samples.size(); ++i) {
    const TokenizedSample& s = samples[i];
    if (s.response_start < 1 || static_cast<int64_t>(s.ids.size()) <= s.response_start) continue;
    by_prompt[std::vector<int32_t>(s.ids.begin(), s.ids.begin() + s.response_start)].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  for (auto& [prompt, members] : by_prompt)
    if (members.size() >= 2) groups.push_back(std::move(members));
  return groups;
}

// The responses of one group, scored against the prompt run once.
void shared_prompt_logprobs(const Model& model, const std::vector<TokenizedSample>& samples,
                            const std::vector<size_t>& group, int64_t max_batch_tokens,
                            std::vector<std::vector<float>>& out) {
  const TokenizedSample& first = samples[group.front()];
  const int64_t prompt_length = first.response_start;
  const at::Tensor prompt = at::tensor(std::vector<int64_t>(first.ids.begin(), first.ids.begin() + prompt_length));
  const auto cache = model.encode_prompt(prompt);
  std::vector<TokenizedSample> responses;
  responses.reserve(group.size());
  for (size_t i : group) {
    TokenizedSample r;
    r.ids.assign(samples[i].ids.begin() + prompt_length, samples[i].ids.end());
    responses.push_back(std::move(r));
  }
  for_each_batch(
      responses, max_batch_tokens,
      [&](const std::vector<size_t>& batch, const at::Tensor& ids, const at::Tensor& mask) {
        const at::Tensor lp = model.continuation_logprobs(*cache, ids, mask).logprobs.to(at::kCPU).contiguous();
        auto a = lp.accessor<float, 2>();
        for (size_t b = 0; b < batch.size(); ++b) {
          const auto n = static_cast<int64_t>(responses[batch[b]].ids.size());
          std::vector<float>& dst = out[group[batch[b]]];
          for (int64_t t = 0; t < n; ++t) dst.push_back(a[static_cast<int64_t>(b)][t]);
        }
      },
      prompt_length);
}

}  // namespace

std::vector<std::vector<float>> response_logprobs(const Model& model, const std::vector<TokenizedSample>& samples,
                                                  int64_t max_batch_tokens, bool share_prompts) {
  std::vector<std::vector<float>> out(samples.size());
  std::vector<TokenizedSample> rest;  // the samples scored whole, and where they go
  std::vector<size_t> rest_index;
  std::vector<bool> shared(samples.size(), false);
  if (share_prompts) {
    for (const auto& group : shared_prompt_groups(samples)) {
      shared_prompt_logprobs(model, samples, group, max_batch_tokens, out);
      for (size_t i : group) shared[i] = true;
    }
  }
  for (size_t i = 0; i < samples.size(); ++i)
    if (!shared[i]) {
      rest.push_back(samples[i]);
      rest_index.push_back(i);
    }
  for_each_batch(rest, max_batch_tokens, [&](const std::vector<size_t>& batch, const at::Tensor& ids, const at::Tensor& mask) {
    // Only the responses' tokens go through the vocabulary head.
    std::vector<int64_t> first(batch.size());
    for (size_t b = 0; b < batch.size(); ++b) first[b] = std::max<int64_t>(rest[batch[b]].response_start, 1);
    const at::Tensor lp = model.token_logprobs(ids, mask, at::tensor(first)).logprobs.to(at::kCPU).contiguous();
    auto a = lp.accessor<float, 2>();
    for (size_t b = 0; b < batch.size(); ++b) {
      const TokenizedSample& s = rest[batch[b]];
      const auto n = static_cast<int64_t>(s.ids.size());
      std::vector<float>& dst = out[rest_index[batch[b]]];
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
