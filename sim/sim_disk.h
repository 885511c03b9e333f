// SimDisk: a node's simulated disk. It implements the Disk contract of core/env/disk.h exactly,
// and no more: everything the contract allows to go wrong, goes wrong here, drawn from the seed.
//
// Model. Every file and directory is an inode (ids from a counter). A file has durable bytes
// (what its last successful sync left on the platter) and an ordered log of pending writes and
// truncates since then; reads see `current` = durable + pending (the page cache). Only `current`
// is stored: each pending op keeps what it replaced, so durable = current with the pending ops
// undone, newest first (a sync then copies nothing, and an append, the common write, keeps
// nothing to undo it). A directory is a map name -> inode. Namespace changes (create, mkdir,
// remove, rmdir, rename) go into one ordered journal; each op records the directory inodes it
// touches (a rename across directories touches two) and becomes durable once sync_directory()
// of a directory it touches returns ok (either one for a rename, which is one transaction as on
// a journaling file system). A durable rmdir also makes the ops inside the removed directory
// durable (they emptied it). The journal's durable prefix is folded into the durable base
// namespace.
//
// Crash model (crash()): every open File goes stale (later calls fail with io_error); then
// - namespace: each directory keeps a random prefix of the journal ops touching it (never a
//   later op without the earlier ones: no reordering within a directory), reaching at least
//   past its last durable op; a rename across directories is kept in both or in neither (the
//   prefixes shrink, or grow past forced ops, until they agree). The kept ops are replayed in
//   journal order on the durable base; an op whose preconditions a lost op removed (its parent
//   directory's own entry was lost, say) is skipped ("disk.crash_skip"), so the result is
//   always a tree. Inodes unreachable from the root are freed.
// - file data: for each surviving file, keep a random prefix of its pending ops; the first
//   lost op, if a write, may be torn at 4 KiB sector granularity (each sector-aligned piece
//   applied or not, independently; pieces past the old end that were not applied read as
//   zeros). Never reordered, never garbage.
// Sync semantics: sync() makes durable the writes that completed before it was called (writes
// completing while it is suspended stay pending); sync_directory() likewise for namespace ops.
//
// Faults injected (off by default but for the crash model, which only crash() applies; drawn
// from the disk's own Random and traced as "disk.*"):
// latency per operation (uniform, plus a rare slow tail: "disk.slow"; plus a fixed sync latency),
// read errors
// ("disk.read_error"), one flipped bit in the bytes a read returns ("disk.bit_flip"; stored data
// stays intact), write errors ("disk.write_error", nothing written), sync failures
// ("disk.sync_error", "disk.sync_directory_error": the file or directory is poisoned until the
// next crash and every later call on it fails with io_error), a full disk ("disk.no_space"),
// bit rot at rest (rot_at_rest(), "disk.bit_rot": a synced file's stored byte flipped, only when
// the simulator calls it), and the crash model above ("disk.crash", "disk.crash_file", "disk.crash_tear",
// "disk.crash_directory", "disk.crash_skip").
//
// Invariants: same seed and same calls -> same results and same trace, byte for byte (only
// ordered containers, keyed by counters or names). Effects happen when an operation completes,
// after its latency. A call that draws no latency never suspends, so tests and checkers may
// call it outside a fiber.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/random.h"
#include "core/base/time.h"
#include "core/env/disk.h"
#include "core/env/trace.h"
#include "core/fiber/executor.h"
#include "sim/file_image.h"

