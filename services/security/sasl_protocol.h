// The Kafka protocol side of SASL: the one mapping from SaslError to Kafka error codes, and the
// SaslHandshake (v0-1) and SaslAuthenticate (v0-2) responses built from a session's outcomes.
// The broker's request loop (services/kafka) calls these; nothing here does I/O.
//
// Framing after the handshake (Kafka's KIP-43 / KIP-152 rules, and CLIENTS.md §6.3):
//   * SaslHandshake v1: tokens arrive inside SaslAuthenticate requests (librdkafka, kafkajs,
//     Java) and are answered with SaslAuthenticate responses;
//   * SaslHandshake v0: the next frames are raw tokens, a 4-byte big-endian length then the
//     token, with no request header (kafka-python sends SaslHandshake v0 as the connection's
//     first request, even before ApiVersions). Challenges go back the same way; a failure is
//     answered by closing the connection, since raw mode has no error field.
#pragma once

#include <cstdint>

#include "core/protocol/generated/sasl_authenticate.h"
#include "core/protocol/generated/sasl_handshake.h"
#include "services/security/sasl_server_session.h"

namespace eddy::security {

int16_t sasl_error_code(SaslError e);

enum class SaslTokenFraming : uint8_t {
    sasl_authenticate,  // tokens in SaslAuthenticate requests and responses
    raw,                // tokens as length-prefixed frames without Kafka headers
};
// How tokens travel after a SaslHandshake of this version (0 or 1; the decoder rejects others).
SaslTokenFraming sasl_framing_after_handshake(int16_t handshake_version);

protocol::SaslHandshakeResponse make_sasl_handshake_response(const SaslHandshakeOutcome& outcome);
protocol::SaslAuthenticateResponse make_sasl_authenticate_response(
    const SaslAuthenticateOutcome& outcome);

}  // namespace eddy::security
