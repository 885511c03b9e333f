#include "scenarios/nemesis.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace eddy::scenarios {

Nemesis::Nemesis(sim::SimWorld& world, NemesisOptions options)
    : world_(world), options_(std::move(options)), random_(world.random().fork("nemesis")) {
    if (options_.victims.empty()) {
        for (auto* n : world_.nodes()) {
            options_.victims.push_back(n->name());
        }
    }
}

sim::SimNode& Nemesis::pick_victim() {
    return world_.node(options_.victims[random_.below(options_.victims.size())]);
}

void Nemesis::run() {
    Scheduler& sched = world_.world_env().scheduler;
    const Instant end = sched.now() + options_.fault_phase;
    while (sched.now() < end) {
        sched.sleep_for(random_.duration_between(options_.gap_min, options_.gap_max));
        if (sched.now() >= end) {
            break;
        }
        inject_one();
    }
    // Healing: everything back up and connected.
    world_.network().heal_all();
    for (auto* n : world_.nodes()) {
        if (!n->up()) {
            world_.start(*n);
        } else if (n->paused()) {
            world_.resume(*n);
        }
    }
    world_.trace("nemesis.healed", {{"faults", faults_}});
}

void Nemesis::inject_one() {
    Scheduler& sched = world_.world_env().scheduler;
    auto all = world_.nodes();
    const Duration hold = random_.duration_between(Duration::millis(10), options_.hold_max);
    const auto kind = random_.below(5);
    ++faults_;
    if (kind == 0 && options_.partitions && all.size() >= 2) {
        auto& a = *all[random_.below(all.size())];
        auto& b = *all[random_.below(all.size())];
        if (&a == &b) {
            world_.network().isolate(a.name(), [&] {
                std::vector<std::string> others;
                for (auto* n : all) {
                    others.push_back(n->name());
                }
                others.push_back("world");
                return others;
            }());
        } else {
            world_.network().partition(a.name(), b.name(), random_.chance(0.3));
        }
        sched.spawn("nemesis-heal", [this, hold] {
            world_.world_env().scheduler.sleep_for(hold);
            world_.network().heal_all();
        });
    } else if (kind == 1 && options_.clogs) {
        auto& n = *all[random_.below(all.size())];
        world_.network().clog(n.name(), sched.now() + hold);
    } else if (kind == 2 && options_.crashes) {
        auto& n = pick_victim();
        if (n.up()) {
            world_.crash(n);
            sched.spawn("nemesis-restart", [this, &n, hold] {
                world_.world_env().scheduler.sleep_for(hold);
                if (!n.up()) {
                    world_.start(n);
                }
            });
        }
    } else if (kind == 3 && options_.pauses) {
        auto& n = pick_victim();
        if (n.up() && !n.paused()) {
            world_.pause(n);
            sched.spawn("nemesis-resume", [this, &n, hold] {
                world_.world_env().scheduler.sleep_for(hold);
                world_.resume(n);
            });
        }
    } else if (kind == 4 && options_.clock_jumps) {
        auto& n = *all[random_.below(all.size())];
        const Duration by = random_.duration_between(Duration::seconds(-30), Duration::seconds(30));
        n.clock().jump(by);
        world_.trace("fault.clock_jump", {{"node", n.name()}, {"by_ms", by.to_millis()}});
    } else {
        --faults_;
    }
}

}  // namespace eddy::scenarios

// --- FaultSchedule ----------------------------------------------------------------------------

namespace eddy::scenarios {
namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
        s += (s.empty() ? "" : ",") + x;
    }
    return s.empty() ? "-" : s;
}

