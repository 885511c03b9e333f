// RaftLog: entries as single-record batches stamped with their epoch, the epoch map and
// divergence answers, exact truncation, snapshots (write, chunks, install, cleaning), recovery
// (temp files, damaged snapshots, an interrupted install), and crashes at every disk step of
// appends, truncations and snapshot writes: what reopens is always what was acknowledged.
#include "services/raft/raft_log.h"

#include <doctest/doctest.h>

#include "tests/unit/raft/crash_steps.h"

using namespace eddy;
using namespace eddy::raft;
using eddy::log::LogConfig;
using eddy::log::test::LogRig;
using eddy::log::test::manager_options;

namespace {

LogConfig small_segments() {
    LogConfig c;
    c.segment_bytes = 400;  // a few entries per segment
    return c;
}

std::unique_ptr<RaftLog> open_raft(LogRig& rig, LogConfig c = {}) {
    rig.open(manager_options(c));
    std::unique_ptr<RaftLog> out;
    rig.run([&] {
        RaftLogOptions o;
        o.config = c;
        auto r = RaftLog::open(*rig.env, *rig.manager, o);
        REQUIRE(r.ok());
        out = std::move(r).value();
    });
    return out;
}

Bytes entry(const std::string& s) { return to_bytes(s); }

std::vector<Bytes> entries(std::initializer_list<const char*> names) {
    std::vector<Bytes> out;
    for (const char* n : names) {
        out.push_back(entry(n));
    }
    return out;
}

// Every entry from the log start, read in small steps.
std::vector<RaftEntry> read_all(RaftLog& raft) {
    std::vector<RaftEntry> out;
    Offset at = raft.log_start_offset();
    while (true) {
        auto r = raft.read(at, 100);
        REQUIRE(r.ok());
        if (r->empty()) {
            break;
        }
        REQUIRE(r->front().offset == at);
        for (auto& e : *r) {
            out.push_back(std::move(e));
        }
        at = out.back().offset + 1;
    }
    CHECK(at == raft.end_offset());
    return out;
}

// (offset, epoch, data) triples for comparisons.
std::vector<RaftEntry> expect(int64_t first, std::vector<std::pair<int32_t, std::string>> es) {
    std::vector<RaftEntry> out;
    for (auto& [epoch, data] : es) {
        out.push_back(RaftEntry{Offset(first++), LeaderEpoch(epoch), entry(data)});
    }
    return out;
}

Offset must_append(RaftLog& raft, int32_t epoch, std::vector<Bytes> es) {
    auto r = raft.append(LeaderEpoch(epoch), es);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("raft log: entries carry their epoch as the batch's partition_leader_epoch") {
    LogRig rig;
    auto raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->end_offset() == Offset(0));
        CHECK(raft->last_epoch() == LeaderEpoch(0));
        CHECK(raft->end_of_epoch(LeaderEpoch(3)) == EpochEnd{LeaderEpoch(0), Offset(0)});
        CHECK(must_append(*raft, 1, entries({"", "a"})) == Offset(0));
        CHECK(must_append(*raft, 1, entries({"b"})) == Offset(2));
        CHECK(must_append(*raft, 3, entries({"c", "d"})) == Offset(3));
        CHECK(read_all(*raft) == expect(0, {{1, ""}, {1, "a"}, {1, "b"}, {3, "c"}, {3, "d"}}));
        // One batch per entry, stamped with the epoch.
        auto copy = raft->partition_log().read_copy(Offset(0), {1 << 20, log::ReadBound::log_end});
        REQUIRE(copy.ok());
        REQUIRE(copy->batches.size() == 5);
        CHECK(copy->batches[3].partition_leader_epoch == LeaderEpoch(3));
        CHECK(raft->last_epoch() == LeaderEpoch(3));
        CHECK(raft->end_of_epoch(LeaderEpoch(0)) == EpochEnd{LeaderEpoch(0), Offset(0)});
        CHECK(raft->end_of_epoch(LeaderEpoch(1)) == EpochEnd{LeaderEpoch(1), Offset(3)});
        CHECK(raft->end_of_epoch(LeaderEpoch(2)) == EpochEnd{LeaderEpoch(1), Offset(3)});
        CHECK(raft->end_of_epoch(LeaderEpoch(3)) == EpochEnd{LeaderEpoch(3), Offset(5)});
        CHECK(raft->end_of_epoch(LeaderEpoch(9)) == EpochEnd{LeaderEpoch(3), Offset(5)});
        CHECK(raft->epoch_at(Offset(2)) == LeaderEpoch(1));
        CHECK(raft->epoch_at(Offset(3)) == LeaderEpoch(3));
        CHECK(!raft->epoch_at(Offset(5)));
        // Reads: from inside the log, at its end, and out of range.
        auto mid = raft->read(Offset(2), 1);
        REQUIRE(mid.ok());
        REQUIRE(mid->size() == 1);  // the first batch whole, then the byte budget
        CHECK((*mid)[0] == RaftEntry{Offset(2), LeaderEpoch(1), entry("b")});
        CHECK(raft->read(Offset(5), 100)->empty());
        CHECK(raft->read(Offset(6), 100).error() == RaftLogError::offset_out_of_range);
    });
}

