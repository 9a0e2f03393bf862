// Loading: config.json mapping, load options, and the errors a broken checkpoint must raise.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <thread>

#include "io/safetensors.hpp"
#include "nn/arch_config.hpp"
#include "nn/decoder.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/model.hpp"
#include "test_support.hpp"
#include "util/device.hpp"

using namespace rewardkit;
using namespace rewardkit::testing;
using nlohmann::json;

namespace {

fs::path tiny(const std::string& name) { return fixtures_dir() / "tiny" / name; }

// Copies a fixture checkpoint into `to`, passing each tensor through `edit` (return an
// undefined tensor to drop it) and the config through `edit_config`.
void copy_checkpoint(const fs::path& from, const fs::path& to,
                     const std::function<at::Tensor(const std::string&, at::Tensor)>& edit,
                     const std::function<void(json&)>& edit_config = {}) {
  json config = json::parse(read_text(from / "config.json"));
  if (edit_config) edit_config(config);
  write_text(to / "config.json", config.dump(2));
  io::Checkpoint ck(from.string());
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const std::string& name : ck.names()) {
    at::Tensor t = edit ? edit(name, ck.tensor(name)) : ck.tensor(name);
    if (t.defined()) out.emplace_back(name, t);
  }
  write_safetensors(to / "model.safetensors", out);
}

std::string load_error(const fs::path& dir) {
  LoadOptions o;
  o.device = "cpu";
  try {
    Model::load(dir.string(), o);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "loading " << dir << " succeeded";
  return "";
}

}  // namespace

TEST(ArchConfig, UnsupportedModelTypeSaysWhich) {
  try {
    nn::parse_arch_config(R"({"model_type": "gpt2"})", "x/config.json");
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("x/config.json"), std::string::npos) << m;
    EXPECT_NE(m.find("\"gpt2\""), std::string::npos) << m;
    EXPECT_NE(m.find("qwen3"), std::string::npos) << "should list the supported types: " << m;
  }
}

TEST(ArchConfig, MissingFieldSaysWhich) {
  json j = json::parse(read_text(tiny("llama_causal") / "config.json"));
  j.erase("hidden_size");
  try {
    nn::parse_arch_config(j.dump(), "c.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"hidden_size\" is missing"), std::string::npos) << e.what();
  }
}

TEST(ArchConfig, WrongTypesAndUnsupportedRope) {
  json j = json::parse(read_text(tiny("llama_causal") / "config.json"));
  j["num_attention_heads"] = "four";
  EXPECT_THROW(nn::parse_arch_config(j.dump(), "c.json"), Error);
  j = json::parse(read_text(tiny("llama_causal") / "config.json"));
  j.erase("rope_parameters");
  j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  try {
    nn::parse_arch_config(j.dump(), "c.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("yarn"), std::string::npos) << e.what();
  }
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  EXPECT_THROW(nn::parse_arch_config(j.dump(), "c.json"), Error) << "llama3 without its fields";
  j = json::parse(read_text(tiny("llama_causal") / "config.json"));
  j["architectures"] = {"LlamaModel"};
  EXPECT_THROW(nn::parse_arch_config(j.dump(), "c.json"), Error);
  EXPECT_THROW(nn::parse_arch_config("{not json", "c.json"), Error);
}

TEST(ArchConfig, TableSwitches) {
  auto c = nn::load_arch_config(tiny("gemma2_causal").string());
  EXPECT_TRUE(c.gemma_norm && c.embed_scale && c.sandwich_norm && c.tie_word_embeddings);
  ASSERT_TRUE(c.attn_logit_softcapping && c.final_logit_softcapping);
  ASSERT_EQ(c.layer_window.size(), 3u);
  EXPECT_GT(c.layer_window[0], 0);
  EXPECT_EQ(c.layer_window[1], 0);
  EXPECT_GT(c.layer_window[2], 0);
  c = nn::load_arch_config(tiny("qwen2_causal").string());
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias);
  c = nn::load_arch_config(tiny("qwen3_cls3").string());
  EXPECT_TRUE(c.qk_norm);
  EXPECT_EQ(c.head, nn::HeadKind::SequenceClassification);
  EXPECT_EQ(c.num_labels, 3);
  c = nn::load_arch_config(tiny("mistral_causal").string());
  for (int64_t w : c.layer_window) EXPECT_EQ(w, 4);
  // Both config layouts give the same rope settings.
  c = nn::load_arch_config(tiny("llama_linear_legacy_causal").string());
  EXPECT_EQ(c.rope.type, nn::RopeConfig::Type::Linear);
  EXPECT_DOUBLE_EQ(c.rope.factor, 2.0);
  c = nn::load_arch_config(tiny("llama3rope_causal").string());
  EXPECT_EQ(c.rope.type, nn::RopeConfig::Type::Llama3);
  EXPECT_DOUBLE_EQ(c.rope.theta, 500000.0);
}

