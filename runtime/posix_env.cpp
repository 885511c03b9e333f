// PosixEnv: wiring of the production parts. See posix_env.h.
#include "runtime/posix_env.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace eddy {
namespace {

uint64_t entropy_seed() {
    uint64_t seed = 0;
    auto* p = reinterpret_cast<unsigned char*>(&seed);
    size_t got = 0;
    while (got < sizeof seed) {
        const ssize_t n = ::getrandom(p + got, sizeof seed - got, 0);
        if (n > 0) {
            got += static_cast<size_t>(n);
        } else {
            ASSERT(errno == EINTR, "getrandom failed");
        }
    }
    return seed;
}

}  // namespace

Result<std::unique_ptr<PosixEnv>, std::string> PosixEnv::create(PosixEnvOptions options) {
    std::unique_ptr<PosixEnv> pe(new PosixEnv(options));
    errno = 0;
    auto disk = PosixDisk::open_root(options.data_dir, &pe->reactor_, options.disk);
    if (!disk.ok()) {
        const int err = errno;
        std::string why = "cannot open the data directory '" + options.data_dir + "': ";
        why += err != 0 ? std::strerror(err) : to_string(disk.error());
        return fail(std::move(why));
    }
    pe->disk_ = std::move(disk).value();
    if (options.client_tls) {
        pe->tls_network_ = std::make_unique<tls::TlsNetwork>(pe->reactor_.executor(), pe->logger_,
                                                             pe->network_, options.client_tls);
    }
    Network& network = pe->tls_network_ ? static_cast<Network&>(*pe->tls_network_) : pe->network_;
    pe->env_.emplace(Env{options.node, pe->clock_, network, *pe->disk_, pe->random_, pe->scheduler_,
                         pe->tracer_, pe->faults_, pe->logger_, pe->process_});
    return pe;
}

PosixEnv::PosixEnv(const PosixEnvOptions& options)
    : reactor_(options.reactor),
      clock_(reactor_),
      logger_(clock_, options.log_sink != nullptr ? *options.log_sink : stderr_sink_,
              options.node_name, options.log_levels, options.log_format),
      network_(reactor_, options.network),
      random_(options.seed.has_value() ? *options.seed : entropy_seed()),
      scheduler_(reactor_.executor(), reactor_.executor().new_group()) {}

PosixEnv::~PosixEnv() { reactor_.shutdown(); }

}  // namespace eddy
