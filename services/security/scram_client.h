// The client side of one SCRAM exchange (RFC 5802 §5), for Eddy's own CLI and broker-to-broker
// connections: builds client-first, answers server-first with the proof, and checks the server's
// signature in server-final, so a server that does not hold the user's ServerKey is caught. A
// plain state machine with no I/O.
//
// Server messages are untrusted: every malformed one is an error (one line), never an ASSERT. The
// server's iteration count must lie within limits::scram_iterations_min..max, so a hostile
// server can neither weaken the derivation nor make the client spin for minutes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "services/security/credential.h"

namespace eddy::security {

class ScramClientExchange {
public:
    enum class State : uint8_t {
        initial,
        awaiting_server_first,
        awaiting_server_final,
        succeeded,
        failed,
    };

    // `client_nonce` must be a valid nonce (make_scram_nonce); `username` non-empty.
    ScramClientExchange(ScramMechanism mechanism, std::string username, std::string password,
                        std::string client_nonce);

    // "n,,n=<saslname>,r=<nonce>". Only in `initial`.
    std::string client_first();
    // The client-final message for this server-first, or why the server-first is unacceptable.
    // Only in awaiting_server_first.
    Result<std::string, std::string> receive_server_first(std::string_view message);
    // Ok when the server proved it knows the credential. Only in awaiting_server_final.
    Result<void, std::string> receive_server_final(std::string_view message);

    State state() const { return state_; }

private:
    Result<std::string, std::string> answer(std::string_view message);

    ScramMechanism mechanism_;
    std::string username_;
    std::string password_;
    std::string client_nonce_;
    State state_ = State::initial;
    std::string client_first_bare_;
    Bytes expected_server_signature_;
};

}  // namespace eddy::security
