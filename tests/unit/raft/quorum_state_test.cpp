// quorum-state: the format (Kafka's JSON shape, strict parsing), a missing or damaged file, and
// durability: a crash before or after every disk step of a write leaves the acknowledged state or
// the new one, never a torn or older one; a failed sync is reported, never taken for success.
#include "services/raft/quorum_state.h"

#include <doctest/doctest.h>

#include "core/record/crc32c.h"
#include "tests/unit/raft/crash_steps.h"

using namespace eddy;
using namespace eddy::raft;
using eddy::log::test::LogRig;

namespace {

QuorumState sample(int32_t epoch, std::optional<int32_t> voted) {
    QuorumState s;
    s.cluster_id = "AAAAAAAAAAAAAAAAAAAAAA";
    s.leader_epoch = LeaderEpoch(epoch);
    if (voted) {
        s.voted_id = NodeId(*voted);
    }
    s.current_voters = {NodeId(1), NodeId(2), NodeId(3)};
    return s;
}

// A well-formed state whose checksum is off by `delta`.
std::string kafka_text_with_crc(uint32_t delta) {
    const std::string body =
        "{\"leaderId\":-1,\"leaderEpoch\":4,\"votedId\":-1,\"data_version\":0";
    return body + ",\"crc32c\":" +
           std::to_string(record::crc32c(as_bytes(body + "}")) + delta) + "}";
}

}  // namespace

TEST_CASE("quorum-state: Kafka's JSON shape, round trip") {
    QuorumState s = sample(7, 2);
    s.leader_id = NodeId(3);
    const std::string text = encode_quorum_state(s);
    const std::string kafka_shape =
        "{\"clusterId\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"leaderId\":3,\"leaderEpoch\":7,"
        "\"votedId\":2,\"appliedOffset\":0,\"currentVoters\":[{\"voterId\":1},{\"voterId\":2},"
        "{\"voterId\":3}],\"data_version\":0";
    // Kafka's keys, then Eddy's checksum of exactly that text.
    const uint32_t crc = record::crc32c(as_bytes(kafka_shape + "}"));
    CHECK(text == kafka_shape + ",\"crc32c\":" + std::to_string(crc) + "}");
    // The same without the checksum (an earlier Eddy, or Kafka) still reads.
    auto unsummed = decode_quorum_state(kafka_shape + "}");
    REQUIRE(unsummed.ok());
    CHECK(*unsummed == s);
    auto back = decode_quorum_state(text);
    REQUIRE(back.ok());
    CHECK(*back == s);
    // What Kafka writes for a fresh single voter, with whitespace and another key order.
    auto kafka = decode_quorum_state(
        " { \"leaderEpoch\" : 0, \"clusterId\":\"\",\"leaderId\":-1,\"votedId\":-1,"
        "\"appliedOffset\":0,\"currentVoters\":[ {\"voterId\":1} ],\"data_version\":0 }\n");
    REQUIRE(kafka.ok());
    CHECK(!kafka->leader_id);
    CHECK(!kafka->voted_id);
    CHECK(kafka->current_voters == std::vector<NodeId>{NodeId(1)});
    auto empty_voters = decode_quorum_state(
        "{\"leaderId\":-1,\"leaderEpoch\":3,\"votedId\":1,\"currentVoters\":[],"
        "\"data_version\":0}");
    REQUIRE(empty_voters.ok());
    CHECK(empty_voters->voted_id == NodeId(1));
}

TEST_CASE("quorum-state: every flipped bit is refused, the recovering epoch round-trips") {
    QuorumState s = sample(7, 2);
    s.leader_id = NodeId(3);
    s.recovering_epoch = LeaderEpoch(5);
    s.recovering_end = Offset(1234);
    const std::string text = encode_quorum_state(s);
    CHECK(text.find("\"recoveringEpoch\":5,\"recoveringEnd\":1234") != std::string::npos);
    auto back = decode_quorum_state(text);
    REQUIRE(back.ok());
    CHECK(*back == s);
    // Bit rot at rest: one flipped bit anywhere (a digit of the epoch turned into another digit
    // included) is damage, never another state.
    size_t refused = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string rotted = text;
            rotted[i] = static_cast<char>(rotted[i] ^ (1 << bit));
            auto r = decode_quorum_state(rotted);
            CAPTURE(rotted);
            CHECK(!r.ok());
            refused += r.ok() ? 0 : 1;
        }
    }
    CHECK(refused == text.size() * 8);
    auto wrong_sum = decode_quorum_state(kafka_text_with_crc(7));
    CHECK(!wrong_sum.ok());
}

