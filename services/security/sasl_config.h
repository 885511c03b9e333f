// What a broker listener's SASL needs to know: the enabled mechanisms (sasl.enabled.mechanisms),
// where SCRAM credentials and PLAIN users come from, and the limits. One per listener, shared by
// all of its connections' SaslServerSessions; it must outlive them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "services/security/credential.h"
#include "services/security/sasl_plain.h"
#include "services/security/sasl_random.h"
#include "services/security/scram_server.h"

namespace eddy::security {

namespace limits {
// Kafka's sasl.server.max.receive.size default: the largest frame (and so SASL token) a
// connection may send before it is authenticated.
inline constexpr size_t sasl_token_bytes_max_default = 524288;
}  // namespace limits

enum class SaslMechanism : uint8_t { plain, scram_sha_256, scram_sha_512 };

// "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512" (case-sensitive, as in Kafka).
std::string_view sasl_mechanism_name(SaslMechanism m);
std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name);
std::optional<ScramMechanism> scram_mechanism_of(SaslMechanism m);

// The value of sasl.enabled.mechanisms: a comma-separated list (spaces around names allowed),
// non-empty, no repeats, only mechanisms Eddy serves. The order is kept: it is the order the
// handshake response lists them in.
Result<std::vector<SaslMechanism>, std::string> parse_sasl_enabled_mechanisms(
    std::string_view value);

// How a broker authenticates when it dials another node's SASL listener (replica fetchers, the
// controller channel, the quorum), and the identity an Eddy client logs in with.
struct SaslLogin {
    SaslMechanism mechanism = SaslMechanism::plain;
    std::string username;
    std::string password;
};

// A broker's own login from its JAAS line (Kafka's semantics: the `username` and `password`
// options of the login module; a PlainLoginModule line also lists the user_<name> entries the
// server side checks, which are ignored here). `jaas` empty, an entry that does not parse, or a
// missing or empty username/password: a one-line error that never quotes a password.
Result<SaslLogin, std::string> sasl_login_from_jaas(SaslMechanism mechanism, std::string_view jaas);

struct SaslServerConfig {
    std::vector<SaslMechanism> enabled_mechanisms;
    // Required when a SCRAM mechanism is enabled; must outlive the sessions.
    const ScramCredentialStore* scram_credentials = nullptr;
    PlainUserTable plain_users;
    // The key behind the fake salts of unknown SCRAM users: draw it once per broker
    // (make_scram_fake_credentials) and keep it for the broker's life.
    ScramFakeCredentials scram_fake;
    // Tokens larger than this fail authentication before any parsing.
    size_t token_bytes_max = limits::sasl_token_bytes_max_default;
    // Failed attempts a connection may make before it must be closed. Kafka closes at the first.
    uint32_t failed_attempts_max = 1;
};

// Fake-credential settings with a fresh 32-byte key.
ScramFakeCredentials make_scram_fake_credentials(SaslRandom& random);

// Why `config` cannot serve sessions (a one-line error for the operator), or ok.
Result<void, std::string> validate_sasl_server_config(const SaslServerConfig& config);

}  // namespace eddy::security
