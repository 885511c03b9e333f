// Process: the node's own life. A node whose state can no longer be trusted — above all after a
// failed sync (its dirty pages may be gone: "fsyncgate") — must die at once, like kill -9, and
// recover from disk on restart. Never retry and carry on.
#pragma once

#include <string_view>

namespace eddy {

class Process {
public:
    virtual ~Process() = default;
    // Ends the node as a crash would. In production the process aborts; in simulation the node
    // crashes (its fibers unwind). Never returns normally: in simulation the calling fiber
    // suspends until it is unwound.
    virtual void crash(std::string_view why) = 0;
};

}  // namespace eddy
