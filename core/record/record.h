// One record inside a RecordBatch v2 (KIP-98; CLIENTS.md §3), and a reader that decodes the
// plain (uncompressed) records region of a batch.
//
//   length varint                 bytes after this field
//   attributes int8               unused, kept as read
//   timestamp_delta varlong       added to the batch's BaseTimestamp
//   offset_delta varint           added to the batch's BaseOffset
//   key_length varint, key        -1 = null
//   value_length varint, value    -1 = null (a tombstone)
//   header_count varint, then per header: key_length varint (>= 0), key (UTF-8, not checked),
//                                         value_length varint (-1 = null), value
//
// Records and headers are views into the bytes they were read from; they live as long as those.
// RecordReader checks every length against the bytes that remain, and that a record's fields use
// exactly its declared length, before returning it; RecordHeaders iterates headers that were
// already checked, so its iteration cannot fail.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/result.h"
#include "core/record/batch_error.h"
#include "core/record/varint.h"

namespace eddy::record {

struct Header {
    std::string_view key;
    std::optional<ByteSpan> value;
};

// The headers of one record, already validated by RecordReader (or built from trusted bytes).
class RecordHeaders {
public:
    RecordHeaders() = default;
    RecordHeaders(ByteSpan bytes, int32_t count) : bytes_(bytes), count_(count) {}

    int32_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

    class Iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Header;
        using difference_type = std::ptrdiff_t;

        Iterator() = default;
        Iterator(ByteSpan bytes, int32_t left) : reader_(bytes), left_(left) { load(); }
        const Header& operator*() const { return current_; }
        const Header* operator->() const { return &current_; }
        Iterator& operator++() {
            --left_;
            load();
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return left_ == 0; }

    private:
        void load();
        ByteReader reader_{ByteSpan{}};
        int32_t left_ = 0;
        Header current_;
    };

    Iterator begin() const { return Iterator(bytes_, count_); }
    std::default_sentinel_t end() const { return {}; }

private:
    ByteSpan bytes_;
    int32_t count_ = 0;
};

struct Record {
    int8_t attributes = 0;
    int64_t timestamp_delta = 0;
    int32_t offset_delta = 0;
    std::optional<ByteSpan> key;
    std::optional<ByteSpan> value;
    RecordHeaders headers;
};

// Decodes `count` records from a plain records region, one at a time.
class RecordReader {
public:
    RecordReader(ByteSpan records, int32_t count) : reader_(records), left_(count) {}

    // True once `count` records have been returned.
    bool done() const { return left_ == 0; }
    // The next record. Precondition: !done(). Errors: invalid_record.
    Result<Record, BatchError> next();
    // After done(): the region must hold nothing more (invalid_record otherwise).
    Result<void, BatchError> finish() const;

private:
    ByteReader reader_;
    int32_t left_;
};

}  // namespace eddy::record
