// `__consumer_offsets` record formats: hand-checked bytes for each key/value version Eddy writes,
// the flexible GroupMetadataValue v4, tombstones, the dispatch on the key version, and Kafka's
// group partitioning (Java String.hashCode over UTF-16, Utils.abs).
#include "services/group/group_records.h"

#include <doctest/doctest.h>

#include "core/protocol/consumer_protocol.h"

using namespace eddy;
using namespace eddy::group;
using eddy::protocol::encode_subscription;
using eddy::protocol::parse_subscribed_topics;

namespace {

Bytes hex(std::initializer_list<int> v) {
    Bytes out;
    for (int b : v) {
        out.push_back(static_cast<std::byte>(b));
    }
    return out;
}

}  // namespace

TEST_SUITE_BEGIN("group");
TEST_CASE("group records: OffsetCommit key v1 and value v3, byte-exact") {
    rec::OffsetCommitValue v;
    v.offset_ = 258;
    v.leader_epoch_ = 7;
    v.metadata_ = "m";
    v.commit_timestamp_ = 0x0102030405;
    auto r = make_offset_commit_record("g", "t", 5, v, 3);
    CHECK(r.key == hex({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 5}));
    REQUIRE(r.value);
    CHECK(*r.value ==
          hex({0, 3, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 7, 0, 1, 'm', 0, 0, 0, 1, 2, 3, 4, 5}));
    auto d = decode_record(r.key, ByteSpan(*r.value));
    REQUIRE(d.ok());
    auto* o = std::get_if<OffsetCommitRecord>(&*d);
    REQUIRE(o != nullptr);
    CHECK(o->key.group_ == "g");
    CHECK(o->key.topic_ == "t");
    CHECK(o->key.partition_ == 5);
    REQUIRE(o->value);
    CHECK(*o->value == v);
}

TEST_CASE("group records: OffsetCommit value v1 carries the expire timestamp") {
    rec::OffsetCommitValue v;
    v.offset_ = 1;
    v.commit_timestamp_ = 2;
    v.expire_timestamp_ = 3;
    auto r = make_offset_commit_record("g", "t", 0, v, 1);
    CHECK(*r.value == hex({0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
                           0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3}));
    auto d = decode_record(r.key, ByteSpan(*r.value));
    REQUIRE(d.ok());
    CHECK(std::get<OffsetCommitRecord>(*d).value->expire_timestamp_ == 3);
    CHECK(std::get<OffsetCommitRecord>(*d).value->leader_epoch_ == -1);  // not in v1
}

TEST_CASE("group records: GroupMetadata key v2 and value v3, byte-exact") {
    rec::GroupMetadataValue v;
    v.protocol_type_ = "c";
    v.generation_ = 2;
    v.protocol_ = "r";
    v.leader_ = "m";
    v.current_state_timestamp_ = 9;
    rec::GroupMetadataValue::MemberMetadata m;
    m.member_id_ = "m";
    m.group_instance_id_ = std::nullopt;
    m.client_id_ = "c";
    m.client_host_ = "h";
    m.rebalance_timeout_ = 3;
    m.session_timeout_ = 4;
    m.subscription_ = hex({0xAA});
    m.assignment_ = {};
    v.members_.push_back(m);
    auto r = make_group_metadata_record("g", v, 3);
    CHECK(r.key == hex({0, 2, 0, 1, 'g'}));
    // clang-format off
    CHECK(*r.value == hex({0, 3,                     // version
                           0, 1, 'c',                // protocol type
                           0, 0, 0, 2,               // generation
                           0, 1, 'r',                // protocol
                           0, 1, 'm',                // leader
                           0, 0, 0, 0, 0, 0, 0, 9,   // current state timestamp
                           0, 0, 0, 1,               // one member
                           0, 1, 'm',                // member id
                           0xFF, 0xFF,               // group instance id: null
                           0, 1, 'c', 0, 1, 'h',     // client id, host
                           0, 0, 0, 3, 0, 0, 0, 4,   // rebalance, session timeout
                           0, 0, 0, 1, 0xAA,         // subscription
                           0, 0, 0, 0}));            // assignment
    // clang-format on
    auto d = decode_record(r.key, ByteSpan(*r.value));
    REQUIRE(d.ok());
    CHECK(*std::get<GroupMetadataRecord>(*d).value == v);
}

