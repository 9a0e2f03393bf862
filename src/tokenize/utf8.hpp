#pragma once
// UTF-8 and the Unicode character classes Hugging Face tokenizers (Rust) relies on, shared by every
// tokenizer implementation.
#include <cstddef>
#include <string>
#include <string_view>

namespace rewardkit::tokenize {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF), or 0 when it is not one. Stores the code point.
size_t utf8_sequence(std::string_view s, size_t i, char32_t* cp);
bool valid_utf8(std::string_view s);
// Byte offset of the first byte that does not start a well-formed sequence, or npos.
size_t first_invalid_utf8(std::string_view s);
// Length in bytes of the character starting at s[i] (1 for a byte that starts no valid sequence).
size_t char_length(std::string_view s, size_t i);
// The code point that ends at s.size() (s is valid UTF-8, not empty).
char32_t last_code_point(std::string_view s);
void append_utf8(std::string& out, char32_t cp);

// Each byte that is not part of a well-formed sequence becomes U+FFFD (the input side: HF only
// ever sees valid Unicode, so rewardkit replaces rather than fails).
std::string sanitize_utf8(std::string_view text);
// Rust's String::from_utf8_lossy: each maximal invalid subpart becomes one U+FFFD (the output
// side: what HF decoders give for byte sequences that are not UTF-8).
std::string utf8_lossy(std::string_view bytes);

// Rust's char::is_whitespace (Unicode White_Space), used by lstrip/rstrip and Strip.
bool is_unicode_whitespace(char32_t c);
// Rust's char::is_alphanumeric() || '_' (the single_word test), from the Unicode general
// category: letters, numbers and spacing marks.
bool is_word_char(char32_t c);
// Rust's char::is_numeric (general category N*), used by the Digits pre-tokenizer.
bool is_numeric_char(char32_t c);

}  // namespace rewardkit::tokenize