TEST(ArchConfig, Llama3RopeKeepsHighAndSlowsLowFrequencies) {
  auto c = nn::load_arch_config(tiny("llama3rope_causal").string());
  at::Tensor scaled = nn::rope_inverse_frequencies(c);
  c.rope.type = nn::RopeConfig::Type::Default;
  at::Tensor plain = nn::rope_inverse_frequencies(c);
  EXPECT_FLOAT_EQ(scaled[0].item<float>(), plain[0].item<float>());
  const int64_t last = plain.size(0) - 1;
  EXPECT_NEAR(scaled[last].item<float>(), plain[last].item<float>() / c.rope.factor, 1e-12);
}

TEST(ModelLoad, MissingTensorNamesItAndItsShape) {
  TempDir d;
  copy_checkpoint(tiny("llama_cls"), d.path(), [](const std::string& n, at::Tensor t) {
    return n == "model.layers.1.mlp.up_proj.weight" ? at::Tensor() : t;
  });
  const std::string m = load_error(d.path());
  EXPECT_NE(m.find("missing tensor \"model.layers.1.mlp.up_proj.weight\""), std::string::npos) << m;
  EXPECT_NE(m.find("[128, 64]"), std::string::npos) << m;
}

TEST(ModelLoad, WrongShapeNamesTensorAndBothShapes) {
  TempDir d;
  copy_checkpoint(tiny("llama_cls"), d.path(), [](const std::string& n, at::Tensor t) {
    return n == "model.layers.0.self_attn.k_proj.weight" ? at::zeros({16, 64}) : t;
  });
  const std::string m = load_error(d.path());
  EXPECT_NE(m.find("\"model.layers.0.self_attn.k_proj.weight\" has shape [16, 64], expected [32, 64]"),
            std::string::npos)
      << m;
}

TEST(ModelLoad, UnexpectedTensorIsNotSilentlyDropped) {
  TempDir d;
  copy_checkpoint(tiny("llama_causal"), d.path(), nullptr, [](json& c) { c["attention_bias"] = false; });
  {
    // Add a bias the config does not declare.
    io::Checkpoint ck(d.path().string());
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (auto& n : ck.names()) out.emplace_back(n, ck.tensor(n).clone());
    out.emplace_back("model.layers.0.self_attn.q_proj.bias", at::ones({64}));
    write_safetensors(d.path() / "model.safetensors", out);
  }
  const std::string m = load_error(d.path());
  EXPECT_NE(m.find("model.layers.0.self_attn.q_proj.bias"), std::string::npos) << m;
}

TEST(ModelLoad, ClassifierHeadWidthMustMatchLabels) {
  TempDir d;
  copy_checkpoint(tiny("qwen3_cls3"), d.path(), nullptr, [](json& c) {
    c.erase("id2label");
    c.erase("label2id");
    c["num_labels"] = 2;
  });
  const std::string m = load_error(d.path());
  EXPECT_NE(m.find("score.weight"), std::string::npos) << m;
}

TEST(ModelLoad, UnsupportedModelTypeAndMissingConfig) {
  TempDir d;
  copy_checkpoint(tiny("llama_causal"), d.path(), nullptr, [](json& c) { c["model_type"] = "falcon"; });
  EXPECT_NE(load_error(d.path()).find("\"falcon\""), std::string::npos);
  TempDir empty;
  EXPECT_NE(load_error(empty.path()).find("config.json"), std::string::npos);
}

TEST(ModelLoad, TruncatedWeightsFile) {
  TempDir d;
  copy_checkpoint(tiny("llama_causal"), d.path(), nullptr);
  const std::string bytes = read_text(d.path() / "model.safetensors");
  write_text(d.path() / "model.safetensors", bytes.substr(0, bytes.size() - 100));
  const std::string m = load_error(d.path());
  EXPECT_NE(m.find("model.safetensors"), std::string::npos) << m;
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
}