std::vector<std::string> split_names(std::string_view s) {
    std::vector<std::string> v;
    if (s == "-" || s.empty()) {
        return v;
    }
    size_t start = 0;
    while (start <= s.size()) {
        const size_t comma = s.find(',', start);
        const size_t end = comma == std::string_view::npos ? s.size() : comma;
        v.emplace_back(s.substr(start, end - start));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return v;
}

std::optional<int64_t> to_int(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

std::string FaultSchedule::to_text() const {
    std::string out = "phase start_us=" + std::to_string(phase_start.to_micros()) +
                      " end_us=" + std::to_string(phase_end.to_micros()) + "\n";
    for (const auto& f : faults) {
        out += "fault at_us=" + std::to_string(f.at.to_micros()) + " kind=" + f.kind +
               " a=" + join(f.side_a) + " b=" + join(f.side_b) +
               " hold_us=" + std::to_string(f.hold.to_micros()) +
               " value=" + std::to_string(f.value) + " mode=" + (f.mode.empty() ? "-" : f.mode) +
               "\n";
    }
    return out;
}

Result<FaultSchedule, std::string> FaultSchedule::parse(std::string_view text) {
    FaultSchedule s;
    size_t line_no = 0;
    bool phase_seen = false;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        std::map<std::string, std::string, std::less<>> kv;
        std::string head;
        size_t pos = 0;
        while (pos < line.size()) {
            const size_t sp = line.find(' ', pos);
            const std::string_view word =
                line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
            pos = sp == std::string_view::npos ? line.size() : sp + 1;
            if (word.empty()) {
                continue;
            }
            const size_t eq = word.find('=');
            if (eq == std::string_view::npos) {
                head = std::string(word);
            } else {
                kv[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
            }
        }
        const std::string where = "line " + std::to_string(line_no) + ": ";
        auto number = [&kv](std::string_view key) -> std::optional<int64_t> {
            auto it = kv.find(key);
            return it == kv.end() ? std::nullopt : to_int(it->second);
        };
        if (head == "phase") {
            const auto start = number("start_us");
            const auto end = number("end_us");
            if (!start || !end || *end < *start) {
                return fail(where + "a phase wants start_us=N end_us=M with N <= M");
            }
            s.phase_start = Duration::micros(*start);
            s.phase_end = Duration::micros(*end);
            phase_seen = true;
        } else if (head == "fault") {
            FaultSpec f;
            const auto at = number("at_us");
            const auto hold = number("hold_us");
            const auto value = number("value");
            if (!at || !hold || !value || !kv.contains("kind") || *at < 0 || *hold < 0) {
                return fail(where + "a fault wants at_us, kind, hold_us and value");
            }
            f.at = Duration::micros(*at);
            f.hold = Duration::micros(*hold);
            f.value = *value;
            f.kind = kv["kind"];
            f.side_a = split_names(kv["a"]);
            f.side_b = split_names(kv["b"]);
            f.mode = kv["mode"] == "-" ? std::string() : kv["mode"];
            s.faults.push_back(std::move(f));
        } else {
            return fail(where + "expected 'phase …' or 'fault …'");
        }
    }
    if (!phase_seen) {
        return fail(std::string("no 'phase start_us=… end_us=…' line"));
    }
    return s;
}

// --- FaultInjector ----------------------------------------------------------------------------

FaultInjector::FaultInjector(sim::SimWorld& world) : world_(world) {}

void FaultInjector::hold_down(const std::string& node) {
    if (held_[node]++ == 0 && on_held) {
        on_held(node, true);
    }
}

void FaultInjector::release(const std::string& node) {
    auto it = held_.find(node);
    if (it == held_.end()) {
        return;
    }
    if (--it->second > 0) {
        return;
    }
    held_.erase(it);
    if (on_held) {
        on_held(node, false);
    }
    auto& n = world_.node(node);
    if (!n.up()) {
        world_.start(n);
    }
}

void FaultInjector::trace_begin(const FaultSpec& f) {
    const std::string a = join(f.side_a);
    const std::string b = join(f.side_b);
    const std::string kind = "nemesis." + f.kind;
    const int64_t start = f.at.to_nanos();
    world_.trace(kind, {{"kind", f.kind},
                        {"side_a", a},
                        {"side_b", b},
                        {"start", start},
                        {"end", start + f.hold.to_nanos()},
                        {"hold_ms", f.hold.to_millis()},
                        {"value", f.value},
                        {"mode", f.mode}});
}

void FaultInjector::note(FaultSpec f) {
    f.at = world_.now() - Instant();
    trace_begin(f);
    recorded_.faults.push_back(std::move(f));
}

uint64_t FaultInjector::begin(FaultSpec& f, bool record) {
    f.at = world_.now() - Instant();
    touched_.insert(f.side_a.begin(), f.side_a.end());
    touched_.insert(f.side_b.begin(), f.side_b.end());
    trace_begin(f);
    if (record) {
        recorded_.faults.push_back(f);
    }
    auto& net = world_.network();
    const uint64_t token = next_window_++;
    if (f.kind == "partition") {
        for (const auto& x : f.side_a) {
            for (const auto& y : f.side_b) {
                net.partition(x, y, f.value == 1);
            }
        }
    } else if (f.kind == "crash") {
        for (const auto& x : f.side_a) {
            hold_down(x);
            auto& n = world_.node(x);
            if (n.up()) {
                world_.crash(n);
            }
        }
    } else if (f.kind == "pause") {
        for (const auto& x : f.side_a) {
            auto& n = world_.node(x);
            ++paused_[x];
            if (n.up() && !n.paused()) {
                world_.pause(n);
            }
        }
    } else if (f.kind == "clock") {
        for (const auto& x : f.side_a) {
            world_.node(x).clock().jump(Duration::millis(f.value));
            world_.trace("fault.clock_jump", {{"node", x}, {"by_ms", f.value}});
        }
    } else if (f.kind == "clog") {
        for (const auto& x : f.side_a) {
            net.clog(x, world_.now() + f.hold);
        }
    } else if (f.kind == "disk") {
        for (const auto& x : f.side_a) {
            auto& disk = world_.node(x).disk();
            if (f.mode == "bit_rot") {
                if (rot_crashes) {
                    // Down until apply() found a file to rot (rot_down) and undo() let it go.
                    hold_down(x);
                    if (world_.node(x).up()) {
                        world_.crash(world_.node(x));
                    }
                    continue;
                }
                for (int64_t i = 0; i < f.value; ++i) {
                    rot_once(x);
                }
                continue;
            }
            if (!disk_base_.contains(x)) {
                disk_base_[x] = disk.faults();
            }
            FaultSpec w = f;
            if (f.mode == "full") {
                // Full from now on: what is used plus a little slack.
                w.value = static_cast<int64_t>(disk.bytes_used()) + f.value;
            }
            disk_windows_[x][token] = w;
            set_disk(x);
        }
    }
    return token;
}

void FaultInjector::undo(const FaultSpec& f, uint64_t token) {
    auto& net = world_.network();
    if (f.kind == "partition") {
        for (const auto& x : f.side_a) {
            for (const auto& y : f.side_b) {
                net.heal(x, y);
            }
        }
    } else if (f.kind == "crash") {
        for (const auto& x : f.side_a) {
            release(x);
        }
    } else if (f.kind == "pause") {
        for (const auto& x : f.side_a) {
            auto it = paused_.find(x);
            if (it == paused_.end() || --it->second > 0) {
                continue;
            }
            paused_.erase(it);
            auto& n = world_.node(x);
            if (n.up() && n.paused()) {
                world_.resume(n);
            }
        }
    } else if (f.kind == "disk" && f.mode == "bit_rot") {
        if (rot_crashes) {
            for (const auto& x : f.side_a) {
                release(x);
            }
        }
    } else if (f.kind == "disk") {
        for (const auto& x : f.side_a) {
            if (auto it = disk_windows_.find(x); it != disk_windows_.end()) {
                it->second.erase(token);
                set_disk(x);
            }
        }
    } else {
        return;  // nothing to undo: clock steps stay, clogs end by themselves
    }
    world_.trace("nemesis.heal", {{"kind", f.kind},
                                  {"side_a", join(f.side_a)},
                                  {"side_b", join(f.side_b)},
                                  {"start", f.at.to_nanos()},
                                  {"end", (world_.now() - Instant()).to_nanos()}});
}

void FaultInjector::set_disk(const std::string& node) {
    sim::DiskFaults d = disk_base_.at(node);
    for (const auto& [token, w] : disk_windows_[node]) {
        (void)token;
        const double p = static_cast<double>(w.value) / 1e6;
        if (w.mode == "read_errors") {
            d.read_error_p = std::min(1.0, d.read_error_p + p);
        } else if (w.mode == "write_errors") {
            d.write_error_p = std::min(1.0, d.write_error_p + p);
        } else if (w.mode == "sync_errors") {
            d.sync_error_p = std::min(1.0, d.sync_error_p + p);
        } else if (w.mode == "full") {
            d.capacity_bytes = std::min(d.capacity_bytes, static_cast<uint64_t>(w.value));
        } else if (w.mode == "slow") {
            d.latency_max += Duration::micros(w.value);
            d.latency_min += Duration::micros(w.value);
        } else if (w.mode == "slow_sync") {
            d.sync_latency += Duration::micros(w.value);
        }
    }
    world_.node(node).disk().set_faults(d);
}

void FaultInjector::apply(FaultSpec f, bool record) {
    if (auto it = custom.find(f.kind); it != custom.end()) {
        if (record) {
            note(f);
        }
        it->second(f);
        return;
    }
    const uint64_t token = begin(f, record);
    if (f.hold > Duration::zero() && f.kind != "clog") {
        world_.world_env().scheduler.sleep_for(f.hold);
    }
    if (f.kind == "disk" && f.mode == "bit_rot" && rot_crashes) {
        rot_down(f);
    }
    undo(f, token);
}

bool FaultInjector::rot_once(const std::string& node) {
    auto& disk = world_.node(node).disk();
    if (!rot_eligible) {
        return disk.rot_at_rest().has_value();
    }
    return disk
        .rot_at_rest([this, &node](std::string_view path) { return rot_eligible(node, path); })
        .has_value();
}

void FaultInjector::rot_down(const FaultSpec& f) {
    // The crashed nodes wait (up to rot_wait_max) until some file of theirs may rot (a cluster
    // scenario waits for the controller to leave the node out of an ISR), then rot.
    auto& sched = world_.world_env().scheduler;
    const Instant give_up = sched.now() + rot_wait_max;
    for (const auto& x : f.side_a) {
        int64_t left = f.value;
        while (left > 0 && sched.now() < give_up) {
            if (rot_once(x)) {
                --left;
            } else {
                sched.sleep_for(Duration::millis(100));
            }
        }
    }
}

void FaultInjector::spawn(FaultSpec f) {
    world_.spawn("nemesis-" + f.kind, [this, f] { apply(f); });
}

void FaultInjector::replay(const FaultSchedule& s) {
    for (const auto& f : s.faults) {
        world_.spawn("nemesis-replay-" + f.kind, [this, f] {
            auto& sched = world_.world_env().scheduler;
            const Instant at = Instant() + f.at;
            if (sched.now() < at) {
                sched.sleep_until(at);
            }
            apply(f);
        });
    }
}

void FaultInjector::spawn_swarm(Random r, FaultMenu menu, std::vector<std::string> nodes,
                                size_t voters, Instant end, Duration hold_max, Duration gap_max,
                                uint64_t& count) {
    world_.spawn("swarm-faults", [this, r, menu, nodes = std::move(nodes), voters, end, hold_max,
                                  gap_max, &count]() mutable {
        auto& sched = world_.world_env().scheduler;
        while (true) {
            sched.sleep_for(r.duration_between(Duration::millis(100), gap_max));
            if (sched.now() >= end) {
                return;
            }
            ++count;
            spawn(draw_fault(r, menu, nodes, voters, hold_max));
        }
    });
}

bool FaultInjector::open_phase(const FaultSchedule* replay, const FaultMenu& menu,
                               const std::string& broker, Instant end, uint64_t& count) {
    begin_phase();
    auto& sched = world_.world_env().scheduler;
    if (replay != nullptr) {
        this->replay(*replay);
        sched.sleep_until(std::max(sched.now(), Instant() + replay->phase_end));
        return true;
    }
    Random r = world_.random().fork("swarm-faults");
    const FaultMenu m = draw_menu(r, menu);
    const Duration gap_max = Duration::millis(r.between(1000, 4000));
    spawn_swarm(r, m, {broker}, 1, end, Duration::millis(1500), gap_max, count);
    return false;
}

void FaultInjector::heal_all() {
    world_.network().heal_all();
    for (auto& [node, windows] : disk_windows_) {
        windows.clear();
        set_disk(node);
    }
    for (const auto& [node, count] : held_) {
        (void)count;
        if (on_held) {
            on_held(node, false);
        }
    }
    held_.clear();
    paused_.clear();
    for (const auto& name : touched_) {
        auto& n = world_.node(name);
        if (!n.up()) {
            world_.start(n);
        } else if (n.paused()) {
            world_.resume(n);
        }
    }
}

// --- Drawing faults ---------------------------------------------------------------------------

FaultMenu draw_menu(Random& r, const FaultMenu& menu) {
    while (true) {
        FaultMenu m;
        m.partitions = menu.partitions && r.chance(0.5);
        m.crashes = menu.crashes && r.chance(0.5);
        m.pauses = menu.pauses && r.chance(0.5);
        m.clocks = menu.clocks && r.chance(0.5);
        m.clogs = menu.clogs && r.chance(0.5);
        m.disk_errors = menu.disk_errors && r.chance(0.5);
        m.disk_full = menu.disk_full && r.chance(0.5);
        m.disk_slow = menu.disk_slow && r.chance(0.5);
        m.bit_rot = menu.bit_rot && r.chance(0.5);
        const bool any = m.partitions || m.crashes || m.pauses || m.clocks || m.clogs ||
                         m.disk_errors || m.disk_full || m.disk_slow || m.bit_rot;
        const bool possible = menu.partitions || menu.crashes || menu.pauses || menu.clocks ||
                              menu.clogs || menu.disk_errors || menu.disk_full ||
                              menu.disk_slow || menu.bit_rot;
        if (any || !possible) {
            return m;
        }
    }
}

FaultSpec draw_fault(Random& r, const FaultMenu& menu, const std::vector<std::string>& nodes,
                     size_t voters, Duration hold_max) {
    ASSERT(!nodes.empty());
    FaultSpec f;
    f.hold = r.duration_between(Duration::millis(50), hold_max);
    const std::string& one = nodes[r.below(nodes.size())];
    std::vector<std::string> kinds;
    if (menu.partitions && nodes.size() >= 2) {
        kinds.insert(kinds.end(), {"partition", "partition"});
    }
    for (const auto& [on, k] :
         std::initializer_list<std::pair<bool, const char*>>{{menu.crashes, "crash"},
                                                              {menu.pauses, "pause"},
                                                              {menu.clocks, "clock"},
                                                              {menu.clogs, "clog"},
                                                              {menu.disk_errors, "disk_errors"},
                                                              {menu.disk_full, "full"},
                                                              {menu.disk_slow, "slow"},
                                                              {menu.bit_rot, "bit_rot"}}) {
        if (on) {
            kinds.emplace_back(k);
        }
    }
    if (kinds.empty()) {
        f.kind = "clog";
        f.side_a = {one};
        f.hold = Duration::zero();
        return f;
    }
    const std::string k = kinds[r.below(kinds.size())];
    f.side_a = {one};
    if (k == "partition") {
        f.kind = "partition";
        std::vector<std::string> a;
        std::vector<std::string> b;
        // `one` alone against everyone else.
        const auto isolate_one = [&] {
            a = {one};
            b.clear();
            for (const auto& x : nodes) {
                if (x != one) {
                    b.push_back(x);
                }
            }
        };
        // Every node (but `one`, when it bridges) on a random side; both sides non-empty.
        const auto random_sides = [&](bool bridge) {
            for (const auto& x : nodes) {
                if (!bridge || x != one) {
                    (r.chance(0.5) ? a : b).push_back(x);
                }
            }
            if (a.empty() || b.empty()) {
                isolate_one();
            }
        };
        switch (r.below(5)) {
            case 0:  // one node isolated, both ways
            case 1:  // one node cannot be heard, or cannot hear (one way)
                isolate_one();
                if (r.chance(0.5)) {
                    f.value = 1;
                    if (r.chance(0.5)) {
                        std::swap(a, b);
                    }
                }
                break;
            case 2: {  // a minority of the voters with `one`, the majority on the other side
                const size_t q = std::max<size_t>(1, std::min(voters, nodes.size()));
                const size_t minority = (q - 1) / 2;
                size_t voters_in_a = 0;
                a = {one};
                for (size_t i = 0; i < nodes.size(); ++i) {
                    if (nodes[i] == one) {
                        voters_in_a += i < q ? 1U : 0U;
                    }
                }
                for (size_t i = 0; i < nodes.size(); ++i) {
                    if (nodes[i] == one) {
                        continue;
                    }
                    if (i < q && voters_in_a < minority && r.chance(0.5)) {
                        a.push_back(nodes[i]);
                        ++voters_in_a;
                    } else {
                        b.push_back(nodes[i]);
                    }
                }
                break;
            }
            case 3:  // a bridge: `one` sees both sides, which cannot see each other
                random_sides(true);
                break;
            default:  // two random sides, either may hold a majority
                random_sides(false);
                break;
        }
        f.side_a = std::move(a);
        f.side_b = std::move(b);
    } else if (k == "crash" || k == "pause" || k == "clog") {
        f.kind = k;
    } else if (k == "clock") {
        f.kind = "clock";
        f.hold = Duration::zero();
        f.value = r.between(-30'000, 30'000);
    } else {
        f.kind = "disk";
        if (k == "disk_errors") {
            static constexpr const char* modes[] = {"read_errors", "write_errors", "sync_errors"};
            f.mode = modes[r.below(3)];
            f.value = f.mode == "sync_errors" ? r.between(1'000, 20'000) : r.between(1'000, 50'000);
        } else if (k == "full") {
            f.mode = "full";
            f.value = r.between(0, 256 * 1024);
        } else if (k == "slow") {
            f.mode = r.chance(0.5) ? "slow" : "slow_sync";
            f.value = f.mode == "slow" ? r.between(100, 20'000) : r.between(1'000, 200'000);
        } else {
            f.mode = "bit_rot";
            f.value = 1;
            f.hold = Duration::zero();
        }
    }
    return f;
}

}  // namespace eddy::scenarios
