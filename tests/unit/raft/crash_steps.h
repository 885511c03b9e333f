// Crash-at-every-step driving for the durable files of services/raft: runs an operation on a
// LogRig node with a trap that crashes the node before its k-th disk mutation (create, write,
// truncate, sync, rename, remove, directory sync), for k = 1, 2, … until the operation finishes
// without reaching the trap. A crash before mutation k+1 is a crash after mutation k, so every
// point between two steps is tried, and SimDisk's crash model then loses or tears what was not
// synced. The step must not wrap the trapped calls in doctest macros (REQUIRE(f().ok())): they
// would catch the unwinding of the crashed node; call, then check the result.
#pragma once

#include <functional>

#include "tests/unit/log/log_test_util.h"

namespace eddy::raft::test {

// Flips bit `bit` of the byte at `at` (counted from the end when negative) of `path`, durably:
// bit rot at rest. Suspends.
inline void flip_bit(Disk& disk, const std::string& path, int64_t at, int bit) {
    auto f = disk.open(path, OpenMode::read_write);
    REQUIRE(f.ok());
    auto size = (*f)->size();
    REQUIRE(size.ok());
    const uint64_t pos = at >= 0 ? uint64_t(at) : *size - uint64_t(-at);
    Bytes b(1);
    REQUIRE((*f)->read_at(pos, b).ok());
    b[0] ^= std::byte(1U << bit);
    REQUIRE((*f)->write_at(pos, b).ok());
    REQUIRE((*f)->sync().ok());
}

// A crash model that shows missing syncs often: unsynced writes are often lost or torn.
inline sim::DiskFaults crash_faults() {
    sim::DiskFaults f;
    f.crash_keep_unsynced_p = 0.3;
    f.crash_lose_unsynced_p = 0.4;
    f.crash_tear_p = 0.8;
    return f;
}

// Arms the trap on `rig`: the node crashes itself before its `k`-th disk mutation from now.
inline void arm_crash_before(log::test::LogRig& rig, uint64_t k) {
    auto count = std::make_shared<uint64_t>(0);
    rig.counting.before_mutation = [&rig, count, k] {
        // Only once: the crash itself parks the fiber, and the rig unwinds it later.
        if (++*count == k) {
            rig.process.crash("planned crash");
        }
    };
}

// For k = 1, 2, …: a fresh rig from `make_rig`, `setup` run on it (not trapped), `step` run
// with the trap at k, the node crashed (kill -9 and the disk's crash model), then
// `check(rig, step_finished)`. Stops after the first k at which `step` finished; returns how
// many crash points were tried. ASSERTs that this ends within `k_max`.
inline int crash_at_every_step(const std::function<std::unique_ptr<log::test::LogRig>()>& make_rig,
                               const std::function<void(log::test::LogRig&)>& setup,
                               const std::function<void(log::test::LogRig&)>& step,
                               const std::function<void(log::test::LogRig&, bool)>& check,
                               uint64_t k_max = 10000) {
    for (uint64_t k = 1; k <= k_max; ++k) {
        auto rig = make_rig();
        setup(*rig);
        arm_crash_before(*rig, k);
        const bool finished = rig->run([&] { step(*rig); });
        rig->counting.before_mutation = nullptr;
        rig->crash();
        check(*rig, finished);
        if (finished) {
            return static_cast<int>(k);
        }
    }
    FAIL("the step never finished");
    return 0;
}

}  // namespace eddy::raft::test
