/* The plain C interface of librewardkit_sentencepiece.so, the only object that links
 * libsentencepiece (DESIGN 3.4: Debian's libsentencepiece embeds a protobuf that clashes with
 * libtorch's, so the main library loads this module with dlopen(RTLD_LOCAL | RTLD_DEEPBIND)
 * and talks to it through these functions only).
 *
 * Rules of the boundary: no C++ types, no exceptions, no memory ownership crossing it except
 * the opaque model handle. Texts are (pointer, length) pairs, so they may hold NUL bytes.
 * Functions that produce variable-size output use a two-call protocol: they return
 * RK_SPM_BUFFER_TOO_SMALL and store the size needed in *needed when `capacity` is too small
 * (call again with a bigger buffer); on RK_SPM_OK *needed is the size written. Errors are
 * NUL-terminated messages written into the caller's `err` buffer (truncated to err_capacity).
 *
 * This header is read by both sides; keep it C (the shim is compiled as C++ but exports these
 * with extern "C"). Bump RK_SPM_ABI_VERSION on any change of a signature or meaning. */
#ifndef REWARDKIT_SENTENCEPIECE_SHIM_H
#define REWARDKIT_SENTENCEPIECE_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RK_SPM_ABI_VERSION 2

/* Return codes. */
#define RK_SPM_OK 0
#define RK_SPM_ERROR 1
#define RK_SPM_BUFFER_TOO_SMALL 2

/* Load modes.
 * NATIVE: the model exactly as sentencepiece runs it (its own normalizer, dummy prefix, and
 *   merge priorities from the piece scores): ids equal Python `sentencepiece.encode`.
 * HF_BPE: the pieces as Hugging Face transformers 5.x builds its BPE `LlamaTokenizer` from a
 *   tokenizer.model: no normalization at all (identity, no dummy prefix, no whitespace
 *   collapsing; the caller does HF's Metaspace step: ' ' -> U+2581 and the prefix), and merge
 *   priority by piece id (HF's generated merges are ranked by the id of the merged piece, not by
 *   the score; the two differ for e.g. Llama 2's "▁▁", id 259, score -1e9). Implemented by
 *   rewriting the model proto before loading it: normalizer_spec replaced, model type BPE,
 *   NORMAL, UNUSED and USER_DEFINED pieces get type NORMAL and score -id (the caller splits out
 *   user-defined and control pieces itself, as HF's added tokens). */
#define RK_SPM_MODE_NATIVE 0
#define RK_SPM_MODE_HF_BPE 1

/* Piece types, the values of sentencepiece's ModelProto.SentencePiece.Type. */
#define RK_SPM_PIECE_NORMAL 1
#define RK_SPM_PIECE_UNKNOWN 2
#define RK_SPM_PIECE_CONTROL 3
#define RK_SPM_PIECE_USER_DEFINED 4
#define RK_SPM_PIECE_UNUSED 5
#define RK_SPM_PIECE_BYTE 6

typedef struct rk_spm_model rk_spm_model;

int rk_spm_abi_version(void);

/* Loads a tokenizer.model file. Returns NULL on failure, with the reason in err. */
rk_spm_model* rk_spm_load(const char* path, int mode, char* err, size_t err_capacity);
void rk_spm_free(rk_spm_model* model);

/* Encodes text to ids (no BOS/EOS). */
int rk_spm_encode(const rk_spm_model* model, const char* text, size_t text_len, int32_t* ids,
                  size_t capacity, size_t* needed, char* err, size_t err_capacity);
/* Decodes ids with sentencepiece's own decoder (native semantics). Out-of-range ids are an
 * error. The output is not NUL-terminated. */
int rk_spm_decode(const rk_spm_model* model, const int32_t* ids, size_t n_ids, char* text,
                  size_t capacity, size_t* needed, char* err, size_t err_capacity);

int32_t rk_spm_piece_size(const rk_spm_model* model);
/* The piece of an id, valid while the model lives, or NULL for an id out of range. */
const char* rk_spm_id_to_piece(const rk_spm_model* model, int32_t id, size_t* len);
/* The id of a piece, or -1 when the vocabulary does not have it (sentencepiece itself would
 * answer unk_id). */
int32_t rk_spm_piece_to_id(const rk_spm_model* model, const char* piece, size_t len);
/* -1 when the model has none. */
int32_t rk_spm_bos_id(const rk_spm_model* model);
int32_t rk_spm_eos_id(const rk_spm_model* model);
int32_t rk_spm_pad_id(const rk_spm_model* model);
int32_t rk_spm_unk_id(const rk_spm_model* model);
/* One of RK_SPM_PIECE_*, as stored in the file (before any HF_BPE rewrite); 0 out of range. */
int rk_spm_piece_type(const rk_spm_model* model, int32_t id);
/* The score stored in the file; 0 out of range. */
float rk_spm_score(const rk_spm_model* model, int32_t id);
/* 0/1; 0 for ids out of range. */
int rk_spm_is_control(const rk_spm_model* model, int32_t id);
int rk_spm_is_unknown(const rk_spm_model* model, int32_t id);
int rk_spm_is_byte(const rk_spm_model* model, int32_t id);
int rk_spm_is_unused(const rk_spm_model* model, int32_t id);
int rk_spm_is_user_defined(const rk_spm_model* model, int32_t id);
/* TrainerSpec.model_type: 1 unigram, 2 BPE, 3 word, 4 char. */
int rk_spm_model_type(const rk_spm_model* model);
/* TrainerSpec.byte_fallback. */
int rk_spm_byte_fallback(const rk_spm_model* model);

#ifdef __cplusplus
}
#endif

#endif