TEST(ModelLoad, ShardedCheckpointLoads) {
  ASSERT_TRUE(fs::exists(tiny("llama_causal") / "model.safetensors.index.json"))
      << "the llama_causal fixture is meant to be sharded";
  LoadOptions o;
  o.device = "cpu";
  auto model = Model::load(tiny("llama_causal").string(), o);
  EXPECT_EQ(model->info().num_layers, 2);
  EXPECT_GT(model->info().parameter_count, 0);
}

TEST(LoadOptions, DeviceAndDtypeNames) {
  EXPECT_TRUE(util::resolve_device("cpu").is_cpu());
  EXPECT_THROW(util::resolve_device("tpu"), Error);
  EXPECT_THROW(util::resolve_device("cuda:x"), Error);
  const at::Device cpu(at::kCPU);
  EXPECT_EQ(util::resolve_dtype("float32", cpu, ""), at::kFloat);
  EXPECT_EQ(util::resolve_dtype("bf16", cpu, ""), at::kBFloat16);
  // float16 on the CPU only where this libtorch can multiply it, else a clear error at load.
  bool half_mm = true;
  try {
    at::mm(at::ones({2, 2}, at::kHalf), at::ones({2, 2}, at::kHalf));
  } catch (const c10::Error&) {
    half_mm = false;
  }
  if (half_mm) {
    EXPECT_EQ(util::resolve_dtype("float16", cpu, ""), at::kHalf);
  } else {
    try {
      util::resolve_dtype("float16", cpu, "");
      ADD_FAILURE() << "float16 on a CPU without a float16 matrix product was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no float16 matrix product on the CPU"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(util::resolve_dtype("auto", cpu, "float32"), at::kFloat);
  EXPECT_EQ(util::resolve_dtype("auto", cpu, "bfloat16"),
            util::cpu_has_native_bf16() ? at::kBFloat16 : at::kFloat);
  EXPECT_THROW(util::resolve_dtype("int8", cpu, ""), Error);
}

TEST(LoadOptions, CudaWithoutGpuIsAClearError) {
  if (at::hasCUDA()) GTEST_SKIP() << "a CUDA device is present; this test is for machines without one";
  EXPECT_TRUE(util::resolve_device("auto").is_cpu());
  for (const char* name : {"cuda", "cuda:0", "cuda:3"}) {
    try {
      util::resolve_device(name);
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
    }
  }
}

TEST(LoadOptions, CudaRunsTheSameNumbers) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device on this machine";
  LoadOptions o;
  o.device = "cuda";
  o.dtype = "float32";
  auto gpu = Model::load(tiny("qwen3_causal").string(), o);
  o.device = "cpu";
  auto cpu = Model::load(tiny("qwen3_causal").string(), o);
  at::Tensor ids = at::randint(1, 200, {2, 9}, at::kLong), mask = at::ones({2, 9}, at::kLong);
  EXPECT_LE((gpu->logits(ids, mask).cpu() - cpu->logits(ids, mask)).abs().max().item<double>(), 1e-4);
}

TEST(LoadOptions, ThreadsAreApplied) {
  LoadOptions o;
  o.device = "cpu";
  o.dtype = "float32";
  o.threads = 1;
  Model::load(tiny("llama_causal").string(), o);
  EXPECT_EQ(at::get_num_threads(), 1);
  if (util::blas_threads() != -1) EXPECT_EQ(util::blas_threads(), 1);
  // Every core goes to the pool that runs the dtype's matrix products. With a pthreads OpenBLAS
  // (a pool apart from ATen's) the other pool gets one thread, so that the two do not spin
  // against each other: OpenBLAS does float32 products, ATen's pool (oneDNN) bfloat16 ones.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const bool apart = util::blas_threads_apart();
  o.threads = 0;
  Model::load(tiny("llama_causal").string(), o);
  EXPECT_EQ(at::get_num_threads(), apart ? 1 : cores);
  if (util::blas_threads() != -1) EXPECT_EQ(util::blas_threads(), cores);
  o.dtype = "bfloat16";
  Model::load(tiny("llama_causal").string(), o);
  EXPECT_EQ(at::get_num_threads(), cores);
  if (util::blas_threads() != -1) EXPECT_EQ(util::blas_threads(), apart ? 1 : cores);
  o.threads = -2;
  EXPECT_THROW(Model::load(tiny("llama_causal").string(), o), Error);
}
