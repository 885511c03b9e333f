#include "services/kafka/controller_channel.h"

#include <algorithm>

namespace eddy::kafka {

ControllerChannel::ControllerChannel(Env& env, raft::QuorumDriver& quorum,
                                     std::map<NodeId, Address> controllers, std::string client_id,
                                     std::optional<client::SaslCredentials> sasl, LocalCall local)
    : env_(env),
      quorum_(quorum),
      controllers_(std::move(controllers)),
      client_id_(std::move(client_id)),
      sasl_(std::move(sasl)),
      local_(std::move(local)) {}

ControllerChannel::~ControllerChannel() = default;

Result<std::shared_ptr<client::BrokerConnection>, client::ClientError>
ControllerChannel::connection(NodeId id, Instant deadline) {
    if (auto it = connections_.find(id); it != connections_.end() && !it->second->broken()) {
        return it->second;
    }
    const auto address = controllers_.find(id);
    if (address == controllers_.end()) {
        return fail(client::ClientError{client::error_code::not_controller,
                                        "the leader is not among controller.quorum.voters"});
    }
    TRY_ASSIGN(auto conn, client::BrokerConnection::open(env_, address->second, client_id_,
                                                         deadline, sasl_ ? &*sasl_ : nullptr));
    std::shared_ptr<client::BrokerConnection> shared = std::move(conn);
    connections_[id] = shared;
    return shared;
}

void ControllerChannel::drop(NodeId id) { connections_.erase(id); }

void ControllerChannel::pause(Instant deadline) {
    const Instant until = std::min(deadline, env_.clock.now() + Duration::millis(50));
    (void)env_.scheduler.sleep_until(until);
}

}  // namespace eddy::kafka
