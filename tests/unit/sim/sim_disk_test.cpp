// SimDisk: the Disk contract under faults. Properties check each file's crash outcome against a
// model (durable bytes + a prefix of the pending ops, at most the boundary write torn at sector
// granularity, never reordered), that synced bytes and synced directory entries survive and
// unsynced entries revert only to a state the directory actually passed through, that a failed
// sync poisons the file, the capacity limit, that bit flips hit only returned data at the
// configured rate, and that the same seed gives the same run. Plain tests cover the API.
#include "sim/sim_disk.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <bit>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "tests/unit/virtual_driver.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

constexpr uint64_t sector = limits::disk_sector_bytes;

// Keeps every event as one line, and counts them by kind.
class RecordingTracer final : public Tracer {
public:
    void event(std::string_view kind, std::initializer_list<TraceField> fields) override {
        std::string line(kind);
        for (const TraceField& f : fields) {
            line += ' ';
            line += f.key;
            line += '=';
            std::visit(
                [&](const auto& v) {
                    using V = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<V, std::string_view>) {
                        line += v;
                    } else {
                        line += std::to_string(v);
                    }
                },
                f.value);
        }
        lines.push_back(std::move(line));
        ++counts[std::string(kind)];
    }
    int count(const std::string& kind) const {
        auto it = counts.find(kind);
        return it == counts.end() ? 0 : it->second;
    }
    std::string joined() const {
        std::string out;
        for (const auto& l : lines) {
            out += l;
            out += '\n';
        }
        return out;
    }

    // The integer field `key` of a line, or -1.
    static int64_t field(const std::string& line, const std::string& key) {
        const size_t at = line.find(" " + key + "=");
        return at == std::string::npos ? -1 : std::stoll(line.substr(at + key.size() + 2));
    }
    // Events of this kind whose `kept` lies strictly between 0 and `pending`.
    int partial(const std::string& kind) const {
        int n = 0;
        for (const auto& l : lines) {
            if (l.starts_with(kind + " ")) {
                const int64_t kept = field(l, "kept");
                n += kept > 0 && kept < field(l, "pending") ? 1 : 0;
            }
        }
        return n;
    }

    std::vector<std::string> lines;
    std::map<std::string, int> counts;
};

// One disk on a virtual-time executor. run() executes a body as a fiber (disk calls with latency
// need one) and rethrows whatever it threw, so RC_ASSERT and REQUIRE work inside.
struct Rig {
    explicit Rig(uint64_t seed, DiskFaults faults = {})
        : disk(executor, Random(seed), tracer, faults) {}

    void run(const std::function<void()>& body) {
        if (!test::run_test_fiber(executor, group, body)) {
            throw std::runtime_error("the test fiber did not finish");
        }
    }

    test::VirtualDriver driver;
    FiberExecutor executor{driver};
    GroupId group = executor.new_group();
    RecordingTracer tracer;
    SimDisk disk;
};

Bytes pattern(size_t n, uint64_t seed) {
    Random r(seed);
    Bytes b(n);
    for (auto& x : b) {
        x = static_cast<std::byte>(r.next() & 0xff);
    }
    return b;
}

std::string str(const Bytes& b) { return std::string(as_chars(b)); }

std::unique_ptr<File> must_open(Disk& disk, std::string_view path, OpenMode mode) {
    auto f = disk.open(path, mode);
    if (!f.ok()) {
        throw std::runtime_error("open " + std::string(path) + ": " + to_string(f.error()));
    }
    return std::move(f).value();
}

Bytes read_all(File& f) {
    auto size = f.size();
    if (!size.ok()) {
        throw std::runtime_error("size failed");
    }
    Bytes b(*size);
    auto n = f.read_at(0, b);
    if (!n.ok() || *n != b.size()) {
        throw std::runtime_error("read failed");
    }
    return b;
}

// --- The file model ---------------------------------------------------------------------------

struct ModelOp {
    bool truncate = false;
    uint64_t offset = 0;  // or the new size
    Bytes data;
};

void model_apply(Bytes& image, const ModelOp& op) {
    if (op.truncate) {
        image.resize(op.offset);
        return;
    }
    if (op.offset + op.data.size() > image.size()) {
        image.resize(op.offset + op.data.size());
    }
    std::copy(op.data.begin(), op.data.end(), image.begin() + static_cast<ptrdiff_t>(op.offset));
}

// Is `result` the write `op` (taking `before` to `after`) torn at sector granularity: each
// sector either as after the write or as before it (zeros past the old end), and the size the
// old one or the end of a piece of the write?
bool torn_mix(const Bytes& result, const Bytes& before, const Bytes& after, const ModelOp& op) {
    if (result.size() < before.size() || result.size() > after.size()) {
        return false;
    }
    if (result.size() > before.size()) {
        const uint64_t end = op.offset + op.data.size();
        const bool piece_end = result.size() == end || result.size() % sector == 0;
        if (!piece_end || result.size() <= op.offset) {
            return false;
        }
    }
    for (uint64_t s = 0; s < result.size(); s += sector) {
        const uint64_t e = std::min<uint64_t>(s + sector, result.size());
        bool as_after = true;
        bool as_before = true;
        for (uint64_t i = s; i < e; ++i) {
            as_after = as_after && result[i] == after[i];
            as_before = as_before && result[i] == (i < before.size() ? before[i] : std::byte{0});
        }
        if (!as_after && !as_before) {
            return false;
        }
    }
    return true;
}

// Is `result` what a crash may leave of a file with these durable bytes and pending ops?
bool explains(const Bytes& result, Bytes state, const std::vector<ModelOp>& pending) {
    for (size_t k = 0;; ++k) {
        if (result == state) {
            return true;
        }
        if (k == pending.size()) {
            return false;
        }
        Bytes next = state;
        model_apply(next, pending[k]);
        if (!pending[k].truncate && torn_mix(result, state, next, pending[k])) {
            return true;
        }
        state = std::move(next);
    }
}

// A random data op on one of `files` files, drawn by RapidCheck (outside fibers).
struct GenOp {
    int file = 0;
    int kind = 0;  // 0-5 write, 6 truncate, 7-8 sync
    uint64_t offset = 0;
    size_t length = 0;
    uint64_t fill = 0;
};

