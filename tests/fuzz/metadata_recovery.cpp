// Fuzz target: a controller's start over a damaged metadata log (QuorumDriver::open).
//
// The input describes a metadata log directory, then damages it. Byte 0: how many Raft entries
// (0-31); byte 1: where the epoch rises (bit i % 8 set: entry i starts a new epoch); byte 2:
// which files exist besides the segment — quorum-state (bit 0), synced-end (bit 1, as the log
// left it), a snapshot of the first half (bit 2), the damaged marker (bit 3) — where the
// recovery point is (bits 4-5: 0, the middle, the end), and whether this node is a voter (bit
// 6); byte 3: quorum-state's epoch above the log's (bits 0-1) and vote (bits 2-3). The rest,
// three bytes at a time: a bit to flip (position big-endian in the first two bytes, modulo the
// size of all files together; the bit from the third), or, for a third byte >= 0xf8, where to
// cut the segment. Then the node opens its logs and the quorum driver on an in-memory disk. It
// must open (perhaps setting the log aside and recovering) or fail with one line; nothing in the
// files may reach an assertion; a driver that opened restarts from the same disk the same way.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/record/crc32c.h"
#include "services/log/file_names.h"
#include "services/log/log_manager.h"
#include "services/raft/entry_batch.h"
#include "services/raft/quorum_driver.h"
#include "services/raft/quorum_state.h"
#include "tests/fuzz/fuzz_env.h"

using namespace eddy;

