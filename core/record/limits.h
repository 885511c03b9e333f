// Limits for record batches and their codecs. Everything that sizes an allocation from untrusted
// input is bounded by one of these (STYLE.md "limits on everything"; reliability.md §3).
#pragma once

#include <cstddef>
#include <cstdint>

namespace eddy::record::limits {

// Kafka's default `message.max.bytes` / topic `max.message.bytes`.
inline constexpr size_t message_bytes_default = 1048588;

// Decompressed size of one batch's records. The default is twice the default message size
// (reliability.md §3 "Decompressed batch size"); callers with a larger `max.message.bytes` pass a
// larger cap, but never more than `decompressed_bytes_max`.
inline constexpr size_t decompressed_bytes_default = 2 * message_bytes_default;
// Absolute ceiling for any cap. Below 2^31 so that every in-batch position fits an int32, which
// is what the record length varints can express anyway.
inline constexpr size_t decompressed_bytes_max = size_t{1} << 30;
static_assert(decompressed_bytes_default <= decompressed_bytes_max);
static_assert(decompressed_bytes_max < size_t{INT32_MAX});

// Smallest possible record: length, attributes, timestamp delta, offset delta, key length,
// value length and header count, one byte each. Bounds the record count a byte range can hold.
inline constexpr size_t record_bytes_min = 7;

}  // namespace eddy::record::limits