TEST_CASE("raft log: truncation on divergence is exact and durable; the epoch map follows") {
    LogRig rig;
    auto raft = open_raft(rig, small_segments());
    rig.run([&] {
        must_append(*raft, 1, entries({"a", "b", "c"}));
        must_append(*raft, 2, entries({"d", "e", "f", "g"}));
        must_append(*raft, 4, entries({"h"}));
        // The leader's epoch 2 ended at 5: drop what follows, within epoch 2's entries.
        REQUIRE(raft->truncate_to(Offset(5)).ok());
        CHECK(raft->end_offset() == Offset(5));
        CHECK(raft->last_epoch() == LeaderEpoch(2));
        CHECK(raft->end_of_epoch(LeaderEpoch(4)) == EpochEnd{LeaderEpoch(2), Offset(5)});
        REQUIRE(raft->truncate_to(Offset(9)).ok());  // past the end: nothing
        must_append(*raft, 5, entries({"x"}));
        CHECK(raft->end_of_epoch(LeaderEpoch(4)) == EpochEnd{LeaderEpoch(2), Offset(5)});
        // Down to an epoch boundary: epoch 2 goes entirely.
        REQUIRE(raft->truncate_to(Offset(3)).ok());
        CHECK(raft->last_epoch() == LeaderEpoch(1));
        must_append(*raft, 6, entries({"y", "z"}));
    });
    const auto want = expect(0, {{1, "a"}, {1, "b"}, {1, "c"}, {6, "y"}, {6, "z"}});
    rig.run([&] { CHECK(read_all(*raft) == want); });
    // A crash keeps exactly this (every call above returned after its sync).
    sim::DiskFaults harsh;
    harsh.crash_keep_unsynced_p = 0;
    harsh.crash_lose_unsynced_p = 1;
    rig.disk.set_faults(harsh);
    rig.crash();
    raft.reset();
    raft = open_raft(rig, small_segments());
    rig.run([&] {
        CHECK(read_all(*raft) == want);
        CHECK(raft->end_of_epoch(LeaderEpoch(5)) == EpochEnd{LeaderEpoch(1), Offset(3)});
        CHECK(raft->end_of_epoch(LeaderEpoch(6)) == EpochEnd{LeaderEpoch(6), Offset(5)});
    });
}

