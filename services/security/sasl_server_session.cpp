// The SASL state of one broker connection. See sasl_server_session.h.
#include "services/security/sasl_server_session.h"

#include <algorithm>

#include "services/security/sasl_plain.h"
#include "services/security/sasl_text.h"
#include "services/security/scram_encoding.h"

namespace eddy::security {

SaslServerSession::SaslServerSession(const SaslServerConfig& config, SaslRandom& random)
    : config_(config), random_(random) {
    ASSERT(validate_sasl_server_config(config_).ok(), "validate the SASL config first");
}

SaslServerSession::~SaslServerSession() = default;

const std::string& SaslServerSession::principal() const {
    ASSERT(state_ == State::authenticated, "principal() before authentication");
    ASSERT(!principal_.empty());
    return principal_;
}

std::vector<std::string> SaslServerSession::enabled_names() const {
    std::vector<std::string> names;
    for (const SaslMechanism m : config_.enabled_mechanisms) {
        names.emplace_back(sasl_mechanism_name(m));
    }
    return names;
}

SaslHandshakeOutcome SaslServerSession::handshake(std::string_view mechanism) {
    ASSERT(state_ != State::closed, "handshake on a closed SASL session");
    SaslHandshakeOutcome out;
    out.enabled_mechanisms = enabled_names();
    if (state_ != State::awaiting_handshake) {
        // A second handshake in one session (Kafka answers ILLEGAL_SASL_STATE). Re-authentication
        // (KIP-368) runs in a fresh session (services/kafka/connection_auth.h).
        out.error = SaslError::illegal_state;
        out.close_connection = true;
        state_ = State::closed;
        return out;
    }
    auto m = parse_sasl_mechanism(mechanism);
    if (!m || std::find(config_.enabled_mechanisms.begin(), config_.enabled_mechanisms.end(), *m) ==
                  config_.enabled_mechanisms.end()) {
        // Kafka answers with the enabled list and then closes the connection.
        out.error = SaslError::unsupported_mechanism;
        out.close_connection = true;
        state_ = State::closed;
        return out;
    }
    mechanism_ = *m;
    state_ = State::awaiting_token;
    return out;
}

SaslAuthenticateOutcome SaslServerSession::illegal_state(std::string detail) {
    SaslAuthenticateOutcome out;
    out.error = SaslError::illegal_state;
    out.error_message = "Unexpected SASL authentication request in this state";
    out.log_detail = std::move(detail);
    out.close_connection = true;
    state_ = State::closed;
    return out;
}

SaslAuthenticateOutcome SaslServerSession::failure(std::string message, std::string detail,
                                                   Bytes challenge) {
    ++failed_attempts_;
    scram_.reset();
    SaslAuthenticateOutcome out;
    out.challenge = std::move(challenge);
    out.error = SaslError::authentication_failed;
    out.error_message = std::move(message);
    out.log_detail = std::move(detail);
    if (failed_attempts_ >= config_.failed_attempts_max) {
        out.close_connection = true;
        state_ = State::closed;
    } else {
        state_ = State::awaiting_handshake;
        mechanism_.reset();
    }
    return out;
}

SaslAuthenticateOutcome SaslServerSession::authenticate(ByteSpan token) {
    ASSERT(state_ != State::closed, "authenticate on a closed SASL session");
    switch (state_) {
        case State::awaiting_handshake:
            return illegal_state("SASL token before SaslHandshake");
        case State::authenticated:
            return illegal_state(
                "SASL token after authentication (re-authentication starts with a "
                "SaslHandshake)");
        case State::awaiting_token:
        case State::authenticating:
            break;
        case State::closed:
            UNREACHABLE("checked above");
    }
    ASSERT(mechanism_.has_value());
    if (token.size() > config_.token_bytes_max) {
        return failure("SASL token of " + std::to_string(token.size()) + " bytes exceeds " +
                           std::to_string(config_.token_bytes_max),
                       "oversized SASL token");
    }
    if (scram_mechanism_of(*mechanism_)) {
        return authenticate_scram(token);
    }
    return authenticate_plain(token);
}

SaslAuthenticateOutcome SaslServerSession::authenticate_plain(ByteSpan token) {
    ASSERT(state_ == State::awaiting_token && mechanism_ == SaslMechanism::plain);
    auto parsed = parse_plain_token(token);
    if (!parsed.ok()) {
        // The parse errors never quote the password: safe to send.
        return failure("Authentication failed: " + parsed.error(), "PLAIN: " + parsed.error());
    }
    user_attempted_ = parsed->username;
    if (!config_.plain_users.verify(parsed->username, parsed->password)) {
        // Kafka's message, the same for an unknown user and a wrong password.
        return failure("Authentication failed: Invalid username or password",
                       "PLAIN: bad credentials for '" + printable_text(parsed->username) + "'");
    }
    principal_ = std::move(parsed->username);
    state_ = State::authenticated;
    SaslAuthenticateOutcome out;
    out.complete = true;
    return out;
}

SaslAuthenticateOutcome SaslServerSession::authenticate_scram(ByteSpan token) {
    const ScramMechanism m = *scram_mechanism_of(*mechanism_);
    if (state_ == State::awaiting_token) {
        ASSERT(scram_ == nullptr);
        scram_ = std::make_unique<ScramServerExchange>(
            m, *config_.scram_credentials, config_.scram_fake, make_scram_nonce(random_));
        state_ = State::authenticating;
    }
    ASSERT(scram_ != nullptr && state_ == State::authenticating);
    ScramServerExchange::Step step = scram_->receive(as_chars(token));
    user_attempted_ = scram_->claimed_username();
    if (step.error) {
        const std::string mechanism_name(scram_mechanism_name(m));
        // Kafka's wording for bad credentials; for other failures the RFC reason, which says
        // nothing about the user.
        std::string message =
            *step.error == ScramError::invalid_proof
                ? "Authentication failed during authentication due to invalid credentials with "
                  "SASL mechanism " +
                      mechanism_name
                : "Authentication failed: " + mechanism_name + " " +
                      std::string(scram_error_value(*step.error));
        return failure(std::move(message), mechanism_name + ": " + step.detail,
                       to_bytes(step.message));
    }
    SaslAuthenticateOutcome out;
    out.challenge = to_bytes(step.message);
    if (step.done) {
        ASSERT(scram_->state() == ScramServerExchange::State::succeeded);
        principal_ = scram_->username();
        scram_.reset();
        state_ = State::authenticated;
        out.complete = true;
    }
    return out;
}

}  // namespace eddy::security
