// FetchSessionCache: a broker's KIP-227 incremental fetch sessions, with the semantics of Kafka's
// FetchSession.scala. A fetcher that opens a session (session id 0, epoch 0) names all its
// partitions once; afterwards each incremental request (id N, epoch k) names only the partitions
// whose fetch position changed and those to forget, and each response carries only the
// partitions with something to say. The meaning of (session id, epoch) is in
// core/protocol/fetch_metadata.h.
//
// This is plain state: the Fetch handler (handle_data.cpp) asks begin() what a request is, reads
// the partitions it names, and reports the answer (create() for a full fetch that asked for a
// session, answered() for an incremental one). Nothing here suspends or reads a clock: `now`
// comes from the caller's Env, and session ids from the Random it was given.
//
// Invariants: every session has an id in [1, INT32_MAX), unique in the cache, a next epoch >= 1,
// at most limits::fetch_session_partitions_max partitions, each named once; the cache holds at
// most the slots it was last given (max.incremental.fetch.session.cache.slots) sessions and
// limits::fetch_session_cache_partitions_max partitions in all. Request content is never
// asserted on: a request that would break one of these is refused (FETCH_SESSION_ID_NOT_FOUND,
// INVALID_FETCH_SESSION_EPOCH) or answered without a session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/base/random.h"
#include "core/base/time.h"
#include "core/protocol/generated/fetch.h"

namespace eddy::kafka {

namespace limits {
// Kafka bounds only the number of sessions. Eddy also bounds what they hold, so the cache's
// memory stays bounded whatever fetchers send (a cached partition takes about 200 bytes: 2 MB per
// full session, 100 MB for the whole cache). A full fetch naming more partitions than fit is
// answered without a session (session id 0), as Kafka answers when the cache has no room; an
// incremental fetch that would grow its session past the bound closes it
// (FETCH_SESSION_ID_NOT_FOUND), and the fetcher's next full fetch goes on without a session.
// A follower replicates at most this many partitions from one leader with a session.
inline constexpr size_t fetch_session_partitions_max = 10'000;
inline constexpr size_t fetch_session_cache_partitions_max = 500'000;
static_assert(fetch_session_partitions_max <= fetch_session_cache_partitions_max);
}  // namespace limits

// When the cache is full, a new session may evict one unused for this long, and the sessions
// created this long ago are the ones a larger (or a follower's) new session may evict (Kafka's
// MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS).
inline constexpr Duration fetch_session_eviction_idle = Duration::seconds(120);

// One partition of a session: the fetch position its fetcher gave last, and what the last
// response that carried the partition said (so later responses can leave it out while that
// does not change).
struct CachedPartition {
    std::string topic;
    protocol::FetchRequest::FetchPartition fetch;
    // -1 until a response carries the partition, and after one carries an error: the next
    // response carries it whatever it says.
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
};

// True when an incremental response must carry a partition whose last answer was `cached` and
// whose answer now is `pd`: records, an error, a diverging epoch, or a new high watermark, last
// stable offset or log start (FetchSession.scala's maybeUpdateResponseData).
bool must_respond(const CachedPartition& cached, const protocol::FetchResponse::PartitionData& pd);
// Remembers `pd` as the last answer sent for the partition.
void remember(CachedPartition& cached, const protocol::FetchResponse::PartitionData& pd);

class FetchSessionCache {
public:
    // Session ids are drawn from `random` (the node's Env stream).
    explicit FetchSessionCache(Random& random) : random_(random) {}

    struct Session {
        int32_t id = 0;
        // Who opened it: a follower's broker id, or -1 for a consumer. Only the same kind of
        // fetcher may use or close it, and a follower's session outranks a consumer's when the
        // cache is full (Kafka's "privileged" sessions).
        int32_t replica_id = -1;
        int32_t epoch = 1;  // the epoch the next incremental request must carry
        Instant created;
        Instant last_used;
        // In response order: the partitions a response carries move to the back, so under
        // max_bytes the ones left out get their turn first in the next response.
        std::list<CachedPartition> partitions;
        std::map<std::pair<std::string, int32_t>, std::list<CachedPartition>::iterator> index;

        bool privileged() const { return replica_id >= 0; }
    };

    // What a Fetch request is once begin() has applied its session fields.
    struct Context {
        enum class Kind {
            sessionless,  // read the request's partitions; answer with session id 0
            full,         // the same, then create() a session from what was answered
            incremental,  // read `partitions`; answer what must_respond(), then answered()
            error,        // answer `error` alone
        };
        Kind kind = Kind::sessionless;
        int16_t error = 0;       // FETCH_SESSION_ID_NOT_FOUND or INVALID_FETCH_SESSION_EPOCH
        int32_t session_id = 0;  // incremental
        int32_t epoch = 0;       // incremental: the session's epoch once this request is applied
        // Incremental: the session's partitions (after this request's changes), in order.
        std::vector<CachedPartition> partitions;
    };

    // Applies a request's session fields: closes the session a full fetch names, or checks an
    // incremental fetch's id and epoch, adds and updates the partitions it names (a partition
    // named twice counts once, with what it was given last), forgets its forgotten_topics_data
    // (partitions the session does not hold are ignored, as Kafka does) and advances the epoch.
    // A session left without partitions is closed (the request then reads as sessionless).
    Context begin(const protocol::FetchRequest& req, Instant now);

    // After a full fetch that asked for a session: opens one holding `partitions` (request order,
    // each with the answer remember()ed) when it fits, evicting another session when the cache
    // already holds `slots` (see the .cpp). The new session's id, or 0 (no session).
    int32_t create(int32_t replica_id, std::vector<CachedPartition> partitions, size_t slots,
                   Instant now);

    // After an incremental fetch: remembers what `resp` carried and moves those partitions to the
    // back. False when another request of the session came in meanwhile (its epoch moved on): the
    // answer must then be INVALID_FETCH_SESSION_EPOCH, as Kafka's is for a duplicate request.
    bool answered(const Context& ctx, const protocol::FetchResponse& resp);

    size_t size() const { return sessions_.size(); }
    size_t partitions_total() const { return partitions_total_; }
    // Removes session `id` if `replica_id`'s kind of fetcher opened it, as an eviction would
    // (the simulator's BUGGIFY: the fetcher then meets FETCH_SESSION_ID_NOT_FOUND).
    void evict(int32_t id, int32_t replica_id);
    const Session* find(int32_t id) const;
    const std::map<int32_t, Session>& sessions() const { return sessions_; }
    // Tests: reach a state that takes billions of requests to reach (an epoch near INT32_MAX).
    Session* find_for_test(int32_t id) { return const_cast<Session*>(std::as_const(*this).find(id)); }

private:
    void remove(int32_t id);
    // Frees one slot for a new session of `replica_id` with `count` partitions; false when no
    // session may be evicted for it.
    bool evict_for(int32_t replica_id, size_t count, Instant now);

    Random& random_;
    std::map<int32_t, Session> sessions_;
    size_t partitions_total_ = 0;
};

}  // namespace eddy::kafka
