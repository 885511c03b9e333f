// A test harness for QuorumReplica: replicas that exchange messages instantly (unless isolated),
// each with a model disk built only from the persist deltas and a model application built only
// from take_committed and installed snapshots — exactly what a driver would do. After every call
// it checks the driver's contract: the disk equals durable(), and every granted vote was in a
// delta taken before the response left.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "services/raft/quorum.h"

namespace eddy::raft::testing {

inline Bytes data(const char* s) {
    return Bytes(reinterpret_cast<const std::byte*>(s),
                 reinterpret_cast<const std::byte*>(s) + std::strlen(s));
}

inline QuorumConfig config(int voters) {
    QuorumConfig c;
    for (int i = 1; i <= voters; ++i) {
        c.voters.push_back(NodeId(i));
    }
    return c;
}

// The application: a count and a digest of the entries applied; its snapshot image is both.
struct App {
    int64_t end = 0;  // every entry below is applied
    uint64_t digest = 0;

    void apply(int64_t offset, const Entry& e) {
        REQUIRE(offset == end);
        std::string s = std::to_string(e.epoch) + ":" + std::string(as_chars(e.data));
        digest = stable_hash(s, digest ^ 0x9e3779b97f4a7c15ULL);
        end += 1;
    }
    Bytes image() const {
        Bytes b(16);
        store_be<uint64_t>(b.data(), static_cast<uint64_t>(end));
        store_be<uint64_t>(b.data() + 8, digest);
        return b;
    }
    static App load(const Bytes& b) {
        REQUIRE(b.size() == 16);
        return App{static_cast<int64_t>(load_be<uint64_t>(b.data())),
                   load_be<uint64_t>(b.data() + 8)};
    }
    bool operator==(const App&) const = default;
};

struct Snapshots : SnapshotSource {
    std::map<SnapshotId, Bytes> images;
    std::optional<int64_t> size(SnapshotId id) const override {
        const auto it = images.find(id);
        return it == images.end() ? std::nullopt
                                  : std::optional<int64_t>(static_cast<int64_t>(it->second.size()));
    }
    Bytes read(SnapshotId id, int64_t position, int64_t length) const override {
        const Bytes& b = images.at(id);
        return Bytes(b.begin() + position, b.begin() + position + length);
    }
};

struct Node {
    DurableState disk;  // only what deltas wrote
    Snapshots snapshots;
    App app;
    std::optional<QuorumReplica> replica;
    int64_t installs = 0;
};

struct Net {
    QuorumConfig cfg;
    QuorumKnobs knobs;
    std::map<int32_t, Node> nodes;
    Instant now = Instant::from_nanos(1'000'000'000);
    std::deque<Message> queue;
    std::set<int32_t> isolated;
    uint64_t seed = 1;

    explicit Net(int voters) : cfg(config(voters)) {}

    void add(int32_t id, DurableState d = {}) {
        Node& n = nodes[id];
        n.disk = std::move(d);
        start(id);
    }
    // A restart: the replica from its disk, the application from its latest snapshot.
    void start(int32_t id) {
        Node& n = nodes.at(id);
        n.app = n.disk.snapshot.end_offset == 0 ? App{}
                                                : App::load(n.snapshots.images.at(n.disk.snapshot));
        n.replica.emplace(NodeId(id), cfg, n.disk, Random(seed * 1000 + uint64_t(id)), now,
                          &n.snapshots, knobs);
    }
    void crash(int32_t id) { nodes.at(id).replica.reset(); }
    QuorumReplica& at(int32_t id) { return *nodes.at(id).replica; }

    // Runs a call on replica `id` and then does what a driver does after it.
    template <typename F>
    void call(int32_t id, F&& f) {
        Node& n = nodes.at(id);
        std::vector<Message> out;
        f(*n.replica, out);
        PersistDelta d = n.replica->take_persist();
        if (d.snapshot_installed) {
            n.snapshots.images[d.snapshot_installed->id] = d.snapshot_installed->image;
            n.app = App::load(d.snapshot_installed->image);
            CHECK(n.app.end == d.snapshot_installed->id.end_offset);
            n.installs += 1;
        }
        apply(d, n.disk);
        REQUIRE(n.disk == n.replica->durable());
        for (const Message& m : out) {
            if (const auto* v = std::get_if<VoteResponse>(&m.body);
                v && v->granted && !v->pre_vote) {
                CHECK(n.disk.voted_for == m.to);  // durable before it is sent
                CHECK(n.disk.epoch == v->epoch);
            }
            if (!isolated.contains(m.from.value()) && !isolated.contains(m.to.value())) {
                queue.push_back(m);
            }
        }
        CommittedEntries c = n.replica->take_committed();
        for (size_t i = 0; i < c.entries.size(); ++i) {
            n.app.apply(c.base_offset + static_cast<int64_t>(i), c.entries[i]);
        }
    }
    // The application snapshots its state (and the replica may drop the entries below).
    void snapshot(int32_t id) {
        Node& n = nodes.at(id);
        if (!n.replica) {
            return;
        }
        const int64_t end = n.app.end;
        if (end <= n.replica->log_start_offset()) {
            return;
        }
        const SnapshotId sid{end, n.replica->entry(end - 1).epoch};
        n.snapshots.images[sid] = n.app.image();
        call(id, [&](QuorumReplica& r, std::vector<Message>&) { r.snapshot_taken(end); });
    }
    std::optional<int64_t> propose(int32_t id, const char* s) {
        std::optional<int64_t> at;
        call(id, [&](QuorumReplica& r, std::vector<Message>& out) {
            at = r.propose(data(s), now, out);
        });
        return at;
    }
    void drain() {
        for (int guard = 0; !queue.empty() && guard < 100000; ++guard) {
            Message m = queue.front();
            queue.pop_front();
            auto it = nodes.find(m.to.value());
            if (it != nodes.end() && it->second.replica) {
                call(m.to.value(),
                     [&](QuorumReplica& r, std::vector<Message>& out) { r.receive(m, now, out); });
            }
        }
    }
    void advance(Duration d, int steps = 20) {
        for (int i = 0; i < steps; ++i) {
            now = now + d / steps;
            for (auto& [id, n] : nodes) {
                if (n.replica) {
                    call(id,
                         [&](QuorumReplica& r, std::vector<Message>& out) { r.tick(now, out); });
                }
            }
            drain();
        }
    }
    // Starts replicas 1..n (those past the voters are observers) and lets them elect a leader.
    int32_t elect(int n) {
        for (int i = 1; i <= n; ++i) {
            add(i);
        }
        advance(Duration::seconds(3));
        return leader_id();
    }
    QuorumReplica* leader() {
        for (auto& [id, n] : nodes) {
            if (n.replica && n.replica->role() == Role::leader) {
                return &*n.replica;
            }
        }
        return nullptr;
    }
    int32_t leader_id() {
        QuorumReplica* l = leader();
        REQUIRE(l != nullptr);
        return l->id().value();
    }
};

}  // namespace eddy::raft::testing
