// SCRAM text encodings. See scram_encoding.h.
#include "services/security/scram_encoding.h"

#include <array>

#include "core/base/assert.h"

namespace eddy::security {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(alphabet.size() == 64);

// Index of a base64 character, or -1.
int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

}  // namespace

std::string base64_encode(ByteSpan data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const uint32_t v = (std::to_integer<uint32_t>(data[i]) << 16) |
                           (std::to_integer<uint32_t>(data[i + 1]) << 8) |
                           std::to_integer<uint32_t>(data[i + 2]);
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out.push_back(alphabet[(v >> 6) & 0x3f]);
        out.push_back(alphabet[v & 0x3f]);
    }
    const size_t rest = data.size() - i;
    if (rest == 1) {
        const uint32_t v = std::to_integer<uint32_t>(data[i]) << 16;
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out += "==";
    } else if (rest == 2) {
        const uint32_t v = (std::to_integer<uint32_t>(data[i]) << 16) |
                           (std::to_integer<uint32_t>(data[i + 1]) << 8);
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out.push_back(alphabet[(v >> 6) & 0x3f]);
        out.push_back('=');
    }
    ASSERT(out.size() % 4 == 0);
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
    }
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const size_t pad_here = last ? padding : 0;
        std::array<int, 4> s{};
        for (size_t k = 0; k < 4; ++k) {
            if (k >= 4 - pad_here) {
                s[k] = 0;
                continue;
            }
            s[k] = sextet(text[i + k]);
            if (s[k] < 0) {
                return std::nullopt;  // includes '=' anywhere but the final padding
            }
        }
        const uint32_t v = (static_cast<uint32_t>(s[0]) << 18) |
                           (static_cast<uint32_t>(s[1]) << 12) |
                           (static_cast<uint32_t>(s[2]) << 6) | static_cast<uint32_t>(s[3]);
        out.push_back(static_cast<std::byte>((v >> 16) & 0xff));
        if (pad_here < 2) {
            out.push_back(static_cast<std::byte>((v >> 8) & 0xff));
        } else if ((v & 0xffff) != 0) {
            return std::nullopt;  // non-zero unused bits: not the canonical encoding
        }
        if (pad_here < 1) {
            out.push_back(static_cast<std::byte>(v & 0xff));
        } else if (pad_here == 1 && (v & 0xff) != 0) {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<std::string> decode_saslname(std::string_view saslname) {
    if (saslname.empty()) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(saslname.size());
    for (size_t i = 0; i < saslname.size(); ++i) {
        const char c = saslname[i];
        if (c == ',' || c == '\0') {
            return std::nullopt;
        }
        if (c != '=') {
            out.push_back(c);
            continue;
        }
        const std::string_view escape = saslname.substr(i, 3);
        if (escape == "=2C") {
            out.push_back(',');
        } else if (escape == "=3D") {
            out.push_back('=');
        } else {
            return std::nullopt;
        }
        i += 2;
    }
    return out;
}

std::string encode_saslname(std::string_view username) {
    std::string out;
    out.reserve(username.size());
    for (const char c : username) {
        if (c == ',') {
            out += "=2C";
        } else if (c == '=') {
            out += "=3D";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool valid_scram_nonce(std::string_view nonce) {
    if (nonce.empty()) {
        return false;
    }
    for (const char c : nonce) {
        if (c < 0x21 || c > 0x7e || c == ',') {
            return false;
        }
    }
    return true;
}

std::string make_scram_nonce(SaslRandom& random) {
    std::array<std::byte, 24> bytes{};
    random.fill(bytes);
    std::string nonce = base64_encode(bytes);
    ASSERT(nonce.size() == 32 && valid_scram_nonce(nonce));
    return nonce;
}

std::optional<std::vector<ScramAttribute>> split_scram_attributes(std::string_view message) {
    std::vector<ScramAttribute> out;
    size_t start = 0;
    while (true) {
        const size_t comma = message.find(',', start);
        const std::string_view part = message.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        const size_t eq = part.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            return std::nullopt;
        }
        out.push_back(ScramAttribute{part.substr(0, eq), part.substr(eq + 1)});
        if (comma == std::string_view::npos) {
            return out;
        }
        start = comma + 1;
    }
}

}  // namespace eddy::security