std::vector<GenOp> gen_ops(int files, int max_ops) {
    const int n = *rc::gen::inRange(0, max_ops);
    std::vector<GenOp> ops;
    for (int i = 0; i < n; ++i) {
        GenOp op;
        op.file = *rc::gen::inRange(0, files);
        op.kind = *rc::gen::inRange(0, 9);
        op.offset = *rc::gen::inRange<uint64_t>(0, 5 * sector);
        op.length = *rc::gen::inRange<size_t>(1, 3 * sector);
        op.fill = *rc::gen::arbitrary<uint64_t>();
        ops.push_back(op);
    }
    return ops;
}

// One of the crash models' corners or a middle: (keep all, lose all) probabilities.
void pick_crash_model(DiskFaults& faults) {
    const auto [keep, lose] =
        *rc::gen::element(std::pair{0.0, 0.0}, std::pair{0.0, 1.0}, std::pair{1.0, 0.0},
                          std::pair{0.3, 0.3}, std::pair{0.5, 0.25});
    faults.crash_keep_unsynced_p = keep;
    faults.crash_lose_unsynced_p = lose;
}

std::string file_name(int i) {
    static const char* const names[] = {"f0", "f1", "f2", "f3"};
    return names[i];
}

}  // namespace

// --- Properties -------------------------------------------------------------------------------

TEST_CASE(
    "property: after a crash each file is durable + a prefix of its pending ops, torn at most at "
    "the boundary") {
    int tears = 0;
    int partial = 0;
    const bool ok = rc::check("crash outcome vs model", [&] {
        const auto seed = *rc::gen::arbitrary<uint64_t>();
        DiskFaults faults;
        faults.latency_max = Duration::micros(*rc::gen::inRange(0, 300));
        pick_crash_model(faults);
        faults.crash_tear_p = *rc::gen::element(0.0, 0.5, 1.0);
        Rig rig(seed, faults);
        constexpr int files = 3;
        std::vector<Bytes> durable(files);
        std::vector<std::vector<ModelOp>> pending(files);
        const int rounds = *rc::gen::inRange(1, 4);
        for (int round = 0; round < rounds; ++round) {
            const std::vector<GenOp> ops = gen_ops(files, 30);
            std::vector<std::unique_ptr<File>> handles;
            rig.run([&] {
                for (int i = 0; i < files; ++i) {
                    handles.push_back(must_open(rig.disk, file_name(i), OpenMode::create));
                }
                RC_ASSERT(rig.disk.sync_directory("").ok());
                for (const GenOp& op : ops) {
                    File& f = *handles[static_cast<size_t>(op.file)];
                    auto& p = pending[static_cast<size_t>(op.file)];
                    if (op.kind <= 5) {
                        Bytes data = pattern(op.length, op.fill);
                        RC_ASSERT(f.write_at(op.offset, data).ok());
                        p.push_back({false, op.offset, std::move(data)});
                    } else if (op.kind == 6) {
                        RC_ASSERT(f.truncate(op.offset).ok());
                        p.push_back({true, op.offset, {}});
                    } else {
                        RC_ASSERT(f.sync().ok());
                        for (const ModelOp& m : p) {
                            model_apply(durable[static_cast<size_t>(op.file)], m);
                        }
                        p.clear();
                    }
                }
            });
            for (int i = 0; i < files; ++i) {
                Bytes current = durable[static_cast<size_t>(i)];
                for (const ModelOp& m : pending[static_cast<size_t>(i)]) {
                    model_apply(current, m);
                }
                RC_ASSERT(rig.disk.contents(file_name(i)) == std::optional<Bytes>(current));
                RC_ASSERT(rig.disk.durable_contents(file_name(i)) ==
                          std::optional<Bytes>(durable[static_cast<size_t>(i)]));
            }
            rig.disk.crash();
            for (auto& h : handles) {
                RC_ASSERT(h->size().error() == DiskError::io_error);  // stale
            }
            for (int i = 0; i < files; ++i) {
                auto after = rig.disk.contents(file_name(i));
                RC_ASSERT(after.has_value());
                RC_ASSERT(explains(*after, durable[static_cast<size_t>(i)],
                                   pending[static_cast<size_t>(i)]));
                RC_ASSERT(rig.disk.durable_contents(file_name(i)) == after);
                durable[static_cast<size_t>(i)] = *after;
                pending[static_cast<size_t>(i)].clear();
            }
            handles.clear();
        }
        tears += rig.tracer.count("disk.crash_tear");
        partial += rig.tracer.partial("disk.crash_file");
    });
    CHECK(ok);
    CHECK(tears > 0);  // coverage: the interesting outcomes happened
    CHECK(partial > 0);
}

TEST_CASE("property: synced bytes not overwritten later survive a crash byte for byte") {
    const bool ok = rc::check("synced data survives", [] {
        DiskFaults faults;
        pick_crash_model(faults);
        faults.crash_tear_p = 1.0;
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        const std::vector<GenOp> before = gen_ops(1, 20);
        const std::vector<GenOp> after = gen_ops(1, 20);
        Bytes synced;
        std::vector<bool> touched;
        rig.run([&] {
            auto f = must_open(rig.disk, "data", OpenMode::create_exclusive);
            for (const GenOp& op : before) {
                if (op.kind != 6) {
                    RC_ASSERT(f->write_at(op.offset, pattern(op.length, op.fill)).ok());
                }
            }
            RC_ASSERT(f->sync().ok());
            RC_ASSERT(rig.disk.sync_directory(".").ok());
            synced = rig.disk.contents("data").value();
            touched.assign(synced.size(), false);
            for (const GenOp& op : after) {
                if (op.kind == 6) {
                    RC_ASSERT(f->truncate(op.offset).ok());
                    for (uint64_t i = op.offset; i < touched.size(); ++i) {
                        touched[i] = true;
                    }
                } else {
                    RC_ASSERT(f->write_at(op.offset, pattern(op.length, op.fill)).ok());
                    for (uint64_t i = op.offset; i < op.offset + op.length && i < touched.size();
                         ++i) {
                        touched[i] = true;
                    }
                }
            }
        });
        rig.disk.crash();
        const Bytes got = rig.disk.contents("data").value();
        for (size_t i = 0; i < synced.size(); ++i) {
            if (!touched[i]) {
                RC_ASSERT(i < got.size());
                RC_ASSERT(got[i] == synced[i]);
            }
        }
    });
    CHECK(ok);
}

