// Leader epochs on one broker: the leader stamps its epoch into every batch it appends,
// OffsetForLeaderEpoch answers where an epoch ends, and requests naming another leader epoch are
// refused (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); a Fetch with a replica id that is not a
// replica of the partition is refused too.
#include "core/protocol/error_codes.h"
#include "core/record/record_batch.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

OffsetForLeaderEpochRequest epoch_request(const std::string& topic, int32_t partition,
                                          int32_t leader_epoch, int32_t current = -1) {
    OffsetForLeaderEpochRequest req;
    OffsetForLeaderEpochRequest::OffsetForLeaderTopic t;
    t.topic_ = topic;
    OffsetForLeaderEpochRequest::OffsetForLeaderPartition p;
    p.partition_ = partition;
    p.leader_epoch_ = leader_epoch;
    p.current_leader_epoch_ = current;
    t.partitions_.push_back(p);
    req.topics_.push_back(t);
    return req;
}

}  // namespace

TEST_CASE("leader epochs: stamped into batches, OffsetForLeaderEpoch, stale epochs refused") {
    BrokerNode bn{test_config()};
    with_broker(5, bn, [&](Env& env) {
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(create_topic_request("ep", 1), 5);
        REQUIRE(created.has_value());
        REQUIRE(created->topics_.at(0).error_code_ == 0);
        MetadataRequest mreq;
        mreq.topics_ = std::nullopt;
        auto md = c.call<MetadataResponse>(mreq, 8);
        REQUIRE(md.has_value());
        const int32_t epoch = md->topics_.at(0).partitions_.at(0).leader_epoch_;
        CHECK(epoch >= 0);
        for (int i = 0; i < 2; ++i) {
            auto p = c.call<ProduceResponse>(
                produce_request("ep", 0, make_batch({"x", "y"}, 1'700'000'000'000)), 7);
            REQUIRE(p.has_value());
            CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        }
        // Every batch carries the leader's epoch (the producer sent -1).
        auto f = c.call<FetchResponse>(fetch_request("ep", 0, 0), 11);
        REQUIRE(f.has_value());
        const auto& pd = f->responses_.at(0).partitions_.at(0);
        REQUIRE(pd.records_.has_value());
        auto batches = record::split_batches(*pd.records_, record::PartialTail::ignore);
        REQUIRE(batches.ok());
        REQUIRE(batches->size() == 2);
        for (const auto& b : *batches) {
            CHECK(b.partition_leader_epoch().value() == epoch);
        }

        // The current epoch ends at the log end; a later one is undefined; an unknown partition
        // is named.
        for (int16_t v : {int16_t{0}, int16_t{2}, int16_t{4}}) {
            auto r = c.call<OffsetForLeaderEpochResponse>(epoch_request("ep", 0, epoch), v);
            REQUIRE(r.has_value());
            const auto& e = r->topics_.at(0).partitions_.at(0);
            CHECK(e.error_code_ == 0);
            CHECK(e.end_offset_ == 4);
            if (v >= 1) {
                CHECK(e.leader_epoch_ == epoch);
            }
        }
        auto later = c.call<OffsetForLeaderEpochResponse>(epoch_request("ep", 0, epoch + 3), 4);
        REQUIRE(later.has_value());
        CHECK(later->topics_.at(0).partitions_.at(0).end_offset_ == -1);
        CHECK(later->topics_.at(0).partitions_.at(0).leader_epoch_ == -1);
        auto missing = c.call<OffsetForLeaderEpochResponse>(epoch_request("nope", 0, 0), 4);
        REQUIRE(missing.has_value());
        CHECK(missing->topics_.at(0).partitions_.at(0).error_code_ ==
              kafka_error::unknown_topic_or_partition);

        // A current leader epoch above ours: UNKNOWN_LEADER_EPOCH (we are behind); below: FENCED.
        auto ahead =
            c.call<OffsetForLeaderEpochResponse>(epoch_request("ep", 0, epoch, epoch + 1), 4);
        REQUIRE(ahead.has_value());
        CHECK(ahead->topics_.at(0).partitions_.at(0).error_code_ == kafka_error::unknown_leader_epoch);
        auto freq = fetch_request("ep", 0, 0);
        freq.topics_.at(0).partitions_.at(0).current_leader_epoch_ = epoch + 1;
        auto fa = c.call<FetchResponse>(freq, 12);
        REQUIRE(fa.has_value());
        CHECK(fa->responses_.at(0).partitions_.at(0).error_code_ == kafka_error::unknown_leader_epoch);
        if (epoch > 0) {
            freq.topics_.at(0).partitions_.at(0).current_leader_epoch_ = epoch - 1;
            auto fb = c.call<FetchResponse>(freq, 12);
            REQUIRE(fb.has_value());
            CHECK(fb->responses_.at(0).partitions_.at(0).error_code_ ==
                  kafka_error::fenced_leader_epoch);
        }
        auto lreq = list_offsets_request("ep", 0, -1);
        lreq.topics_.at(0).partitions_.at(0).current_leader_epoch_ = epoch + 2;
        auto lo = c.call<ListOffsetsResponse>(lreq, 7);
        REQUIRE(lo.has_value());
        CHECK(lo->topics_.at(0).partitions_.at(0).error_code_ == kafka_error::unknown_leader_epoch);
        lreq.topics_.at(0).partitions_.at(0).current_leader_epoch_ = epoch;
        lo = c.call<ListOffsetsResponse>(lreq, 7);
        REQUIRE(lo.has_value());
        CHECK(lo->topics_.at(0).partitions_.at(0).error_code_ == 0);
        CHECK(lo->topics_.at(0).partitions_.at(0).offset_ == 4);
        CHECK(lo->topics_.at(0).partitions_.at(0).leader_epoch_ == epoch);

        // A replica fetch from a broker that is not a replica of the partition.
        auto rreq = fetch_request("ep", 0, 0);
        rreq.replica_id_ = 9;
        auto rf = c.call<FetchResponse>(rreq, 12);
        REQUIRE(rf.has_value());
        CHECK(rf->responses_.at(0).partitions_.at(0).error_code_ == kafka_error::not_leader_or_follower);
        const auto& rrec = rf->responses_.at(0).partitions_.at(0).records_;
        const bool nothing_read = !rrec.has_value() || rrec->empty();
        CHECK(nothing_read);
    });
}