TEST_CASE(
    "raft log: a crash at every step of appends and a truncation keeps what was acknowledged") {
    int points = 0;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
        CAPTURE(seed);
        const sim::DiskFaults faults = raft::test::crash_faults();
        std::unique_ptr<RaftLog> raft;
        // What each step acknowledged: entries (by offset) and whether the truncation returned.
        std::vector<RaftEntry> acked;
        bool truncating = false;  // from the call on: the entries at 3.. may go
        bool truncated = false;
        const auto before = expect(0, {{1, "a"}, {1, "b"}, {2, "c"}, {2, "d"}});
        points += raft::test::crash_at_every_step(
            [&] { return std::make_unique<LogRig>(seed, faults); },
            [&](LogRig& rig) {
                raft = open_raft(rig, small_segments());
                rig.run([&] {
                    must_append(*raft, 1, entries({"a", "b"}));
                    must_append(*raft, 2, entries({"c", "d"}));
                });
                acked = before;
                truncating = false;
                truncated = false;
            },
            [&](LogRig& rig) {
                (void)rig;
                auto r = raft->append(LeaderEpoch(3), entries({"e", "f"}));
                REQUIRE(r.ok());
                for (auto& e : expect(4, {{3, "e"}, {3, "f"}})) {
                    acked.push_back(e);
                }
                truncating = true;
                auto t = raft->truncate_to(Offset(3));
                REQUIRE(t.ok());
                truncated = true;
                acked.resize(3);
                auto r2 = raft->append(LeaderEpoch(5), entries({"g"}));
                REQUIRE(r2.ok());
                acked.push_back(RaftEntry{Offset(3), LeaderEpoch(5), entry("g")});
            },
            [&](LogRig& rig, bool) {
                raft.reset();
                raft = open_raft(rig, small_segments());
                rig.run([&] {
                    const auto got = read_all(*raft);
                    // Everything acknowledged is there, and nothing else but unacknowledged
                    // entries of the step (never an entry the truncation removed, once it
                    // returned).
                    const size_t required = truncating && !truncated ? 3 : acked.size();
                    REQUIRE(got.size() >= required);
                    for (size_t i = 0; i < required; ++i) {
                        CHECK(got[i] == acked[i]);
                    }
                    for (size_t i = required; i < got.size(); ++i) {
                        const auto& e = got[i];
                        const bool old = !truncated && i < 6 &&
                                         e == expect(0, {{1, "a"},
                                                         {1, "b"},
                                                         {2, "c"},
                                                         {2, "d"},
                                                         {3, "e"},
                                                         {3, "f"}})[i];
                        const bool fresh = truncated && i == 3 &&
                                           e == RaftEntry{Offset(3), LeaderEpoch(5), entry("g")};
                        CHECK((old || fresh));
                    }
                    // The epoch map was rebuilt from the batches.
                    CHECK(raft->last_epoch() == got.back().epoch);
                    // A torn append or an interrupted truncation is never taken for synced
                    // entries lost at rest.
                    CHECK(!raft->lost_synced_end());
                });
                raft.reset();
            });
    }
    CHECK(points >= 4 * 3);
}

TEST_CASE("raft log: snapshots are written, read in chunks, and replace what is below them") {
    LogRig rig;
    auto raft = open_raft(rig, small_segments());
    Bytes image;
    for (int i = 0; i < 1000; ++i) {
        image.push_back(static_cast<std::byte>(i * 7));
    }
    rig.run([&] {
        for (int i = 0; i < 20; ++i) {
            must_append(*raft, i < 10 ? 1 : 2, {entry("entry-" + std::to_string(i))});
        }
        REQUIRE(raft->partition_log().segment_count() > 3);
        CHECK(!raft->latest_snapshot());
        // Not points of this log: past the end, a wrong epoch.
        CHECK(raft->write_snapshot({Offset(21), LeaderEpoch(2)}, image).error() ==
              RaftLogError::invalid_snapshot_id);
        CHECK(raft->write_snapshot({Offset(12), LeaderEpoch(1)}, image).error() ==
              RaftLogError::invalid_snapshot_id);
        const LogSnapshotId first{Offset(8), LeaderEpoch(1)};
        REQUIRE(raft->write_snapshot(first, as_bytes("old image")).ok());
        CHECK(raft->latest_snapshot() == first);
        const LogSnapshotId id{Offset(12), LeaderEpoch(2)};
        REQUIRE(raft->write_snapshot(id, image).ok());
        CHECK(raft->latest_snapshot() == id);
        REQUIRE(raft->write_snapshot(id, image).ok());  // the same again: nothing to do
        CHECK(raft->write_snapshot(first, image).error() == RaftLogError::invalid_snapshot_id);
        // Older snapshots go; segments wholly below offset 12 go; entries from the start of the
        // segment holding 12 stay readable.
        auto names = rig.env->disk.list(raft->partition_log().dir());
        REQUIRE(names.ok());
        int snapshots = 0;
        for (const auto& n : *names) {
            if (LogSnapshotId::parse(n)) {
                ++snapshots;
                CHECK(n == "00000000000000000012-0000000002.checkpoint");
            }
        }
        CHECK(snapshots == 1);
        CHECK(raft->log_start_offset() > Offset(0));
        CHECK(raft->log_start_offset() <= Offset(12));
        CHECK(raft->read(Offset(0), 100).error() == RaftLogError::offset_out_of_range);
        CHECK(read_all(*raft).back().offset == Offset(19));
        // Chunks.
        CHECK(*raft->snapshot_size(id) == image.size());
        Bytes back;
        for (uint64_t pos = 0;;) {
            auto chunk = raft->read_snapshot(id, pos, 300);
            REQUIRE(chunk.ok());
            if (chunk->empty()) {
                break;
            }
            back.insert(back.end(), chunk->begin(), chunk->end());
            pos += chunk->size();
        }
        CHECK(back == image);
        CHECK(raft->read_snapshot(id, 1001, 10).error() == RaftLogError::offset_out_of_range);
        CHECK(raft->read_snapshot(first, 0, 10).error() == RaftLogError::snapshot_not_found);
        // Divergence answers below the log start come from the snapshot.
        CHECK(raft->end_of_epoch(LeaderEpoch(2)) == EpochEnd{LeaderEpoch(2), Offset(20)});
    });
    const Offset start = raft->log_start_offset();
    raft.reset();
    rig.crash();
    raft = open_raft(rig, small_segments());
    rig.run([&] {
        CHECK(raft->latest_snapshot() == LogSnapshotId{Offset(12), LeaderEpoch(2)});
        CHECK(raft->log_start_offset() == start);
        CHECK(raft->end_offset() == Offset(20));
        CHECK(*raft->read_snapshot(*raft->latest_snapshot(), 0, 2000) == image);
    });
}

