// The broker's authorization (docs/security.md, services/security/README.md "How the broker
// should call it"): the principal of each request, the StandardAuthorizer over the metadata
// image's ACLs with this broker's super.users, the decision helper every handler calls with the
// row of security::api_acl_rule for its API, and the ACL admin APIs (CreateAcls / DeleteAcls at
// the active controller, which appends the records; DescribeAcls from the local image).
//
// With authorizer.class.name empty nothing is checked (every request is allowed, as Kafka's
// AuthHelper answers without an authorizer) and the ACL APIs answer SECURITY_DISABLED.
#include <string>
#include <utility>

#include "services/kafka/broker.h"
#include "services/kafka/errors.h"
#include "services/kafka/forwarding.h"
#include "services/security/acl_admin.h"

namespace eddy::kafka {

using namespace protocol;

namespace {

// The names authorizer.class.name accepts for the one authorizer Eddy has.
bool is_standard_authorizer(std::string_view name) {
    return name == "org.apache.kafka.metadata.authorizer.StandardAuthorizer" ||
           name == "eddy.StandardAuthorizer";
}

security::SecurityProtocol security_protocol_of(config::SecurityProtocol p) {
    switch (p) {
        case config::SecurityProtocol::plaintext:
            return security::SecurityProtocol::plaintext;
        case config::SecurityProtocol::ssl:
            return security::SecurityProtocol::ssl;
        case config::SecurityProtocol::sasl_plaintext:
            return security::SecurityProtocol::sasl_plaintext;
        case config::SecurityProtocol::sasl_ssl:
            return security::SecurityProtocol::sasl_ssl;
    }
    return security::SecurityProtocol::plaintext;
}

}  // namespace

Result<void, std::string> Broker::configure_authorization() {
    const std::string& name = config_.get("authorizer.class.name");
    if (!name.empty() && !is_standard_authorizer(name)) {
        return fail("authorizer.class.name: '" + name +
                    "' is not an authorizer Eddy has (org.apache.kafka.metadata.authorizer."
                    "StandardAuthorizer or eddy.StandardAuthorizer; empty: none)");
    }
    authorization_enabled_ = !name.empty();
    auto supers = security::parse_super_users(config_.get("super.users"));
    if (!supers.ok()) {
        return fail("super.users: " + supers.error());
    }
    authorizer_config_.super_users = std::move(supers).value();
    authorizer_config_.allow_everyone_if_no_acl_found =
        config_.get_bool("allow.everyone.if.no.acl.found");
    principal_mappers_.clear();
    principal_cache_.clear();
    for (const auto& l : config_.listeners()) {
        const auto ssl = config_.listener_ssl(l.name);
        const auto it = ssl.find("ssl.principal.mapping.rules");
        auto mapper = security::SslPrincipalMapper::parse(
            it == ssl.end() ? std::string_view("DEFAULT") : std::string_view(it->second));
        if (!mapper.ok()) {
            return fail("ssl.principal.mapping.rules (listener " + l.name + "): " +
                        mapper.error());
        }
        principal_mappers_.push_back(std::move(mapper).value());
    }
    authorizer_source_.reset();
    audit_.reset();
    if (const std::string& file = config_.get("audit.log.file"); !file.empty()) {
        // Env's Disk is rooted at the data directory: the file must lie under it.
        if (file.front() == '/' || file.find("..") != std::string::npos) {
            return fail("audit.log.file: '" + file +
                        "' must be a path relative to the data directory, without '..'");
        }
        AuditLogOptions ao;
        ao.path = file;
        ao.max_bytes = static_cast<uint64_t>(config_.get_int("audit.log.max.bytes"));
        ao.max_files = static_cast<int32_t>(config_.get_int("audit.log.max.files"));
        ao.grants = config_.get_bool("audit.log.grants");
        audit_ = std::make_unique<AuditLog>(env_, std::move(ao));
    }
    // The nodes reach each other's controller listeners as this principal, which needs
    // CLUSTER_ACTION (or super.users) for the cluster to work: User:ANONYMOUS on PLAINTEXT, the
    // login's user on SASL (configure_outbound() ran first). An SSL certificate's principal
    // depends on the mapping rules; it is not guessed here.
    std::optional<security::KafkaPrincipal> node_principal;
    const auto controller_protocol = config_.controller_client();
    if (controller_sasl_) {
        node_principal = security::KafkaPrincipal{std::string(security::user_principal_type),
                                                  controller_sasl_->username};
    } else if (controller_protocol.ok() &&
               controller_protocol->protocol == config::SecurityProtocol::plaintext) {
        node_principal = security::anonymous_principal();
    }
    if (authorization_enabled_ && node_principal &&
        !authorizer_config_.super_users.contains(node_principal->to_string())) {
        env_.log.warn("authorizer enabled and %s is not in super.users: the controller listener "
                      "needs CLUSTER_ACTION on the cluster for %s (this node's principal there)",
                      node_principal->to_string().c_str(), node_principal->to_string().c_str());
    }
    return {};
}

Result<security::KafkaPrincipal, std::string> Broker::principal_of(
    size_t listener, const std::optional<std::string>& peer_identity) {
    ASSERT(listener < listeners_.size());
    security::AuthenticatedSession session;
    session.protocol = security_protocol_of(listeners_[listener].protocol);
    session.ssl_peer_subject = peer_identity;
    if (session.protocol == security::SecurityProtocol::sasl_plaintext ||
        session.protocol == security::SecurityProtocol::sasl_ssl) {
        // Not asked for a SASL listener: its connections' principal comes from their SASL
        // session (connection_auth.cpp), the local controller path's from this node's login.
        return security::anonymous_principal();
    }
    if (!peer_identity || listener >= principal_mappers_.size()) {
        return security::build_principal(session, security::SslPrincipalMapper());
    }
    // Mapping runs regexes: done once per (listener, subject), not on every request of a
    // connection. Bounded: cleared when full (a new subject is a new certificate, rare).
    const auto key = std::make_pair(listener, *peer_identity);
    if (auto it = principal_cache_.find(key); it != principal_cache_.end()) {
        return it->second;
    }
    auto built = security::build_principal(session, principal_mappers_[listener]);
    if (built.ok()) {
        if (principal_cache_.size() >= limits::principal_cache_max) {
            principal_cache_.clear();
        }
        principal_cache_.emplace(key, *built);
    }
    return built;
}

const security::Authorizer& Broker::authorizer() {
    const auto& source = controller_->image().acls_shared();
    if (source != authorizer_source_) {
        authorizer_source_ = source;
        authorizer_ = *source;
        authorizer_.set_config(authorizer_config_);
    }
    return authorizer_;
}

bool Broker::allowed(const RequestContext& ctx, security::AclOperation op,
                     security::ResourceType type, std::string_view name, bool filtering) {
    return allowed_as(ctx.principal, ctx.client_host, protocol::to_string(ctx.key), op, type,
                      name, filtering);
}

bool Broker::admin_api_allowed(const security::KafkaPrincipal& principal,
                               const std::string& host, security::AclOperation op,
                               std::string_view request) {
    if (authorization_enabled_ && !controller_) {
        return false;  // not started, or stopped: no ACLs to decide with
    }
    return allowed_as(principal, host, request, op, security::ResourceType::cluster,
                      security::cluster_resource_name, false);
}

bool Broker::allowed_as(const security::KafkaPrincipal& principal, const std::string& host,
                        std::string_view request, security::AclOperation op,
                        security::ResourceType type, std::string_view name, bool filtering) {
    if (!authorization_enabled_) {
        return true;
    }
    const auto result = authorizer().authorize(principal, host, op, type, name);
    const bool granted = result == security::AuthorizationResult::allowed;
    if (audit_ && !filtering && (!granted || audit_->grants())) {
        audit_->record(AuditEvent{principal.to_string(), host, request, security::to_string(type),
                                  name, security::to_string(op), granted ? "ALLOWED" : "DENIED"});
    }
    if (granted) {
        return true;
    }
    if (filtering) {
        return false;
    }
    env_.log.info("authorization denied: %s from %s: %s %s on %s '%s'",
                  principal.to_string().c_str(), host.c_str(),
                  protocol::echo(request).c_str(), security::to_string(op),
                  security::to_string(type), protocol::echo(name).c_str());
    return false;
}

namespace {

// "TOPIC:orders User:alice WRITE ALLOW": one ACL in an audit line.
template <typename Acl>
std::string acl_text(const Acl& a, const std::string& name) {
    return std::string(security::to_string(security::resource_type_from_code(a.resource_type_))) +
           ":" + name + " " + a.principal_ + " " +
           security::to_string(security::operation_from_code(a.operation_)) + " " +
           security::to_string(security::permission_type_from_code(a.permission_type_));
}

}  // namespace

void Broker::audit_admin(const RequestContext& ctx, std::string_view resource_type,
                         std::string_view resource, int16_t error_code) {
    if (!audit_) {
        return;
    }
    const std::string principal = ctx.principal.to_string();
    audit_->record(AuditEvent{principal, ctx.client_host, protocol::to_string(ctx.key),
                              resource_type, resource, "ADMIN",
                              error_code == error::none ? "OK" : error::error_name(error_code)});
}

int16_t Broker::config_resource_denied(const RequestContext& ctx, int8_t resource_type,
                                       std::string_view name, security::AclOperation op) {
    // Kafka's ConfigResource.Type: 2 TOPIC, 4 BROKER, 8 BROKER_LOGGER, 16 CLIENT_METRICS,
    // 32 GROUP. Unknown types are left to the handler (INVALID_REQUEST).
    constexpr int8_t topic = 2, broker = 4, broker_logger = 8, client_metrics = 16, group = 32;
    switch (resource_type) {
        case topic:
            return allowed(ctx, op, security::ResourceType::topic, name)
                       ? error::none
                       : error::topic_authorization_failed;
        case broker:
        case broker_logger:
        case client_metrics:
            return allowed_on_cluster(ctx, op) ? error::none
                                               : error::cluster_authorization_failed;
        case group:
            return allowed(ctx, op, security::ResourceType::group, name)
                       ? error::none
                       : error::group_authorization_failed;
        default:
            return error::none;
    }
}

CreateAclsResponse Broker::handle_create_acls(const RequestContext& ctx,
                                              const CreateAclsRequest& req) {
    if (!authorization_enabled_) {
        return security::create_acls_security_disabled(req);
    }
    if (ctx.listener_kind == ListenerKind::client) {
        if (!allowed_on_cluster(ctx, security::AclOperation::alter)) {
            return error_response(req, error::cluster_authorization_failed,
                                  "ALTER on the cluster is needed to create ACLs");
        }
        auto resp = forward<CreateAclsResponse>(*controller_channel_, req, admin_timeout);
        for (size_t i = 0; i < req.creations_.size() && i < resp.results_.size(); ++i) {
            const auto& c = req.creations_[i];
            audit_admin(ctx, "ACL", acl_text(c, c.resource_name_), resp.results_[i].error_code_);
        }
        // The client's next request here (a DescribeAcls, a produce) sees the new ACLs.
        await_image([&] {
            for (size_t i = 0; i < req.creations_.size() && i < resp.results_.size(); ++i) {
                auto b = security::binding_of(req.creations_[i]);
                if (resp.results_[i].error_code_ == error::none && b.ok() &&
                    !controller_->image().acls().id_of(*b)) {
                    return false;
                }
            }
            return true;
        });
        return resp;
    }
    return controller_->create_acls(req);
}

DeleteAclsResponse Broker::handle_delete_acls(const RequestContext& ctx,
                                              const DeleteAclsRequest& req) {
    if (!authorization_enabled_) {
        return security::delete_acls_security_disabled(req);
    }
    if (ctx.listener_kind == ListenerKind::client) {
        if (!allowed_on_cluster(ctx, security::AclOperation::alter)) {
            return error_response(req, error::cluster_authorization_failed,
                                  "ALTER on the cluster is needed to delete ACLs");
        }
        auto resp = forward<DeleteAclsResponse>(*controller_channel_, req, admin_timeout);
        for (const auto& r : resp.filter_results_) {
            if (r.error_code_ != error::none) {
                audit_admin(ctx, "ACL", "(filter)", r.error_code_);
            }
            for (const auto& m : r.matching_acls_) {
                audit_admin(ctx, "ACL", acl_text(m, m.resource_name_), m.error_code_);
            }
        }
        await_image([&] {
            for (size_t i = 0; i < req.filters_.size() && i < resp.filter_results_.size(); ++i) {
                if (resp.filter_results_[i].error_code_ == error::none &&
                    !controller_->image().acls().acls(security::filter_of(req.filters_[i])).empty()) {
                    return false;
                }
            }
            return true;
        });
        return resp;
    }
    return controller_->delete_acls(req);
}

DescribeAclsResponse Broker::handle_describe_acls(const RequestContext& ctx,
                                                  const DescribeAclsRequest& req) {
    if (!authorization_enabled_) {
        return security::describe_acls_security_disabled();
    }
    if (!allowed_on_cluster(ctx, security::AclOperation::describe)) {
        DescribeAclsResponse resp;
        resp.error_code_ = error::cluster_authorization_failed;
        resp.error_message_ = "DESCRIBE on the cluster is needed to describe ACLs";
        return resp;
    }
    return security::describe_acls(authorizer(), req);
}

}  // namespace eddy::kafka
