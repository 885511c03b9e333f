// The broker's per-connection authentication: SASL listener settings, the principal of a
// connection, raw-token SASL (SaslHandshake v0). See connection_auth.h.
#include "services/kafka/connection_auth.h"

#include <algorithm>
#include <charconv>

#include "core/protocol/error_codes.h"
#include "services/kafka/broker.h"
#include "services/security/jaas_config.h"
#include "services/security/sasl_protocol.h"

namespace eddy::kafka {

namespace {

bool is_sasl(config::SecurityProtocol p) {
    return p == config::SecurityProtocol::sasl_plaintext || p == config::SecurityProtocol::sasl_ssl;
}

}  // namespace

Result<void, std::string> Broker::configure_sasl() {
    if (options_.sasl_random != nullptr) {
        sasl_random_ = options_.sasl_random;
    } else {
        sim_sasl_random_.emplace(env_.random);
        sasl_random_ = &*sim_sasl_random_;
    }
    sasl_session_max_ = config_.duration_ms("connections.max.reauth.ms");
    const auto& configured = config_.listeners();
    sasl_by_listener_.assign(configured.size(), nullptr);
    for (size_t index = 0; index < configured.size(); ++index) {
        const std::string& name = configured[index].name;
        if (!is_sasl(config_.security_protocol(name))) {
            continue;
        }
        const std::string where = "listener " + name + ": ";
        auto sc = std::make_shared<security::SaslServerConfig>();
        const std::string enabled = config_.listener_sasl(name, "sasl.enabled.mechanisms");
        auto mechanisms = security::parse_sasl_enabled_mechanisms(enabled);
        if (!mechanisms.ok()) {
            // Kafka's default is GSSAPI, which Eddy does not serve.
            return fail(where + mechanisms.error());
        }
        sc->enabled_mechanisms = std::move(mechanisms).value();
        for (const security::SaslMechanism m : sc->enabled_mechanisms) {
            if (m != security::SaslMechanism::plain) {
                continue;
            }
            const std::string jaas =
                config_.listener_sasl_jaas(name, security::sasl_mechanism_name(m));
            if (jaas.empty()) {
                return fail(where + "PLAIN is enabled but there is no JAAS line with its users (" +
                            "listener.name." + name + ".plain.sasl.jaas.config)");
            }
            auto entry = security::parse_jaas_entry(jaas);
            if (!entry.ok()) {
                return fail(where + "PLAIN sasl.jaas.config: " + entry.error());
            }
            auto users = security::PlainUserTable::from_jaas(*entry);
            if (!users.ok()) {
                return fail(where + "PLAIN sasl.jaas.config: " + users.error());
            }
            sc->plain_users = std::move(users).value();
        }
        sc->scram_credentials = &scram_credentials_;
        sc->scram_fake = security::make_scram_fake_credentials(*sasl_random_);
        // load() checked the value (per listener too) as a positive int32.
        const std::string receive_max = config_.listener_sasl(name, "sasl.server.max.receive.size");
        int64_t bytes = 0;
        std::from_chars(receive_max.data(), receive_max.data() + receive_max.size(), bytes);
        sc->token_bytes_max = static_cast<size_t>(std::max<int64_t>(bytes, 1));
        if (auto ok = security::validate_sasl_server_config(*sc); !ok.ok()) {
            return fail(where + ok.error());
        }
        sasl_by_listener_[index] = std::move(sc);
    }
    return {};
}

Result<void, std::string> Broker::configure_outbound() {
    ASSERT(sasl_random_ != nullptr, "configure_sasl() first: SCRAM logins draw nonces from it");
    // load() resolved both (check_servable); a failure here is still one line, not a crash.
    TRY_ASSIGN(const config::OutboundSecurity controller, config_.controller_client());
    if (controller.sasl) {
        controller_sasl_ = client::SaslCredentials{*controller.sasl, sasl_random_};
    }
    if (config_.has_role("broker")) {
        TRY_ASSIGN(const config::OutboundSecurity inter_broker, config_.inter_broker_client());
        if (inter_broker.sasl) {
            inter_broker_sasl_ = client::SaslCredentials{*inter_broker.sasl, sasl_random_};
        }
    }
    return {};
}

Result<security::KafkaPrincipal, std::string> Broker::local_controller_principal(size_t listener) {
    if (!listeners_[listener].sasl) {
        // PLAINTEXT: User:ANONYMOUS; SSL: this node's own certificate subject, mapped as the
        // listener maps every client's.
        return principal_of(listener, options_.controller_client_identity);
    }
    if (!controller_sasl_) {
        return fail("listener " + listeners_[listener].endpoint.listener +
                    " is SASL but this node has no login for the controller listener");
    }
    security::AuthenticatedSession session;
    session.protocol = security::SecurityProtocol::sasl_plaintext;
    session.sasl_authorization_id = controller_sasl_->username;
    return security::build_principal(session, ssl_mapper_);
}

ConnectionAuth* Broker::connection_auth(size_t listener, std::string_view client_host,
                                        const std::optional<std::string>& peer_identity,
                                        net::ConnectionControl* control,
                                        std::shared_ptr<ConnectionAuth>& local) {
    if (control != nullptr && control->state) {
        return static_cast<ConnectionAuth*>(control->state.get());
    }
    auto auth = std::make_shared<ConnectionAuth>();
    const BoundListener& bl = listeners_[listener];
    if (bl.sasl) {
        auth->sasl_config = bl.sasl;
        auth->sasl = std::make_unique<security::SaslServerSession>(*bl.sasl, *sasl_random_);
    } else {
        // PLAINTEXT or SSL: the certificate subject through the listener's
        // ssl.principal.mapping.rules (authorization.cpp).
        // A connection (not a lone frame) with a client certificate is an mTLS authentication.
        const bool audited = control != nullptr && peer_identity.has_value();
        auto principal = principal_of(listener, peer_identity);
        if (!principal.ok()) {
            env_.log.warn("closing a connection on listener %s: %s",
                          bl.endpoint.listener.c_str(), principal.error().c_str());
            if (audited) {
                audit_authentication(listener, client_host, "", "TLS", false, principal.error());
            }
            return nullptr;
        }
        auth->principal = std::move(principal).value();
        if (audited) {
            audit_authentication(listener, client_host, auth->principal->to_string(), "TLS", false,
                                 "");
        }
    }
    ConnectionAuth* out = auth.get();
    if (control != nullptr) {
        control->state = std::move(auth);
    } else {
        local = std::move(auth);
    }
    return out;
}

bool Broker::finish_sasl(ConnectionAuth& auth, int16_t authenticate_version,
                         net::ConnectionControl* control) {
    ASSERT(auth.sasl && auth.sasl->authenticated());
    security::AuthenticatedSession session;
    session.protocol = security::SecurityProtocol::sasl_plaintext;
    session.sasl_authorization_id = auth.sasl->principal();
    auto principal = security::build_principal(session, ssl_mapper_);
    ASSERT(principal.ok(), "a SASL session with an authorization id always has a principal");
    if (auth.principal && *auth.principal != *principal) {
        // KIP-368: Kafka's "Cannot change principals during re-authentication".
        ASSERT(auth.reauthenticating);
        return false;
    }
    auth.principal = std::move(principal).value();
    auth.raw_tokens = false;
    auth.reauthenticating = false;
    // KIP-368: only a client that was told the lifetime (SaslAuthenticate v1+) is held to it.
    if (sasl_session_max_ > Duration::zero() && authenticate_version >= 1) {
        auth.session_expiry = env_.clock.now() + sasl_session_max_;
    } else {
        auth.session_expiry.reset();
    }
    env_.tracer.event("sasl.authenticated", {{"principal", auth.principal->to_string()}});
    if (control != nullptr) {
        control->read = net::ReadMode{};  // the listener's ordinary limits from now on
    }
    return true;
}

void Broker::audit_authentication(size_t listener, std::string_view client,
                                  std::string_view principal, std::string_view mechanism,
                                  bool reauthentication, std::string_view error) {
    if (!audit_) {
        return;
    }
    audit_->record(AuthenticationEvent{principal, client, listeners_[listener].endpoint.listener,
                                       mechanism,
                                       reauthentication ? "REAUTHENTICATE" : "AUTHENTICATE",
                                       error.empty() ? "OK" : "FAILED", error});
}

void Broker::audit_sasl(const ConnectionAuth& auth, size_t listener, std::string_view client,
                        std::string_view mechanism, bool reauthentication, std::string_view error) {
    if (!audit_) {
        return;
    }
    ASSERT(auth.sasl);
    std::string principal;
    if (error.empty()) {
        ASSERT(auth.principal.has_value());
        principal = auth.principal->to_string();
    } else if (!auth.sasl->user_attempted().empty()) {
        principal = security::KafkaPrincipal{"User", auth.sasl->user_attempted()}.to_string();
    }
    audit_authentication(listener, client, principal, mechanism, reauthentication, error);
}

Result<std::optional<net::FrameParts>, net::HandlerError> Broker::handle_raw_sasl_token(
    ConnectionAuth& auth, size_t listener, MutableByteSpan frame, const std::string& client_host,
    net::ConnectionControl* control) {
    if (auth.sasl->state() == security::SaslServerSession::State::closed) {
        return fail(net::HandlerError::close_connection);  // the session already failed
    }
    const std::string_view mechanism = mechanism_of(*auth.sasl);
    auto outcome = auth.sasl->authenticate(ByteSpan(frame.data(), frame.size()));
    if (outcome.error) {
        // Raw tokens have no field for an error: the client learns by the connection closing.
        env_.log.info("SASL authentication failed (raw tokens) from %s: %s", client_host.c_str(),
                      outcome.log_detail.c_str());
        audit_sasl(auth, listener, client_host, mechanism, false, outcome.log_detail);
        (void)env_.scheduler.sleep_for(sasl_failure_delay);
        return fail(net::HandlerError::close_connection);
    }
    if (outcome.complete) {
        // Raw tokens only before the first authentication: never a re-authentication.
        const bool finished = finish_sasl(auth, -1, control);
        ASSERT(finished);
        audit_sasl(auth, listener, client_host, mechanism, false, "");
    }
    net::FrameParts parts(1);
    parts[0].bytes = std::move(outcome.challenge);
    return std::optional<net::FrameParts>(std::move(parts));
}

protocol::SaslHandshakeResponse Broker::handle_sasl_handshake(
    const RequestContext& ctx, const protocol::SaslHandshakeRequest& req) {
    (void)req;
    protocol::SaslHandshakeResponse resp;
    // Not a SASL listener, or already authenticated without connections.max.reauth.ms (with it,
    // handle_sasl_request takes the re-authentication, KIP-368).
    resp.error_code_ = kafka_error::illegal_sasl_state;
    if (const auto& sasl = listeners_[ctx.listener].sasl) {
        for (const security::SaslMechanism m : sasl->enabled_mechanisms) {
            resp.mechanisms_.emplace_back(security::sasl_mechanism_name(m));
        }
    }
    return resp;
}

protocol::SaslAuthenticateResponse Broker::handle_sasl_authenticate(
    const RequestContext& ctx, const protocol::SaslAuthenticateRequest& req) {
    (void)req;
    protocol::SaslAuthenticateResponse resp;
    resp.error_code_ = kafka_error::illegal_sasl_state;
    resp.error_message_ = listeners_[ctx.listener].sasl
                              ? "the connection has already authenticated"
                              : "SASL is not enabled on this listener";
    return resp;
}

}  // namespace eddy::kafka
