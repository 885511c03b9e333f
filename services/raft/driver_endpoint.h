// DriverEndpoint: the QuorumDriver as the QuorumEndpoint that serve_quorum_request serves
// (kafka_transport.h). A header of its own so that code which only serves through the interface
// (and its tests, over a test double) does not reference the driver's symbols.
#pragma once

#include "services/raft/kafka_transport.h"
#include "services/raft/quorum_driver.h"

namespace eddy::raft {

class DriverEndpoint final : public QuorumEndpoint {
public:
    explicit DriverEndpoint(QuorumDriver& driver) : driver_(driver) {}
    std::vector<Message> receive(const Message& m) override { return driver_.receive(m); }
    QuorumStatus describe() const override { return driver_.describe(); }

private:
    QuorumDriver& driver_;
};

}  // namespace eddy::raft
