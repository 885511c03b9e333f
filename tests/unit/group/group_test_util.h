// Test rig for the group coordinator: a coordinator, a clock, the records it asked to write (the
// "log") and the deferred replies by token, plus request builders with Kafka's field defaults.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/protocol/consumer_protocol.h"
#include "services/group/group_coordinator.h"

namespace eddy::group::test {

namespace proto = eddy::protocol;

inline Bytes sub(std::set<std::string> topics) { return proto::encode_subscription(topics, 1); }

struct Rig {
    GroupConfig config;
    std::optional<GroupCoordinator> c;
    Instant mono = Instant::from_nanos(1'000'000'000);
    WallTime wall = WallTime::from_millis(1'700'000'000'000);
    std::vector<GroupRecord> log;
    std::map<Token, Reply> replies;
    Token next_token = 1;

    explicit Rig(GroupConfig cfg = default_config()) : config(cfg), c(std::in_place, cfg) {}

    static GroupConfig default_config() {
        GroupConfig cfg;
        cfg.initial_rebalance_delay = Duration::zero();
        return cfg;
    }

    Now now() const { return Now{mono, wall}; }
    GroupCoordinator& gc() { return *c; }

    void absorb(Effects& fx) {
        for (auto& r : fx.records) {
            log.push_back(std::move(r));
        }
        for (auto& r : fx.replies) {
            REQUIRE(!replies.contains(r.token));  // every token gets exactly one reply
            replies.emplace(r.token, std::move(r));
        }
        fx = Effects{};
    }
    void advance(Duration d) {
        mono = mono + d;
        wall = wall + d;
        Effects fx;
        c->tick(now(), fx);
        absorb(fx);
    }
    void reload() {
        auto loaded = GroupCoordinator::load(config, log, now());
        REQUIRE(loaded.ok());
        c.emplace(std::move(loaded).value());
    }

    Token join(const std::string& group, const std::string& member_id,
               std::vector<std::pair<std::string, Bytes>> protocols, int16_t version = 5,
               std::optional<std::string> instance = std::nullopt,
               Duration session = Duration::seconds(10), Duration rebalance = Duration::seconds(30),
               std::string type = "consumer") {
        proto::JoinGroupRequest r;
        r.group_id_ = group;
        r.member_id_ = member_id;
        r.group_instance_id_ = instance;
        r.session_timeout_ms_ = static_cast<int32_t>(session.to_millis());
        r.rebalance_timeout_ms_ = static_cast<int32_t>(rebalance.to_millis());
        r.protocol_type_ = type;
        for (auto& [name, md] : protocols) {
            proto::JoinGroupRequest::JoinGroupRequestProtocol p;
            p.name_ = name;
            p.metadata_ = md;
            r.protocols_.push_back(p);
        }
        const Token t = next_token++;
        Effects fx;
        c->join_group(t, r, version, ClientInfo{"client", "/127.0.0.1"}, now(), fx);
        absorb(fx);
        return t;
    }
    // A dynamic member's full v4+ join: MEMBER_ID_REQUIRED, then the join with the id.
    std::pair<std::string, Token> join_new(const std::string& group,
                                           std::vector<std::pair<std::string, Bytes>> protocols) {
        const Token t0 = join(group, "", protocols);
        const auto& r0 = join_reply(t0);
        REQUIRE(r0.error_code_ == code(Errc::member_id_required));
        return {r0.member_id_, join(group, r0.member_id_, protocols)};
    }
    const proto::JoinGroupResponse& join_reply(Token t) {
        REQUIRE(replies.contains(t));
        return std::get<proto::JoinGroupResponse>(replies.at(t).response);
    }
    const proto::SyncGroupResponse& sync_reply(Token t) {
        REQUIRE(replies.contains(t));
        return std::get<proto::SyncGroupResponse>(replies.at(t).response);
    }
    Token sync(const std::string& group, const std::string& member, int32_t generation,
               std::vector<std::pair<std::string, Bytes>> assignments = {},
               std::optional<std::string> instance = std::nullopt, int16_t version = 3) {
        proto::SyncGroupRequest r;
        r.group_id_ = group;
        r.member_id_ = member;
        r.generation_id_ = generation;
        r.group_instance_id_ = instance;
        for (auto& [m, a] : assignments) {
            proto::SyncGroupRequest::SyncGroupRequestAssignment sa;
            sa.member_id_ = m;
            sa.assignment_ = a;
            r.assignments_.push_back(sa);
        }
        const Token t = next_token++;
        Effects fx;
        c->sync_group(t, r, version, now(), fx);
        absorb(fx);
        return t;
    }
    int16_t heartbeat(const std::string& group, const std::string& member, int32_t generation,
                      std::optional<std::string> instance = std::nullopt) {
        proto::HeartbeatRequest r;
        r.group_id_ = group;
        r.member_id_ = member;
        r.generation_id_ = generation;
        r.group_instance_id_ = instance;
        Effects fx;
        auto resp = c->heartbeat(r, 3, now(), fx);
        absorb(fx);
        return resp.error_code_;
    }
    int16_t commit(const std::string& group, const std::string& member, int32_t generation,
                   const std::string& topic, int32_t partition, int64_t offset,
                   std::optional<std::string> instance = std::nullopt, int16_t version = 7,
                   std::string metadata = "") {
        proto::OffsetCommitRequest r;
        r.group_id_ = group;
        r.member_id_ = member;
        r.generation_id_or_member_epoch_ = generation;
        r.group_instance_id_ = instance;
        proto::OffsetCommitRequest::OffsetCommitRequestTopic t;
        t.name_ = topic;
        proto::OffsetCommitRequest::OffsetCommitRequestPartition p;
        p.partition_index_ = partition;
        p.committed_offset_ = offset;
        p.committed_metadata_ = metadata;
        t.partitions_.push_back(p);
        r.topics_.push_back(t);
        Effects fx;
        auto resp = c->offset_commit(r, version, now(), fx);
        absorb(fx);
        return resp.topics_.at(0).partitions_.at(0).error_code_;
    }
    // The committed offset as OffsetFetch v5 reports it (-1: none).
    int64_t fetch(const std::string& group, const std::string& topic, int32_t partition) {
        proto::OffsetFetchRequest r;
        r.group_id_ = group;
        proto::OffsetFetchRequest::OffsetFetchRequestTopic t;
        t.name_ = topic;
        t.partition_indexes_ = {partition};
        r.topics_ = std::vector{t};
        auto resp = c->offset_fetch(r, 5);
        return resp.topics_.at(0).partitions_.at(0).committed_offset_;
    }
    GroupState state(const std::string& group) {
        const Group* g = c->find_group(group);
        REQUIRE(g != nullptr);
        return g->state;
    }
};

}  // namespace eddy::group::test
