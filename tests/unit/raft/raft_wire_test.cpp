// The quorum's messages as Kafka requests and responses (services/raft/raft_wire.h): every body
// round-trips through the Kafka struct and through its bytes in every version used, and hostile
// input (bad CRC, truncated batches, absurd counts, wrong partitions, out-of-range fields) is
// refused with an error.
#include "services/raft/raft_wire.h"

#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "core/record/record_batch_builder.h"
#include "services/raft/entry_batch.h"

using namespace eddy;
using namespace eddy::raft;

namespace {

// Encodes `k` in `version` and decodes it back: the struct the peer sees.
template <typename K>
K through_bytes(const K& k, int16_t version) {
    Bytes out;
    protocol::Writer w(out);
    k.encode(w, version);
    protocol::Reader r(out);
    auto back = K::decode(r, version);
    REQUIRE(back.ok());
    CHECK(r.remaining() == 0);
    return std::move(back).value();
}

const NodeId self{1};
const NodeId peer{3};

std::vector<Entry> some_entries() {
    return {Entry{4, {}}, Entry{4, to_bytes("a")}, Entry{5, Bytes(300, std::byte{7})}};
}

FetchResponse full_fetch_response() {
    FetchResponse b;
    b.epoch = 5;
    b.leader = peer;
    b.high_watermark = 11;
    b.log_start_offset = 2;
    b.base_offset = 10;
    b.entries = some_entries();
    return b;
}

void check_same(const FetchResponse& a, const FetchResponse& b) {
    CHECK(a.error == b.error);
    CHECK(a.epoch == b.epoch);
    CHECK(a.leader == b.leader);
    CHECK(a.high_watermark == b.high_watermark);
    CHECK(a.log_start_offset == b.log_start_offset);
    CHECK(a.base_offset == b.base_offset);
    CHECK(a.entries == b.entries);
    CHECK(a.diverging.has_value() == b.diverging.has_value());
    if (a.diverging && b.diverging) {
        CHECK(a.diverging->epoch == b.diverging->epoch);
        CHECK(a.diverging->end_offset == b.diverging->end_offset);
    }
    CHECK(a.snapshot_id == b.snapshot_id);
}

// The Fetch response's one partition, to damage.
protocol::FetchResponse::PartitionData& partition(protocol::FetchResponse& r) {
    return r.responses_.at(0).partitions_.at(0);
}

}  // namespace

TEST_CASE("raft wire: Vote round trips in v0-v2; pre-vote only from v2") {
    for (bool pre : {false, true}) {
        for (int16_t v = 0; v <= 2; ++v) {
            const Message m{peer, self, VoteRequest{7, 6, 42, pre}};
            const auto k = std::get<protocol::VoteRequest>(request_to_kafka(m, "c1"));
            CHECK(k.cluster_id_ == std::optional<std::string>("c1"));
            auto back = request_from_kafka(through_bytes(k, v), v, self);
            REQUIRE(back.ok());
            CHECK(back->from == peer);
            CHECK(back->to == self);
            const auto& b = std::get<VoteRequest>(back->body);
            CHECK(b.epoch == 7);
            CHECK(b.last_epoch == 6);
            CHECK(b.end_offset == 42);
            CHECK(b.pre_vote == (pre && v >= 2));

            const VoteResponse resp{8, true, pre, NodeId(2)};
            auto rb = response_from_kafka(through_bytes(response_to_kafka(resp), v), v,
                                          std::get<VoteRequest>(m.body), peer, self);
            REQUIRE(rb.ok());
            CHECK(rb->from == peer);
            CHECK(rb->to == self);
            const auto& r = std::get<VoteResponse>(rb->body);
            CHECK(r.epoch == 8);
            CHECK(r.granted);
            CHECK(r.pre_vote == pre);
            CHECK(r.leader == NodeId(2));
        }
    }
}

