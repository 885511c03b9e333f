#include "services/admin/admin_server.h"

#include <nlohmann/json.hpp>

#include "core/protocol/wire.h"
#include "services/admin/admin_listener.h"
#include "services/admin/basic_auth.h"
#include "services/metrics/exposition.h"

namespace eddy::admin {

namespace {

using nlohmann::json;

http::Response json_response(int status, const json& body) {
    // Strings from clients (group ids, topic names) may hold any bytes: replace what is not UTF-8
    // rather than throw.
    return http::Response::json(status, body.dump(2, ' ', false, json::error_handler_t::replace) +
                                            "\n");
}

http::Response error(int status, const std::string& message) {
    return json_response(status, json{{"error", message}});
}

json cluster_json(const kafka::Broker& broker) {
    json out;
    out["cluster_id"] = broker.cluster_id();
    out["node_id"] = broker.node_id();
    json quorum;
    if (const auto* q = broker.quorum_driver()) {
        if (q->leader()) {
            quorum["leader"] = q->leader()->value();
        } else {
            quorum["leader"] = nullptr;
        }
        quorum["epoch"] = q->epoch();
        quorum["high_watermark"] = q->high_watermark();
        json voters = json::array();
        for (const auto& v : q->config().voters) {
            voters.push_back(v.value());
        }
        quorum["voters"] = voters;
        quorum["this_node_leads"] = q->is_leader();
    }
    out["controller"] = quorum;
    json brokers = json::array();
    if (const auto* image = broker.metadata_image()) {
        for (const auto& [id, b] : image->brokers()) {
            json endpoints = json::array();
            for (const auto& e : b.endpoints) {
                endpoints.push_back(
                    json{{"listener", e.name}, {"host", e.host}, {"port", e.port}});
            }
            json one{{"id", id},
                     {"epoch", b.epoch},
                     {"fenced", b.fenced},
                     {"in_controlled_shutdown", b.in_controlled_shutdown},
                     {"endpoints", endpoints}};
            if (b.rack) {
                one["rack"] = *b.rack;
            }
            brokers.push_back(std::move(one));
        }
        int64_t partitions = 0;
        int64_t offline = 0;
        for (const auto& [name, t] : image->topics()) {
            (void)name;
            for (const auto& [index, p] : t.partitions) {
                (void)index;
                ++partitions;
                offline += p.leader == controller::no_leader ? 1 : 0;
            }
        }
        out["topics"] = image->topics().size();
        out["partitions"] = partitions;
        out["offline_partitions"] = offline;
    }
    out["brokers"] = brokers;
    return out;
}

json config_json(const config::BrokerConfig& config) {
    json out = json::object();
    for (const auto& [key, value] : config.values()) {
        out[key] = config::is_sensitive(key) && !value.empty() ? "[hidden]" : value;
    }
    return out;
}

}  // namespace

AdminServer::AdminServer(Env& env, std::unique_ptr<Listener> listener, kafka::Broker& broker,
                         http::HttpServerOptions options,
                         security::PasswordVerifierOptions verifier)
    : env_(env),
      broker_(broker),
      basic_(broker.config().get("admin.authentication.method") == "BASIC"),
      verifier_(verifier),
      server_(
          env, std::move(listener),
          [this](const http::Request& r, const http::RequestInfo& info) { return handle(r, info); },
          std::move(options)) {}

std::optional<http::Response> AdminServer::refuse(const http::Request& request,
                                                  const http::RequestInfo& info) {
    if (!basic_) {
        return std::nullopt;
    }
    const auto challenge = [](http::Response r) {
        r.headers.emplace_back("WWW-Authenticate", basic_challenge(basic_realm));
        return r;
    };
    const auto header = request.header("Authorization");
    if (!header) {
        return challenge(error(401, "credentials required (HTTP Basic)"));
    }
    auto credentials = parse_basic_authorization(*header);
    if (!credentials.ok()) {
        // Not logged: these cost no password check, so nothing bounds their rate.
        const BasicAuthError e = credentials.error();
        switch (e) {
            case BasicAuthError::other_scheme:
                return challenge(error(401, "credentials required (HTTP Basic)"));
            case BasicAuthError::malformed:
            case BasicAuthError::too_long:
                return error(400, to_string(e));
        }
    }
    const std::string& user = credentials->user;
    switch (verifier_.verify(broker_.scram_credentials(), user, credentials->password,
                             env_.clock.now())) {
        case security::PasswordCheck::accepted:
            break;
        case security::PasswordCheck::rejected:
            env_.log.info("admin API: authentication failed for user '%s' from %s",
                          protocol::echo(user, 128).c_str(), info.peer.to_string().c_str());
            return challenge(error(401, "authentication failed"));
        case security::PasswordCheck::throttled: {
            // Too many checks the cache could not answer: no PBKDF2 now (docs/operations.md).
            auto r = error(429, "too many password checks; retry shortly");
            r.headers.emplace_back("Retry-After", "1");
            return r;
        }
    }
    const security::KafkaPrincipal principal{std::string(security::user_principal_type), user};
    const security::AclOperation op = request.path == "/v1/config"
                                          ? security::AclOperation::describe_configs
                                          : security::AclOperation::describe;
    if (!broker_.admin_api_allowed(principal, info.peer.host, op,
                                   "HTTP " + request.method + " " + request.path)) {
        return error(403, "not authorized: " + principal.to_string() + " needs " +
                              security::to_string(op) + " on the cluster");
    }
    return std::nullopt;
}

http::Response AdminServer::handle(const http::Request& request,
                                   const http::RequestInfo& info) {
    const std::string& path = request.path;
    // Probes carry no credentials: liveness and readiness are always open.
    const bool open = path == "/v1/health" || path == "/v1/ready";
    if (!open) {
        if (auto refused = refuse(request, info)) {
            return std::move(*refused);
        }
    }
    const bool known =
        open || path == "/metrics" || path == "/v1/cluster" || path == "/v1/config";
    if (!known) {
        return error(404, "no such resource; try /metrics, /v1/health, /v1/ready, /v1/cluster "
                          "or /v1/config");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        auto r = error(405, "the admin API is read-only: GET or HEAD");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    if (path == "/metrics") {
        metrics::Exposition out;
        broker_.collect_metrics(out);
        http::Response r = http::Response::text(200, out.take());
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return r;
    }
    if (path == "/v1/health") {
        return json_response(200, json{{"status", "live"}, {"node_id", broker_.node_id()}});
    }
    if (path == "/v1/ready") {
        const kafka::NodeStatus s = broker_.status();
        return json_response(s.ready ? 200 : 503,
                             json{{"ready", s.ready}, {"reason", s.reason},
                                  {"node_id", broker_.node_id()}});
    }
    if (path == "/v1/cluster") {
        return json_response(200, cluster_json(broker_));
    }
    return json_response(200, config_json(broker_.config()));
}

Result<std::unique_ptr<AdminServer>, std::string> start_admin_server(
    Env& env, const config::BrokerConfig& config, kafka::Broker& broker, const TlsWrap& tls) {
    const std::string& spec = config.get("admin.listener");
    if (spec.empty()) {
        return std::unique_ptr<AdminServer>();
    }
    TRY_ASSIGN(const AdminListenerSpec at, parse_admin_listener(spec));
    if (at.tls && !tls) {
        return fail("admin.listener " + spec + ": https, but TLS is not available here");
    }
    auto listener = env.network.listen(at.address);
    if (!listener.ok()) {
        const std::string why = "admin.listener " + spec + ": " + to_string(listener.error());
        if (config.is_set("admin.listener")) {
            return fail(why);
        }
        env.log.warn("%s; the admin API is off (set admin.listener to another address)",
                     why.c_str());
        return std::unique_ptr<AdminServer>();
    }
    std::unique_ptr<Listener> bound = std::move(listener).value();
    if (at.tls) {
        bound = tls(std::move(bound));
    }
    auto server = std::make_unique<AdminServer>(env, std::move(bound), broker);
    server->tls_ = at.tls;
    server->start();
    return server;
}

}  // namespace eddy::admin
