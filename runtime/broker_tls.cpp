// BrokerTls: the broker's TLS contexts and how they are wired into the Broker. See broker_tls.h.
#include "runtime/broker_tls.h"

#include "core/base/assert.h"
#include "services/admin/admin_listener.h"

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
    if (cfg.has_role("broker")) {
        const std::string inter = cfg.inter_broker_listener();
        if (!inter.empty()) {
            TRY_ASSIGN(out->inter_broker_, outbound(cfg, inter, "inter-broker listener"));
        }
    }
    const std::string& admin_listener = cfg.get("admin.listener");
    if (!admin_listener.empty()) {
        TRY_ASSIGN(const admin::AdminListenerSpec spec,
                   admin::parse_admin_listener(admin_listener));
        if (spec.tls) {
            auto settings = tls::settings_from_kafka(cfg.admin_ssl());
            if (!settings.ok()) {
                return fail("admin.listener " + admin_listener + ": " + settings.error());
            }
            auto ctx = tls::TlsContext::create(tls::Role::server, std::move(settings).value());
            if (!ctx.ok()) {
                return fail("admin.listener " + admin_listener + ": " + ctx.error());
            }
            out->admin_ = std::move(ctx).value();
        }
    }
    // load() resolved it (config::BrokerConfig::check_servable).
    auto controller = cfg.controller_client();
    ASSERT(controller.ok(), "load() checks the controller listener");
    TRY_ASSIGN(out->controller_, outbound(cfg, controller->listener, "controller listener"));
    return out;
}

Result<std::optional<BrokerTls::Outbound>, std::string> BrokerTls::outbound(
    const config::BrokerConfig& cfg, const std::string& listener, const char* what) {
    if (!config::uses_tls(cfg.security_protocol(listener))) {
        return std::optional<Outbound>();
    }
    const std::string where = std::string(what) + " " + listener + " (as a client): ";
    auto settings = tls::settings_from_kafka(cfg.listener_ssl(listener));
    if (!settings.ok()) {
        // A broker-only node does not serve the controller listener, so nothing checked these.
        return fail(where + settings.error());
    }
    auto ctx = tls::TlsContext::create(tls::Role::client, std::move(settings).value());
    if (!ctx.ok()) {
        return fail(where + ctx.error());
    }
    return std::optional<Outbound>(Outbound{std::move(ctx).value(), nullptr});
}

Network* BrokerTls::network_of(std::optional<Outbound>& o, Env& env, Network& plain) {
    if (!o) {
        return nullptr;
    }
    o->network =
        std::make_unique<tls::TlsNetwork>(env.scheduler.executor(), env.log, plain, o->context);
    return o->network.get();
}

admin::TlsWrap BrokerTls::admin_wrap(Env& env) const {
    if (!admin_) {
        return {};
    }
    return [&env, context = admin_](std::unique_ptr<Listener> plain) -> std::unique_ptr<Listener> {
        tls::TlsListener::Options o;
        o.name = "admin";
        return std::make_unique<tls::TlsListener>(env, std::move(plain), context, o);
    };
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
    options.inter_broker_network = network_of(inter_broker_, env, plain);
    options.controller_network = network_of(controller_, env, plain);
    if (controller_) {
        options.controller_client_identity = controller_->context->certificate_subject();
    }
}

}  // namespace eddy
