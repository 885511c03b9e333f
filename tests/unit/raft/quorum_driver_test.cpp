// QuorumDriver on the simulator's disk: a single voter leads at once and commits what it
// proposes; three voters elect a leader, replicate, survive the leader's crash and a restart
// that loads a snapshot; the quorum-state file carries the vote across a crash. Messages travel
// through an in-process transport (each delivery a fiber of the receiving node, so a crash
// unwinds it); the Kafka transport has its own tests.
#include "services/raft/quorum_driver.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>

#include "services/log/checkpoint.h"
#include "services/log/log_manager.h"
#include "services/raft/quorum_state.h"
#include "sim/world.h"
#include "tests/unit/raft/crash_steps.h"

using namespace eddy;
using namespace eddy::raft;

namespace {

// The application: the entries' data in order (leader-change entries skipped).
class Journal final : public QuorumApplication {
public:
    void apply(int64_t base_offset, const std::vector<Entry>& entries) override {
        CHECK(base_offset == next);
        for (const Entry& e : entries) {
            if (!e.data.empty()) {
                items.emplace_back(as_chars(e.data));
            }
        }
        next = base_offset + static_cast<int64_t>(entries.size());
    }
    Result<void, std::string> load_snapshot(SnapshotId id, ByteSpan image) override {
        items.clear();
        std::string s(as_chars(image));
        size_t at = 0;
        while (at < s.size()) {
            const size_t end = s.find('\n', at);
            if (end == std::string::npos) {
                return fail(std::string("no newline"));
            }
            items.push_back(s.substr(at, end - at));
            at = end + 1;
        }
        next = id.end_offset;
        ++snapshots_loaded;
        return {};
    }
    Bytes snapshot_image() const override {
        std::string s;
        for (const auto& i : items) {
            s += i + "\n";
        }
        return to_bytes(s);
    }
    std::vector<std::string> items;
    int64_t next = 0;
    int snapshots_loaded = 0;
};

struct Node;

// Routes messages between the nodes of one test.
struct Net {
    std::map<NodeId, Node*> nodes;
};

struct Node final : QuorumTransport {
    Net& net;
    NodeId id;
    sim::SimNode* sim = nullptr;
    Journal journal;
    std::unique_ptr<log::LogManager> logs;
    std::unique_ptr<QuorumDriver> driver;
    // Set: the next start may fail, and its error is kept here instead of failing the test.
    std::optional<std::string> open_error;

    Node(Net& n, NodeId i) : net(n), id(i) {}
    void send(Message m) override;
};

void deliver(Net& net, Message m) {
    auto it = net.nodes.find(m.to);
    if (it == net.nodes.end() || !it->second->sim->up() || it->second->driver == nullptr) {
        return;  // lost
    }
    Node* to = it->second;
    to->sim->env().scheduler.spawn("deliver", [&net, to, m = std::move(m)] {
        if (to->driver == nullptr) {
            return;
        }
        for (Message& r : to->driver->receive(m)) {
            deliver(net, std::move(r));
        }
    });
}

void Node::send(Message m) { deliver(net, std::move(m)); }

QuorumConfig config_for(std::vector<NodeId> voters) {
    QuorumConfig c;
    c.voters = std::move(voters);
    c.election_timeout = Duration::millis(300);
    c.fetch_timeout = Duration::millis(600);
    c.request_timeout = Duration::millis(200);
    return c;
}

// Boots `node` in the world: log manager, driver, transport. Runs until the node crashes.
void boot(Env& env, Node& node, const QuorumConfig& config, int64_t snapshot_every) {
    node.journal = Journal{};
    node.logs = std::make_unique<log::LogManager>(env, log::LogManagerOptions{});
    REQUIRE(node.logs->open().ok());
    QuorumDriverOptions o;
    o.self = node.id;
    o.config = config;
    o.cluster_id = "test-cluster";
    o.snapshot_every = snapshot_every;
    auto d = QuorumDriver::open(env, *node.logs, o, node.journal);
    if (node.open_error && !d.ok()) {
        node.open_error = d.error();
        return;
    }
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error()));
    node.driver = std::move(*d);
    node.driver->start(node);
}

