// Fuzz target: `__consumer_offsets` records (services/group/group_records.h) and the coordinator's
// load() over them, plus the consumer protocol subscription parser.
//
// Input layout: a uint8 key length n, then n key bytes, then a flag byte (odd: a value follows),
// then the value bytes (the rest, up to the next record when several are packed: a uint16 length
// precedes each value). Invariants checked (a failure aborts):
//   * decoding never crashes and never allocates more than the input pays for (the Reader's
//     contract; ASan/UBSan in the fuzz build);
//   * a decoded record re-encodes (at the version Eddy writes) to bytes that decode to the same
//     structs;
//   * load() over any sequence of records either fails cleanly or yields a coordinator whose
//     invariants hold and which answers DescribeGroups/ListGroups/OffsetFetch for every group.
#include "services/group/group_records.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/assert.h"
#include "core/protocol/consumer_protocol.h"
#include "services/group/group_coordinator.h"

using namespace eddy;
using namespace eddy::group;

namespace {

void check_reencode(const DecodedRecord& d) {
    if (const auto* o = std::get_if<OffsetCommitRecord>(&d)) {
        GroupRecord r =
            o->value ? make_offset_commit_record(o->key.group_, o->key.topic_, o->key.partition_,
                                                 *o->value, 3)
                     : make_offset_tombstone(o->key.group_, o->key.topic_, o->key.partition_);
        std::optional<ByteSpan> v;
        if (r.value) {
            v = ByteSpan(*r.value);
        }
        auto again = decode_record(r.key, v);
        ASSERT(again.ok());
        const auto& o2 = std::get<OffsetCommitRecord>(*again);
        ASSERT(o2.key == o->key);
        ASSERT(o2.value.has_value() == o->value.has_value());
        if (o->value) {
            // v3 drops the v1-only expire timestamp; everything else must survive.
            ASSERT(o2.value->offset_ == o->value->offset_);
            ASSERT(o2.value->metadata_ == o->value->metadata_);
            ASSERT(o2.value->commit_timestamp_ == o->value->commit_timestamp_);
        }
    } else if (const auto* g = std::get_if<GroupMetadataRecord>(&d)) {
        if (!g->value) {
            return;
        }
        for (int16_t version : {int16_t{3}, int16_t{4}}) {
            GroupRecord r = make_group_metadata_record(g->key.group_, *g->value, version);
            auto again = decode_record(r.key, ByteSpan(*r.value));
            ASSERT(again.ok());
            ASSERT(std::get<GroupMetadataRecord>(*again).value == g->value);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto* p = reinterpret_cast<const std::byte*>(data);
    const std::byte* end = p + size;
    std::vector<GroupRecord> records;
    while (p < end && records.size() < 64) {
        const auto key_len_declared = static_cast<size_t>(*p);
        ++p;
        const size_t key_len = std::min(key_len_declared, static_cast<size_t>(end - p));
        GroupRecord r;
        r.key.assign(p, p + key_len);
        p += key_len;
        if (p < end && (static_cast<uint8_t>(*p++) & 1) != 0) {
            size_t value_len = static_cast<size_t>(end - p);
            if (value_len >= 2) {
                const size_t declared = load_be<uint16_t>(p);
                p += 2;
                value_len = std::min(declared, static_cast<size_t>(end - p));
            }
            r.value = Bytes(p, p + value_len);
            p += value_len;
        }
        std::optional<ByteSpan> v;
        if (r.value) {
            v = ByteSpan(*r.value);
            (void)protocol::parse_subscribed_topics(*v);
            (void)protocol::parse_assignment(*v);
        }
        auto d = decode_record(r.key, v);
        if (d.ok()) {
            check_reencode(*d);
        }
        records.push_back(std::move(r));
    }
    const Now now{Instant::from_nanos(1'000'000'000), WallTime::from_millis(1'700'000'000'000)};
    auto loaded = GroupCoordinator::load(GroupConfig{}, records, now);
    if (loaded.ok()) {
        loaded->check_invariants();
        protocol::DescribeGroupsRequest describe;
        for (const auto& [id, g] : loaded->groups()) {
            describe.groups_.push_back(id);
            protocol::OffsetFetchRequest fetch;
            fetch.group_id_ = id;
            fetch.topics_ = std::nullopt;
            (void)loaded->offset_fetch(fetch, 7);
        }
        (void)loaded->describe_groups(describe, 5);
        (void)loaded->list_groups(protocol::ListGroupsRequest{}, 5);
        Effects fx;
        loaded->tick(Now{now.mono + Duration::hours(1), now.wall + Duration::hours(24 * 8)}, fx);
    }
    return 0;
}
