// The safetensors reader: correct values, and a clear error naming file and tensor for every
// kind of malformed file, without crashes or huge allocations.
#include <gtest/gtest.h>

#include "io/safetensors.hpp"
#include "rewardkit/error.hpp"
#include "test_support.hpp"

using namespace rewardkit;
using namespace rewardkit::testing;

namespace {

// Expects construction of a SafetensorsFile on `p` to fail with a message containing each of
// `parts`.
void expect_open_error(const fs::path& p, std::initializer_list<std::string> parts) {
  try {
    io::SafetensorsFile f(p.string());
    FAIL() << "expected an error opening " << p;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p.string()), std::string::npos) << "error does not name the file: " << msg;
    for (const std::string& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float));
}

}  // namespace

TEST(Safetensors, ReadsValuesAndMetadata) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  at::Tensor a = at::arange(6, at::kFloat).view({2, 3});
  at::Tensor b = at::tensor({-1.5f, 2.25f});
  write_safetensors(p, {{"a", a}, {"b", b}});
  io::SafetensorsFile f(p.string());
  ASSERT_TRUE(f.contains("a"));
  EXPECT_EQ(f.entry("a").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(at::equal(f.tensor("a"), a));
  EXPECT_TRUE(at::equal(f.tensor("b"), b));
}

TEST(Safetensors, ReadsHalfAndBFloat16) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  at::Tensor h = at::tensor({1.0f, -2.5f, 0.125f}).to(at::kHalf);
  at::Tensor bf = at::tensor({3.0f, -0.5f}).to(at::kBFloat16);
  std::string data(static_cast<const char*>(h.data_ptr()), 6);
  data.append(static_cast<const char*>(bf.data_ptr()), 4);
  nlohmann::json header = {{"h", {{"dtype", "F16"}, {"shape", {3}}, {"data_offsets", {0, 6}}}},
                           {"bf", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {6, 10}}}},
                           {"__metadata__", {{"format", "pt"}}}};
  write_safetensors_raw(p, header.dump(), data);
  io::SafetensorsFile f(p.string());
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.tensor("h").scalar_type(), at::kHalf);
  EXPECT_TRUE(at::equal(f.tensor("h"), h));
  EXPECT_TRUE(at::equal(f.tensor("bf"), bf));
}

TEST(Safetensors, TensorOutlivesTheFileObject) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors(p, {{"a", at::ones({4})}});
  at::Tensor t;
  {
    io::SafetensorsFile f(p.string());
    t = f.tensor("a");
  }
  EXPECT_FLOAT_EQ(t.sum().item<float>(), 4.0f);
}

TEST(Safetensors, ShorterThanHeaderLength) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_text(p, "abc");
  expect_open_error(p, {"shorter than the 8-byte header length"});
}

TEST(Safetensors, HeaderLengthPastEndOfFile) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, "{}", "", 1000);
  expect_open_error(p, {"header length 1000", "truncated"});
}

TEST(Safetensors, HeaderLengthOverLimitIsRefusedWithoutAllocating) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, "{}", "", uint64_t{1} << 62);
  expect_open_error(p, {"exceeds the limit"});
  write_safetensors_raw(p, "{}", "", io::SafetensorsFile::kMaxHeaderBytes + 1);
  expect_open_error(p, {"exceeds the limit"});
}

TEST(Safetensors, HeaderNotJson) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, "{\"a\": [", "");
  expect_open_error(p, {"not valid JSON"});
  write_safetensors_raw(p, "[1, 2]", "");
  expect_open_error(p, {"not a JSON object"});
}

TEST(Safetensors, UnknownDtypeNamesTensor) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, R"({"w": {"dtype": "F31", "shape": [1], "data_offsets": [0, 4]}})", floats({1}));
  expect_open_error(p, {"\"w\"", "unknown dtype \"F31\""});
}

TEST(Safetensors, ShapeDisagreesWithByteRange) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})",
                        floats({1, 2, 3}));
  expect_open_error(p, {"\"w\"", "needs 16 bytes", "hold 12"});
}

TEST(Safetensors, OffsetsOutOfRange) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", floats({1, 2}));
  expect_open_error(p, {"\"w\"", "run past the end"});
  write_safetensors_raw(p, R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", floats({1, 2}));
  expect_open_error(p, {"\"w\"", "end before they begin"});
}

TEST(Safetensors, OverlappingTensors) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p,
                        R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                        floats({1, 2, 3}));
  expect_open_error(p, {"\"a\"", "\"b\"", "overlap"});
}

TEST(Safetensors, HugeShapeDoesNotOverflow) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(
      p, R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 0]}})", "");
  expect_open_error(p, {"\"w\"", "overflows"});
}

TEST(Safetensors, MalformedEntries) {
  TempDir dir;
  const fs::path p = dir.path() / "model.safetensors";
  write_safetensors_raw(p, R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", floats({1}));
  expect_open_error(p, {"\"w\"", "non-negative"});
  write_safetensors_raw(p, R"({"w": {"dtype": "F32", "shape": [1]}})", floats({1}));
  expect_open_error(p, {"\"w\"", "data_offsets"});
  write_safetensors_raw(p, R"({"w": 5})", floats({1}));
  expect_open_error(p, {"\"w\"", "not an object"});
}

TEST(Safetensors, EveryTruncationOfAValidFileIsAnError) {
  TempDir dir;
  const fs::path good = dir.path() / "good.safetensors";
  write_safetensors(good, {{"a", at::arange(5, at::kFloat)}, {"b", at::ones({3})}});
  const std::string bytes = read_text(good);
  const fs::path p = dir.path() / "cut.safetensors";
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_text(p, bytes.substr(0, n));
    EXPECT_THROW(io::SafetensorsFile f(p.string()), Error) << "truncated to " << n << " of " << bytes.size();
  }
}

TEST(Checkpoint, ShardedIndexChecksItsClaims) {
  TempDir dir;
  write_safetensors(dir.path() / "part-1.safetensors", {{"a", at::ones({2})}});
  write_safetensors(dir.path() / "part-2.safetensors", {{"b", at::zeros({3})}});
  write_text(dir.path() / "model.safetensors.index.json",
             R"({"metadata": {}, "weight_map": {"a": "part-1.safetensors", "b": "part-2.safetensors"}})");
  io::Checkpoint ck(dir.path().string());
  EXPECT_EQ(ck.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ck.tensor("b").numel(), 3);
  EXPECT_NE(ck.file_of("b").find("part-2"), std::string::npos);

  write_text(dir.path() / "model.safetensors.index.json",
             R"({"weight_map": {"a": "part-2.safetensors"}})");
  try {
    io::Checkpoint bad(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"a\""), std::string::npos) << e.what();
  }
  write_text(dir.path() / "model.safetensors.index.json", R"({"weight_map": {"a": "../x.safetensors"}})");
  EXPECT_THROW(io::Checkpoint bad(dir.path().string()), Error);
  write_text(dir.path() / "model.safetensors.index.json", R"({"weight_map": {"a": "missing.safetensors"}})");
  EXPECT_THROW(io::Checkpoint bad(dir.path().string()), Error);
}

TEST(Checkpoint, DirectoryWithoutWeights) {
  TempDir dir;
  try {
    io::Checkpoint ck(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}
