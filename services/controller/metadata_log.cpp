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

Result<void, std::string> PartitionMetadataLog::replay(const Apply& apply) {
    Offset at = log_.log_start_offset();
    const auto where = [](Offset o) {
        return "the metadata record at offset " + std::to_string(o.value());
    };
    while (at < log_.log_end_offset()) {
        log::ReadOptions o;
        o.bound = log::ReadBound::log_end;
        auto copy = log_.read_copy(at, o);
        if (!copy.ok()) {
            return fail("the metadata log cannot be read at offset " + std::to_string(at.value()) +
                        ": " + std::string(log::to_string(copy.error())));
        }
        if (copy->batches.empty()) {
            break;
        }
        auto batches = record::split_batches(copy->data);
        if (!batches.ok()) {
            return fail("the metadata batch at offset " + std::to_string(at.value()) +
                        " does not parse");
        }
        for (const auto& batch : *batches) {
            auto recs = record::BatchRecords::open(batch);
            if (!recs.ok()) {
                return fail("the metadata batch at offset " +
                            std::to_string(batch.base_offset().value()) + " does not open");
            }
            auto all = recs->decode_all();
            if (!all.ok()) {
                return fail("the records of the metadata batch at offset " +
                            std::to_string(batch.base_offset().value()) + " do not decode");
            }
            for (const auto& rec : *all) {
                const Offset offset = batch.base_offset() + rec.offset_delta;
                if (!rec.value) {
                    return fail(where(offset) + " has no value");
                }
                auto m = decode_metadata_record(*rec.value);
                if (!m.ok()) {
                    return fail(where(offset) + " does not decode (" +
                                protocol::to_string(m.error()) + ")");
                }
                if (*m) {
                    if (auto why = apply(**m)) {
                        return fail(where(offset) + " is inconsistent: " + *why);
                    }
                }
            }
            at = batch.last_offset() + 1;
        }
    }
    log_.set_high_watermark(log_.log_end_offset());
    return {};
}

}  // namespace eddy::controller
