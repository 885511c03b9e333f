// BrokerConnection: one TCP connection from the client to one broker, speaking Kafka's framing
// (int32 size, request header, body). Opening it negotiates API versions (ApiVersions, KIP-511);
// call() then encodes a request in the negotiated version, sends it and decodes the response.
//
// One request at a time per connection (a fiber Mutex serialises callers), so responses cannot
// arrive out of order. Every wait has a deadline: when it passes, a timer closes the socket, the
// call fails with REQUEST_TIMED_OUT and the connection is marked broken (a late response would
// otherwise be read as the answer to the next request). A broken connection is never reused; the
// Client opens a new one.
//
// Responses are untrusted: the frame size is checked against limits::response_bytes_max before
// anything is allocated, and the codecs check every length inside.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/message_header.h"
#include "services/client/kafka_error.h"
#include "services/client/versions.h"
#include "services/security/sasl_config.h"
#include "services/security/sasl_random.h"

namespace eddy::client {

// A client's SASL identity (security.protocol SASL_PLAINTEXT / SASL_SSL): after ApiVersions the
// connection sends SaslHandshake v1 and the mechanism's tokens in SaslAuthenticate requests.
// The same login brokers use to reach each other (security::SaslLogin), plus a random source.
struct SaslCredentials : security::SaslLogin {
    // SCRAM client nonces; must outlive the connection's open(). Required for SCRAM. Production
    // passes a cryptographic source (runtime/sasl_random_openssl.h).
    security::SaslRandom* random = nullptr;
};

namespace limits {
// Largest response frame accepted. Fetches ask for far less (FetchOptions::max_bytes).
inline constexpr size_t response_bytes_max = 256 * 1024 * 1024;
}  // namespace limits

class BrokerConnection {
public:
    // Connects, negotiates versions and, with `sasl`, authenticates. Suspends. Errors:
    // NETWORK_EXCEPTION (refused, reset), REQUEST_TIMED_OUT, CORRUPT_MESSAGE (an ApiVersions
    // answer that does not decode), SASL_AUTHENTICATION_FAILED / UNSUPPORTED_SASL_MECHANISM /
    // ILLEGAL_SASL_STATE from the broker (or SASL_AUTHENTICATION_FAILED when the broker's SCRAM
    // answers do not check out).
    static Result<std::unique_ptr<BrokerConnection>, ClientError> open(
        Env& env, const Address& address, const std::string& client_id, Instant deadline,
        const SaslCredentials* sasl = nullptr);
    ~BrokerConnection();
    BrokerConnection(const BrokerConnection&) = delete;
    BrokerConnection& operator=(const BrokerConnection&) = delete;

    // Sends `request` in the negotiated version of its API and returns the decoded response.
    // Suspends. Errors: UNSUPPORTED_VERSION (no common version), NETWORK_EXCEPTION,
    // REQUEST_TIMED_OUT, CORRUPT_MESSAGE. Kafka errors inside the response are data, not errors.
    template <typename Resp, typename Req>
    Result<Resp, ClientError> call(const Req& request, Instant deadline) {
        TRY_ASSIGN(const int16_t v, version_of(Req::api_key));
        Bytes body;
        protocol::Writer w(body);
        request.encode(w, v);
        TRY_ASSIGN(Bytes response, roundtrip(Req::api_key, v, body, deadline, true));
        return decode_body<Resp>(response, Req::api_key, v);
    }

    // Sends a request that gets no response (Produce with acks=0). Suspends until written.
    template <typename Req>
    Result<void, ClientError> send_only(const Req& request, Instant deadline) {
        TRY_ASSIGN(const int16_t v, version_of(Req::api_key));
        Bytes body;
        protocol::Writer w(body);
        request.encode(w, v);
        TRY_VOID(roundtrip(Req::api_key, v, body, deadline, false));
        return {};
    }

    const VersionTable& versions() const { return versions_; }
    Result<int16_t, ClientError> version_of(protocol::ApiKey key) const;
    bool broken() const { return broken_; }
    const Address& address() const { return address_; }

private:
    BrokerConnection(Env& env, std::unique_ptr<Connection> conn, Address address,
                     std::string client_id);

    // Frames and sends one request; with expect_response, reads the response frame, checks that
    // it starts with our correlation id and returns it whole (header included).
    Result<Bytes, ClientError> roundtrip(protocol::ApiKey key, int16_t version, const Bytes& body,
                                         Instant deadline, bool expect_response);
    Result<void, ClientError> negotiate(Instant deadline);
    Result<void, ClientError> authenticate(const SaslCredentials& sasl, Instant deadline);
    // One SaslAuthenticate round: sends `token`, returns the broker's bytes or its error.
    Result<Bytes, ClientError> sasl_round(ByteSpan token, Instant deadline);
    ClientError net_error(NetError e, const char* what);

    template <typename Resp>
    Result<Resp, ClientError> decode_body(const Bytes& response, protocol::ApiKey key, int16_t v) {
        protocol::Reader r(response);
        auto header = protocol::decode_response_header(r, key, v);
        if (!header.ok()) {
            return fail(corrupt(key, header.error()));
        }
        auto decoded = Resp::decode(r, v);
        if (!decoded.ok()) {
            return fail(corrupt(key, decoded.error()));
        }
        return std::move(decoded).value();
    }
    ClientError corrupt(protocol::ApiKey key, protocol::DecodeError e);

    Env& env_;
    std::unique_ptr<Connection> conn_;
    Address address_;
    std::string client_id_;
    Mutex mutex_;
    int32_t next_correlation_id_ = 1;
    VersionTable versions_;
    bool broken_ = false;
    bool timed_out_ = false;
};

}  // namespace eddy::client
