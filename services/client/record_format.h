// How `eddy consume` prints a record: a format string with kcat's and rpk's tokens, or one JSON
// object per line. Pure; unit-tested.
//
//   %t topic       %p partition     %o offset        %T, %d timestamp (ms)
//   %k key         %v, %s value     %K key length    %S, %V value length (-1 for null)
//   %h headers as key=value,key=value     %% a percent sign
//   \n newline     \t tab     \r carriage return     \\ backslash
// A null key or value prints as nothing. Each record's output ends with a newline unless the
// format already ends with one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "services/client/client_types.h"

namespace eddy::client {

class RecordFormatter {
public:
    // Errors: a one-line message naming the unknown token or a dangling '%'.
    static Result<RecordFormatter, std::string> parse(std::string_view format);
    std::string format(const ConsumerRecord& r) const;

private:
    struct Part {
        char token = 0;  // 0: literal text
        std::string text;
    };
    std::vector<Part> parts_;
};

// {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"value":..,"headers":[{"key":..,
// "value":..}]} and a newline. Strings are JSON-escaped; bytes that are not valid UTF-8 pass
// through as they are.
std::string format_json(const ConsumerRecord& r);

// Appends `s` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace eddy::client
