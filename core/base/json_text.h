// Writing JSON text and timestamps for lines that people and log shippers read (the audit log,
// JSON log lines): a string as a JSON string literal, and a wall time in RFC 3339 UTC.
#pragma once

#include <string>
#include <string_view>

#include "core/base/time.h"

namespace eddy {

// Appends `s` as a JSON string literal, quotes included. Quotes, backslashes and control
// characters are escaped (\n, \r and \t in their short forms); valid UTF-8 passes through as it
// is; each byte that is not part of a valid UTF-8 sequence becomes U+FFFD, so the line stays
// valid JSON whatever the input held.
void append_json_string(std::string& out, std::string_view s);

// "2026-12-05T10:53:09.123Z": RFC 3339, UTC, milliseconds.
std::string utc_rfc3339(WallTime t);

}  // namespace eddy
