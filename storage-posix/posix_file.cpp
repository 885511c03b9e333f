// PosixFile: pread/pwrite loops, fdatasync on the offload, poisoning. See posix_file.h.
#include "storage-posix/posix_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/base/assert.h"

namespace eddy {

DiskError disk_error_from_errno(int err) {
    switch (err) {
        case ENOSPC:
        case EDQUOT:
            return DiskError::no_space;
        case ENOENT:
            return DiskError::not_found;
        case EEXIST:
            return DiskError::already_exists;
        case EINVAL:
        case ENAMETOOLONG:
            return DiskError::invalid_argument;
        default:
            return DiskError::io_error;
    }
}

namespace {

// Writes all of data at offset; returns 0 or an errno. Safe to run on any thread.
int pwrite_all(int fd, const std::byte* data, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n == 0) {
            return EIO;  // no progress and no error: do not spin
        }
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

}  // namespace

PosixFile::PosixFile(int fd, BlockingOffload* offload, Options options)
    : fd_(fd), offload_(offload), options_(options) {
    ASSERT(fd_ >= 0);
}

PosixFile::~PosixFile() { ::close(fd_); }

Result<size_t, DiskError> PosixFile::read_at(uint64_t offset, MutableByteSpan buf) {
    if (poisoned_) {
        return fail(DiskError::io_error);
    }
    size_t done = 0;
    while (done < buf.size()) {
        const ssize_t n =
            ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n == 0) {
            break;  // end of file
        }
        if (errno != EINTR) {
            return fail(disk_error_from_errno(errno));
        }
    }
    return done;
}

Result<void, DiskError> PosixFile::write_at(uint64_t offset, ByteSpan data) {
    if (poisoned_) {
        return fail(DiskError::io_error);
    }
    int err = 0;
    if (offload_ != nullptr && options_.offload_write_bytes_min != 0 &&
        data.size() >= options_.offload_write_bytes_min) {
        offload_->run_blocking([&] { err = pwrite_all(fd_, data.data(), data.size(), offset); });
    } else {
        err = pwrite_all(fd_, data.data(), data.size(), offset);
    }
    if (err != 0) {
        return fail(disk_error_from_errno(err));
    }
    return {};
}

Result<void, DiskError> PosixFile::sync() {
    if (poisoned_) {
        return fail(DiskError::io_error);
    }
    int err = 0;
    auto call = [&] {
        while (::fdatasync(fd_) != 0) {
            if (errno != EINTR) {
                err = errno;
                return;
            }
        }
    };
    if (offload_ != nullptr) {
        offload_->run_blocking(call);
    } else {
        call();
    }
    if (err != 0) {
        poisoned_ = true;
        return fail(DiskError::io_error);
    }
    return {};
}

Result<void, DiskError> PosixFile::truncate(uint64_t size) {
    if (poisoned_) {
        return fail(DiskError::io_error);
    }
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
        if (errno != EINTR) {
            return fail(disk_error_from_errno(errno));
        }
    }
    return {};
}

Result<uint64_t, DiskError> PosixFile::size() {
    if (poisoned_) {
        return fail(DiskError::io_error);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return fail(disk_error_from_errno(errno));
    }
    return static_cast<uint64_t>(st.st_size);
}

}  // namespace eddy
