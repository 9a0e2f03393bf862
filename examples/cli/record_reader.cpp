#include "cli/record_reader.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "rewardkit/error.hpp"

namespace rewardkit::cli {

// zlib's gz* functions read gzip streams and, transparently, uncompressed files too.
struct RecordReader::Stream {
  gzFile file = nullptr;
  ~Stream() {
    if (file) gzclose(file);
  }
};

std::string input_source_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

RecordReader::RecordReader(const std::string& path) : source_(input_source_name(path)), stream_(new Stream) {
  stream_->file = path == "-" ? gzdopen(dup(0), "rb") : gzopen(path.c_str(), "rb");
  if (!stream_->file) throw Error(fmt::format("{}: cannot open ({})", source_, std::strerror(errno)));
  gzbuffer(stream_->file, 1 << 17);
  // A JSON array is recognized by its first non-blank byte (after a UTF-8 byte order mark).
  while (true) {
    if (pos_ >= buffer_.size() && !fill()) return;
    if (buffer_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) pos_ += 3;
    while (pos_ < buffer_.size() && buffer_[pos_] != '\0' && std::strchr(" \t\r\n", buffer_[pos_])) {
      if (buffer_[pos_] == '\n') ++line_no_;  // skipped blank lines still count
      ++pos_;
    }
    if (pos_ < buffer_.size()) break;
  }
  if (buffer_[pos_] != '[') return;
  while (fill()) {
  }
  try {
    array_ = ojson::parse(buffer_.begin() + static_cast<std::ptrdiff_t>(pos_), buffer_.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a valid JSON array ({})", source_, e.what()));
  }
  buffer_.clear();
  pos_ = 0;
}

RecordReader::~RecordReader() = default;

bool RecordReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  constexpr size_t chunk = 1 << 16;
  const size_t old = buffer_.size();
  buffer_.resize(old + chunk);
  const int n = gzread(stream_->file, buffer_.data() + old, chunk);
  if (n < 0) {
    int code = 0;
    const char* msg = gzerror(stream_->file, &code);
    throw Error(fmt::format("{}: cannot read ({})", source_, code == Z_ERRNO ? std::strerror(errno) : msg));
  }
  buffer_.resize(old + static_cast<size_t>(n));
  if (n == 0) {
    eof_ = true;
    int code = 0;
    const char* msg = gzerror(stream_->file, &code);
    // zlib reports a gzip stream cut short only here, as Z_BUF_ERROR at the end.
    if (code != Z_OK && code != Z_STREAM_END)
      throw Error(fmt::format("{}: the compressed stream is truncated or corrupt ({})", source_, msg));
    return false;
  }
  return true;
}

bool RecordReader::read_line(std::string& line, uint64_t& dropped_bytes) {
  dropped_bytes = 0;
  // The unread bytes up to `end` end the line: kept, or (over the limit) only counted.
  auto take = [&](size_t end) {
    if (dropped_bytes > 0 || end - pos_ > kMaxRecordBytes) {
      dropped_bytes += end - pos_;
      line.clear();
    } else {
      line.assign(buffer_, pos_, end - pos_);
    }
  };
  size_t searched = pos_;
  while (true) {
    const size_t nl = buffer_.find('\n', searched);
    if (nl != std::string::npos) {
      take(nl);
      pos_ = nl + 1;
      return true;
    }
    if (dropped_bytes > 0 || buffer_.size() - pos_ > kMaxRecordBytes) {
      // Over the limit: count what has come so far and let it go, so memory stays bounded.
      dropped_bytes += buffer_.size() - pos_;
      pos_ = buffer_.size();
    }
    searched = buffer_.size() - pos_;  // relative: fill() moves the unread part to the front
    if (!fill()) break;
  }
  if (pos_ >= buffer_.size() && dropped_bytes == 0) return false;
  take(buffer_.size());  // a last line without a newline
  pos_ = buffer_.size();
  return true;
}

bool RecordReader::next(InputRecord& record) {
  record = InputRecord{};
  if (array_) {
    if (array_next_ >= array_->size()) return false;
    record.line = static_cast<int64_t>(++array_next_);
    record.value = std::move((*array_)[array_next_ - 1]);
    return true;
  }
  std::string line;
  uint64_t dropped = 0;
  while (read_line(line, dropped)) {
    ++line_no_;
    if (dropped > 0) {
      record.line = line_no_;
      record.error = fmt::format("the line is {} bytes long, over the limit of {} bytes for one record",
                                 dropped, kMaxRecordBytes);
      return true;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry no record
    record.line = line_no_;
    try {
      record.value = ojson::parse(line);
    } catch (const nlohmann::json::exception& e) {
      record.error = fmt::format("not valid JSON ({})", e.what());
    }
    return true;
  }
  return false;
}

std::string RecordReader::where(int64_t line) const {
  if (array_) return fmt::format("{}: element {}", source_, line);
  return fmt::format("{}:{}", source_, line);
}

std::vector<InputRecord> RecordReader::read_all() {
  std::vector<InputRecord> out;
  InputRecord r;
  while (next(r)) out.push_back(std::move(r));
  return out;
}

}  // namespace rewardkit::cli