TEST_CASE("property: directory entries revert at most to the state at the last sync_directory") {
    const bool ok = rc::check("directory crash vs model", [] {
        DiskFaults faults;
        faults.latency_max = Duration::micros(*rc::gen::inRange(0, 100));
        pick_crash_model(faults);
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        using State = std::map<std::string, std::string>;  // name -> content (the file's id)
        const std::vector<std::string> names = {"a", "b", "c", "d"};
        State state;
        int next_id = 0;
        const int rounds = *rc::gen::inRange(1, 4);
        for (int round = 0; round < rounds; ++round) {
            struct Step {
                int kind;  // 0-2 create, 3 remove, 4-5 rename, 6 sync_directory
                size_t x;
                size_t y;
            };
            std::vector<Step> steps;
            const int n = *rc::gen::inRange(0, 25);
            for (int i = 0; i < n; ++i) {
                steps.push_back({*rc::gen::inRange(0, 7), *rc::gen::inRange<size_t>(0, 4),
                                 *rc::gen::inRange<size_t>(0, 4)});
            }
            std::vector<State> history{state};
            size_t last_sync = 0;
            rig.run([&] {
                for (const Step& s : steps) {
                    const std::string& x = names[s.x];
                    const std::string& y = names[s.y];
                    if (s.kind <= 2) {
                        auto f = rig.disk.open(x, OpenMode::create_exclusive);
                        RC_ASSERT(f.ok() == !state.contains(x));
                        if (!f.ok()) {
                            RC_ASSERT(f.error() == DiskError::already_exists);
                            continue;
                        }
                        const std::string id = "file" + std::to_string(next_id++);
                        RC_ASSERT((*f)->write_at(0, as_bytes(id)).ok());
                        RC_ASSERT((*f)->sync().ok());
                        state[x] = id;
                    } else if (s.kind == 3) {
                        auto r = rig.disk.remove(x);
                        RC_ASSERT(r.ok() == state.contains(x));
                        if (!r.ok()) {
                            RC_ASSERT(r.error() == DiskError::not_found);
                            continue;
                        }
                        state.erase(x);
                    } else if (s.kind <= 5) {
                        auto r = rig.disk.rename(x, y);
                        RC_ASSERT(r.ok() == state.contains(x));
                        if (!r.ok() || x == y) {
                            continue;
                        }
                        state[y] = state[x];
                        state.erase(x);
                    } else {
                        RC_ASSERT(rig.disk.sync_directory("").ok());
                        last_sync = history.size() - 1;
                        continue;
                    }
                    history.push_back(state);
                }
            });
            rig.disk.crash();
            State got;
            rig.run([&] {
                const std::vector<std::string> names_now = rig.disk.list("").value();
                for (const std::string& name : names_now) {
                    got[name] = str(rig.disk.contents(name).value());
                }
            });
            bool explained = false;
            for (size_t k = last_sync; k < history.size() && !explained; ++k) {
                explained = history[k] == got;
            }
            RC_ASSERT(explained);
            RC_ASSERT(rig.tracer.count("disk.crash_skip") == 0);
            state = got;
        }
    });
    CHECK(ok);
}

namespace {
// A namespace op of the two-directory model: create, remove or rename files in "x" and "y".
struct DirOp {
    int kind = 0;  // 0 create, 1 remove, 2 rename
    std::string from;
    std::string to;                               // rename only
    std::string id;                               // the file's content
    std::vector<std::pair<char, size_t>> places;  // (directory, index among its ops)
    bool durable = false;
};

char dir_of(const std::string& path) { return path[0]; }

// Replays `ops` on `state` with SimDisk's validity rules, skipping what does not apply.
std::map<std::string, std::string> replay(std::map<std::string, std::string> state,
                                          const std::vector<const DirOp*>& ops) {
    for (const DirOp* op : ops) {
        auto it = state.find(op->from);
        if (op->kind == 0) {
            if (it == state.end()) {
                state[op->from] = op->id;
            }
        } else if (it != state.end() && it->second == op->id) {
            state.erase(it);
            if (op->kind == 2) {
                state[op->to] = op->id;
            }
        }
    }
    return state;
}
}  // namespace

TEST_CASE(
    "property: across directories each keeps a prefix past its last sync; renames are atomic") {
    int partial = 0;
    const bool ok = rc::check("two-directory crash vs model", [&] {
        DiskFaults faults;
        faults.latency_max = Duration::micros(*rc::gen::inRange(0, 50));
        pick_crash_model(faults);
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        const std::vector<std::string> paths = {"x/a", "x/b", "y/a", "y/b", "z/a", "z/b"};
        const std::string dirs = "xyz";
        std::map<std::string, std::string> state;
        int next_id = 0;
        rig.run([&] {
            for (char dir : dirs) {
                RC_ASSERT(rig.disk.make_directory(std::string(1, dir)).ok());
            }
            RC_ASSERT(rig.disk.sync_directory("").ok());
        });
        const int rounds = *rc::gen::inRange(1, 4);
        for (int round = 0; round < rounds; ++round) {
            struct Step {
                int kind;  // 0-1 create, 2 remove, 3-5 rename, 6-7 sync
                size_t a;
                size_t b;
            };
            std::vector<Step> steps;
            const int n = *rc::gen::inRange(0, 20);
            for (int i = 0; i < n; ++i) {
                steps.push_back({*rc::gen::inRange(0, 8), *rc::gen::inRange<size_t>(0, 6),
                                 *rc::gen::inRange<size_t>(0, 6)});
            }
            const std::map<std::string, std::string> start = state;
            std::vector<DirOp> ops;
            std::map<char, size_t> counts;
            const auto place = [&](DirOp& op, char dir) {
                op.places.emplace_back(dir, counts[dir]++);
            };
            rig.run([&] {
                for (const Step& s : steps) {
                    const std::string& a = paths[s.a];
                    const std::string& b = paths[s.b];
                    DirOp op;
                    if (s.kind <= 1) {
                        if (state.contains(a)) {
                            continue;
                        }
                        op = DirOp{0, a, "", "file" + std::to_string(next_id++), {}, false};
                        auto f = must_open(rig.disk, a, OpenMode::create_exclusive);
                        RC_ASSERT(f->write_at(0, as_bytes(op.id)).ok());
                        RC_ASSERT(f->sync().ok());
                        place(op, dir_of(a));
                    } else if (s.kind == 2) {
                        if (!state.contains(a)) {
                            continue;
                        }
                        RC_ASSERT(rig.disk.remove(a).ok());
                        op = DirOp{1, a, "", state[a], {}, false};
                        place(op, dir_of(a));
                    } else if (s.kind <= 5) {
                        if (!state.contains(a) || a == b) {
                            continue;
                        }
                        RC_ASSERT(rig.disk.rename(a, b).ok());
                        op = DirOp{2, a, b, state[a], {}, false};
                        place(op, dir_of(a));
                        if (dir_of(b) != dir_of(a)) {
                            place(op, dir_of(b));
                        }
                    } else {
                        const char dir = dirs[s.a % 3];
                        RC_ASSERT(rig.disk.sync_directory(std::string(1, dir)).ok());
                        for (DirOp& o : ops) {
                            for (const auto& [d, i] : o.places) {
                                (void)i;
                                o.durable = o.durable || d == dir;
                            }
                        }
                        continue;
                    }
                    ops.push_back(op);
                    state = replay(state, {&ops.back()});
                }
            });
            rig.disk.crash();
            std::map<std::string, std::string> got;
            rig.run([&] {
                for (const std::string dir : {"x", "y", "z"}) {
                    const std::vector<std::string> names = rig.disk.list(dir).value();
                    for (const std::string& name : names) {
                        got[dir + "/" + name] = str(rig.disk.contents(dir + "/" + name).value());
                    }
                }
            });
            // Some prefix per directory must explain it: every durable op kept, a rename across
            // directories kept in both or neither.
            std::map<char, size_t> cut;  // the smallest allowed
            for (const DirOp& op : ops) {
                for (const auto& [d, i] : op.places) {
                    cut[d] = std::max(cut[d], op.durable ? i + 1 : 0);
                }
            }
            const std::map<char, size_t> cut_min = cut;
            bool explained = false;
            while (!explained) {
                std::vector<const DirOp*> kept;
                bool consistent = true;
                for (const DirOp& op : ops) {
                    size_t in = 0;
                    for (const auto& [d, i] : op.places) {
                        in += i < cut[d] ? 1 : 0;
                    }
                    consistent = consistent && (in == 0 || in == op.places.size());
                    if (in > 0) {
                        kept.push_back(&op);
                    }
                }
                explained = consistent && replay(start, kept) == got;
                // Next combination of cuts (an odometer over the directories).
                auto it = cut.begin();
                while (it != cut.end() && it->second == counts[it->first]) {
                    it->second = cut_min.at(it->first);
                    ++it;
                }
                if (it == cut.end()) {
                    break;
                }
                ++it->second;
            }
            RC_ASSERT(explained);
            RC_ASSERT(rig.tracer.count("disk.crash_skip") == 0);
            partial += got != state && got != replay(start, {}) ? 1 : 0;
            state = got;
        }
    });
    CHECK(ok);
    CHECK(partial > 0);  // coverage: some crashes kept part of what was pending
}

