// Disk: the only way Eddy's logic touches storage. Paths are relative to the node's data root,
// '/'-separated, without "..".
//
// Durability contract (the simulator enforces exactly this, the POSIX implementation provides it):
// - write_at() data is volatile until a later sync() of that file returns ok. A crash before that
//   may lose any suffix of the unsynced writes or tear them at sector (4 KiB) granularity, but
//   never reorders them past synced data.
// - A created, renamed or removed directory entry is durable only after sync_directory() of the
//   directory containing it returns ok.
// - A sync() that fails poisons the file: the caller must treat the node as crashed (never retry
//   and continue; see "fsyncgate").
// - Reads may return corrupted bytes (bit rot): data needs its own checksums.
// All methods may suspend the calling fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/result.h"

namespace eddy {

enum class DiskError : uint8_t {
    not_found,
    already_exists,
    no_space,
    io_error,  // includes a failed sync; the file is poisoned
    invalid_argument,
};

const char* to_string(DiskError e);

enum class OpenMode : uint8_t {
    read_only,
    read_write,        // the file must exist
    create,            // read-write, created if missing
    create_exclusive,  // read-write, fails with already_exists if present
};

class File {
public:
    virtual ~File() = default;
    // Reads up to buf.size() bytes at offset; returns the count (short only at end of file).
    virtual Result<size_t, DiskError> read_at(uint64_t offset, MutableByteSpan buf) = 0;
    // Writes all of data at offset, extending the file if needed.
    virtual Result<void, DiskError> write_at(uint64_t offset, ByteSpan data) = 0;
    // Makes every completed write durable. On failure the file is poisoned (see above).
    virtual Result<void, DiskError> sync() = 0;
    virtual Result<void, DiskError> truncate(uint64_t size) = 0;
    virtual Result<uint64_t, DiskError> size() = 0;
    // An OS descriptor for zero-copy sends, or -1 when there is none (simulation).
    virtual int native_handle() const { return -1; }
};

// The capacity of the file system holding a path (Kafka's DescribeLogDirs TotalBytes and
// UsableBytes).
struct DiskSpace {
    uint64_t total_bytes = 0;   // the file system's size
    uint64_t usable_bytes = 0;  // what this process may still write (free space not reserved)
};

class Disk {
public:
    virtual ~Disk() = default;
    virtual Result<std::unique_ptr<File>, DiskError> open(std::string_view path, OpenMode mode) = 0;
    virtual Result<void, DiskError> remove(std::string_view path) = 0;
    // Atomically replaces `to` with `from` (POSIX rename semantics).
    virtual Result<void, DiskError> rename(std::string_view from, std::string_view to) = 0;
    // Creates the directory and its parents; ok if it exists.
    virtual Result<void, DiskError> make_directory(std::string_view path) = 0;
    // Removes an empty directory.
    virtual Result<void, DiskError> remove_directory(std::string_view path) = 0;
    // Names (not paths) of the entries in a directory, sorted bytewise.
    virtual Result<std::vector<std::string>, DiskError> list(std::string_view dir) = 0;
    virtual Result<bool, DiskError> exists(std::string_view path) = 0;
    // Makes the directory's entries (creates, renames, removes) durable.
    virtual Result<void, DiskError> sync_directory(std::string_view dir) = 0;
    // The capacity of the file system holding `path`. Errors: not_found, io_error.
    virtual Result<DiskSpace, DiskError> space(std::string_view path) = 0;
};

}  // namespace eddy