namespace {

using fuzz::MemDisk;

const std::string data_dir = "data";
const std::string meta_dir = data_dir + "/__cluster_metadata-0";

// The application: counts what it is handed; any snapshot image loads.
class Count final : public raft::QuorumApplication {
public:
    void apply(int64_t base_offset, const std::vector<raft::Entry>& entries) override {
        ASSERT(base_offset == next);
        next = base_offset + static_cast<int64_t>(entries.size());
    }
    Result<void, std::string> load_snapshot(raft::SnapshotId id, ByteSpan) override {
        next = id.end_offset;
        return {};
    }
    Bytes snapshot_image() const override { return to_bytes("image"); }
    int64_t next = 0;
};

// The files of a metadata log directory as the input describes them, undamaged.
std::map<std::string, Bytes> build(const uint8_t* data, int64_t& end) {
    std::map<std::string, Bytes> files;
    const int entries = data[0] % 32;
    std::vector<int32_t> epochs;
    Bytes segment;
    int32_t epoch = 1;
    for (int i = 0; i < entries; ++i) {
        if (i > 0 && ((data[1] >> (i % 8)) & 1) != 0) {
            ++epoch;
        }
        epochs.push_back(epoch);
        const Bytes b = raft::encode_entry_batch(Offset(i), LeaderEpoch(epoch),
                                                 as_bytes("entry " + std::to_string(i)),
                                                 record::TimestampMs(1700000000000));
        segment.insert(segment.end(), b.begin(), b.end());
    }
    end = entries;
    files[meta_dir + "/00000000000000000000.log"] = std::move(segment);
    const uint8_t flags = data[2];
    if ((flags & 1) != 0) {
        raft::QuorumState s;
        s.leader_epoch = LeaderEpoch((epochs.empty() ? 0 : epochs.back()) + (data[3] & 3));
        if (const int vote = (data[3] >> 2) & 3; vote != 0) {
            s.voted_id = NodeId(vote);
        }
        s.current_voters = {NodeId(1), NodeId(2), NodeId(3)};
        const std::string text = raft::encode_quorum_state(s);
        files[meta_dir + "/" + std::string(raft::quorum_state_file)] = to_bytes(text);
    }
    if ((flags & 2) != 0) {
        // Both slots (raft_log.cpp): magic, sequence, end, CRC-32C of the 24 bytes before.
        Bytes f(4096 + 28);
        for (int slot = 0; slot < 2; ++slot) {
            std::byte* p = f.data() + slot * 4096;
            std::copy_n(reinterpret_cast<const std::byte*>("EDDYSEND"), 8, p);
            store_be<uint64_t>(p + 8, static_cast<uint64_t>(slot));
            store_be<uint64_t>(p + 16, static_cast<uint64_t>(end));
            store_be<uint32_t>(p + 24, record::crc32c(ByteSpan(p, 24)));
        }
        files[meta_dir + "/synced-end"] = std::move(f);
    }
    if ((flags & 4) != 0 && entries >= 2) {
        const int64_t at = entries / 2;
        const raft::LogSnapshotId id{Offset(at), LeaderEpoch(epochs[static_cast<size_t>(at - 1)])};
        // The snapshot file: magic, version 1, CRC-32C of the image, its length, the image.
        const Bytes image = to_bytes("image");
        Bytes f(24);
        std::copy_n(reinterpret_cast<const std::byte*>("EDDYSNAP"), 8, f.data());
        store_be<uint32_t>(f.data() + 8, 1);
        store_be<uint32_t>(f.data() + 12, record::crc32c(image));
        store_be<uint64_t>(f.data() + 16, image.size());
        f.insert(f.end(), image.begin(), image.end());
        files[meta_dir + "/" + id.file_name()] = std::move(f);
    }
    if ((flags & 8) != 0) {
        files[meta_dir + "/" + std::string(log::file_names::damaged_marker)] =
            to_bytes("crc mismatch\n");
    }
    const int point = (flags >> 4) & 3;
    const int64_t recovery_point = point == 0 ? 0 : point == 1 ? end / 2 : end;
    files[data_dir + "/" + std::string(log::file_names::recovery_point_checkpoint)] =
        to_bytes("0\n1\n__cluster_metadata 0 " + std::to_string(recovery_point) + "\n");
    return files;
}

// Opens the logs and the driver; its one-line error, or what the replica restarted from.
std::optional<std::string> open(Env& env, bool voter, std::string& error) {
    log::LogManagerOptions lo;
    lo.data_dir = data_dir;
    log::LogManager logs(env, lo);
    if (auto r = logs.open(); !r.ok()) {
        error = "logs: " + std::string(log::to_string(r.error()));
        return std::nullopt;
    }
    raft::QuorumDriverOptions o;
    o.self = NodeId(voter ? 1 : 4);
    o.config.voters = {NodeId(1), NodeId(2), NodeId(3)};
    o.snapshot_every = 0;
    std::optional<std::string> opened;
    {
        Count app;
        auto d = raft::QuorumDriver::open(env, logs, o, app);
        if (d.ok()) {
            ASSERT(voter || !(*d)->recovering(), "only a voter recovers");
            opened = std::to_string((*d)->end_offset()) + "/" + std::to_string((*d)->epoch()) +
                     "/" + ((*d)->recovering() ? "recovering" : "");
        } else {
            error = d.error();
        }
    }
    (void)logs.close();
    return opened;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) {
        return 0;
    }
    fuzz::FuzzNode node;
    MemDisk& disk = node.disk;
    disk.dirs_ = {data_dir, meta_dir};
    int64_t end = 0;
    disk.files_ = build(data, end);
    // The damage: bits flipped across all files, segment cuts.
    uint64_t total = 0;
    for (const auto& [path, b] : disk.files_) {
        total += b.size();
    }
    for (size_t i = 4; i + 3 <= size && total > 0; i += 3) {
        const uint64_t pos = ((uint64_t{data[i]} << 8) | data[i + 1]) % total;
        Bytes& segment = disk.files_.at(meta_dir + "/00000000000000000000.log");
        if (data[i + 2] >= 0xf8) {
            segment.resize(std::min<uint64_t>(segment.size(), pos));
            continue;
        }
        uint64_t at = pos;
        for (auto& [path, b] : disk.files_) {
            if (at < b.size()) {
                b[at] ^= std::byte(1U << (data[i + 2] % 8));
                break;
            }
            at -= b.size();
        }
    }
    const bool voter = (data[2] & 0x40) != 0;

    node.run([&] {
        std::string error;
        const auto first = open(node.env, voter, error);
        ASSERT(first || (!error.empty() && error.find('\n') == std::string::npos),
               "a start that fails says why in one line");
        if (first) {
            // What it repaired stays repaired: the next start finds the same log and state.
            std::string again_error;
            const auto again = open(node.env, voter, again_error);
            ASSERT(again == first, "a second start opens what the first left");
        }
    });
    return 0;
}
