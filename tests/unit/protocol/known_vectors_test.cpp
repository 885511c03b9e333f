// Hand-checked byte vectors: requests as real clients send them and flexible messages with
// tagged fields, decoded and re-encoded byte for byte; plus the header-version rules (ApiVersions
// responses always use header v0) and the API table.
#include <doctest/doctest.h>

#include <string>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/generated/records/all_records.h"
#include "core/protocol/message_header.h"
#include "tests/unit/protocol/protocol_test_util.h"

using namespace eddy;
using namespace eddy::protocol;
using eddy::protocol::test::hex;
using eddy::protocol::test::text;

namespace {

template <typename T>
Bytes encode(const T& m, int16_t version) {
    Bytes b;
    Writer w(b);
    m.encode(w, version);
    return b;
}

}  // namespace

TEST_CASE("known vector: ApiVersionsRequest v3 as librdkafka 2.0.2 sends it") {
    // Request header v2 (flexible): api key 18, version 3, correlation id 1, ClientId "rdkafka"
    // as a CLASSIC string, empty header tags; body: two compact strings, empty body tags.
    const Bytes wire = hex("0012 0003 00000001 0007" + text("rdkafka") + " 00" +  //
                           " 0b" + text("librdkafka") + " 06" + text("2.0.2") + " 00");
    Reader r(wire);
    auto header = decode_request_header(r);
    REQUIRE(header.ok());
    CHECK(header->request_api_key_ == 18);
    CHECK(header->request_api_version_ == 3);
    CHECK(header->correlation_id_ == 1);
    CHECK(header->client_id_ == std::optional<std::string>("rdkafka"));
    CHECK(r.consumed() == 2 + 2 + 4 + 2 + 7 + 1);

    auto body = ApiVersionsRequest::decode(r, 3);
    REQUIRE(body.ok());
    CHECK(body->client_software_name_ == "librdkafka");
    CHECK(body->client_software_version_ == "2.0.2");
    CHECK(r.remaining() == 0);

    Bytes again;
    Writer w(again);
    encode_request_header(w, *header);
    body->encode(w, 3);
    CHECK(again == wire);
}

TEST_CASE("known vector: an unknown tagged field is skipped") {
    // ApiVersionsRequest v3 body with an extra tag 7 (3 bytes) a newer client might send.
    const Bytes wire = hex("04" + text("abc") + " 02" + text("x") + " 01 07 03 aabbcc");
    Reader r(wire);
    auto body = ApiVersionsRequest::decode(r, 3);
    REQUIRE(body.ok());
    CHECK(body->client_software_name_ == "abc");
    CHECK(body->client_software_version_ == "x");
    CHECK(r.remaining() == 0);
}

TEST_CASE("known vector: Metadata v1 request (classic encoding)") {
    // Header v1: api key 3, version 1, correlation id 7, ClientId "cli"; topics ["foo", "ba"].
    const Bytes wire = hex("0003 0001 00000007 0003" + text("cli") +  //
                           " 00000002 0003" + text("foo") + " 0002" + text("ba"));
    Reader r(wire);
    auto header = decode_request_header(r);
    REQUIRE(header.ok());
    CHECK(header->client_id_ == std::optional<std::string>("cli"));
    auto body = MetadataRequest::decode(r, 1);
    REQUIRE(body.ok());
    REQUIRE(body->topics_.has_value());
    REQUIRE(body->topics_->size() == 2);
    CHECK((*body->topics_)[0].name_ == std::optional<std::string>("foo"));
    CHECK((*body->topics_)[1].name_ == std::optional<std::string>("ba"));
    CHECK(r.remaining() == 0);

    // v1 allows a null topic list ("all topics"); v0 does not.
    const Bytes all_topics = hex("ffffffff");
    Reader r1(all_topics);
    auto all = MetadataRequest::decode(r1, 1);
    REQUIRE(all.ok());
    CHECK_FALSE(all->topics_.has_value());
    Reader r0(all_topics);
    CHECK(MetadataRequest::decode(r0, 0).error() == DecodeError::unexpected_null);

    // Defaults: AllowAutoTopicCreation is true, and a fresh request asks for no topics.
    MetadataRequest fresh;
    CHECK(fresh.allow_auto_topic_creation_);
    CHECK(encode(fresh, 1) == hex("00000000"));
}

TEST_CASE("known vector: ApiVersionsResponse v3 with tagged fields set") {
    ApiVersionsResponse m;
    m.error_code_ = 0;
    ApiVersionsResponse::ApiVersion av;
    av.api_key_ = 18;
    av.min_version_ = 0;
    av.max_version_ = 4;
    m.api_keys_.push_back(av);
    m.throttle_time_ms_ = 0;
    m.finalized_features_epoch_ = 5;  // tag 1 (default -1)
    m.zk_migration_ready_ = true;     // tag 3 (default false)
    // error code; compact array of one ApiVersion (+ its empty tags); throttle time; two tagged
    // fields sorted by tag: tag 1 (8 bytes) and tag 3 (1 byte).
    const Bytes expected =
        hex("0000 02 0012 0000 0004 00 00000000 02 01 08 0000000000000005 03 01 01");
    CHECK(encode(m, 3) == expected);
    Reader r(expected);
    auto back = ApiVersionsResponse::decode(r, 3);
    REQUIRE(back.ok());
    CHECK(*back == m);

    // Untouched tagged fields are not sent at all.
    ApiVersionsResponse plain;
    CHECK(encode(plain, 3) == hex("0000 01 00000000 00"));
    // v0: no throttle time, no tags, classic array.
    CHECK(encode(m, 0) == hex("0000 00000001 0012 0000 0004"));
}

