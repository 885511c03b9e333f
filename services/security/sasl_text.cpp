// Quoting untrusted text. See sasl_text.h.
#include "services/security/sasl_text.h"

namespace eddy::security {

std::string printable_text(std::string_view text) {
    constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    for (const char c : text) {
        if (out.size() >= limits::quoted_text_chars_max) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e || c == '\\') {
            out += "\\x";
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0xf]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace eddy::security