TEST_CASE("quorum-state: strict parsing refuses anything but the shape, with a reason") {
    const char* bad[] = {
        "",
        "[]",
        "{",
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1}",  // no data_version
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":1}",
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0,\"x\":1}",
        "{\"leaderId\":-1,\"leaderId\":2,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":-1,\"leaderEpoch\":-1,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":-2,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":1.5,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":01,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":-1,\"leaderEpoch\":99999999999999999999,\"votedId\":-1,\"data_version\":0}",
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0}x",
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0,}",
        "{\"clusterId\":\"a\\\"b\",\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,"
        "\"data_version\":0}",
        "{\"currentVoters\":[{\"voterId\":1},],\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,"
        "\"data_version\":0}",
        "{\"currentVoters\":[{\"id\":1}],\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,"
        "\"data_version\":0}",
        "{\"currentVoters\":[[[[[[[[",
        "{\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,\"data_version\":0",
    };
    for (const char* text : bad) {
        CAPTURE(text);
        auto r = decode_quorum_state(text);
        REQUIRE(!r.ok());
        CHECK(!r.error().empty());
        CHECK(r.error().find('\n') == std::string::npos);
    }
}

TEST_CASE("quorum-state: a missing file is a fresh state; a damaged one names the file") {
    LogRig rig;
    rig.run([&] {
        REQUIRE(rig.env->disk.make_directory("meta/__cluster_metadata-0").ok());
        auto fresh = read_quorum_state(*rig.env, "meta/__cluster_metadata-0");
        REQUIRE(fresh.ok());
        CHECK(*fresh == QuorumState{});
        auto f = rig.env->disk.open("meta/__cluster_metadata-0/quorum-state", OpenMode::create);
        REQUIRE(f.ok());
        REQUIRE((*f)->write_at(0, as_bytes("{\"leaderEpoch\":")).ok());
        auto damaged = read_quorum_state(*rig.env, "meta/__cluster_metadata-0");
        REQUIRE(!damaged.ok());
        CHECK(damaged.error().find("meta/__cluster_metadata-0/quorum-state is damaged") == 0);
        CHECK(damaged.error().find('\n') == std::string::npos);
        // Too large to be ours.
        REQUIRE((*f)->write_at(limits::quorum_state_bytes_max, as_bytes("x")).ok());
        auto large = read_quorum_state(*rig.env, "meta/__cluster_metadata-0");
        REQUIRE(!large.ok());
        CHECK(large.error().find("too large") != std::string::npos);
    });
}

TEST_CASE(
    "quorum-state: a crash at every step of a write keeps the acknowledged state or the new") {
    const QuorumState acked = sample(4, 1);
    const QuorumState next = sample(5, 3);
    int crash_points = 0;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
        CAPTURE(seed);
        const sim::DiskFaults faults = raft::test::crash_faults();
        bool next_acked = false;
        crash_points += raft::test::crash_at_every_step(
            [&] { return std::make_unique<LogRig>(seed, faults); },
            [&](LogRig& rig) {
                rig.run([&] {
                    REQUIRE(rig.env->disk.make_directory("d").ok());
                    REQUIRE(rig.env->disk.sync_directory("").ok());
                    REQUIRE(write_quorum_state(*rig.env, "d", acked).ok());
                });
            },
            [&](LogRig& rig) {
                next_acked = false;
                // Not inside REQUIRE: doctest would catch the unwinding of the crashed node.
                auto r = write_quorum_state(*rig.env, "d", next);
                REQUIRE(r.ok());
                next_acked = true;
            },
            [&](LogRig& rig, bool finished) {
                CHECK(finished == next_acked);
                rig.run([&] {
                    auto read = read_quorum_state(*rig.env, "d");
                    REQUIRE(read.ok());
                    if (next_acked) {
                        CHECK(*read == next);
                    } else {
                        CHECK((*read == acked || *read == next));
                    }
                });
            });
    }
    CHECK(crash_points >= 12 * 5);  // create, truncate, write, sync, rename, directory sync
}

TEST_CASE("quorum-state: a failed sync is returned, never taken for a durable write") {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        CAPTURE(seed);
        LogRig rig(seed);
        const QuorumState acked = sample(2, std::nullopt);
        rig.run([&] {
            REQUIRE(rig.env->disk.make_directory("d").ok());
            REQUIRE(rig.env->disk.sync_directory("").ok());
            REQUIRE(write_quorum_state(*rig.env, "d", acked).ok());
        });
        sim::DiskFaults f;
        f.sync_error_p = 1.0;
        rig.disk.set_faults(f);
        rig.run([&] {
            auto r = write_quorum_state(*rig.env, "d", sample(3, 2));
            REQUIRE(!r.ok());
            CHECK(r.error() == log::ReplaceError::sync_failed);
        });
        // The caller crashes the node; what is read back is one state or the other, whole.
        rig.disk.set_faults(sim::DiskFaults{});
        rig.crash();
        rig.run([&] {
            auto read = read_quorum_state(*rig.env, "d");
            REQUIRE(read.ok());
            CHECK((*read == acked || *read == sample(3, 2)));
        });
    }
}
