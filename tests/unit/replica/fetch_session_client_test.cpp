// FetchSessionClient (KIP-227, the fetcher's side): a full request first, then only what changed
// and what to forget; every way back to a full request (session errors, no room at the broker, a
// closed session, an answer that does not fit, a lost connection). The client against the broker's
// cache is the property in tests/unit/kafka/fetch_sessions_test.cpp.
#include "services/replica/fetch_session_client.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/protocol/error_codes.h"

namespace eddy::replica {

namespace {

using protocol::FetchRequest;
using protocol::FetchResponse;
using Named = std::pair<std::string, int32_t>;

log::TopicPartition tp(const std::string& topic, int32_t partition) {
    return log::TopicPartition{topic, PartitionId(partition)};
}

FetchRequest::FetchPartition at(int32_t partition, int64_t offset) {
    FetchRequest::FetchPartition fp;
    fp.partition_ = partition;
    fp.fetch_offset_ = offset;
    return fp;
}

std::vector<Named> named(const FetchRequest& r) {
    std::vector<Named> out;
    for (const auto& t : r.topics_) {
        for (const auto& p : t.partitions_) {
            out.emplace_back(t.topic_, p.partition_);
        }
    }
    return out;
}

std::vector<Named> forgotten(const FetchRequest& r) {
    std::vector<Named> out;
    for (const auto& t : r.forgotten_topics_data_) {
        for (const int32_t p : t.partitions_) {
            out.emplace_back(t.topic_, p);
        }
    }
    return out;
}

FetchResponse answer(int32_t session_id, int16_t error = kafka_error::none) {
    FetchResponse r;
    r.session_id_ = session_id;
    r.error_code_ = error;
    return r;
}

// A client in session 7 at epoch 1 holding a-0 and a-1 (offsets 0) and b-0 (offset 5).
FetchSessionClient::Wanted in_session(FetchSessionClient& c) {
    FetchSessionClient::Wanted w{
        {tp("a", 0), at(0, 0)}, {tp("a", 1), at(1, 0)}, {tp("b", 0), at(0, 5)}};
    FetchRequest r;
    c.build(w, r);
    REQUIRE(c.handle_response(answer(7)));
    REQUIRE(c.session_id() == 7);
    REQUIRE(c.epoch() == 1);
    return w;
}

}  // namespace

TEST_CASE("fetch session client: the first request names everything and asks for a session") {
    FetchSessionClient c;
    FetchSessionClient::Wanted w{{tp("a", 0), at(0, 0)}, {tp("a", 1), at(1, 3)}, {tp("b", 2), at(2, 5)}};
    FetchRequest r;
    c.build(w, r);
    CHECK(r.session_id_ == 0);
    CHECK(r.session_epoch_ == 0);
    CHECK(named(r) == std::vector<Named>{{"a", 0}, {"a", 1}, {"b", 2}});
    CHECK(r.topics_.size() == 2);
    CHECK(r.forgotten_topics_data_.empty());
    CHECK(c.handle_response(answer(7)));
    CHECK(c.session_id() == 7);
    CHECK(c.epoch() == 1);
    CHECK(c.session() == w);
}

TEST_CASE("fetch session client: incremental requests name what changed and forget what went") {
    FetchSessionClient c;
    auto w = in_session(c);
    FetchRequest r;
    c.build(w, r);  // nothing changed: an empty incremental request (a long poll)
    CHECK(r.session_id_ == 7);
    CHECK(r.session_epoch_ == 1);
    CHECK(r.topics_.empty());
    CHECK(r.forgotten_topics_data_.empty());
    CHECK(c.handle_response(answer(7)));
    CHECK(c.epoch() == 2);

    w[tp("a", 1)].fetch_offset_ = 4;          // moved
    w[tp("b", 0)].current_leader_epoch_ = 3;  // a new leader epoch
    w.erase(tp("a", 0));                      // no longer fetched
    w[tp("c", 0)] = at(0, 0);                 // new
    c.build(w, r);
    CHECK(r.session_epoch_ == 2);
    CHECK(named(r) == std::vector<Named>{{"a", 1}, {"b", 0}, {"c", 0}});
    CHECK(forgotten(r) == std::vector<Named>{{"a", 0}});
    CHECK(c.handle_response(answer(7)));
    CHECK(c.session() == w);
    CHECK(c.epoch() == 3);
}

TEST_CASE("fetch session client: session errors start over with a full request") {
    FetchSessionClient c;
    auto w = in_session(c);
    FetchRequest r;
    // The broker lost the session: a full request asking for a new one, naming no old id.
    c.build(w, r);
    CHECK(!c.handle_response(answer(0, kafka_error::fetch_session_id_not_found)));
    c.build(w, r);
    CHECK(r.session_id_ == 0);
    CHECK(r.session_epoch_ == 0);
    CHECK(named(r).size() == 3);
    CHECK(c.handle_response(answer(8)));
    // A wrong epoch (or any other top-level error): the full request also closes the old one.
    c.build(w, r);
    CHECK(!c.handle_response(answer(0, kafka_error::invalid_fetch_session_epoch)));
    c.build(w, r);
    CHECK(r.session_id_ == 8);
    CHECK(r.session_epoch_ == 0);
    CHECK(named(r).size() == 3);
    CHECK(c.handle_response(answer(9)));
    c.build(w, r);
    CHECK(!c.handle_response(answer(0, kafka_error::unknown_server_error)));
    c.build(w, r);
    CHECK(r.session_id_ == 9);
    CHECK(r.session_epoch_ == 0);
}

TEST_CASE("fetch session client: no room, a closed session, a foreign id, a lost connection") {
    FetchSessionClient c;
    auto w = in_session(c);
    FetchRequest r;
    // The connection was lost: full, closing session 7.
    c.build(w, r);
    c.reset();
    c.build(w, r);
    CHECK(r.session_id_ == 7);
    CHECK(r.session_epoch_ == 0);
    // No room at the broker: the answer is usable, the next request asks again.
    CHECK(c.handle_response(answer(0)));
    c.build(w, r);
    CHECK(r.session_id_ == 0);
    CHECK(r.session_epoch_ == 0);
    CHECK(c.handle_response(answer(11)));
    // The broker closed the session and answered sessionless: usable, then full again.
    c.build(w, r);
    CHECK(r.session_epoch_ == 1);
    CHECK(c.handle_response(answer(0)));
    c.build(w, r);
    CHECK(r.session_id_ == 0);
    CHECK(r.session_epoch_ == 0);
    CHECK(c.handle_response(answer(12)));
    // An incremental answer naming another session does not fit: dropped, then full, closing ours.
    c.build(w, r);
    CHECK(!c.handle_response(answer(13)));
    c.build(w, r);
    CHECK(r.session_id_ == 12);
    CHECK(r.session_epoch_ == 0);
}

}  // namespace eddy::replica
