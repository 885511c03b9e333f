// BrokerConnection: framing, deadlines and the ApiVersions handshake.
#include "services/client/broker_connection.h"

#include <string>
#include <utility>

#include "core/protocol/generated/api_versions.h"
#include "core/protocol/generated/sasl_authenticate.h"
#include "core/protocol/generated/sasl_handshake.h"
#include "services/security/scram_client.h"
#include "services/security/scram_encoding.h"

namespace eddy::client {

using protocol::ApiKey;

namespace {

// ApiVersions v3+ carries the client's software name and version (KIP-511); the broker checks
// them against [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?.
constexpr const char* software_name = "eddy-client";
constexpr const char* software_version = "0.1.0";

ClientError make_error(int16_t code, std::string message) {
    return ClientError{code, std::move(message)};
}

}  // namespace

BrokerConnection::BrokerConnection(Env& env, std::unique_ptr<Connection> conn, Address address,
                                   std::string client_id)
    : env_(env),
      conn_(std::move(conn)),
      address_(std::move(address)),
      client_id_(std::move(client_id)),
      mutex_(env.scheduler) {}

BrokerConnection::~BrokerConnection() {
    if (conn_ != nullptr) {
        conn_->close();
    }
}

Result<std::unique_ptr<BrokerConnection>, ClientError> BrokerConnection::open(
    Env& env, const Address& address, const std::string& client_id, Instant deadline,
    const SaslCredentials* sasl) {
    const Instant now = env.scheduler.now();
    if (now >= deadline) {
        return fail(make_error(error_code::request_timed_out,
                               "timed out connecting to " + address.to_string()));
    }
    auto conn = env.network.connect(address, deadline - now);
    if (!conn.ok()) {
        const NetError e = conn.error();
        const int16_t code = e == NetError::timed_out ? error_code::request_timed_out
                                                      : error_code::network_exception;
        return fail(make_error(code, "cannot connect to " + address.to_string() + ": " +
                                         to_string(e)));
    }
    std::unique_ptr<BrokerConnection> c(
        new BrokerConnection(env, std::move(conn).value(), address, client_id));
    TRY_VOID(c->negotiate(deadline));
    if (sasl != nullptr) {
        TRY_VOID(c->authenticate(*sasl, deadline));
    }
    return c;
}

Result<Bytes, ClientError> BrokerConnection::sasl_round(ByteSpan token, Instant deadline) {
    protocol::SaslAuthenticateRequest req;
    req.auth_bytes_.assign(token.begin(), token.end());
    TRY_ASSIGN(auto resp,
               (call<protocol::SaslAuthenticateResponse, protocol::SaslAuthenticateRequest>(
                   req, deadline)));
    if (resp.error_code_ != error_code::none) {
        broken_ = true;  // the broker closes the connection after a failure
        return fail(make_error(resp.error_code_, "SASL authentication with " +
                                                     address_.to_string() + " failed: " +
                                                     resp.error_message_.value_or("")));
    }
    return std::move(resp.auth_bytes_);
}

Result<void, ClientError> BrokerConnection::authenticate(const SaslCredentials& sasl,
                                                         Instant deadline) {
    protocol::SaslHandshakeRequest hs;
    hs.mechanism_ = std::string(security::sasl_mechanism_name(sasl.mechanism));
    TRY_ASSIGN(auto hs_resp,
               (call<protocol::SaslHandshakeResponse, protocol::SaslHandshakeRequest>(hs,
                                                                                      deadline)));
    if (hs_resp.error_code_ != error_code::none) {
        broken_ = true;
        std::string offered;
        for (const auto& m : hs_resp.mechanisms_) {
            offered += (offered.empty() ? "" : ",") + m;
        }
        return fail(make_error(hs_resp.error_code_, "broker " + address_.to_string() +
                                                        " refused SASL mechanism " +
                                                        hs.mechanism_ + " (offers " + offered +
                                                        ")"));
    }
    const auto scram = security::scram_mechanism_of(sasl.mechanism);
    if (!scram) {
        // PLAIN (RFC 4616): authzid (empty), NUL, authcid, NUL, password.
        std::string token;
        token.push_back('\0');
        token += sasl.username;
        token.push_back('\0');
        token += sasl.password;
        TRY_VOID(sasl_round(as_bytes(token), deadline));
        return {};
    }
    if (sasl.random == nullptr || sasl.username.empty()) {
        return fail(make_error(error_code::sasl_authentication_failed,
                               "SCRAM needs a user name and a random source"));
    }
    security::ScramClientExchange exchange(*scram, sasl.username, sasl.password,
                                           security::make_scram_nonce(*sasl.random));
    const std::string first = exchange.client_first();
    TRY_ASSIGN(Bytes server_first,
               sasl_round(as_bytes(first), deadline));
    auto final_message = exchange.receive_server_first(
        as_chars(server_first));
    if (!final_message.ok()) {
        broken_ = true;
        return fail(make_error(error_code::sasl_authentication_failed,
                               "SCRAM with " + address_.to_string() + ": " + final_message.error()));
    }
    TRY_ASSIGN(Bytes server_final,
               sasl_round(as_bytes(*final_message), deadline));
    auto verified = exchange.receive_server_final(
        as_chars(server_final));
    if (!verified.ok()) {
        broken_ = true;
        return fail(make_error(error_code::sasl_authentication_failed,
                               "SCRAM with " + address_.to_string() + ": " + verified.error()));
    }
    return {};
}

Result<int16_t, ClientError> BrokerConnection::version_of(ApiKey key) const {
    if (key == ApiKey::api_versions) {
        return int16_t{0};  // only used by negotiate(), which picks its own version
    }
    const auto v = versions_.version(key);
    if (!v) {
        return fail(make_error(error_code::unsupported_version,
                               std::string("broker ") + address_.to_string() +
                                   " supports no version of " + protocol::to_string(key) +
                                   " this client speaks"));
    }
    return *v;
}

Result<void, ClientError> BrokerConnection::negotiate(Instant deadline) {
    int16_t v = client_versions(ApiKey::api_versions)->max;
    for (int attempt = 0; attempt < 2; ++attempt) {
        protocol::ApiVersionsRequest req;
        req.client_software_name_ = software_name;
        req.client_software_version_ = software_version;
        Bytes body;
        protocol::Writer w(body);
        req.encode(w, v);
        TRY_ASSIGN(Bytes frame, roundtrip(ApiKey::api_versions, v, body, deadline, true));
        auto resp = decode_body<protocol::ApiVersionsResponse>(frame, ApiKey::api_versions, v);
        if (!resp.ok() || resp->error_code_ == error_code::unsupported_version) {
            // KIP-511: a broker that does not know our version answers in v0 and lists its own
            // ApiVersions range; retry with the highest version both know.
            auto v0 = decode_body<protocol::ApiVersionsResponse>(frame, ApiKey::api_versions, 0);
            if (!v0.ok()) {
                return fail(resp.ok() ? v0.error() : resp.error());
            }
            int16_t theirs = 0;
            for (const auto& k : v0->api_keys_) {
                if (k.api_key_ == static_cast<int16_t>(ApiKey::api_versions)) {
                    theirs = k.max_version_;
                }
            }
            if (attempt > 0 || theirs >= v) {
                return fail(make_error(error_code::unsupported_version,
                                       "broker " + address_.to_string() +
                                           " rejected every ApiVersions version"));
            }
            v = theirs;
            continue;
        }
        if (resp->error_code_ != error_code::none) {
            return fail(make_error(resp->error_code_, "ApiVersions failed"));
        }
        BrokerVersions broker;
        for (const auto& k : resp->api_keys_) {
            broker[k.api_key_] = VersionRange{k.min_version_, k.max_version_};
        }
        versions_ = VersionTable::negotiate(broker);
        return {};
    }
    return fail(make_error(error_code::unsupported_version, "ApiVersions negotiation failed"));
}

ClientError BrokerConnection::net_error(NetError e, const char* what) {
    broken_ = true;
    if (timed_out_) {
        return make_error(error_code::request_timed_out,
                          "request to " + address_.to_string() + " timed out");
    }
    return make_error(error_code::network_exception, std::string(what) + " " +
                                                         address_.to_string() + ": " +
                                                         to_string(e));
}

ClientError BrokerConnection::corrupt(ApiKey key, protocol::DecodeError e) {
    broken_ = true;
    return make_error(error_code::corrupt_message, std::string("cannot decode ") +
                                                       protocol::to_string(key) +
                                                       " response from " + address_.to_string() +
                                                       ": " + protocol::to_string(e));
}

Result<Bytes, ClientError> BrokerConnection::roundtrip(ApiKey key, int16_t version,
                                                       const Bytes& body, Instant deadline,
                                                       bool expect_response) {
    LockGuard guard(mutex_);
    if (broken_) {
        return fail(make_error(error_code::network_exception,
                               "connection to " + address_.to_string() + " is closed"));
    }
    if (env_.scheduler.now() >= deadline) {
        return fail(make_error(error_code::request_timed_out,
                               "request to " + address_.to_string() + " timed out"));
    }
    const int32_t correlation_id = next_correlation_id_++;
    if (next_correlation_id_ == INT32_MAX) {
        next_correlation_id_ = 1;
    }

    Bytes frame(4);
    protocol::Writer w(frame);
    protocol::RequestHeader header;
    header.request_api_key_ = static_cast<int16_t>(key);
    header.request_api_version_ = version;
    header.correlation_id_ = correlation_id;
    header.client_id_ = client_id_;
    protocol::encode_request_header(w, header);
    frame.insert(frame.end(), body.begin(), body.end());
    store_be<uint32_t>(frame.data(), static_cast<uint32_t>(frame.size() - 4));

    // The deadline closes the socket from a timer, which wakes whichever read or write waits.
    timed_out_ = false;
    auto& executor = env_.scheduler.executor();
    const auto timer = executor.call_at(deadline, [this] {
        timed_out_ = true;
        conn_->close();
    });
    struct CancelTimer {
        FiberExecutor& ex;
        FiberExecutor::TimerKey key;
        ~CancelTimer() { ex.cancel_timer(key); }
    } cancel{executor, timer};

    if (auto r = conn_->write_all(frame); !r.ok()) {
        return fail(net_error(r.error(), "cannot send to"));
    }
    if (!expect_response) {
        return Bytes{};
    }
    std::byte size_bytes[4];
    if (auto r = read_exact(*conn_, size_bytes); !r.ok()) {
        return fail(net_error(r.error(), "connection lost to"));
    }
    const auto size = static_cast<int32_t>(load_be<uint32_t>(size_bytes));
    if (size < 4 || static_cast<size_t>(size) > limits::response_bytes_max) {
        broken_ = true;
        conn_->close();
        return fail(make_error(error_code::corrupt_message,
                               "bad response frame size " + std::to_string(size) + " from " +
                                   address_.to_string()));
    }
    Bytes response(static_cast<size_t>(size));
    if (auto r = read_exact(*conn_, response); !r.ok()) {
        return fail(net_error(r.error(), "connection lost to"));
    }
    // Every response header version starts with the correlation id.
    const auto got = static_cast<int32_t>(load_be<uint32_t>(response.data()));
    if (got != correlation_id) {
        broken_ = true;
        conn_->close();
        return fail(make_error(error_code::corrupt_message,
                               "response from " + address_.to_string() +
                                   " has correlation id " + std::to_string(got) + ", expected " +
                                   std::to_string(correlation_id)));
    }
    return response;
}

}  // namespace eddy::client
