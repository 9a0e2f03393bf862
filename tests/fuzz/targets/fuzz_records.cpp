// The CLI's input reading on arbitrary bytes: JSON Lines or a JSON array, gzip or not, then
// every record through the score and eval parsers. Each input line gives exactly one record or
// error, in order; nothing is dropped; nothing crashes.
#include "cli/eval_records.hpp"
#include "cli/record_reader.hpp"
#include "cli/sample_records.hpp"
#include "fuzz_common.hpp"
#include "rewardkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewardkit;
  const fuzz::MemoryFile file(data, size);
  try {
    cli::RecordReader reader(file.path());
    cli::InputRecord record;
    int64_t last = 0;
    while (reader.next(record)) {
      RK_FUZZ_CHECK(record.line > last, "records come in input order");
      last = record.line;
      RK_FUZZ_CHECK(record.value.has_value() != !record.error.empty(), "a record is a value or an error");
      if (!record.value) continue;
      try {
        (void)cli::parse_sample(*record.value);
      } catch (const Error&) {
      }
      try {
        const cli::EvalFormat format = cli::detect_format(*record.value);
        (void)cli::parse_eval_record(*record.value, format, false);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
