// Fuzz target: SASL PLAIN tokens through the server session, and JAAS config text through the
// parser (services/security/sasl_plain.h, jaas_config.h). Nothing may reach an ASSERT; a PLAIN
// login succeeds exactly for a user of the table with that user's password; a parsed JAAS config
// written back out (every name and value quoted and escaped) parses to the same entries.
//
// Input: byte 0 even -> the rest is one PLAIN token (users alice/alice-secret, admin/admin-secret);
// odd -> the rest is JAAS text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/random.h"
#include "services/security/jaas_config.h"
#include "services/security/sasl_plain.h"
#include "services/security/sasl_server_session.h"
#include "tests/unit/security/sasl_test_util.h"

using namespace eddy;
using namespace eddy::security;

namespace {

struct Fixture {
    SaslServerConfig config;

    Fixture() {
        config.enabled_mechanisms = {SaslMechanism::plain};
        auto entry = parse_jaas_entry(test::kafka_doc_plain_jaas);
        ASSERT(entry.ok());
        auto users = PlainUserTable::from_jaas(*entry);
        ASSERT(users.ok());
        config.plain_users = std::move(users).value();
        ASSERT(validate_sasl_server_config(config).ok());
    }
};

void run_plain(ByteSpan token) {
    static const Fixture fixture;
    Random random(1);
    SaslRandomFromRandom sasl_random(random);
    SaslServerSession session(fixture.config, sasl_random);
    ASSERT(!session.handshake("PLAIN").error);
    auto out = session.authenticate(token);
    auto parsed = parse_plain_token(token);
    const bool right =
        parsed.ok() && ((parsed->username == "alice" && parsed->password == "alice-secret") ||
                        (parsed->username == "admin" && parsed->password == "admin-secret"));
    ASSERT(out.complete == right, "PLAIN accepts exactly the table's users and passwords");
    ASSERT(out.complete != out.error.has_value());
    ASSERT(out.log_detail.find('\n') == std::string::npos, "log lines stay one line");
    if (right) {
        ASSERT(session.principal() == parsed->username);
    }
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out.push_back(c);
        }
    }
    return out + "\"";
}

void run_jaas(std::string_view text) {
    auto entries = parse_jaas_config(text);
    if (!entries.ok()) {
        ASSERT(!entries.error().empty());
        ASSERT(entries.error().find('\n') == std::string::npos, "errors are one line");
        return;
    }
    std::string written;
    for (const JaasEntry& e : *entries) {
        ASSERT(!e.login_module.empty());
        written += e.login_module + " " + std::string(jaas_control_flag_name(e.flag));
        for (const auto& option : e.options) {
            ASSERT(!option.first.empty());
            written += " " + quote(option.first) + "=" + quote(option.second);
        }
        written += ";\n";
        if (e.login_module == plain_login_module) {
            auto users = PlainUserTable::from_jaas(e);
            if (users.ok()) {
                for (const auto& option : e.options) {
                    if (option.first.starts_with("user_")) {
                        ASSERT(users->verify(option.first.substr(5), option.second));
                    }
                }
            }
        }
    }
    auto again = parse_jaas_config(written);
    ASSERT(again.ok(), "a written config parses");
    ASSERT(*again == *entries, "and gives the same entries");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const ByteSpan rest(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    if ((data[0] & 1) == 0) {
        run_plain(rest);
    } else {
        run_jaas(as_chars(rest));
    }
    return 0;
}
