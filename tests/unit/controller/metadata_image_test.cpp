// The metadata image: records applied in order give topics, partitions and configs; the record
// framing (frame version, type, version, body) round-trips; unknown record types are skipped.
#include "services/controller/metadata_image.h"

#include <doctest/doctest.h>

#include "tests/unit/controller/image_fixtures.h"

using namespace eddy;
using namespace eddy::controller;
using namespace eddy::protocol::records;

using eddy::controller::testing::id_of;

TEST_CASE("metadata image: create, configure and remove a topic") {
    MetadataImage image;
    TopicRecord t;
    t.name_ = "orders";
    t.topic_id_ = id_of(7);
    image.apply(t);
    for (int32_t p = 0; p < 3; ++p) {
        PartitionRecord pr;
        pr.partition_id_ = p;
        pr.topic_id_ = t.topic_id_;
        pr.replicas_ = {1};
        pr.isr_ = {1};
        pr.leader_ = 1;
        image.apply(pr);
    }
    ConfigRecord c;
    c.resource_type_ = config_resource_topic;
    c.resource_name_ = "orders";
    c.name_ = "retention.ms";
    c.value_ = "1000";
    image.apply(c);

    const TopicState* s = image.topic("orders");
    REQUIRE(s != nullptr);
    CHECK(s->partitions.size() == 3);
    CHECK(s->partitions.at(2).leader == 1);
    CHECK(s->configs.at("retention.ms") == "1000");
    CHECK(image.topic(id_of(7)) == s);

    c.value_ = std::nullopt;  // a null value deletes the config
    image.apply(c);
    CHECK(image.topic("orders")->configs.empty());

    RemoveTopicRecord rm;
    rm.topic_id_ = t.topic_id_;
    image.apply(rm);
    CHECK(image.topic("orders") == nullptr);
    CHECK(image.topic(id_of(7)) == nullptr);
}

TEST_CASE("metadata record framing round-trips; unknown types are skipped") {
    PartitionRecord pr;
    pr.partition_id_ = 4;
    pr.topic_id_ = id_of(9);
    pr.replicas_ = {1, 2, 3};
    pr.isr_ = {1, 3};
    pr.leader_ = 3;
    pr.leader_epoch_ = 12;
    const Bytes framed = encode_metadata_record(pr);
    auto back = decode_metadata_record(framed);
    REQUIRE(back.ok());
    REQUIRE(back->has_value());
    CHECK(std::get<PartitionRecord>(**back) == pr);

    const Bytes unknown{std::byte{1}, std::byte{120}, std::byte{0}};  // frame 1, type 120, v0
    auto skipped = decode_metadata_record(unknown);
    REQUIRE(skipped.ok());
    CHECK(!skipped->has_value());

    auto truncated = decode_metadata_record(ByteSpan(framed).first(framed.size() - 3));
    CHECK(!truncated.ok());
}

TEST_CASE("metadata image: client quotas set, replace, remove, snapshot and refuse bad records") {
    MetadataImage image;
    auto quota = [](std::vector<std::pair<std::string, std::optional<std::string>>> entity,
                    std::string key, double value, bool remove) {
        ClientQuotaRecord r;
        for (auto& e : entity) {
            ClientQuotaRecord::EntityData d;
            d.entity_type_ = e.first;
            d.entity_name_ = e.second;
            r.entity_.push_back(std::move(d));
        }
        r.key_ = std::move(key);
        r.value_ = value;
        r.remove_ = remove;
        return r;
    };
    const auto alice = quota({{"user", "alice"}}, "producer_byte_rate", 1024, false);
    REQUIRE(!image.inconsistency(alice));
    image.apply(alice);
    image.apply(quota({{"client-id", std::nullopt}, {"user", "alice"}}, "request_percentage", 25,
                      false));
    image.apply(quota({{"ip", std::nullopt}}, "connection_creation_rate", 10, false));
    image.apply(quota({{"user", "alice"}}, "producer_byte_rate", 2048, false));
    CHECK(image.client_quotas().resolve(security::QuotaKey::producer_byte_rate, "alice", "x")
              ->value == 2048);
    CHECK(image.client_quotas().resolve(security::QuotaKey::request_percentage, "alice", "x")
              ->value == 25);
    CHECK(image.client_quotas().connection_rate("10.1.1.1") == 10);

    // A snapshot rebuilds the same image, records and all.
    MetadataImage rebuilt;
    for (const auto& r : image.to_records()) {
        REQUIRE(!rebuilt.inconsistency(r));
        rebuilt.apply(r);
    }
    CHECK(rebuilt == image);
    auto decoded = decode_image_snapshot(encode_image_snapshot(image));
    REQUIRE(decoded.ok());
    CHECK(*decoded == image);

    image.apply(quota({{"user", "alice"}}, "producer_byte_rate", 0, true));
    CHECK(image.client_quotas().resolve(security::QuotaKey::producer_byte_rate, "alice", "x") ==
          std::nullopt);
    CHECK(!(rebuilt == image));

    // Records the controller would never write are refused before they are applied.
    CHECK(image.inconsistency(quota({{"topic", "t"}}, "producer_byte_rate", 1, false)));
    CHECK(image.inconsistency(quota({{"user", "a"}}, "no_such_key", 1, false)));
    CHECK(image.inconsistency(quota({{"user", "a"}}, "producer_byte_rate", -1, false)));
    CHECK(image.inconsistency(quota({{"user", "a"}}, "connection_creation_rate", 1, false)));
    CHECK(image.inconsistency(quota({}, "producer_byte_rate", 1, false)));
}
