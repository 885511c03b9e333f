// Client data calls: Produce, Fetch, ListOffsets, each routed to the partition leader and
// retried on retriable errors (a stale leader, a lost connection) after a metadata refresh.
#include <string>
#include <utility>

#include "core/protocol/generated/fetch.h"
#include "core/protocol/generated/init_producer_id.h"
#include "core/protocol/generated/list_offsets.h"
#include "core/protocol/generated/produce.h"
#include "services/client/batch.h"
#include "services/client/client.h"

namespace eddy::client {

namespace {

std::string tp_name(const std::string& topic, PartitionId p) {
    std::string s = topic;
    s += '-';
    s += std::to_string(p.value());
    return s;
}

int32_t millis_i32(Duration d) {
    const int64_t ms = d.to_millis();
    return ms > INT32_MAX ? INT32_MAX : static_cast<int32_t>(ms < 0 ? 0 : ms);
}

ClientError partition_error(int16_t code, const std::optional<std::string>& message,
                            const std::string& topic, PartitionId p) {
    std::string m = "partition " + tp_name(topic, p);
    if (message && !message->empty()) {
        m += ": ";
        m += *message;
    }
    return ClientError{code, std::move(m)};
}

ClientError missing(const char* api, const std::string& topic, PartitionId p) {
    return ClientError{error_code::corrupt_message,
                       std::string(api) + " response lacks partition " + tp_name(topic, p)};
}

}  // namespace

Result<ProduceResult, ClientError> Client::produce(const std::string& topic, PartitionId partition,
                                                   const std::vector<ProducerRecord>& records,
                                                   const ProduceOptions& options) {
    ASSERT(!records.empty(), "produce needs a record");
    const Bytes batch = build_batch(records, options.compression, env_.clock.wall_now().to_millis(),
                                    options.stamp);
    protocol::ProduceRequest req;
    req.acks_ = options.acks;
    req.timeout_ms_ = millis_i32(options_.request_timeout);
    protocol::ProduceRequest::TopicProduceData td;
    td.name_ = topic;
    protocol::ProduceRequest::PartitionProduceData pd;
    pd.index_ = partition.value();
    pd.records_ = batch;
    td.partition_data_.push_back(std::move(pd));
    req.topic_data_.push_back(std::move(td));

    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<ProduceResult, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, leader(topic, partition, d));
        if (options.acks == 0) {
            TRY_VOID(conn->send_only(req, d));
            return ProduceResult{};
        }
        TRY_ASSIGN(auto resp, conn->call<protocol::ProduceResponse>(req, d));
        for (const auto& t : resp.responses_) {
            for (const auto& p : t.partition_responses_) {
                if (t.name_ != topic || p.index_ != partition.value()) {
                    continue;
                }
                if (p.error_code_ != error_code::none) {
                    return fail(partition_error(p.error_code_, p.error_message_, topic, partition));
                }
                return ProduceResult{Offset(p.base_offset_), p.log_append_time_ms_};
            }
        }
        return fail(missing("Produce", topic, partition));
    });
}

Result<ProducerStamp, ClientError> Client::init_producer_id() {
    protocol::InitProducerIdRequest req;
    req.transactional_id_ = std::nullopt;
    req.transaction_timeout_ms_ = -1;
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<ProducerStamp, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::InitProducerIdResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, "InitProducerId"});
        }
        return ProducerStamp{ProducerId(resp.producer_id_), ProducerEpoch(resp.producer_epoch_), 0};
    });
}

Result<FetchResult, ClientError> Client::fetch(const std::string& topic, PartitionId partition,
                                               Offset offset, const FetchOptions& options) {
    protocol::FetchRequest req;
    req.replica_id_ = -1;
    req.max_wait_ms_ = millis_i32(options.max_wait);
    req.min_bytes_ = options.min_bytes;
    req.max_bytes_ = options.max_bytes;
    req.isolation_level_ = 0;
    req.session_id_ = 0;
    req.session_epoch_ = -1;  // no fetch session (KIP-227): a full fetch every time
    protocol::FetchRequest::FetchTopic ft;
    ft.topic_ = topic;
    protocol::FetchRequest::FetchPartition fp;
    fp.partition_ = partition.value();
    fp.fetch_offset_ = offset.value();
    fp.partition_max_bytes_ = options.max_bytes;
    if (options.current_leader_epoch) {
        fp.current_leader_epoch_ = options.current_leader_epoch->value();
    }
    ft.partitions_.push_back(fp);
    req.topics_.push_back(std::move(ft));

    // The broker may hold the request for max_wait: the deadline allows for it.
    const Instant d = deadline() + options.max_wait;
    return with_retries(d, [&]() -> Result<FetchResult, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, leader(topic, partition, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::FetchResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, "fetch from " + tp_name(topic, partition)});
        }
        for (const auto& t : resp.responses_) {
            for (const auto& p : t.partitions_) {
                if (t.topic_ != topic || p.partition_index_ != partition.value()) {
                    continue;
                }
                if (p.error_code_ != error_code::none) {
                    return fail(partition_error(p.error_code_, std::nullopt, topic, partition));
                }
                FetchResult out;
                out.high_watermark = Offset(p.high_watermark_);
                out.log_start_offset = Offset(p.log_start_offset_);
                out.next_offset = offset;
                if (p.records_ && !p.records_->empty()) {
                    TRY_ASSIGN(DecodedRecords dr,
                               decode_records(topic, partition, *p.records_, offset));
                    out.records = std::move(dr.records);
                    out.next_offset = dr.next_offset;
                }
                return out;
            }
        }
        return fail(missing("Fetch", topic, partition));
    });
}

Result<std::optional<Offset>, ClientError> Client::list_offset(const std::string& topic,
                                                               PartitionId partition,
                                                               int64_t timestamp) {
    protocol::ListOffsetsRequest req;
    req.replica_id_ = -1;
    req.isolation_level_ = 0;
    req.timeout_ms_ = millis_i32(options_.request_timeout);
    protocol::ListOffsetsRequest::ListOffsetsTopic lt;
    lt.name_ = topic;
    protocol::ListOffsetsRequest::ListOffsetsPartition lp;
    lp.partition_index_ = partition.value();
    lp.timestamp_ = timestamp;
    lt.partitions_.push_back(lp);
    req.topics_.push_back(std::move(lt));

    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::optional<Offset>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, leader(topic, partition, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::ListOffsetsResponse>(req, d));
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                if (t.name_ != topic || p.partition_index_ != partition.value()) {
                    continue;
                }
                if (p.error_code_ != error_code::none) {
                    return fail(partition_error(p.error_code_, std::nullopt, topic, partition));
                }
                if (p.offset_ < 0) {
                    return std::optional<Offset>{};
                }
                return std::optional<Offset>(Offset(p.offset_));
            }
        }
        return fail(missing("ListOffsets", topic, partition));
    });
}

}  // namespace eddy::client
