// meta.properties and the cluster id: derivation from the voters (stable, spelling-insensitive),
// Kafka's Uuid text form, first-start formatting, `eddy format` semantics, the refusals (another
// node, another cluster), and a crash at every step of formatting.
#include "services/controller/meta_properties.h"

#include <doctest/doctest.h>

#include "core/base/sha256.h"
#include "tests/unit/raft/crash_steps.h"

using namespace eddy;
using namespace eddy::controller;
using eddy::log::test::LogRig;

namespace {

std::vector<config::QuorumVoter> voters(const char* text) {
    auto v = config::parse_quorum_voters(text);
    REQUIRE(v.ok());
    return std::move(v).value();
}

std::string file_text(LogRig& rig, const char* path) {
    auto c = rig.disk.contents(path);
    REQUIRE(c.has_value());
    return std::string(as_chars(*c));
}

}  // namespace

TEST_CASE("sha256: FIPS 180-4 test vectors") {
    auto hex = [](const Sha256Digest& d) {
        std::string out;
        for (std::byte b : d) {
            static constexpr char digits[] = "0123456789abcdef";
            out.push_back(digits[static_cast<uint8_t>(b) >> 4]);
            out.push_back(digits[static_cast<uint8_t>(b) & 0xf]);
        }
        return out;
    };
    CHECK(hex(sha256(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(sha256(as_bytes(""))) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("cluster id: derived from the voters, whatever their spelling; Kafka's Uuid form") {
    const std::string a = derive_cluster_id(voters("1@A.example:9093,2@b.example:9093"));
    CHECK(a == derive_cluster_id(voters(" 2@b.example:9093 , 1@a.EXAMPLE:9093")));
    CHECK(a != derive_cluster_id(voters("1@a.example:9093,2@b.example:9094")));
    CHECK(a != derive_cluster_id(voters("1@a.example:9093,3@b.example:9093")));
    CHECK(valid_cluster_id(a));
    // Pinned: the derivation must never change, or upgraded nodes would refuse their own data.
    CHECK(derive_cluster_id(voters("1@127.0.0.1:9093")) == "_FLOHxHGGOZgEwjpq3-yTA");
    Random r(7);
    for (int i = 0; i < 500; ++i) {
        const std::string id = random_base64_uuid(r);
        CHECK(valid_cluster_id(id));
        CHECK(id.front() != '-');
    }
    CHECK(valid_cluster_id("MkU3OEVBNTcwNTJENDM2Qg"));  // Kafka's documentation example
    CHECK(!valid_cluster_id(""));
    CHECK(!valid_cluster_id("MkU3OEVBNTcwNTJENDM2Q"));    // 21 characters
    CHECK(!valid_cluster_id("MkU3OEVBNTcwNTJENDM2Qgg"));  // 23
    CHECK(!valid_cluster_id("MkU3OEVBNTcwNTJENDM2Qh"));   // bits past the 16 bytes
    CHECK(!valid_cluster_id("MkU3OEVBNTcwNTJENDM2+g"));   // not base64url
    CHECK(!valid_cluster_id("-kU3OEVBNTcwNTJENDM2Qg"));   // reads as an option
}

TEST_CASE("meta.properties: the first start formats with the derived id; later starts check it") {
    LogRig rig;
    const auto three = voters("1@a:9093,2@b:9093,3@c:9093");
    rig.run([&] {
        auto m = load_or_format(*rig.env, "", 2, three);
        REQUIRE(m.ok());
        CHECK(m->cluster_id == derive_cluster_id(three));
        CHECK(m->derived_from_voters == "1@a:9093,2@b:9093,3@c:9093");
        CHECK(valid_cluster_id(m->directory_id));
        // Nodes 1 and 3, started from the same voters, agree.
        CHECK(load_or_format(*rig.env, "", 2, voters("3@c:9093,1@a:9093,2@b:9093"))->cluster_id ==
              m->cluster_id);
        // Another node's directory, another cluster's voters: refused, one line each.
        auto other_node = load_or_format(*rig.env, "", 3, three);
        REQUIRE(!other_node.ok());
        CHECK(other_node.error() ==
              "meta.properties says node.id=2 but the configuration says node.id=3: this data "
              "directory belongs to another node");
        const auto moved = voters("1@a:9093,2@b:9093,3@d:9093");
        auto other_cluster = load_or_format(*rig.env, "", 2, moved);
        REQUIRE(!other_cluster.ok());
        CHECK(other_cluster.error() ==
              "meta.properties belongs to cluster.id " + m->cluster_id +
                  " (derived from controller.quorum.voters=1@a:9093,2@b:9093,3@c:9093), but "
                  "controller.quorum.voters=1@a:9093,2@b:9093,3@d:9093 derives cluster.id " +
                  derive_cluster_id(moved) + ": this data directory belongs to another cluster");
    });
    CHECK(file_text(rig, "meta.properties")
              .find("version=1\nnode.id=2\ncluster.id=" + derive_cluster_id(three) +
                    "\ndirectory.id=") != std::string::npos);
    CHECK(file_text(rig, "meta.properties")
              .find("\neddy.derived.from.voters=1@a:9093,2@b:9093,3@c:9093\n") !=
          std::string::npos);
}

TEST_CASE("eddy format: formats, accepts the same ids again, refuses others") {
    LogRig rig;
    const std::string id = "MkU3OEVBNTcwNTJENDM2Qg";
    rig.run([&] {
        REQUIRE(rig.env->disk.make_directory("d").ok());
        CHECK(*format(*rig.env, "d", 1, id, false) == FormatOutcome::formatted);
        CHECK(*format(*rig.env, "d", 1, id, false) == FormatOutcome::already_formatted);
        auto other = format(*rig.env, "d", 1, "AAAAAAAAAAAAAAAAAAAAAA", false);
        REQUIRE(!other.ok());
        CHECK(other.error() == "d/meta.properties is already formatted for cluster.id " + id +
                                   ", node.id 1, not cluster.id AAAAAAAAAAAAAAAAAAAAAA, node.id 1 "
                                   "(--ignore-formatted leaves a formatted directory as is)");
        CHECK(!format(*rig.env, "d", 2, id, false).ok());
        CHECK(*format(*rig.env, "d", 2, "AAAAAAAAAAAAAAAAAAAAAA", true) ==
              FormatOutcome::left_as_is);
        // An explicit id is not compared with the voters at start: the quorum checks it.
        auto m = load_or_format(*rig.env, "d", 1, voters("1@x:9093"));
        REQUIRE(m.ok());
        CHECK(m->cluster_id == id);
        CHECK(m->derived_from_voters.empty());
    });
    CHECK(file_text(rig, "d/meta.properties").find("eddy.derived") == std::string::npos);
}

TEST_CASE("meta.properties: damaged files are one line naming the file") {
    LogRig rig;
    const auto one = voters("1@h:9093");
    auto put = [&](const std::string& text) {
        auto f = rig.env->disk.open("meta.properties", OpenMode::create);
        REQUIRE(f.ok());
        REQUIRE((*f)->truncate(0).ok());
        REQUIRE((*f)->write_at(0, as_bytes(text)).ok());
    };
    rig.run([&] {
        put("version=1\nnode.id=1\n");
        CHECK(load_or_format(*rig.env, "", 1, one).error() == "meta.properties: no cluster.id");
        put("version=1\nnode.id=x\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n");
        CHECK(load_or_format(*rig.env, "", 1, one).error() == "meta.properties: bad node.id 'x'");
        put("version=1\nnode.id=1\ncluster.id=short\n");
        CHECK(load_or_format(*rig.env, "", 1, one).error() ==
              "meta.properties: cluster.id 'short' is not a 22-character base64url id");
        put("version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n");
        CHECK(load_or_format(*rig.env, "", 1, one).error() == "meta.properties: no node.id");
    });
}

TEST_CASE("meta.properties: a crash at any step of the first start's formatting is harmless") {
    const auto three = voters("1@a:9093,2@b:9093,3@c:9093");
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        CAPTURE(seed);
        eddy::raft::test::crash_at_every_step(
            [&] { return std::make_unique<LogRig>(seed, eddy::raft::test::crash_faults()); },
            [](LogRig&) {},
            [&](LogRig& rig) {
                auto m = load_or_format(*rig.env, "", 1, three);
                REQUIRE(m.ok());
            },
            [&](LogRig& rig, bool finished) {
                rig.run([&] {
                    auto read = read_meta_properties(*rig.env, "");
                    REQUIRE(read.ok());  // never a torn file
                    if (finished) {
                        REQUIRE(read->has_value());
                    }
                    // Whatever survived, the next start ends with the same cluster id.
                    auto m = load_or_format(*rig.env, "", 1, three);
                    REQUIRE(m.ok());
                    CHECK(m->cluster_id == derive_cluster_id(three));
                });
            });
    }
}
