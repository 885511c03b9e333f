#include "services/kafka/quota_manager.h"

namespace eddy::kafka {

double quota_rate(security::QuotaKey key, double value) {
    return key == security::QuotaKey::request_percentage ? value / 100.0 : value;
}

TokenBucket* QuotaManager::bucket(const security::ClientQuotas& quotas, security::QuotaKey key,
                                  std::string_view user, std::string_view client_id,
                                  Instant now) {
    sweep(now);
    auto quota = quotas.resolve(key, user, client_id);
    if (!quota) {
        return nullptr;
    }
    const double rate = quota_rate(key, quota->value);
    const double window = static_cast<double>(options_.window.to_nanos()) / 1e9;
    const double burst = rate * window;
    const double debt_max = rate * window * options_.windows;
    auto id = std::make_pair(key, std::move(quota->bucket));
    auto it = buckets_.find(id);
    if (it == buckets_.end()) {
        it = buckets_.emplace(std::move(id), TokenBucket(rate, burst, debt_max, now)).first;
    } else if (it->second.rate() != rate) {
        it->second.reshape(rate, burst, debt_max, now);  // the quota was altered
    }
    return &it->second;
}

Duration QuotaManager::record(const security::ClientQuotas& quotas, security::QuotaKey key,
                              std::string_view user, std::string_view client_id, double amount,
                              Instant now) {
    TokenBucket* b = bucket(quotas, key, user, client_id, now);
    if (b == nullptr) {
        return Duration::zero();
    }
    const Duration wait = b->take(amount, now);
    ASSERT(wait >= Duration::zero() && wait <= throttle_max() + Duration::millis(1),
           "a throttle beyond the quota's sample span");
    return wait;
}

Duration QuotaManager::owed(const security::ClientQuotas& quotas, security::QuotaKey key,
                            std::string_view user, std::string_view client_id, Instant now) {
    TokenBucket* b = bucket(quotas, key, user, client_id, now);
    if (b == nullptr) {
        return Duration::zero();
    }
    b->refill(now);
    return b->wait();
}

void QuotaManager::sweep(Instant now, bool now_anyway) {
    if (!now_anyway && now - last_sweep_ < Duration::minutes(1)) {
        return;
    }
    last_sweep_ = now;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        it->second.refill(now);
        it = it->second.full() ? buckets_.erase(it) : std::next(it);
    }
}

bool client_throttles_itself(protocol::ApiKey key, int16_t version) {
    using protocol::ApiKey;
    // The first version whose response is sent before throttling (each response's JSON schema
    // says so: "Starting in version N, on quota violation, brokers send out responses before
    // throttling"). APIs not listed came after KIP-219: every version.
    struct Row {
        ApiKey key;
        int16_t first;
    };
    static constexpr Row rows[] = {
        {ApiKey::produce, 6},          {ApiKey::fetch, 8},
        {ApiKey::list_offsets, 3},     {ApiKey::metadata, 6},
        {ApiKey::offset_commit, 4},    {ApiKey::offset_fetch, 4},
        {ApiKey::find_coordinator, 2}, {ApiKey::join_group, 3},
        {ApiKey::heartbeat, 2},        {ApiKey::leave_group, 2},
        {ApiKey::sync_group, 2},       {ApiKey::describe_groups, 2},
        {ApiKey::list_groups, 2},      {ApiKey::api_versions, 2},
        {ApiKey::create_topics, 3},    {ApiKey::delete_topics, 2},
        {ApiKey::describe_configs, 2}, {ApiKey::delete_records, 1},
        {ApiKey::init_producer_id, 1}, {ApiKey::add_partitions_to_txn, 1},
        {ApiKey::add_offsets_to_txn, 1}, {ApiKey::end_txn, 1},
        {ApiKey::txn_offset_commit, 1}, {ApiKey::describe_acls, 1},
        {ApiKey::create_acls, 1},      {ApiKey::delete_acls, 1},
        {ApiKey::alter_configs, 1},    {ApiKey::alter_replica_log_dirs, 1},
        {ApiKey::describe_log_dirs, 1}, {ApiKey::create_partitions, 1},
        {ApiKey::create_delegation_token, 1}, {ApiKey::renew_delegation_token, 1},
        {ApiKey::expire_delegation_token, 1}, {ApiKey::describe_delegation_token, 1},
        {ApiKey::delete_groups, 1},
    };
    for (const Row& r : rows) {
        if (r.key == key) {
            return version >= r.first;
        }
    }
    return true;
}

}  // namespace eddy::kafka
