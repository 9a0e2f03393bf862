// librewardkit_sentencepiece.so: every call into libsentencepiece, behind the C interface of
// sentencepiece_shim.h (see there and DESIGN 3.4 for why). Nothing in here may throw across the
// boundary: each exported function catches everything.
//
// The model file is read and walked here with a tiny protobuf wire-format reader (no protobuf
// headers: libsentencepiece embeds its own protobuf, and the system's headers are a different
// version). The walk gives the piece types sentencepiece 0.1.97 does not expose
// (user-defined) and lets HF_BPE mode rewrite the proto before it is loaded.
#include "tokenize/sentencepiece_shim.h"

#include <sentencepiece_processor.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

void set_error(char* err, size_t cap, std::string_view message) {
  if (err == nullptr || cap == 0) return;
  size_t n = message.size() < cap - 1 ? message.size() : cap - 1;
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

// ---- protobuf wire format -------------------------------------------------------------------

struct WireError {
  std::string what;
};

class WireReader {
 public:
  WireReader(std::string_view data, size_t base) : data_(data), base_(base) {}
  bool done() const { return pos_ >= data_.size(); }
  size_t offset() const { return base_ + pos_; }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail("truncated varint");
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail("varint longer than 10 bytes");
    return 0;
  }

  // One field: its number, wire type, the payload (for length-delimited: the bytes inside; for
  // fixed32/64: the raw bytes; for varint: empty, value in `number_value`) and the whole field's
  // bytes including the key.
  struct Field {
    uint32_t number = 0;
    int wire_type = 0;
    uint64_t number_value = 0;
    std::string_view payload;
    std::string_view whole;
    size_t payload_offset = 0;
  };

  Field next() {
    Field f;
    size_t start = pos_;
    uint64_t key = varint();
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire_type = static_cast<int>(key & 7);
    if (f.number == 0) fail("field number 0");
    switch (f.wire_type) {
      case 0:
        f.number_value = varint();
        break;
      case 1:
        f.payload_offset = base_ + pos_;
        f.payload = take(8);
        break;
      case 2: {
        uint64_t len = varint();
        if (len > data_.size() - pos_) fail("length-delimited field runs past the end");
        f.payload_offset = base_ + pos_;
        f.payload = take(static_cast<size_t>(len));
        break;
      }
      case 5:
        f.payload_offset = base_ + pos_;
        f.payload = take(4);
        break;
      default:
        fail("unsupported wire type " + std::to_string(f.wire_type));
    }
    f.whole = data_.substr(start, pos_ - start);
    return f;
  }

 private:
  std::string_view take(size_t n) {
    if (n > data_.size() - pos_) fail("truncated field");
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw WireError{what + " at byte " + std::to_string(base_ + pos_)};
  }

  std::string_view data_;
  size_t base_;
  size_t pos_ = 0;
};

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, uint32_t number, int wire_type) {
  put_varint(out, (static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire_type));
}
void put_bytes(std::string& out, uint32_t number, std::string_view bytes) {
  put_key(out, number, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_bool(std::string& out, uint32_t number, bool value) {
  put_key(out, number, 0);
  put_varint(out, value ? 1 : 0);
}
void put_float(std::string& out, uint32_t number, float value) {
  put_key(out, number, 5);
  uint32_t bits;
  static_assert(sizeof bits == sizeof value);
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}
float get_float(std::string_view four) {
  uint32_t bits = 0;
  for (int i = 0; i < 4; ++i) bits |= static_cast<uint32_t>(static_cast<uint8_t>(four[i])) << (8 * i);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

struct PieceInfo {
  int type = RK_SPM_PIECE_NORMAL;  // proto2 default
  float score = 0.0f;
};

struct ParsedModel {
  std::vector<PieceInfo> pieces;
  int model_type = 1;  // TrainerSpec default: UNIGRAM
  bool byte_fallback = false;
  std::string rewritten;  // HF_BPE mode only
};

// A normalizer's precompiled_charsmap: a uint32 (little endian) trie size, a darts-clone double
// array of that many bytes, then the NUL-terminated replacement strings its values point into.
// libsentencepiece trusts it: a corrupt map makes its normalizer read out of bounds (found by
// fuzz_sentencepiece_model). So every path through the trie is walked here, as darts-clone's
// commonPrefixSearch walks it for any input byte, before sentencepiece sees the model.
void validate_charsmap(std::string_view blob, const char* spec) {
  if (blob.empty()) return;  // a named builtin normalizer, or none
  auto corrupt = [&](const std::string& why) { return WireError{std::string(spec) + ".precompiled_charsmap is corrupt: " + why}; };
  if (blob.size() < 4) throw corrupt("shorter than its 4-byte header");
  uint32_t trie_bytes = 0;
  for (int i = 3; i >= 0; --i) trie_bytes = (trie_bytes << 8) | static_cast<uint8_t>(blob[static_cast<size_t>(i)]);
  if (trie_bytes == 0 || trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4)
    throw corrupt("trie size " + std::to_string(trie_bytes) + " does not fit the " + std::to_string(blob.size()) + " bytes");
  std::vector<uint32_t> units(trie_bytes / 4);
  std::memcpy(units.data(), blob.data() + 4, trie_bytes);
  const std::string_view strings = blob.substr(4 + trie_bytes);
  auto offset = [](uint32_t u) { return static_cast<size_t>((u >> 10) << ((u & (1u << 9)) >> 6)); };
  auto label = [](uint32_t u) { return u & ((1u << 31) | 0xFFu); };
  auto has_leaf = [](uint32_t u) { return ((u >> 8) & 1u) == 1u; };
  std::vector<bool> seen(units.size(), false);
  std::vector<size_t> todo{offset(units[0])};  // the root's children live at root ^ offset
  while (!todo.empty()) {
    const size_t base = todo.back();
    todo.pop_back();
    if (base < seen.size()) {
      if (seen[base]) continue;
      seen[base] = true;
    }
    for (uint32_t c = 0; c < 256; ++c) {
      const size_t pos = base ^ c;
      if (pos >= units.size()) throw corrupt("a trie transition leaves the array");
      const uint32_t u = units[pos];
      if (label(u) != c) continue;
      const size_t child = pos ^ offset(u);
      if (has_leaf(u)) {
        if (child >= units.size()) throw corrupt("a trie value lies outside the array");
        const uint32_t value = units[child] & ((1u << 31) - 1);
        if (value >= strings.size() || strings.find('\0', value) == std::string_view::npos)
          throw corrupt("a replacement string lies outside the map");
      }
      todo.push_back(child);
    }
  }
}

// The charsmap inside a NormalizerSpec (field 2), checked as above.
void validate_normalizer_spec(std::string_view spec_bytes, size_t offset, const char* spec) {
  WireReader r(spec_bytes, offset);
  while (!r.done()) {
    WireReader::Field f = r.next();
    if (f.number == 2 && f.wire_type == 2) validate_charsmap(f.payload, spec);
  }
}

// ModelProto: 1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec,
// 4 self_test_data, 5 denormalizer_spec. SentencePiece: 1 piece, 2 score (float), 3 type.
// TrainerSpec: 3 model_type, 35 byte_fallback. NormalizerSpec: 1 name, 2 precompiled_charsmap,
// 3 add_dummy_prefix, 4 remove_extra_whitespaces, 5 escape_whitespaces.
ParsedModel parse_model(std::string_view bytes, bool rewrite_for_hf) {
  ParsedModel model;
  WireReader top(bytes, 0);
  std::string& out = model.rewritten;
  if (rewrite_for_hf) out.reserve(bytes.size() + 64);
  bool saw_trainer_spec = false;
  while (!top.done()) {
    WireReader::Field f = top.next();
    if (f.number == 1) {
      if (f.wire_type != 2) throw WireError{"ModelProto.pieces has the wrong wire type"};
      PieceInfo info;
      bool has_piece = false;
      std::string rebuilt;
      WireReader pr(f.payload, f.payload_offset);
      while (!pr.done()) {
        WireReader::Field pf = pr.next();
        if (pf.number == 1 && pf.wire_type == 2) {
          has_piece = true;
          rebuilt.append(pf.whole);
        } else if (pf.number == 2 && pf.wire_type == 5) {
          info.score = get_float(pf.payload);
        } else if (pf.number == 3 && pf.wire_type == 0) {
          info.type = static_cast<int>(pf.number_value);
        } else {
          rebuilt.append(pf.whole);  // unknown fields and extensions travel unchanged
        }
      }
      if (!has_piece) {
        throw WireError{"piece " + std::to_string(model.pieces.size()) + " has no string"};
      }
      if (rewrite_for_hf) {
        int type = info.type;
        float score = info.score;
        const size_t id = model.pieces.size();
        // HF's BPE treats user-defined and unused pieces like any other vocabulary entry (the
        // caller splits out the added tokens before sentencepiece sees the text).
        if (type == RK_SPM_PIECE_NORMAL || type == RK_SPM_PIECE_UNUSED || type == RK_SPM_PIECE_USER_DEFINED) {
          type = RK_SPM_PIECE_NORMAL;
          score = -static_cast<float>(id);
        }
        put_float(rebuilt, 2, score);
        put_key(rebuilt, 3, 0);
        put_varint(rebuilt, static_cast<uint64_t>(type));
        put_bytes(out, 1, rebuilt);
      }
      model.pieces.push_back(info);
    } else {
      if (f.number == 2 && f.wire_type == 2) {
        saw_trainer_spec = true;
        std::string trainer;  // HF_BPE: the same spec with model_type BPE
        WireReader tr(f.payload, f.payload_offset);
        while (!tr.done()) {
          WireReader::Field tf = tr.next();
          if (tf.number == 3 && tf.wire_type == 0) {
            model.model_type = static_cast<int>(tf.number_value);
            continue;
          }
          if (tf.number == 35 && tf.wire_type == 0) model.byte_fallback = tf.number_value != 0;
          trainer.append(tf.whole);
        }
        if (rewrite_for_hf) {
          // HF's LlamaTokenizer is a BPE over the pieces whatever the file's model type.
          put_key(trainer, 3, 0);
          put_varint(trainer, 2);
          put_bytes(out, 2, trainer);
        }
      } else if (rewrite_for_hf && f.number != 3 && f.number != 4) {
        out.append(f.whole);
      }
      // The normalizers sentencepiece will run (HF_BPE replaces normalizer_spec).
      if (f.wire_type == 2 && f.number == 3 && !rewrite_for_hf) validate_normalizer_spec(f.payload, f.payload_offset, "normalizer_spec");
      if (f.wire_type == 2 && f.number == 5) validate_normalizer_spec(f.payload, f.payload_offset, "denormalizer_spec");
    }
  }
  if (rewrite_for_hf) {
    if (!saw_trainer_spec) {
      std::string trainer;
      put_key(trainer, 3, 0);
      put_varint(trainer, 2);
      put_bytes(out, 2, trainer);
    }
    std::string spec;
    put_bytes(spec, 1, "identity");
    put_bool(spec, 3, false);  // add_dummy_prefix
    put_bool(spec, 4, false);  // remove_extra_whitespaces
    put_bool(spec, 5, true);   // escape_whitespaces: ' ' -> U+2581 (the caller already did it)
    put_bytes(out, 3, spec);
  }
  return model;
}

}  // namespace

struct rk_spm_model {
  sentencepiece::SentencePieceProcessor processor;
  std::vector<PieceInfo> pieces;
  int model_type = 1;
  bool byte_fallback = false;
};

namespace {

bool in_range(const rk_spm_model* m, int32_t id) {
  return m != nullptr && id >= 0 && static_cast<size_t>(id) < m->pieces.size();
}

}  // namespace

namespace {

rk_spm_model* load_impl(const char* path, int mode, char* err,
                        size_t err_capacity) {
  try {
    if (path == nullptr) {
      set_error(err, err_capacity, "no path given");
      return nullptr;
    }
    if (mode != RK_SPM_MODE_NATIVE && mode != RK_SPM_MODE_HF_BPE) {
      set_error(err, err_capacity, "unknown load mode " + std::to_string(mode));
      return nullptr;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      set_error(err, err_capacity, std::string("cannot open '") + path + "': " + std::strerror(errno));
      return nullptr;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
      set_error(err, err_capacity, std::string("cannot read '") + path + "'");
      return nullptr;
    }
    std::string bytes = buffer.str();
    if (bytes.empty()) {
      set_error(err, err_capacity, std::string("'") + path + "' is empty, not a sentencepiece model");
      return nullptr;
    }
    ParsedModel parsed;
    try {
      parsed = parse_model(bytes, mode == RK_SPM_MODE_HF_BPE);
    } catch (const WireError& e) {
      set_error(err, err_capacity,
                std::string("'") + path + "' is not a sentencepiece model (protobuf parse failed: " + e.what + ")");
      return nullptr;
    }
    if (parsed.pieces.empty()) {
      set_error(err, err_capacity, std::string("'") + path + "' is not a sentencepiece model (it has no pieces)");
      return nullptr;
    }
    auto model = std::make_unique<rk_spm_model>();
    const std::string& proto = mode == RK_SPM_MODE_HF_BPE ? parsed.rewritten : bytes;
    sentencepiece::util::Status status = model->processor.LoadFromSerializedProto(proto);
    if (!status.ok()) {
      set_error(err, err_capacity,
                std::string("sentencepiece cannot load '") + path + "': " + status.ToString());
      return nullptr;
    }
    if (static_cast<size_t>(model->processor.GetPieceSize()) != parsed.pieces.size()) {
      set_error(err, err_capacity, std::string("'") + path + "': piece count mismatch between the file (" +
                                       std::to_string(parsed.pieces.size()) + ") and sentencepiece (" +
                                       std::to_string(model->processor.GetPieceSize()) + ")");
      return nullptr;
    }
    model->pieces = std::move(parsed.pieces);
    model->model_type = parsed.model_type;
    model->byte_fallback = parsed.byte_fallback;
    return model.release();
  } catch (const std::exception& e) {
    set_error(err, err_capacity, std::string("loading '") + (path ? path : "") + "' failed: " + e.what());
  } catch (...) {
    set_error(err, err_capacity, "loading the sentencepiece model failed (unknown exception)");
  }
  return nullptr;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int rk_spm_abi_version(void) { return RK_SPM_ABI_VERSION; }

__attribute__((visibility("default"))) rk_spm_model* rk_spm_load(const char* path, int mode, char* err,
                                                                  size_t err_capacity) {
  return load_impl(path, mode, err, err_capacity);
}

__attribute__((visibility("default"))) void rk_spm_free(rk_spm_model* model) { delete model; }

__attribute__((visibility("default"))) int rk_spm_encode(const rk_spm_model* model, const char* text,
                                                          size_t text_len, int32_t* ids, size_t capacity,
                                                          size_t* needed, char* err, size_t err_capacity) {
  try {
    if (model == nullptr || (text == nullptr && text_len != 0) || needed == nullptr) {
      set_error(err, err_capacity, "rk_spm_encode: null argument");
      return RK_SPM_ERROR;
    }
    std::vector<int> out;
    sentencepiece::util::Status status =
        model->processor.Encode(std::string_view(text == nullptr ? "" : text, text_len), &out);
    if (!status.ok()) {
      set_error(err, err_capacity, "sentencepiece encode failed: " + status.ToString());
      return RK_SPM_ERROR;
    }
    *needed = out.size();
    if (out.size() > capacity || (ids == nullptr && !out.empty())) return RK_SPM_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < out.size(); ++i) ids[i] = static_cast<int32_t>(out[i]);
    return RK_SPM_OK;
  } catch (const std::exception& e) {
    set_error(err, err_capacity, std::string("sentencepiece encode failed: ") + e.what());
  } catch (...) {
    set_error(err, err_capacity, "sentencepiece encode failed (unknown exception)");
  }
  return RK_SPM_ERROR;
}

__attribute__((visibility("default"))) int rk_spm_decode(const rk_spm_model* model, const int32_t* ids,
                                                          size_t n_ids, char* text, size_t capacity,
                                                          size_t* needed, char* err, size_t err_capacity) {
  try {
    if (model == nullptr || (ids == nullptr && n_ids != 0) || needed == nullptr) {
      set_error(err, err_capacity, "rk_spm_decode: null argument");
      return RK_SPM_ERROR;
    }
    std::vector<int> in(n_ids);
    for (size_t i = 0; i < n_ids; ++i) {
      if (!in_range(model, ids[i])) {
        set_error(err, err_capacity, "id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                                         " is out of range [0, " + std::to_string(model->pieces.size()) + ")");
        return RK_SPM_ERROR;
      }
      in[i] = ids[i];
    }
    std::string out;
    sentencepiece::util::Status status = model->processor.Decode(in, &out);
    if (!status.ok()) {
      set_error(err, err_capacity, "sentencepiece decode failed: " + status.ToString());
      return RK_SPM_ERROR;
    }
    *needed = out.size();
    if (out.size() > capacity || (text == nullptr && !out.empty())) return RK_SPM_BUFFER_TOO_SMALL;
    if (!out.empty()) std::memcpy(text, out.data(), out.size());
    return RK_SPM_OK;
  } catch (const std::exception& e) {
    set_error(err, err_capacity, std::string("sentencepiece decode failed: ") + e.what());
  } catch (...) {
    set_error(err, err_capacity, "sentencepiece decode failed (unknown exception)");
  }
  return RK_SPM_ERROR;
}

__attribute__((visibility("default"))) int32_t rk_spm_piece_size(const rk_spm_model* model) {
  return model == nullptr ? 0 : static_cast<int32_t>(model->pieces.size());
}

__attribute__((visibility("default"))) const char* rk_spm_id_to_piece(const rk_spm_model* model, int32_t id,
                                                                       size_t* len) {
  try {
    if (!in_range(model, id)) return nullptr;
    const std::string& piece = model->processor.IdToPiece(id);
    if (len != nullptr) *len = piece.size();
    return piece.c_str();
  } catch (...) {
    return nullptr;
  }
}

__attribute__((visibility("default"))) int32_t rk_spm_piece_to_id(const rk_spm_model* model, const char* piece,
                                                                   size_t len) {
  try {
    if (model == nullptr || (piece == nullptr && len != 0)) return -1;
    std::string_view p(piece == nullptr ? "" : piece, len);
    int id = model->processor.PieceToId(p);
    if (!in_range(model, id)) return -1;
    // sentencepiece answers unk_id for a piece it does not know: tell the two apart.
    if (model->processor.IdToPiece(id) != p) return -1;
    return id;
  } catch (...) {
    return -1;
  }
}

__attribute__((visibility("default"))) int32_t rk_spm_bos_id(const rk_spm_model* m) {
  return m == nullptr ? -1 : m->processor.bos_id();
}
__attribute__((visibility("default"))) int32_t rk_spm_eos_id(const rk_spm_model* m) {
  return m == nullptr ? -1 : m->processor.eos_id();
}
__attribute__((visibility("default"))) int32_t rk_spm_pad_id(const rk_spm_model* m) {
  return m == nullptr ? -1 : m->processor.pad_id();
}
__attribute__((visibility("default"))) int32_t rk_spm_unk_id(const rk_spm_model* m) {
  return m == nullptr ? -1 : m->processor.unk_id();
}

__attribute__((visibility("default"))) int rk_spm_piece_type(const rk_spm_model* m, int32_t id) {
  return in_range(m, id) ? m->pieces[static_cast<size_t>(id)].type : 0;
}
__attribute__((visibility("default"))) float rk_spm_score(const rk_spm_model* m, int32_t id) {
  return in_range(m, id) ? m->pieces[static_cast<size_t>(id)].score : 0.0f;
}
__attribute__((visibility("default"))) int rk_spm_is_control(const rk_spm_model* m, int32_t id) {
  return rk_spm_piece_type(m, id) == RK_SPM_PIECE_CONTROL;
}
__attribute__((visibility("default"))) int rk_spm_is_unknown(const rk_spm_model* m, int32_t id) {
  return rk_spm_piece_type(m, id) == RK_SPM_PIECE_UNKNOWN;
}
__attribute__((visibility("default"))) int rk_spm_is_byte(const rk_spm_model* m, int32_t id) {
  return rk_spm_piece_type(m, id) == RK_SPM_PIECE_BYTE;
}
__attribute__((visibility("default"))) int rk_spm_is_unused(const rk_spm_model* m, int32_t id) {
  return rk_spm_piece_type(m, id) == RK_SPM_PIECE_UNUSED;
}
__attribute__((visibility("default"))) int rk_spm_is_user_defined(const rk_spm_model* m, int32_t id) {
  return rk_spm_piece_type(m, id) == RK_SPM_PIECE_USER_DEFINED;
}
__attribute__((visibility("default"))) int rk_spm_model_type(const rk_spm_model* m) {
  return m == nullptr ? 0 : m->model_type;
}
__attribute__((visibility("default"))) int rk_spm_byte_fallback(const rk_spm_model* m) {
  return m != nullptr && m->byte_fallback ? 1 : 0;
}

}  // extern "C"
