// StderrLogSink: writev of the line and its newline. See posix_clock.h.
#include "runtime/posix_clock.h"

#include <sys/uio.h>
#include <unistd.h>

namespace eddy {

void StderrLogSink::write(LogLevel, std::string_view line) {
    char newline = '\n';
    iovec iov[2];
    iov[0].iov_base = const_cast<char*>(line.data());
    iov[0].iov_len = line.size();
    iov[1].iov_base = &newline;
    iov[1].iov_len = 1;
    if (::writev(STDERR_FILENO, iov, 2) < 0) {
        // Nowhere left to report it.
    }
}

}  // namespace eddy
