// `eddy topic reassign`'s pure parts: kafka-reassign-partitions' JSON plan (accepted shapes and
// every kind of malformed file, each refused with one line), `--replicas` lists, and the
// progress lines of a partition being moved.
#include "services/client/reassignment_plan.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace eddy;
using namespace eddy::client;

namespace {

PartitionReassignment moved(const std::string& topic, int32_t partition,
                            std::vector<int32_t> replicas) {
    return PartitionReassignment{topic, partition, std::move(replicas)};
}

// The one-line error of a plan that must be refused ("" when it was accepted).
std::string refusal(const std::string& text) {
    auto r = parse_reassignment_json(text);
    return r.ok() ? std::string() : r.error();
}

PartitionMetadata partition_md(int32_t leader, std::vector<int32_t> replicas,
                               std::vector<int32_t> isr) {
    PartitionMetadata p;
    p.leader = NodeId(leader);
    p.replicas = std::move(replicas);
    p.isr = std::move(isr);
    return p;
}

}  // namespace

TEST_CASE("reassignment plan: kafka-reassign-partitions' JSON") {
    auto r = parse_reassignment_json(
        R"({"version":1,"partitions":[{"topic":"orders","partition":0,"replicas":[2,3,4]},)"
        "\n"
        R"(  {"partition": 1, "replicas": [ 1 ], "topic": "a.b_c-d", "log_dirs": ["any"]}]})");
    REQUIRE(r.ok());
    CHECK(r->size() == 2);
    CHECK((*r)[0] == moved("orders", 0, {2, 3, 4}));
    CHECK((*r)[1] == moved("a.b_c-d", 1, {1}));
    // Whitespace of any JSON kind, keys in any order.
    auto spaced = parse_reassignment_json(
        " \r\n\t{ \"partitions\" : [ { \"replicas\" : [ 5 , 6 ] , \"topic\" : \"t\" , "
        "\"partition\" : 7 } ] , \"version\" : 1 } \n");
    REQUIRE(spaced.ok());
    CHECK((*spaced)[0] == moved("t", 7, {5, 6}));
}

TEST_CASE("reassignment plan: malformed files are refused with one line that says what") {
    struct Bad {
        const char* text;
        const char* says;
    };
    const Bad bad[] = {
        {"", "expected the plan (an object) at the end"},
        {"   \n  ", "expected the plan (an object) at the end"},
        {"\n\n  [", "expected the plan (an object) at line 3, column 3"},
        {"[]", "expected the plan (an object)"},
        {"{", "expected \"key\": in the plan"},
        {R"({"version":1,"partitions":[)", "expected a partition (an object)"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]})",
         "expected ',' or ']' in \"partitions\""},
        {R"({"version":1,"partitions":[]})", "the plan lists no partitions"},
        {R"({"partitions":[{"topic":"t","partition":0,"replicas":[1]}]})",
         "the plan has no \"version\""},
        {R"({"version":1})", "the plan has no \"partitions\""},
        {R"({"version":2,"partitions":[]})", "version 2 is not supported (only 1)"},
        {R"({"version":"1","partitions":[]})",
         "\"version\" is not an integer at line 1, column 12"},
        {R"({"version":1.0,"partitions":[]})", "\"version\" is not an integer"},
        {R"({"version":1,"version":1,"partitions":[]})", "\"version\" appears twice in the plan"},
        {R"({"version":1,"partitions":{}})", "\"partitions\" is not a list"},
        {R"({"version":1,"partitions":[],"extra":0})", "unknown key \"extra\" in the plan"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]} x)",
         "text after the plan at line 1, column 73"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]}})",
         "text after the plan"},
        {R"({"version":1,"partitions":[{"partition":0,"replicas":[1]}]})",
         "the partition at line 1, column 28 has no \"topic\""},
        {R"({"version":1,"partitions":[{"topic":"t","replicas":[1]}]})", "has no \"partition\""},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0}]})", "has no \"replicas\""},
        {R"({"version":1,"partitions":[{"topic":"","partition":0,"replicas":[1]}]})",
         "\"topic\" is not a non-empty string without escapes"},
        {R"({"version":1,"partitions":[{"topic":"t\u0041","partition":0,"replicas":[1]}]})",
         "\"topic\" is not a non-empty string without escapes"},
        {R"({"version":1,"partitions":[{"topic":3,"partition":0,"replicas":[1]}]})",
         "\"topic\" is not a non-empty string"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]})",
         "\"partition\" is not a partition number"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":2147483648,"replicas":[1]}]})",
         "\"partition\" is not a partition number"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[]}]})",
         "the replicas of t-0 are empty"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,1]}]})",
         "broker 1 appears twice in the replicas of t-0"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,-2]}]})",
         "a replica is not a broker id"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":["1"]}]})",
         "a replica is not a broker id"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[99999999999999999999]}]})",
         "a replica is not a broker id"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":1}]})",
         "\"replicas\" is not a list"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]})",
         "t-0 has 1 log dirs for 2 replicas"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["/d"]}]})",
         "a log dir is not \"any\""},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"rack":"x"}]})",
         "unknown key \"rack\" in a partition"},
        {R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},)"
         R"({"topic":"t","partition":0,"replicas":[2]}]})",
         "t-0 appears twice in the plan"},
        {"{\"version\":1,\"partitions\":[{\"topic\":\"t\xff\",\"partition\":0,\"replicas\":[1]}]}",
         "\"topic\" is not a non-empty string"},
    };
    for (const Bad& b : bad) {
        const std::string text(b.text);
        CAPTURE(text);
        const std::string why = refusal(text);
        CHECK(why.find(b.says) != std::string::npos);
        CHECK(why.find('\n') == std::string::npos);
    }
}

