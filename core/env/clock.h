// Clock: a node's view of time. Monotonic time never goes back and drives every timeout; wall
// time may be skewed, drift or jump (the simulator makes it do all three) and is only for Kafka
// timestamps, retention by time and log lines.
#pragma once

#include "core/base/time.h"

namespace eddy {

class Clock {
public:
    virtual ~Clock() = default;
    // Does not suspend.
    virtual Instant now() const = 0;
    // Does not suspend.
    virtual WallTime wall_now() const = 0;
};

}  // namespace eddy
