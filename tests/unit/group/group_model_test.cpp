// Model-based property test of the group coordinator: simulated consumers (some static) join,
// sync (a simulated leader does a range assignment), heartbeat, commit (also from stale
// generations), leave, crash, restart, and time jumps past session/rebalance timeouts; the
// coordinator is sometimes reloaded from the records it wrote. Checked throughout:
//   * one leader and at most one owner per partition per generation;
//   * generations handed out only grow;
//   * an accepted commit comes from the newest generation handed out, and never from a member
//     id that was fenced (left, or replaced by its static instance's restart);
//   * a partition's committed offset never goes back, except by an admin reset of an Empty group;
//   * a reload gives the same committed offsets, Empty groups stay Empty and Stable groups stay
//     Stable with the same generation, members and assignments.
#include <rapidcheck.h>

#include "tests/unit/group/group_test_util.h"

using namespace eddy;
using namespace eddy::group;
using namespace eddy::group::test;

namespace {

constexpr int partitions = 6;
constexpr int consumers = 5;  // consumers 0 and 1 are static members
const std::string group_id = "mg";

Bytes encode_partitions(const std::vector<int32_t>& ps) {
    Bytes out;
    for (int32_t p : ps) {
        for (int s = 24; s >= 0; s -= 8) {
            out.push_back(static_cast<std::byte>((static_cast<uint32_t>(p) >> s) & 0xff));
        }
    }
    return out;
}
std::vector<int32_t> decode_partitions(const Bytes& b) {
    std::vector<int32_t> out;
    for (size_t i = 0; i + 4 <= b.size(); i += 4) {
        out.push_back(static_cast<int32_t>(load_be<uint32_t>(b.data() + i)));
    }
    return out;
}

// A uniform choice in [lo, hi) whatever RapidCheck's size (gen::inRange scales with size, which
// would make small runs do nothing but the first action).
template <typename T>
T pick(T lo, T hi) {
    return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

enum class Phase { idle, joining, joined, syncing, stable, dead };

struct Consumer {
    std::optional<std::string> instance;
    Phase phase = Phase::idle;
    std::string member_id;
    int32_t generation = -1;
    bool leader = false;
    std::vector<std::string> join_members;  // from the leader's JoinGroup response
    Token token = 0;
    std::vector<int32_t> owned;
    int32_t owned_generation = -1;  // commits carry the generation of their assignment
    std::map<int32_t, int64_t> position;
};

struct Model {
    Rig rig;
    std::vector<Consumer> c;
    int32_t max_generation = 0;
    std::map<int32_t, std::string> leader_of;                    // generation → leader
    std::map<int32_t, std::map<int32_t, std::string>> owner_of;  // generation → p → member
    std::map<int32_t, int64_t> committed;                        // p → offset
    std::set<std::string> fenced;
    std::map<std::string, std::string> static_id;  // group.instance.id → the id it last got
    std::vector<Consumer> zombies;
    int zombie_refused = 0;
    std::map<Token, int> token_owner;
    // Coverage: how many runs reached the interesting paths (printed by RC_TAG).
    int renames = 0, commits_accepted = 0, stale_refused = 0, stable_reloads = 0, syncs = 0;

    explicit Model(GroupConfig cfg) : rig(cfg), c(consumers) {
        c[0].instance = "static-0";
        c[1].instance = "static-1";
    }

    std::vector<std::pair<std::string, Bytes>> protocols() const { return {{"range", sub({"t"})}}; }

    void reset(Consumer& k, bool forget_id) {
        k.phase = Phase::idle;
        if (forget_id) {
            k.member_id.clear();
        }
    }

    void on_error(Consumer& k, int16_t e) {
        if (e == code(Errc::unknown_member_id) || e == code(Errc::fenced_instance_id)) {
            reset(k, true);
        } else {
            reset(k, false);
        }
    }

    // Routes every reply that came out to its consumer.
    void deliver() {
        for (auto it = token_owner.begin(); it != token_owner.end();) {
            auto r = rig.replies.find(it->first);
            if (r == rig.replies.end()) {
                ++it;
                continue;
            }
            Consumer& k = c[static_cast<size_t>(it->second)];
            if (k.token == it->first) {
                if (auto* j = std::get_if<proto::JoinGroupResponse>(&r->second.response)) {
                    on_join(k, *j);
                } else {
                    on_sync(k, std::get<proto::SyncGroupResponse>(r->second.response));
                }
            }
            it = token_owner.erase(it);
        }
    }

    void on_join(Consumer& k, const proto::JoinGroupResponse& j) {
        if (j.error_code_ == code(Errc::member_id_required)) {
            k.member_id = j.member_id_;
            k.phase = Phase::idle;
            return;
        }
        if (j.error_code_ != 0) {
            return on_error(k, j.error_code_);
        }
        RC_ASSERT(j.generation_id_ >= max_generation);  // generations only grow
        max_generation = j.generation_id_;
        if (k.instance) {
            // The id this instance held before; a different one now means the coordinator
            // replaced the old incarnation (KIP-345), which keeps its assignment.
            auto [held, fresh_instance] = static_id.try_emplace(*k.instance, j.member_id_);
            if (!fresh_instance && held->second != j.member_id_) {
                fenced.insert(held->second);
                RC_LOG() << "renamed " << held->second << " -> " << j.member_id_ << "\n";
                ++renames;
                for (auto& [p, m] : owner_of[j.generation_id_]) {
                    if (m == held->second) {
                        m = j.member_id_;
                    }
                }
                held->second = j.member_id_;
            }
        }
        auto [l, fresh] = leader_of.emplace(j.generation_id_, j.leader_);
        if (!fresh && l->second != j.leader_) {
            // Only a static restart may rename the leader within a generation.
            RC_ASSERT(fenced.contains(l->second));
            l->second = j.leader_;
        }
        RC_LOG() << "joined " << j.member_id_ << " gen " << j.generation_id_ << " leader "
                 << j.leader_ << "\n";
        k.member_id = j.member_id_;
        k.generation = j.generation_id_;
        k.leader = j.leader_ == j.member_id_ && !j.skip_assignment_;
        k.join_members.clear();
        for (const auto& m : j.members_) {
            k.join_members.push_back(m.member_id_);
        }
        k.phase = Phase::joined;
    }

    void on_sync(Consumer& k, const proto::SyncGroupResponse& s) {
        if (s.error_code_ != 0) {
            return on_error(k, s.error_code_);
        }
        k.owned = decode_partitions(s.assignment_);
        k.owned_generation = k.generation;
        ++syncs;
        RC_LOG() << "synced " << k.member_id << " gen " << k.generation << " owns";
        for (int32_t p : k.owned) {
            RC_LOG() << " p" << p;
        }
        RC_LOG() << "\n";
        auto& owners = owner_of[k.generation];
        for (int32_t p : k.owned) {
            auto [o, fresh] = owners.emplace(p, k.member_id);
            RC_ASSERT(o->second == k.member_id);  // one owner per partition per generation
        }
        k.position.clear();
        for (int32_t p : k.owned) {
            k.position[p] = std::max<int64_t>(rig.fetch(group_id, "t", p), 0);
        }
        k.phase = Phase::stable;
    }

    void join(int i) {
        Consumer& k = c[static_cast<size_t>(i)];
        k.token = rig.join(group_id, k.member_id, protocols(), 5, k.instance, Duration::seconds(10),
                           Duration::seconds(20));
        token_owner[k.token] = i;
        k.phase = Phase::joining;
        deliver();
    }

    void sync(int i) {
        Consumer& k = c[static_cast<size_t>(i)];
        std::vector<std::pair<std::string, Bytes>> assignments;
        if (k.leader) {
            // Range assignment over the members the coordinator listed.
            const size_t n = k.join_members.size();
            for (size_t m = 0; m < n; ++m) {
                std::vector<int32_t> mine;
                for (int32_t p = 0; p < partitions; ++p) {
                    if (static_cast<size_t>(p) * n / partitions == m) {
                        mine.push_back(p);
                    }
                }
                assignments.emplace_back(k.join_members[m], encode_partitions(mine));
            }
        }
        k.token = rig.sync(group_id, k.member_id, k.generation, assignments, k.instance);
        token_owner[k.token] = i;
        k.phase = Phase::syncing;
        deliver();
    }

    void commit(int i, int64_t step, bool stale) {
        commit_as(c[static_cast<size_t>(i)], i, step, stale);
    }

    // Also used by zombies: an old incarnation of a static member that keeps running after its
    // replacement joined (a paused process that wakes up).
    void commit_as(Consumer& k, int i, int64_t step, bool stale) {
        if (k.owned.empty()) {
            return;
        }
        const int32_t p = k.owned[static_cast<size_t>(step) % k.owned.size()];
        const int32_t generation = stale ? k.owned_generation - 1 : k.owned_generation;
        const int64_t offset = k.position[p] + step;
        const auto e = rig.commit(group_id, k.member_id, generation, "t", p, offset, k.instance);
        deliver();
        if (e != 0) {
            stale_refused += stale ? 1 : 0;
            return;
        }
        ++commits_accepted;
        RC_ASSERT(generation == max_generation);  // never from a fenced generation
        RC_ASSERT(!fenced.contains(k.member_id));
        auto it = committed.find(p);
        RC_LOG() << "commit c" << i << " " << k.member_id << " gen " << generation << " p" << p
                 << " = " << offset << "\n";
        RC_ASSERT(it == committed.end() || it->second <= offset);  // never backwards
        committed[p] = offset;
        k.position[p] = offset;
    }

    void leave(int i) {
        Consumer& k = c[static_cast<size_t>(i)];
        if (k.member_id.empty()) {
            return;
        }
        proto::LeaveGroupRequest r;
        r.group_id_ = group_id;
        proto::LeaveGroupRequest::MemberIdentity who;
        who.member_id_ = k.member_id;
        who.group_instance_id_ = k.instance;
        r.members_ = {who};
        Effects fx;
        auto resp = rig.gc().leave_group(r, 4, rig.now(), fx);
        rig.absorb(fx);
        if (resp.members_.at(0).error_code_ == 0) {
            fenced.insert(k.member_id);
        }
        const auto instance = k.instance;
        k = Consumer{};
        k.instance = instance;
        deliver();
    }

    void heartbeat(int i) {
        Consumer& k = c[static_cast<size_t>(i)];
        if (k.phase != Phase::stable && k.phase != Phase::joined && k.phase != Phase::syncing) {
            return;
        }
        const int16_t e = rig.heartbeat(group_id, k.member_id, k.generation, k.instance);
        deliver();
        if (e != 0 && (k.phase == Phase::stable || k.phase == Phase::joined)) {
            on_error(k, e);
        }
    }

    void reset_offsets(int64_t to) {
        const Group* g = rig.gc().find_group(group_id);
        if (g == nullptr || g->state != GroupState::empty) {
            return;
        }
        for (int32_t p = 0; p < partitions; ++p) {
            RC_ASSERT(rig.commit(group_id, "", -1, "t", p, to) == 0);
            RC_LOG() << "reset p" << p << " = " << to << "\n";
            committed[p] = to;
        }
    }

    void reload() {
        RC_LOG() << "reload\n";
        const std::map<std::string, Group> before = rig.gc().groups();
        // As the wiring does: a fresh seed per incarnation, so member ids are never reused.
        rig.config.member_id_seed += 0x9E3779B97F4A7C15ull;
        rig.reload();
        for (const auto& [id, old] : before) {
            const Group* now = rig.gc().find_group(id);
            if (now == nullptr) {
                RC_ASSERT(old.offsets.empty());  // never written: created by a join only
                RC_ASSERT(old.state != GroupState::stable);
                continue;
            }
            RC_ASSERT(now->offsets == old.offsets);
            if (old.state == GroupState::empty && old.generation > 0) {
                RC_ASSERT(now->state == GroupState::empty);
                RC_ASSERT(now->generation == old.generation);
            }
            if (old.state == GroupState::stable) {
                ++stable_reloads;
                RC_ASSERT(now->state == GroupState::stable);
                RC_ASSERT(now->generation == old.generation);
                RC_ASSERT(now->leader_id == old.leader_id);
                RC_ASSERT(now->members.size() == old.members.size());
                for (const auto& [mid, m] : old.members) {
                    RC_ASSERT(now->members.contains(mid));
                    RC_ASSERT(now->members.at(mid).assignment == m.assignment);
                }
            }
            RC_ASSERT(now->generation <= old.generation);
        }
        // A generation handed out in JoinGroup responses but not yet synced is not in the log
        // (as in Kafka): the reloaded group is back at the last written generation, and the
        // lost one will be handed out again, perhaps with another leader.
        const Group* g = rig.gc().find_group(group_id);
        max_generation = g == nullptr ? 0 : g->generation;
        // Static replacements after the last written record are lost the same way: the
        // instances map back to the ids in the log, which are members again.
        static_id.clear();
        if (g != nullptr) {
            for (const auto& [instance, id] : g->static_members) {
                static_id[instance] = id;
                fenced.erase(id);
            }
        }
        leader_of.erase(leader_of.upper_bound(max_generation), leader_of.end());
        owner_of.erase(owner_of.upper_bound(max_generation), owner_of.end());
        // Waiting requests died with the old coordinator: the clients retry.
        token_owner.clear();
        for (auto& k : c) {
            if (k.phase == Phase::joining || k.phase == Phase::syncing) {
                k.phase = Phase::idle;
            }
        }
    }
};

}  // namespace

TEST_SUITE_BEGIN("group");
TEST_CASE("property: group coordinator invariants under random joins, failures and reloads") {
    const bool ok = rc::check("group coordinator model", [] {
        GroupConfig cfg = Rig::default_config();
        cfg.initial_rebalance_delay = Duration::seconds(pick(0, 2) * 3);
        cfg.member_id_seed = *rc::gen::arbitrary<uint64_t>();
        Model m(cfg);
        const int steps = pick(100, 400);
        for (int s = 0; s < steps; ++s) {
            const int i = pick(0, consumers);
            Consumer& k = m.c[static_cast<size_t>(i)];
            // Mostly what a client does next (join, sync, heartbeat, commit); sometimes a
            // disruption (stale commit, leave, crash/restart, a long pause, a reload, a reset).
            const int action = pick(0, 100);
            if (action < 45) {
                if (k.phase == Phase::idle) {
                    m.join(i);
                } else if (k.phase == Phase::joined) {
                    m.sync(i);
                } else {
                    m.heartbeat(i);
                }
            } else if (action < 60) {
                m.commit(i, pick<int64_t>(0, 5), false);
            } else if (action < 64) {
                if (!m.zombies.empty() && pick(0, 2) == 0) {
                    Consumer& z =
                        m.zombies[static_cast<size_t>(pick(0, static_cast<int>(m.zombies.size())))];
                    const int accepted = m.commits_accepted;
                    m.commit_as(z, -1, pick<int64_t>(0, 5), false);
                    m.zombie_refused += m.commits_accepted == accepted ? 1 : 0;
                } else {
                    m.commit(i, pick<int64_t>(0, 5), true);
                }
            } else if (action < 80) {
                m.rig.advance(Duration::millis(pick(0, 3'000)));
                m.deliver();
            } else if (action < 83) {
                m.rig.advance(Duration::millis(pick(8'000, 25'000)));
                m.deliver();
            } else if (action < 86) {
                m.leave(i);
            } else if (action < 90) {
                if (k.phase == Phase::dead) {
                    // A restart: a static member comes back with an empty member id.
                    const auto instance = k.instance;
                    k = Consumer{};
                    k.instance = instance;
                } else if (k.instance && pick(0, 2) == 0) {
                    // The old process hangs on as a zombie while a new one starts.
                    m.zombies.push_back(k);
                    const auto instance = k.instance;
                    k = Consumer{};
                    k.instance = instance;
                } else {
                    k.phase = Phase::dead;  // a crash: no LeaveGroup
                }
            } else if (action < 94) {
                m.reload();
            } else {
                m.reset_offsets(pick<int64_t>(0, 3));
            }
            m.rig.gc().check_invariants();
        }
        RC_TAG(m.syncs > 0 ? "synced" : "never synced",
               m.commits_accepted > 0 ? "commits accepted" : "no commit accepted",
               m.stale_refused > 0 ? "stale commit refused" : "-",
               m.renames > 0 ? "static restart took over" : "-",
               m.stable_reloads > 0 ? "reloaded a Stable group" : "-",
               m.zombie_refused > 0 ? "zombie commit refused" : "-");
    });
    CHECK(ok);
}

TEST_SUITE_END();