TEST_CASE("reassignment plan: deep nesting, NULs and truncations never crash") {
    CHECK(refusal(std::string("{\"version\":1\0}", 14)).find("expected ',' or '}'") == 0);
    CHECK(!refusal(std::string(100000, '[')).empty());
    CHECK(!refusal(std::string(100000, '{')).empty());
    const std::string good =
        R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],)"
        R"("log_dirs":["any","any"]}]})";
    REQUIRE(refusal(good).empty());
    for (size_t n = 0; n < good.size(); ++n) {
        CAPTURE(n);
        CHECK(!refusal(good.substr(0, n)).empty());
    }
}

TEST_CASE("reassignment plan: --replicas lists") {
    CHECK(*parse_replica_list("1") == std::vector<int32_t>{1});
    CHECK(*parse_replica_list("3,1,2") == std::vector<int32_t>{3, 1, 2});
    CHECK(*parse_replica_list("0,2147483647") == std::vector<int32_t>{0, 2147483647});
    for (const char* bad :
         {"", ",", "1,", ",1", "1,,2", "1 ,2", "a", "-1", "1.5", "2147483648", "99999999999"}) {
        CAPTURE(bad);
        auto r = parse_replica_list(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() ==
              "invalid replica list '" + std::string(bad) + "' (expected broker ids like 1,2,3)");
    }
    auto twice = parse_replica_list("1,2,1");
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error() == "broker 1 appears twice in the replicas of '1,2,1'");
}

TEST_CASE("reassignment progress lines") {
    const std::vector<int32_t> target{2, 3, 4};
    OngoingReassignment o{"orders", 0, {2, 3, 4, 1}, {4}, {1}};
    auto p =
        reassignment_progress("orders", 0, target, o, partition_md(1, {2, 3, 4, 1}, {1, 2, 3}));
    CHECK_FALSE(p.done);
    CHECK(p.line == "orders-0: adding [4], removing [1], in sync 2 of 3 target replicas");
    OngoingReassignment adding_only{"orders", 0, {2, 3, 4}, {4}, {}};
    p = reassignment_progress("orders", 0, target, adding_only, std::nullopt);
    CHECK(p.line == "orders-0: adding [4], in sync ? of 3 target replicas");
    // Done: no longer listed and Metadata shows the target's brokers.
    p = reassignment_progress("orders", 0, target, std::nullopt,
                              partition_md(2, {2, 3, 4}, {2, 3, 4}));
    CHECK(p.done);
    CHECK(p.line == "orders-0: done, replicas [2,3,4], leader 2");
    p = reassignment_progress("orders", 0, target, std::nullopt, partition_md(-1, {4, 3, 2}, {}));
    CHECK(p.done);
    CHECK(p.line == "orders-0: done, replicas [4,3,2], leader none");
    // Not listed (not yet, or no longer), but Metadata shows other replicas: not done yet.
    p = reassignment_progress("orders", 0, target, std::nullopt,
                              partition_md(1, {1, 2, 3}, {1, 2, 3}));
    CHECK_FALSE(p.done);
    CHECK(p.line ==
          "orders-0: not listed as reassigning, replicas [1,2,3] (waiting for the metadata to "
          "show [2,3,4])");
    p = reassignment_progress("orders", 0, target, std::nullopt, std::nullopt);
    CHECK_FALSE(p.done);
    CHECK(p.line == "orders-0: not in the metadata (waiting)");
}
