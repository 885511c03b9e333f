// AdminServer: the node's HTTP admin API (admin.listener, default 127.0.0.1:9644), on
// services/http so it serves on real sockets and in the simulator alike.
//
//   GET /metrics     Prometheus text format (services/kafka/broker_metrics.h)
//   GET /v1/health   200 while the process answers at all (liveness)
//   GET /v1/ready    200 once the node serves (registered, unfenced, caught up), else 503
//   GET /v1/cluster  brokers, the active controller and the quorum, as JSON
//   GET /v1/config   the node's configuration, secrets masked, as JSON
//
// Everything is read-only; other methods get 405, other paths 404 (JSON bodies with "error").
// docs/operations.md documents the answers.
//
// Security (the broker's configuration, read at construction):
//  - admin.listener https://host:port serves TLS; the runtime wraps the bound listener
//    (start_admin_server's `tls`), built from the ssl.* keys overridden by admin.ssl.*.
//  - admin.authentication.method=BASIC asks for HTTP Basic credentials (basic_auth.h) on every
//    path except /v1/health and /v1/ready, which load balancers and Kubernetes probe without
//    credentials. The password is checked against the user's SCRAM credentials
//    (security::PasswordVerifier: cached, rate-limited). Missing or wrong: 401 with a
//    WWW-Authenticate challenge; malformed: 400; too many uncached checks: 429.
//  - with an authorizer (authorizer.class.name) and BASIC, the user User:<name> needs DESCRIBE on
//    the cluster, and DESCRIBE_CONFIGS on the cluster for /v1/config (as DescribeConfigs of a
//    broker asks); super.users pass. Refused: 403.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/env/env.h"
#include "services/config/config.h"
#include "services/http/http_server.h"
#include "services/kafka/broker.h"
#include "services/security/password_verifier.h"

namespace eddy::admin {

// The realm of the Basic challenge.
inline constexpr std::string_view basic_realm = "eddy";

// Wraps the bound admin listener in TLS (the runtime's; none in the simulator).
using TlsWrap = std::function<std::unique_ptr<Listener>(std::unique_ptr<Listener> plain)>;

class AdminServer {
public:
    AdminServer(Env& env, std::unique_ptr<Listener> listener, kafka::Broker& broker,
                http::HttpServerOptions options = {},
                security::PasswordVerifierOptions verifier = {});

    void start() { server_.start(); }
    // Suspends until every connection is closed.
    void stop() { server_.stop(); }
    Address local_address() const { return server_.local_address(); }

    // One request's answer (what the server sends; tests call it directly). `info.peer` is the
    // client's address (authorization's host). Suspends only to write the audit log.
    http::Response handle(const http::Request& request, const http::RequestInfo& info = {});

    // PBKDF2 runs of the Basic authentication so far (tests).
    uint64_t password_derivations() const { return verifier_.derivations(); }
    // "https" when start_admin_server wrapped the listener in TLS, else "http".
    const char* scheme() const { return tls_ ? "https" : "http"; }

private:
    friend Result<std::unique_ptr<AdminServer>, std::string> start_admin_server(
        Env& env, const config::BrokerConfig& config, kafka::Broker& broker,
        const TlsWrap& tls);

    // nullopt when the request may go on, else the refusal (401, 400, 429, 403).
    std::optional<http::Response> refuse(const http::Request& request,
                                         const http::RequestInfo& info);

    Env& env_;
    kafka::Broker& broker_;
    bool basic_ = false;  // admin.authentication.method=BASIC
    bool tls_ = false;
    security::PasswordVerifier verifier_;
    http::HttpServer server_;
};

// Binds admin.listener and starts the admin API for `broker`. Empty admin.listener: nullptr. A
// listener that cannot be bound is an error (one line) when admin.listener was set explicitly;
// with the default, a warning and no admin API, so several nodes can share a machine. An https
// listener without `tls` is an error too.
Result<std::unique_ptr<AdminServer>, std::string> start_admin_server(
    Env& env, const config::BrokerConfig& config, kafka::Broker& broker, const TlsWrap& tls = {});

}  // namespace eddy::admin
