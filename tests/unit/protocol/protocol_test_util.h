// Helpers shared by the protocol tests: hex byte vectors and ASCII-as-hex.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"

namespace eddy::protocol::test {

// "00 1a ff" -> bytes; anything that is not a lowercase hex digit is a separator.
inline Bytes hex(std::string_view h) {
    Bytes out;
    int hi = -1;
    for (char c : h) {
        int v = -1;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        }
        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::byte>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

// ASCII text as hex digits, to keep byte vectors readable: text("ab") == "6162".
inline std::string text(std::string_view s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

}  // namespace eddy::protocol::test
