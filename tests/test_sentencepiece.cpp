// Sentencepiece tokenizers against Hugging Face transformers (fixtures written by
// tools/make_tokenizer_fixtures.py), the shim module, and the protobuf clash with libtorch.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "rewardkit/error.hpp"
#include "rewardkit/tokenizer.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"
#include "test_support.hpp"
#include "tokenize/sentencepiece_tokenizer.hpp"
#include "tokenize/tokenizer_config.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using rewardkit::testing::TempDir;
using rewardkit::testing::write_text;
using rewardkit::tokenize::SentencepieceModel;
using rewardkit::tokenize::SentencepieceTokenizer;

const json& fixture() {
  static const json j = [] {
    fs::path p = rewardkit::testing::fixtures_dir() / "tokenizers" / "sentencepiece_expected.json";
    std::ifstream in(p);
    if (!in) throw std::runtime_error("missing fixture " + p.string());
    return json::parse(in);
  }();
  return j;
}

// Where a fixture model's tokenizer.model is: inside tests/fixtures ("fixture:...") or in the
// shared assets. Empty when the assets are absent.
fs::path model_file(const std::string& name) {
  const std::string asset = fixture()["models"][name]["asset"].get<std::string>();
  const std::string prefix = "fixture:";
  if (asset.rfind(prefix, 0) == 0) return rewardkit::testing::fixtures_dir() / asset.substr(prefix.size());
  fs::path assets = rewardkit::testing::shared_assets_dir();
  if (assets.empty() || !fs::is_regular_file(assets / asset)) return {};
  return assets / asset;
}

// A checkpoint directory: the model symlinked (assets are never copied) plus config files.
struct ModelDir {
  TempDir tmp;
  ModelDir(const fs::path& model, const json& files) {
    fs::create_symlink(model, tmp.path() / "tokenizer.model");
    for (auto it = files.begin(); it != files.end(); ++it) write_text(tmp.path() / it.key(), it.value().dump(1));
  }
  std::string path() const { return tmp.path().string(); }
};

std::unique_ptr<rewardkit::Tokenizer> load_fixture_model(const std::string& name, const fs::path& file) {
  ModelDir dir(file, json{{"tokenizer_config.json", fixture()["models"][name]["tokenizer_config"]}});
  return rewardkit::load_tokenizer(dir.path());
}

std::vector<int32_t> ids_of(const json& j) { return j.get<std::vector<int32_t>>(); }

std::string show(const std::string& s) { return json(s).dump(); }

