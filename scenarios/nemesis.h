// Nemesis: the fault schedule of a scenario. During the fault phase it picks, at random moments,
// one of the faults the scenario allows — partitions (symmetric or one-way), isolating a node,
// clogging, crash + restart, pause + resume, wall-clock jumps — and undoes it after a while. At
// the end of the phase it heals everything: every node up and resumed, the network whole, so
// the liveness part of the checkers can demand convergence. Runs as a world fiber.
//
// FaultInjector and FaultSchedule: the fault model the Kafka scenarios draw from, and its record.
// Every fault a scenario injects goes through a FaultInjector, which applies it, traces it
// ("nemesis.<kind>" with side_a, side_b, start and planned end; "nemesis.heal" when undone) and
// appends it to a FaultSchedule. A schedule is plain text (one fault a line), so a run can write
// it (`eddy sim run --write-faults FILE`) and another run can take it instead of drawing one
// (`--faults FILE`; the rest of the run still comes from the seed): what `eddy sim shrink`
// reduces. Faults overlap freely: each holds in its own fiber; disk windows on one node stack.
//
// Faithful replay, by construction: every fault is injected from a *lane*, a fiber of the fault
// phase ("main": the scenario's own fault loop in the phase's fiber; "swarm": the swarm's fiber),
// either held by the lane itself or in a fiber of its own that the lane spawns, and the record
// says which. A lane's wake that injects nothing is recorded too (kind `wake`). A replay runs
// the same lanes in fibers of the same names, waking at the recorded instants and injecting the
// recorded faults the same way, so the scheduler sees the same fibers at the same moments and
// the run is the drawn run again, trace hash included. That needs three things of the drawing
// side: fault streams are not tapped into the run's hash (what they decide is traced as the
// faults themselves; a replay draws nothing), nothing else reads them, and a fault's record
// carries every parameter its injection uses (a custom fault that draws more at injection time
// draws from a stream seeded by its `value`).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "sim/world.h"

namespace eddy::scenarios {

// One fault: at `at` (virtual time since the run began) `kind` on the nodes of `side_a` (and
// `side_b` for partitions), undone after `hold`; `value` is kind-specific (below).
//   partition   side_a and side_b cannot reach each other (a node in neither side, when there
//               is one, reaches both: a bridge); value 1: one way only, side_a -> side_b cut
//   crash       side_a crash (losing or tearing unsynced writes), started again after hold
//   pause       side_a stopped (SIGSTOP), resumed after hold
//   clock       side_a's wall clock steps by value ms (hold 0)
//   clog        nothing to or from side_a is delivered for hold
//   disk        a window of disk faults on side_a for hold; `mode` says which (DiskMode)
//   other kinds are the scenario's own (FaultInjector::custom), with their own meaning.
struct FaultSpec {
    Duration at{};
    std::string kind;
    std::vector<std::string> side_a;
    std::vector<std::string> side_b;
    Duration hold{};
    int64_t value = 0;
    std::string mode;  // disk: read_errors, write_errors, sync_errors, full, slow, slow_sync,
                       // bit_rot
    // The lane that injected it (see the file comment; empty: none, and a replay then holds it
    // in a fiber of its own from the start of the phase), and whether it was held in a fiber of
    // its own the lane spawned (else by the lane itself).
    std::string lane;
    bool own = false;
    // What the fault was aimed at, traced as "fault.<aim>" when it begins: "leader" (a partition
    // or quorum leader, the first node of side_a) with its `node`, another aim (e.g.
    // "crash_all") with `nodes`; empty: nothing in particular.
    std::string aim;
};

// A lane woke and injected nothing (recorded so that a replay wakes then too).
inline constexpr const char* wake_kind = "wake";
inline constexpr const char* lane_main = "main";
inline constexpr const char* lane_swarm = "swarm";

// A fault of a scenario's own kind on `nodes`.
inline FaultSpec custom_fault(std::string kind, std::vector<std::string> nodes = {}) {
    FaultSpec f;
    f.kind = std::move(kind);
    f.side_a = std::move(nodes);
    return f;
}

struct FaultSchedule {
    Duration phase_start{};  // since the run began: the fault phase, healed at its end
    Duration phase_end{};
    std::vector<FaultSpec> faults;
    // The scenario's size (e.g. nodes, producers, consumers): a recorded run writes what it
    // ran with; a replay that names a size runs with it (within what the scenario allows) in
    // place of the drawn one. Faults naming a node the smaller run lacks are dropped.
    std::map<std::string, int64_t> size;

