#include "services/controller/metadata_log.h"

#include "core/record/record_batch_builder.h"

namespace eddy::controller {

const char* to_string(MetadataLogError e) {
    switch (e) {
        case MetadataLogError::storage:
            return "storage";
        case MetadataLogError::corrupt:
            return "corrupt";
    }
    return "?";
}

Result<void, MetadataLogError> PartitionMetadataLog::append(
    const std::vector<MetadataRecord>& records) {
    ASSERT(!records.empty());
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    const record::TimestampMs now(env_.clock.wall_now().to_millis());
    for (const auto& r : records) {
        const Bytes value = encode_metadata_record(r);
        b.append(now, std::nullopt, ByteSpan(value));
    }
    Bytes batch = b.build();
    auto r = log_.append(batch);
    if (!r.ok()) {
        env_.log.error("metadata log append failed: %s",
                       std::string(log::to_string(r.error())).c_str());
        return fail(MetadataLogError::storage);
    }
    log_.set_high_watermark(log_.durable_offset());
    return {};
}

Result<void, MetadataLogError> PartitionMetadataLog::replay(
    const std::function<void(const MetadataRecord&)>& apply) {
    Offset at = log_.log_start_offset();
    while (at < log_.log_end_offset()) {
        log::ReadOptions o;
        o.bound = log::ReadBound::log_end;
        auto copy = log_.read_copy(at, o);
        if (!copy.ok()) {
            env_.log.error("metadata log read failed: %s",
                           std::string(log::to_string(copy.error())).c_str());
            return fail(MetadataLogError::storage);
        }
        if (copy->batches.empty()) {
            break;
        }
        auto batches = record::split_batches(copy->data);
        if (!batches.ok()) {
            return fail(MetadataLogError::corrupt);
        }
        for (const auto& batch : *batches) {
            auto recs = record::BatchRecords::open(batch);
            if (!recs.ok()) {
                return fail(MetadataLogError::corrupt);
            }
            auto all = recs->decode_all();
            if (!all.ok()) {
                return fail(MetadataLogError::corrupt);
            }
            for (const auto& rec : *all) {
                if (!rec.value) {
                    return fail(MetadataLogError::corrupt);
                }
                auto m = decode_metadata_record(*rec.value);
                if (!m.ok()) {
                    return fail(MetadataLogError::corrupt);
                }
                if (*m) {
                    apply(**m);
                }
            }
            at = batch.last_offset() + 1;
        }
    }
    log_.set_high_watermark(log_.log_end_offset());
    return {};
}

}  // namespace eddy::controller
