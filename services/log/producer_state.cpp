// Idempotent producers' state per partition (see producer_state.h).
#include "services/log/producer_state.h"

#include <limits>
#include <vector>

#include "core/protocol/generated/records/producer_snapshot.h"
#include "core/protocol/wire.h"
#include "core/record/crc32c.h"

namespace eddy::log {

namespace {

using protocol::records::ProducerSnapshot;

constexpr int16_t snapshot_version = 1;
// version int16, crc uint32: the CRC covers everything after it.
constexpr size_t snapshot_crc_at = 2;
constexpr size_t snapshot_body_at = 6;

// The sequence after `s` (sequences wrap from INT32_MAX to 0).
int32_t next_sequence(int32_t s) {
    return s == std::numeric_limits<int32_t>::max() ? 0 : s + 1;
}

}  // namespace

int32_t ProducerAppend::last_sequence() const {
    const int64_t last = int64_t{first_sequence} + last_offset_delta;
    const int64_t wrap = int64_t{std::numeric_limits<int32_t>::max()} + 1;
    return static_cast<int32_t>(last % wrap);
}

Result<std::optional<ProducerBatch>, LogError> ProducerStateTable::check(
    const ProducerAppend& a) const {
    const auto it = producers_.find(a.producer_id);
    if (it == producers_.end() || it->second.batches.empty()) {
        // Unknown producer (new, expired, or removed with the head of the log).
        if (a.first_sequence != 0) {
            return fail(LogError::unknown_producer_id);
        }
        return std::optional<ProducerBatch>();
    }
    const ProducerEntry& e = it->second;
    if (a.epoch < e.epoch) {
        return fail(LogError::invalid_producer_epoch);
    }
    if (a.epoch > e.epoch) {
        // A bumped epoch restarts the sequence.
        if (a.first_sequence != 0) {
            return fail(LogError::out_of_order_sequence);
        }
        return std::optional<ProducerBatch>();
    }
    const int32_t last = a.last_sequence();
    for (const ProducerBatch& b : e.batches) {
        if (b.first_sequence == a.first_sequence && b.last_sequence == last) {
            return std::optional<ProducerBatch>(b);  // a retry: answer as the first time
        }
    }
    if (a.first_sequence != next_sequence(e.batches.back().last_sequence)) {
        return fail(LogError::out_of_order_sequence);
    }
    return std::optional<ProducerBatch>();
}

void ProducerStateTable::record(const ProducerAppend& a, Offset first_offset, Offset last_offset,
                                record::TimestampMs timestamp) {
    ProducerEntry& e = producers_[a.producer_id];
    if (a.epoch != e.epoch) {
        e.batches.clear();
        e.epoch = a.epoch;
    }
    ASSERT(first_offset <= last_offset, "a batch's offsets come from the log's append path");
    e.batches.push_back({a.first_sequence, a.last_sequence(), first_offset, last_offset});
    while (e.batches.size() > batches_retained) {
        e.batches.pop_front();
    }
    ASSERT(!e.batches.empty());
    ASSERT(e.batches.size() <= batches_retained);
    ASSERT(e.epoch == a.epoch, "the entry holds the latest batch's epoch");

    if (timestamp > e.last_timestamp) {
        e.last_timestamp = timestamp;
    }
}

void ProducerStateTable::truncate_head(Offset log_start) {
    std::erase_if(producers_, [&](const auto& kv) {
        return kv.second.batches.empty() || kv.second.batches.back().last_offset < log_start;
    });
}

void ProducerStateTable::truncate_tail(Offset log_end) {
    std::erase_if(producers_, [&](const auto& kv) {
        return kv.second.batches.empty() || kv.second.batches.back().last_offset >= log_end;
    });
}

void ProducerStateTable::expire(record::TimestampMs now, int64_t expiration_ms) {
    std::erase_if(producers_, [&](const auto& kv) {
        return kv.second.last_timestamp.value() < now.value() - expiration_ms;
    });
}

Bytes ProducerStateTable::encode_snapshot() const {
    ProducerSnapshot s;
    for (const auto& [id, e] : producers_) {
        if (e.batches.empty()) {
            continue;
        }
        const ProducerBatch& last = e.batches.back();
        ProducerSnapshot::ProducerEntry pe;
        pe.producer_id_ = id.value();
        pe.epoch_ = e.epoch.value();
        pe.last_sequence_ = last.last_sequence;
        pe.last_offset_ = last.last_offset.value();
        pe.offset_delta_ = static_cast<int32_t>(last.last_offset.value() - last.first_offset.value());
        pe.timestamp_ = e.last_timestamp.value();
        pe.coordinator_epoch_ = -1;
        pe.current_txn_first_offset_ = -1;
        s.producer_entries_.push_back(pe);
    }
    Bytes out;
    protocol::Writer w(out);
    w.write_int16(snapshot_version);
    s.encode(w, snapshot_version);
    const uint32_t crc = record::crc32c(ByteSpan(out).subspan(snapshot_body_at));
    store_be<uint32_t>(out.data() + snapshot_crc_at, crc);
    return out;
}

Result<void, LogError> ProducerStateTable::load_snapshot(ByteSpan bytes) {
    if (bytes.size() < snapshot_body_at) {
        return fail(LogError::corrupt_data);
    }
    protocol::Reader r(bytes);
    auto version = r.read_int16();
    if (!version.ok() || *version != snapshot_version) {
        return fail(LogError::corrupt_data);
    }
    auto s = ProducerSnapshot::decode(r, snapshot_version);
    if (!s.ok() || r.remaining() != 0 ||
        s->crc_ != record::crc32c(bytes.subspan(snapshot_body_at))) {
        return fail(LogError::corrupt_data);
    }
    std::map<ProducerId, ProducerEntry> loaded;
    for (const auto& pe : s->producer_entries_) {
        if (pe.producer_id_ < 0 || pe.offset_delta_ < 0 || pe.last_offset_ < pe.offset_delta_) {
            return fail(LogError::corrupt_data);
        }
        ProducerEntry e;
        e.epoch = ProducerEpoch(pe.epoch_);
        e.last_timestamp = record::TimestampMs(pe.timestamp_);
        ProducerAppend a;
        a.last_offset_delta = pe.offset_delta_;
        // The first sequence is last - delta, wrapped back below zero.
        const int64_t wrap = int64_t{std::numeric_limits<int32_t>::max()} + 1;
        a.first_sequence =
            static_cast<int32_t>(((int64_t{pe.last_sequence_} - pe.offset_delta_) % wrap + wrap) % wrap);
        e.batches.push_back({a.first_sequence, pe.last_sequence_,
                             Offset(pe.last_offset_ - pe.offset_delta_), Offset(pe.last_offset_)});
        loaded[ProducerId(pe.producer_id_)] = std::move(e);
    }
    producers_ = std::move(loaded);
    return {};
}

}  // namespace eddy::log