TEST_CASE("raft wire: BeginQuorumEpoch and EndQuorumEpoch round trip in v0-v1") {
    for (int16_t v = 0; v <= 1; ++v) {
        const auto begin = std::get<protocol::BeginQuorumEpochRequest>(
            request_to_kafka({peer, self, BeginQuorumEpoch{9}}, "c1"));
        auto b = request_from_kafka(through_bytes(begin, v), v, self);
        REQUIRE(b.ok());
        CHECK(b->from == peer);
        CHECK(std::get<BeginQuorumEpoch>(b->body).epoch == 9);

        const EndQuorumEpoch end{9, {NodeId(2), NodeId(5)}};
        const auto k =
            std::get<protocol::EndQuorumEpochRequest>(request_to_kafka({peer, self, end}, "c1"));
        auto e = request_from_kafka(through_bytes(k, v), v, self);
        REQUIRE(e.ok());
        CHECK(e->from == peer);
        const auto& eb = std::get<EndQuorumEpoch>(e->body);
        CHECK(eb.epoch == 9);
        CHECK(eb.preferred_successors == end.preferred_successors);

        const auto br = through_bytes(begin_quorum_epoch_response(0, 9, peer), v);
        CHECK(br.topics_.at(0).partitions_.at(0).leader_id_ == peer.value());
        const auto er = through_bytes(end_quorum_epoch_response(74, 9, peer), v);
        CHECK(er.error_code_ == 74);
    }
}

TEST_CASE("raft wire: Fetch round trips in v12-v17 with entries, divergence and snapshot id") {
    for (int16_t v = 12; v <= 17; ++v) {
        const FetchRequest req{5, 10, 4};
        const auto k = std::get<protocol::FetchRequest>(request_to_kafka({peer, self, req}, "c"));
        auto back = request_from_kafka(through_bytes(k, v), v, self);
        REQUIRE(back.ok());
        CHECK(back->from == peer);
        const auto& b = std::get<FetchRequest>(back->body);
        CHECK(b.epoch == 5);
        CHECK(b.fetch_offset == 10);
        CHECK(b.last_fetched_epoch == 4);

        FetchResponse full = full_fetch_response();
        FetchResponse diverging = full;
        diverging.entries.clear();
        diverging.diverging = DivergingEpoch{3, 8};
        FetchResponse snapshot = diverging;
        snapshot.diverging.reset();
        snapshot.snapshot_id = SnapshotId{0, 0};  // {0, 0} is a snapshot id too, not "none"
        FetchResponse fenced;
        fenced.error = FetchError::fenced_leader_epoch;
        fenced.epoch = 6;
        fenced.base_offset = 10;
        for (const FetchResponse& resp : {full, diverging, snapshot, fenced}) {
            auto r =
                response_from_kafka(through_bytes(response_to_kafka(resp), v), v, req, peer, self);
            REQUIRE(r.ok());
            CHECK(r->from == peer);
            CHECK(r->to == self);
            check_same(std::get<FetchResponse>(r->body), resp);
        }
    }
}

TEST_CASE("raft wire: Fetch errors map to Kafka's codes") {
    CHECK(fetch_error_code(FetchError::none) == 0);
    CHECK(fetch_error_code(FetchError::fenced_leader_epoch) == kafka_error::fenced_leader_epoch);
    CHECK(fetch_error_code(FetchError::unknown_leader_epoch) == kafka_error::unknown_leader_epoch);
    CHECK(fetch_error_code(FetchError::not_leader) == kafka_error::not_leader_or_follower);
    for (FetchError e : {FetchError::none, FetchError::fenced_leader_epoch,
                         FetchError::unknown_leader_epoch, FetchError::not_leader}) {
        CHECK(fetch_error_from_code(fetch_error_code(e)) == e);
    }
    CHECK_FALSE(fetch_error_from_code(kafka_error::corrupt_message).has_value());
}