TEST_CASE("group records: GroupMetadata value v4 is flexible and round-trips") {
    rec::GroupMetadataValue v;
    v.protocol_type_ = "consumer";
    v.generation_ = 1;
    v.protocol_ = std::nullopt;
    v.leader_ = std::nullopt;
    auto r = make_group_metadata_record("g", v, 4);
    // compact strings: "consumer" is length+1 = 9; null protocol and leader are 0.
    CHECK(*r.value == hex({0, 4, 9, 'c',  'o',  'n',  's',  'u',  'm',  'e',  'r',  0, 0, 0,
                           1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0}));
    auto d = decode_record(r.key, ByteSpan(*r.value));
    REQUIRE(d.ok());
    CHECK(*std::get<GroupMetadataRecord>(*d).value == v);
}

TEST_CASE("group records: tombstones, other key versions and malformed input") {
    auto t = make_offset_tombstone("g", "t", 1);
    CHECK(!t.value);
    auto d = decode_record(t.key, std::nullopt);
    REQUIRE(d.ok());
    CHECK(!std::get<OffsetCommitRecord>(*d).value);
    auto gt = make_group_tombstone("g");
    auto dg = decode_record(gt.key, std::nullopt);
    REQUIRE(dg.ok());
    CHECK(!std::get<GroupMetadataRecord>(*dg).value);

    auto other = decode_record(hex({0, 3, 0, 1, 'g'}), std::nullopt);  // ConsumerGroupMetadataKey
    REQUIRE(other.ok());
    CHECK(std::get<OtherRecord>(*other).key_version == 3);

    CHECK(decode_record(hex({0}), std::nullopt).error() == RecordError::malformed_key);
    CHECK(decode_record(hex({0, 1, 0, 9, 'g'}), std::nullopt).error() ==
          RecordError::malformed_key);
    CHECK(decode_record(hex({0xFF, 0xFF}), std::nullopt).error() == RecordError::malformed_key);
    const Bytes bad_version = hex({0, 9, 0, 0});
    CHECK(decode_record(t.key, ByteSpan(bad_version)).error() ==
          RecordError::unknown_value_version);
    const Bytes truncated = hex({0, 3, 0, 0, 0});
    CHECK(decode_record(t.key, ByteSpan(truncated)).error() == RecordError::malformed_value);
    // A member count the bytes cannot pay for is refused before anything is allocated.
    const Bytes forged = hex({0, 3, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                              0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF});
    CHECK(decode_record(gt.key, ByteSpan(forged)).error() == RecordError::malformed_value);
}

TEST_CASE("group records: Java String.hashCode over UTF-16 and the group's partition") {
    CHECK(java_string_hash("") == 0);
    CHECK(java_string_hash("a") == 97);
    CHECK(java_string_hash("my-group") == -1906497762);
    CHECK(java_string_hash("\xC3\xA9") == 233);              // é: one UTF-16 unit
    CHECK(java_string_hash("\xF0\x9F\x98\x80") == 1772899);  // 😀: a surrogate pair
    CHECK(java_string_hash("\xFF") == 0xFFFD);               // malformed: U+FFFD
    CHECK(java_string_hash("\xE2\x82") == 0xFFFD);           // truncated: one U+FFFD
    CHECK(java_string_hash("\xED\xA0\x80") == (0xFFFD * 31 + 0xFFFD) * 31 + 0xFFFD);  // surrogate
    CHECK(java_string_hash("polygenelubricants") == std::numeric_limits<int32_t>::min());
    CHECK(partition_for_group("polygenelubricants", 50) == 0);  // Utils.abs(INT_MIN) = 0
    CHECK(partition_for_group("my-group", 50) == 12);
    CHECK(partition_for_group("console-consumer-1234", 50) == 9);
    CHECK(partition_for_group("\xF0\x9F\x98\x80", 50) == 49);
    CHECK(partition_for_group("a", 1) == 0);
}

TEST_CASE("group records: consumer protocol subscription topics, v0-3 and newer") {
    for (int16_t v = 0; v <= 3; ++v) {
        auto topics = parse_subscribed_topics(encode_subscription({"a", "b"}, v));
        REQUIRE(topics);
        CHECK(*topics == std::set<std::string>{"a", "b"});
    }
    Bytes future = encode_subscription({"x"}, 3);
    future[1] = std::byte{7};  // a newer version is read as v3
    future.push_back(std::byte{0x42});
    CHECK(parse_subscribed_topics(future) == std::set<std::string>{"x"});
    CHECK(!parse_subscribed_topics(hex({0, 0, 0, 0, 0, 5})));
    CHECK(!parse_subscribed_topics(hex({0xFF, 0xFF})));
}

TEST_SUITE_END();
