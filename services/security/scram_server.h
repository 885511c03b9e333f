// The server side of one SCRAM exchange (RFC 5802 §5; SHA-256 per RFC 7677, and SHA-512): a plain
// state machine that takes the client's messages and returns what to send, with no I/O. The SASL
// session (sasl_server_session.h) owns one per authentication attempt.
//
//   client-first  "n,,n=alice,r=<cnonce>"              -> server-first
//   "r=<cnonce><snonce>,s=..,i=.." client-final  "c=biws,r=<cnonce><snonce>,p=<proof>" ->
//   server-final "v=<signature>"
//
// Failures end the exchange with a server-final "e=<reason>" (RFC 5802 §7 server-error-value) and
// a one-line detail for the broker's log. What the server accepts:
//   * gs2 header "n" or "y" (no channel binding: we offer no -PLUS mechanism, so "y" is fine),
//     never "p=" (channel-binding-not-supported); an authzid "a=" only if it names the user;
//   * no mandatory extension "m=" (extensions-not-supported); optional extensions are ignored,
//     except Kafka's "tokenauth" (delegation tokens, KIP-48), which Eddy does not serve;
//   * client-final: c= must be the base64 of the very gs2 header of client-first, r= the combined
//     nonce, p= a proof of the digest's size, checked in constant time.
// An unknown user gets the same shape as a known one: a server-first with a salt derived from the
// user name under a per-broker secret key (stable per user, unguessable without the key) and the
// configured iteration count, and finally "e=invalid-proof", the same as for a wrong password. The
// work is the same in both cases: the fake credential is derived for every user, and the final
// check (two HMACs and a hash) runs for both.
//
// Invariants: the state only moves forward; succeeded() implies the proof was verified against a
// stored credential of a user that exists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "services/security/credential.h"

namespace eddy::security {

// RFC 5802 §7 server-error-value, the ones this server sends.
enum class ScramError : uint8_t {
    invalid_encoding,
    extensions_not_supported,
    invalid_proof,
    channel_bindings_dont_match,
    channel_binding_not_supported,
    invalid_username_encoding,
    other_error,
};
// The RFC's token, e.g. "invalid-proof".
std::string_view scram_error_value(ScramError e);

// Per-broker settings for users that have no credential.
struct ScramFakeCredentials {
    Bytes key;  // secret, non-empty; drawn once per broker from a SaslRandom
    int32_t iterations = limits::scram_iterations_min;
};

class ScramServerExchange {
public:
    enum class State : uint8_t { awaiting_client_first, awaiting_client_final, succeeded, failed };

    struct Step {
        std::string message;  // to send to the client (server-first, "v=..." or "e=...")
        bool done = false;    // the exchange is over (succeeded or failed)
        std::optional<ScramError> error;
        std::string detail;  // for the log when failed; never sent (may name the reason)
    };

    // `server_nonce` must be a valid nonce (make_scram_nonce), `fake.key` non-empty. The store
    // and `fake` must outlive the exchange.
    ScramServerExchange(ScramMechanism mechanism, const ScramCredentialStore& store,
                        const ScramFakeCredentials& fake, std::string server_nonce);

    // Feeds the next client message. Only in awaiting_client_first or awaiting_client_final.
    Step receive(std::string_view client_message);

    State state() const { return state_; }
    // The authenticated user; only once succeeded.
    const std::string& username() const;
    // The user the client-first message named, whatever came of it (empty before it was
    // parsed); for the audit log.
    const std::string& claimed_username() const { return username_; }
    ScramMechanism mechanism() const { return mechanism_; }

private:
    Step on_client_first(std::string_view message);
    Step on_client_final(std::string_view message);
    Step failure(ScramError error, std::string detail);
    ScramCredential fake_credential(std::string_view user) const;

    ScramMechanism mechanism_;
    const ScramCredentialStore& store_;
    const ScramFakeCredentials& fake_;
    std::string server_nonce_;
    State state_ = State::awaiting_client_first;

    // Kept between the two client messages.
    std::string username_;
    bool user_known_ = false;
    ScramCredential credential_;
    std::string gs2_header_;         // e.g. "n,,", as the client sent it
    std::string client_first_bare_;  // "n=alice,r=..."
    std::string server_first_;
    std::string nonce_;  // client nonce + server nonce
};

}  // namespace eddy::security
