// GroupCoordinator, part 3: committed offsets (OffsetCommit, OffsetFetch, OffsetDelete),
// transactional staging for RequireStable, and offsets retention.
#include <algorithm>

#include "core/base/assert.h"
#include "core/protocol/consumer_protocol.h"
#include "services/group/group_coordinator.h"

namespace eddy::group {

namespace {

// The topics a consumer group's members subscribe to, or none when unknown (a member whose
// metadata does not parse, or a group not using the consumer protocol): then every topic counts
// as subscribed, which is the safe answer for both OffsetDelete and retention.
std::optional<std::set<std::string>> subscribed_topics(const Group& g) {
    if (g.protocol_type != protocol::consumer_protocol_type) {
        return std::nullopt;
    }
    std::set<std::string> out;
    for (const auto& [id, m] : g.members) {
        const Bytes* metadata = nullptr;
        if (g.protocol_name) {
            metadata = m.metadata_for(*g.protocol_name);
        }
        if (metadata == nullptr && !m.protocols.empty()) {
            metadata = &m.protocols.front().second;
        }
        if (metadata == nullptr) {
            return std::nullopt;
        }
        auto topics = protocol::parse_subscribed_topics(*metadata);
        if (!topics) {
            return std::nullopt;
        }
        out.insert(topics->begin(), topics->end());
    }
    return out;
}

}  // namespace

proto::OffsetCommitResponse GroupCoordinator::offset_commit(const proto::OffsetCommitRequest& req,
                                                            int16_t version, Now now, Effects& fx) {
    tick(now, fx);
    const int32_t generation = version >= 1 ? req.generation_id_or_member_epoch_ : -1;
    const std::string member_id = version >= 1 ? req.member_id_ : std::string();
    const auto instance_id = version >= 7 ? req.group_instance_id_ : std::nullopt;

    Errc e = Errc::none;
    Group* g = nullptr;
    auto it = groups_.find(req.group_id_);
    if (it == groups_.end()) {
        if (generation < 0) {
            g = &get_or_create(req.group_id_, now);  // an assign() user storing offsets
        } else {
            e = Errc::illegal_generation;
        }
    } else {
        g = &it->second;
        if (g->state == GroupState::dead) {
            e = Errc::coordinator_not_available;
        } else if (generation < 0 && g->state == GroupState::empty) {
            e = Errc::none;  // no group management: any commit is accepted
        } else if (config_.knobs.accept_fenced_commits) {
            e = Errc::none;  // planted bug: no member or generation check
        } else if (g->state == GroupState::completing_rebalance) {
            e = Errc::rebalance_in_progress;
        } else if (e = validate_member(*g, member_id, instance_id); e != Errc::none) {
        } else if (generation != g->generation) {
            e = Errc::illegal_generation;
        } else {
            // A commit from a live member counts as a heartbeat. PreparingRebalance accepts the
            // current generation's commits: consumers commit while revoking partitions.
            Member& m = g->members.at(member_id);
            if (!m.pending_join && !m.pending_sync) {
                m.session_deadline = now.mono + m.session_timeout;
            }
        }
    }

    std::optional<WallTime> expire;
    if (version >= 2 && version <= 4 && req.retention_time_ms_ != -1) {
        expire = now.wall + duration_from_millis(req.retention_time_ms_);
    }
    proto::OffsetCommitResponse r;
    for (const auto& t : req.topics_) {
        proto::OffsetCommitResponse::OffsetCommitResponseTopic rt;
        rt.name_ = t.name_;
        for (const auto& p : t.partitions_) {
            proto::OffsetCommitResponse::OffsetCommitResponsePartition rp;
            rp.partition_index_ = p.partition_index_;
            const std::string metadata = p.committed_metadata_.value_or("");
            Errc pe = e;
            if (pe == Errc::none && metadata.size() > config_.offset_metadata_max_bytes) {
                pe = Errc::offset_metadata_too_large;
            }
            if (pe == Errc::none) {
                // Committed offsets come from the current generation's members, or from a
                // group without management (the simple consumer, generation -1).
                ASSERT(g != nullptr);
                ASSERT(g->state != GroupState::dead);
                ASSERT(config_.knobs.accept_fenced_commits ||
                           (generation < 0 && g->state == GroupState::empty) ||
                           (generation == g->generation && g->members.contains(member_id) &&
                            g->state != GroupState::completing_rebalance),
                       "an offset is committed only by a member of the current generation");
                CommittedOffset c;

                c.offset = p.committed_offset_;
                c.leader_epoch = version >= 6 ? p.committed_leader_epoch_ : -1;
                c.metadata = metadata;
                c.commit_timestamp = now.wall;
                if (version == 1 && p.commit_timestamp_ != -1) {
                    c.commit_timestamp = wall_from_millis(p.commit_timestamp_);
                }
                c.expire_timestamp = expire;
                rec::OffsetCommitValue v;
                v.offset_ = c.offset;
                v.leader_epoch_ = c.leader_epoch;
                v.metadata_ = c.metadata;
                v.commit_timestamp_ = c.commit_timestamp.to_millis();
                v.expire_timestamp_ = expire ? expire->to_millis() : -1;
                fx.records.push_back(make_offset_commit_record(
                    req.group_id_, t.name_, p.partition_index_, v,
                    expire ? record_version::offset_commit_value_with_expiry
                           : record_version::offset_commit_value));
                g->offsets[{t.name_, p.partition_index_}] = std::move(c);
            }
            rp.error_code_ = code(pe);
            rt.partitions_.push_back(rp);
        }
        r.topics_.push_back(std::move(rt));
    }
    check_invariants();
    return r;
}

namespace {

struct FetchedPartition {
    int32_t partition = 0;
    int64_t offset = -1;
    int32_t leader_epoch = -1;
    std::string metadata;
    Errc error = Errc::none;
};
using FetchedTopics = std::vector<std::pair<std::string, std::vector<FetchedPartition>>>;

// One group's answer. `topics` none: every committed offset of the group.
FetchedTopics fetch_group(
    const Group* g,
    const std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>& topics,
    bool require_stable) {
    const auto one = [&](const std::string& topic, int32_t partition) {
        FetchedPartition p;
        p.partition = partition;
        if (g == nullptr) {
            return p;
        }
        if (require_stable && g->pending_transactional_offsets.contains({topic, partition})) {
            p.error = Errc::unstable_offset_commit;
            return p;
        }
        auto it = g->offsets.find({topic, partition});
        if (it != g->offsets.end()) {
            p.offset = it->second.offset;
            p.leader_epoch = it->second.leader_epoch;
            p.metadata = it->second.metadata;
        }
        return p;
    };
    FetchedTopics out;
    if (topics) {
        for (const auto& [name, partitions] : *topics) {
            out.emplace_back(name, std::vector<FetchedPartition>{});
            for (int32_t p : partitions) {
                out.back().second.push_back(one(name, p));
            }
        }
    } else if (g != nullptr) {
        for (const auto& [tp, c] : g->offsets) {
            if (out.empty() || out.back().first != tp.first) {
                out.emplace_back(tp.first, std::vector<FetchedPartition>{});
            }
            out.back().second.push_back(one(tp.first, tp.second));
        }
    }
    return out;
}

template <typename Topic>
std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topic_list(
    const std::optional<std::vector<Topic>>& topics) {
    if (!topics) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::vector<int32_t>>> out;
    for (const auto& t : *topics) {
        out.emplace_back(t.name_, t.partition_indexes_);
    }
    return out;
}

}  // namespace

proto::OffsetFetchResponse GroupCoordinator::offset_fetch(const proto::OffsetFetchRequest& req,
                                                          int16_t version) const {
    const bool require_stable = version >= 7 && req.require_stable_;
    proto::OffsetFetchResponse r;
    if (version < 8) {
        // v0-1 cannot ask for "all topics"; a null list there is read as empty.
        auto topics = topic_list(req.topics_);
        if (!topics && version < 2) {
            topics.emplace();
        }
        for (auto& [name, partitions] :
             fetch_group(find_group(req.group_id_), topics, require_stable)) {
            proto::OffsetFetchResponse::OffsetFetchResponseTopic rt;
            rt.name_ = name;
            for (const auto& p : partitions) {
                proto::OffsetFetchResponse::OffsetFetchResponsePartition rp;
                rp.partition_index_ = p.partition;
                rp.committed_offset_ = p.offset;
                rp.committed_leader_epoch_ = p.leader_epoch;
                rp.metadata_ = p.metadata;
                rp.error_code_ = code(p.error);
                rt.partitions_.push_back(std::move(rp));
            }
            r.topics_.push_back(std::move(rt));
        }
        return r;
    }
    for (const auto& group : req.groups_) {
        proto::OffsetFetchResponse::OffsetFetchResponseGroup rg;
        rg.group_id_ = group.group_id_;
        for (auto& [name, partitions] :
             fetch_group(find_group(group.group_id_), topic_list(group.topics_), require_stable)) {
            proto::OffsetFetchResponse::OffsetFetchResponseTopics rt;
            rt.name_ = name;
            for (const auto& p : partitions) {
                proto::OffsetFetchResponse::OffsetFetchResponsePartitions rp;
                rp.partition_index_ = p.partition;
                rp.committed_offset_ = p.offset;
                rp.committed_leader_epoch_ = p.leader_epoch;
                rp.metadata_ = p.metadata;
                rp.error_code_ = code(p.error);
                rt.partitions_.push_back(std::move(rp));
            }
            rg.topics_.push_back(std::move(rt));
        }
        r.groups_.push_back(std::move(rg));
    }
    return r;
}

proto::OffsetDeleteResponse GroupCoordinator::offset_delete(const proto::OffsetDeleteRequest& req,
                                                            int16_t version, Now now, Effects& fx) {
    (void)version;
    tick(now, fx);
    proto::OffsetDeleteResponse r;
    auto it = groups_.find(req.group_id_);
    if (it == groups_.end() || it->second.state == GroupState::dead) {
        r.error_code_ = code(Errc::group_id_not_found);
        return r;
    }
    Group& g = it->second;
    std::optional<std::set<std::string>> subscribed;  // none with a non-empty group: all are
    if (g.state != GroupState::empty) {
        if (g.protocol_type != protocol::consumer_protocol_type) {
            r.error_code_ = code(Errc::non_empty_group);
            return r;
        }
        subscribed = subscribed_topics(g);
    }
    for (const auto& t : req.topics_) {
        proto::OffsetDeleteResponse::OffsetDeleteResponseTopic rt;
        rt.name_ = t.name_;
        const bool in_use =
            g.state != GroupState::empty && (!subscribed || subscribed->contains(t.name_));
        for (const auto& p : t.partitions_) {
            proto::OffsetDeleteResponse::OffsetDeleteResponsePartition rp;
            rp.partition_index_ = p.partition_index_;
            if (in_use) {
                rp.error_code_ = code(Errc::group_subscribed_to_topic);
            } else if (g.offsets.erase({t.name_, p.partition_index_}) > 0) {
                fx.records.push_back(
                    make_offset_tombstone(g.group_id, t.name_, p.partition_index_));
            }
            rt.partitions_.push_back(rp);
        }
        r.topics_.push_back(std::move(rt));
    }
    check_invariants();
    return r;
}

void GroupCoordinator::stage_transactional_offset(const std::string& group_id,
                                                  const std::string& topic, int32_t partition) {
    auto [it, inserted] = groups_.try_emplace(group_id);
    if (inserted) {
        it->second.group_id = group_id;
    }
    ++it->second.pending_transactional_offsets[{topic, partition}];
    ASSERT(it->second.pending_transactional_offsets.at({topic, partition}) > 0);
}

void GroupCoordinator::end_transactional_offset(const std::string& group_id,
                                                const std::string& topic, int32_t partition) {
    auto g = groups_.find(group_id);
    ASSERT(g != groups_.end());
    auto it = g->second.pending_transactional_offsets.find({topic, partition});
    ASSERT(it != g->second.pending_transactional_offsets.end());
    ASSERT(it->second > 0, "each transaction ends the offsets it staged once");
    if (--it->second == 0) {
        g->second.pending_transactional_offsets.erase(it);
    }
}

void GroupCoordinator::expire_offsets(Now now, Effects& fx) {
    const auto expired = [&](const CommittedOffset& c, WallTime base) {
        if (c.expire_timestamp) {
            return now.wall >= *c.expire_timestamp;
        }
        return now.wall - base >= config_.offsets_retention;
    };
    std::vector<std::string> dead;
    for (auto& [id, g] : groups_) {
        // Which offsets may expire (Kafka's GroupMetadata.removeExpiredOffsets, KIP-211/496):
        // a group without a protocol (assign() users): all, from their commit time; an empty
        // group: all, from when it became empty; a stable consumer group: only topics no member
        // subscribes to, from their commit time.
        std::optional<std::set<std::string>> only_unsubscribed;
        bool from_state_time = false;
        if (!g.protocol_type) {
        } else if (g.state == GroupState::empty) {
            from_state_time = true;
        } else if (g.state == GroupState::stable && (only_unsubscribed = subscribed_topics(g))) {
        } else {
            continue;
        }
        for (auto it = g.offsets.begin(); it != g.offsets.end();) {
            const WallTime base = from_state_time && g.state_timestamp
                                      ? *g.state_timestamp
                                      : it->second.commit_timestamp;
            const bool eligible =
                !only_unsubscribed || !only_unsubscribed->contains(it->first.first);
            if (eligible && !g.pending_transactional_offsets.contains(it->first) &&
                expired(it->second, base)) {
                ASSERT(!only_unsubscribed || !only_unsubscribed->contains(it->first.first),
                       "a stable group's subscribed offsets never expire");

                fx.records.push_back(make_offset_tombstone(id, it->first.first, it->first.second));
                it = g.offsets.erase(it);
            } else {
                ++it;
            }
        }
        if (g.state == GroupState::empty && g.offsets.empty() && g.members.empty() &&
            g.pending_members.empty() && g.pending_transactional_offsets.empty()) {
            dead.push_back(id);
        }
    }
    for (const auto& id : dead) {
        fx.records.push_back(make_group_tombstone(id));
        groups_.erase(id);
    }
}

}  // namespace eddy::group
