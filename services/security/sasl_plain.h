// SASL PLAIN (RFC 4616): the client's one message is `[authzid] NUL authcid NUL passwd`, and the
// server checks the password against a user table. PLAIN sends the password itself, so it belongs
// on TLS listeners only (SASL_SSL); the README says so to operators.
//
// As in Kafka, the authorization id must be empty or equal to the user name (Eddy does not let one
// user act as another), and the users come from the PlainLoginModule's `user_<name>="<password>"`
// options of sasl.jaas.config. Each field is at most 255 bytes (RFC 4616 §2). Passwords are
// compared through their SHA-256 digests with CRYPTO_memcmp, so the time taken says nothing about
// the stored password's length or its first differing byte, and an unknown user costs the same
// comparison as a known one.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/base/sha256.h"
#include "services/security/jaas_config.h"

namespace eddy::security {

namespace limits {
inline constexpr size_t plain_field_bytes_max = 255;
}  // namespace limits

struct PlainToken {
    std::string authzid;   // empty when the client named none
    std::string username;  // authcid
    std::string password;
};

// Splits and checks a PLAIN message: exactly two NULs, non-empty user name and password, fields
// within limits::plain_field_bytes_max, authzid empty or the user name. Errors are one line and
// never quote the password.
Result<PlainToken, std::string> parse_plain_token(ByteSpan message);

class PlainUserTable {
public:
    // Users from a PlainLoginModule entry's user_<name> options. An error when the entry is of
    // another module, a user name is empty or a name or password exceeds the PLAIN field limit
    // (such a user could never log in).
    static Result<PlainUserTable, std::string> from_jaas(const JaasEntry& entry);

    // Replaces the user's password. Name and password within limits (callers validate input).
    void add(std::string username, std::string_view password);
    // Whether `password` is the user's, in time independent of the stored password.
    bool verify(std::string_view username, std::string_view password) const;
    size_t size() const { return users_.size(); }

private:
    std::map<std::string, Sha256Digest, std::less<>> users_;
};

}  // namespace eddy::security
