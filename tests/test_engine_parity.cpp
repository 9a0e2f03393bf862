// The engine against transformers on tiny random checkpoints of every supported architecture
// and both heads (made by tools/make_engine_fixtures.py; expected outputs are transformers'
// own, each sequence run alone and unpadded).
//
// Tolerances:
//  - float32: max abs difference <= 1e-4 on logits and scores (the parity bar; the
//    observed differences are ~1e-6, float32 rounding in a different operation order).
//  - bfloat16: bf16 keeps 8 significant bits, so transformers' own bf16 run differs from its
//    float32 run by a visible amount. Rounding happens in different places in the two
//    implementations, so neither is "exact", and a max over few numbers is chaotic: one early
//    rounding flip moves it. Causal fixtures give 3 x 12 x 256 logits; a classifier's 3 scores
//    were too few (0.55x to 5.9x transformers' error from one harmless change of rounding order),
//    so classifiers are measured on their 32-sequence probe batch. Bound: on each fixture, 3x
//    transformers' error plus 0.02 (about the bf16 rounding step for values of magnitude 4),
//    measured 0.8x to 1.4x on AMD EPYC (AVX-512); over all fixtures, the summed error at most
//    1.25x transformers' (measured 1.00x). A real bug (a wrong norm, a missing bias) moves outputs
//    by far more than either.
#include <gtest/gtest.h>

#include "io/safetensors.hpp"
#include "nn/decoder.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "test_support.hpp"

using namespace rewardkit;
using namespace rewardkit::testing;

namespace {

constexpr double kFp32Tolerance = 1e-4;

struct Expected {
  std::map<std::string, at::Tensor> t;
  const at::Tensor& operator[](const std::string& k) const {
    auto it = t.find(k);
    if (it == t.end()) throw std::runtime_error("expected.safetensors lacks " + k);
    return it->second;
  }
};

Expected load_expected(const fs::path& dir) {
  io::SafetensorsFile f((dir / "expected.safetensors").string());
  Expected e;
  for (auto& [name, _] : f.entries()) e.t[name] = f.tensor(name).clone();
  return e;
}

// Max abs difference over the real positions [b, t] of a right-padded batch (a mask of
// want's own shape is used as it is).
double masked_max_diff(const at::Tensor& got, const at::Tensor& want, const at::Tensor& mask) {
  at::Tensor m = mask.to(at::kBool);
  if (m.dim() < want.dim()) m = m.unsqueeze(-1).expand_as(want);
  return (got.cpu() - want).abs().masked_select(m).max().item<double>();
}

// Left-padded outputs moved into the right-padded layout, so both compare to one reference.
at::Tensor left_to_right(const at::Tensor& x, const at::Tensor& left_mask) {
  at::Tensor out = at::zeros_like(x);
  for (int64_t b = 0; b < x.size(0); ++b) {
    const int64_t n = left_mask[b].sum().item<int64_t>();
    const int64_t T = x.size(1);
    out[b].narrow(0, 0, n).copy_(x[b].narrow(0, T - n, n));
  }
  return out;
}

class EngineParity : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return fixtures_dir() / "tiny" / GetParam(); }
  std::shared_ptr<Model> load(const std::string& dtype) const {
    LoadOptions o;
    o.device = "cpu";
    o.dtype = dtype;
    return Model::load(dir().string(), o);
  }
};

}  // namespace

