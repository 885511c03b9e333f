// Small ASCII text helpers shared by the readers of configuration-like text (properties files,
// JAAS and SASL settings, ACL specs, log level specs). Locale-independent on purpose.
#pragma once

#include <string>
#include <string_view>

namespace eddy {

// `s` without leading and trailing spaces, tabs, carriage returns and line feeds.
inline std::string_view trim_whitespace(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// `s` with A-Z lowered; every other byte as it is.
inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace eddy
