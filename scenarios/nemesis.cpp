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

// Microseconds, with the nanoseconds as three decimals when there are any: a drawn hold is
// nanosecond-precise, and a replay must hold it exactly as long.
std::string micros_text(Duration d) {
    const int64_t ns = d.to_nanos();
    std::string out = std::to_string(ns / 1000);
    if (const int64_t frac = ns % 1000; frac != 0) {
        const std::string digits = std::to_string(frac < 0 ? -frac : frac);
        out += "." + std::string(3 - digits.size(), '0') + digits;
    }
    return out;
}

// "123" or "123.456" (µs) as a Duration; nullopt if malformed.
std::optional<Duration> micros_from(std::string_view s) {
    const size_t dot = s.find('.');
    const auto whole = to_int(s.substr(0, dot));
    if (!whole) {
        return std::nullopt;
    }
    int64_t ns = *whole * 1000;
    if (dot != std::string_view::npos) {
        const std::string_view frac = s.substr(dot + 1);
        const auto digits = to_int(frac);
        if (!digits || frac.size() > 3 || *digits < 0 || *whole < 0) {
            return std::nullopt;
        }
        ns += *digits * (frac.size() == 1 ? 100 : frac.size() == 2 ? 10 : 1);
    }
    return Duration::nanos(ns);
}

}  // namespace

std::string FaultSchedule::to_text() const {
    std::string out = "phase start_us=" + micros_text(phase_start) +
                      " end_us=" + micros_text(phase_end) + "\n";
    if (!size.empty()) {
        out += "size";
        for (const auto& [key, n] : size) {
            out += " " + key + "=" + std::to_string(n);
        }
        out += "\n";
    }
    for (const auto& f : faults) {
        out += "fault at_us=" + micros_text(f.at) + " kind=" + f.kind + " a=" + join(f.side_a) +
               " b=" + join(f.side_b) + " hold_us=" + micros_text(f.hold) +
               " value=" + std::to_string(f.value) + " mode=" + (f.mode.empty() ? "-" : f.mode);
        if (!f.lane.empty()) {
            out += " lane=" + f.lane + (f.own ? " own=1" : "");
        }
        if (!f.aim.empty()) {
            out += " aim=" + f.aim;
        }
        out += "\n";
    }
    return out;
}

size_t FaultSchedule::fault_count() const {
    return static_cast<size_t>(std::count_if(faults.begin(), faults.end(),
                                             [](const FaultSpec& f) { return f.kind != wake_kind; }));
}

int64_t schedule_size(const FaultSchedule* replay, const std::string& key, int64_t drawn,
                      int64_t lo, int64_t hi) {
    int64_t n = drawn;
    if (replay != nullptr) {
        if (auto it = replay->size.find(key); it != replay->size.end()) {
            n = it->second;
        }
    }
    return std::clamp(n, lo, std::max(lo, hi));
}

