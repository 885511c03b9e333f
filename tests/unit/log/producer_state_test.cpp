// ProducerStateTable: Kafka's idempotence rules on their own, sequence wrap-around, head/tail
// truncation, expiry, and the snapshot format (round trip, and refusal of damaged bytes).
#include <doctest/doctest.h>

#include <limits>

#include "services/log/producer_state.h"

using namespace eddy;
using namespace eddy::log;

namespace {

ProducerAppend batch(int64_t pid, int16_t epoch, int32_t seq, int32_t delta) {
    return ProducerAppend{ProducerId(pid), ProducerEpoch(epoch), seq, delta};
}

LogError error_of(const Result<std::optional<ProducerBatch>, LogError>& r) {
    REQUIRE(!r.ok());
    return r.error();
}

}  // namespace

TEST_CASE("producer state: new producers, retries, gaps, epochs") {
    ProducerStateTable t;
    CHECK(t.check(batch(1, 0, 0, 4)).ok());
    CHECK(error_of(t.check(batch(1, 0, 5, 0))) == LogError::unknown_producer_id);
    t.record(batch(1, 0, 0, 4), Offset(10), Offset(14), record::TimestampMs(100));
    auto retry = t.check(batch(1, 0, 0, 4));
    REQUIRE(retry.ok());
    REQUIRE(retry->has_value());
    CHECK((*retry)->first_offset == Offset(10));
    CHECK((*retry)->last_offset == Offset(14));
    CHECK(t.check(batch(1, 0, 5, 1))->has_value() == false);  // the next sequence
    CHECK(error_of(t.check(batch(1, 0, 6, 0))) == LogError::out_of_order_sequence);
    CHECK(error_of(t.check(batch(1, 0, 0, 2))) == LogError::out_of_order_sequence);  // overlap
    CHECK(error_of(t.check(batch(1, 1, 3, 0))) == LogError::out_of_order_sequence);
    CHECK(t.check(batch(1, 1, 0, 0)).ok());
    t.record(batch(1, 1, 0, 0), Offset(20), Offset(20), record::TimestampMs(100));
    CHECK(error_of(t.check(batch(1, 0, 5, 0))) == LogError::invalid_producer_epoch);
    // Only the last five batches are remembered.
    for (int32_t s = 1; s <= 5; ++s) {
        t.record(batch(1, 1, s, 0), Offset(20 + s), Offset(20 + s), record::TimestampMs(100));
    }
    CHECK(error_of(t.check(batch(1, 1, 0, 0))) == LogError::out_of_order_sequence);
    CHECK(t.check(batch(1, 1, 1, 0))->has_value());
}

TEST_CASE("producer state: sequences wrap from INT32_MAX to 0") {
    const int32_t max = std::numeric_limits<int32_t>::max();
    CHECK(batch(1, 0, max - 1, 3).last_sequence() == 1);
    ProducerStateTable t;
    // A producer known from a snapshot near the wrap.
    t.record(batch(1, 0, max - 2, 2), Offset(0), Offset(2), record::TimestampMs(1));
    CHECK(t.check(batch(1, 0, 0, 0)).ok());
    CHECK(!t.check(batch(1, 0, 0, 0))->has_value());
    CHECK(error_of(t.check(batch(1, 0, 1, 0))) == LogError::out_of_order_sequence);
}

TEST_CASE("producer state: truncation and expiry forget producers") {
    ProducerStateTable t;
    t.record(batch(1, 0, 0, 0), Offset(0), Offset(0), record::TimestampMs(1000));
    t.record(batch(2, 0, 0, 0), Offset(5), Offset(5), record::TimestampMs(5000));
    t.record(batch(3, 0, 0, 0), Offset(9), Offset(9), record::TimestampMs(9000));
    t.truncate_head(Offset(3));
    CHECK(!t.producers().contains(ProducerId(1)));
    t.truncate_tail(Offset(9));
    CHECK(!t.producers().contains(ProducerId(3)));
    CHECK(t.producers().contains(ProducerId(2)));
    t.expire(record::TimestampMs(5000 + 100), 50);
    CHECK(t.producers().empty());
}

TEST_CASE("producer state: snapshots round-trip the last batch; damage is refused") {
    ProducerStateTable t;
    t.record(batch(7, 3, 10, 4), Offset(100), Offset(104), record::TimestampMs(42));
    t.record(batch(7, 3, 15, 1), Offset(105), Offset(106), record::TimestampMs(43));
    t.record(batch(9, 0, 0, 0), Offset(107), Offset(107), record::TimestampMs(44));
    const Bytes snap = t.encode_snapshot();
    ProducerStateTable u;
    REQUIRE(u.load_snapshot(snap).ok());
    REQUIRE(u.producers().size() == 2);
    const ProducerEntry& e = u.producers().at(ProducerId(7));
    CHECK(e.epoch == ProducerEpoch(3));
    REQUIRE(e.batches.size() == 1);
    CHECK(e.batches.front().first_sequence == 15);
    CHECK(e.batches.front().last_sequence == 16);
    CHECK(e.batches.front().first_offset == Offset(105));
    CHECK(u.check(batch(7, 3, 15, 1))->has_value());
    CHECK(!u.check(batch(7, 3, 17, 0))->has_value());
    for (size_t i = 0; i < snap.size(); ++i) {
        Bytes bad = snap;
        bad[i] ^= std::byte{0x10};
        ProducerStateTable v;
        CHECK_MESSAGE(!v.load_snapshot(bad).ok(), "flipped byte " << i);
    }
    ProducerStateTable v;
    CHECK(!v.load_snapshot(ByteSpan(snap).first(snap.size() - 1)).ok());
}