TEST_CASE("known vector: FetchRequest v12 ClusterId is a tagged nullable string") {
    FetchRequest m;
    m.cluster_id_ = "c1";
    const Bytes with = encode(m, 12);
    FetchRequest none;
    const Bytes without = encode(none, 12);
    // The tagged section at the end grows from "00" to "01 00 03 03 'c1'".
    REQUIRE(with.size() == without.size() + 5);
    CHECK(Bytes(with.end() - 6, with.end()) == hex("01 00 03 03" + text("c1")));
    CHECK(without.back() == std::byte{0});
    Reader r(with);
    auto back = FetchRequest::decode(r, 12);
    REQUIRE(back.ok());
    CHECK(back->cluster_id_ == std::optional<std::string>("c1"));
}

TEST_CASE("known vector: a nullable struct carries a presence byte") {
    // ConsumerGroupMemberMetadataValue.ClassicMemberMetadata is a tagged nullable struct
    // (default null); when set, its tagged body starts with the presence byte 1.
    records::ConsumerGroupMemberMetadataValue m;
    CHECK_FALSE(m.classic_member_metadata_.has_value());
    m.classic_member_metadata_.emplace();
    const Bytes b = encode(m, 0);
    Reader r(b);
    auto back = records::ConsumerGroupMemberMetadataValue::decode(r, 0);
    REQUIRE(back.ok());
    CHECK(*back == m);
}

TEST_CASE("header versions: ApiVersions responses always use header v0") {
    CHECK(request_header_version(ApiKey::api_versions, 0) == 1);
    CHECK(request_header_version(ApiKey::api_versions, 3) == 2);
    CHECK(request_header_version(ApiKey::api_versions, 99) == 2);  // newer than we know
    CHECK(response_header_version(ApiKey::api_versions, 3) == 0);
    CHECK(response_header_version(ApiKey::api_versions, 4) == 0);
    CHECK(request_header_version(ApiKey::controlled_shutdown, 0) == 0);
    CHECK(request_header_version(ApiKey::controlled_shutdown, 1) == 1);
    CHECK(request_header_version(ApiKey::metadata, 8) == 1);
    CHECK(request_header_version(ApiKey::metadata, 9) == 2);
    CHECK(response_header_version(ApiKey::metadata, 8) == 0);
    CHECK(response_header_version(ApiKey::metadata, 9) == 1);
    CHECK(response_header_version(ApiKey::produce, 9) == 1);

    Bytes b;
    Writer w(b);
    encode_response_header(w, ApiKey::api_versions, 3, 42);
    CHECK(b == hex("0000002a"));  // no tag section
    Bytes b2;
    Writer w2(b2);
    encode_response_header(w2, ApiKey::metadata, 12, 42);
    CHECK(b2 == hex("0000002a 00"));
    Reader r(b2);
    auto h = decode_response_header(r, ApiKey::metadata, 12);
    REQUIRE(h.ok());
    CHECK(h->correlation_id_ == 42);
    CHECK(r.remaining() == 0);
}

TEST_CASE("header: unknown API keys and short headers are errors") {
    const Bytes unknown = hex("7fff 0000 00000001 ffff");
    Reader r(unknown);
    CHECK(decode_request_header(r).error() == DecodeError::unknown_api_key);
    const Bytes short_header = hex("0003");
    Reader r2(short_header);
    CHECK(decode_request_header(r2).error() == DecodeError::truncated);
    // ControlledShutdown v0 has no ClientId.
    const Bytes cs0 = hex("0007 0000 00000009");
    Reader r3(cs0);
    auto h = decode_request_header(r3);
    REQUIRE(h.ok());
    CHECK(h->correlation_id_ == 9);
    CHECK(r3.remaining() == 0);
}

TEST_CASE("API table: every key, ordered, with versions from the specs") {
    const auto apis = all_apis();
    CHECK(apis.size() == 88);
    for (size_t i = 1; i < apis.size(); ++i) {
        CHECK(static_cast<int>(apis[i - 1].key) < static_cast<int>(apis[i].key));
    }
    const ApiInfo& av = api_info(ApiKey::api_versions);
    CHECK(std::string(av.name) == "ApiVersions");
    CHECK(av.min_version == 0);
    CHECK(av.max_version == 4);
    CHECK(av.first_flexible_version == 3);
    CHECK((av.listeners & listener_broker) != 0);
    CHECK(api_info(ApiKey::produce).max_version == ProduceRequest::max_version);
    CHECK(api_info(ApiKey::fetch).first_flexible_version == 12);
    CHECK(api_key_from_int(18) == ApiKey::api_versions);
    CHECK_FALSE(api_key_from_int(-1).has_value());
    CHECK_FALSE(api_key_from_int(30000).has_value());
    CHECK(std::string(to_string(ApiKey::metadata)) == "Metadata");
}
