#include "tokenize/sentencepiece_tokenizer.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "rewardkit/error.hpp"
#include "tokenize/decoders.hpp"
#include "tokenize/pattern_split.hpp"
#include "tokenize/sentencepiece_shim.h"

namespace rewardkit::tokenize {

namespace fs = std::filesystem;

// ================================================================================================
// The shim module: located, dlopen'd with RTLD_DEEPBIND (DESIGN 3.4), never unloaded.
// ================================================================================================

// RTLD_DEEPBIND is glibc's; elsewhere (macOS) the two-level namespace of the dynamic linker
// already keeps the module's protobuf to itself.
#ifndef RTLD_DEEPBIND
#define RTLD_DEEPBIND 0
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REWARDKIT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REWARDKIT_ASAN 1
#endif

struct ShimApi {
  std::string path;
  void* handle = nullptr;
  decltype(&rk_spm_abi_version) abi_version = nullptr;
  decltype(&rk_spm_load) load = nullptr;
  decltype(&rk_spm_free) free = nullptr;
  decltype(&rk_spm_encode) encode = nullptr;
  decltype(&rk_spm_decode) decode = nullptr;
  decltype(&rk_spm_piece_size) piece_size = nullptr;
  decltype(&rk_spm_id_to_piece) id_to_piece = nullptr;
  decltype(&rk_spm_piece_to_id) piece_to_id = nullptr;
  decltype(&rk_spm_bos_id) bos_id = nullptr;
  decltype(&rk_spm_eos_id) eos_id = nullptr;
  decltype(&rk_spm_pad_id) pad_id = nullptr;
  decltype(&rk_spm_unk_id) unk_id = nullptr;
  decltype(&rk_spm_piece_type) piece_type = nullptr;
  decltype(&rk_spm_model_type) model_type = nullptr;
  decltype(&rk_spm_byte_fallback) byte_fallback = nullptr;
};

namespace {

constexpr const char* kModuleName = "librewardkit_sentencepiece.so";
constexpr const char* kModuleEnv = "REWARDKIT_SENTENCEPIECE_MODULE";

// dladdr needs an address inside this library.
void module_anchor() {}

// dlopen with RTLD_DEEPBIND. The sanitizers' dlopen interceptor refuses that flag
// (google/sanitizers#611): a deep-bound library may bind malloc to libc instead of the
// sanitizer. In gcc's sanitizer build the module links the shared sanitizer runtime itself, so
// its deep-bound lookups find the sanitizer's allocator first and the flag is safe: we call the
// C library's dlopen, found past the interceptor with RTLD_NEXT. Programs without libtorch
// (the clang fuzz targets, whose sanitizer runtime lives in the executable) have no protobuf to
// clash with and define REWARDKIT_SENTENCEPIECE_NO_DEEPBIND.
void* dlopen_deepbind(const char* path) {
#if defined(REWARDKIT_SENTENCEPIECE_NO_DEEPBIND)
  return dlopen(path, RTLD_NOW | RTLD_LOCAL);
#else
  constexpr int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#if defined(REWARDKIT_ASAN) && defined(__GLIBC__)
  using DlopenFn = void* (*)(const char*, int);
  static const auto libc_dlopen = reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen"));
  if (libc_dlopen != nullptr) return libc_dlopen(path, flags);
#endif
  return dlopen(path, flags);
#endif
}

// Opens one candidate; returns an empty optional with `why` set on failure.
std::optional<ShimApi> open_module(const std::string& path, std::string& why) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    why = "not found";
    return std::nullopt;
  }
  dlerror();
  void* handle = dlopen_deepbind(path.c_str());
  if (handle == nullptr) {
    const char* e = dlerror();
    why = fmt::format("dlopen failed: {}", e ? e : "unknown error");
    return std::nullopt;
  }
  ShimApi api;
  api.path = path;
  api.handle = handle;
  std::string missing;
  auto bind = [&](auto& fn, const char* name) {
    void* sym = dlsym(handle, name);
    if (sym == nullptr) {
      if (!missing.empty()) missing += ", ";
      missing += name;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
  bind(api.abi_version, "rk_spm_abi_version");
  bind(api.load, "rk_spm_load");
  bind(api.free, "rk_spm_free");
  bind(api.encode, "rk_spm_encode");
  bind(api.decode, "rk_spm_decode");
  bind(api.piece_size, "rk_spm_piece_size");
  bind(api.id_to_piece, "rk_spm_id_to_piece");
  bind(api.piece_to_id, "rk_spm_piece_to_id");
  bind(api.bos_id, "rk_spm_bos_id");
  bind(api.eos_id, "rk_spm_eos_id");
  bind(api.pad_id, "rk_spm_pad_id");
  bind(api.unk_id, "rk_spm_unk_id");
  bind(api.piece_type, "rk_spm_piece_type");
  bind(api.model_type, "rk_spm_model_type");
  bind(api.byte_fallback, "rk_spm_byte_fallback");
  if (!missing.empty()) {
    why = fmt::format("not a rewardkit sentencepiece module (missing {})", missing);
    dlclose(handle);
    return std::nullopt;
  }
  if (int v = api.abi_version(); v != RK_SPM_ABI_VERSION) {
    why = fmt::format("ABI version {} where {} is needed (a module from another rewardkit build?)", v,
                      RK_SPM_ABI_VERSION);
    dlclose(handle);
    return std::nullopt;
  }
  return api;
}

ShimApi open_first(const std::vector<std::string>& candidates) {
  std::string tried;
  for (const std::string& path : candidates) {
    std::string why;
    if (std::optional<ShimApi> api = open_module(path, why)) return *api;
    tried += fmt::format("\n  {}: {}", path, why);
  }
  if (candidates.empty()) tried = "\n  (no candidate paths)";
  throw Error(fmt::format(
      "cannot load the sentencepiece module {} (rewardkit keeps libsentencepiece out of the main "
      "library, see DESIGN 3.4); tried:{}\nSet {} to the module's path.",
      kModuleName, tried, kModuleEnv));
}

std::mutex g_module_mutex;
const ShimApi* g_module = nullptr;  // leaked on purpose: models may outlive static destruction

const ShimApi& shim() {
  std::lock_guard<std::mutex> lock(g_module_mutex);
  if (g_module == nullptr) g_module = new ShimApi(open_first(sentencepiece_module_candidates()));
  return *g_module;
}

}  // namespace

std::vector<std::string> sentencepiece_module_candidates() {
  if (const char* env = std::getenv(kModuleEnv); env != nullptr && *env != '\0') return {env};
  std::vector<std::string> out;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&module_anchor), &info) != 0 && info.dli_fname != nullptr &&
      *info.dli_fname != '\0') {
    fs::path dir = fs::path(info.dli_fname).parent_path();
    if (dir.empty()) dir = ".";
    out.push_back((dir / kModuleName).string());
  }
