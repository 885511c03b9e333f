// PosixDisk: core's Disk over a directory of the real file system (the node's data root).
//
// Every path is relative to the root and resolved with the *at() calls against the root's
// directory descriptor, so the process's working directory never matters. Paths are checked
// first: absolute paths, ".." components and embedded NULs are invalid_argument; "" and "." name
// the root itself (list, exists, sync_directory). Errno values map to DiskError in one place
// (disk_error_from_errno): ENOSPC → no_space, ENOENT → not_found, EEXIST → already_exists, the
// rest → io_error.
//
// Durability is the caller's (core/env/disk.h): a file's data after File::sync(), a directory
// entry after sync_directory() of its parent. sync_directory's fsync runs on the BlockingOffload
// like File::sync(). Namespace operations (open, rename, …) run inline: they are metadata updates
// in the page cache and do not wait for the disk.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/env/disk.h"
#include "storage-posix/blocking_offload.h"
#include "storage-posix/posix_file.h"

namespace eddy {

class PosixDisk final : public Disk {
public:
    struct Options {
        PosixFile::Options file = {};
        unsigned file_mode = 0644;
        unsigned directory_mode = 0755;
    };

    // Creates `root` (and its parents) if missing and opens it. `offload` may be null (all calls
    // run inline); it must outlive the disk and its files.
    static Result<std::unique_ptr<PosixDisk>, DiskError> open_root(const std::string& root,
                                                                   BlockingOffload* offload,
                                                                   Options options);
    static Result<std::unique_ptr<PosixDisk>, DiskError> open_root(const std::string& root,
                                                                   BlockingOffload* offload) {
        return open_root(root, offload, Options{});
    }
    ~PosixDisk() override;
    PosixDisk(const PosixDisk&) = delete;
    PosixDisk& operator=(const PosixDisk&) = delete;

    // None of these suspends except sync_directory (the fsync, on the offload) and the File
    // calls documented in posix_file.h.
    Result<std::unique_ptr<File>, DiskError> open(std::string_view path, OpenMode mode) override;
    Result<void, DiskError> remove(std::string_view path) override;
    Result<void, DiskError> rename(std::string_view from, std::string_view to) override;
    Result<void, DiskError> make_directory(std::string_view path) override;
    Result<void, DiskError> remove_directory(std::string_view path) override;
    Result<std::vector<std::string>, DiskError> list(std::string_view dir) override;
    Result<bool, DiskError> exists(std::string_view path) override;
    Result<void, DiskError> sync_directory(std::string_view dir) override;
    // statvfs of the file system holding `path` (f_blocks and f_bavail, in f_frsize units).
    Result<DiskSpace, DiskError> space(std::string_view path) override;

    const std::string& root() const { return root_; }

private:
    PosixDisk(std::string root, int root_fd, BlockingOffload* offload, Options options);

    std::string root_;
    int root_fd_;
    BlockingOffload* offload_;
    Options options_;
};

}  // namespace eddy