TEST_CASE("raft log: install_snapshot replaces a follower's log, even a diverging one") {
    LogRig rig;
    auto raft = open_raft(rig, small_segments());
    const LogSnapshotId id{Offset(30), LeaderEpoch(4)};
    rig.run([&] {
        must_append(*raft, 1, entries({"a", "b", "c"}));
        must_append(*raft, 3, entries({"stale"}));  // an epoch the leader never committed
        REQUIRE(raft->install_snapshot(id, as_bytes("image")).ok());
        CHECK(raft->latest_snapshot() == id);
        CHECK(raft->log_start_offset() == Offset(30));
        CHECK(raft->end_offset() == Offset(30));
        CHECK(raft->last_epoch() == LeaderEpoch(4));
        CHECK(raft->epoch_at(Offset(29)) == LeaderEpoch(4));
        CHECK(raft->end_of_epoch(LeaderEpoch(4)) == EpochEnd{LeaderEpoch(4), Offset(30)});
        CHECK(raft->end_of_epoch(LeaderEpoch(3)) == EpochEnd{LeaderEpoch(-1), Offset(-1)});
        CHECK(raft->read(Offset(30), 100)->empty());
        // An older one is a no-op; fetching goes on from the snapshot.
        REQUIRE(raft->install_snapshot({Offset(20), LeaderEpoch(3)}, as_bytes("x")).ok());
        CHECK(raft->latest_snapshot() == id);
        CHECK(must_append(*raft, 4, entries({"d"})) == Offset(30));
        must_append(*raft, 5, entries({"e"}));
    });
    raft.reset();
    rig.crash();
    raft = open_raft(rig, small_segments());
    rig.run([&] {
        CHECK(read_all(*raft) == expect(30, {{4, "d"}, {5, "e"}}));
        CHECK(raft->end_of_epoch(LeaderEpoch(4)) == EpochEnd{LeaderEpoch(4), Offset(31)});
        CHECK(*raft->read_snapshot(id, 0, 100) == to_bytes("image"));
    });
}

