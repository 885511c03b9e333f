// The names of everything the log keeps on disk, Kafka's layout (DESIGN.md §5):
//
//   <data dir>/recovery-point-offset-checkpoint       per data dir: "topic partition offset" lines
//   <data dir>/log-start-offset-checkpoint            per data dir: same format
//   <data dir>/cleaner-offset-checkpoint              per data dir: same format (compacted logs'
//                                                     first dirty offsets)
//   <data dir>/<topic>-<partition>/                   one directory per partition log
//       00000000000000000000.log                      segment: RecordBatch v2 as produced
//       00000000000000000000.index                    sparse offset index
//       00000000000000000000.timeindex                sparse time index
//       leader-epoch-checkpoint                       "epoch startOffset" lines
//   Transient (crash leftovers, handled on open): *.cleaned and *.swap (compaction), *.tmp
//   (checkpoints being written), <topic>-<partition>.<n>-delete directories (being deleted).
//
// A segment file is named by its base offset in 20 decimal digits, zero-padded, as Kafka does, so
// a bytewise-sorted directory listing is in offset order.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/ids.h"

namespace eddy::log {

struct TopicPartition {
    std::string topic;
    PartitionId partition{0};
    auto operator<=>(const TopicPartition&) const = default;
    // "<topic>-<partition>", Kafka's directory name.
    std::string to_string() const;
};

// Kafka's topic name rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view topic);
// Parses "<topic>-<partition>" (the topic may itself contain '-'); nullopt if it is not one.
std::optional<TopicPartition> parse_partition_dir(std::string_view name);

namespace file_names {
inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";
inline constexpr std::string_view tmp_suffix = ".tmp";
inline constexpr std::string_view snapshot_suffix = ".snapshot";  // producer state at an offset
inline constexpr std::string_view delete_dir_suffix = "-delete";
// A replica directory set aside after its data was found damaged (kept as evidence; the replica
// is rebuilt from the leader in a fresh directory). Never opened as a partition.
inline constexpr std::string_view damaged_dir_suffix = "-damaged";
// In a partition directory: its data was found damaged while the log was open (the reason inside).
inline constexpr std::string_view damaged_marker = "damaged";
inline constexpr std::string_view recovery_point_checkpoint = "recovery-point-offset-checkpoint";
inline constexpr std::string_view log_start_offset_checkpoint = "log-start-offset-checkpoint";
inline constexpr std::string_view cleaner_offset_checkpoint = "cleaner-offset-checkpoint";
// Kafka's name for the high watermarks of a data directory's partitions.
inline constexpr std::string_view high_watermark_checkpoint = "replication-offset-checkpoint";
inline constexpr std::string_view leader_epoch_checkpoint = "leader-epoch-checkpoint";
}  // namespace file_names

// "00000000000000000042" for 42. Precondition: offset >= 0.
std::string offset_file_stem(Offset base_offset);
// The base offset and suffix of a segment file name ("<20 digits><suffix>"); nullopt otherwise.
struct SegmentFileName {
    Offset base_offset;
    std::string suffix;  // ".log", ".index", ".timeindex.swap", ...
};
std::optional<SegmentFileName> parse_segment_file_name(std::string_view name);

// "dir/name", or "name" when dir is empty (the Disk root).
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace eddy::log