namespace eddy::sim {

namespace limits {
// Crash tearing granularity.
inline constexpr uint64_t disk_sector_bytes = 4096;
// Writes or truncates past this offset fail with invalid_argument (EFBIG): the simulated disk
// keeps files in memory.
inline constexpr uint64_t disk_file_bytes_max = uint64_t{4} << 30;
}  // namespace limits

struct DiskFaults {
    double read_bit_flip_p = 0;            // per read call returning data: flip one random bit
    double read_error_p = 0;               // per read: io_error
    double write_error_p = 0;              // per write or truncate: io_error, nothing written
    double sync_error_p = 0;               // per sync / sync_directory: io_error, poisoned
    uint64_t capacity_bytes = UINT64_MAX;  // sum of file sizes; beyond it: no_space
    Duration latency_min{};                // per operation, uniform in [min, max]; 0: no suspension
    Duration latency_max{};
    double slow_p = 0;  // per operation: add slow_latency (a gray failure)
    Duration slow_latency{};
    // Added to every sync / sync_directory: on real disks fdatasync is the slow call, and group
    // commit is only visible when writes are fast and syncs are not.
    Duration sync_latency{};
    // Crash model, drawn per file (and per directory) with pending ops: with probability
    // crash_keep_unsynced_p every pending op survives (the kernel had written it all back), with
    // crash_lose_unsynced_p none does (the harshest case: every missing sync shows), otherwise a
    // uniformly drawn strict prefix does. The first lost op, if a write, is torn with
    // probability crash_tear_p. keep + lose <= 1.
    double crash_keep_unsynced_p = 0.5;
    double crash_lose_unsynced_p = 0.25;
    double crash_tear_p = 0.5;
};

class SimFile;

class SimDisk final : public Disk {
public:
    SimDisk(FiberExecutor& executor, Random random, Tracer& tracer, DiskFaults faults = {});
    // Open handles outlive the disk safely: they are detached and fail with io_error.
    ~SimDisk() override;
    SimDisk(const SimDisk&) = delete;
    SimDisk& operator=(const SimDisk&) = delete;

    // Disk. Each may suspend the calling fiber for the drawn latency (never when it draws none).
    // Paths are relative and '/'-separated with no empty, "." or ".." component; "" (or ".")
    // names the root where a directory is expected. Errors: invalid_argument for a bad path, a
    // file where a directory is expected or the reverse, a non-empty directory, a write through
    // a read-only handle; not_found; already_exists; no_space; io_error (faults, poisoned,
    // stale handle).
    Result<std::unique_ptr<File>, DiskError> open(std::string_view path, OpenMode mode) override;
    Result<void, DiskError> remove(std::string_view path) override;
    Result<void, DiskError> rename(std::string_view from, std::string_view to) override;
    Result<void, DiskError> make_directory(std::string_view path) override;
    Result<void, DiskError> remove_directory(std::string_view path) override;
    Result<std::vector<std::string>, DiskError> list(std::string_view dir) override;
    Result<bool, DiskError> exists(std::string_view path) override;
    Result<void, DiskError> sync_directory(std::string_view dir) override;
    // capacity_bytes as the total, what bytes_used() leaves of it as usable (an unlimited disk
    // reports UINT64_MAX for both, less what is used).
    Result<DiskSpace, DiskError> space(std::string_view path) override;

    // The node crashed: applies the crash model (see above) and makes every open File stale.
    // Never suspends. Call it after the node's fibers are unwound.
    void crash();
    void set_faults(const DiskFaults& faults);
    // Bit rot at rest: flips one random bit of one stored byte of a random synced file (a
    // linked file with durable bytes and no pending writes), in what reads see and in what
    // survives a crash alike. Only a checksum can tell. Returns the file's path, or nullopt
    // when no file qualifies. Never suspends; traced as "disk.bit_rot". `eligible`, if set,
    // narrows the files it may pick by path.
    std::optional<std::string> rot_at_rest(
        const std::function<bool(std::string_view path)>& eligible = {});
    const DiskFaults& faults() const { return faults_; }

    // --- For tests and checkers. These never suspend, draw nothing and trace nothing. ---
    // What a read sees now; nullopt if there is no such file.
    std::optional<Bytes> contents(std::string_view path) const;
    // What is guaranteed to survive a crash: the path's entry resolved in the namespace of
    // durable ops only, and that file's durable bytes. nullopt if the entry is not durable.
    std::optional<Bytes> durable_contents(std::string_view path) const;
    // Sum of the current sizes of linked or open files (what capacity_bytes limits).
    uint64_t bytes_used() const { return used_; }
    uint64_t crashes() const { return epoch_; }

private:
    friend class SimFile;
    using Inode = StrongId<struct SimInodeTag, uint64_t>;
    static constexpr Inode root_inode{1};

    // A write or truncate applied to `current` and not yet durable. Undoing it means cutting
    // the file back to size_before, then putting `replaced` back at `offset`.
    struct PendingOp {
        uint64_t seq = 0;
        bool truncate = false;
        uint64_t offset = 0;       // a write's offset, or a truncate's new size
        uint64_t length = 0;       // a write's length
        uint64_t size_before = 0;  // the file's size before it
        Bytes replaced;            // the bytes it overwrote (a write) or cut off (a truncate)
    };
    struct FileData {
        FileImage current;               // the durable bytes with every pending op applied
        std::vector<PendingOp> pending;  // since the last successful sync, in completion order
        bool poisoned = false;
        uint32_t links = 0;    // entries naming it in the live namespace
        uint32_t handles = 0;  // open, non-stale handles
    };
    using Entries = std::map<std::string, Inode, std::less<>>;
    // Directory inodes and their entries; an inode that is not a key here is a file.
    using Namespace = std::map<Inode, Entries>;

