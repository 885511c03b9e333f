// Client quota administration (KIP-546): AlterClientQuotas and DescribeClientQuotas, for
// `eddy quota`. See client.h.
#include <string>

#include "core/protocol/generated/alter_client_quotas.h"
#include "core/protocol/generated/describe_client_quotas.h"
#include "services/client/client.h"

namespace eddy::client {

namespace {

std::string entity_text(const std::vector<Client::QuotaEntityName>& entity) {
    std::string out;
    for (const auto& e : entity) {
        out += (out.empty() ? "" : ",") + e.type + "=" + e.name.value_or("<default>");
    }
    return out;
}

}  // namespace

Result<void, ClientError> Client::alter_client_quota(
    const std::vector<QuotaEntityName>& entity,
    const std::vector<std::pair<std::string, std::optional<double>>>& ops) {
    protocol::AlterClientQuotasRequest req;
    protocol::AlterClientQuotasRequest::EntryData entry;
    for (const auto& e : entity) {
        entry.entity_.push_back({e.type, e.name});
    }
    for (const auto& op : ops) {
        protocol::AlterClientQuotasRequest::OpData o;
        o.key_ = op.first;
        o.value_ = op.second.value_or(0.0);
        o.remove_ = !op.second.has_value();
        entry.ops_.push_back(std::move(o));
    }
    req.entries_.push_back(std::move(entry));
    req.validate_only_ = false;
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::AlterClientQuotasResponse>(req, d));
        for (const auto& r : resp.entries_) {
            if (r.error_code_ != error_code::none) {
                return fail(ClientError{r.error_code_, entity_text(entity) + ": " +
                                                           r.error_message_.value_or("")});
            }
        }
        return {};
    });
}

Result<std::vector<Client::QuotaEntry>, ClientError> Client::describe_client_quotas(
    const std::vector<QuotaEntityName>& filter, bool strict) {
    protocol::DescribeClientQuotasRequest req;
    for (const auto& f : filter) {
        protocol::DescribeClientQuotasRequest::ComponentData c;
        c.entity_type_ = f.type;
        c.match_type_ = f.name ? 0 : 1;  // exact name, or the default entity
        c.match_ = f.name;
        req.components_.push_back(std::move(c));
    }
    req.strict_ = strict;
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<QuotaEntry>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeClientQuotasResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
        }
        std::vector<QuotaEntry> out;
        for (const auto& e : resp.entries_.value_or(
                 std::vector<protocol::DescribeClientQuotasResponse::EntryData>{})) {
            QuotaEntry q;
            for (const auto& c : e.entity_) {
                q.entity.push_back({c.entity_type_, c.entity_name_});
            }
            for (const auto& v : e.values_) {
                q.values.emplace_back(v.key_, v.value_);
            }
            out.push_back(std::move(q));
        }
        return out;
    });
}

}  // namespace eddy::client
