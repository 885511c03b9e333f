// How a broker connection proves who it is: the per-connection state behind
// RequestContext::principal, and the SASL exchange that runs on a SASL listener before anything
// else is served (docs/security.md, services/security/README.md "Driving a session").
//
// A connection's ConnectionAuth is made on its first frame and kept in the FrameServer's
// per-connection slot (net::ConnectionControl::state). PLAINTEXT and SSL connections get their
// principal at once (security::build_principal: User:ANONYMOUS, or the mapped certificate
// subject). A SASL connection has none until its SaslServerSession completes: until then the
// broker serves only ApiVersions, SaslHandshake and SaslAuthenticate (anything else closes the
// connection, as Kafka's SaslServerAuthenticator does), the FrameServer reads in lockstep with
// frames of at most sasl.server.max.receive.size bytes, and after SaslHandshake v0 the frames are
// raw SASL tokens without a request header (kafka-python). A failed authentication is answered
// (SaslAuthenticate) or not (raw tokens), after a short delay, and the connection is closed.
//
// Re-authentication (KIP-368, connections.max.reauth.ms > 0): a client that authenticated with
// SaslAuthenticate v1+ is told the session's lifetime (session_lifetime_ms) and its session ends
// then (session_expiry, on Env's clock). It may start a new exchange (SaslHandshake v1, then
// SaslAuthenticate) at any time on the authenticated connection, with the same mechanism (else
// its SaslAuthenticate is refused and the connection closed, as Kafka does), and must end up as
// the same principal (else the same); its other requests are served meanwhile, and from the
// re-authentication's SaslHandshake on, frames are read in lockstep until it succeeds. A request
// other than SaslHandshake / SaslAuthenticate after the session expired closes the connection
// without an answer. Clients told no lifetime (SaslHandshake v0 raw tokens, SaslAuthenticate v0)
// keep their session as long as the connection.
//
// Invariants: principal is set exactly when the connection may serve ordinary requests; once set
// it never changes (re-authentication must prove the same one); sasl is null on non-SASL
// listeners; session_expiry is set only with a principal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/time.h"
#include "services/security/principal.h"
#include "services/security/sasl_config.h"
#include "services/security/sasl_server_session.h"

namespace eddy::kafka {

// Kafka's connection.failed.authentication.delay.ms default: a client that failed to
// authenticate hears so (and is closed) only after this, which slows down password guessing.
inline constexpr Duration sasl_failure_delay = Duration::millis(100);

struct ConnectionAuth {
    std::optional<security::KafkaPrincipal> principal;
    // SASL listeners: the listener's settings (kept alive for the session) and the session.
    std::shared_ptr<const security::SaslServerConfig> sasl_config;
    std::unique_ptr<security::SaslServerSession> sasl;
    bool raw_tokens = false;  // after SaslHandshake v0: frames are raw tokens
    // KIP-368: a SASL exchange on a connection that has already authenticated.
    bool reauthenticating = false;
    // KIP-368: why the re-authentication under way will be refused at its SaslAuthenticate
    // (another mechanism than the connection's); empty: none.
    std::string reauth_refusal;
    // KIP-368: when the session ends (connections.max.reauth.ms); unset: with the connection.
    std::optional<Instant> session_expiry;
};

// The name of the mechanism a session's handshake chose, for logs and the audit log.
inline std::string_view mechanism_of(const security::SaslServerSession& session) {
    const auto m = session.mechanism();
    return m ? security::sasl_mechanism_name(*m) : std::string_view("(none)");
}

}  // namespace eddy::kafka
