#include "services/admin/admin_server.h"

#include <charconv>

#include <nlohmann/json.hpp>

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

std::optional<Address> parse_host_port(const std::string& s) {
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::nullopt;
    }
    std::string host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string_view port = std::string_view(s).substr(colon + 1);
    uint16_t p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || host.empty()) {
        return std::nullopt;
    }
    return Address{host, p};
}

}  // namespace

AdminServer::AdminServer(Env& env, std::unique_ptr<Listener> listener,
                         const kafka::Broker& broker, http::HttpServerOptions options)
    : broker_(broker),
      server_(
          env, std::move(listener),
          [this](const http::Request& r, const http::RequestInfo&) { return handle(r); },
          std::move(options)) {}

http::Response AdminServer::handle(const http::Request& request) const {
    const std::string& path = request.path;
    const bool known = path == "/metrics" || path == "/v1/health" || path == "/v1/ready" ||
                       path == "/v1/cluster" || path == "/v1/config";
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
    Env& env, const config::BrokerConfig& config, const kafka::Broker& broker) {
    const std::string& spec = config.get("admin.listener");
    if (spec.empty()) {
        return std::unique_ptr<AdminServer>();
    }
    const auto at = parse_host_port(spec);
    if (!at) {
        return fail("admin.listener: '" + spec + "' is not host:port");
    }
    auto listener = env.network.listen(*at);
    if (!listener.ok()) {
        const std::string why = "admin.listener " + spec + ": " + to_string(listener.error());
        if (config.is_set("admin.listener")) {
            return fail(why);
        }
        env.log.warn("%s; the admin API is off (set admin.listener to another address)",
                     why.c_str());
        return std::unique_ptr<AdminServer>();
    }
    auto server = std::make_unique<AdminServer>(env, std::move(listener).value(), broker);
    server->start();
    return server;
}

}  // namespace eddy::admin
