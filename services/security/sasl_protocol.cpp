// SASL's Kafka error codes and responses. See sasl_protocol.h.
#include "services/security/sasl_protocol.h"

#include "core/protocol/error_codes.h"

namespace eddy::security {

int16_t sasl_error_code(SaslError e) {
    switch (e) {
        case SaslError::unsupported_mechanism:
            return kafka_error::unsupported_sasl_mechanism;
        case SaslError::illegal_state:
            return kafka_error::illegal_sasl_state;
        // Malformed and oversized tokens too: Kafka reports every failure of the mechanism
        // itself as SASL_AUTHENTICATION_FAILED.
        case SaslError::authentication_failed:
            return kafka_error::sasl_authentication_failed;
    }
    UNREACHABLE("SaslError out of range");
}

SaslTokenFraming sasl_framing_after_handshake(int16_t handshake_version) {
    ASSERT(handshake_version == 0 || handshake_version == 1, "SaslHandshake is v0-1");
    return handshake_version == 0 ? SaslTokenFraming::raw : SaslTokenFraming::sasl_authenticate;
}

protocol::SaslHandshakeResponse make_sasl_handshake_response(const SaslHandshakeOutcome& outcome) {
    protocol::SaslHandshakeResponse r;
    r.error_code_ = outcome.error ? sasl_error_code(*outcome.error) : kafka_error::none;
    r.mechanisms_ = outcome.enabled_mechanisms;
    return r;
}

protocol::SaslAuthenticateResponse make_sasl_authenticate_response(
    const SaslAuthenticateOutcome& outcome) {
    protocol::SaslAuthenticateResponse r;
    if (outcome.error) {
        r.error_code_ = sasl_error_code(*outcome.error);
        r.error_message_ = outcome.error_message;
    } else {
        r.error_code_ = kafka_error::none;
        r.error_message_ = std::nullopt;  // "null if there was no error"
    }
    r.auth_bytes_ = outcome.challenge;
    // 0: no session lifetime, the connection never has to re-authenticate. The broker sets it
    // when connections.max.reauth.ms is on (KIP-368; v1+ carries the field).
    r.session_lifetime_ms_ = 0;
    return r;
}

}  // namespace eddy::security