#ifdef REWARDKIT_INSTALL_LIBDIR
  std::string installed = (fs::path(REWARDKIT_INSTALL_LIBDIR) / kModuleName).string();
  if (std::find(out.begin(), out.end(), installed) == out.end()) out.push_back(installed);
#endif
  return out;
}

std::string sentencepiece_module_path() { return shim().path; }

std::string probe_sentencepiece_module(const std::vector<std::string>& candidates) {
  // The handle is not closed: unloading libsentencepiece (and its protobuf) from a running
  // process is not worth the risk; a second dlopen of the same file only bumps a count.
  return open_first(candidates).path;
}

// ================================================================================================
// SentencepieceModel
// ================================================================================================

SentencepieceModel::SentencepieceModel(const std::string& path, Mode mode)
    : path_(path), mode_(mode), api_(&shim()) {
  const ShimApi& api = *api_;
  std::array<char, 1024> err{};
  handle_ = api.load(path.c_str(), mode == Mode::hf_bpe ? RK_SPM_MODE_HF_BPE : RK_SPM_MODE_NATIVE, err.data(),
                     err.size());
  if (handle_ == nullptr) throw Error(fmt::format("sentencepiece model {}: {}", path, err.data()));
  piece_size_ = api.piece_size(handle_);
}

SentencepieceModel::~SentencepieceModel() {
  if (handle_ != nullptr) api_->free(handle_);
}

void SentencepieceModel::encode_into(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  const ShimApi& api = *api_;
  std::array<char, 512> err{};
  const size_t start = out.size();
  // Without normalization there is at most one id per byte, plus a dummy prefix in native mode.
  size_t capacity = text.size() + 8;
  for (int attempt = 0; attempt < 3; ++attempt) {
    out.resize(start + capacity);
    size_t needed = 0;
    int rc = api.encode(handle_, text.data(), text.size(), out.data() + start, capacity, &needed, err.data(),
                        err.size());
    if (rc == RK_SPM_OK) {
      out.resize(start + needed);
      return;
    }
    if (rc != RK_SPM_BUFFER_TOO_SMALL) {
      out.resize(start);
      throw Error(fmt::format("sentencepiece model {}: {}", path_, err.data()));
    }
    capacity = needed;
  }
  out.resize(start);
  throw Error(fmt::format("sentencepiece model {}: encode did not settle on an output size", path_));
}

