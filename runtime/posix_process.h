// PosixProcess: the production Process. crash() writes one line on stderr and aborts the process
// at once (no destructors, no flushing of anything else): after a failed sync the node's state can
// no longer be trusted, and recovery from disk on restart is the only safe way on.
#pragma once

#include <string_view>

#include "core/env/process.h"

namespace eddy {

class PosixProcess final : public Process {
public:
    [[noreturn]] void crash(std::string_view why) override;
};

}  // namespace eddy
