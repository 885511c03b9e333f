// The `__consumer_offsets` record codecs and the group partitioning rule (see group_records.h).
#include "services/group/group_records.h"

#include <limits>

#include "core/base/assert.h"
#include "core/protocol/wire.h"

namespace eddy::group {

namespace {

using protocol::Reader;
using protocol::Writer;

template <typename T>
Bytes encode_versioned(const T& m, int16_t version) {
    ASSERT(version >= T::min_version);
    ASSERT(version <= T::max_version);
    Bytes out;
    Writer w(out);
    w.write_int16(version);
    m.encode(w, version);
    return out;
}

Bytes offset_key(const std::string& group, const std::string& topic, int32_t partition) {
    rec::OffsetCommitKey k;
    k.group_ = group;
    k.topic_ = topic;
    k.partition_ = partition;
    return encode_versioned(k, record_version::offset_commit_key);
}

Bytes group_key(const std::string& group) {
    rec::GroupMetadataKey k;
    k.group_ = group;
    return encode_versioned(k, record_version::group_metadata_key);
}

// Decodes "int16 version + T" where the version must lie in T's valid range.
template <typename T>
Result<T, RecordError> decode_value(ByteSpan bytes) {
    Reader r(bytes);
    auto version = r.read_int16();
    if (!version.ok()) {
        return fail(RecordError::malformed_value);
    }
    if (*version < T::min_version || *version > T::max_version) {
        return fail(RecordError::unknown_value_version);
    }
    auto m = T::decode(r, *version);
    if (!m.ok()) {
        return fail(RecordError::malformed_value);
    }
    return std::move(m).value();
}

}  // namespace

const char* to_string(RecordError e) {
    switch (e) {
        case RecordError::malformed_key:
            return "malformed_key";
        case RecordError::malformed_value:
            return "malformed_value";
        case RecordError::unknown_value_version:
            return "unknown_value_version";
    }
    return "?";
}

GroupRecord make_offset_commit_record(const std::string& group, const std::string& topic,
                                      int32_t partition, const rec::OffsetCommitValue& value,
                                      int16_t value_version) {
    return GroupRecord{offset_key(group, topic, partition), encode_versioned(value, value_version)};
}

GroupRecord make_offset_tombstone(const std::string& group, const std::string& topic,
                                  int32_t partition) {
    return GroupRecord{offset_key(group, topic, partition), std::nullopt};
}

GroupRecord make_group_metadata_record(const std::string& group,
                                       const rec::GroupMetadataValue& value,
                                       int16_t value_version) {
    return GroupRecord{group_key(group), encode_versioned(value, value_version)};
}

GroupRecord make_group_tombstone(const std::string& group) {
    return GroupRecord{group_key(group), std::nullopt};
}

Result<DecodedRecord, RecordError> decode_record(ByteSpan key, std::optional<ByteSpan> value) {
    Reader r(key);
    auto version = r.read_int16();
    if (!version.ok()) {
        return fail(RecordError::malformed_key);
    }
    if (*version == 0 || *version == 1) {
        auto k = rec::OffsetCommitKey::decode(r, *version);
        if (!k.ok()) {
            return fail(RecordError::malformed_key);
        }
        OffsetCommitRecord out{std::move(k).value(), std::nullopt};
        if (value) {
            TRY_ASSIGN(out.value, decode_value<rec::OffsetCommitValue>(*value));
        }
        return DecodedRecord(std::move(out));
    }
    if (*version == 2) {
        auto k = rec::GroupMetadataKey::decode(r, *version);
        if (!k.ok()) {
            return fail(RecordError::malformed_key);
        }
        GroupMetadataRecord out{std::move(k).value(), std::nullopt};
        if (value) {
            TRY_ASSIGN(out.value, decode_value<rec::GroupMetadataValue>(*value));
        }
        return DecodedRecord(std::move(out));
    }
    if (*version < 0) {
        return fail(RecordError::malformed_key);
    }
    return DecodedRecord(OtherRecord{*version});
}

int32_t java_string_hash(std::string_view utf8) {
    uint32_t h = 0;  // unsigned: Java's int arithmetic wraps, C++'s signed arithmetic may not
    const auto unit = [&h](uint32_t u) { h = h * 31u + u; };
    const auto byte = [&utf8](size_t i) { return static_cast<uint8_t>(utf8[i]); };
    const auto is_cont = [](uint8_t b) { return (b & 0xC0u) == 0x80u; };
    size_t i = 0;
    while (i < utf8.size()) {
        const uint8_t b0 = byte(i);
        if (b0 < 0x80) {
            unit(b0);
            ++i;
            continue;
        }
        // The expected length and the valid range of the second byte (Unicode table 3-7).
        size_t len = 0;
        uint8_t lo = 0x80;
        uint8_t hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            lo = b0 == 0xE0 ? 0xA0 : 0x80;
            hi = b0 == 0xED ? 0x9F : 0xBF;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            lo = b0 == 0xF0 ? 0x90 : 0x80;
            hi = b0 == 0xF4 ? 0x8F : 0xBF;
        }
        if (len == 0) {  // 80..C1, F5..FF: never a lead byte
            unit(0xFFFD);
            ++i;
            continue;
        }
        // The maximal subpart: as many bytes as form a valid prefix of a sequence.
        size_t n = 1;
        while (n < len && i + n < utf8.size()) {
            const uint8_t b = byte(i + n);
            const bool ok = n == 1 ? (b >= lo && b <= hi) : is_cont(b);
            if (!ok) {
                break;
            }
            ++n;
        }
        if (n < len) {
            unit(0xFFFD);
            i += n;
            continue;
        }
        uint32_t cp = b0 & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
        for (size_t k = 1; k < len; ++k) {
            cp = (cp << 6) | (byte(i + k) & 0x3Fu);
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FFu));
        } else {
            unit(cp);
        }
        i += len;
    }
    return static_cast<int32_t>(h);
}

int32_t partition_for_group(std::string_view group_id, int32_t num_partitions) {
    ASSERT(num_partitions > 0);
    const int32_t h = java_string_hash(group_id);
    const int32_t abs = h == std::numeric_limits<int32_t>::min() ? 0 : (h < 0 ? -h : h);
    return abs % num_partitions;
}

}  // namespace eddy::group
