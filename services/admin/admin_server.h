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
#pragma once

#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/env/env.h"
#include "services/config/config.h"
#include "services/http/http_server.h"
#include "services/kafka/broker.h"

namespace eddy::admin {

class AdminServer {
public:
    AdminServer(Env& env, std::unique_ptr<Listener> listener, const kafka::Broker& broker,
                http::HttpServerOptions options = {});

    void start() { server_.start(); }
    // Suspends until every connection is closed.
    void stop() { server_.stop(); }
    Address local_address() const { return server_.local_address(); }

    // One request's answer (what the server sends; tests and the fuzz target call it directly).
    // Does not suspend.
    http::Response handle(const http::Request& request) const;

private:
    const kafka::Broker& broker_;
    http::HttpServer server_;
};

// Binds admin.listener and starts the admin API for `broker`. Empty admin.listener: nullptr. A
// listener that cannot be bound is an error (one line) when admin.listener was set explicitly;
// with the default, a warning and no admin API, so several nodes can share a machine.
Result<std::unique_ptr<AdminServer>, std::string> start_admin_server(
    Env& env, const config::BrokerConfig& config, const kafka::Broker& broker);

}  // namespace eddy::admin
