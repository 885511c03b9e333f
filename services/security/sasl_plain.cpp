// SASL PLAIN. See sasl_plain.h.
#include "services/security/sasl_plain.h"

#include "services/security/credential.h"
#include "services/security/sasl_text.h"

namespace eddy::security {
namespace {

constexpr std::string_view user_option_prefix = "user_";

}  // namespace

Result<PlainToken, std::string> parse_plain_token(ByteSpan message) {
    const std::string_view text = as_chars(message);
    const size_t first_nul = text.find('\0');
    const size_t second_nul =
        first_nul == std::string_view::npos ? first_nul : text.find('\0', first_nul + 1);
    if (second_nul == std::string_view::npos) {
        return fail(
            std::string("PLAIN message needs authzid, user name and password "
                        "separated by NUL"));
    }
    if (text.find('\0', second_nul + 1) != std::string_view::npos) {
        return fail(std::string("PLAIN message has more than three fields"));
    }
    PlainToken t;
    t.authzid = std::string(text.substr(0, first_nul));
    t.username = std::string(text.substr(first_nul + 1, second_nul - first_nul - 1));
    t.password = std::string(text.substr(second_nul + 1));
    if (t.username.empty()) {
        return fail(std::string("PLAIN user name not specified"));
    }
    if (t.password.empty()) {
        return fail(std::string("PLAIN password not specified"));
    }
    if (t.authzid.size() > limits::plain_field_bytes_max ||
        t.username.size() > limits::plain_field_bytes_max ||
        t.password.size() > limits::plain_field_bytes_max) {
        return fail("PLAIN field longer than " + std::to_string(limits::plain_field_bytes_max) +
                    " bytes");
    }
    if (!t.authzid.empty() && t.authzid != t.username) {
        return fail(std::string("PLAIN authorization id differs from the user name"));
    }
    return t;
}

Result<PlainUserTable, std::string> PlainUserTable::from_jaas(const JaasEntry& entry) {
    if (entry.login_module != plain_login_module) {
        return fail("login module '" + printable_text(entry.login_module) + "' is not " +
                    std::string(plain_login_module));
    }
    PlainUserTable table;
    for (const auto& [key, password] : entry.options) {
        if (!key.starts_with(user_option_prefix)) {
            continue;  // username/password: the broker's own identity for inter-broker PLAIN
        }
        std::string user = key.substr(user_option_prefix.size());
        if (user.empty()) {
            return fail(std::string("JAAS option 'user_' names no user"));
        }
        if (user.size() > limits::plain_field_bytes_max ||
            password.size() > limits::plain_field_bytes_max || password.empty()) {
            return fail("PLAIN user '" + printable_text(user) + "': name and password must be 1.." +
                        std::to_string(limits::plain_field_bytes_max) + " bytes");
        }
        table.add(std::move(user), password);
    }
    return table;
}

void PlainUserTable::add(std::string username, std::string_view password) {
    ASSERT(!username.empty() && username.size() <= limits::plain_field_bytes_max);
    ASSERT(!password.empty() && password.size() <= limits::plain_field_bytes_max);
    users_.insert_or_assign(std::move(username), sha256(as_bytes(password)));
}

bool PlainUserTable::verify(std::string_view username, std::string_view password) const {
    const Sha256Digest given = sha256(as_bytes(password));
    auto it = users_.find(username);
    // An unknown user is compared against a digest no password has (all zeros is not a SHA-256
    // output anyone can aim for), so both paths do the same work.
    static constexpr Sha256Digest nobody{};
    const Sha256Digest& expected = it == users_.end() ? nobody : it->second;
    const bool equal = constant_time_equal(given, expected);
    return equal && it != users_.end();
}

}  // namespace eddy::security
