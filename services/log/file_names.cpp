// On-disk names. See file_names.h.
#include "services/log/file_names.h"

#include <charconv>

#include "core/base/assert.h"

namespace eddy::log {

namespace {
constexpr size_t offset_digits = 20;
constexpr size_t topic_chars_max = 249;
}  // namespace

std::string TopicPartition::to_string() const {
    return topic + "-" + std::to_string(partition.value());
}

bool valid_topic_name(std::string_view topic) {
    if (topic.empty() || topic.size() > topic_chars_max || topic == "." || topic == "..") {
        return false;
    }
    for (char c : topic) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<TopicPartition> parse_partition_dir(std::string_view name) {
    const size_t dash = name.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) {
        return std::nullopt;
    }
    const std::string_view topic = name.substr(0, dash);
    const std::string_view digits = name.substr(dash + 1);
    int32_t partition = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
    if (ec != std::errc() || end != digits.data() + digits.size() || partition < 0 ||
        !valid_topic_name(topic)) {
        return std::nullopt;
    }
    // Canonical form only ("t-01" is not partition 1's directory).
    if (std::to_string(partition) != digits) {
        return std::nullopt;
    }
    return TopicPartition{std::string(topic), PartitionId(partition)};
}

std::string offset_file_stem(Offset base_offset) {
    ASSERT(base_offset.value() >= 0, "segment base offsets are not negative");
    std::string digits = std::to_string(base_offset.value());
    ASSERT(digits.size() <= offset_digits);
    return std::string(offset_digits - digits.size(), '0') + digits;
}

std::optional<SegmentFileName> parse_segment_file_name(std::string_view name) {
    if (name.size() <= offset_digits) {
        return std::nullopt;
    }
    int64_t base = 0;
    const char* first = name.data();
    auto [end, ec] = std::from_chars(first, first + offset_digits, base);
    if (ec != std::errc() || end != first + offset_digits || base < 0) {
        return std::nullopt;
    }
    const std::string_view suffix = name.substr(offset_digits);
    if (suffix.empty() || suffix[0] != '.') {
        return std::nullopt;
    }
    return SegmentFileName{Offset(base), std::string(suffix)};
}

std::string join_path(std::string_view dir, std::string_view name) {
    if (dir.empty()) {
        return std::string(name);
    }
    std::string out(dir);
    out += '/';
    out += name;
    return out;
}

}  // namespace eddy::log
