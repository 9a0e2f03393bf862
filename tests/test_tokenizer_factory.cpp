// load_tokenizer / register_tokenizer_loader and the reading of tokenizer_config.json.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "test_support.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"

namespace {

using rewardkit::testing::message_of;

namespace fs = std::filesystem;
using nlohmann::json;
using rewardkit::testing::TempDir;
using rewardkit::testing::write_text;

fs::path tiny_model() { return rewardkit::testing::fixtures_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.model"; }

fs::path llama2_model() {
  fs::path assets = rewardkit::testing::shared_assets_dir();
  if (assets.empty()) return {};
  fs::path p = assets / "tokenizers" / "llama2" / "tokenizer.model";
  return fs::is_regular_file(p) ? p : fs::path();
}


// A tokenizer of our own, to see which loader answered.
class FakeTokenizer : public rewardkit::Tokenizer {
 public:
  explicit FakeTokenizer(int tag) : tag_(tag) {}
  std::vector<int32_t> encode(const std::string&, bool) const override { return {tag_}; }
  std::string decode(const std::vector<int32_t>&, bool) const override { return "fake"; }
  int64_t vocab_size() const override { return 1; }
  std::string id_to_token(int32_t) const override { return "fake"; }
  std::optional<int32_t> token_to_id(const std::string&) const override { return std::nullopt; }
  std::optional<int32_t> bos_id() const override { return std::nullopt; }
  std::optional<int32_t> eos_id() const override { return std::nullopt; }
  std::optional<int32_t> pad_id() const override { return std::nullopt; }

 private:
  int tag_;
};

// A loader that only answers for directories holding `marker`, so that it leaves the other
// tests (registration is process-wide and permanent) alone.
rewardkit::TokenizerLoader marker_loader(const std::string& marker, int tag) {
  return [marker, tag](const std::string& dir) -> std::unique_ptr<rewardkit::Tokenizer> {
    if (!fs::exists(fs::path(dir) / marker)) return nullptr;
    return std::make_unique<FakeTokenizer>(tag);
  };
}

TEST(TokenizerFactory, PicksSentencepieceForTokenizerModel) {
  TempDir dir;
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  write_text(dir.path() / "tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer", "add_bos_token": true})");
  auto tok = rewardkit::load_tokenizer(dir.path().string());
  auto* spm = dynamic_cast<rewardkit::tokenize::SentencepieceTokenizer*>(tok.get());
  ASSERT_NE(spm, nullptr);
  EXPECT_TRUE(spm->add_bos());
  EXPECT_FALSE(spm->add_eos());
  EXPECT_EQ(tok->encode("hello").front(), 1);
  EXPECT_EQ(tok->decode(tok->encode("hello"), true), "hello");
}

TEST(TokenizerFactory, PicksSentencepieceForRealLlama2) {
  const fs::path model = llama2_model();
  if (model.empty()) GTEST_SKIP() << "../shared/assets is absent: no llama2 tokenizer.model";
  TempDir dir;
  fs::create_symlink(model, dir.path() / "tokenizer.model");
  write_text(dir.path() / "tokenizer_config.json",
             R"({"tokenizer_class": "LlamaTokenizer", "add_bos_token": true, "add_eos_token": false})");
  auto tok = rewardkit::load_tokenizer(dir.path().string());
  ASSERT_NE(dynamic_cast<rewardkit::tokenize::SentencepieceTokenizer*>(tok.get()), nullptr);
  EXPECT_EQ(tok->encode("I believe the meaning of life is"),
            (std::vector<int32_t>{1, 306, 4658, 278, 6593, 310, 2834, 338}));
}

TEST(TokenizerFactory, EmptyDirectoryIsAnError) {
  TempDir dir;
  const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(dir.path().string()), std::string::npos) << what;
  EXPECT_NE(what.find("tokenizer.model"), std::string::npos) << what;
  EXPECT_NE(what.find("tokenizer.json"), std::string::npos) << what;
}

TEST(TokenizerFactory, MissingDirectoryIsAnError) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope").string();
  const std::string what = message_of([&] { rewardkit::load_tokenizer(missing); });
  EXPECT_NE(what.find(missing), std::string::npos) << what;
}

TEST(TokenizerFactory, TokenizerJsonWithoutAModelIsAnError) {
  TempDir dir;
  write_text(dir.path() / "tokenizer.json", "{}");
  const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find((dir.path() / "tokenizer.json").string() + ": model"), std::string::npos) << what;
}

// The tiny model's tokenizer.json, as tools/make_tokenizer_fixtures.py wrote it.
json tiny_tokenizer_json() {
  std::ifstream in(rewardkit::testing::fixtures_dir() / "tokenizers" / "sentencepiece_expected.json");
  return json::parse(in)["json_variants"]["tiny_bpe_json"]["files"]["tokenizer.json"];
}