TEST_CASE("raft wire: FetchSnapshot round trips in v0-v1; not found is an error code") {
    for (int16_t v = 0; v <= 1; ++v) {
        const FetchSnapshotRequest req{5, SnapshotId{100, 4}, 4096};
        const auto k =
            std::get<protocol::FetchSnapshotRequest>(request_to_kafka({peer, self, req}, "c"));
        auto back = request_from_kafka(through_bytes(k, v), v, self);
        REQUIRE(back.ok());
        CHECK(back->from == peer);
        const auto& b = std::get<FetchSnapshotRequest>(back->body);
        CHECK(b.epoch == 5);
        CHECK(b.snapshot_id == SnapshotId{100, 4});
        CHECK(b.position == 4096);

        FetchSnapshotResponse found{5,    peer, SnapshotId{100, 4},      true,
                                    9000, 4096, Bytes(100, std::byte{1})};
        FetchSnapshotResponse missing{5, peer, SnapshotId{100, 4}, false, 0, 4096, {}};
        for (const FetchSnapshotResponse& resp : {found, missing}) {
            const auto kr = through_bytes(response_to_kafka(resp, peer), v);
            CHECK(kr.topics_.at(0).partitions_.at(0).error_code_ ==
                  (resp.found ? 0 : kafka_error::snapshot_not_found));
            auto r = response_from_kafka(kr, v, req, peer, self);
            REQUIRE(r.ok());
            const auto& rb = std::get<FetchSnapshotResponse>(r->body);
            CHECK(rb.epoch == resp.epoch);
            CHECK(rb.leader == resp.leader);
            CHECK(rb.snapshot_id == resp.snapshot_id);
            CHECK(rb.found == resp.found);
            CHECK(rb.size == resp.size);
            CHECK(rb.position == resp.position);
            CHECK(rb.bytes == resp.bytes);
        }
        // Not the leader: NOT_LEADER_OR_FOLLOWER.
        const FetchSnapshotResponse other{6, NodeId(2), SnapshotId{100, 4}, false, 0, 0, {}};
        CHECK(response_to_kafka(other, peer).topics_.at(0).partitions_.at(0).error_code_ ==
              kafka_error::not_leader_or_follower);
    }
}

TEST_CASE("raft wire: DescribeQuorum from the status, v0-v2") {
    QuorumStatus s;
    s.epoch = 4;
    s.leader = self;
    s.high_watermark = 17;
    const Instant now = Instant::from_nanos(Duration::seconds(100).to_nanos());
    const WallTime wall = WallTime::from_millis(1'700'000'000'000);
    s.voters = {ReplicaStatus{self, 20, now, now},
                ReplicaStatus{peer, 15, now - Duration::millis(250), std::nullopt}};
    s.observers = {ReplicaStatus{NodeId(9), -1, std::nullopt, std::nullopt}};
    for (int16_t v = 0; v <= 2; ++v) {
        const auto r = through_bytes(describe_quorum_response(s, self, now, wall), v);
        const auto& p = r.topics_.at(0).partitions_.at(0);
        CHECK(p.error_code_ == 0);
        CHECK(p.leader_id_ == 1);
        CHECK(p.leader_epoch_ == 4);
        CHECK(p.high_watermark_ == 17);
        REQUIRE(p.current_voters_.size() == 2);
        CHECK(p.current_voters_[1].replica_id_ == 3);
        CHECK(p.current_voters_[1].log_end_offset_ == 15);
        if (v >= 1) {
            CHECK(p.current_voters_[1].last_fetch_timestamp_ == 1'700'000'000'000 - 250);
            CHECK(p.current_voters_[1].last_caught_up_timestamp_ == -1);
            CHECK(p.current_voters_[0].last_caught_up_timestamp_ == 1'700'000'000'000);
        }
        REQUIRE(p.observers_.size() == 1);
        CHECK(p.observers_[0].replica_id_ == 9);
    }
    s.leader = peer;
    const auto r = describe_quorum_response(s, self, now, wall);
    CHECK(r.topics_.at(0).partitions_.at(0).error_code_ == kafka_error::not_leader_or_follower);
    CHECK(r.topics_.at(0).partitions_.at(0).leader_id_ == 3);
}

