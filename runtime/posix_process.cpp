// PosixProcess: report and abort. See posix_process.h.
#include "runtime/posix_process.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>

namespace eddy {

void PosixProcess::crash(std::string_view why) {
    static const char prefix[] = "eddy: crashing on purpose: ";
    static const char newline[] = "\n";
    iovec iov[3];
    iov[0].iov_base = const_cast<char*>(prefix);
    iov[0].iov_len = sizeof prefix - 1;
    iov[1].iov_base = const_cast<char*>(why.data());
    iov[1].iov_len = why.size();
    iov[2].iov_base = const_cast<char*>(newline);
    iov[2].iov_len = 1;
    if (::writev(STDERR_FILENO, iov, 3) < 0) {
        // Nowhere left to report it; abort regardless.
    }
    std::abort();
}

}  // namespace eddy
