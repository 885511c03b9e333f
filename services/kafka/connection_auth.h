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
// Invariants: principal is set exactly when the connection may serve ordinary requests; once set
// it never changes; sasl is null on non-SASL listeners.
#pragma once

#include <memory>
#include <optional>

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
};

}  // namespace eddy::kafka