TEST_CASE("property: a failed sync poisons the file until the crash; other files carry on") {
    const bool ok = rc::check("sync failure poisons", [] {
        DiskFaults faults;
        faults.sync_error_p = 0.3;
        faults.crash_keep_unsynced_p = 0.5;
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        const std::vector<GenOp> ops = gen_ops(2, 40);
        std::vector<bool> poisoned(2, false);
        std::vector<Bytes> durable(2);
        std::vector<std::vector<ModelOp>> pending(2);
        int failures = 0;
        rig.run([&] {
            std::vector<std::unique_ptr<File>> files;
            for (int i = 0; i < 2; ++i) {
                files.push_back(must_open(rig.disk, file_name(i), OpenMode::create));
            }
            rig.disk.set_faults(DiskFaults{});  // the directory sync must not fail
            RC_ASSERT(rig.disk.sync_directory("").ok());
            rig.disk.set_faults(faults);
            for (const GenOp& op : ops) {
                const auto i = static_cast<size_t>(op.file);
                File& f = *files[i];
                const Bytes data = pattern(op.length, op.fill);
                if (poisoned[i]) {
                    RC_ASSERT(f.write_at(op.offset, data).error() == DiskError::io_error);
                    RC_ASSERT(f.sync().error() == DiskError::io_error);
                    Bytes buf(8);
                    RC_ASSERT(f.read_at(0, buf).error() == DiskError::io_error);
                    RC_ASSERT(f.size().error() == DiskError::io_error);
                    auto again = must_open(rig.disk, file_name(op.file), OpenMode::read_write);
                    RC_ASSERT(again->size().error() == DiskError::io_error);
                    continue;
                }
                if (op.kind <= 6) {
                    RC_ASSERT(f.write_at(op.offset, data).ok());
                    pending[i].push_back({false, op.offset, data});
                    continue;
                }
                auto r = f.sync();
                if (r.ok()) {
                    for (const ModelOp& m : pending[i]) {
                        model_apply(durable[i], m);
                    }
                    pending[i].clear();
                } else {
                    RC_ASSERT(r.error() == DiskError::io_error);
                    poisoned[i] = true;
                    ++failures;
                }
            }
        });
        RC_ASSERT(rig.tracer.count("disk.sync_error") == failures);
        rig.disk.crash();
        rig.disk.set_faults(DiskFaults{});
        rig.run([&] {
            for (int i = 0; i < 2; ++i) {
                auto f = must_open(rig.disk, file_name(i), OpenMode::read_write);
                const Bytes got = read_all(*f);  // no longer poisoned
                RC_ASSERT(explains(got, durable[static_cast<size_t>(i)],
                                   pending[static_cast<size_t>(i)]));
                RC_ASSERT(f->write_at(0, as_bytes("x")).ok());
                RC_ASSERT(f->sync().ok());
            }
        });
    });
    CHECK(ok);
}

TEST_CASE("property: writes beyond the capacity fail with no_space and change nothing") {
    const bool ok = rc::check("capacity", [] {
        DiskFaults faults;
        faults.capacity_bytes = *rc::gen::inRange<uint64_t>(0, 8 * sector);
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        const std::vector<GenOp> ops = gen_ops(2, 30);
        int refused = 0;
        rig.run([&] {
            std::vector<std::unique_ptr<File>> files;
            for (int i = 0; i < 2; ++i) {
                files.push_back(must_open(rig.disk, file_name(i), OpenMode::create));
            }
            std::vector<uint64_t> sizes(2, 0);
            for (const GenOp& op : ops) {
                const auto i = static_cast<size_t>(op.file);
                const Bytes before = rig.disk.contents(file_name(op.file)).value();
                uint64_t new_size = 0;
                Result<void, DiskError> r;
                if (op.kind == 6 || op.kind == 7) {
                    new_size = op.offset;
                    r = files[i]->truncate(op.offset);
                } else {
                    new_size = std::max<uint64_t>(sizes[i], op.offset + op.length);
                    r = files[i]->write_at(op.offset, pattern(op.length, op.fill));
                }
                const uint64_t total = sizes[0] + sizes[1] - sizes[i] + new_size;
                const bool fits = new_size <= sizes[i] || total <= faults.capacity_bytes;
                RC_ASSERT(r.ok() == fits);
                if (!fits) {
                    RC_ASSERT(r.error() == DiskError::no_space);
                    RC_ASSERT(rig.disk.contents(file_name(op.file)) == std::optional(before));
                    ++refused;
                } else {
                    sizes[i] = new_size;
                }
                RC_ASSERT(rig.disk.bytes_used() == sizes[0] + sizes[1]);
                RC_ASSERT(rig.disk.bytes_used() <= faults.capacity_bytes);
            }
            files.clear();
            RC_ASSERT(rig.disk.remove(file_name(0)).ok());
            RC_ASSERT(rig.disk.bytes_used() == sizes[1]);
        });
        RC_ASSERT(rig.tracer.count("disk.no_space") == refused);
    });
    CHECK(ok);
}