    // A line "phase start_us=… end_us=…", then "size KEY=N …" when there are sizes, then one
    // line per fault: "fault at_us=… kind=… a=n1,n2 b=n3 hold_us=… value=… mode=…" with
    // "lane=… own=1 aim=…" when set. Times are whole microseconds.
    std::string to_text() const;
    static Result<FaultSchedule, std::string> parse(std::string_view text);
    // The faults proper (wakes not counted).
    size_t fault_count() const;
};

// The size `key` of a run: `drawn`, or what `replay` names, kept within [lo, hi].
int64_t schedule_size(const FaultSchedule* replay, const std::string& key, int64_t drawn,
                      int64_t lo, int64_t hi);
// A stream for drawing faults: forked from the world's, not tapped into the run's hash (see the
// file comment).
Random fault_stream(sim::SimWorld& world, std::string_view purpose);

// Disk window modes and their strength (`value`): read_errors / write_errors / sync_errors in
// parts per million per operation; full: the disk fills up `value` bytes past what is used;
// slow: every operation `value` µs slower; slow_sync: every sync `value` µs slower; bit_rot:
// `value` stored bits flipped on synced files at the start (hold 0; CRCs must catch them).
inline constexpr std::string_view disk_modes[] = {"read_errors", "write_errors", "sync_errors",
                                                  "full",        "slow",         "slow_sync",
                                                  "bit_rot"};

// Which kinds of fault a scenario's swarm may draw; each seed enables a random subset of them
// (swarm testing). Defaults: everything; a scenario turns off only what cannot apply to it.
struct FaultMenu {
    bool partitions = true;  // symmetric, one-way, majority/minority, bridge
    bool crashes = true;
    bool pauses = true;
    bool clocks = true;
    bool clogs = true;
    bool disk_errors = true;  // read, write and sync errors (a failed sync crashes the node)
    bool disk_full = true;
    bool disk_slow = true;  // slow I/O and slow fsync windows
    bool bit_rot = true;
};

class FaultInjector {
public:
    explicit FaultInjector(sim::SimWorld& world);

    // Told when a fault starts or stops keeping a node down (a supervisor must not start it
    // meanwhile). Overlapping crashes of one node: it comes back when the last one ends.
    std::function<void(const std::string& node, bool held)> on_held;
    // Which stored files of `node` bit rot may strike now (unset: any synced file). A cluster
    // scenario narrows it to what a replica elsewhere can give back.
    std::function<bool(const std::string& node, std::string_view path)> rot_eligible;
    // Bit rot strikes a node while it is down: the fault crashes it (a power loss that leaves a
    // bad sector behind), keeps it down until one of its files may rot (rot_eligible; at most
    // rot_wait_max), rots it, and lets it start again, when it finds the damage. Unset: rot
    // strikes running nodes' files too, at once.
    bool rot_crashes = false;
    Duration rot_wait_max = Duration::seconds(8);

    // Records lanes (see the file comment): faults without one are the main lane's. Scenarios
    // whose fault loops wake through wake() (the cluster scenarios, open_phase's) call it.
    void use_lanes() { laned_ = true; }
    // `lane` woke (after a sleep of its loop): recorded as a wake unless the lane injects a
    // fault at this instant.
    void wake(const std::string& lane);

    // Applies `f` now (its `at` is set to now), holds it in this fiber, undoes it. Suspends.
    // `record` false: a step of a custom fault, traced but not recorded (the custom fault is).
    void apply(FaultSpec f, bool record = true);
    // apply() in a fiber of its own: faults overlap. Recorded now, as held in a fiber of its
    // own (`own`).
    void spawn(FaultSpec f);
    // Starts `f` (its `at` set to now; recorded and traced) without holding it; undo() with
    // the token it returns ends it.
    uint64_t begin(FaultSpec& f, bool record = true);
    void undo(const FaultSpec& f, uint64_t token);
    // Records and traces a fault the scenario applies itself (a custom kind).
    void note(FaultSpec f);

    // Spawns one fiber per fault of `s`, each waiting for its time: the replay of a schedule
    // whose faults have no lanes (wakes skipped).
    void replay(const FaultSchedule& s);
    // The replay of a schedule with lanes: a fiber per lane but the main one, named as the drawn
    // run named it ("swarm-faults"), doing its lane's records in order (each at its instant,
    // held by the lane or in a fiber of its own as recorded); records without a lane as
    // replay() does; then the main lane's records in this fiber. Faults naming a node the
    // world lacks are dropped. Suspends until the main lane is done.
    void replay_lanes(const FaultSchedule& s);
    // The swarm, a fiber of its own until `end`: every 100 ms to `gap_max` a fault drawn with
    // draw_fault(r, menu, nodes, voters, hold_max), each held in a fiber of its own (faults
    // overlap). Counts them in `count` (which must outlive the fiber).
    void spawn_swarm(Random r, FaultMenu menu, std::vector<std::string> nodes, size_t voters,
                     Instant end, Duration hold_max, Duration gap_max, uint64_t& count);
    // The start of a one-broker scenario's fault phase (until `end`): with `replay`, that
    // schedule runs and this returns once its phase is over (true: the scenario draws nothing
    // itself); else the swarm starts on `broker` with a per-seed subset of `menu`, holds up to
    // 1.5 s (false: the scenario draws its own faults next to it). Suspends with `replay`.
    bool open_phase(const FaultSchedule* replay, const FaultMenu& menu, const std::string& broker,
                    Instant end, uint64_t& count);
    // Everything undone: the network whole, every disk at its base faults, every node a fault
    // named up (a node that crashed itself on a failed fsync included) and resumed, nothing
    // held. Nodes no fault named are left as they are (a checker not started yet stays so).
    void heal_all();

