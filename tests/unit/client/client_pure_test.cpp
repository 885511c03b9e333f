// The client's pure parts: version negotiation, offset specs and ISO-8601 times, record format
// strings and JSON, batch building/decoding round trips, Kafka's murmur2 partitioner, error names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/record/record_batch.h"
#include "services/client/batch.h"
#include "services/client/kafka_error.h"
#include "services/client/offset_spec.h"
#include "services/client/record_format.h"
#include "services/client/versions.h"

using namespace eddy;
using namespace eddy::client;
using protocol::ApiKey;

TEST_CASE("client: version negotiation picks the highest common version per API") {
    BrokerVersions broker;
    broker[static_cast<int16_t>(ApiKey::produce)] = {0, 9};      // older broker
    broker[static_cast<int16_t>(ApiKey::fetch)] = {0, 17};       // newer than the client
    broker[static_cast<int16_t>(ApiKey::metadata)] = {0, 0};     // below the client's minimum
    broker[static_cast<int16_t>(ApiKey::end_txn)] = {0, 3};  // an API the client never uses
    broker[999] = {0, 3};                                        // a key this build does not know
    const VersionTable t = VersionTable::negotiate(broker);
    CHECK(t.version(ApiKey::produce) == 9);
    CHECK(t.version(ApiKey::fetch) == 12);  // the client stops before topic-id-only Fetch 13
    CHECK_FALSE(t.version(ApiKey::metadata).has_value());
    CHECK_FALSE(t.version(ApiKey::end_txn).has_value());
    CHECK_FALSE(t.version(ApiKey::list_offsets).has_value());  // not advertised
}

TEST_CASE("client: client version ranges stay inside the codecs' ranges") {
    for (const protocol::ApiInfo& info : protocol::all_apis()) {
        const auto r = client_versions(info.key);
        if (!r) {
            continue;
        }
        CHECK(r->min >= info.min_version);
        CHECK(r->max <= info.max_version);
        CHECK(r->min <= r->max);
    }
    CHECK(client_versions(ApiKey::produce)->min == 3);  // record batch v2
}

TEST_CASE("client: offset specs") {
    using K = OffsetSpec::Kind;
    CHECK(*parse_offset_spec("start") == OffsetSpec{K::start, 0});
    CHECK(*parse_offset_spec("beginning") == OffsetSpec{K::start, 0});
    CHECK(*parse_offset_spec("end") == OffsetSpec{K::end, 0});
    CHECK(*parse_offset_spec("42") == OffsetSpec{K::absolute, 42});
    CHECK(*parse_offset_spec("-3") == OffsetSpec{K::from_end, 3});
    CHECK(*parse_offset_spec("+2") == OffsetSpec{K::from_start, 2});
    CHECK(*parse_offset_spec("@1700000000123") == OffsetSpec{K::timestamp, 1700000000123});
    CHECK(*parse_offset_spec("@2023-11-14T22:13:20Z") == OffsetSpec{K::timestamp, 1700000000000});
    for (const char* bad : {"", "x", "-", "@", "@abc", "1.5", "--3", "99999999999999999999",
                            "@2023-13-01", "@2023-02-29", "@2023-01-01T25:00"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_offset_spec(bad).ok());
    }
    CHECK(parse_offset_spec("nope").error().find("invalid offset 'nope'") == 0);
}

TEST_CASE("client: ISO-8601 times") {
    CHECK(*parse_iso8601_ms("1970-01-01") == 0);
    CHECK(*parse_iso8601_ms("2024-02-29") == 1709164800000);
    CHECK(*parse_iso8601_ms("2023-11-14T22:13:20") == 1700000000000);
    CHECK(*parse_iso8601_ms("2023-11-14 22:13:20.123Z") == 1700000000123);
    CHECK(*parse_iso8601_ms("2023-11-14T22:13:20.5") == 1700000000500);
    CHECK(*parse_iso8601_ms("2023-11-15T00:13:20+02:00") == 1700000000000);
    CHECK(*parse_iso8601_ms("2023-11-14T21:13:20-0100") == 1700000000000);
    CHECK(*parse_iso8601_ms("2023-11-14T22:13") == 1699999980000);
    CHECK_FALSE(parse_iso8601_ms("2023-11-14T22").ok());
    CHECK_FALSE(parse_iso8601_ms("2023-11-14T22:13:20junk").ok());
}