std::vector<int32_t> SentencepieceModel::encode(std::string_view text) const {
  std::vector<int32_t> out;
  encode_into(text, out);
  return out;
}

std::string SentencepieceModel::decode(const std::vector<int32_t>& ids) const {
  const ShimApi& api = *api_;
  std::array<char, 512> err{};
  std::string out(ids.size() * 8 + 16, '\0');
  for (int attempt = 0; attempt < 3; ++attempt) {
    size_t needed = 0;
    int rc = api.decode(handle_, ids.data(), ids.size(), out.data(), out.size(), &needed, err.data(), err.size());
    if (rc == RK_SPM_OK) {
      out.resize(needed);
      return out;
    }
    if (rc != RK_SPM_BUFFER_TOO_SMALL) throw Error(fmt::format("sentencepiece model {}: {}", path_, err.data()));
    out.assign(needed, '\0');
  }
  throw Error(fmt::format("sentencepiece model {}: decode did not settle on an output size", path_));
}

std::string_view SentencepieceModel::id_to_piece(int32_t id) const {
  size_t len = 0;
  const char* p = api_->id_to_piece(handle_, id, &len);
  if (p == nullptr) {
    throw Error(fmt::format("token id {} is out of range [0, {}) of {}", id, piece_size_, path_));
  }
  return std::string_view(p, len);
}

std::optional<int32_t> SentencepieceModel::piece_to_id(std::string_view piece) const {
  int32_t id = api_->piece_to_id(handle_, piece.data(), piece.size());
  if (id < 0) return std::nullopt;
  return id;
}

namespace {
std::optional<int32_t> non_negative(int32_t id) {
  if (id < 0) return std::nullopt;
  return id;
}
}  // namespace

std::optional<int32_t> SentencepieceModel::bos_id() const { return non_negative(api_->bos_id(handle_)); }
std::optional<int32_t> SentencepieceModel::eos_id() const { return non_negative(api_->eos_id(handle_)); }
std::optional<int32_t> SentencepieceModel::pad_id() const { return non_negative(api_->pad_id(handle_)); }
std::optional<int32_t> SentencepieceModel::unk_id() const { return non_negative(api_->unk_id(handle_)); }
int SentencepieceModel::piece_type(int32_t id) const { return api_->piece_type(handle_, id); }
bool SentencepieceModel::is_control(int32_t id) const { return piece_type(id) == RK_SPM_PIECE_CONTROL; }
bool SentencepieceModel::is_unknown(int32_t id) const { return piece_type(id) == RK_SPM_PIECE_UNKNOWN; }
bool SentencepieceModel::is_byte(int32_t id) const { return piece_type(id) == RK_SPM_PIECE_BYTE; }
bool SentencepieceModel::is_user_defined(int32_t id) const { return piece_type(id) == RK_SPM_PIECE_USER_DEFINED; }
int SentencepieceModel::model_type() const { return api_->model_type(handle_); }
bool SentencepieceModel::byte_fallback() const { return api_->byte_fallback(handle_) != 0; }

// ================================================================================================
// Text helpers
// ================================================================================================

namespace {

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581 '▁'

}  // namespace

// ================================================================================================
// SentencepieceTokenizer
// ================================================================================================

namespace {

SentencepieceTokenizer::PrependScheme scheme_for(const TokenizerConfig& config) {
  // LlamaTokenizer.__init__: add_prefix_space defaults to True, legacy to False;
  // _get_prepend_scheme: "always" if legacy else "first", "never" without add_prefix_space.
  if (!config.add_prefix_space.value_or(true)) return SentencepieceTokenizer::PrependScheme::never;
  return config.legacy.value_or(false) ? SentencepieceTokenizer::PrependScheme::always
                                       : SentencepieceTokenizer::PrependScheme::first;
}

}  // namespace

int32_t SentencepieceTokenizer::new_token_id(const std::string& content) {
  if (auto id = model_->piece_to_id(content)) return *id;
  extra_tokens_.push_back(content);
  return model_->piece_size() + static_cast<int32_t>(extra_tokens_.size()) - 1;
}

