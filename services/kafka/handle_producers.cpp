// InitProducerId for idempotent producers (KIP-98): a fresh producer id at epoch 0 from a block
// this broker reserved at the active controller (AllocateProducerIds, KIP-730; the controller
// writes a ProducerIdsRecord to the metadata log, so no id is ever handed out twice, across
// restarts and controller changes too). The sequence checks themselves are the partition
// log's (services/log/producer_state.h).
#include "services/kafka/broker.h"
#include "services/kafka/errors.h"

namespace eddy::kafka {

using protocol::InitProducerIdRequest;
using protocol::InitProducerIdResponse;

namespace {
// Kafka's broker reserves producer ids in blocks of 1000.
constexpr int32_t producer_id_block = 1000;
}  // namespace

InitProducerIdResponse Broker::handle_init_producer_id(const RequestContext& ctx,
                                                       const InitProducerIdRequest& req) {
    InitProducerIdResponse resp;
    resp.producer_id_ = -1;
    resp.producer_epoch_ = -1;
    if (req.transactional_id_ && !req.transactional_id_->empty()) {
        if (!allowed(ctx, security::AclOperation::write, security::ResourceType::transactional_id,
                     *req.transactional_id_)) {
            resp.error_code_ = error::transactional_id_authorization_failed;
            return resp;
        }
        env_.log.warn("InitProducerId for transactional.id '%s' from %s: transactions are not "
                      "supported yet",
                      req.transactional_id_->c_str(), ctx.header.client_id_.value_or("").c_str());
        resp.error_code_ = error::coordinator_not_available;
        return resp;
    }
    // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679).
    if (authorization_enabled_ &&
        authorizer().authorize_idempotent_producer(ctx.principal, ctx.client_host) !=
            security::AuthorizationResult::allowed) {
        env_.log.info("authorization denied: %s from %s: InitProducerId (idempotent) on the "
                      "cluster",
                      ctx.principal.to_string().c_str(), ctx.client_host.c_str());
        resp.error_code_ = error::cluster_authorization_failed;
        return resp;
    }
    // Without a transactional id every call starts a new producer (Kafka does the same, also when
    // a KIP-360 client passes its current id and epoch to have it bumped).
    if (producer_ids_next_ >= producer_ids_end_) {
        protocol::AllocateProducerIdsRequest alloc;
        alloc.broker_id_ = node_id_;
        auto block = controller_channel_->call<protocol::AllocateProducerIdsResponse>(
            alloc, Duration::seconds(10));
        if (!block.ok() || block->error_code_ != error::none || block->producer_id_len_ <= 0) {
            resp.error_code_ = block.ok() ? block->error_code_ : block.error().code;
            if (resp.error_code_ == error::none) {
                resp.error_code_ = error::unknown_server_error;
            }
            return resp;
        }
        producer_ids_next_ = block->producer_id_start_;
        producer_ids_end_ = block->producer_id_start_ + block->producer_id_len_;
    }
    resp.producer_id_ = producer_ids_next_++;
    resp.producer_epoch_ = 0;
    return resp;
}

protocol::AllocateProducerIdsResponse Broker::handle_allocate_producer_ids(
    const RequestContext&, const protocol::AllocateProducerIdsRequest& req) {
    protocol::AllocateProducerIdsResponse resp;
    auto block = controller_->allocate_producer_ids(req.broker_id_, producer_id_block);
    if (!block.ok()) {
        resp.error_code_ = block.error().code;
        return resp;
    }
    resp.producer_id_start_ = *block;
    resp.producer_id_len_ = producer_id_block;
    return resp;
}

}  // namespace eddy::kafka
