// The SASL state of one broker connection, driven by the connection's request loop: a plain object
// that takes the client's handshake and tokens and returns what to answer, with no I/O. Kafka's
// SaslServerAuthenticator in Eddy's shape.
//
//   awaiting_handshake --handshake(ok)--> awaiting_token --authenticate--> authenticating
//        ^                                                   |                  | (more tokens)
//        | (failure, attempts left)                          v                  v
//        +------------------------------------------- failure            authenticated
//                                                            | (no attempts left)
//                                                            v
//                                                          closed
//
// PLAIN finishes in one token; SCRAM takes two (client-first, client-final), and its last
// challenge (server-final "v=...") is sent together with success. A failure counts against
// failed_attempts_max (1 by default, Kafka's behaviour: answer, then close). Every outcome that
// says close_connection means the broker closes the connection after sending the answer (or, in
// raw-token mode, without one). Tokens above token_bytes_max fail before they are parsed. Errors
// sent to the client never tell an unknown user from a wrong password; the log detail does.
//
// Invariants: authenticated implies a principal; closed is final; failed_attempts only grows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "services/security/sasl_config.h"
#include "services/security/sasl_random.h"
#include "services/security/scram_server.h"

namespace eddy::security {

// Kafka outcomes of SASL requests; protocol codes in sasl_protocol.h (sasl_error_code).
enum class SaslError : uint8_t {
    unsupported_mechanism,  // the handshake named a mechanism not enabled here
    illegal_state,          // a request out of order (token before handshake, second handshake)
    authentication_failed,  // bad credentials, malformed or oversized token
};

struct SaslHandshakeOutcome {
    std::optional<SaslError> error;
    std::vector<std::string> enabled_mechanisms;  // always filled: the response lists them
    bool close_connection = false;
};

struct SaslAuthenticateOutcome {
    Bytes challenge;        // for the client (may be empty); SCRAM's e=... on SCRAM failures
    bool complete = false;  // authenticated: the connection may now serve other requests
    std::optional<SaslError> error;
    std::string error_message;  // for the client; empty on success and on challenges
    std::string log_detail;     // for the broker's log; may name the user and the real reason
    bool close_connection = false;
};

class SaslServerSession {
public:
    enum class State : uint8_t {
        awaiting_handshake,
        awaiting_token,
        authenticating,
        authenticated,
        closed,
    };

    // `config` must pass validate_sasl_server_config; it and `random` must outlive the session.
    SaslServerSession(const SaslServerConfig& config, SaslRandom& random);
    ~SaslServerSession();
    SaslServerSession(const SaslServerSession&) = delete;
    SaslServerSession& operator=(const SaslServerSession&) = delete;

    // SaslHandshake: chooses the mechanism. Not after closed.
    SaslHandshakeOutcome handshake(std::string_view mechanism);
    // One SASL token (SaslAuthenticate's auth_bytes, or a raw frame). Not after closed.
    SaslAuthenticateOutcome authenticate(ByteSpan token);

    State state() const { return state_; }
    bool authenticated() const { return state_ == State::authenticated; }
    // The authenticated user name, e.g. "alice" (the principal "User:alice"). Only once
    // authenticated.
    const std::string& principal() const;
    // The mechanism chosen by the last successful handshake.
    std::optional<SaslMechanism> mechanism() const { return mechanism_; }
    uint32_t failed_attempts() const { return failed_attempts_; }
    // The user name the client's tokens claimed so far (PLAIN's authcid, SCRAM's n=), whether or
    // not it authenticated; empty when none was parsed. For the audit log, never for decisions.
    const std::string& user_attempted() const { return user_attempted_; }
    // The largest frame the broker should read from this connection while it is not yet
    // authenticated (Kafka applies sasl.server.max.receive.size to those frames).
    size_t token_bytes_max() const { return config_.token_bytes_max; }

private:
    SaslAuthenticateOutcome authenticate_plain(ByteSpan token);
    SaslAuthenticateOutcome authenticate_scram(ByteSpan token);
    SaslAuthenticateOutcome failure(std::string message, std::string detail, Bytes challenge = {});
    SaslAuthenticateOutcome illegal_state(std::string detail);
    std::vector<std::string> enabled_names() const;

    const SaslServerConfig& config_;
    SaslRandom& random_;
    State state_ = State::awaiting_handshake;
    std::optional<SaslMechanism> mechanism_;
    std::unique_ptr<ScramServerExchange> scram_;
    std::string principal_;
    std::string user_attempted_;
    uint32_t failed_attempts_ = 0;
};

}  // namespace eddy::security