TEST_CASE("property: bit flips change one bit of what a read returns, never what is stored") {
    const bool ok = rc::check("bit flips", [] {
        DiskFaults faults;
        faults.read_bit_flip_p = 1.0;
        Rig rig(*rc::gen::arbitrary<uint64_t>(), faults);
        const Bytes data = pattern(*rc::gen::inRange<size_t>(1, 3 * sector), 7);
        rig.run([&] {
            auto f = must_open(rig.disk, "x", OpenMode::create);
            RC_ASSERT(f->write_at(0, data).ok());
            for (int i = 0; i < 20; ++i) {
                const auto offset = *rc::gen::inRange<uint64_t>(0, data.size());
                Bytes buf(data.size() - offset);
                RC_ASSERT(f->read_at(offset, buf).value() == buf.size());
                int bits = 0;
                for (size_t j = 0; j < buf.size(); ++j) {
                    bits += std::popcount(static_cast<unsigned>(buf[j] ^ data[offset + j]));
                }
                RC_ASSERT(bits == 1);
                RC_ASSERT(rig.disk.contents("x") == std::optional(data));
            }
        });
        RC_ASSERT(rig.tracer.count("disk.bit_flip") == 20);
    });
    CHECK(ok);
}

TEST_CASE("bit flips and read errors happen at the configured rate") {
    for (uint64_t seed : {1U, 2U, 3U}) {
        DiskFaults faults;
        faults.read_bit_flip_p = 0.25;
        faults.read_error_p = 0.1;
        Rig rig(seed, faults);
        const Bytes data = pattern(100, seed);
        auto f = must_open(rig.disk, "x", OpenMode::create);
        REQUIRE(f->write_at(0, data).ok());
        constexpr int reads = 4000;
        int flipped = 0;
        int errors = 0;
        for (int i = 0; i < reads; ++i) {
            Bytes buf(data.size());
            auto n = f->read_at(0, buf);
            if (!n.ok()) {
                CHECK(n.error() == DiskError::io_error);
                ++errors;
            } else if (buf != data) {
                ++flipped;
            }
        }
        // Expected 400 errors and 900 flips; both bounds are more than 6 standard deviations out.
        CHECK(errors > 280);
        CHECK(errors < 520);
        CHECK(flipped > 740);
        CHECK(flipped < 1060);
        CHECK(rig.tracer.count("disk.bit_flip") == flipped);
        CHECK(rig.tracer.count("disk.read_error") == errors);
        CHECK(rig.disk.contents("x") == std::optional(data));
    }
}

namespace {
// A fixed workload under every fault at once; returns everything observable about the run.
std::string faulty_run(uint64_t disk_seed) {
    DiskFaults faults;
    faults.read_bit_flip_p = 0.05;
    faults.read_error_p = 0.05;
    faults.write_error_p = 0.05;
    faults.sync_error_p = 0.02;
    faults.capacity_bytes = 64 * sector;
    faults.latency_min = Duration::micros(10);
    faults.latency_max = Duration::micros(500);
    faults.slow_p = 0.02;
    faults.slow_latency = Duration::millis(20);
    Rig rig(disk_seed, faults);
    Random work(42);
    std::string outcome;
    for (int round = 0; round < 3; ++round) {
        rig.run([&] {
            std::vector<std::unique_ptr<File>> files;
            (void)rig.disk.make_directory("d");
            for (int i = 0; i < 4; ++i) {
                auto f = rig.disk.open("d/" + file_name(i), OpenMode::create);
                outcome += f.ok() ? "o" : "O";
                if (f.ok()) {
                    files.push_back(std::move(f).value());
                }
            }
            for (int i = 0; i < 60 && !files.empty(); ++i) {
                File& f = *files[work.below(files.size())];
                const uint64_t offset = work.below(6 * sector);
                switch (work.below(5)) {
                    case 0:
                    case 1:
                        outcome += f.write_at(offset, pattern(work.below(2 * sector) + 1, i)).ok()
                                       ? "w"
                                       : "W";
                        break;
                    case 2: {
                        Bytes buf(work.below(sector) + 1);
                        auto n = f.read_at(offset, buf);
                        outcome += n.ok() ? std::to_string(stable_hash(as_chars(buf))) : "R";
                        break;
                    }
                    case 3:
                        outcome += f.sync().ok() ? "s" : "S";
                        break;
                    default:
                        outcome +=
                            rig.disk.sync_directory(work.chance(0.5) ? "" : "d").ok() ? "y" : "Y";
                        break;
                }
            }
        });
        rig.disk.crash();
        rig.run([&] {
            auto names = rig.disk.list("d");
            for (const auto& name : names.ok() ? *names : std::vector<std::string>{}) {
                const Bytes b = rig.disk.contents("d/" + name).value_or(Bytes{});
                outcome += name + ":" + std::to_string(stable_hash(as_chars(b)));
            }
        });
    }
    return outcome + "\n@" + std::to_string(rig.executor.now().to_nanos()) + "\n" +
           rig.tracer.joined();
}
}  // namespace

TEST_CASE("property: the same seed gives the same run, byte for byte; another seed another") {
    const bool ok = rc::check("determinism", [] {
        const auto seed = *rc::gen::arbitrary<uint64_t>();
        const std::string a = faulty_run(seed);
        RC_ASSERT(a == faulty_run(seed));
        RC_ASSERT(a != faulty_run(seed + 1));
    });
    CHECK(ok);
}

// --- The API ----------------------------------------------------------------------------------

