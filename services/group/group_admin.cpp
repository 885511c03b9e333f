// GroupCoordinator, part 4: DescribeGroups, ListGroups, DeleteGroups, loading from the
// `__consumer_offsets` records, and the invariant check.
#include <algorithm>
#include <cctype>

#include "core/base/assert.h"
#include "services/group/group_coordinator.h"

namespace eddy::group {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool matches(const std::vector<std::string>& filter, std::string_view value) {
    return filter.empty() || std::any_of(filter.begin(), filter.end(),
                                         [&](const auto& f) { return iequals(f, value); });
}

}  // namespace

const Group* GroupCoordinator::find_group(std::string_view group_id) const {
    auto it = groups_.find(std::string(group_id));
    return it == groups_.end() ? nullptr : &it->second;
}

proto::DescribeGroupsResponse GroupCoordinator::describe_groups(
    const proto::DescribeGroupsRequest& req, int16_t version) const {
    (void)version;
    proto::DescribeGroupsResponse r;
    for (const auto& id : req.groups_) {
        proto::DescribeGroupsResponse::DescribedGroup d;
        d.group_id_ = id;
        const Group* g = find_group(id);
        if (g == nullptr) {
            d.group_state_ = state_name(GroupState::dead);  // Kafka's answer up to v5
            r.groups_.push_back(std::move(d));
            continue;
        }
        d.group_state_ = state_name(g->state);
        d.protocol_type_ = g->protocol_type.value_or("");
        // Kafka shows the protocol and the members' metadata/assignments only when Stable.
        const bool stable = g->state == GroupState::stable;
        if (stable) {
            d.protocol_data_ = g->protocol_name.value_or("");
        }
        for (const auto& [mid, m] : g->members) {
            proto::DescribeGroupsResponse::DescribedGroupMember dm;
            dm.member_id_ = mid;
            dm.group_instance_id_ = m.group_instance_id;
            dm.client_id_ = m.client_id;
            dm.client_host_ = m.client_host;
            if (stable) {
                const Bytes* metadata = m.metadata_for(*g->protocol_name);
                dm.member_metadata_ = metadata != nullptr ? *metadata : Bytes{};
                dm.member_assignment_ = m.assignment;
            }
            d.members_.push_back(std::move(dm));
        }
        r.groups_.push_back(std::move(d));
    }
    ASSERT(r.groups_.size() == req.groups_.size(), "every group asked is described");
    return r;
}

proto::ListGroupsResponse GroupCoordinator::list_groups(const proto::ListGroupsRequest& req,
                                                        int16_t version) const {
    static const std::string classic = "classic";  // KIP-848's name for this protocol
    proto::ListGroupsResponse r;
    const std::vector<std::string> none;
    const auto& states = version >= 4 ? req.states_filter_ : none;
    const auto& types = version >= 5 ? req.types_filter_ : none;
    for (const auto& [id, g] : groups_) {
        if (!matches(states, state_name(g.state)) || !matches(types, classic)) {
            continue;
        }
        proto::ListGroupsResponse::ListedGroup l;
        l.group_id_ = id;
        l.protocol_type_ = g.protocol_type.value_or("");
        l.group_state_ = state_name(g.state);
        l.group_type_ = classic;
        r.groups_.push_back(std::move(l));
    }
    return r;
}

proto::DeleteGroupsResponse GroupCoordinator::delete_groups(const proto::DeleteGroupsRequest& req,
                                                            int16_t version, Now now, Effects& fx) {
    (void)version;
    tick(now, fx);
    proto::DeleteGroupsResponse r;
    for (const auto& id : req.groups_names_) {
        proto::DeleteGroupsResponse::DeletableGroupResult res;
        res.group_id_ = id;
        auto it = groups_.find(id);
        if (it == groups_.end() || it->second.state == GroupState::dead) {
            res.error_code_ = code(Errc::group_id_not_found);
        } else if (it->second.state != GroupState::empty) {
            res.error_code_ = code(Errc::non_empty_group);
        } else {
            ASSERT(it->second.members.empty(), "only an empty group is deleted");
            for (const auto& [tp, c] : it->second.offsets) {
                fx.records.push_back(make_offset_tombstone(id, tp.first, tp.second));
            }
            fx.records.push_back(make_group_tombstone(id));
            groups_.erase(it);
        }
        r.results_.push_back(std::move(res));
    }
    ASSERT(r.results_.size() == req.groups_names_.size(), "every group asked is answered");
    check_invariants();
    return r;
}