    enum class MetaKind : uint8_t { link_file, link_directory, unlink, rename };
    struct MetaOp {
        uint64_t seq = 0;
        MetaKind kind = MetaKind::link_file;
        Inode parent;  // link/unlink: the entry's directory; rename: the source's
        std::string name;
        Inode to_parent;  // rename only
        std::string to_name;
        Inode child;
        std::optional<Inode> replaced_directory;  // rename only: an empty directory it replaced
        // Set by a sync_directory of a directory it touches, after it (either one, for a
        // rename: a rename is one transaction, as on a journaling file system).
        bool durable = false;
    };

    struct Resolved {
        Inode parent;  // the last component's directory
        std::string name;
        std::optional<Inode> child;  // the entry, if present
    };

    // Operation plumbing.
    void delay(std::string_view op, std::string_view path, Duration extra = Duration::zero());
    bool draw(double p);
    bool stale(const SimFile& f) const;

    // File operations (from SimFile).
    Result<size_t, DiskError> file_read(SimFile& f, uint64_t offset, MutableByteSpan buf);
    Result<void, DiskError> file_write(SimFile& f, uint64_t offset, ByteSpan data);
    Result<void, DiskError> file_sync(SimFile& f);
    Result<void, DiskError> file_truncate(SimFile& f, uint64_t size);
    Result<uint64_t, DiskError> file_size(SimFile& f);
    void file_closed(SimFile& f);
    Result<void, DiskError> check_growth(const FileData& d, uint64_t new_size,
                                         std::string_view path);
    void apply_pending(FileData& d, bool truncate, uint64_t offset, ByteSpan data);
    static Bytes durable_bytes(const FileData& d);

    // Namespace.
    Result<Resolved, DiskError> resolve(const Namespace& ns, std::string_view path) const;
    Result<Inode, DiskError> resolve_directory(std::string_view dir) const;
    static MetaOp entry_op(MetaKind kind, Inode parent, std::string name, Inode child);
    void journal(MetaOp op);
    void mark_durable(Inode dir, uint64_t seq_below);
    static bool apply(Namespace& ns, const MetaOp& op);
    static bool contains_directory(const Namespace& ns, Inode top, Inode dir);
    Namespace durable_namespace() const;
    void compact();
    void collect_garbage();
    void adjust_links(Inode file, int delta);
    std::map<Inode, std::string> paths() const;

    // Accounting: what a file contributes to used_.
    static uint64_t charge(const FileData& d) {
        return d.links > 0 || d.handles > 0 ? d.current.size() : 0;
    }

    // Crash model parts.
    void crash_namespace(const std::map<Inode, std::string>& names);
    void crash_file(FileData& d, std::string_view path);
    static const char* kind_name(MetaKind kind);
    size_t draw_kept(size_t durable, size_t total);

    FiberExecutor& executor_;
    Random random_;
    Tracer& tracer_;
    DiskFaults faults_;

    uint64_t epoch_ = 0;     // crashes so far; handles from an older epoch are stale
    uint64_t next_seq_ = 1;  // orders pending file ops and journal ops
    uint64_t next_inode_ = 2;
    uint64_t next_handle_ = 1;
    uint64_t used_ = 0;

    std::map<Inode, FileData> files_;
    Namespace live_;  // what lookups see now
    Namespace base_;  // the durable namespace that journal_ starts from
    // Namespace ops not yet folded into base_, by sequence number (journal order).
    std::map<uint64_t, MetaOp> journal_;
    // Per directory: the journal ops touching it that are not yet durable for it, in order.
    std::map<Inode, std::deque<uint64_t>> undurable_;
    std::set<Inode> poisoned_dirs_;         // a sync_directory failed on these
    std::set<Inode> unlinked_;              // files that lost their last link and handle
    std::map<uint64_t, SimFile*> handles_;  // open handles by id, to detach them in ~SimDisk
};

}  // namespace eddy::sim