TEST_CASE("open modes") {
    Rig rig(1);
    SimDisk& d = rig.disk;
    CHECK(d.open("f", OpenMode::read_only).error() == DiskError::not_found);
    CHECK(d.open("f", OpenMode::read_write).error() == DiskError::not_found);
    CHECK(d.open("no/f", OpenMode::create).error() == DiskError::not_found);
    {
        auto f = must_open(d, "f", OpenMode::create);
        CHECK(f->write_at(3, as_bytes("abc")).ok());
        CHECK(f->size().value() == 6);
    }
    CHECK(d.open("f", OpenMode::create_exclusive).error() == DiskError::already_exists);
    CHECK(str(d.contents("f").value()) == std::string("\0\0\0abc", 6));
    auto ro = must_open(d, "f", OpenMode::read_only);
    CHECK(ro->write_at(0, as_bytes("x")).error() == DiskError::invalid_argument);
    CHECK(ro->truncate(0).error() == DiskError::invalid_argument);
    CHECK(ro->sync().ok());
    std::byte buf[10];
    CHECK(ro->read_at(4, buf).value() == 2);  // short only at the end
    CHECK(ro->read_at(6, buf).value() == 0);
    CHECK(ro->read_at(100, buf).value() == 0);
    CHECK(ro->native_handle() == -1);
    auto rw = must_open(d, "f", OpenMode::read_write);
    CHECK(rw->truncate(2).ok());
    CHECK(ro->size().value() == 2);  // both handles see one inode
    CHECK(d.make_directory("dir").ok());
    CHECK(d.open("dir", OpenMode::read_only).error() == DiskError::invalid_argument);
    CHECK(d.open("f/x", OpenMode::create).error() == DiskError::not_found);
}

TEST_CASE("paths are relative, '/'-separated, with no empty, '.' or '..' component") {
    Rig rig(1);
    for (std::string_view bad : {"/a", "a/", "a//b", "./a", "a/../b", "..", "a/."}) {
        CAPTURE(bad);
        CHECK(rig.disk.open(bad, OpenMode::create).error() == DiskError::invalid_argument);
        CHECK(rig.disk.exists(bad).error() == DiskError::invalid_argument);
        CHECK(rig.disk.make_directory(bad).error() == DiskError::invalid_argument);
    }
    CHECK(rig.disk.open("", OpenMode::create).error() == DiskError::invalid_argument);
    CHECK(rig.disk.exists("").value());
    CHECK(rig.disk.exists(".").value());
    CHECK(rig.disk.remove_directory("").error() == DiskError::invalid_argument);
}

TEST_CASE("list returns names sorted bytewise; exists; make_directory creates parents") {
    Rig rig(1);
    SimDisk& d = rig.disk;
    for (std::string_view name : {"b", "\xc3\xa9", "a0", "B", "a.b", "a"}) {
        CHECK(d.open(std::string("dir/sub/") + std::string(name), OpenMode::create).error() ==
              DiskError::not_found);
    }
    CHECK(d.make_directory("dir/sub").ok());
    CHECK(d.make_directory("dir/sub").ok());  // ok if it exists
    for (std::string_view name : {"b", "\xc3\xa9", "a0", "B", "a.b", "a"}) {
        (void)must_open(d, std::string("dir/sub/") + std::string(name), OpenMode::create);
    }
    CHECK(d.make_directory("dir/sub/z").ok());
    CHECK(d.list("dir/sub").value() ==
          std::vector<std::string>{"B", "a", "a.b", "a0", "b", "z", "\xc3\xa9"});
    CHECK(d.list("dir").value() == std::vector<std::string>{"sub"});
    CHECK(d.list("").value() == std::vector<std::string>{"dir"});
    CHECK(d.list("nope").error() == DiskError::not_found);
    CHECK(d.list("dir/sub/a").error() == DiskError::invalid_argument);
    CHECK(d.exists("dir/sub/a").value());
    CHECK(d.exists("dir/sub/z").value());
    CHECK(!d.exists("dir/sub/y").value());
    CHECK(!d.exists("nope/y").value());
    CHECK(!d.exists("dir/sub/a/x").value());
    CHECK(d.make_directory("dir/sub/a").error() == DiskError::already_exists);
    CHECK(d.make_directory("dir/sub/a/x").error() == DiskError::already_exists);
}

TEST_CASE("remove and remove_directory") {
    Rig rig(1);
    SimDisk& d = rig.disk;
    CHECK(d.make_directory("a/b").ok());
    (void)must_open(d, "a/b/f", OpenMode::create);
    CHECK(d.remove("a/b").error() == DiskError::invalid_argument);
    CHECK(d.remove_directory("a/b").error() == DiskError::invalid_argument);  // not empty
    CHECK(d.remove_directory("a/b/f").error() == DiskError::invalid_argument);
    CHECK(d.remove_directory("a/x").error() == DiskError::not_found);
    CHECK(d.remove("a/b/g").error() == DiskError::not_found);
    CHECK(d.remove("a/b/f").ok());
    CHECK(d.remove_directory("a/b").ok());
    CHECK(d.list("a").value().empty());
}

TEST_CASE("rename replaces the target; open handles follow the inode") {
    Rig rig(1);
    SimDisk& d = rig.disk;
    auto a = must_open(d, "a", OpenMode::create);
    REQUIRE(a->write_at(0, as_bytes("AAA")).ok());
    auto b = must_open(d, "b", OpenMode::create);
    REQUIRE(b->write_at(0, as_bytes("B")).ok());
    CHECK(d.rename("a", "b").ok());
    CHECK(!d.exists("a").value());
    CHECK(str(d.contents("b").value()) == "AAA");
    CHECK(str(read_all(*b)) == "B");  // the replaced inode lives while it is open
    CHECK(a->write_at(3, as_bytes("+")).ok());
    CHECK(str(d.contents("b").value()) == "AAA+");
    CHECK(d.rename("b", "b").ok());
    CHECK(d.rename("nope", "c").error() == DiskError::not_found);
    CHECK(d.rename("b", "nope/c").error() == DiskError::not_found);

    CHECK(d.make_directory("x/y").ok());
    CHECK(d.make_directory("e").ok());
    CHECK(d.rename("b", "e").error() == DiskError::invalid_argument);      // file over directory
    CHECK(d.rename("e", "b").error() == DiskError::invalid_argument);      // directory over file
    CHECK(d.rename("x", "x/y/z").error() == DiskError::invalid_argument);  // into itself
    CHECK(d.rename("e", "x").error() == DiskError::invalid_argument);      // over a non-empty one
    CHECK(d.rename("x", "e").ok());                                        // over an empty one
    CHECK(d.list("e").value() == std::vector<std::string>{"y"});
    CHECK(d.list("").value() == std::vector<std::string>{"b", "e"});
}