TEST_CASE("client: resolving offset specs against partition bounds") {
    using K = OffsetSpec::Kind;
    CHECK(resolve_offset({K::start, 0}, 5, 20, std::nullopt) == 5);
    CHECK(resolve_offset({K::end, 0}, 5, 20, std::nullopt) == 20);
    CHECK(resolve_offset({K::absolute, 7}, 5, 20, std::nullopt) == 7);
    CHECK(resolve_offset({K::absolute, 2}, 5, 20, std::nullopt) == 5);
    CHECK(resolve_offset({K::absolute, 99}, 5, 20, std::nullopt) == 20);
    CHECK(resolve_offset({K::from_end, 3}, 5, 20, std::nullopt) == 17);
    CHECK(resolve_offset({K::from_end, 100}, 5, 20, std::nullopt) == 5);
    CHECK(resolve_offset({K::from_start, 3}, 5, 20, std::nullopt) == 8);
    CHECK(resolve_offset({K::timestamp, 123}, 5, 20, 11) == 11);
    CHECK(resolve_offset({K::timestamp, 123}, 5, 20, std::nullopt) == 20);
}

namespace {

ConsumerRecord sample() {
    ConsumerRecord r;
    r.topic = "orders";
    r.partition = PartitionId(2);
    r.offset = Offset(41);
    r.timestamp_ms = 1700000000123;
    r.key = "k1";
    r.value = "hello \"world\"\n";
    r.headers = {{"trace", "abc"}, {"empty", ""}, {"nul", std::nullopt}};
    return r;
}

}  // namespace

TEST_CASE("client: record format strings") {
    const ConsumerRecord r = sample();
    CHECK(RecordFormatter::parse("%k %v")->format(r) == "k1 hello \"world\"\n\n");
    CHECK(RecordFormatter::parse("%t/%p@%o %T %d\\n")->format(r) ==
          "orders/2@41 1700000000123 1700000000123\n");
    CHECK(RecordFormatter::parse("%K %S %h %%\\t|")->format(r) == "2 14 trace=abc,empty=,nul= %\t|\n");
    ConsumerRecord nulls = r;
    nulls.key.reset();
    nulls.value.reset();
    CHECK(RecordFormatter::parse("[%k][%s] %K %V")->format(nulls) == "[][] -1 -1\n");
    CHECK_FALSE(RecordFormatter::parse("%x").ok());
    CHECK_FALSE(RecordFormatter::parse("abc%").ok());
    CHECK(RecordFormatter::parse("%q").error().find("'%q'") != std::string::npos);
}

TEST_CASE("client: JSON output") {
    ConsumerRecord r = sample();
    CHECK(format_json(r) ==
          "{\"topic\":\"orders\",\"partition\":2,\"offset\":41,\"timestamp\":1700000000123,"
          "\"key\":\"k1\",\"value\":\"hello \\\"world\\\"\\n\",\"headers\":[{\"key\":\"trace\","
          "\"value\":\"abc\"},{\"key\":\"empty\",\"value\":\"\"},{\"key\":\"nul\",\"value\":null}]}"
          "\n");
    r.key.reset();
    r.headers.clear();
    r.value = std::string("a\x01", 2);
    CHECK(format_json(r).find("\"key\":null,\"value\":\"a\\u0001\",\"headers\":[]") !=
          std::string::npos);
}

