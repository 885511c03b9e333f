// QuotaManager: enforces the client quotas of the metadata image (security::ClientQuotas) on one
// broker, as Kafka's ClientQuotaManager does: Produce request bytes against producer_byte_rate,
// Fetch response bytes against consumer_byte_rate, and the time requests hold their connection
// against request_percentage — each per the sharing group Kafka's precedence picks
// (ClientQuotas::resolve). A client over its quota is not refused: its response carries
// throttle_time_ms and its connection is muted for that long (KIP-219; older request versions get
// the response that much later instead), so its rate converges on the quota.
//
// Each group has a token bucket (core/base/token_bucket.h) holding one window of the quota
// (quota.window.size.seconds) and forgiving debt older than the whole sample span
// (quota.window.num windows), which bounds any single throttle to that span, as Kafka's does.
// Buckets of groups that have been idle long enough to be full again are dropped once a minute,
// so client ids that come and go do not accumulate. Deterministic: ordered maps, times passed in.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include "core/base/time.h"
#include "core/base/token_bucket.h"
#include "core/protocol/generated/api_keys.h"
#include "services/security/client_quota.h"

namespace eddy::kafka {

struct QuotaManagerOptions {
    Duration window = Duration::seconds(1);  // quota.window.size.seconds
    int32_t windows = 11;                    // quota.window.num
};

class QuotaManager {
public:
    explicit QuotaManager(QuotaManagerOptions options = {}) : options_(options) {}

    // Charges `amount` (bytes; seconds for request_percentage) to the quota `key` that applies to
    // (user, client_id) in `quotas`; returns how long the client must now be throttled (zero when
    // within its quota or when no quota applies).
    Duration record(const security::ClientQuotas& quotas, security::QuotaKey key,
                    std::string_view user, std::string_view client_id, double amount, Instant now);
    // The throttle owed now without charging anything (zero when none applies).
    Duration owed(const security::ClientQuotas& quotas, security::QuotaKey key,
                  std::string_view user, std::string_view client_id, Instant now);

    // Whether any user/client quota could apply (so callers can skip measuring).
    static bool any(const security::ClientQuotas& quotas) { return !quotas.empty(); }
    size_t buckets() const { return buckets_.size(); }
    // Drops the groups whose buckets are full again (idle), at most once a minute unless
    // `now_anyway`. record() and owed() call it.
    void sweep(Instant now, bool now_anyway = false);
    Duration throttle_max() const { return options_.window * options_.windows; }

private:
    TokenBucket* bucket(const security::ClientQuotas& quotas, security::QuotaKey key,
                        std::string_view user, std::string_view client_id, Instant now);

    QuotaManagerOptions options_;
    std::map<std::pair<security::QuotaKey, security::QuotaEntity>, TokenBucket> buckets_;
    Instant last_sweep_;
};

// Units a quota value is enforced in: bytes/s as set; request_percentage as seconds of request
// time per second (100 = one second per second).
double quota_rate(security::QuotaKey key, double value);

}  // namespace eddy::kafka

namespace eddy::kafka {

// KIP-219: from these request versions on, a throttled client waits throttle_time_ms itself after
// the response, so the broker answers at once and mutes the connection; older versions expect the
// broker to hold the response back. APIs newer than KIP-219 always throttle themselves.
bool client_throttles_itself(protocol::ApiKey key, int16_t version);

}  // namespace eddy::kafka