TEST_CASE("sync makes written data durable; a crash without it may lose the data") {
    DiskFaults faults;
    faults.crash_keep_unsynced_p = 0;
    faults.crash_lose_unsynced_p = 1;  // drop every unsynced op
    faults.crash_tear_p = 0;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    auto f = must_open(d, "f", OpenMode::create);
    CHECK(d.durable_contents("f") == std::nullopt);  // the entry is not durable yet
    REQUIRE(d.sync_directory("").ok());
    REQUIRE(f->write_at(0, as_bytes("one")).ok());
    CHECK(str(d.durable_contents("f").value()).empty());
    REQUIRE(f->sync().ok());
    CHECK(str(d.durable_contents("f").value()) == "one");
    REQUIRE(f->write_at(3, as_bytes("two")).ok());
    REQUIRE(f->truncate(1).ok());
    CHECK(str(d.contents("f").value()) == "o");
    d.crash();
    CHECK(str(d.contents("f").value()) == "one");
    CHECK(f->read_at(0, std::span<std::byte>()).error() == DiskError::io_error);
    CHECK(f->write_at(0, as_bytes("x")).error() == DiskError::io_error);
    CHECK(f->sync().error() == DiskError::io_error);
    CHECK(f->truncate(0).error() == DiskError::io_error);
    CHECK(rig.tracer.count("disk.crash") == 1);
    CHECK(rig.tracer.count("disk.crash_file") == 1);
    CHECK(d.crashes() == 1);
}

TEST_CASE("crash keeping every unsynced op loses nothing") {
    DiskFaults faults;
    faults.crash_keep_unsynced_p = 1;
    faults.crash_lose_unsynced_p = 0;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    CHECK(d.make_directory("a/b").ok());
    auto f = must_open(d, "a/b/f", OpenMode::create);
    REQUIRE(f->write_at(0, as_bytes("data")).ok());
    CHECK(d.rename("a/b/f", "a/g").ok());
    d.crash();
    CHECK(str(d.contents("a/g").value()) == "data");
    CHECK(d.list("a").value() == std::vector<std::string>{"b", "g"});
}

TEST_CASE("directory entries are durable only after sync_directory of their own directory") {
    DiskFaults faults;
    faults.crash_keep_unsynced_p = 0;
    faults.crash_lose_unsynced_p = 1;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    CHECK(d.make_directory("a/b").ok());
    {
        auto f = must_open(d, "a/b/f", OpenMode::create);
        REQUIRE(f->write_at(0, as_bytes("x")).ok());
        REQUIRE(f->sync().ok());
    }
    REQUIRE(d.sync_directory("a/b").ok());
    REQUIRE(d.sync_directory("a").ok());
    d.crash();  // "a" was never made durable in the root
    CHECK(d.list("").value().empty());
    CHECK(d.bytes_used() == 0);

    CHECK(d.make_directory("a/b").ok());
    {
        auto f = must_open(d, "a/b/f", OpenMode::create);
        REQUIRE(f->write_at(0, as_bytes("x")).ok());
        REQUIRE(f->sync().ok());
    }
    REQUIRE(d.sync_directory("a/b").ok());
    REQUIRE(d.sync_directory("a").ok());
    REQUIRE(d.sync_directory("").ok());
    CHECK(str(d.durable_contents("a/b/f").value()) == "x");
    // An unsynced rename reverts; a removed file comes back with its data.
    CHECK(d.rename("a/b/f", "a/b/g").ok());
    CHECK(d.remove_directory("a").error() == DiskError::invalid_argument);
    d.crash();
    CHECK(d.list("a/b").value() == std::vector<std::string>{"f"});
    CHECK(d.remove("a/b/f").ok());
    CHECK(!d.exists("a/b/f").value());
    d.crash();
    CHECK(str(d.contents("a/b/f").value()) == "x");
    CHECK(d.bytes_used() == 1);
}

TEST_CASE("a durable rmdir makes the removals inside it durable") {
    DiskFaults faults;
    faults.crash_keep_unsynced_p = 0;
    faults.crash_lose_unsynced_p = 1;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    CHECK(d.make_directory("p").ok());
    REQUIRE(d.sync_directory("").ok());
    (void)must_open(d, "p/f", OpenMode::create);
    REQUIRE(d.sync_directory("p").ok());
    CHECK(d.remove("p/f").ok());  // "p" is not synced after this …
    CHECK(d.remove_directory("p").ok());
    REQUIRE(d.sync_directory("").ok());  // … but its removal is
    CHECK(d.durable_contents("p/f") == std::nullopt);
    d.crash();
    CHECK(d.list("").value().empty());
    CHECK(rig.tracer.count("disk.crash_skip") == 0);
}

TEST_CASE("a cross-directory rename is all or nothing, and durable once either side is synced") {
    int kept = 0;
    int lost = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        Rig rig(seed);  // keep and lose at random
        SimDisk& d = rig.disk;
        REQUIRE(d.make_directory("x").ok());
        REQUIRE(d.make_directory("y").ok());
        REQUIRE(d.sync_directory("").ok());
        (void)must_open(d, "x/f", OpenMode::create);
        REQUIRE(d.sync_directory("x").ok());
        REQUIRE(d.rename("x/f", "y/g").ok());
        if (seed % 3 == 1) {
            REQUIRE(d.sync_directory("y").ok());
        } else if (seed % 3 == 2) {
            REQUIRE(d.sync_directory("x").ok());
        }
        d.crash();
        const bool in_x = d.exists("x/f").value();
        const bool in_y = d.exists("y/g").value();
        CHECK(in_x != in_y);
        if (seed % 3 != 0) {
            CHECK(in_y);
        } else {
            kept += in_y ? 1 : 0;
            lost += in_x ? 1 : 0;
        }
    }
    CHECK(kept > 0);
    CHECK(lost > 0);
}

