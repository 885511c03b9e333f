// FetchSessionCache (KIP-227, the broker's side) on its own: creating, incremental adds, updates
// and forgets, epoch checks, closing, eviction, the partition bounds and the epoch wrap; and a
// property that a follower's FetchSessionClient and the cache, driven through any sequence of
// rounds, lost answers and closes, always agree on the partitions (and positions) a full fetch
// would have named.
#include "services/kafka/fetch_sessions.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "core/protocol/error_codes.h"
#include "core/protocol/fetch_metadata.h"
#include "services/replica/fetch_session_client.h"
#include "tests/unit/kafka/kafka_test_util.h"

namespace eddy::kafka {

namespace {

using protocol::FetchRequest;
using protocol::FetchResponse;
using Kind = FetchSessionCache::Context::Kind;
using Named = std::pair<std::string, int32_t>;

FetchRequest::FetchPartition position(int32_t partition, int64_t offset) {
    return test::fetch_position(partition, offset);
}

using Positions = std::vector<std::pair<std::string, FetchRequest::FetchPartition>>;

FetchRequest req(int32_t id, int32_t epoch, const Positions& named = {},
                 const std::vector<Named>& forgotten = {}, int32_t replica = -1) {
    FetchRequest r;
    r.session_id_ = id;
    r.session_epoch_ = epoch;
    r.replica_id_ = replica;
    for (const auto& n : named) {
        if (r.topics_.empty() || r.topics_.back().topic_ != n.first) {
            r.topics_.emplace_back();
            r.topics_.back().topic_ = n.first;
        }
        r.topics_.back().partitions_.push_back(n.second);
    }
    for (const auto& f : forgotten) {
        r.forgotten_topics_data_.emplace_back();
        r.forgotten_topics_data_.back().topic_ = f.first;
        r.forgotten_topics_data_.back().partitions_ = {f.second};
    }
    return r;
}

std::vector<Named> keys(const std::vector<CachedPartition>& ps) {
    std::vector<Named> out;
    for (const auto& c : ps) {
        out.emplace_back(c.topic, c.fetch.partition_);
    }
    return out;
}

std::vector<Named> session_keys(const FetchSessionCache& cache, int32_t id) {
    std::vector<Named> out;
    const auto* s = cache.find(id);
    REQUIRE(s != nullptr);
    for (const auto& c : s->partitions) {
        out.emplace_back(c.topic, c.fetch.partition_);
    }
    return out;
}

// A session of partitions t-0, t-1, t-2 (offsets 0) opened by `replica` at `now`.
int32_t open(FetchSessionCache& cache, Instant now, int32_t replica = -1, size_t slots = 1000,
             size_t count = 3) {
    std::vector<CachedPartition> ps;
    for (size_t i = 0; i < count; ++i) {
        ps.push_back(CachedPartition{"t", position(static_cast<int32_t>(i), 0)});
    }
    return cache.create(replica, std::move(ps), slots, now);
}

const Instant t0 = Instant::from_nanos(Duration::seconds(1000).to_nanos());

}  // namespace

TEST_CASE("fetch sessions: epochs advance by one and wrap from INT32_MAX to 1") {
    namespace fs = protocol::fetch_session;
    CHECK(fs::next_epoch(0) == 1);
    CHECK(fs::next_epoch(41) == 42);
    CHECK(fs::next_epoch(INT32_MAX) == 1);
    CHECK(fs::next_epoch(-1) == -1);
    CHECK(fs::is_full(0));
    CHECK(fs::is_full(-1));
    CHECK(!fs::is_full(1));
    CHECK(!fs::is_full(-2));
}

TEST_CASE("fetch sessions: epoch -1 is sessionless and epoch 0 asks for a session") {
    Random random(1);
    FetchSessionCache cache(random);
    CHECK(cache.begin(req(0, -1, {{"t", position(0, 0)}}), t0).kind == Kind::sessionless);
    CHECK(cache.begin(req(0, 0, {{"t", position(0, 0)}}), t0).kind == Kind::full);
    CHECK(cache.size() == 0);  // nothing until create()
    const int32_t id = open(cache, t0);
    CHECK(id > 0);
    REQUIRE(cache.find(id) != nullptr);
    CHECK(cache.find(id)->epoch == 1);
    CHECK(cache.size() == 1);
    CHECK(cache.partitions_total() == 3);
    CHECK(session_keys(cache, id) == std::vector<Named>{{"t", 0}, {"t", 1}, {"t", 2}});
    // Ids are unique.
    const int32_t other = open(cache, t0);
    CHECK(other > 0);
    CHECK(other != id);
}

TEST_CASE("fetch sessions: an incremental fetch adds, updates and forgets, then reads them all") {
    Random random(2);
    FetchSessionCache cache(random);
    const int32_t id = open(cache, t0);
    // t-1 moves to offset 7, u-0 is added, t-2 forgotten (and t-9, which it never held).
    auto ctx = cache.begin(
        req(id, 1, {{"t", position(1, 7)}, {"u", position(0, 3)}}, {{"t", 2}, {"t", 9}}),
        t0);
    REQUIRE(ctx.kind == Kind::incremental);
    CHECK(ctx.session_id == id);
    CHECK(ctx.epoch == 2);
    CHECK(keys(ctx.partitions) == std::vector<Named>{{"t", 0}, {"t", 1}, {"u", 0}});
    CHECK(ctx.partitions[0].fetch.fetch_offset_ == 0);  // not named: the position given before
    CHECK(ctx.partitions[1].fetch.fetch_offset_ == 7);
    CHECK(ctx.partitions[2].fetch.fetch_offset_ == 3);
    CHECK(cache.find(id)->epoch == 2);
    CHECK(cache.partitions_total() == 3);

    // Named twice: once, at the first place, with the position given last. Added and forgotten
    // in the same request: forgotten.
    ctx = cache.begin(req(id,
                          2,
                          {{"v", position(0, 1)}, {"t", position(0, 5)}, {"v", position(0, 9)}},
                          {{"t", 0}}),
                      t0);
    REQUIRE(ctx.kind == Kind::incremental);
    CHECK(keys(ctx.partitions) == std::vector<Named>{{"t", 1}, {"u", 0}, {"v", 0}});
    CHECK(ctx.partitions[2].fetch.fetch_offset_ == 9);
    CHECK(cache.partitions_total() == 3);
}

TEST_CASE("fetch sessions: a wrong epoch, an unknown id or another kind of fetcher is refused") {
    Random random(3);
    FetchSessionCache cache(random);
    const int32_t id = open(cache, t0);
    auto ctx = cache.begin(req(id, 2), t0);
    CHECK(ctx.kind == Kind::error);
    CHECK(ctx.error == kafka_error::invalid_fetch_session_epoch);
    ctx = cache.begin(req(id, -7), t0);  // no special meaning: just a wrong epoch
    CHECK(ctx.error == kafka_error::invalid_fetch_session_epoch);
    ctx = cache.begin(req(id + 1, 1), t0);
    CHECK(ctx.error == kafka_error::fetch_session_id_not_found);
    ctx = cache.begin(req(0, 1), t0);
    CHECK(ctx.error == kafka_error::fetch_session_id_not_found);
    // A follower cannot use (or close) a consumer's session.
    ctx = cache.begin(req(id, 1, {}, {}, 3), t0);
    CHECK(ctx.error == kafka_error::fetch_session_id_not_found);
    CHECK(cache.begin(req(id, -1, {}, {}, 3), t0).kind == Kind::sessionless);
    REQUIRE(cache.find(id) != nullptr);
    // None of that moved the session on: epoch 1 still works.
    CHECK(cache.find(id)->epoch == 1);
    CHECK(cache.begin(req(id, 1), t0).kind == Kind::incremental);
}

TEST_CASE("fetch sessions: epoch -1 closes the session, epoch 0 closes it and asks for a new one") {
    Random random(4);
    FetchSessionCache cache(random);
    const int32_t a = open(cache, t0);
    const int32_t b = open(cache, t0);
    CHECK(cache.begin(req(a, -1, {{"t", position(0, 0)}}), t0).kind == Kind::sessionless);
    CHECK(cache.find(a) == nullptr);
    CHECK(cache.begin(req(a, 1), t0).error == kafka_error::fetch_session_id_not_found);
    CHECK(cache.begin(req(b, 0), t0).kind == Kind::full);
    CHECK(cache.find(b) == nullptr);
    CHECK(cache.size() == 0);
    CHECK(cache.partitions_total() == 0);
}

TEST_CASE("fetch sessions: a session left without partitions is closed") {
    Random random(5);
    FetchSessionCache cache(random);
    const int32_t id = open(cache, t0, -1, 1000, 2);
    auto ctx = cache.begin(req(id, 1, {}, {{"t", 0}, {"t", 1}}), t0);
    CHECK(ctx.kind == Kind::sessionless);
    CHECK(cache.find(id) == nullptr);
    CHECK(cache.partitions_total() == 0);
    // Nothing to open a session with either.
    CHECK(cache.create(-1, {}, 1000, t0) == 0);
}

TEST_CASE("fetch sessions: the epoch wraps from INT32_MAX to 1") {
    Random random(6);
    FetchSessionCache cache(random);
    const int32_t id = open(cache, t0);
    cache.find_for_test(id)->epoch = INT32_MAX;
    auto ctx = cache.begin(req(id, INT32_MAX), t0);
    REQUIRE(ctx.kind == Kind::incremental);
    CHECK(ctx.epoch == 1);
    CHECK(cache.begin(req(id, 1), t0).kind == Kind::incremental);
    CHECK(cache.find(id)->epoch == 2);
}

TEST_CASE("fetch sessions: responses carry only partitions with something to say") {
    CachedPartition c{"t", position(0, 0)};
    FetchResponse::PartitionData pd;
    pd.high_watermark_ = 10;
    pd.last_stable_offset_ = 10;
    pd.log_start_offset_ = 0;
    pd.records_ = Bytes{};
    CHECK(must_respond(c, pd));  // never answered
    remember(c, pd);
    CHECK(!must_respond(c, pd));
    auto moved = pd;
    moved.high_watermark_ = 11;
    CHECK(must_respond(c, moved));
    moved = pd;
    moved.log_start_offset_ = 4;
    CHECK(must_respond(c, moved));
    moved = pd;
    moved.records_ = Bytes(3, std::byte{1});
    CHECK(must_respond(c, moved));
    moved = pd;
    moved.diverging_epoch_.epoch_ = 3;
    moved.diverging_epoch_.end_offset_ = 5;
    CHECK(must_respond(c, moved));
    moved = pd;
    moved.error_code_ = kafka_error::not_leader_or_follower;
    CHECK(must_respond(c, moved));
    remember(c, moved);
    // Once the error is gone, the partition is carried again even though nothing else changed.
    CHECK(must_respond(c, pd));
}

TEST_CASE("fetch sessions: answered partitions move to the back; a duplicate request is caught") {
    Random random(7);
    FetchSessionCache cache(random);
    const int32_t id = open(cache, t0);
    auto ctx = cache.begin(req(id, 1), t0);
    REQUIRE(ctx.kind == Kind::incremental);
    FetchResponse resp;
    resp.responses_.emplace_back();
    resp.responses_[0].topic_ = "t";
    resp.responses_[0].partitions_.emplace_back();
    resp.responses_[0].partitions_[0].partition_index_ = 0;
    resp.responses_[0].partitions_[0].high_watermark_ = 4;
    CHECK(cache.answered(ctx, resp));
    CHECK(session_keys(cache, id) == std::vector<Named>{{"t", 1}, {"t", 2}, {"t", 0}});
    CHECK(cache.find(id)->partitions.back().high_watermark == 4);

    // Two requests of one session in flight: the first to answer after the second began is
    // a duplicate.
    auto first = cache.begin(req(id, 2), t0);
    auto second = cache.begin(req(id, 3), t0);
    REQUIRE(first.kind == Kind::incremental);
    REQUIRE(second.kind == Kind::incremental);
    CHECK(!cache.answered(first, resp));
    CHECK(cache.answered(second, resp));
}

TEST_CASE("fetch sessions: a full cache evicts stale sessions, then less valuable ones") {
    Random random(8);
    FetchSessionCache cache(random);
    const int32_t a = open(cache, t0, -1, 2, 3);
    const int32_t b = open(cache, t0, -1, 2, 3);
    REQUIRE(a > 0);
    REQUIRE(b > 0);
    const Instant t1 = t0 + Duration::seconds(1);
    // Full, nothing stale, both new: a consumer's session of the same size gets none...
    CHECK(open(cache, t1, -1, 2, 3) == 0);
    // ...and neither does a larger one (recently created sessions are kept).
    CHECK(open(cache, t1, -1, 2, 5) == 0);
    // A follower's session evicts a consumer's, the smallest (then lowest id) first.
    (void)cache.begin(req(a, 1), t1);
    const int32_t f = open(cache, t1, 2, 2, 1);
    CHECK(f > 0);
    CHECK(cache.size() == 2);
    CHECK(cache.find(std::min(a, b)) == nullptr);
    CHECK(cache.find(std::max(a, b)) != nullptr);
    // It evicts the other consumer session too, but a new follower session is not evicted by
    // another follower's, however large.
    const int32_t g = open(cache, t1, 3, 2, 1);
    CHECK(g > 0);
    CHECK(cache.find(std::max(a, b)) == nullptr);
    CHECK(open(cache, t1, 4, 2, 100) == 0);
    // Once created long ago, the smaller one goes to a larger follower session, even in use.
    const Instant t2 = t1 + fetch_session_eviction_idle + Duration::seconds(1);
    REQUIRE(cache.begin(req(f, 1, {}, {}, 2), t2).kind == Kind::incremental);
    REQUIRE(cache.begin(req(g, 1, {}, {}, 3), t2).kind == Kind::incremental);
    CHECK(open(cache, t2, 4, 2, 1) == 0);  // not larger
    const int32_t h = open(cache, t2, 4, 2, 100);
    CHECK(h != 0);
    CHECK(cache.find(std::min(f, g)) == nullptr);
    CHECK(cache.size() == 2);
    // Unused for longer than the idle time: any newcomer evicts it, the least recently used.
    const Instant t3 = t2 + Duration::seconds(1);
    REQUIRE(cache.begin(req(h, 1, {}, {}, 4), t3).kind == Kind::incremental);
    const Instant t4 = t2 + fetch_session_eviction_idle + Duration::seconds(1);
    CHECK(open(cache, t4, -1, 2, 1) != 0);
    CHECK(cache.find(std::max(f, g)) == nullptr);
    CHECK(cache.find(h) != nullptr);
    CHECK(cache.size() == 2);
    // No slots: no sessions.
    Random r2(9);
    FetchSessionCache none(r2);
    CHECK(open(none, t0, 1, 0, 1) == 0);
}

TEST_CASE("fetch sessions: partitions per session are bounded, in a full and an incremental fetch") {
    Random random(10);
    FetchSessionCache cache(random);
    CHECK(open(cache, t0, -1, 1000, limits::fetch_session_partitions_max + 1) == 0);
    const int32_t id = open(cache, t0, -1, 1000, limits::fetch_session_partitions_max);
    REQUIRE(id > 0);
    // Forgetting one and adding one fits; adding one more does not, and closes the session.
    auto ctx = cache.begin(req(id, 1, {{"u", position(0, 0)}}, {{"t", 0}}), t0);
    CHECK(ctx.kind == Kind::incremental);
    ctx = cache.begin(req(id, 2, {{"u", position(1, 0)}}), t0);
    CHECK(ctx.kind == Kind::error);
    CHECK(ctx.error == kafka_error::fetch_session_id_not_found);
    CHECK(cache.find(id) == nullptr);
    CHECK(cache.partitions_total() == 0);
}

TEST_CASE("fetch sessions: a follower's incremental rounds keep the session equal to a full fetch") {
    // Property: whatever partitions a fetcher wants from round to round (added, dropped, moved),
    // and whatever answers get lost or sessions get closed, the partitions the broker reads for an
    // incremental fetch are exactly those, with exactly those positions, that the equivalent full
    // fetch would name.
    const bool ok = rc::check("session partitions == wanted partitions", [] {
        Random random(*rc::gen::arbitrary<uint64_t>());
        FetchSessionCache cache(random);
        replica::FetchSessionClient client;
        replica::FetchSessionClient::Wanted wanted;
        const int rounds = *rc::gen::inRange(1, 60);
        Instant now = t0;
        for (int round = 0; round < rounds; ++round) {
            now = now + Duration::millis(*rc::gen::inRange(0, 200'000));
            const int changes = *rc::gen::inRange(0, 4);
            for (int c = 0; c < changes; ++c) {
                log::TopicPartition tp{*rc::gen::element<std::string>("a", "b", "c"),
                                       PartitionId(*rc::gen::inRange(0, 4))};
                if (*rc::gen::inRange(0, 3) == 0) {
                    wanted.erase(tp);
                } else {
                    auto fp = position(tp.partition.value(), *rc::gen::inRange<int64_t>(0, 5));
                    fp.current_leader_epoch_ = *rc::gen::inRange(0, 3);
                    wanted[tp] = fp;
                }
            }
            if (wanted.empty()) {
                continue;  // the fetcher sends nothing
            }
            FetchRequest req;
            req.replica_id_ = 1;
            client.build(wanted, req);
            auto ctx = cache.begin(req, now);
            FetchResponse resp;
            switch (ctx.kind) {
            case Kind::error:
                resp.error_code_ = ctx.error;
                RC_ASSERT(!client.handle_response(resp));
                continue;
            case Kind::sessionless:
                break;
            case Kind::full: {
                RC_ASSERT(req.session_epoch_ == protocol::fetch_session::initial_epoch);
                std::vector<CachedPartition> named;
                for (const auto& t : req.topics_) {
                    for (const auto& fp : t.partitions_) {
                        named.push_back(CachedPartition{t.topic_, fp});
                    }
                }
                RC_ASSERT(named.size() == wanted.size());
                resp.session_id_ = cache.create(req.replica_id_, std::move(named),
                                                *rc::gen::inRange<size_t>(0, 3), now);
                break;
            }
            case Kind::incremental: {
                // The session's order is its own (answered partitions move to the back); its
                // content is the fetcher's.
                replica::FetchSessionClient::Wanted read;
                for (const auto& p : ctx.partitions) {
                    const bool fresh =
                        read.emplace(log::TopicPartition{p.topic, PartitionId(p.fetch.partition_)},
                                     p.fetch)
                            .second;
                    RC_ASSERT(fresh);
                }
                RC_ASSERT(read == wanted);
                for (const auto& p : ctx.partitions) {
                    if (*rc::gen::inRange(0, 3) == 0) {
                        resp.responses_.emplace_back();
                        resp.responses_.back().topic_ = p.topic;
                        resp.responses_.back().partitions_.emplace_back();
                        resp.responses_.back().partitions_.back().partition_index_ =
                            p.fetch.partition_;
                    }
                }
                resp.session_id_ = ctx.session_id;
                RC_ASSERT(cache.answered(ctx, resp));
                break;
            }
            }
            // Sometimes the answer is lost with the connection; sometimes another fetcher's
            // session comes and goes.
            if (*rc::gen::inRange(0, 8) == 0) {
                client.reset();
            } else {
                RC_ASSERT(client.handle_response(resp));
            }
            if (client.epoch() > 0) {
                const auto* s = cache.find(client.session_id());
                RC_ASSERT(s != nullptr);
                RC_ASSERT(s->epoch == client.epoch());
                RC_ASSERT(s->partitions.size() == client.session().size());
            }
        }
    });
    CHECK(ok);
}

}  // namespace eddy::kafka
