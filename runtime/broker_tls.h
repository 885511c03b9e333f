// BrokerTls: what `eddy broker` needs to serve its SSL listeners and to reach other nodes over
// TLS — one server TlsContext per listener whose security protocol runs over TLS (built from that
// listener's ssl.* settings: config::BrokerConfig::listener_ssl, i.e. the broker's ssl.* keys
// overridden by listener.name.<listener>.ssl.*), and a client TlsContext for each listener this
// node dials when it runs over TLS: the inter-broker listener (replica fetches) and the
// controller listener (the quorum, registration, heartbeats, forwarded requests). A dialled
// listener's keystore is this node's client certificate there, its truststore verifies the others.
// When admin.listener is https://…, a server context for the HTTP admin API too, from
// config::BrokerConfig::admin_ssl (the ssl.* keys overridden by admin.ssl.*).
//
// The contexts are built before anything else starts, so a missing or unreadable certificate is a
// one-line configuration error at start (exit status 2), never a listener that fails later.
// Afterwards they reload themselves when their files change (net-posix/tls_context.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/env/env.h"
#include "net-posix/tls_context.h"
#include "net-posix/tls_network.h"
#include "services/admin/admin_server.h"
#include "services/config/config.h"
#include "services/kafka/broker.h"

namespace eddy {

class BrokerTls {
public:
    // Builds every context the configuration asks for; none when no listener uses TLS. One line
    // naming the listener on failure.
    static Result<std::unique_ptr<BrokerTls>, std::string> create(const config::BrokerConfig& cfg);

    // Sets options.bind_listener (TLS listeners for the TLS listener names, plain ones for the
    // rest), options.inter_broker_network, options.controller_network and
    // options.controller_client_identity. `env` and this must outlive the broker.
    void wire(Env& env, Network& plain, kafka::BrokerOptions& options);

    // What admin::start_admin_server wraps an https admin listener with (a TlsListener named
    // "admin" on the admin context), or an empty function when admin.listener is not https.
    // `env` and this must outlive the admin server.
    admin::TlsWrap admin_wrap(Env& env) const;

    bool empty() const {
        return servers_.empty() && !inter_broker_.has_value() && !controller_.has_value() &&
               admin_ == nullptr;
    }

private:
    // A listener this node dials over TLS.
    struct Outbound {
        std::shared_ptr<tls::TlsContext> context;
        std::unique_ptr<tls::TlsNetwork> network;  // made by wire()
    };
    // The client context for dialling `listener` when it runs over TLS (nullopt when it does
    // not); `what` names it in the error line.
    static Result<std::optional<Outbound>, std::string> outbound(const config::BrokerConfig& cfg,
                                                                 const std::string& listener,
                                                                 const char* what);
    // Makes o's network (if o is set) and returns it, or null.
    static Network* network_of(std::optional<Outbound>& o, Env& env, Network& plain);

    std::map<std::string, std::shared_ptr<tls::TlsContext>> servers_;  // by listener name
    std::optional<Outbound> inter_broker_;
    std::optional<Outbound> controller_;
    std::shared_ptr<tls::TlsContext> admin_;  // admin.listener https://…
};

}  // namespace eddy