struct Cluster {
    sim::SimWorld world;
    Net net;
    std::vector<std::unique_ptr<Node>> nodes;
    QuorumConfig config;

    Cluster(uint64_t seed, int n, int64_t snapshot_every = 0)
        : world(seed, quiet()), config(config_for({})) {
        for (int i = 1; i <= n; ++i) {
            config.voters.push_back(NodeId(i));
        }
        for (int i = 1; i <= n; ++i) {
            auto node = std::make_unique<Node>(net, NodeId(i));
            Node* raw = node.get();
            net.nodes[NodeId(i)] = raw;
            raw->sim = &world.add_node("c" + std::to_string(i), [this, raw, snapshot_every](Env& env) {
                boot(env, *raw, config, snapshot_every);
            });
            nodes.push_back(std::move(node));
        }
        for (auto& node : nodes) {
            world.start(*node->sim);
        }
    }
    ~Cluster() {
        for (auto& n : nodes) {
            if (n->sim->up()) {
                crash(*n);
            }
        }
    }
    static sim::WorldOptions quiet() {
        sim::WorldOptions o;
        o.buggify = false;
        o.log_levels = LogLevel::error;
        return o;
    }
    void crash(Node& n) {
        world.crash(*n.sim);  // unwinds the node's fibers first, then its memory goes
        n.driver.reset();
        n.logs.reset();
    }
    Node* leader() {
        for (auto& n : nodes) {
            if (n->sim->up() && n->driver && n->driver->is_leader()) {
                return n.get();
            }
        }
        return nullptr;
    }
    bool run_until(const std::function<bool()>& done, Duration limit = Duration::seconds(30)) {
        return world.run(done, world.now() + limit);
    }
    // Proposes `data` on the current leader from a fiber of that node; true once committed.
    bool propose(const std::string& data) {
        Node* l = nullptr;
        if (!run_until([&] { return (l = leader()) != nullptr; })) {
            return false;
        }
        std::optional<bool> ok;
        l->sim->env().scheduler.spawn("propose", [&ok, l, data] {
            auto r = l->driver->propose(to_bytes(data), Duration::seconds(5));
            ok = r.ok();
            if (!r.ok()) {
                MESSAGE("propose: " << std::string(to_string(r.error())));
            }
        });
        run_until([&] { return ok.has_value() || !l->sim->up(); });
        return ok.value_or(false);
    }
};

}  // namespace

TEST_CASE("quorum driver: a single voter leads at once and commits its proposals") {
    Cluster c(1, 1);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(c.propose("e" + std::to_string(i)));
    }
    Node& n = *c.nodes[0];
    CHECK(n.journal.items == std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"});
    CHECK(n.driver->epoch() >= 1);
    CHECK(n.driver->applied_offset() == n.driver->end_offset());

    // A restart replays nothing until it leads again, then applies the whole log anew.
    c.crash(n);
    c.world.start(*n.sim);
    REQUIRE(c.run_until([&] { return n.driver && n.driver->is_leader(); }));
    REQUIRE(c.run_until([&] { return n.journal.items.size() == 5; }));
    CHECK(n.journal.items.back() == "e4");
    REQUIRE(c.propose("e5"));
    CHECK(n.journal.items.size() == 6);
}