Result<GroupCoordinator, RecordError> GroupCoordinator::load(GroupConfig config,
                                                             std::span<const GroupRecord> records,
                                                             Now now) {
    std::map<std::string, rec::GroupMetadataValue> metadata;
    std::map<std::string, std::map<TopicPartitionKey, CommittedOffset>> offsets;
    for (const GroupRecord& record : records) {
        std::optional<ByteSpan> value;
        if (record.value) {
            value = ByteSpan(*record.value);
        }
        TRY_ASSIGN(DecodedRecord decoded, decode_record(record.key, value));
        if (auto* o = std::get_if<OffsetCommitRecord>(&decoded)) {
            const TopicPartitionKey tp{o->key.topic_, o->key.partition_};
            if (!o->value) {
                offsets[o->key.group_].erase(tp);
                continue;
            }
            CommittedOffset c;
            c.offset = o->value->offset_;
            c.leader_epoch = o->value->leader_epoch_;
            c.metadata = o->value->metadata_;
            c.commit_timestamp = wall_from_millis(o->value->commit_timestamp_);
            if (o->value->expire_timestamp_ != -1) {
                c.expire_timestamp = wall_from_millis(o->value->expire_timestamp_);
            }
            offsets[o->key.group_][tp] = std::move(c);
        } else if (auto* m = std::get_if<GroupMetadataRecord>(&decoded)) {
            if (m->value) {
                metadata[m->key.group_] = std::move(*m->value);
            } else {
                metadata.erase(m->key.group_);
            }
        }
    }
    GroupCoordinator c(config);
    for (auto& [id, v] : metadata) {
        Group& g = c.get_or_create(id, now);
        g.protocol_type =
            v.protocol_type_.empty() ? std::nullopt : std::optional<std::string>(v.protocol_type_);
        g.generation = v.generation_;
        g.state_timestamp.reset();
        if (v.current_state_timestamp_ >= 0) {
            g.state_timestamp = wall_from_millis(v.current_state_timestamp_);
        }
        if (v.members_.empty()) {
            continue;  // Empty: no protocol, no leader
        }
        if (!v.protocol_ || !g.protocol_type) {
            return fail(RecordError::malformed_value);  // members without a protocol
        }
        g.protocol_name = v.protocol_;
        for (auto& mm : v.members_) {
            Member m;
            m.member_id = mm.member_id_;
            m.group_instance_id = mm.group_instance_id_;
            m.client_id = mm.client_id_;
            m.client_host = mm.client_host_;
            m.session_timeout = Duration::millis(mm.session_timeout_);
            m.rebalance_timeout = mm.rebalance_timeout_ >= 0
                                      ? Duration::millis(mm.rebalance_timeout_)
                                      : m.session_timeout;
            m.protocols.emplace_back(*v.protocol_, std::move(mm.subscription_));
            m.assignment = std::move(mm.assignment_);
            m.session_deadline = now.mono + m.session_timeout;
            if (m.group_instance_id) {
                if (g.static_members.contains(*m.group_instance_id)) {
                    return fail(RecordError::malformed_value);  // one instance id, two members
                }
                g.static_members[*m.group_instance_id] = m.member_id;
            }
            if (!g.members.emplace(m.member_id, std::move(m)).second) {
                return fail(RecordError::malformed_value);  // a member id twice
            }
        }
        g.state = GroupState::stable;
        g.leader_id =
            v.leader_ && g.members.contains(*v.leader_) ? *v.leader_ : g.members.begin()->first;
    }
    for (auto& [id, o] : offsets) {
        if (o.empty() && !metadata.contains(id)) {
            continue;
        }
        Group& g = c.get_or_create(id, now);
        g.offsets = std::move(o);
    }
    c.check_invariants();
    return c;
}

void GroupCoordinator::check_invariants() const {
    for (const auto& [id, g] : groups_) {
        ASSERT(g.group_id == id);
        ASSERT(g.state != GroupState::dead, "dead groups are erased");
        // Members leave PreparingRebalance empty only while MEMBER_ID_REQUIRED joiners hold the
        // join phase open; it then completes to Empty.
        ASSERT(g.state != GroupState::empty || g.members.empty());
        ASSERT(!g.members.empty() || g.state == GroupState::empty ||
               g.state == GroupState::preparing_rebalance);
        ASSERT(g.members.empty() == !g.leader_id.has_value());
        if (g.state == GroupState::empty) {
            ASSERT(!g.leader_id);
            ASSERT(!g.protocol_name);
        }
        if (g.state == GroupState::completing_rebalance || g.state == GroupState::stable) {
            ASSERT(g.leader_id);
            ASSERT(g.members.contains(*g.leader_id));
            ASSERT(g.protocol_name);
            for (const auto& [mid, m] : g.members) {
                ASSERT(m.metadata_for(*g.protocol_name) != nullptr);
                ASSERT(!m.pending_join);
                if (g.state == GroupState::stable) {
                    ASSERT(!m.pending_sync);
                }
            }
        }
        if (g.leader_id) {
            ASSERT(g.members.contains(*g.leader_id));
        }
        ASSERT(g.join_deadline.has_value() == (g.state == GroupState::preparing_rebalance));
        ASSERT(g.sync_deadline.has_value() == (g.state == GroupState::completing_rebalance));
        size_t statics = 0;
        for (const auto& [mid, m] : g.members) {
            ASSERT(m.member_id == mid);
            if (m.group_instance_id) {
                ++statics;
                auto s = g.static_members.find(*m.group_instance_id);
                ASSERT(s != g.static_members.end());
                ASSERT(s->second == mid);
            }
            if (g.state != GroupState::preparing_rebalance) {
                ASSERT(!m.pending_join);
            }
        }
        ASSERT(statics == g.static_members.size());
        for (const auto& [tp, n] : g.pending_transactional_offsets) {
            ASSERT(n > 0, "a staged transactional offset has a producer");
        }
        for (const auto& [sid, mid] : g.static_members) {
            ASSERT(g.members.contains(mid), "a static member id names a member");
        }
    }

}

}  // namespace eddy::group
