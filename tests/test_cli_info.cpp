// `rewardkit info` on the committed scorer fixtures: every field it prints (text and --json)
// against the ModelInfo of Model::load with the same (default) options and the files present.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "rewardkit/model.hpp"
#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace rewardkit::testing;
using nlohmann::json;

namespace {

std::string dir_of(const char* name) { return (fixtures_dir() / "scorers" / name).string(); }

// The value on the text output's row `name`, or "" when there is no such row.
std::string row(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) {
      const size_t start = line.find_first_not_of(' ', name.size());
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

json info_json(const std::string& dir) {
  CliResult r = run_cli("info --json --model '" + dir + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out);
}

void expect_matches_model_info(const json& j, const rewardkit::ModelInfo& info) {
  EXPECT_EQ(j["dir"], info.dir);
  EXPECT_EQ(j["architecture"], info.architecture);
  EXPECT_EQ(j["model_type"], info.model_type);
  EXPECT_EQ(j["parameter_count"], info.parameter_count);
  EXPECT_EQ(j["stored_dtype"], info.stored_dtype);
  EXPECT_EQ(j["vocab_size"], info.vocab_size);
  EXPECT_EQ(j["hidden_size"], info.hidden_size);
  EXPECT_EQ(j["num_layers"], info.num_layers);
  EXPECT_EQ(j["max_length"], info.max_length);
  EXPECT_EQ(j["device"], info.device);
  EXPECT_EQ(j["dtype"], info.dtype);
  EXPECT_EQ(j["requested"], json({{"device", "auto"}, {"dtype", "auto"}}));
  EXPECT_EQ(j["pad_token_id"], info.pad_token_id);
  EXPECT_EQ(j["eos_token_id"], info.eos_token_id);
  if (info.bos_token_id < 0)
    EXPECT_TRUE(j["bos_token_id"].is_null());
  else
    EXPECT_EQ(j["bos_token_id"], info.bos_token_id);
  EXPECT_GT(info.parameter_count, 0);
}

}  // namespace

TEST(CliInfo, MultiLabelClassifier) {
  const auto model = rewardkit::Model::load(dir_of("rm3"));  // default options: what auto picks
  const rewardkit::ModelInfo& info = model->info();
  const json j = info_json(dir_of("rm3"));
  expect_matches_model_info(j, info);
  EXPECT_EQ(j["architecture"], "LlamaForSequenceClassification");
  EXPECT_EQ(j["head"], "sequence-classification");
  EXPECT_EQ(j["num_labels"], 3);
  EXPECT_EQ(j["labels"], json({"helpfulness", "correctness", "safety"}));
  EXPECT_EQ(j["labels"], json(info.labels));
  EXPECT_EQ(j["stored_dtype"], "float32");
  EXPECT_EQ(j["max_length"], 256);
  EXPECT_EQ(j["tokenizer"]["kind"], "tokenizer.json");
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 403);
  EXPECT_EQ(j["tokenizer"]["class"], "TokenizersBackend");
  EXPECT_EQ(j["chat_template"]["present"], true);
  EXPECT_EQ(j["chat_template"]["source"], "tokenizer_config.json");
  EXPECT_TRUE(j["chat_template"]["error"].is_null());

  CliResult r = run_cli("info --model '" + dir_of("rm3") + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(row(r.out, "architecture"), "LlamaForSequenceClassification");
  EXPECT_EQ(row(r.out, "model_type"), "llama");
  EXPECT_EQ(row(r.out, "head"), "sequence classification, 3 labels: helpfulness, correctness, safety");
  EXPECT_EQ(row(r.out, "parameters"), std::to_string(info.parameter_count));
  EXPECT_EQ(row(r.out, "stored dtype"), "float32");
  EXPECT_EQ(row(r.out, "vocab size"), "403 (embeddings); tokenizer: 403");
  EXPECT_EQ(row(r.out, "max length"), "256");
  EXPECT_EQ(row(r.out, "tokenizer").rfind("tokenizer.json (TokenizersBackend)", 0), 0u) << r.out;
  EXPECT_EQ(row(r.out, "chat template"), "yes (tokenizer_config.json)");
  EXPECT_EQ(row(r.out, "runs on"), info.device + ", " + info.dtype + " (asked: device auto, dtype auto)");
}

TEST(CliInfo, BaseCausalLmWithoutChatTemplate) {
  const auto model = rewardkit::Model::load(dir_of("lm_base"));
  const json j = info_json(dir_of("lm_base"));
  expect_matches_model_info(j, model->info());
  EXPECT_EQ(j["head"], "causal-lm");
  EXPECT_TRUE(j["num_labels"].is_null());
  EXPECT_TRUE(j["labels"].is_null());
  EXPECT_EQ(j["bos_token_id"], 403);
  EXPECT_EQ(j["vocab_size"], 404);
  EXPECT_EQ(j["tokenizer"]["kind"], "tokenizer.json");
  EXPECT_EQ(j["chat_template"]["present"], false);
  EXPECT_TRUE(j["chat_template"]["source"].is_null());

  CliResult r = run_cli("info --model '" + dir_of("lm_base") + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(row(r.out, "architecture"), "LlamaForCausalLM");
  EXPECT_EQ(row(r.out, "head"), "causal LM");
  EXPECT_EQ(row(r.out, "chat template"), "no");
  EXPECT_EQ(row(r.out, "special ids"), "pad 400, bos 403, eos 400");
}

TEST(CliInfo, LoadOptionsAndTokenizerKindsFromFiles) {
  // Explicit options are what the model runs as; --max-length shows as the limit.
  json j = json::parse(run_cli("info --json --device cpu --dtype bfloat16 --max-length 64 --model '" +
                               dir_of("rm") + "'").out);
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["dtype"], "bfloat16");
  EXPECT_EQ(j["max_length"], 64);
  EXPECT_EQ(j["requested"]["dtype"], "bfloat16");
  EXPECT_EQ(j["num_labels"], 1);

  // A copy with vocab.json + merges.txt instead of tokenizer.json: the kind follows the files.
  // With no tokenizer at all, the failure to load one is reported, not fatal.
  TempDir d;
  for (const char* f : {"config.json", "model.safetensors", "tokenizer_config.json"})
    fs::copy_file(fixtures_dir() / "scorers" / "lm_base" / f, d.path() / f);
  CliResult r = run_cli("info --json --model '" + d.path().string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_TRUE(j["tokenizer"]["kind"].is_null());
  EXPECT_TRUE(j["tokenizer"]["vocab_size"].is_null());
  EXPECT_NE(j["tokenizer"]["error"].get<std::string>().find("no tokenizer"), std::string::npos) << j;
  r = run_cli("info --model '" + d.path().string() + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(row(r.out, "vocab size").find("tokenizer: cannot load: no tokenizer"), std::string::npos) << r.out;

  write_text(d.path() / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  write_text(d.path() / "merges.txt", "#version: 0.2\na b\n");
  r = run_cli("info --json --model '" + d.path().string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["tokenizer"]["kind"], "vocab+merges");
  EXPECT_EQ(j["tokenizer"]["files"], json({"vocab.json", "merges.txt", "tokenizer_config.json"}));
  // Loaded (vocab_size) or not (error), never both.
  EXPECT_NE(j["tokenizer"]["vocab_size"].is_null(), j["tokenizer"]["error"].is_null()) << j;
}

TEST(CliInfo, ClearErrors) {
  CliResult r = run_cli("info");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
  r = run_cli("info --model /nonexistent/dir");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
}
