// PosixFile: core's File over one POSIX file descriptor.
//
// - read_at/write_at loop over short transfers and EINTR; read_at is short only at end of file.
// - sync() is fdatasync(2) (it also flushes a size change, which is all the log needs), run on the
//   BlockingOffload when there is one, so only the calling fiber waits for the disk.
// - write_at of at least Options::offload_write_bytes_min also runs on the offload: a large write
//   into the page cache can stall in dirty-page throttling.
// - A failed sync() poisons the file (fsyncgate: the kernel may have dropped the dirty pages and
//   a retry would "succeed"); every later call fails with io_error. The node must crash.
//
// Invariant: fd_ stays open for the object's life; native_handle() is valid for sendfile(2).
#pragma once

#include <cstdint>

#include "core/env/disk.h"
#include "storage-posix/blocking_offload.h"

namespace eddy {

// The one mapping from file-system errno values to DiskError.
DiskError disk_error_from_errno(int err);

class PosixFile final : public File {
public:
    struct Options {
        // Writes at least this large go to the offload (when there is one). 0 = never.
        uint64_t offload_write_bytes_min = 1024 * 1024;
    };

    // Takes ownership of fd. `offload` may be null (everything runs inline).
    PosixFile(int fd, BlockingOffload* offload, Options options);
    ~PosixFile() override;
    PosixFile(const PosixFile&) = delete;
    PosixFile& operator=(const PosixFile&) = delete;

    // Does not suspend.
    Result<size_t, DiskError> read_at(uint64_t offset, MutableByteSpan buf) override;
    // Suspends (on the offload) when data is large; otherwise does not.
    Result<void, DiskError> write_at(uint64_t offset, ByteSpan data) override;
    // Suspends while fdatasync runs on the offload.
    Result<void, DiskError> sync() override;
    // Do not suspend.
    Result<void, DiskError> truncate(uint64_t size) override;
    Result<uint64_t, DiskError> size() override;
    int native_handle() const override { return fd_; }

    bool poisoned() const { return poisoned_; }

private:
    int fd_;
    BlockingOffload* offload_;
    Options options_;
    bool poisoned_ = false;
};

}  // namespace eddy
