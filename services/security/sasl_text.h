// Quoting untrusted text (user names from clients, option names from config files, error reasons
// from servers) into error messages and log lines: control bytes and non-ASCII become \xNN and the
// result is cut to a bounded length, so that a client cannot forge log lines or flood them and an
// error stays one line.
#pragma once

#include <string>
#include <string_view>

namespace eddy::security {

namespace limits {
inline constexpr size_t quoted_text_chars_max = 64;
}  // namespace limits

// `text` with bytes outside 0x20..0x7e and '\\' written as \xNN, at most
// limits::quoted_text_chars_max characters of it (then "...").
std::string printable_text(std::string_view text);

}  // namespace eddy::security