Random fault_stream(sim::SimWorld& world, std::string_view purpose) {
    Random r = world.random().fork(purpose);
    r.set_tap(nullptr);
    return r;
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
        auto micros = [&kv](std::string_view key) -> std::optional<Duration> {
            auto it = kv.find(key);
            return it == kv.end() ? std::nullopt : micros_from(it->second);
        };
        if (head == "phase") {
            const auto start = micros("start_us");
            const auto end = micros("end_us");
            if (!start || !end || *end < *start) {
                return fail(where + "a phase wants start_us=N end_us=M with N <= M");
            }
            s.phase_start = *start;
            s.phase_end = *end;
            phase_seen = true;
        } else if (head == "fault") {
            FaultSpec f;
            const auto at = micros("at_us");
            const auto hold = micros("hold_us");
            const auto value = number("value");
            if (!at || !hold || !value || !kv.contains("kind") || *at < Duration::zero() ||
                *hold < Duration::zero()) {
                return fail(where + "a fault wants at_us, kind, hold_us and value");
            }
            f.at = *at;
            f.hold = *hold;
            f.value = *value;
            f.kind = kv["kind"];
            f.side_a = split_names(kv["a"]);
            f.side_b = split_names(kv["b"]);
            f.mode = kv["mode"] == "-" ? std::string() : kv["mode"];
            f.lane = kv["lane"];
            f.own = kv["own"] == "1";
            f.aim = kv["aim"];
            s.faults.push_back(std::move(f));
        } else if (head == "size") {
            for (const auto& [key, digits] : kv) {
                const auto n = to_int(digits);
                if (!n || *n < 0) {
                    return fail(where + "a size wants KEY=N with N >= 0");
                }
                s.size[key] = *n;
            }
        } else {
            return fail(where + "expected 'phase …', 'size …' or 'fault …'");
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
    if (f.aim == "leader" && !f.side_a.empty()) {
        world_.trace("fault.leader", {{"node", f.side_a.front()}});  // the leader comes first
    } else if (!f.aim.empty()) {
        world_.trace("fault." + f.aim, {{"nodes", a}});
    }
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

void FaultInjector::keep(FaultSpec f) {
    if (laned_ && f.lane.empty()) {
        f.lane = lane_main;
    }
    if (auto it = lane_wake_.find(f.lane); it != lane_wake_.end()) {
        const size_t i = it->second;
        lane_wake_.erase(it);
        if (recorded_.faults[i].kind == wake_kind && recorded_.faults[i].at == f.at) {
            recorded_.faults[i] = std::move(f);  // the wake injected this
            return;
        }
    }
    recorded_.faults.push_back(std::move(f));
}

void FaultInjector::wake(const std::string& lane) {
    FaultSpec w;
    w.kind = wake_kind;
    w.at = world_.now() - Instant();
    w.lane = lane;
    lane_wake_.erase(lane);
    recorded_.faults.push_back(std::move(w));
    lane_wake_[lane] = recorded_.faults.size() - 1;
}

void FaultInjector::note(FaultSpec f) {
    f.at = world_.now() - Instant();
    trace_begin(f);
    keep(std::move(f));
}

uint64_t FaultInjector::begin(FaultSpec& f, bool record) {
    f.at = world_.now() - Instant();
    touched_.insert(f.side_a.begin(), f.side_a.end());
    touched_.insert(f.side_b.begin(), f.side_b.end());
    trace_begin(f);
    if (record) {
        keep(f);
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
    if (f.kind == wake_kind) {
        return;
    }
    if (auto it = custom.find(f.kind); it != custom.end()) {
        f.at = world_.now() - Instant();
        trace_begin(f);
        if (record) {
            keep(f);
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
    f.at = world_.now() - Instant();
    f.own = true;
    keep(f);
    world_.spawn("nemesis-" + f.kind, [this, f] { apply(f, false); });
}

void FaultInjector::replay(const FaultSchedule& s) {
    for (const auto& f : s.faults) {
        if (f.kind == wake_kind || !names_known(f)) {
            continue;
        }
        world_.spawn("nemesis-replay-" + f.kind, [this, f] {
            auto& sched = world_.world_env().scheduler;
            const Instant at = Instant() + f.at;
            if (sched.now() < at) {
                sched.sleep_until(at);
            }
            // Recorded as it came, without a lane: a fiber of its own from the start again.
            FaultSpec kept = f;
            kept.at = world_.now() - Instant();
            recorded_.faults.push_back(std::move(kept));
            apply(f, false);
        });
    }
}

bool FaultInjector::names_known(const FaultSpec& f) {
    const auto nodes = world_.nodes();
    const auto known = [&nodes](const std::string& name) {
        return std::any_of(nodes.begin(), nodes.end(),
                           [&name](const sim::SimNode* n) { return n->name() == name; });
    };
    return std::all_of(f.side_a.begin(), f.side_a.end(), known) &&
           std::all_of(f.side_b.begin(), f.side_b.end(), known);
}

void FaultInjector::run_lane(const std::vector<FaultSpec>& records) {
    auto& sched = world_.world_env().scheduler;
    for (const auto& f : records) {
        const Instant at = Instant() + f.at;
        if (sched.now() < at) {
            sched.sleep_until(at);
            wake(f.lane);
        }
        if (f.kind == wake_kind) {
            continue;
        }
        if (f.own) {
            spawn(f);
        } else {
            apply(f);
        }
    }
}

void FaultInjector::replay_lanes(const FaultSchedule& s) {
    FaultSchedule unlaned = s;
    unlaned.faults.clear();
    std::map<std::string, std::vector<FaultSpec>> lanes;
    for (const auto& f : s.faults) {
        if (!names_known(f)) {
            continue;  // a node of a bigger run
        }
        (f.lane.empty() ? unlaned.faults : lanes[f.lane]).push_back(f);
    }
    for (const auto& entry : lanes) {
        const std::string& lane = entry.first;
        if (lane != lane_main) {
            // The drawn run's swarm fiber is "swarm-faults".
            wake(lane);
            lanes_running_.insert(lane);
            world_.spawn(lane == lane_swarm ? "swarm-faults" : "lane-" + lane,
                         [this, lane, records = entry.second] {
                             run_lane(records);
                             lanes_running_.erase(lane);
                         });
        }
    }
    replay(unlaned);
    if (auto it = lanes.find(lane_main); it != lanes.end()) {
        run_lane(it->second);
    }
}

void FaultInjector::spawn_swarm(Random r, FaultMenu menu, std::vector<std::string> nodes,
                                size_t voters, Instant end, Duration hold_max, Duration gap_max,
                                uint64_t& count) {
    wake(lane_swarm);  // the lane starts: a replay runs it even if it never injects anything
    lanes_running_.insert(lane_swarm);
    world_.spawn("swarm-faults", [this, r, menu, nodes = std::move(nodes), voters, end, hold_max,
                                  gap_max, &count]() mutable {
        auto& sched = world_.world_env().scheduler;
        while (true) {
            sched.sleep_for(r.duration_between(Duration::millis(100), gap_max));
            wake(lane_swarm);
            if (sched.now() >= end) {
                lanes_running_.erase(lane_swarm);
                return;
            }
            ++count;
            FaultSpec f = draw_fault(r, menu, nodes, voters, hold_max);
            f.lane = lane_swarm;
            spawn(std::move(f));
        }
    });
}

bool FaultInjector::open_phase(const FaultSchedule* replay, const FaultMenu& menu,
                               const std::string& broker, Instant end, uint64_t& count) {
    begin_phase();
    use_lanes();
    auto& sched = world_.world_env().scheduler;
    if (replay != nullptr) {
        replay_lanes(*replay);
        if (sched.now() < Instant() + replay->phase_end) {
            sched.sleep_until(Instant() + replay->phase_end);
        }
        return true;
    }
    Random r = fault_stream(world_, "swarm-faults");
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