TEST_CASE("quorum driver: three voters replicate, elect again after the leader crashes, and a "
          "restarted voter catches up from a snapshot") {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
        CAPTURE(seed);
        Cluster c(seed, 3, /*snapshot_every=*/4);
        for (int i = 0; i < 10; ++i) {
            REQUIRE(c.propose("a" + std::to_string(i)));
        }
        Node* first = c.leader();
        REQUIRE(first != nullptr);
        const int32_t first_epoch = first->driver->epoch();
        c.crash(*first);
        for (int i = 0; i < 10; ++i) {
            REQUIRE(c.propose("b" + std::to_string(i)));
        }
        Node* second = c.leader();
        REQUIRE(second != nullptr);
        CHECK(second != first);
        CHECK(second->driver->epoch() > first_epoch);

        c.world.start(*first->sim);
        REQUIRE(c.run_until([&] {
            for (auto& n : c.nodes) {
                if (!n->driver || n->journal.items.size() != 20) {
                    return false;
                }
            }
            return true;
        }));
        for (auto& n : c.nodes) {
            CHECK(n->journal.items == c.nodes[0]->journal.items);
        }
        // It restarted from its own snapshot (taken every 4 entries) and fetched the rest.
        CHECK(first->journal.snapshots_loaded >= 1);
        CHECK(first->journal.items.front() == "a0");
        CHECK(first->journal.items.back() == "b9");
    }
}

TEST_CASE("quorum driver: the vote and epoch are in quorum-state before anyone hears of them") {
    Cluster c(7, 3);
    REQUIRE(c.propose("x"));
    const Node* l = c.leader();
    REQUIRE(l != nullptr);
    for (auto& n : c.nodes) {
        std::optional<QuorumState> s;
        n->sim->env().scheduler.spawn("read", [&] {
            auto r = read_quorum_state(n->sim->env(), "__cluster_metadata-0");
            REQUIRE(r.ok());
            s = *r;
        });
        REQUIRE(c.run_until([&] { return s.has_value(); }));
        CHECK(s->leader_epoch.value() == l->driver->epoch());
        CHECK(s->cluster_id == "test-cluster");
        CHECK(s->current_voters == c.config.voters);
        if (n.get() == l) {
            CHECK(s->voted_id == std::optional<NodeId>(l->id));
        }
    }
}