namespace {

// Right- and left-padded logits (with token log-probs) or scores against transformers', float32.
void expect_float32_parity(const Model* model, const Expected& e) {
  if (model->info().head == ModelHead::CausalLM) {
    const at::Tensor& want = e["logits"];
    at::Tensor right = model->logits(e["input_ids"], e["attention_mask"]);
    EXPECT_LE(masked_max_diff(right, want, e["attention_mask"]), kFp32Tolerance) << "right padding";
    at::Tensor left = model->logits(e["left_input_ids"], e["left_attention_mask"]).cpu();
    EXPECT_LE(masked_max_diff(left_to_right(left, e["left_attention_mask"]), want, e["attention_mask"]),
              kFp32Tolerance)
        << "left padding";
    // The chunked log-prob path agrees with log_softmax over the reference logits.
    TokenLogprobs lp = model->token_logprobs(e["input_ids"], e["attention_mask"]);
    const at::Tensor ids = e["input_ids"];
    const int64_t T = ids.size(1);
    at::Tensor ref = at::log_softmax(want.narrow(1, 0, T - 1), -1)
                         .gather(2, ids.narrow(1, 1, T - 1).unsqueeze(-1))
                         .squeeze(-1);
    at::Tensor valid = (e["attention_mask"].narrow(1, 0, T - 1) * e["attention_mask"].narrow(1, 1, T - 1)).to(at::kBool);
    EXPECT_LE((lp.logprobs.cpu() - ref).abs().masked_select(valid).max().item<double>(), kFp32Tolerance);
    EXPECT_TRUE(at::equal(lp.logprobs.cpu().masked_select(valid.logical_not()),
                          at::zeros({valid.logical_not().sum().item<int64_t>()})));
    at::Tensor ref_top = want.narrow(1, 0, T - 1).argmax(-1);
    EXPECT_TRUE(at::equal(lp.top_ids.cpu().masked_select(valid), ref_top.masked_select(valid)));
  } else {
    const at::Tensor& want = e["scores"];
    EXPECT_EQ(model->info().num_labels, want.size(1));
    at::Tensor right = model->classify(e["input_ids"], e["attention_mask"]).cpu();
    EXPECT_LE((right - want).abs().max().item<double>(), kFp32Tolerance) << "right padding";
    at::Tensor left = model->classify(e["left_input_ids"], e["left_attention_mask"]).cpu();
    EXPECT_LE((left - want).abs().max().item<double>(), kFp32Tolerance) << "left padding";
  }
}

}  // namespace

TEST_P(EngineParity, Float32MatchesTransformers) {
  ASSERT_TRUE(fs::exists(dir() / "expected.safetensors")) << dir() << ": run tools/make_engine_fixtures.py";
  auto model = load("float32");
  ASSERT_EQ(model->dtype(), at::kFloat);
  expect_float32_parity(model.get(), load_expected(dir()));
}

// Explicit attention runs queries in blocks against only the keys they may read (causal, within
// a sliding window). The fixtures' sequences are shorter than one block (64), so here blocks
// of 3 queries: several per sequence, each with its own key range, on padded batches and with
// the fixtures' sliding windows of 4.
TEST_P(EngineParity, Float32MatchesTransformersInQueryBlocksOf3) {
  auto model = load("float32");
  const int64_t previous = nn::set_attention_query_block(3);
  expect_float32_parity(model.get(), load_expected(dir()));
  nn::set_attention_query_block(previous);
}

namespace {

// Max abs error against transformers' float32 output: {ours in bf16, transformers' in bf16}.
std::pair<double, double> bf16_errors(const std::string& name) {
  const fs::path dir = fixtures_dir() / "tiny" / name;
  const Expected e = load_expected(dir);
  LoadOptions o = cpu_fp32_options();
  o.dtype = "bfloat16";
  auto model = Model::load(dir.string(), o);
  if (model->dtype() != at::kBFloat16) throw std::runtime_error(name + ": not loaded as bfloat16");
  if (model->info().head == ModelHead::CausalLM) {
    const at::Tensor& ref32 = e["logits"];
    const at::Tensor got = model->logits(e["input_ids"], e["attention_mask"]);
    return {masked_max_diff(got, ref32, e["attention_mask"]),
            masked_max_diff(e["logits_bf16"], ref32, e["attention_mask"])};
  }
  // A classifier gives one number per sequence: its 32-sequence probe batch, not the 3 above.
  const at::Tensor& ref32 = e["probe_scores"];
  const at::Tensor got = model->classify(e["probe_input_ids"], e["probe_attention_mask"]);
  const at::Tensor all = at::ones_like(ref32);
  return {masked_max_diff(got, ref32, all), masked_max_diff(e["probe_scores_bf16"], ref32, all)};
}

const std::vector<std::string> kTinyFixtures = {
    "llama_causal",  "llama_cls",  "llama_mha_causal", "llama3rope_causal",      "llama3rope_cls", "llama_linear_legacy_causal",
    "mistral_causal", "mistral_cls", "qwen2_causal",   "qwen2_cls",              "qwen3_causal",   "qwen3_cls",
    "qwen3_causal_tied_bf16",        "qwen3_cls3",     "gemma2_causal",          "gemma2_cls"};

}  // namespace

TEST_P(EngineParity, BFloat16WithinThriceTransformersOwnBf16Error) {
  const auto [ours, hf] = bf16_errors(GetParam());
  RecordProperty("ours", std::to_string(ours));
  RecordProperty("transformers", std::to_string(hf));
  EXPECT_LE(ours, 3 * hf + 0.02) << "transformers' own bf16 error: " << hf;
}

