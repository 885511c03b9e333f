// SignalWatch: a signalfd on the reactor. See signals.h.
#include "runtime/signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace eddy {

SignalWatch::SignalWatch(Reactor& reactor, std::initializer_list<int> signals)
    : reactor_(reactor), old_mask_(), watch_(reactor.executor()) {
    sigset_t set;
    ::sigemptyset(&set);
    for (int s : signals) {
        ::sigaddset(&set, s);
    }
    const int masked = ::pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    ASSERT(masked == 0, "pthread_sigmask failed");
    fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    ASSERT(fd_ >= 0, "signalfd failed");
    const int watched = reactor_.watch(fd_, watch_);
    ASSERT(watched == 0, "cannot watch the signalfd");
}

SignalWatch::~SignalWatch() {
    reactor_.unwatch(fd_);
    ::close(fd_);
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

Result<int, WaitError> SignalWatch::wait(Instant deadline) {
    for (;;) {
        signalfd_siginfo info{};
        const ssize_t n = ::read(fd_, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) {
            return static_cast<int>(info.ssi_signo);
        }
        ASSERT(n < 0, "short read from a signalfd");
        if (errno == EINTR) {
            continue;
        }
        ASSERT(errno == EAGAIN, "signalfd read failed");
        const WakeReason r = watch_.wait(FdWatch::Direction::in, deadline);
        if (r != WakeReason::notified) {
            return wait_error(r);
        }
    }
}

}  // namespace eddy