// As in transformers: a tokenizer.json is used when present, the tokenizer.model beside it is not.
// (test_sentencepiece's TokenizerJsonBesideTheModel checks the ids against HF.)
TEST(TokenizerFactory, TokenizerJsonWinsOverTokenizerModel) {
  TempDir dir;
  write_text(dir.path() / "tokenizer.json", tiny_tokenizer_json().dump());
  // LlamaTokenizer replaces the file's Precompiled normalizer, which rewardkit does not implement.
  write_text(dir.path() / "tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer"})");
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  auto tok = rewardkit::load_tokenizer(dir.path().string());
  EXPECT_EQ(dynamic_cast<rewardkit::tokenize::SentencepieceTokenizer*>(tok.get()), nullptr);
  write_text(dir.path() / "tokenizer.json", "{not json");
  const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
}

TEST(TokenizerFactory, OtherTokenizerClassesAreRefused) {
  TempDir dir;
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  const fs::path config = dir.path() / "tokenizer_config.json";
  write_text(config, R"({"tokenizer_class": "GemmaTokenizer"})");
  const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find("GemmaTokenizer"), std::string::npos) << what;
  EXPECT_NE(what.find(config.string()), std::string::npos) << what;
  for (const char* ok : {"LlamaTokenizer", "LlamaTokenizerFast"}) {
    write_text(config, json{{"tokenizer_class", ok}}.dump());
    EXPECT_NO_THROW(rewardkit::load_tokenizer(dir.path().string())) << ok;
  }
}

TEST(TokenizerFactory, RegisteredLoaderTakesPrecedence) {
  rewardkit::register_tokenizer_loader(marker_loader("precedence.marker", 7));
  rewardkit::register_tokenizer_loader(marker_loader("precedence.marker", 8));  // later: never reached
  TempDir mine;
  fs::create_symlink(tiny_model(), mine.path() / "tokenizer.model");
  write_text(mine.path() / "precedence.marker", "");
  auto tok = rewardkit::load_tokenizer(mine.path().string());
  ASSERT_NE(dynamic_cast<FakeTokenizer*>(tok.get()), nullptr);
  EXPECT_EQ(tok->encode("x", true), std::vector<int32_t>{7});

  // A loader returning nullptr passes the directory on.
  TempDir other;
  fs::create_symlink(tiny_model(), other.path() / "tokenizer.model");
  auto spm = rewardkit::load_tokenizer(other.path().string());
  EXPECT_NE(dynamic_cast<rewardkit::tokenize::SentencepieceTokenizer*>(spm.get()), nullptr);

  // Even a directory without any tokenizer file is the loader's to take.
  TempDir bare;
  write_text(bare.path() / "precedence.marker", "");
  EXPECT_NE(dynamic_cast<FakeTokenizer*>(rewardkit::load_tokenizer(bare.path().string()).get()), nullptr);
}

TEST(TokenizerFactory, EmptyLoaderIsRejected) {
  EXPECT_THROW(rewardkit::register_tokenizer_loader(rewardkit::TokenizerLoader()), rewardkit::Error);
}

TEST(TokenizerFactory, RegistrationIsThreadSafe) {
  TempDir dir;
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  std::atomic<int> loaded{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 25; ++i) {
        rewardkit::register_tokenizer_loader(marker_loader("thread-" + std::to_string(k) + "-" + std::to_string(i), k));
        if (i % 5 == 0 && rewardkit::load_tokenizer(dir.path().string())) ++loaded;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loaded.load(), 20);
  write_text(dir.path() / "thread-3-24.marker", "");  // not a marker name: still sentencepiece
  write_text(dir.path() / "thread-2-24", "");
  EXPECT_EQ(rewardkit::load_tokenizer(dir.path().string())->encode("x", true), std::vector<int32_t>{2});
}

TEST(TokenizerFactory, MalformedTokenizerConfigNamesTheFile) {
  TempDir dir;
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  const fs::path config = dir.path() / "tokenizer_config.json";
  write_text(config, R"({"add_bos_token": true,)");
  std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(config.string()), std::string::npos) << what;
  EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;

  write_text(config, R"({"add_bos_token": "yes"})");
  what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(config.string()), std::string::npos) << what;
  EXPECT_NE(what.find("add_bos_token"), std::string::npos) << what;

  write_text(config, R"(["not", "an", "object"])");
  what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(config.string()), std::string::npos) << what;

  write_text(config, R"({"added_tokens_decoder": {"x": {"content": "<a>"}}})");
  what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(config.string()), std::string::npos) << what;
}