TEST_CASE("raft log: a crash at every step of a snapshot write or install reopens consistently") {
    for (const bool install : {false, true}) {
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            CAPTURE(install);
            CAPTURE(seed);
            sim::DiskFaults faults;
            faults.crash_keep_unsynced_p = 0.3;
            faults.crash_lose_unsynced_p = 0.4;
            std::unique_ptr<RaftLog> raft;
            const LogSnapshotId old_id{Offset(4), LeaderEpoch(1)};
            const LogSnapshotId new_id = install ? LogSnapshotId{Offset(40), LeaderEpoch(7)}
                                              : LogSnapshotId{Offset(14), LeaderEpoch(2)};
            std::vector<RaftEntry> acked;
            raft::test::crash_at_every_step(
                [&] { return std::make_unique<LogRig>(seed, faults); },
                [&](LogRig& rig) {
                    raft = open_raft(rig, small_segments());
                    acked.clear();
                    rig.run([&] {
                        for (int i = 0; i < 16; ++i) {
                            const int32_t epoch = i < 8 ? 1 : 2;
                            const std::string data = "e" + std::to_string(i);
                            must_append(*raft, epoch, {entry(data)});
                            acked.push_back(RaftEntry{Offset(i), LeaderEpoch(epoch), entry(data)});
                        }
                        REQUIRE(raft->write_snapshot(old_id, as_bytes("old")).ok());
                    });
                },
                [&](LogRig& rig) {
                    (void)rig;
                    auto r = install ? raft->install_snapshot(new_id, as_bytes("new"))
                                     : raft->write_snapshot(new_id, as_bytes("new"));
                    REQUIRE(r.ok());
                },
                [&](LogRig& rig, bool finished) {
                    raft.reset();
                    raft = open_raft(rig, small_segments());
                    rig.run([&] {
                        const auto latest = raft->latest_snapshot();
                        REQUIRE(latest.has_value());
                        CHECK((*latest == old_id || *latest == new_id));
                        if (finished) {
                            CHECK(*latest == new_id);
                        }
                        CHECK(!raft->lost_synced_end());
                        const Bytes image = *raft->read_snapshot(*latest, 0, 100);
                        CHECK(image == to_bytes(*latest == old_id ? "old" : "new"));
                        const auto got = read_all(*raft);
                        if (install && *latest == new_id) {
                            CHECK(got.empty());
                            CHECK(raft->log_start_offset() == new_id.end_offset);
                        } else {
                            // Every acknowledged entry at or above the log start is there.
                            CHECK(raft->log_start_offset() <= latest->end_offset);
                            const auto first =
                                static_cast<size_t>(raft->log_start_offset().value());
                            REQUIRE(got.size() == acked.size() - first);
                            for (size_t i = 0; i < got.size(); ++i) {
                                CHECK(got[i] == acked[first + i]);
                            }
                        }
                    });
                    raft.reset();
                });
        }
    }
}

TEST_CASE("raft log: recovery removes temp files and ignores a damaged snapshot") {
    LogRig rig;
    auto raft = open_raft(rig);
    std::string dir;
    rig.run([&] {
        must_append(*raft, 1, entries({"a", "b", "c"}));
        REQUIRE(raft->write_snapshot({Offset(2), LeaderEpoch(1)}, as_bytes("good")).ok());
        dir = raft->partition_log().dir();
        // A snapshot whose write never finished, and a newer one damaged after the fact.
        auto tmp = rig.env->disk.open(dir + "/00000000000000000003-0000000001.checkpoint.tmp",
                                      OpenMode::create);
        REQUIRE(tmp.ok());
        REQUIRE((*tmp)->write_at(0, as_bytes("half")).ok());
        REQUIRE(raft->write_snapshot({Offset(3), LeaderEpoch(1)}, as_bytes("newer")).ok());
    });
    raft.reset();
    rig.crash();
    rig.run([&] {
        const std::string path = dir + "/00000000000000000003-0000000001.checkpoint";
        auto f = rig.env->disk.open(path, OpenMode::read_write);
        REQUIRE(f.ok());
        Bytes b(1);
        REQUIRE((*f)->read_at(30, b).ok());
        b[0] ^= std::byte{0x40};
        REQUIRE((*f)->write_at(30, b).ok());
        REQUIRE((*f)->sync().ok());
        // And the older one back, as if its removal had not survived the crash.
        auto old = rig.env->disk.open(dir + "/00000000000000000002-0000000001.checkpoint",
                                      OpenMode::create);
        REQUIRE(old.ok());
        REQUIRE((*old)->truncate(0).ok());
    });
    raft = open_raft(rig);
    rig.run([&] {
        // The damaged newest is ignored and removed; the empty "older" one is damaged too.
        CHECK(!raft->latest_snapshot());
        auto names = rig.env->disk.list(dir);
        REQUIRE(names.ok());
        for (const auto& n : *names) {
            CHECK(n.find(".checkpoint") == std::string::npos);
        }
        CHECK(read_all(*raft).size() == 3);
    });
}