TEST_CASE("raft wire: requests for another partition, or with fields out of range, are refused") {
    auto vote = std::get<protocol::VoteRequest>(
        request_to_kafka({peer, self, VoteRequest{7, 6, 42, false}}, "c"));
    auto wrong_topic = vote;
    wrong_topic.topics_[0].topic_name_ = "orders";
    CHECK(request_from_kafka(wrong_topic, 2, self).error() == WireError::wrong_partition);
    auto wrong_partition = vote;
    wrong_partition.topics_[0].partitions_[0].partition_index_ = 1;
    CHECK(request_from_kafka(wrong_partition, 2, self).error() == WireError::wrong_partition);
    auto two = vote;
    two.topics_[0].partitions_.push_back(two.topics_[0].partitions_[0]);
    CHECK(request_from_kafka(two, 2, self).error() == WireError::wrong_partition);
    auto none = vote;
    none.topics_.clear();
    CHECK(request_from_kafka(none, 2, self).error() == WireError::wrong_partition);
    auto negative = vote;
    negative.topics_[0].partitions_[0].candidate_id_ = -1;
    CHECK(request_from_kafka(negative, 2, self).error() == WireError::invalid_field);
    auto other_voter = vote;
    other_voter.voter_id_ = 8;
    CHECK(request_from_kafka(other_voter, 2, self).error() == WireError::invalid_field);
    CHECK(request_from_kafka(vote, 3, self).error() == WireError::unsupported_version);

    auto fetch = std::get<protocol::FetchRequest>(
        request_to_kafka({peer, self, FetchRequest{5, 10, 4}}, "c"));
    auto wrong_id = fetch;
    wrong_id.topics_[0].topic_id_ = protocol::Uuid{};
    CHECK(request_from_kafka(wrong_id, 13, self).error() == WireError::wrong_partition);
    CHECK(request_from_kafka(wrong_id, 12, self).ok());  // v12 names the topic
    auto consumer = fetch;
    consumer.replica_state_.replica_id_ = -1;
    CHECK(request_from_kafka(consumer, 15, self).error() == WireError::invalid_field);
    auto back_offset = fetch;
    back_offset.topics_[0].partitions_[0].fetch_offset_ = -5;
    CHECK(request_from_kafka(back_offset, 12, self).error() == WireError::invalid_field);
    CHECK(request_from_kafka(fetch, 11, self).error() == WireError::unsupported_version);

    auto end = std::get<protocol::EndQuorumEpochRequest>(
        request_to_kafka({peer, self, EndQuorumEpoch{3, {}}}, "c"));
    end.topics_[0].partitions_[0].preferred_successors_.assign(limits::wire_successors_max + 1, 2);
    CHECK(request_from_kafka(end, 0, self).error() == WireError::too_many);

    auto snap = std::get<protocol::FetchSnapshotRequest>(
        request_to_kafka({peer, self, FetchSnapshotRequest{5, SnapshotId{10, 2}, 0}}, "c"));
    snap.topics_[0].partitions_[0].position_ = -1;
    CHECK(request_from_kafka(snap, 1, self).error() == WireError::invalid_field);
}

TEST_CASE("raft wire: epochs past limits::epoch_max and requests from our own id are refused") {
    // Found by the hostile controller-listener sweep: an epoch of 2^31-1 from a forged Vote,
    // BeginQuorumEpoch or Fetch overflowed at the next election, and a BeginQuorumEpoch naming
    // the receiver as leader of a newer epoch made it follow itself (both ASSERTs).
    const int32_t huge = limits::epoch_max + 1;
    auto vote = std::get<protocol::VoteRequest>(
        request_to_kafka({peer, self, VoteRequest{7, 6, 42, false}}, "c"));
    vote.topics_[0].partitions_[0].candidate_epoch_ = limits::epoch_max;
    vote.topics_[0].partitions_[0].last_offset_epoch_ = limits::epoch_max;
    CHECK(request_from_kafka(vote, 2, self).ok());
    vote.topics_[0].partitions_[0].candidate_epoch_ = huge;
    CHECK(request_from_kafka(vote, 2, self).error() == WireError::invalid_field);
    auto from_self = std::get<protocol::VoteRequest>(
        request_to_kafka({self, self, VoteRequest{7, 6, 42, false}}, "c"));
    CHECK(request_from_kafka(from_self, 2, self).error() == WireError::invalid_field);

    auto begin = std::get<protocol::BeginQuorumEpochRequest>(
        request_to_kafka({peer, self, BeginQuorumEpoch{huge}}, "c"));
    CHECK(request_from_kafka(begin, 1, self).error() == WireError::invalid_field);
    auto begin_self = std::get<protocol::BeginQuorumEpochRequest>(
        request_to_kafka({self, self, BeginQuorumEpoch{3}}, "c"));
    CHECK(request_from_kafka(begin_self, 1, self).error() == WireError::invalid_field);
    auto end = std::get<protocol::EndQuorumEpochRequest>(
        request_to_kafka({peer, self, EndQuorumEpoch{huge, {}}}, "c"));
    CHECK(request_from_kafka(end, 1, self).error() == WireError::invalid_field);

    auto fetch = std::get<protocol::FetchRequest>(
        request_to_kafka({peer, self, FetchRequest{huge, 10, 4}}, "c"));
    CHECK(request_from_kafka(fetch, 12, self).error() == WireError::invalid_field);
    auto fetch_self = std::get<protocol::FetchRequest>(
        request_to_kafka({self, self, FetchRequest{5, 10, 4}}, "c"));
    CHECK(request_from_kafka(fetch_self, 12, self).error() == WireError::invalid_field);
    auto snap = std::get<protocol::FetchSnapshotRequest>(
        request_to_kafka({peer, self, FetchSnapshotRequest{5, SnapshotId{10, huge}, 0}}, "c"));
    CHECK(request_from_kafka(snap, 1, self).error() == WireError::invalid_field);
}