namespace {

// Runs `body` in a fiber of the world (the disk of a node that is down is reached through it).
void on_disk(Cluster& c, Node& n, const std::function<void(Disk&)>& body) {
    bool done = false;
    c.world.world_env().scheduler.spawn("disk", [&] {
        body(n.sim->disk());
        done = true;
    });
    REQUIRE(c.run_until([&] { return done; }));
}

std::optional<QuorumState> state_in(Cluster& c, Node& n, const std::string& dir) {
    std::optional<QuorumState> s;
    on_disk(c, n, [&](Disk& d) {
        auto text = log::read_file_stable(d, dir + "/" + std::string(quorum_state_file), 65536);
        REQUIRE(text.ok());
        REQUIRE(text->has_value());
        auto r = decode_quorum_state(as_chars(**text));
        REQUIRE(r.ok());
        s = *r;
    });
    return s;
}

// Every node applied the same items, `count` of them.
bool converged(Cluster& c, size_t count) {
    for (auto& n : c.nodes) {
        if (!n->driver || n->journal.items.size() != count ||
            n->journal.items != c.nodes[0]->journal.items) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("quorum driver: a voter whose metadata log lost synced entries recovers them from the "
          "leader before it votes with them") {
    Cluster c(3, 3);
    for (int i = 0; i < 6; ++i) {
        REQUIRE(c.propose("a" + std::to_string(i)));
    }
    Node* l = c.leader();
    REQUIRE(l != nullptr);
    Node& f = *c.nodes[l == c.nodes[0].get() ? 1 : 0];
    c.crash(f);
    // Bit rot in the segment, past the recovery point: recovery cuts the log there.
    on_disk(c, f, [&](Disk& d) {
        raft::test::flip_bit(d, "__cluster_metadata-0/00000000000000000000.log", 100, 4);
    });
    c.world.start(*f.sim);
    REQUIRE(c.run_until([&] { return f.driver != nullptr; }));
    CHECK(f.driver->recovering());
    const auto marked = state_in(c, f, "__cluster_metadata-0");
    REQUIRE(marked.has_value());
    REQUIRE(marked->recovering_epoch.has_value());
    CHECK(marked->recovering_end.has_value());
    // It copies the log back from the leader, and then votes like any voter again.
    REQUIRE(c.propose("b"));
    REQUIRE(c.run_until([&] { return converged(c, 7) && !f.driver->recovering(); }));
    const auto cleared = state_in(c, f, "__cluster_metadata-0");
    CHECK(!cleared->recovering_epoch);
    CHECK(f.journal.items.front() == "a0");
}

TEST_CASE("quorum driver: a damaged metadata log is set aside, its quorum-state carried over, "
          "also across a crash in between") {
    for (const bool crash_between : {false, true}) {
        CAPTURE(crash_between);
        Cluster c(5, 3);
        for (int i = 0; i < 4; ++i) {
            REQUIRE(c.propose("a" + std::to_string(i)));
        }
        Node* l = c.leader();
        REQUIRE(l != nullptr);
        Node& f = *c.nodes[l == c.nodes[0].get() ? 1 : 0];
        const int32_t epoch = f.driver->epoch();
        c.crash(f);
        on_disk(c, f, [&](Disk& d) {
            if (crash_between) {
                // As if the node crashed after setting the log aside and before writing
                // quorum-state into the new one: the copy set aside already says recovering.
                const std::string state = "__cluster_metadata-0/quorum-state";
                auto text = log::read_file_stable(d, state, 65536);
                REQUIRE(text.ok());
                REQUIRE(text->has_value());
                auto r = decode_quorum_state(as_chars(**text));
                REQUIRE(r.ok());
                QuorumState s = *r;
                s.recovering_epoch = s.leader_epoch;
                auto file = d.open(state, OpenMode::read_write);
                REQUIRE(file.ok());
                REQUIRE((*file)->truncate(0).ok());
                REQUIRE((*file)->write_at(0, as_bytes(encode_quorum_state(s))).ok());
                REQUIRE((*file)->sync().ok());
                REQUIRE(d.rename("__cluster_metadata-0", "__cluster_metadata-0.0-damaged").ok());
            } else {
                // Damage found while it ran (a CRC that fails on every read) is remembered.
                auto m = d.open("__cluster_metadata-0/damaged", OpenMode::create);
                REQUIRE(m.ok());
                REQUIRE((*m)->write_at(0, as_bytes("crc mismatch at offset 2\n")).ok());
                REQUIRE((*m)->sync().ok());
            }
        });
        c.world.start(*f.sim);
        REQUIRE(c.run_until([&] { return f.driver != nullptr; }));
        CHECK(f.driver->recovering());
        CHECK(f.driver->epoch() >= epoch);  // the epoch (and the vote) came across
        on_disk(c, f, [&](Disk& d) {
            auto names = d.list(".");
            REQUIRE(names.ok());
            CHECK(std::count(names->begin(), names->end(), "__cluster_metadata-0.0-damaged") == 1);
        });
        REQUIRE(c.propose("b"));
        REQUIRE(c.run_until([&] { return converged(c, 5) && !f.driver->recovering(); }));
        CHECK(f.journal.items.front() == "a0");
    }
}

TEST_CASE("quorum driver: the only voter of its quorum stops on a damaged metadata log") {
    Cluster c(4, 1);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(c.propose("a" + std::to_string(i)));
    }
    Node& n = *c.nodes[0];
    c.crash(n);
    on_disk(c, n, [&](Disk& d) {
        raft::test::flip_bit(d, "__cluster_metadata-0/00000000000000000000.log", -2, 2);
    });
    n.open_error = "";
    c.world.start(*n.sim);
    REQUIRE(c.run_until([&] { return !n.open_error->empty(); }));
    // No other copy holds what it lost: it says so in one line and leaves the files as found.
    CHECK(n.open_error->find("only voter") != std::string::npos);
    CHECK(n.open_error->find('\n') == std::string::npos);
    CHECK(n.driver == nullptr);
    on_disk(c, n, [&](Disk& d) {
        auto names = d.list(".");
        REQUIRE(names.ok());
        for (const auto& name : *names) {
            CHECK(name.find("-damaged") == std::string::npos);
        }
    });
}
