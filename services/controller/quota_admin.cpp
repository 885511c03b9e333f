// AlterClientQuotas on the active controller (KIP-546), as Kafka's ClientQuotaControlManager
// checks it: each entry's entity must be one Kafka defines, each op's key must apply to that
// entity and its value be one the key can take, and no key may appear twice in an entry. Every
// error is INVALID_REQUEST for that entry alone; the valid entries' ClientQuotaRecords are
// committed together in one metadata entry (none under validate_only).
#include <set>

#include "services/controller/controller.h"

namespace eddy::controller {

namespace e = kafka_error;

protocol::AlterClientQuotasResponse Controller::alter_client_quotas(
    const protocol::AlterClientQuotasRequest& req) {
    using protocol::AlterClientQuotasResponse;
    LockGuard g(mutex_);
    const ApiError caught_up = catch_up();
    std::vector<ApiError> errors;
    std::vector<MetadataRecord> records;
    for (const auto& entry : req.entries_) {
        ClientQuotaChange base;
        std::vector<security::QuotaEntityInput> input;
        for (const auto& c : entry.entity_) {
            input.push_back({c.entity_type_, c.entity_name_
                                                 ? std::optional<std::string_view>(*c.entity_name_)
                                                 : std::nullopt});
        }
        ApiError err;
        if (auto bad = security::make_quota_entity(input, base.entity)) {
            err = ApiError::of(e::invalid_request, *bad);
        }
        std::vector<MetadataRecord> changes;
        std::set<security::QuotaKey> seen;
        for (const auto& op : entry.ops_) {
            if (!err.ok()) {
                break;
            }
            const auto key = security::quota_key_from_string(op.key_);
            if (!key) {
                err = ApiError::of(e::invalid_request,
                                   "Invalid configuration key " + protocol::echo(op.key_));
                break;
            }
            if (!seen.insert(*key).second) {
                err = ApiError::of(e::invalid_request,
                                   "Duplicate quota key " + std::string(security::to_string(*key)));
                break;
            }
            ClientQuotaChange change{base.entity, *key, std::nullopt};
            if (!op.remove_) {
                if (auto bad = security::quota_value_invalid(base.entity, *key, op.value_)) {
                    err = ApiError::of(e::invalid_request, *bad);
                    break;
                }
                change.value = op.value_;
            } else if (auto bad = security::quota_value_invalid(base.entity, *key, 1.0)) {
                err = ApiError::of(e::invalid_request, *bad);
                break;
            }
            const auto current = image().client_quotas().get(change.entity, change.key);
            if (current == change.value) {
                continue;  // nothing changes (a removal of an unset key, a value set again)
            }
            changes.emplace_back(client_quota_record(change));
        }
        if (err.ok() && !req.validate_only_) {
            records.insert(records.end(), changes.begin(), changes.end());
        }
        errors.push_back(err);
    }
    ApiError committed = caught_up;
    if (committed.ok() && !records.empty()) {
        committed = commit(records);
    }
    AlterClientQuotasResponse resp;
    for (size_t i = 0; i < req.entries_.size(); ++i) {
        AlterClientQuotasResponse::EntryData out;
        const ApiError& err = errors[i].ok() ? committed : errors[i];
        out.error_code_ = err.code;
        out.error_message_ = err.ok() ? std::nullopt : err.message;
        for (const auto& c : req.entries_[i].entity_) {
            AlterClientQuotasResponse::EntityData ent;
            ent.entity_type_ = c.entity_type_;
            ent.entity_name_ = c.entity_name_;
            out.entity_.push_back(std::move(ent));
        }
        resp.entries_.push_back(std::move(out));
    }
    return resp;
}

}  // namespace eddy::controller