TEST_CASE("raft log: a failed sync while writing a snapshot crashes the node") {
    LogRig rig;
    auto raft = open_raft(rig);
    rig.run([&] { must_append(*raft, 1, entries({"a"})); });
    sim::DiskFaults f;
    f.sync_error_p = 1.0;
    rig.disk.set_faults(f);
    const bool finished = rig.run([&] {
        auto r = raft->write_snapshot({Offset(1), LeaderEpoch(1)}, as_bytes("image"));
        (void)r;
    });
    CHECK(!finished);
    CHECK(rig.process.crashed);
    CHECK(rig.process.reason.find(".checkpoint") != std::string::npos);
    // Unwind the crashed fiber (it holds the log's mutex) while the log still exists.
    rig.executor.kill_group(rig.group);
}

namespace {

// Bit rot at rest on a node that is down.
void rot(LogRig& rig, const std::string& path, int64_t at, int bit) {
    rig.run([&] { raft::test::flip_bit(rig.env->disk, path, at, bit); });
}

}  // namespace

TEST_CASE("raft log: synced entries lost at rest are reported (the synced end), once") {
    LogRig rig;
    auto raft = open_raft(rig);
    std::string dir;
    rig.run([&] {
        must_append(*raft, 1, entries({"a", "b"}));
        must_append(*raft, 2, entries({"c", "d"}));
        dir = raft->partition_log().dir();
        CHECK(!raft->lost_synced_end());
    });
    raft.reset();
    rig.crash();
    // A bit of the last entry's value flips: past the recovery point recovery cannot tell it
    // from a torn write, and cuts it.
    rot(rig, dir + "/00000000000000000000.log", -2, 3);
    raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->end_offset() == Offset(3));
        REQUIRE(raft->lost_synced_end() == Offset(4));
        REQUIRE(raft->forget_lost().ok());
        CHECK(!raft->lost_synced_end());
    });
    raft.reset();
    rig.crash();
    raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->end_offset() == Offset(3));
        CHECK(!raft->lost_synced_end());  // acted on once; the synced end is the log end again
        auto synced = RaftLog::read_synced_end(*rig.env, dir);
        REQUIRE(synced.ok());
        CHECK(*synced == Offset(3));
        must_append(*raft, 2, entries({"d2"}));
    });
    raft.reset();
    rig.crash();
    // Rot in the slot written last: the other slot (one append older) stands.
    rot(rig, dir + "/synced-end", 4096 + 20, 0);
    raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->end_offset() == Offset(4));
        CHECK(!raft->lost_synced_end());
    });
    raft.reset();
    rig.crash();
    // Both slots damaged: what was synced is unknown, reported as such (the log end).
    rot(rig, dir + "/synced-end", 20, 1);
    rot(rig, dir + "/synced-end", 4096 + 21, 1);
    raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->lost_synced_end() == raft->end_offset());
        auto synced = RaftLog::read_synced_end(*rig.env, dir);
        REQUIRE(synced.ok());
        CHECK(!*synced);
    });
}

TEST_CASE("raft log: an entry's epoch flipped at rest (outside the batch CRC) is damage") {
    LogRig rig;
    auto raft = open_raft(rig);
    std::string dir;
    uint64_t last_batch = 0;
    rig.run([&] {
        must_append(*raft, 1, entries({"a", "b"}));
        must_append(*raft, 2, entries({"c", "d"}));
        dir = raft->partition_log().dir();
        auto f = rig.env->disk.open(dir + "/00000000000000000000.log", OpenMode::read_only);
        REQUIRE(f.ok());
        // The batches are the same size: the last starts a quarter from the end.
        last_batch = *(*f)->size() / 4 * 3;
    });
    raft.reset();
    rig.crash();
    // PartitionLeaderEpoch (bytes 12-15 of the batch) 2 -> 3: epochs still rise along the log,
    // so only the copy of the epoch inside the CRC (the record's key) can tell.
    rot(rig, dir + "/00000000000000000000.log", int64_t(last_batch + 15), 0);
    raft = open_raft(rig);
    rig.run([&] {
        CHECK(raft->last_epoch() == LeaderEpoch(3));  // what the header says
        auto r = raft->read(Offset(3), 1000);
        REQUIRE(!r.ok());
        CHECK(r.error() == RaftLogError::damaged);
        auto earlier = raft->read(Offset(0), 1);
        REQUIRE(earlier.ok());
        CHECK(earlier->front().epoch == LeaderEpoch(1));
    });
}