TEST(Engine, BFloat16AsAccurateAsTransformersOverAllFixtures) {
  double ours = 0, hf = 0;
  for (const std::string& name : kTinyFixtures) {
    const auto [o, h] = bf16_errors(name);
    ours += o;
    hf += h;
  }
  EXPECT_LE(ours, 1.25 * hf) << "summed max errors in bf16, ours " << ours << ", transformers' " << hf;
}

INSTANTIATE_TEST_SUITE_P(Tiny, EngineParity, ::testing::ValuesIn(kTinyFixtures),
                         [](const auto& info) { return info.param; });

TEST(Engine, BatchInvariance) {
  // A sequence's log-probs do not depend on what else is in the batch or on padding side.
  LoadOptions o;
  o.device = "cpu";
  o.dtype = "float32";
  auto model = Model::load((fixtures_dir() / "tiny" / "gemma2_causal").string(), o);
  const Expected e = load_expected(fixtures_dir() / "tiny" / "gemma2_causal");
  at::Tensor ids = e["input_ids"], mask = e["attention_mask"];
  at::Tensor all = model->logits(ids, mask);
  for (int64_t b = 0; b < ids.size(0); ++b) {
    const int64_t n = mask[b].sum().item<int64_t>();
    at::Tensor one = model->logits(ids[b].narrow(0, 0, n).unsqueeze(0), at::ones({1, n}, at::kLong));
    EXPECT_LE((one[0] - all[b].narrow(0, 0, n)).abs().max().item<double>(), 1e-5) << "sequence " << b;
  }
}

TEST(Engine, ClassifierNamesLabels) {
  LoadOptions o;
  o.device = "cpu";
  auto model = Model::load((fixtures_dir() / "tiny" / "qwen3_cls3").string(), o);
  EXPECT_EQ(model->info().labels, (std::vector<std::string>{"helpfulness", "correctness", "coherence"}));
  EXPECT_THROW(model->logits(at::ones({1, 2}, at::kLong), at::ones({1, 2}, at::kLong)), Error);
}

TEST(Engine, RejectsBadInputs) {
  LoadOptions o;
  o.device = "cpu";
  auto model = Model::load((fixtures_dir() / "tiny" / "llama_causal").string(), o);
  const int64_t V = model->info().vocab_size;
  EXPECT_THROW(model->logits(at::full({1, 3}, V, at::kLong), at::ones({1, 3}, at::kLong)), Error);
  EXPECT_THROW(model->logits(at::full({1, 3}, -1, at::kLong), at::ones({1, 3}, at::kLong)), Error);
  EXPECT_THROW(model->logits(at::ones({1, 3}, at::kLong), at::ones({1, 2}, at::kLong)), Error);
  EXPECT_THROW(model->logits(at::ones({3}, at::kLong), at::ones({3}, at::kLong)), Error);
  const int64_t too_long = model->info().max_length + 1;
  EXPECT_THROW(model->logits(at::ones({1, too_long}, at::kLong), at::ones({1, too_long}, at::kLong)), Error);
}

// Prompt sharing: continuations scored against a prompt run once give the log-probs of the
// joined sequences scored whole, within batch_tolerance (test_support.hpp: the two differ only
// in which GEMM rows computed the prompt's keys). The prompt (9 tokens) is longer than the
// windowed fixtures' window (4), so the window must count the prompt's positions; the
// continuations have different lengths, so the batch is padded.
class PromptSharing : public ::testing::TestWithParam<std::string> {};