void SentencepieceTokenizer::add_token(const AddedTokenSpec& spec, bool override_flags) {
  if (spec.content.empty()) return;
  auto it = added_index_.find(spec.content);
  if (it != added_index_.end()) {
    AddedToken& existing = added_[static_cast<size_t>(it->second)];
    if (override_flags) {
      existing.spec = spec;
    } else if (spec.special) {
      existing.spec.special = true;
    }
    return;
  }
  AddedToken t;
  t.spec = spec;
  t.id = new_token_id(spec.content);
  added_index_.emplace(spec.content, static_cast<int>(added_.size()));
  added_.push_back(std::move(t));
}

std::optional<int32_t> SentencepieceTokenizer::named_token_id(const TokenizerConfig& config, const std::string& name,
                                                              const char* hf_default,
                                                              std::optional<int32_t> model_id) {
  AddedTokenSpec spec;
  if (config.has_special_token_key(name)) {
    const AddedTokenSpec* given = config.special_token(name);
    if (given == nullptr) return std::nullopt;  // null in the config: none
    spec = *given;
  } else if (hf_default != nullptr) {
    // LlamaTokenizer's default string when the vocabulary has it; otherwise the model's own
    // piece for that role (HF would invent a new token with the default string instead).
    spec.content = hf_default;
    if (!model_->piece_to_id(hf_default) && added_index_.count(hf_default) == 0) {
      if (!model_id) return std::nullopt;
      spec.content = std::string(model_->id_to_piece(*model_id));
    }
  } else {
    return std::nullopt;
  }
  spec.special = true;
  add_token(spec, false);
  return added_[static_cast<size_t>(added_index_.at(spec.content))].id;
}

bool is_llama_tokenizer_class(const std::string& tokenizer_class) {
  return tokenizer_class == "LlamaTokenizer" || tokenizer_class == "LlamaTokenizerFast";
}

SentencepieceTokenizer::SentencepieceTokenizer(const std::string& model_file, const TokenizerConfig& config)
    : model_(std::make_shared<SentencepieceModel>(model_file, SentencepieceModel::Mode::hf_bpe)) {
  const int32_t n = model_->piece_size();

  // 1. Control and user-defined pieces (SentencePieceExtractor.extract): control ones special.
  for (int32_t id = 0; id < n; ++id) {
    int type = model_->piece_type(id);
    if (type != RK_SPM_PIECE_CONTROL && type != RK_SPM_PIECE_USER_DEFINED) continue;
    AddedTokenSpec spec;
    spec.content = std::string(model_->id_to_piece(id));
    spec.special = type == RK_SPM_PIECE_CONTROL;
    spec.normalized = false;
    add_token(spec, true);
  }
  // 2. added_tokens_decoder, in id order; its flags win.
  for (const auto& [declared_id, spec] : config.added_tokens_decoder) add_token(spec, true);
  // 3. Named special tokens, then extra_special_tokens.
  bos_id_ = named_token_id(config, "bos_token", "<s>", model_->bos_id());
  eos_id_ = named_token_id(config, "eos_token", "</s>", model_->eos_id());
  unk_id_ = named_token_id(config, "unk_token", "<unk>", model_->unk_id());
  for (const char* name : {"sep_token", "pad_token", "cls_token", "mask_token"}) {
    std::optional<int32_t> id = named_token_id(config, name, nullptr, std::nullopt);
    if (std::string_view(name) == "pad_token") pad_id_ = id;
  }
  for (const AddedTokenSpec& spec : config.extra_special_tokens) {
    AddedTokenSpec s = spec;
    s.special = true;
    add_token(s, false);
  }

  special_.assign(static_cast<size_t>(vocab_size()), false);
  for (size_t i = 0; i < added_.size(); ++i) {
    const AddedToken& t = added_[i];
    if (t.spec.special) special_[static_cast<size_t>(t.id)] = true;
    (t.spec.normalized ? normalized_matcher_ : raw_matcher_).add(t.spec, static_cast<int>(i));
  }

  if (config.add_bos_token.value_or(false) && bos_id_) prefix_.push_back(*bos_id_);
  if (config.add_eos_token.value_or(false) && eos_id_) suffix_.push_back(*eos_id_);
  prepend_scheme_ = scheme_for(config);
  strip_leading_space_ = config.add_prefix_space.value_or(true);
  clean_up_ = config.clean_up_tokenization_spaces.value_or(false) && config.clean_up_tokenization_spaces_for_bpe;
}

