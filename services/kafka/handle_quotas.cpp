// Client quotas (KIP-546): AlterClientQuotas is forwarded to the active controller, which commits
// ClientQuotaRecords (controller/quota_admin.cpp); DescribeClientQuotas is answered from this
// node's image. Kafka asks ALTER_CONFIGS / DESCRIBE_CONFIGS on the cluster for them
// (security::api_acl_rule). Enforcement: quota_manager.h.
#include "core/env/faults.h"
#include "services/kafka/broker.h"
#include "services/kafka/errors.h"
#include "services/kafka/forwarding.h"

namespace eddy::kafka {

using protocol::AlterClientQuotasRequest;
using protocol::AlterClientQuotasResponse;
using protocol::DescribeClientQuotasRequest;
using protocol::DescribeClientQuotasResponse;

AlterClientQuotasResponse Broker::handle_alter_client_quotas(const RequestContext& ctx,
                                                             const AlterClientQuotasRequest& req) {
    AlterClientQuotasResponse resp;
    if (ctx.listener_kind == ListenerKind::client &&
        !allowed_on_cluster(ctx, security::AclOperation::alter_configs)) {
        return error_response(req, error::cluster_authorization_failed,
                              "Cluster authorization failed.");
    }
    if (ctx.listener_kind == ListenerKind::client) {
        resp = forward<AlterClientQuotasResponse>(*controller_channel_, req, admin_timeout);
    } else {
        resp = controller_->alter_client_quotas(req);
    }
    if (!req.validate_only_) {
        for (const auto& entry : resp.entries_) {
            std::string entity;
            for (const auto& c : entry.entity_) {
                entity += (entity.empty() ? "" : ",") + protocol::echo(c.entity_type_) + "=" +
                          (c.entity_name_ ? protocol::echo(*c.entity_name_) : "<default>");
            }
            audit_admin(ctx, "CLIENT_QUOTA", entity, entry.error_code_);
        }
    }
    return resp;
}

DescribeClientQuotasResponse Broker::handle_describe_client_quotas(
    const RequestContext& ctx, const DescribeClientQuotasRequest& req) {
    DescribeClientQuotasResponse resp;
    resp.error_message_ = std::nullopt;
    if (!allowed_on_cluster(ctx, security::AclOperation::describe_configs)) {
        resp.error_code_ = error::cluster_authorization_failed;
        resp.entries_ = std::nullopt;
        return resp;
    }
    std::vector<security::QuotaFilterInput> input;
    for (const auto& c : req.components_) {
        input.push_back({c.entity_type_, c.match_type_,
                         c.match_ ? std::optional<std::string_view>(*c.match_) : std::nullopt});
    }
    security::QuotaFilter filter;
    if (auto bad = security::make_quota_filter(input, req.strict_, filter)) {
        resp.error_code_ = error::invalid_request;
        resp.error_message_ = *bad;
        resp.entries_ = std::nullopt;
        return resp;
    }
    resp.error_code_ = error::none;
    std::vector<DescribeClientQuotasResponse::EntryData> entries;
    for (const auto& [entity, values] : controller_->image().client_quotas().entries()) {
        if (!filter.matches(entity)) {
            continue;
        }
        DescribeClientQuotasResponse::EntryData out;
        for (const auto& p : entity.parts) {
            out.entity_.push_back({std::string(security::to_string(p.type)), p.name});
        }
        for (const auto& [key, value] : values) {
            out.values_.push_back({std::string(security::to_string(key)), value});
        }
        entries.push_back(std::move(out));
    }
    resp.entries_ = std::move(entries);
    return resp;
}

namespace {

// Requests outside client quotas: what nodes send each other on the controller listener, and the
// SASL exchange (there is no authenticated user to charge yet).
bool quota_exempt(const RequestContext& ctx) {
    return ctx.listener_kind == ListenerKind::controller ||
           ctx.key == protocol::ApiKey::sasl_handshake ||
           ctx.key == protocol::ApiKey::sasl_authenticate;
}

std::string_view client_id_of(const RequestContext& ctx) {
    return ctx.header.client_id_ ? std::string_view(*ctx.header.client_id_) : std::string_view();
}

}  // namespace

Duration Broker::quota_throttle(const RequestContext& ctx, security::QuotaKey bytes_key,
                                double bytes) {
    const auto& quotas = controller_->image().client_quotas();
    if (quota_exempt(ctx) || !QuotaManager::any(quotas)) {
        return Duration::zero();
    }
    const Instant now = env_.scheduler.now();
    if (BUGGIFY(env_)) {
        quotas_.sweep(now, true);  // forget idle groups early: they must behave as new ones
    }
    const Duration by_bytes = quotas_.record(quotas, bytes_key, ctx.principal.name,
                                             client_id_of(ctx), bytes, now);
    return std::max(by_bytes, quota_throttle(ctx));
}

bool Broker::admit_mutations(const RequestContext& ctx, double partitions) {
    const auto& quotas = controller_->image().client_quotas();
    if (quota_exempt(ctx) || !QuotaManager::any(quotas)) {
        return true;
    }
    using protocol::ApiKey;
    const bool strict = (ctx.key == ApiKey::create_topics && ctx.version >= 6) ||
                        (ctx.key == ApiKey::create_partitions && ctx.version >= 3) ||
                        (ctx.key == ApiKey::delete_topics && ctx.version >= 5);
    const Instant now = env_.scheduler.now();
    const auto key = security::QuotaKey::controller_mutation_rate;
    if (strict) {
        const Duration owed = quotas_.owed(quotas, key, ctx.principal.name, client_id_of(ctx), now);
        if (owed > Duration::zero()) {
            ctx.mutation_throttle = std::max(ctx.mutation_throttle, owed);
            return false;
        }
    }
    ctx.mutation_throttle = std::max(
        ctx.mutation_throttle,
        quotas_.record(quotas, key, ctx.principal.name, client_id_of(ctx), partitions, now));
    return true;
}

Duration Broker::quota_throttle(const RequestContext& ctx) {
    const auto& quotas = controller_->image().client_quotas();
    if (quota_exempt(ctx) || !QuotaManager::any(quotas)) {
        return ctx.mutation_throttle;
    }
    const Instant now = env_.scheduler.now();
    const Duration busy = ctx.turn_released_at.value_or(now) - ctx.started;
    return std::max(
        ctx.mutation_throttle,
        quotas_.record(quotas, security::QuotaKey::request_percentage, ctx.principal.name,
                       client_id_of(ctx),
                       static_cast<double>(std::max(busy, Duration::zero()).to_nanos()) / 1e9,
                       now));
}

void Broker::wait_quota(const RequestContext& ctx, std::optional<security::QuotaKey> bytes_key) {
    const auto& quotas = controller_->image().client_quotas();
    if (quota_exempt(ctx) || !QuotaManager::any(quotas) || options_.quota_ignores_throttle) {
        return;
    }
    const Instant now = env_.scheduler.now();
    Duration owed = quotas_.owed(quotas, security::QuotaKey::request_percentage,
                                 ctx.principal.name, client_id_of(ctx), now);
    if (bytes_key) {
        owed = std::max(owed, quotas_.owed(quotas, *bytes_key, ctx.principal.name,
                                           client_id_of(ctx), now));
    }
    if (owed > Duration::zero()) {
        (void)env_.scheduler.sleep_for(owed);
    }
    ctx.started = env_.scheduler.now();  // waiting is not request time
}

std::optional<std::string> Broker::storage_quota_refusal(const std::string& topic,
                                                         const log::PartitionLog& log) {
    const auto quota = log.config().storage_quota_bytes;
    if (!quota) {
        return std::nullopt;
    }
    uint64_t held = 0;
    if (const auto* t = controller_->image().topic(topic)) {
        for (const auto& entry : t->partitions) {
            if (auto l = partition_log(topic, entry.first)) {
                held += l->size_bytes();
            }
        }
    }
    if (held < *quota) {
        return std::nullopt;
    }
    return "topic " + topic + " holds " + std::to_string(held) +
           " bytes on this broker, at its storage.quota.bytes of " + std::to_string(*quota);
}

void Broker::mute(const RequestContext& ctx, Duration throttle, net::ConnectionControl* control) {
    (void)ctx;
    if (throttle > Duration::zero() && control != nullptr && !options_.quota_ignores_throttle) {
        control->muted_until = std::max(control->muted_until, env_.scheduler.now() + throttle);
    }
}

}  // namespace eddy::kafka