void expect_cases(const rewardkit::Tokenizer& tok, const json& cases, const std::string& label) {
  for (const json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE(label + " text " + show(text));
    EXPECT_EQ(tok.encode(text, true), ids_of(c["ids"]));
    EXPECT_EQ(tok.encode(text, false), ids_of(c["ids_no_special"]));
    EXPECT_EQ(tok.decode(ids_of(c["ids"])), c["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(ids_of(c["ids"]), true), c["decoded_skip_special"].get<std::string>());
    EXPECT_EQ(tok.decode(ids_of(c["ids_no_special"])), c["decoded_no_special"].get<std::string>());
  }
}

void expect_decode_cases(const rewardkit::Tokenizer& tok, const json& cases, const std::string& label) {
  for (const json& c : cases) {
    SCOPED_TRACE(label + " ids " + c["ids"].dump());
    EXPECT_EQ(tok.decode(ids_of(c["ids"])), c["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(ids_of(c["ids"]), true), c["decoded_skip_special"].get<std::string>());
  }
}

std::optional<int32_t> opt_id(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<int32_t>();
}

// ---- every fixture model ------------------------------------------------------------------------

class SentencepieceHf : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencepieceHf, MatchesHuggingFaceOnEveryFixtureCase) {
  const std::string name = GetParam();
  const fs::path file = model_file(name);
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no " << name << " tokenizer.model";
  const json& m = fixture()["models"][name];
  auto tok = load_fixture_model(name, file);
  EXPECT_EQ(tok->vocab_size(), m["vocab_size"].get<int64_t>());
  EXPECT_EQ(tok->bos_id(), opt_id(m["bos_id"]));
  EXPECT_EQ(tok->eos_id(), opt_id(m["eos_id"]));
  EXPECT_EQ(tok->pad_id(), opt_id(m["pad_id"]));
  for (auto it = m["sample_tokens"].begin(); it != m["sample_tokens"].end(); ++it) {
    EXPECT_EQ(tok->id_to_token(std::stoi(it.key())), it.value().get<std::string>());
  }
  expect_cases(*tok, m["cases"], name);
  expect_decode_cases(*tok, m["decode_cases"], name);
}

// The shim in native mode is plain sentencepiece: Debian's libsentencepiece 0.1.97 gives what
// the Python package gives (also where HF differs).
TEST_P(SentencepieceHf, NativeModeMatchesPythonSentencepiece) {
  const std::string name = GetParam();
  const fs::path file = model_file(name);
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no " << name << " tokenizer.model";
  SentencepieceModel native(file.string(), SentencepieceModel::Mode::native);
  EXPECT_EQ(native.piece_size(), fixture()["models"][name]["piece_size"].get<int32_t>());
  for (const json& c : fixture()["models"][name]["cases"]) {
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE(name + " text " + show(text));
    EXPECT_EQ(native.encode(text), ids_of(c["sp_native_ids"]));
  }
}

TEST_P(SentencepieceHf, EveryIdRoundTrips) {
  const std::string name = GetParam();
  const fs::path file = model_file(name);
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no " << name << " tokenizer.model";
  auto tok = load_fixture_model(name, file);
  for (int32_t id = 0; id < tok->vocab_size(); ++id) {
    const std::string piece = tok->id_to_token(id);
    ASSERT_EQ(tok->token_to_id(piece), id) << "piece " << show(piece);
  }
  EXPECT_THROW(tok->id_to_token(-1), rewardkit::Error);
  EXPECT_THROW(tok->id_to_token(static_cast<int32_t>(tok->vocab_size())), rewardkit::Error);
  EXPECT_EQ(tok->token_to_id("definitely not a piece"), std::nullopt);
}

std::vector<std::string> fixture_model_names() {
  std::vector<std::string> names;
  for (auto it = fixture()["models"].begin(); it != fixture()["models"].end(); ++it) names.push_back(it.key());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, SentencepieceHf, ::testing::ValuesIn(fixture_model_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& c : s) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

// ---- config variants of the Llama 2 checkpoint ------------------------------------------------

TEST(SentencepieceVariants, ConfigFilesAreReadLikeHuggingFace) {
  const fs::path file = model_file("llama2");
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no llama2 tokenizer.model";
  for (auto it = fixture()["variants"].begin(); it != fixture()["variants"].end(); ++it) {
    const std::string name = it.key();
    const json& v = it.value();
    SCOPED_TRACE("variant " + name);
    ModelDir dir(file, v["files"]);
    auto tok = rewardkit::load_tokenizer(dir.path());
    EXPECT_EQ(tok->vocab_size(), v["vocab_size"].get<int64_t>());
    EXPECT_EQ(tok->bos_id(), opt_id(v["bos_id"]));
    EXPECT_EQ(tok->eos_id(), opt_id(v["eos_id"]));
    EXPECT_EQ(tok->pad_id(), opt_id(v["pad_id"]));
    for (auto a = v["added_tokens"].begin(); a != v["added_tokens"].end(); ++a) {
      EXPECT_EQ(tok->id_to_token(std::stoi(a.key())), a.value().get<std::string>());
      EXPECT_EQ(tok->token_to_id(a.value().get<std::string>()), std::stoi(a.key()));
    }
    expect_cases(*tok, v["cases"], name);
    expect_decode_cases(*tok, v["decode_cases"], name);
  }
}

// tokenizer.json beside tokenizer.model: HF takes the merge order, post-processor and added
// tokens from it (our own tiny model, with deliberately reordered merges).
TEST(SentencepieceVariants, TokenizerJsonBesideTheModel) {
  for (auto it = fixture()["json_variants"].begin(); it != fixture()["json_variants"].end(); ++it) {
    const std::string name = it.key();
    const json& v = it.value();
    SCOPED_TRACE("json variant " + name);
    const fs::path file = model_file(v["model"].get<std::string>());
    if (file.empty()) continue;
    ModelDir dir(file, v["files"]);
    auto tok = rewardkit::load_tokenizer(dir.path());
    EXPECT_EQ(tok->vocab_size(), v["vocab_size"].get<int64_t>());
    EXPECT_EQ(tok->bos_id(), opt_id(v["bos_id"]));
    EXPECT_EQ(tok->eos_id(), opt_id(v["eos_id"]));
    EXPECT_EQ(tok->pad_id(), opt_id(v["pad_id"]));
    expect_cases(*tok, v["cases"], name);
    expect_decode_cases(*tok, v["decode_cases"], name);
  }
}

// ---- known facts ------------------------------------------------------------------------------------

TEST(SentencepieceLlama2, KnownEncoding) {
  const fs::path file = model_file("llama2");
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no llama2 tokenizer.model";
  auto tok = load_fixture_model("llama2", file);
  EXPECT_EQ(tok->encode("I believe the meaning of life is"),
            (std::vector<int32_t>{1, 306, 4658, 278, 6593, 310, 2834, 338}));
  EXPECT_EQ(tok->decode({1, 306, 4658, 278, 6593, 310, 2834, 338}, true), "I believe the meaning of life is");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->pad_id(), std::nullopt);
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->id_to_token(29871), "\xE2\x96\x81");
  EXPECT_EQ(tok->token_to_id("<0x0A>"), 13);
}

// transformers 5.24: no add_bos_token key means no BOS (see sentencepiece_tokenizer.hpp).
TEST(SentencepieceLlama2, NoAddBosKeyMeansNoBos) {
  const fs::path file = model_file("llama2");
  if (file.empty()) GTEST_SKIP() << "../shared/assets is absent: no llama2 tokenizer.model";
  ModelDir dir(file, json{{"tokenizer_config.json", json{{"tokenizer_class", "LlamaTokenizer"}}}});
  auto tok = rewardkit::load_tokenizer(dir.path());
  EXPECT_EQ(tok->encode("I believe"), (std::vector<int32_t>{306, 4658}));
  EXPECT_EQ(tok->bos_id(), 1);
}

// ---- errors --------------------------------------------------------------------------------------

TEST(SentencepieceErrors, OutOfRangeIds) {
  const fs::path file = model_file("tiny_bpe");
  auto tok = load_fixture_model("tiny_bpe", file);
  const int32_t n = static_cast<int32_t>(tok->vocab_size());
  EXPECT_THROW(tok->id_to_token(n), rewardkit::Error);
  EXPECT_THROW(tok->id_to_token(-5), rewardkit::Error);
  try {
    tok->id_to_token(n + 100);
    FAIL() << "no error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(n + 100)), std::string::npos) << e.what();
  }
  // decode follows HF: ids past the vocabulary are dropped, negative ids are an error.
  std::vector<int32_t> hello = tok->encode("hello", false);
  std::vector<int32_t> with_bad = hello;
  with_bad.push_back(n + 7);
  EXPECT_EQ(tok->decode(with_bad), tok->decode(hello));
  EXPECT_THROW(tok->decode({-1}), rewardkit::Error);
  // The shim's own decoder refuses out-of-range ids instead of crashing.
  SentencepieceModel native(file.string(), SentencepieceModel::Mode::native);
  EXPECT_THROW(native.decode({n + 1}), rewardkit::Error);
  EXPECT_THROW(native.id_to_piece(n), rewardkit::Error);
  EXPECT_EQ(native.piece_to_id("definitely not a piece"), std::nullopt);
}

TEST(SentencepieceErrors, MissingModelFile) {
  TempDir tmp;
  const std::string path = (tmp.path() / "tokenizer.model").string();
  try {
    SentencepieceModel m(path, SentencepieceModel::Mode::hf_bpe);
    FAIL() << "no error";
  } catch (const rewardkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(SentencepieceErrors, CorruptModelFile) {
  TempDir tmp;
  const fs::path path = tmp.path() / "tokenizer.model";
  const std::vector<std::string> garbage = {
      std::string("this is not a sentencepiece model\n", 34),
      std::string("\x0a\xff\xff\xff\xff\x0f", 6),  // a field claiming 4 GiB
      std::string("\x0a\x03\x0a\x01", 4),          // truncated piece
      std::string(),                               // empty
      std::string("\x12\x00", 2),                  // a valid proto without pieces
  };
  for (const std::string& bytes : garbage) {
    SCOPED_TRACE("garbage " + json(json::binary_t(std::vector<uint8_t>(bytes.begin(), bytes.end()))).dump());
    write_text(path, bytes);
    for (auto mode : {SentencepieceModel::Mode::hf_bpe, SentencepieceModel::Mode::native}) {
      try {
        SentencepieceModel m(path.string(), mode);
        ADD_FAILURE() << "no error";
      } catch (const rewardkit::Error& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      }
    }
    try {
      rewardkit::load_tokenizer(tmp.path().string());
      ADD_FAILURE() << "no error";
    } catch (const rewardkit::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
}

// ---- input that HF cannot even receive ----------------------------------------------------------

TEST(SentencepieceUtf8, SanitizeReplacesEachBadByte) {
  using rewardkit::tokenize::sanitize_utf8;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(sanitize_utf8("plain ascii"), "plain ascii");
  EXPECT_EQ(sanitize_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(sanitize_utf8("a\xFF" "b"), "a" + fffd + "b");
  EXPECT_EQ(sanitize_utf8("\xC3"), fffd);                       // truncated
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), fffd + fffd);            // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), fffd + fffd + fffd); // surrogate
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

// Invalid UTF-8 does not crash: every byte that is not part of a valid sequence is tokenized
// as U+FFFD (HF never sees such input: Python strings are Unicode).
TEST(SentencepieceUtf8, InvalidInputIsTokenizedAsReplacementCharacters) {
  const fs::path file = model_file("tiny_bpe");
  auto tok = load_fixture_model("tiny_bpe", file);
  const std::string bad = "abc\xFF\xFE def\xC3 \xE2\x82 end\x80";
  const std::string fixed = rewardkit::tokenize::sanitize_utf8(bad);
  EXPECT_EQ(tok->encode(bad), tok->encode(fixed));
  EXPECT_FALSE(tok->encode(bad).empty());
  EXPECT_NO_THROW(tok->decode(tok->encode(bad)));
  EXPECT_EQ(tok->decode(tok->encode(fixed), true), fixed);
  // Random bytes, NUL included.
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
  EXPECT_NO_THROW(tok->decode(tok->encode(noise)));
}

TEST(SentencepieceThreads, ConcurrentEncodeAgrees) {
  const fs::path file = model_file("tiny_bpe");
  auto tok = load_fixture_model("tiny_bpe", file);
  std::vector<std::string> texts;
  for (const json& c : fixture()["models"]["tiny_bpe"]["cases"]) texts.push_back(c["text"].get<std::string>());
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(tok->encode(t));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tok->encode(texts[i]) != expected[i]) ++failures[k];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---- the module and libtorch ------------------------------------------------------------------

// DESIGN 3.4: libsentencepiece's embedded protobuf kills a libtorch process unless the shim is
// loaded with RTLD_DEEPBIND. This binary links libtorch; load and use both.
TEST(SentencepieceModule, TorchWorksInTheSameProcess) {
  at::Tensor before = at::ones({2});
  EXPECT_EQ(before.sum().item<float>(), 2.0f);
  const std::string module = rewardkit::tokenize::sentencepiece_module_path();
  EXPECT_TRUE(fs::is_regular_file(module)) << module;
  auto tok = load_fixture_model("tiny_bpe", model_file("tiny_bpe"));
  std::vector<int32_t> ids = tok->encode("hello world");
  at::Tensor t = at::ones({2});
  EXPECT_EQ(t.sum().item<float>(), 2.0f);
  at::Tensor as_tensor = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()));
  EXPECT_EQ(as_tensor.numel(), static_cast<int64_t>(ids.size()));
  const fs::path llama = model_file("llama2");
  if (!llama.empty()) {
    auto l = load_fixture_model("llama2", llama);
    EXPECT_EQ(l->encode("I believe the meaning of life is").size(), 8u);
    EXPECT_EQ((at::ones({2}) * 3).sum().item<float>(), 6.0f);
  }
}

TEST(SentencepieceModule, FoundNextToTheLibrary) {
  if (std::getenv("REWARDKIT_SENTENCEPIECE_MODULE")) GTEST_SKIP() << "REWARDKIT_SENTENCEPIECE_MODULE is set";
  std::vector<std::string> candidates = rewardkit::tokenize::sentencepiece_module_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(fs::path(candidates.front()).filename(), "librewardkit_sentencepiece.so");
  EXPECT_EQ(fs::canonical(rewardkit::tokenize::sentencepiece_module_path()), fs::canonical(candidates.front()));
}

TEST(SentencepieceModule, EnvironmentVariableOverrides) {
  const char* old = std::getenv("REWARDKIT_SENTENCEPIECE_MODULE");
  std::string saved = old ? old : "";
  setenv("REWARDKIT_SENTENCEPIECE_MODULE", "/nowhere/librewardkit_sentencepiece.so", 1);
  std::vector<std::string> candidates = rewardkit::tokenize::sentencepiece_module_candidates();
  if (old) {
    setenv("REWARDKIT_SENTENCEPIECE_MODULE", saved.c_str(), 1);
  } else {
    unsetenv("REWARDKIT_SENTENCEPIECE_MODULE");
  }
  EXPECT_EQ(candidates, std::vector<std::string>{"/nowhere/librewardkit_sentencepiece.so"});
}

TEST(SentencepieceModule, MissingModuleNamesThePathsTried) {
  TempDir tmp;
  const fs::path fake = tmp.path() / "librewardkit_sentencepiece.so";
  write_text(fake, "not an ELF file");
  const std::string absent = (tmp.path() / "absent" / "librewardkit_sentencepiece.so").string();
  try {
    rewardkit::tokenize::probe_sentencepiece_module({absent, fake.string()});
    FAIL() << "no error";
  } catch (const rewardkit::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(absent), std::string::npos) << what;
    EXPECT_NE(what.find("not found"), std::string::npos) << what;
    EXPECT_NE(what.find(fake.string()), std::string::npos) << what;
    EXPECT_NE(what.find("dlopen failed"), std::string::npos) << what;
    EXPECT_NE(what.find("REWARDKIT_SENTENCEPIECE_MODULE"), std::string::npos) << what;
  }
  // The real one probes fine.
  const std::string real = rewardkit::tokenize::sentencepiece_module_path();
  EXPECT_EQ(rewardkit::tokenize::probe_sentencepiece_module({absent, real}), real);
}

}  // namespace

// A model whose normalizer charsmap is corrupt (the input fuzz_sentencepiece_model found, which
// crashed libsentencepiece's normalizer) is refused at load, in sentencepiece's own mode.
TEST(SentencepieceModelFile, CorruptCharsmapIsRefusedNotRun) {
  const fs::path file =
      rewardkit::testing::fixtures_dir() / ".." / "fuzz" / "regressions" / "fuzz_sentencepiece_model" / "corrupt-charsmap";
  const std::string what = rewardkit::testing::message_of([&] {
    rewardkit::tokenize::SentencepieceModel m(file.string(), rewardkit::tokenize::SentencepieceModel::Mode::native);
    (void)m.encode("Hello world");
  });
  EXPECT_NE(what.find("precompiled_charsmap is corrupt"), std::string::npos) << what;
}
