#pragma once
// Reading input records for the CLI commands: JSON Lines (one object per line, blank lines
// skipped) or one JSON array of objects, from a file or stdin, gzip-compressed or not (detected
// from the bytes, not the name). Each record knows where it came from, for error messages.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rewardkit::cli {

using ojson = nlohmann::ordered_json;

struct InputRecord {
  // JSON Lines: the line number (1-based, blank lines counted). A JSON array: the element's
  // position (1-based).
  int64_t line = 0;
  std::optional<ojson> value;  // the parsed value; empty when the line is not valid JSON
  std::string error;           // why `value` is empty
};

class RecordReader {
 public:
  // A JSON Lines record longer than this is a bad record (its line is read past, not kept), so
  // that one runaway line cannot exhaust memory. 64 MiB is far beyond any model's context.
  static constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;

  // "-" reads stdin. A file that cannot be opened, a truncated or corrupt gzip stream, or a
  // JSON array that does not parse are rewardkit::Errors naming the source.
  explicit RecordReader(const std::string& path);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // The next record; false at the end of the input.
  bool next(InputRecord& record);

  const std::string& source() const { return source_; }
  bool is_json_array() const { return array_.has_value(); }
  // "<source>:<line>" for JSON Lines, "<source>: element <n>" for a JSON array.
  std::string where(int64_t line) const;

  // All records at once (the eval and annotate commands need their total).
  std::vector<InputRecord> read_all();

 private:
  // The next line; a line over kMaxRecordBytes comes back empty with its length in dropped_bytes.
  bool read_line(std::string& line, uint64_t& dropped_bytes);
  bool fill();

  std::string source_;
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
  int64_t line_no_ = 0;
  std::optional<ojson> array_;
  size_t array_next_ = 0;
};

// Checks that the CLI option "--input" names a readable source before a model is loaded.
std::string input_source_name(const std::string& path);

}  // namespace rewardkit::cli