TEST_CASE("raft wire: hostile Fetch responses are refused") {
    const FetchRequest req{5, 10, 4};
    const auto good = response_to_kafka(full_fetch_response());
    REQUIRE(response_from_kafka(good, 12, req, peer, self).ok());

    SUBCASE("bad CRC") {
        auto r = good;
        Bytes& records = *partition(r).records_;
        records[records.size() - 1] ^= std::byte{0x40};  // inside the last record's value
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_records);
    }
    SUBCASE("truncated batch") {
        auto r = good;
        partition(r).records_->resize(partition(r).records_->size() - 3);
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_records);
    }
    SUBCASE("entries not at the fetch offset") {
        const FetchRequest later{5, 11, 4};
        CHECK(response_from_kafka(good, 12, later, peer, self).error() ==
              WireError::invalid_records);
    }
    SUBCASE("a batch of two records") {
        record::BatchBuilderOptions o;
        o.base_offset = Offset(10);
        o.partition_leader_epoch = LeaderEpoch(4);
        record::RecordBatchBuilder b(o);
        b.append(record::no_timestamp, std::nullopt, as_bytes("x"));
        b.append(record::no_timestamp, std::nullopt, as_bytes("y"));
        auto r = good;
        partition(r).records_ = b.build();
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_records);
    }
    SUBCASE("more entries than the limit") {
        FetchResponse many = full_fetch_response();
        many.entries.assign(limits::wire_fetch_entries_max + 1, Entry{4, {}});
        CHECK(response_from_kafka(response_to_kafka(many), 12, req, peer, self).error() ==
              WireError::too_many);
    }
    SUBCASE("wrong partition, unknown error, garbage fields") {
        auto r = good;
        r.responses_[0].partitions_[0].partition_index_ = 2;
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::wrong_partition);
        r = good;
        r.responses_[0].topic_id_ = protocol::Uuid{};
        CHECK(response_from_kafka(r, 13, req, peer, self).error() == WireError::wrong_partition);
        r = good;
        partition(r).error_code_ = kafka_error::corrupt_message;
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::error_response);
        r = good;
        r.error_code_ = kafka_error::inconsistent_cluster_id;
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::error_response);
        r = good;
        partition(r).current_leader_.leader_id_ = -7;
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_field);
        r = good;
        partition(r).diverging_epoch_ = {3, -4};
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_field);
        r = good;
        partition(r).high_watermark_ = -1;
        CHECK(response_from_kafka(r, 12, req, peer, self).error() == WireError::invalid_field);
    }
    SUBCASE("absurd counts in the bytes do not decode") {
        Bytes out;
        protocol::Writer w(out);
        good.encode(w, 12);
        // Throttle (4) + error (2) + session (4), then the compact responses count: make it huge.
        out[10] = std::byte{0xff};
        out[11] = std::byte{0xff};
        out[12] = std::byte{0xff};
        out[13] = std::byte{0x0f};
        protocol::Reader r(out);
        CHECK_FALSE(protocol::FetchResponse::decode(r, 12).ok());
    }
}

TEST_CASE("raft wire: an entry batch is the one RaftLog stores") {
    const Bytes batch =
        encode_entry_batch(Offset(7), LeaderEpoch(3), as_bytes("hello"), record::TimestampMs(5));
    auto view = record::RecordBatchView::parse(batch);
    REQUIRE(view.ok());
    auto e = decode_entry_batch(*view);
    REQUIRE(e.ok());
    CHECK(e->offset == Offset(7));
    CHECK(e->epoch == LeaderEpoch(3));
    CHECK(e->data == to_bytes("hello"));
    Bytes bad = batch;
    bad[bad.size() - 2] ^= std::byte{1};
    auto bad_view = record::RecordBatchView::parse(bad);
    REQUIRE(bad_view.ok());
    CHECK(decode_entry_batch(*bad_view).error() == EntryBatchError::corrupt);
}