    // Scenario kinds, by name: applies and holds one (suspends). Unknown kinds are ignored.
    // What a custom kind does is recorded as that one fault: its steps pass record = false.
    std::map<std::string, std::function<void(const FaultSpec&)>> custom;

    FaultSchedule& recorded() { return recorded_; }
    // Records the size `key` the run uses (see FaultSchedule::size).
    void set_size(const std::string& key, int64_t n) { recorded_.size[key] = n; }
    // Whether a crash fault keeps `node` down now.
    bool holds(const std::string& node) const { return held_.contains(node); }
    // The fault phase begins or ends now (recorded in the schedule).
    void begin_phase() { recorded_.phase_start = world_.now() - Instant(); }
    void end_phase() {
        recorded_.phase_end = world_.now() - Instant();
        phase_ended_ = true;
    }
    // What was applied. When the run stopped (a violation) before the phase ended, the phase
    // ends just past now, and each lane still running (asleep) then wakes just past now too:
    // a replay's lanes sleep past the run's end as the drawn ones did.
    FaultSchedule schedule() const {
        FaultSchedule s = recorded_;
        const Duration after = world_.now() - Instant() + Duration::micros(1);
        if (!phase_ended_) {
            s.phase_end = after;
        }
        for (const auto& lane : lanes_running_) {
            FaultSpec w;
            w.kind = wake_kind;
            w.at = after;
            w.lane = lane;
            s.faults.push_back(std::move(w));
        }
        return s;
    }
    uint64_t faults() const { return recorded_.fault_count(); }

private:
    void set_disk(const std::string& node);
    void trace_begin(const FaultSpec& f);
    // Appends `f` to the record (in the place of its lane's wake at this instant, if any).
    void keep(FaultSpec f);
    void run_lane(const std::vector<FaultSpec>& records);
    bool names_known(const FaultSpec& f);

    void hold_down(const std::string& node);
    void release(const std::string& node);
    // One bit of one eligible file of `node` rotted; false when none qualifies.
    bool rot_once(const std::string& node);
    // A held-down node's rot (rot_crashes): waits for an eligible file. Suspends.
    void rot_down(const FaultSpec& f);

    sim::SimWorld& world_;
    std::map<std::string, int> held_;    // node -> crash faults keeping it down
    std::map<std::string, int> paused_;  // node -> pause faults keeping it stopped
    std::set<std::string> touched_;      // every node a fault named
    FaultSchedule recorded_;
    bool phase_ended_ = false;
    bool laned_ = false;
    std::map<std::string, size_t> lane_wake_;  // lane -> its last wake's index in recorded_
    std::set<std::string> lanes_running_;      // lanes (but main) whose fibers have not returned
    // Disk windows in force per node (by serial number), and each disk's faults without them.
    uint64_t next_window_ = 1;
    std::map<std::string, std::map<uint64_t, FaultSpec>> disk_windows_;
    std::map<std::string, sim::DiskFaults> disk_base_;
};

// A random fault of the menu on the nodes of `nodes` (the first `voters` of them form the
// quorum that majority/minority splits are about), starting now, held up to `hold_max`.
// Draws from `r`. Disk faults land on nodes with a disk that matters (all of `nodes`).
FaultSpec draw_fault(Random& r, const FaultMenu& menu, const std::vector<std::string>& nodes,
                     size_t voters, Duration hold_max);
// The menu of a one-broker scenario: no partitions (its own faults cut clients off), crashes
// only if `crashes`, no bit rot (one broker holds the only copy: damage there is data loss,
// which log-crash-recovery checks is found and never served).
inline FaultMenu one_broker_menu(bool crashes) {
    FaultMenu m;
    m.partitions = false;
    m.crashes = crashes;
    m.bit_rot = false;
    return m;
}
// A random subset of `menu` (each kind kept with probability 1/2, at least one): the swarm.
FaultMenu draw_menu(Random& r, const FaultMenu& menu);

struct NemesisOptions {
    bool partitions = true;
    bool clogs = true;
    bool crashes = true;
    bool pauses = true;
    bool clock_jumps = true;
    Duration fault_phase = Duration::seconds(20);
    Duration gap_min = Duration::millis(100);  // between two faults
    Duration gap_max = Duration::seconds(2);
    Duration hold_max = Duration::seconds(3);  // how long one fault lasts at most
    // Nodes that may be crashed or paused (default: all).
    std::vector<std::string> victims;
};

class Nemesis {
public:
    Nemesis(sim::SimWorld& world, NemesisOptions options);
    // Suspends for the whole fault phase, then heals. Call from a world fiber.
    void run();
    int faults_injected() const { return faults_; }

private:
    void inject_one();
    sim::SimNode& pick_victim();

    sim::SimWorld& world_;
    NemesisOptions options_;
    Random random_;
    int faults_ = 0;
};

}  // namespace eddy::scenarios