TEST_CASE("an op that a later durable op forces to stay pulls its other directory along") {
    for (uint64_t seed = 1; seed <= 30; ++seed) {
        Rig rig(seed);
        SimDisk& d = rig.disk;
        for (const char* dir : {"x", "y", "z"}) {
            REQUIRE(d.make_directory(dir).ok());
        }
        REQUIRE(d.sync_directory("").ok());
        (void)must_open(d, "x/a", OpenMode::create);
        (void)must_open(d, "z/c", OpenMode::create);
        REQUIRE(d.sync_directory("x").ok());
        REQUIRE(d.sync_directory("z").ok());
        REQUIRE(d.rename("z/c", "y/c").ok());  // not durable itself: z and y unsynced …
        REQUIRE(d.rename("x/a", "y/a").ok());
        REQUIRE(d.sync_directory("x").ok());  // … but y keeps it to keep this one, in order
        d.crash();
        CHECK(d.list("y").value() == std::vector<std::string>{"a", "c"});
        CHECK(d.list("z").value().empty());
        CHECK(d.list("x").value().empty());
    }
}

TEST_CASE("a durable op survives even when an older unsynced op elsewhere blocks compaction") {
    DiskFaults faults;
    faults.crash_keep_unsynced_p = 0;
    faults.crash_lose_unsynced_p = 1;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    REQUIRE(d.make_directory("a").ok());
    REQUIRE(d.make_directory("b").ok());
    REQUIRE(d.sync_directory("").ok());
    (void)must_open(d, "b/unsynced", OpenMode::create);
    (void)must_open(d, "a/synced", OpenMode::create);
    REQUIRE(d.sync_directory("a").ok());
    CHECK(d.durable_contents("a/synced").has_value());
    CHECK(!d.durable_contents("b/unsynced").has_value());
    d.crash();
    CHECK(d.exists("a/synced").value());
    CHECK(!d.exists("b/unsynced").value());
}

TEST_CASE("a failed sync_directory poisons the directory until the crash") {
    DiskFaults faults;
    faults.sync_error_p = 1;
    Rig rig(1, faults);
    SimDisk& d = rig.disk;
    (void)must_open(d, "f", OpenMode::create);
    CHECK(d.sync_directory("").error() == DiskError::io_error);
    d.set_faults(DiskFaults{});
    CHECK(d.sync_directory("").error() == DiskError::io_error);
    CHECK(rig.tracer.count("disk.sync_directory_error") == 1);
    d.crash();
    CHECK(d.sync_directory("").ok());
}

TEST_CASE(
    "latency: operations take their drawn time; sync covers only writes completed before it") {
    DiskFaults faults;
    faults.latency_min = Duration::millis(1);
    faults.latency_max = Duration::millis(1);
    Rig rig(1, faults);
    const auto at = [](int64_t micros) { return Instant::from_nanos(micros * 1000); };
    std::unique_ptr<File> f;
    rig.run([&] {
        f = must_open(rig.disk, "f", OpenMode::create);  // 0 -> 1 ms
        REQUIRE(rig.disk.sync_directory("").ok());       // 1 -> 2 ms
        CHECK(rig.executor.now() == at(2000));
        rig.executor.spawn(rig.group, "late writer", [&] {
            (void)rig.executor.sleep_until(at(2500));
            CHECK(f->write_at(1, as_bytes("B")).ok());  // 2.5 -> 3.5 ms: while the sync runs
            CHECK(rig.executor.now() == at(3500));
        });
        CHECK(f->write_at(0, as_bytes("A")).ok());  // 2 -> 3 ms
        CHECK(f->sync().ok());                      // 3 -> 4 ms
        CHECK(rig.executor.now() == at(4000));
    });
    CHECK(str(rig.disk.durable_contents("f").value()) == "A");
    CHECK(str(rig.disk.contents("f").value()) == "AB");
}

TEST_CASE("latency: sync_latency is added to the drawn latency of syncs, and of nothing else") {
    DiskFaults faults;
    faults.latency_min = Duration::millis(1);
    faults.latency_max = Duration::millis(1);
    faults.sync_latency = Duration::millis(5);
    Rig rig(1, faults);
    const auto at = [](int64_t micros) { return Instant::from_nanos(micros * 1000); };
    rig.run([&] {
        auto f = must_open(rig.disk, "f", OpenMode::create);  // 0 -> 1 ms
        REQUIRE(rig.disk.sync_directory("").ok());            // 1 -> 7 ms
        CHECK(rig.executor.now() == at(7000));
        CHECK(f->write_at(0, as_bytes("A")).ok());  // 7 -> 8 ms
        CHECK(rig.executor.now() == at(8000));
        CHECK(f->sync().ok());  // 8 -> 14 ms
        CHECK(rig.executor.now() == at(14000));
    });
}

TEST_CASE("open handles outlive the disk safely") {
    std::unique_ptr<File> f;
    {
        Rig rig(1);
        f = must_open(rig.disk, "f", OpenMode::create);
    }
    CHECK(f->size().error() == DiskError::io_error);
}

TEST_CASE("removed files stop counting once closed") {
    Rig rig(1);
    SimDisk& d = rig.disk;
    auto f = must_open(d, "f", OpenMode::create);
    REQUIRE(f->write_at(0, pattern(1000, 1)).ok());
    CHECK(d.bytes_used() == 1000);
    CHECK(d.remove("f").ok());
    CHECK(d.bytes_used() == 1000);  // still open
    REQUIRE(f->write_at(1000, pattern(10, 1)).ok());
    CHECK(d.bytes_used() == 1010);
    f.reset();
    CHECK(d.bytes_used() == 0);
    REQUIRE(d.sync_directory("").ok());
    d.crash();
    CHECK(d.list("").value().empty());
}

TEST_CASE("bit rot at rest flips one stored bit of a synced file, durably; unsynced files are spared") {
    Rig rig(7);
    SimDisk& d = rig.disk;
    CHECK(!d.rot_at_rest().has_value());  // nothing stored yet
    const Bytes data = pattern(5000, 3);
    auto synced = must_open(d, "synced", OpenMode::create);
    REQUIRE(synced->write_at(0, data).ok());
    REQUIRE(synced->sync().ok());
    REQUIRE(d.sync_directory("").ok());
    auto dirty = must_open(d, "dirty", OpenMode::create);
    REQUIRE(dirty->write_at(0, data).ok());  // pending: not at rest
    const auto rotted = d.rot_at_rest();
    REQUIRE(rotted.has_value());
    CHECK(*rotted == "synced");
    const Bytes now = d.contents("synced").value();
    REQUIRE(now.size() == data.size());
    int bits = 0;
    for (size_t i = 0; i < data.size(); ++i) {
        bits += std::popcount(std::to_integer<unsigned>(now[i] ^ data[i]));
    }
    CHECK(bits == 1);
    CHECK(d.durable_contents("synced").value() == now);  // a crash keeps the rot
    CHECK(read_all(*synced) == now);
    CHECK(d.contents("dirty").value() == data);
}