int64_t SentencepieceTokenizer::vocab_size() const {
  return static_cast<int64_t>(model_->piece_size()) + static_cast<int64_t>(extra_tokens_.size());
}

bool SentencepieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < special_.size() && special_[static_cast<size_t>(id)];
}

std::string SentencepieceTokenizer::id_to_token(int32_t id) const {
  if (id >= 0 && id < model_->piece_size()) return std::string(model_->id_to_piece(id));
  if (id >= model_->piece_size() && id < vocab_size()) {
    return extra_tokens_[static_cast<size_t>(id - model_->piece_size())];
  }
  throw Error(fmt::format("token id {} is out of range [0, {}) of {}", id, vocab_size(), model_->path()));
}

std::optional<int32_t> SentencepieceTokenizer::token_to_id(const std::string& token) const {
  if (auto it = added_index_.find(token); it != added_index_.end()) return added_[static_cast<size_t>(it->second)].id;
  return model_->piece_to_id(token);
}

void SentencepieceTokenizer::encode_chunk(std::string_view chunk, bool at_text_start, std::vector<int32_t>& out) const {
  if (chunk.empty()) return;
  // Metaspace(replacement="▁", prepend_scheme, split=False).
  // The prefix goes on unless the chunk already starts with U+2581 after the replacement.
  const bool starts_with_metaspace = chunk.front() == ' ' || chunk.substr(0, kMetaspace.size()) == kMetaspace;
  const bool prepend =
      prepend_scheme_ == PrependScheme::always || (prepend_scheme_ == PrependScheme::first && at_text_start);
  std::string s;
  s.reserve(chunk.size() + 16);
  if (prepend && !starts_with_metaspace) s.append(kMetaspace);
  for (char c : chunk) {
    if (c == ' ') {
      s.append(kMetaspace);
    } else {
      s.push_back(c);
    }
  }
  model_->encode_into(s, out);
}

std::vector<int32_t> SentencepieceTokenizer::encode(const std::string& input, bool add_special_tokens) const {
  const std::string text = sanitize_utf8(input);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids.insert(ids.end(), prefix_.begin(), prefix_.end());

  std::vector<TextSpan> first, pieces;
  raw_matcher_.split(text, 0, first);
  for (const TextSpan& m : first) {
    if (m.index >= 0) {
      pieces.push_back(m);
    } else {
      normalized_matcher_.split(std::string_view(text).substr(m.begin, m.end - m.begin), m.begin, pieces);
    }
  }
  for (const TextSpan& m : pieces) {
    if (m.index >= 0) {
      ids.push_back(added_[static_cast<size_t>(m.index)].id);
    } else {
      encode_chunk(std::string_view(text).substr(m.begin, m.end - m.begin), m.begin == 0, ids);
    }
  }

  if (add_special_tokens) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  return ids;
}

std::string SentencepieceTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  const int64_t total = vocab_size();
  const int32_t n = model_->piece_size();
  std::string out;
  std::string pending;  // a run of <0xXX> bytes
  size_t pending_count = 0;
  auto flush = [&]() {
    if (pending_count == 0) return;
    if (valid_utf8(pending)) {
      out += pending;
    } else {
      for (size_t i = 0; i < pending_count; ++i) out.append(kReplacementChar);
    }
    pending.clear();
    pending_count = 0;
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0) throw Error(fmt::format("decode: token id {} at position {} is negative", id, i));
    if (id >= total) continue;  // HF drops ids it has no token for
    if (skip_special_tokens && special_[static_cast<size_t>(id)]) continue;
    std::string_view token =
        id < n ? model_->id_to_piece(id) : std::string_view(extra_tokens_[static_cast<size_t>(id - n)]);
    if (std::optional<unsigned char> byte = byte_fallback_byte(token)) {
      pending.push_back(static_cast<char>(*byte));
      ++pending_count;
      continue;
    }
    flush();
    out += replace_all(token, SplitPattern::literal(std::string(kMetaspace)), " ");  // decoders.Replace("▁", " ")
  }
  flush();
  if (strip_leading_space_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
  if (clean_up_) clean_up_tokenization(out);
  return out;
}

std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const std::string& model_file, const TokenizerConfig& config) {
  return std::make_unique<SentencepieceTokenizer>(model_file, config);
}

}  // namespace rewardkit::tokenize
