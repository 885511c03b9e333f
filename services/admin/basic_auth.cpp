#include "services/admin/basic_auth.h"

#include <algorithm>
#include <cctype>

#include "services/security/scram_encoding.h"

namespace eddy::admin {

namespace {

bool is_space(char ch) { return ch == ' ' || ch == '\t'; }

// A control character (RFC 7617 §2: user-id and password contain none): C0 and DEL.
bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto u = static_cast<unsigned char>(ch);
        return u < 0x20 || u == 0x7f;
    });
}

}  // namespace

const char* to_string(BasicAuthError e) {
    switch (e) {
        case BasicAuthError::other_scheme:
            return "not Basic credentials";
        case BasicAuthError::malformed:
            return "malformed Basic credentials";
        case BasicAuthError::too_long:
            return "Basic credentials too long";
    }
    return "?";
}

Result<BasicCredentials, BasicAuthError> parse_basic_authorization(std::string_view value) {
    while (!value.empty() && is_space(value.front())) {
        value.remove_prefix(1);
    }
    while (!value.empty() && is_space(value.back())) {
        value.remove_suffix(1);
    }
    constexpr std::string_view scheme = "basic";
    if (value.size() <= scheme.size() || !is_space(value[scheme.size()]) ||
        !std::equal(scheme.begin(), scheme.end(), value.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        })) {
        return fail(BasicAuthError::other_scheme);
    }
    std::string_view token = value.substr(scheme.size());
    while (!token.empty() && is_space(token.front())) {
        token.remove_prefix(1);
    }
    if (token.size() > limits::basic_token_bytes_max) {
        return fail(BasicAuthError::too_long);
    }
    const auto decoded = security::base64_decode(token);
    if (!decoded || decoded->empty()) {
        return fail(BasicAuthError::malformed);
    }
    const std::string_view text(reinterpret_cast<const char*>(decoded->data()), decoded->size());
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        return fail(BasicAuthError::malformed);
    }
    BasicCredentials out{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
    if (has_control(out.user) || has_control(out.password)) {
        return fail(BasicAuthError::malformed);
    }
    return out;
}

std::string basic_challenge(std::string_view realm) {
    return "Basic realm=\"" + std::string(realm) + "\", charset=\"UTF-8\"";
}

}  // namespace eddy::admin
