// Writes the seed corpus of tests/fuzz/kafka_request.cpp: well-formed requests for every API the
// broker serves, aimed at the topic the fuzz target creates ("t"). Skipped by default; run
// `eddy_tests -tc='kafka: write fuzz seed corpus' --no-skip` from the source root to regenerate.
#include <doctest/doctest.h>

#include <fstream>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/message_header.h"
#include "core/record/record_batch_builder.h"

using namespace eddy;
using namespace eddy::protocol;

namespace {

template <typename Req>
void write_seed(const std::string& name, const Req& req, int16_t version) {
    RequestHeader h;
    h.request_api_key_ = static_cast<int16_t>(Req::api_key);
    h.request_api_version_ = version;
    h.correlation_id_ = 7;
    h.client_id_ = "seed";
    Bytes out;
    Writer w(out);
    encode_request_header(w, h);
    req.encode(w, version);
    std::ofstream f("tests/fuzz/corpus/kafka_request/" + name, std::ios::binary);
    REQUIRE(f.good());
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
}

}  // namespace

TEST_CASE("kafka: write fuzz seed corpus" * doctest::skip()) {
    write_seed("api_versions_v3", ApiVersionsRequest{}, 3);
    write_seed("api_versions_v0", ApiVersionsRequest{}, 0);
    MetadataRequest md;
    md.topics_ = std::vector<MetadataRequest::MetadataRequestTopic>(2);
    (*md.topics_)[0].name_ = "t";
    (*md.topics_)[1].name_ = "new";
    write_seed("metadata_v1", md, 1);
    write_seed("metadata_v12", md, 12);
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    b.append(record::TimestampMs(5), as_bytes("key"), as_bytes("value"));
    ProduceRequest p;
    p.acks_ = 1;
    p.topic_data_.resize(1);
    p.topic_data_[0].name_ = "t";
    p.topic_data_[0].partition_data_.resize(1);
    p.topic_data_[0].partition_data_[0].index_ = 1;
    p.topic_data_[0].partition_data_[0].records_ = b.build();
    write_seed("produce_v7", p, 7);
    write_seed("produce_v9", p, 9);
    p.acks_ = 0;
    write_seed("produce_v3_acks0", p, 3);
    FetchRequest f;
    f.max_wait_ms_ = 10;
    f.min_bytes_ = 1;
    f.topics_.resize(1);
    f.topics_[0].topic_ = "t";
    f.topics_[0].partitions_.resize(2);
    f.topics_[0].partitions_[0].partition_ = 0;
    f.topics_[0].partitions_[0].partition_max_bytes_ = 1000;
    f.topics_[0].partitions_[1].partition_ = 1;
    f.topics_[0].partitions_[1].partition_max_bytes_ = 1000;
    write_seed("fetch_v4", f, 4);
    write_seed("fetch_v12", f, 12);
    // KIP-227: a full fetch opening a session, and an incremental one in a session that does not
    // exist (the fuzzer's one frame cannot know a session id) forgetting a partition.
    f.session_epoch_ = 0;
    write_seed("fetch_v12_new_session", f, 12);
    f.session_id_ = 12345;
    f.session_epoch_ = 1;
    f.forgotten_topics_data_.resize(1);
    f.forgotten_topics_data_[0].topic_ = "t";
    f.forgotten_topics_data_[0].partitions_ = {1};
    write_seed("fetch_v12_incremental", f, 7);
    ListOffsetsRequest lo;
    lo.topics_.resize(1);
    lo.topics_[0].name_ = "t";
    lo.topics_[0].partitions_.resize(3);
    lo.topics_[0].partitions_[0].timestamp_ = -2;
    lo.topics_[0].partitions_[1].timestamp_ = 1500;
    lo.topics_[0].partitions_[2].timestamp_ = -3;
    write_seed("list_offsets_v1", lo, 1);
    write_seed("list_offsets_v7", lo, 7);
    CreateTopicsRequest ct;
    ct.topics_.resize(1);
    ct.topics_[0].name_ = "c";
    ct.topics_[0].num_partitions_ = 3;
    ct.topics_[0].replication_factor_ = 1;
    ct.topics_[0].configs_.resize(1);
    ct.topics_[0].configs_[0].name_ = "retention.ms";
    ct.topics_[0].configs_[0].value_ = "1000";
    write_seed("create_topics_v7", ct, 7);
    DeleteTopicsRequest dt;
    dt.topic_names_ = {"t"};
    write_seed("delete_topics_v4", dt, 4);
    CreatePartitionsRequest cp;
    cp.topics_.resize(1);
    cp.topics_[0].name_ = "t";
    cp.topics_[0].count_ = 4;
    write_seed("create_partitions_v1", cp, 1);
    DescribeConfigsRequest dc;
    dc.resources_.resize(2);
    dc.resources_[0].resource_type_ = 2;
    dc.resources_[0].resource_name_ = "t";
    dc.resources_[1].resource_type_ = 4;
    dc.resources_[1].resource_name_ = "1";
    dc.include_synonyms_ = true;
    write_seed("describe_configs_v4", dc, 4);
    AlterConfigsRequest ac;
    ac.resources_.resize(1);
    ac.resources_[0].resource_type_ = 2;
    ac.resources_[0].resource_name_ = "t";
    ac.resources_[0].configs_.resize(1);
    ac.resources_[0].configs_[0].name_ = "segment.bytes";
    ac.resources_[0].configs_[0].value_ = "100000";
    write_seed("alter_configs_v1", ac, 1);
    IncrementalAlterConfigsRequest ia;
    ia.resources_.resize(1);
    ia.resources_[0].resource_type_ = 2;
    ia.resources_[0].resource_name_ = "t";
    ia.resources_[0].configs_.resize(1);
    ia.resources_[0].configs_[0].name_ = "cleanup.policy";
    ia.resources_[0].configs_[0].config_operation_ = 2;
    ia.resources_[0].configs_[0].value_ = "compact";
    write_seed("incremental_alter_configs_v1", ia, 1);
    DeleteRecordsRequest dr;
    dr.topics_.resize(1);
    dr.topics_[0].name_ = "t";
    dr.topics_[0].partitions_.resize(1);
    dr.topics_[0].partitions_[0].offset_ = 1;
    write_seed("delete_records_v2", dr, 2);
    write_seed("describe_cluster_v1", DescribeClusterRequest{}, 1);
    DescribeLogDirsRequest dl;
    dl.topics_ = std::nullopt;
    write_seed("describe_log_dirs_v4", dl, 4);
}