TEST_CASE("client: batches round-trip through build and decode, every codec") {
    for (const record::Codec codec : {record::Codec::none, record::Codec::gzip,
                                      record::Codec::snappy, record::Codec::lz4,
                                      record::Codec::zstd}) {
        CAPTURE(static_cast<int>(codec));
        std::vector<ProducerRecord> in(3);
        in[0].key = "a";
        in[0].value = "one";
        in[0].headers = {{"h", "v"}, {"n", std::nullopt}};
        in[1].value = std::nullopt;  // tombstone, null key
        in[2].key = "";
        in[2].value = std::string(1000, 'x');
        in[2].timestamp_ms = 5;
        Bytes batch = build_batch(in, codec, 1700000000000);
        auto view = record::RecordBatchView::parse(batch);
        REQUIRE(view.ok());
        CHECK(view->validate().ok());
        CHECK(view->compression() == codec);
        record::set_base_offset(batch, Offset(100));

        auto all = decode_records("t", PartitionId(0), batch, Offset(100));
        REQUIRE(all.ok());
        REQUIRE(all->records.size() == 3);
        CHECK(all->next_offset == Offset(103));
        CHECK(all->records[0].offset == Offset(100));
        CHECK(all->records[0].key == "a");
        CHECK(all->records[0].value == "one");
        CHECK(all->records[0].timestamp_ms == 1700000000000);
        CHECK(all->records[0].headers == in[0].headers);
        CHECK_FALSE(all->records[1].key.has_value());
        CHECK_FALSE(all->records[1].value.has_value());
        CHECK(all->records[2].key == "");
        CHECK(all->records[2].value == in[2].value);
        CHECK(all->records[2].timestamp_ms == 5);

        // Records before the requested offset are dropped; a cut-off tail batch is ignored.
        auto later = decode_records("t", PartitionId(0), batch, Offset(102));
        REQUIRE(later.ok());
        REQUIRE(later->records.size() == 1);
        CHECK(later->records[0].offset == Offset(102));
        Bytes two = batch;
        two.insert(two.end(), batch.begin(), batch.begin() + 30);
        auto partial = decode_records("t", PartitionId(0), two, Offset(100));
        REQUIRE(partial.ok());
        CHECK(partial->records.size() == 3);
    }
}

TEST_CASE("client: a corrupt fetched batch is CORRUPT_MESSAGE") {
    std::vector<ProducerRecord> in(1);
    in[0].value = "v";
    Bytes batch = build_batch(in, record::Codec::none, 1);
    batch.back() ^= std::byte{0xff};
    auto r = decode_records("t", PartitionId(0), batch, Offset(0));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == error_code::corrupt_message);
}

TEST_CASE("client: murmur2 partitioner matches Kafka") {
    // Values from Kafka's UtilsTest.testMurmur2 (as signed ints there).
    CHECK(static_cast<int32_t>(murmur2("21")) == -973932308);
    CHECK(static_cast<int32_t>(murmur2("foobar")) == -790332482);
    CHECK(static_cast<int32_t>(murmur2("a-little-bit-long-string")) == -985981536);
    CHECK(static_cast<int32_t>(murmur2("a-little-bit-longer-string")) == -1486304829);
    CHECK(static_cast<int32_t>(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")) ==
          -58897971);
    CHECK(static_cast<int32_t>(murmur2(std::string("abc"))) == 479470107);
    CHECK(partition_for_key("foobar", 7) ==
          static_cast<int32_t>((static_cast<uint32_t>(-790332482) & 0x7fffffffU) % 7));
}

TEST_CASE("client: error names and wording") {
    CHECK(std::string(error_name(36)) == "TOPIC_ALREADY_EXISTS");
    CHECK(std::string(error_name(-1)) == "UNKNOWN_SERVER_ERROR");
    CHECK(std::string(error_name(120)) == "TRANSACTION_ABORTABLE");
    CHECK(std::string(error_name(121)) == "UNKNOWN_ERROR_CODE");
    CHECK(std::string(error_name(-2)) == "UNKNOWN_ERROR_CODE");
    CHECK(is_retriable(error_code::not_leader_or_follower));
    CHECK(is_retriable(error_code::leader_not_available));
    CHECK_FALSE(is_retriable(error_code::topic_already_exists));
    CHECK(topic_error(36, "x", "Topic 'x' already exists.").to_string() ==
          "topic 'x' already exists (TOPIC_ALREADY_EXISTS)");
    CHECK(topic_error(3, "y", std::nullopt).to_string() ==
          "topic 'y' does not exist (UNKNOWN_TOPIC_OR_PARTITION)");
    CHECK(topic_error(40, "z", "bad value").to_string() == "topic 'z': bad value (INVALID_CONFIG)");
}
