// XML escaping. See xml_escape.h.
#include "runtime/xml_escape.h"

#include <cstdint>

namespace eddy::xml {

namespace {

// The code point of the UTF-8 sequence at s[i] and its length; length 0 when the bytes there are
// not a well-formed sequence (overlong forms and surrogates included).
struct Decoded {
    uint32_t code_point = 0;
    size_t length = 0;
};

Decoded decode_utf8(std::string_view s, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    const uint8_t lead = byte(i);
    // Lead byte: the sequence's length, its payload bits and the smallest code point it may carry.
    size_t length = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
        return {lead, 1};
    }
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1Fu;
        min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0Fu;
        min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07u;
        min = 0x10000;
    } else {
        return {};
    }
    if (i + length > s.size()) {
        return {};
    }
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            return {};
        }
        cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return {};
    }
    return {cp, length};
}

// XML 1.0's Char production.
bool xml_char(uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string escape(std::string_view text, bool attribute) {
    static constexpr const char* replacement = "\xEF\xBF\xBD";  // U+FFFD
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (size_t i = 0; i < text.size();) {
        const Decoded d = decode_utf8(text, i);
        if (d.length == 0 || !xml_char(d.code_point)) {
            out += replacement;
            i += d.length == 0 ? 1 : d.length;
            continue;
        }
        switch (d.code_point) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '\t':
                out += attribute ? "&#9;" : "\t";
                break;
            case '\n':
                out += attribute ? "&#10;" : "\n";
                break;
            case '\r':
                out += "&#13;";
                break;  // a parser would fold a bare CR into LF
            default:
                out.append(text.substr(i, d.length));
                break;
        }
        i += d.length;
    }
    return out;
}

}  // namespace

std::string escape_text(std::string_view text) { return escape(text, false); }
std::string escape_attribute(std::string_view text) { return escape(text, true); }

}  // namespace eddy::xml
