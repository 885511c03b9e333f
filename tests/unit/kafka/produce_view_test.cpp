// ProduceRequestView against the generated ProduceRequest codec, its reference: on random
// requests of every version (with unknown tagged fields where flexible) both decode to the same
// values and consume the same bytes, the view's records point into the frame, and on every
// truncation both fail alike.
#include "services/kafka/produce_view.h"

#include <doctest/doctest.h>

#include "core/protocol/generated/produce.h"
#include "core/protocol/random_fill.h"

using namespace eddy;
using namespace eddy::protocol;
using eddy::kafka::ProduceRequestView;

namespace {

void check_same(const ProduceRequest& want, const ProduceRequestView& got, ByteSpan frame) {
    CHECK(got.transactional_id == want.transactional_id_);
    CHECK(got.acks == want.acks_);
    CHECK(got.timeout_ms == want.timeout_ms_);
    REQUIRE(got.topics.size() == want.topic_data_.size());
    for (size_t t = 0; t < got.topics.size(); ++t) {
        const auto& wt = want.topic_data_[t];
        const auto& gt = got.topics[t];
        CHECK(gt.name == wt.name_);
        REQUIRE(gt.partitions.size() == wt.partition_data_.size());
        for (size_t p = 0; p < gt.partitions.size(); ++p) {
            const auto& wp = wt.partition_data_[p];
            const auto& gp = gt.partitions[p];
            CHECK(gp.index == wp.index_);
            REQUIRE(gp.records.has_value() == wp.records_.has_value());
            if (gp.records) {
                CHECK(Bytes(gp.records->begin(), gp.records->end()) == *wp.records_);
                CHECK(gp.records->data() >= frame.data());
                CHECK(gp.records->data() + gp.records->size() <= frame.data() + frame.size());
            }
        }
    }
}

}  // namespace

TEST_CASE("produce view: decodes what the generated codec decodes, in place") {
    SplitMix64 rng(20261123);
    for (int16_t version = ProduceRequest::min_version; version <= ProduceRequest::max_version;
         ++version) {
        for (int i = 0; i < 60; ++i) {
            CAPTURE(version);
            CAPTURE(i);
            ProduceRequest req;
            randomize(req, rng, version);
            Bytes frame;
            Writer w(frame);
            req.encode(w, version);

            Reader want_r(frame);
            auto want = ProduceRequest::decode(want_r, version);
            REQUIRE(want.ok());
            Reader got_r(frame);
            auto got = ProduceRequestView::decode(got_r, MutableByteSpan(frame), version);
            REQUIRE(got.ok());
            CHECK(got_r.consumed() == want_r.consumed());
            check_same(*want, *got, frame);

            // Every truncation: the same outcome.
            for (size_t cut = 0; cut < frame.size(); cut += 1 + frame.size() / 64) {
                Bytes part(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(cut));
                Reader a(part);
                Reader b(part);
                auto wa = ProduceRequest::decode(a, version);
                auto gb = ProduceRequestView::decode(b, MutableByteSpan(part), version);
                REQUIRE(wa.ok() == gb.ok());
                if (!wa.ok()) {
                    CHECK(wa.error() == gb.error());
                }
            }
        }
    }
}

TEST_CASE("produce view: unknown tagged fields are skipped as by the generated codec") {
    // v9 (flexible) with one tagged field at the top level, the topic and the partition.
    Bytes frame;
    Writer w(frame);
    w.write_nullable_string(std::nullopt, true);
    w.write_int16(-1);
    w.write_int32(1000);
    w.write_array_length(1, true);
    w.write_string("t", true);
    w.write_array_length(1, true);
    w.write_int32(3);
    w.write_nullable_bytes(Bytes{std::byte{1}, std::byte{2}}, true);
    for (int level = 0; level < 3; ++level) {
        w.write_uvarint(1);  // one field
        w.write_uvarint(7);  // tag
        w.write_uvarint(2);  // size
        w.write_int16(0x55);
    }
    Reader want_r(frame);
    auto want = ProduceRequest::decode(want_r, 9);
    REQUIRE(want.ok());
    Reader got_r(frame);
    auto got = ProduceRequestView::decode(got_r, MutableByteSpan(frame), 9);
    REQUIRE(got.ok());
    CHECK(got_r.remaining() == 0);
    CHECK(want_r.remaining() == 0);
    check_same(*want, *got, frame);
}
