// PosixDisk: path checks and *at() calls against the root directory. See posix_disk.h.
#include "storage-posix/posix_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "core/base/assert.h"

namespace eddy {
namespace {

// A checked, NUL-terminated relative path. On the stack: no allocation per call.
using PathBuffer = std::array<char, PATH_MAX>;

// Validates `path` (relative, no "..", no NUL, fits PATH_MAX) and copies it into `out`; the empty
// path becomes "." (the root).
bool to_c_path(std::string_view path, PathBuffer& out) {
    if (path.empty()) {
        path = ".";
    }
    if (path.front() == '/' || path.size() >= out.size() ||
        path.find('\0') != std::string_view::npos) {
        return false;
    }
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        if (path.substr(start, end - start) == "..") {
            return false;
        }
        start = end + 1;
    }
    std::copy(path.begin(), path.end(), out.begin());
    out[path.size()] = '\0';
    return true;
}

// mkdir -p relative to dir_fd (AT_FDCWD for the root itself). `path` is modified in place while
// walking it and restored.
int make_directories(int dir_fd, char* path, unsigned mode) {
    const size_t len = std::char_traits<char>::length(path);
    for (size_t i = 1; i <= len; ++i) {
        if (i < len && path[i] != '/') {
            continue;
        }
        const char saved = path[i];
        path[i] = '\0';
        const int rc = ::mkdirat(dir_fd, path, static_cast<mode_t>(mode));
        const int err = errno;
        path[i] = saved;
        if (rc != 0 && err != EEXIST) {
            return err;
        }
    }
    struct stat st {};
    if (::fstatat(dir_fd, path, &st, 0) != 0) {
        return errno;
    }
    return S_ISDIR(st.st_mode) ? 0 : EEXIST;
}

Err<DiskError> last_error() { return fail(disk_error_from_errno(errno)); }

}  // namespace

Result<std::unique_ptr<PosixDisk>, DiskError> PosixDisk::open_root(const std::string& root,
                                                                   BlockingOffload* offload,
                                                                   Options options) {
    if (root.empty() || root.size() >= PATH_MAX) {
        return fail(DiskError::invalid_argument);
    }
    PathBuffer buf{};
    std::copy(root.begin(), root.end(), buf.begin());
    const int err = make_directories(AT_FDCWD, buf.data(), options.directory_mode);
    if (err != 0) {
        return fail(disk_error_from_errno(err));
    }
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    return std::unique_ptr<PosixDisk>(new PosixDisk(root, fd, offload, options));
}

PosixDisk::PosixDisk(std::string root, int root_fd, BlockingOffload* offload, Options options)
    : root_(std::move(root)), root_fd_(root_fd), offload_(offload), options_(options) {}

PosixDisk::~PosixDisk() { ::close(root_fd_); }

Result<std::unique_ptr<File>, DiskError> PosixDisk::open(std::string_view path, OpenMode mode) {
    PathBuffer p;
    if (path.empty() || !to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    int flags = O_CLOEXEC;
    switch (mode) {
        case OpenMode::read_only:
            flags |= O_RDONLY;
            break;
        case OpenMode::read_write:
            flags |= O_RDWR;
            break;
        case OpenMode::create:
            flags |= O_RDWR | O_CREAT;
            break;
        case OpenMode::create_exclusive:
            flags |= O_RDWR | O_CREAT | O_EXCL;
            break;
    }
    int fd;
    do {
        fd = ::openat(root_fd_, p.data(), flags, static_cast<mode_t>(options_.file_mode));
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return last_error();
    }
    return std::unique_ptr<File>(new PosixFile(fd, offload_, options_.file));
}

Result<void, DiskError> PosixDisk::remove(std::string_view path) {
    PathBuffer p;
    if (path.empty() || !to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    if (::unlinkat(root_fd_, p.data(), 0) != 0) {
        return last_error();
    }
    return {};
}

Result<void, DiskError> PosixDisk::rename(std::string_view from, std::string_view to) {
    PathBuffer f;
    PathBuffer t;
    if (from.empty() || to.empty() || !to_c_path(from, f) || !to_c_path(to, t)) {
        return fail(DiskError::invalid_argument);
    }
    if (::renameat(root_fd_, f.data(), root_fd_, t.data()) != 0) {
        return last_error();
    }
    return {};
}

Result<void, DiskError> PosixDisk::make_directory(std::string_view path) {
    PathBuffer p;
    if (!to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    const int err = make_directories(root_fd_, p.data(), options_.directory_mode);
    if (err != 0) {
        return fail(disk_error_from_errno(err));
    }
    return {};
}

Result<void, DiskError> PosixDisk::remove_directory(std::string_view path) {
    PathBuffer p;
    if (path.empty() || !to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    if (::unlinkat(root_fd_, p.data(), AT_REMOVEDIR) != 0) {
        return last_error();
    }
    return {};
}

Result<std::vector<std::string>, DiskError> PosixDisk::list(std::string_view dir) {
    PathBuffer p;
    if (!to_c_path(dir, p)) {
        return fail(DiskError::invalid_argument);
    }
    const int fd = ::openat(root_fd_, p.data(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
        const int err = errno;
        ::close(fd);
        return fail(disk_error_from_errno(err));
    }
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        const dirent* e = ::readdir(d);
        if (e == nullptr) {
            break;
        }
        const std::string_view name(e->d_name);
        if (name != "." && name != "..") {
            names.emplace_back(name);
        }
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) {
        return fail(disk_error_from_errno(err));
    }
    std::sort(names.begin(), names.end());  // std::string compares bytewise (char_traits<char>)
    return names;
}

Result<bool, DiskError> PosixDisk::exists(std::string_view path) {
    PathBuffer p;
    if (!to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    struct stat st {};
    if (::fstatat(root_fd_, p.data(), &st, 0) == 0) {
        return true;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
        return false;
    }
    return last_error();
}

Result<DiskSpace, DiskError> PosixDisk::space(std::string_view path) {
    PathBuffer p;
    if (!to_c_path(path, p)) {
        return fail(DiskError::invalid_argument);
    }
    const int fd = ::openat(root_fd_, p.data(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    struct statvfs st {};
    const int rc = ::fstatvfs(fd, &st);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        errno = err;
        return last_error();
    }
    const uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
    return DiskSpace{static_cast<uint64_t>(st.f_blocks) * unit,
                     static_cast<uint64_t>(st.f_bavail) * unit};
}

Result<void, DiskError> PosixDisk::sync_directory(std::string_view dir) {
    PathBuffer p;
    if (!to_c_path(dir, p)) {
        return fail(DiskError::invalid_argument);
    }
    const int fd = ::openat(root_fd_, p.data(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    int err = 0;
    auto call = [&] {
        while (::fsync(fd) != 0) {
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
    ::close(fd);
    if (err != 0) {
        return fail(DiskError::io_error);
    }
    return {};
}

}  // namespace eddy
