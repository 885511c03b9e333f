#include "scenarios/nemesis.h"

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
