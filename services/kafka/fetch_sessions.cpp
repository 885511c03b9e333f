#include "services/kafka/fetch_sessions.h"

#include <set>
#include <tuple>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"
#include "core/protocol/fetch_metadata.h"

namespace eddy::kafka {

using protocol::FetchRequest;
using protocol::FetchResponse;
namespace fs = protocol::fetch_session;

namespace {

using Key = std::pair<std::string, int32_t>;

FetchSessionCache::Context session_error(int16_t error) {
    FetchSessionCache::Context ctx;
    ctx.kind = FetchSessionCache::Context::Kind::error;
    ctx.error = error;
    return ctx;
}

// What Kafka compares when it picks a session to evict: a consumer's before a follower's, then
// the smaller, then the lower id.
std::tuple<bool, size_t, int32_t> eviction_rank(const FetchSessionCache::Session& s) {
    return {s.privileged(), s.partitions.size(), s.id};
}

}  // namespace

bool must_respond(const CachedPartition& cached, const FetchResponse::PartitionData& pd) {
    return (pd.records_ && !pd.records_->empty()) || pd.error_code_ != kafka_error::none ||
           pd.diverging_epoch_.epoch_ >= 0 || pd.diverging_epoch_.end_offset_ >= 0 ||
           pd.preferred_read_replica_ >= 0 || cached.high_watermark != pd.high_watermark_ ||
           cached.last_stable_offset != pd.last_stable_offset_ ||
           cached.log_start_offset != pd.log_start_offset_;
}

void remember(CachedPartition& cached, const FetchResponse::PartitionData& pd) {
    // After an error the partition is carried again once the error is gone, whatever else it says.
    cached.high_watermark = pd.error_code_ == kafka_error::none ? pd.high_watermark_ : -1;
    cached.last_stable_offset = pd.last_stable_offset_;
    cached.log_start_offset = pd.log_start_offset_;
}

void FetchSessionCache::evict(int32_t id, int32_t replica_id) {
    if (auto it = sessions_.find(id); it != sessions_.end() && it->second.replica_id == replica_id) {
        remove(id);
    }
}

FetchSessionCache::Context FetchSessionCache::begin(const FetchRequest& req, Instant now) {
    Context ctx;
    if (fs::is_full(req.session_epoch_)) {
        // A full fetch closes the session it names (only the kind of fetcher that opened it can).
        if (auto it = sessions_.find(req.session_id_);
            it != sessions_.end() && it->second.replica_id == req.replica_id_) {
            remove(req.session_id_);
        }
        ctx.kind = req.session_epoch_ == fs::initial_epoch ? Context::Kind::full
                                                           : Context::Kind::sessionless;
        return ctx;
    }
    auto it = sessions_.find(req.session_id_);
    if (it == sessions_.end() || it->second.replica_id != req.replica_id_) {
        return session_error(kafka_error::fetch_session_id_not_found);
    }
    Session& s = it->second;
    if (s.epoch != req.session_epoch_) {
        return session_error(kafka_error::invalid_fetch_session_epoch);
    }
    // Each partition named counts once, at the place first named, with what it was given last
    // (Kafka reads the request into an ordered map).
    std::map<Key, const FetchRequest::FetchPartition*> named;
    std::vector<Key> order;
    for (const auto& ft : req.topics_) {
        for (const auto& fp : ft.partitions_) {
            auto [at, added] = named.insert_or_assign(Key{ft.topic_, fp.partition_}, &fp);
            if (added) {
                order.push_back(at->first);
            }
        }
    }
    std::set<Key> forgotten;
    for (const auto& ft : req.forgotten_topics_data_) {
        for (const int32_t p : ft.partitions_) {
            forgotten.insert(Key{ft.topic_, p});
        }
    }
    // The size the session would have, checked before anything changes.
    const size_t before = s.partitions.size();
    size_t after = before;
    for (const auto& k : order) {
        if (!s.index.contains(k)) {
            ++after;
        }
    }
    for (const auto& k : forgotten) {
        if (s.index.contains(k) || named.contains(k)) {
            --after;
        }
    }
    if (after > limits::fetch_session_partitions_max ||
        partitions_total_ - before + after > limits::fetch_session_cache_partitions_max) {
        remove(s.id);
        return session_error(kafka_error::fetch_session_id_not_found);
    }
    for (const auto& k : order) {
        const auto& fp = *named.at(k);
        if (auto c = s.index.find(k); c != s.index.end()) {
            c->second->fetch = fp;
        } else {
            s.partitions.push_back(CachedPartition{k.first, fp});
            s.index.emplace(k, std::prev(s.partitions.end()));
        }
    }
    for (const auto& k : forgotten) {
        if (auto c = s.index.find(k); c != s.index.end()) {
            s.partitions.erase(c->second);
            s.index.erase(c);
        }
    }
    ASSERT(s.partitions.size() == after);
    ASSERT(s.index.size() == after);
    partitions_total_ = partitions_total_ - before + after;
    ASSERT(partitions_total_ <= limits::fetch_session_cache_partitions_max);
    if (s.partitions.empty()) {
        // Nothing left to fetch in it: Kafka closes it and reads the request as sessionless.
        remove(s.id);
        return ctx;
    }
    s.epoch = fs::next_epoch(s.epoch);
    s.last_used = now;
    ctx.kind = Context::Kind::incremental;
    ctx.session_id = s.id;
    ctx.epoch = s.epoch;
    ctx.partitions.assign(s.partitions.begin(), s.partitions.end());
    return ctx;
}

int32_t FetchSessionCache::create(int32_t replica_id, std::vector<CachedPartition> partitions,
                                  size_t slots, Instant now) {
    const size_t n = partitions.size();
    if (n == 0 || n > limits::fetch_session_partitions_max) {
        return fs::invalid_session_id;
    }
    while (sessions_.size() >= slots) {
        if (slots == 0 || !evict_for(replica_id, n, now)) {
            return fs::invalid_session_id;
        }
    }
    if (partitions_total_ + n > limits::fetch_session_cache_partitions_max) {
        return fs::invalid_session_id;
    }
    int32_t id = fs::invalid_session_id;
    while (id == fs::invalid_session_id || sessions_.contains(id)) {
        id = static_cast<int32_t>(1 + random_.below(std::numeric_limits<int32_t>::max() - 1));
    }
    Session& s = sessions_[id];
    s.id = id;
    s.replica_id = replica_id;
    s.epoch = fs::next_epoch(fs::initial_epoch);
    s.created = now;
    s.last_used = now;
    for (auto& p : partitions) {
        Key k{p.topic, p.fetch.partition_};
        s.partitions.push_back(std::move(p));
        // The handler names each partition once (it answers a repeated one once).
        const bool fresh = s.index.emplace(std::move(k), std::prev(s.partitions.end())).second;
        ASSERT(fresh);
    }
    partitions_total_ += n;
    ASSERT(s.partitions.size() == n, "a new session holds what it was given");
    ASSERT(s.index.size() == n, "a new session holds what it was given");
    ASSERT(sessions_.size() <= slots, "the cache never holds more sessions than its slots");
    ASSERT(partitions_total_ <= limits::fetch_session_cache_partitions_max);
    return id;
}

bool FetchSessionCache::answered(const Context& ctx, const FetchResponse& resp) {
    ASSERT(ctx.kind == Context::Kind::incremental);
    auto it = sessions_.find(ctx.session_id);
    if (it == sessions_.end()) {
        return true;  // evicted meanwhile: the answer stands, the next request learns it is gone
    }
    Session& s = it->second;
    if (s.epoch != ctx.epoch) {
        return false;
    }
    ASSERT(s.index.size() == s.partitions.size(), "the index names every cached partition once");

    for (const auto& t : resp.responses_) {
        for (const auto& pd : t.partitions_) {
            if (auto c = s.index.find(Key{t.topic_, pd.partition_index_}); c != s.index.end()) {
                remember(*c->second, pd);
                s.partitions.splice(s.partitions.end(), s.partitions, c->second);
            }
        }
    }
    return true;
}

const FetchSessionCache::Session* FetchSessionCache::find(int32_t id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : &it->second;
}

void FetchSessionCache::remove(int32_t id) {
    auto it = sessions_.find(id);
    ASSERT(it != sessions_.end());
    ASSERT(partitions_total_ >= it->second.partitions.size());
    partitions_total_ -= it->second.partitions.size();
    sessions_.erase(it);
}

// As Kafka's FetchSessionCache.tryEvict: first the session unused longest, if it has been unused
// for fetch_session_eviction_idle; else the least valuable session the newcomer may evict — a
// follower's newcomer any consumer session or a follower session older than the idle time, a
// consumer's newcomer only sessions older than it — provided the newcomer is worth more (a
// follower's over a consumer's, then more partitions).
bool FetchSessionCache::evict_for(int32_t replica_id, size_t count, Instant now) {
    const Session* lru = nullptr;
    for (const auto& [id, s] : sessions_) {
        if (lru == nullptr || s.last_used < lru->last_used) {
            lru = &s;
        }
    }
    if (lru == nullptr) {
        return false;
    }
    if (now - lru->last_used > fetch_session_eviction_idle) {
        remove(lru->id);
        return true;
    }
    const bool privileged = replica_id >= 0;
    const Session* cheapest = nullptr;
    for (const auto& [id, s] : sessions_) {
        const bool old = now - s.created > fetch_session_eviction_idle;
        const bool evictable = privileged ? (!s.privileged() || old) : old;
        if (evictable && (cheapest == nullptr || eviction_rank(s) < eviction_rank(*cheapest))) {
            cheapest = &s;
        }
    }
    if (cheapest == nullptr ||
        std::tuple<bool, size_t, int32_t>{privileged, count, 0} < eviction_rank(*cheapest)) {
        return false;
    }
    remove(cheapest->id);
    return true;
}

}  // namespace eddy::kafka
