// BrokerTls: the broker's TLS contexts and how they are wired into the Broker. See broker_tls.h.
#include "runtime/broker_tls.h"

#include "core/base/assert.h"

namespace eddy {

Result<std::unique_ptr<BrokerTls>, std::string> BrokerTls::create(const config::BrokerConfig& cfg) {
    std::unique_ptr<BrokerTls> out(new BrokerTls());
    for (const auto& l : cfg.listeners()) {
        if (!config::uses_tls(cfg.security_protocol(l.name))) {
            continue;
        }
        auto settings = tls::settings_from_kafka(cfg.listener_ssl(l.name));
        if (!settings.ok()) {
            return fail("listener " + l.name + ": " + settings.error());
        }
        auto ctx = tls::TlsContext::create(tls::Role::server, std::move(settings).value());
        if (!ctx.ok()) {
            return fail("listener " + l.name + ": " + ctx.error());
        }
        out->servers_.emplace(l.name, std::move(ctx).value());
    }
    const std::string inter = cfg.inter_broker_listener();
    if (!inter.empty() && config::uses_tls(cfg.security_protocol(inter))) {
        auto settings = tls::settings_from_kafka(cfg.listener_ssl(inter));
        ASSERT(settings.ok(), "the same settings parsed for the server side");
        auto ctx = tls::TlsContext::create(tls::Role::client, std::move(settings).value());
        if (!ctx.ok()) {
            return fail("inter-broker listener " + inter + " (as a client): " + ctx.error());
        }
        out->inter_broker_ = InterBroker{std::move(ctx).value(), nullptr};
    }
    return out;
}

void BrokerTls::wire(Env& env, Network& plain, kafka::BrokerOptions& options) {
    options.bind_listener =
        [this, &env, &plain](const config::Listener& l,
                             const Address& at) -> Result<std::unique_ptr<Listener>, std::string> {
        auto bound = plain.listen(at);
        if (!bound.ok()) {
            return fail(std::string(to_string(bound.error())));
        }
        const auto it = servers_.find(l.name);
        if (it == servers_.end()) {
            return std::move(bound).value();
        }
        tls::TlsListener::Options o;
        o.name = l.name;
        return std::unique_ptr<Listener>(
            std::make_unique<tls::TlsListener>(env, std::move(bound).value(), it->second, o));
    };
    if (inter_broker_) {
        inter_broker_->network = std::make_unique<tls::TlsNetwork>(
            env.scheduler.executor(), env.log, plain, inter_broker_->context);
        options.inter_broker_network = inter_broker_->network.get();
    }
}

}  // namespace eddy