TEST(TokenizerFactory, MalformedSpecialTokensMapNamesTheFile) {
  TempDir dir;
  fs::create_symlink(tiny_model(), dir.path() / "tokenizer.model");
  const fs::path map = dir.path() / "special_tokens_map.json";
  write_text(map, "{bos_token: <s>}");
  const std::string what = message_of([&] { rewardkit::load_tokenizer(dir.path().string()); });
  EXPECT_NE(what.find(map.string()), std::string::npos) << what;
}

// ---- read_tokenizer_config ---------------------------------------------------------------------

using rewardkit::tokenize::read_tokenizer_config;

TEST(TokenizerFactoryConfig, AbsentFilesGiveDefaults) {
  TempDir dir;
  auto c = read_tokenizer_config(dir.path().string());
  EXPECT_TRUE(c.config_path.empty());
  EXPECT_FALSE(c.add_bos_token.has_value());
  EXPECT_FALSE(c.add_eos_token.has_value());
  EXPECT_TRUE(c.special_tokens.empty());
  EXPECT_TRUE(c.raw.is_object());
}

TEST(TokenizerFactoryConfig, ReadsFieldsAndTokens) {
  TempDir dir;
  write_text(dir.path() / "tokenizer_config.json", R"({
    "tokenizer_class": "LlamaTokenizer", "add_bos_token": true, "add_eos_token": false, "legacy": true,
    "model_max_length": 1000000000000000019884624838656,
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false},
    "eos_token": "</s>", "pad_token": null,
    "added_tokens_decoder": {
      "32001": {"content": "<b>", "special": false, "lstrip": true},
      "32000": {"content": "<a>", "special": true}
    },
    "extra_special_tokens": ["<x>"],
    "chat_template": "{{ messages }}"
  })");
  write_text(dir.path() / "special_tokens_map.json", R"({"eos_token": "<ignored because of added_tokens_decoder>"})");
  auto c = read_tokenizer_config(dir.path().string());
  EXPECT_EQ(c.tokenizer_class, "LlamaTokenizer");
  EXPECT_EQ(c.add_bos_token, true);
  EXPECT_EQ(c.add_eos_token, false);
  EXPECT_EQ(c.legacy, true);
  EXPECT_EQ(c.model_max_length, INT64_MAX);
  ASSERT_NE(c.special_token("bos_token"), nullptr);
  EXPECT_EQ(c.special_token("bos_token")->content, "<s>");
  EXPECT_EQ(c.special_token("eos_token")->content, "</s>");
  EXPECT_TRUE(c.has_special_token_key("pad_token"));
  EXPECT_EQ(c.special_token("pad_token"), nullptr);
  EXPECT_FALSE(c.has_special_token_key("unk_token"));
  ASSERT_EQ(c.added_tokens_decoder.size(), 2u);
  EXPECT_EQ(c.added_tokens_decoder[0].first, 32000);
  EXPECT_EQ(c.added_tokens_decoder[0].second.content, "<a>");
  EXPECT_TRUE(c.added_tokens_decoder[0].second.special);
  EXPECT_FALSE(c.added_tokens_decoder[0].second.normalized);
  EXPECT_FALSE(c.added_tokens_decoder[1].second.special);
  EXPECT_TRUE(c.added_tokens_decoder[1].second.lstrip);
  EXPECT_TRUE(c.added_tokens_decoder[1].second.normalized);  // HF: normalized defaults to !special
  ASSERT_EQ(c.extra_special_tokens.size(), 1u);
  EXPECT_EQ(c.extra_special_tokens[0].content, "<x>");
  EXPECT_EQ(c.raw["chat_template"], "{{ messages }}");
  EXPECT_TRUE(c.special_tokens_map_path.empty());
}

TEST(TokenizerFactoryConfig, SpecialTokensMapOverridesWithoutAddedTokensDecoder) {
  TempDir dir;
  write_text(dir.path() / "tokenizer_config.json", R"({"eos_token": "</s>", "pad_token": "<pad>"})");
  write_text(dir.path() / "special_tokens_map.json",
             R"({"eos_token": {"content": "<eot>", "lstrip": false, "normalized": false, "rstrip": true}, "pad_token": "<unk>"})");
  auto c = read_tokenizer_config(dir.path().string());
  EXPECT_EQ(c.special_tokens_map_path, (dir.path() / "special_tokens_map.json").string());
  ASSERT_NE(c.special_token("eos_token"), nullptr);
  EXPECT_EQ(c.special_token("eos_token")->content, "<eot>");
  EXPECT_TRUE(c.special_token("eos_token")->rstrip);
  EXPECT_TRUE(c.special_token("eos_token")->special);
  EXPECT_EQ(c.special_token("pad_token")->content, "<unk>");
}

}  // namespace