TEST_P(PromptSharing, ContinuationsMatchWholeSequences) {
  auto model = Model::load((fixtures_dir() / "tiny" / GetParam()).string(), cpu_fp32_options());
  at::manual_seed(7);
  const int64_t vocab = model->info().vocab_size, P = 9;
  const at::Tensor prompt = at::randint(vocab, {P}, at::kLong);
  const std::vector<int64_t> lengths = {3, 11, 1, 6};
  const int64_t longest = 11;
  at::Tensor cont = at::zeros({static_cast<int64_t>(lengths.size()), longest}, at::kLong);
  at::Tensor cont_mask = at::zeros_like(cont);
  for (size_t b = 0; b < lengths.size(); ++b) {
    cont[static_cast<int64_t>(b)].narrow(0, 0, lengths[b]).copy_(at::randint(vocab, {lengths[b]}, at::kLong));
    cont_mask[static_cast<int64_t>(b)].narrow(0, 0, lengths[b]).fill_(1);
  }
  const auto cache = model->encode_prompt(prompt);
  const at::Tensor shared = model->continuation_logprobs(*cache, cont, cont_mask).logprobs;
  ASSERT_EQ(shared.sizes(), cont.sizes());
  for (size_t b = 0; b < lengths.size(); ++b) {
    const int64_t R = lengths[b];
    const at::Tensor joined = at::cat({prompt, cont[static_cast<int64_t>(b)].narrow(0, 0, R)}).unsqueeze(0);
    const at::Tensor whole = model->token_logprobs(joined, at::ones_like(joined)).logprobs[0];
    for (int64_t t = 0; t < R; ++t) {
      const double want = whole[P - 1 + t].item<double>(), got = shared[static_cast<int64_t>(b)][t].item<double>();
      EXPECT_NEAR(got, want, batch_tolerance(want)) << "sequence " << b << " token " << t;
    }
    for (int64_t t = R; t < longest; ++t) EXPECT_EQ(shared[static_cast<int64_t>(b)][t].item<double>(), 0.0);
  }
  // An empty prompt has nothing to share; a continuation past the model's limit is refused.
  EXPECT_THROW(model->encode_prompt(at::zeros({0}, at::kLong)), Error);
  const int64_t too_long = model->info().max_length - P + 1;
  const at::Tensor long_ids = at::zeros({1, too_long}, at::kLong);
  EXPECT_THROW(model->continuation_logprobs(*cache, long_ids, at::ones_like(long_ids)), Error);
}

INSTANTIATE_TEST_SUITE_P(CausalFixtures, PromptSharing,
                         ::testing::Values("llama_causal", "llama_mha_causal", "llama3rope_causal", "mistral_causal",
                                           "qwen2_causal", "qwen3_causal", "gemma2_causal"),
                         [](const auto& info) { return info.param; });

// Scoring only the responses: token_logprobs with first_target gives the full call's log-probs
// from each row's first target on (the same hidden states through the same head, within
// batch_tolerance: a GEMM rounds a row by where it falls in its tiles), and 0 / top id -1 before
// it, on a padded batch with a different start per row.
class ResponseOnlyLogprobs : public ::testing::TestWithParam<std::string> {};

TEST_P(ResponseOnlyLogprobs, EqualTheFullCallWhereScoredAndZeroBefore) {
  auto model = Model::load((fixtures_dir() / "tiny" / GetParam()).string(), cpu_fp32_options());
  at::manual_seed(11);
  const std::vector<int64_t> lengths = {12, 5, 9}, first = {7, 1, 9};  // 9: no target left to score
  const int64_t T = 12;
  at::Tensor ids = at::randint(model->info().vocab_size, {3, T}, at::kLong);
  at::Tensor mask = at::zeros_like(ids);
  for (size_t b = 0; b < lengths.size(); ++b) mask[static_cast<int64_t>(b)].narrow(0, 0, lengths[b]).fill_(1);
  const TokenLogprobs full = model->token_logprobs(ids, mask);
  const TokenLogprobs part = model->token_logprobs(ids, mask, at::tensor(first));
  ASSERT_EQ(part.logprobs.sizes(), full.logprobs.sizes());
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t t = 0; t + 1 < T; ++t) {
      const bool scored = t + 1 >= first[static_cast<size_t>(b)] && t + 1 < lengths[static_cast<size_t>(b)];
      const float got = part.logprobs[b][t].item<float>();
      if (scored) {
        const float want = full.logprobs[b][t].item<float>();
        EXPECT_NEAR(got, want, batch_tolerance(want)) << "row " << b << " target " << t + 1;
        EXPECT_EQ(part.top_ids[b][t].item<int64_t>(), full.top_ids[b][t].item<int64_t>());
      } else {
        EXPECT_EQ(got, 0.0f) << "row " << b << " target " << t + 1;
        EXPECT_EQ(part.top_ids[b][t].item<int64_t>(), -1);
      }
    }
  EXPECT_THROW(model->token_logprobs(ids, mask, at::tensor(std::vector<int64_t>{1, 2})), Error);
}

INSTANTIATE_TEST_SUITE_P(CausalFixtures, ResponseOnlyLogprobs, ::testing::Values("llama_causal", "gemma2_causal"),
                         [](const auto& info) { return info.param; });
