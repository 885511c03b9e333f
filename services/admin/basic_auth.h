// HTTP Basic authentication (RFC 7617) as the admin API reads it: the Authorization header's value
// `Basic <base64 of user-id ":" password>` decoded into a user and a password.
//
// The scheme name is case-insensitive and followed by one or more spaces; the token is strict,
// canonical padded base64 (services/security/scram_encoding.h), at most
// limits::basic_token_bytes_max characters, decoded to a user-id without ':' (the first ':'
// separates it from the password, which may contain ':'), neither holding a control character
// (RFC 7617 §2). The bytes are taken as UTF-8 and compared as they are, as Kafka compares SCRAM
// passwords (no SASLprep). The header comes from a client: every malformed value is an error,
// never an ASSERT; errors never quote the password. Decoding does not suspend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace eddy::admin {

namespace limits {
// A base64 token of this length carries 3 KiB of user and password: more than any real one, and
// small enough that a hostile header costs nothing to refuse.
inline constexpr size_t basic_token_bytes_max = 4096;
}  // namespace limits

struct BasicCredentials {
    std::string user;
    std::string password;
};

enum class BasicAuthError : uint8_t {
    other_scheme,  // not "Basic …" (Bearer, Digest, or nothing recognisable): answer 401
    malformed,     // "Basic" with a token that is not base64 of user:password: answer 400
    too_long,      // a token above limits::basic_token_bytes_max: answer 400
};
const char* to_string(BasicAuthError e);

// Decodes an Authorization header's value (already trimmed of surrounding whitespace by the
// HTTP parser; trimmed again here).
Result<BasicCredentials, BasicAuthError> parse_basic_authorization(std::string_view value);

// The WWW-Authenticate challenge of a 401: `Basic realm="<realm>", charset="UTF-8"` (RFC 7617
// §2.1). `realm` is a fixed string of ours, never client input.
std::string basic_challenge(std::string_view realm);

}  // namespace eddy::admin
