// The `__consumer_offsets` record formats: Kafka's OffsetCommit and GroupMetadata key/value pairs
// (records/group-coordinator/*.json), byte-exact, so Kafka's own tools can read Eddy's topic.
//
// A record key is an int16 version followed by the key struct; the version says what the record
// is: 0 or 1 = OffsetCommitKey, 2 = GroupMetadataKey, 3+ = KIP-848/share-group records, which this
// coordinator does not use and skips. A value is an int16 version followed by the value struct, or
// null (a tombstone: the offset or the group is deleted; the topic is compacted). The structs and
// their codecs are the generated ones in core/protocol/generated/records/; this file adds the
// version prefixes, the dispatch on the key version and the partitioning rule.
//
// Decoding never trusts its input (the generated Reader checks each length before allocating);
// encoding trusts its caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/protocol/generated/records/group_metadata_key.h"
#include "core/protocol/generated/records/group_metadata_value.h"
#include "core/protocol/generated/records/offset_commit_key.h"
#include "core/protocol/generated/records/offset_commit_value.h"

namespace eddy::group {

namespace rec = eddy::protocol::records;

// One record of the coordinator partition: key bytes and value bytes, no value = tombstone.
struct GroupRecord {
    Bytes key;
    std::optional<Bytes> value;
    bool operator==(const GroupRecord&) const = default;
};

// The versions Eddy writes, as Kafka 3.x does: OffsetCommitKey v1; OffsetCommitValue v3 (v1 only
// when the commit carried an explicit expire timestamp, OffsetCommit v2-4 retention_time_ms);
// GroupMetadataKey v2; GroupMetadataValue v3 (v4 is the flexible form Kafka reads but does not
// write yet).
namespace record_version {
constexpr int16_t offset_commit_key = 1;
constexpr int16_t offset_commit_value = 3;
constexpr int16_t offset_commit_value_with_expiry = 1;
constexpr int16_t group_metadata_key = 2;
constexpr int16_t group_metadata_value = 3;
}  // namespace record_version

enum class RecordError : uint8_t {
    malformed_key,          // the key bytes do not decode
    malformed_value,        // the value bytes do not decode for their version
    unknown_value_version,  // a value version this build does not know
};

const char* to_string(RecordError e);

struct OffsetCommitRecord {
    rec::OffsetCommitKey key;
    std::optional<rec::OffsetCommitValue> value;  // none: tombstone
};
struct GroupMetadataRecord {
    rec::GroupMetadataKey key;
    std::optional<rec::GroupMetadataValue> value;  // none: tombstone
};
// A key version the classic coordinator does not use (KIP-848 consumer groups, share groups).
struct OtherRecord {
    int16_t key_version = 0;
};
using DecodedRecord = std::variant<OffsetCommitRecord, GroupMetadataRecord, OtherRecord>;

GroupRecord make_offset_commit_record(const std::string& group, const std::string& topic,
                                      int32_t partition, const rec::OffsetCommitValue& value,
                                      int16_t value_version);
GroupRecord make_offset_tombstone(const std::string& group, const std::string& topic,
                                  int32_t partition);
GroupRecord make_group_metadata_record(const std::string& group,
                                       const rec::GroupMetadataValue& value, int16_t value_version);
GroupRecord make_group_tombstone(const std::string& group);

// Decodes one record. Trailing bytes after a struct are ignored, as Kafka's readers do.
Result<DecodedRecord, RecordError> decode_record(ByteSpan key, std::optional<ByteSpan> value);

// Java's String.hashCode() of the string Java would decode from these UTF-8 bytes: the hash runs
// over UTF-16 code units (a code point above U+FFFF is two surrogates), and a malformed sequence
// becomes one U+FFFD per maximal subpart, as Java's UTF-8 decoder replaces it.
int32_t java_string_hash(std::string_view utf8);

// The `__consumer_offsets` partition of a group: Utils.abs(hashCode) % partitions, where Kafka's
// Utils.abs maps INT32_MIN to 0 (Math.abs would leave it negative).
int32_t partition_for_group(std::string_view group_id, int32_t num_partitions);

}  // namespace eddy::group
