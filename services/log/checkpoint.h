// Small files the log rewrites whole: the checkpoints. Kafka's text formats, written atomically
// and read so that a transient read fault cannot pass for their contents.
//
//   offset checkpoint (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
//       0\n<count>\n<topic> <partition> <offset>\n...
//   leader-epoch-checkpoint (leader_epoch_cache.h): 0\n<count>\n<epoch> <start offset>\n...
//
// Atomic write: <name>.tmp is written, synced, renamed over <name>, and the directory is synced;
// a crash leaves the old file or the new one, never a mix. A failed sync crashes the node
// (env.process.crash: never retried). Stable read: bytes are read until two reads agree, so a
// bit flipped by one read (the simulator injects those; real disks have them too) is not mistaken
// for the stored bytes. A whole file read by read_file_stable() needs three agreeing reads: these
// files carry no checksum (Kafka's text formats have none), so nothing else would catch two reads
// that happened to flip the same bit, and a checkpoint damaged that way is either ignored (the
// log start goes back) or, when it still parses, believed with a wrong value. Reads alone only
// make that unlikely (see README.md, "Limits").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/env/env.h"
#include "services/log/file_names.h"
#include "services/log/log_error.h"

namespace eddy::log {

namespace limits {
// Reads of one piece of data before a persistent mismatch counts as real damage.
inline constexpr int stable_read_attempts_max = 5;
// Conclusions that no checksum can confirm — a whole file read by read_file_stable() is the stored
// one; a batch that fails its CRC is damaged on disk (BatchScanner's "torn") — need this many
// reads that return the same bytes, out of at most this many reads. Two reads that flip the same
// bit are rare but happen in long simulations; three are thousands of times rarer. Two more
// attempts than read_stable()'s, so that failing to agree stays as unlikely.
inline constexpr int reads_agreeing_unchecked = 3;
inline constexpr int read_attempts_unchecked_max = stable_read_attempts_max + 2;
// Checkpoint files are small; anything larger is not one of ours.
inline constexpr uint64_t checkpoint_bytes_max = 64 * 1024 * 1024;
}  // namespace limits

LogError from_disk_error(DiskError e);

// Ends the node after a failed sync: never retried ("fsyncgate"). Suspends until the node is
// unwound in simulation; aborts in production. Never returns.
[[noreturn]] void crash_after_failed_sync(Env& env, std::string_view what);

// Reads out.size() bytes at `offset` until two reads agree. Suspends. Errors: io_error (the disk
// failed every attempt, or no two reads agreed).
Result<size_t, LogError> read_stable(File& file, uint64_t offset, MutableByteSpan out);
// The whole file at `path`, read until three reads agree (see above); nullopt if it does not
// exist. Suspends. Errors: as read_stable(); corrupt_data if it is larger than bytes_max.
Result<std::optional<Bytes>, LogError> read_file_stable(Disk& disk, std::string_view path,
                                                        uint64_t bytes_max);
// One line for a read_file_stable() failure of `path`: "<path>: cannot be read (<why>)", where
// corrupt_data (what it returns for a file above bytes_max) reads "too large".
std::string read_failure(std::string_view path, LogError e);
// read_file_stable() for callers that report in one line: its failure as read_failure() says it.
// Suspends.
Result<std::optional<Bytes>, std::string> read_small_file(Disk& disk, std::string_view path,
                                                          uint64_t bytes_max);
// Replaces dir/name with `contents` atomically (see above); a failed sync crashes the node.
// Suspends.
Result<void, LogError> write_file_atomic(Env& env, std::string_view dir, std::string_view name,
                                         ByteSpan contents);

// replace_file(): why the replacement did not happen, or may not be durable.
enum class ReplaceError : uint8_t {
    io_error,
    no_space,
    // The temp file's or the directory's sync failed: the file is poisoned and the new contents
    // may or may not survive a crash. The caller must crash the node (crash_after_failed_sync),
    // never retry and continue, and never act as if the contents were durable.
    sync_failed,
};
const char* to_string(ReplaceError e);
// The atomic write of write_file_atomic() (dir/name.tmp written and synced, renamed over
// dir/name, dir synced) for callers that crash the node themselves: a failed sync is returned
// as sync_failed instead. Any size. Suspends.
Result<void, ReplaceError> replace_file(Env& env, std::string_view dir, std::string_view name,
                                        ByteSpan contents);
// replace_file() for callers that report in one line: a failed sync crashes the node
// (crash_after_failed_sync); other failures read "<dir>/<name>: cannot be written (<why>)".
// Suspends.
Result<void, std::string> replace_small_file(Env& env, std::string_view dir, std::string_view name,
                                             ByteSpan contents);

using OffsetCheckpoint = std::map<TopicPartition, Offset>;
std::string format_offset_checkpoint(const OffsetCheckpoint& entries);
// nullopt if the text is not a well-formed version-0 checkpoint.
std::optional<OffsetCheckpoint> parse_offset_checkpoint(std::string_view text);

// Splits checkpoint text into lines after checking "0\n<count>\n" and that exactly <count>
// lines follow; nullopt otherwise. Shared by both checkpoint formats.
std::optional<std::vector<std::string_view>> checkpoint_lines(std::string_view text);

}  // namespace eddy::log
