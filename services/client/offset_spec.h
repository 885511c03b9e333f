// Where `eddy consume` starts reading: the offset-spec grammar shared with kcat and rpk.
//
//   start | beginning | earliest     the log start offset
//   end | latest                     the high watermark (only new records)
//   N                                absolute offset N (>= 0)
//   -N                               N records before the end (clamped to the start)
//   +N                               N records after the start
//   @MS                              first record with timestamp >= MS (milliseconds since epoch)
//   @ISO-8601                        same, for YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM]
//                                    (UTC when no zone is given; ' ' may replace 'T')
// Pure; unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace eddy::client {

struct OffsetSpec {
    enum class Kind : uint8_t { start, end, absolute, from_end, from_start, timestamp };
    Kind kind = Kind::end;
    int64_t value = 0;  // the offset, the count, or the timestamp in ms
    bool operator==(const OffsetSpec&) const = default;
};

// Errors are one-line messages naming the bad spec.
Result<OffsetSpec, std::string> parse_offset_spec(std::string_view spec);

// Milliseconds since the epoch for an ISO-8601 date or date-time (the grammar above).
Result<int64_t, std::string> parse_iso8601_ms(std::string_view text);

// Resolves a spec against a partition's bounds. `timestamp_offset` is the ListOffsets answer for
// Kind::timestamp (nullopt: no record that late, i.e. the end).
int64_t resolve_offset(const OffsetSpec& spec, int64_t log_start, int64_t high_watermark,
                       std::optional<int64_t> timestamp_offset);

}  // namespace eddy::client
