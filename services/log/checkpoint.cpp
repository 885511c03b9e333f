// Checkpoint files: stable reads, atomic writes, Kafka's text format. See checkpoint.h.
#include "services/log/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

namespace eddy::log {

LogError from_disk_error(DiskError e) {
    switch (e) {
        case DiskError::no_space:
            return LogError::no_space;
        // Everything else is the disk failing us, whatever errno said.
        case DiskError::not_found:
        case DiskError::already_exists:
        case DiskError::io_error:
        case DiskError::invalid_argument:
            return LogError::io_error;
    }
    return LogError::io_error;
}

void crash_after_failed_sync(Env& env, std::string_view what) {
    env.log.error("sync failed (%.*s): crashing, never retrying", static_cast<int>(what.size()),
                  what.data());
    env.process.crash(what);
    UNREACHABLE("Process::crash returned");
}

namespace {

// Reads out.size() bytes at `offset` until `agreeing` reads returned the same bytes, giving up
// after `attempts` reads.
Result<size_t, LogError> read_agreeing(File& file, uint64_t offset, MutableByteSpan out,
                                       int agreeing, int attempts) {
    ASSERT(agreeing >= 2);
    ASSERT(attempts >= agreeing);
    if (out.empty()) {
        return size_t{0};
    }
    // Reads that agree were all untouched, unless a transient fault flipped the same bit in each
    // of them: it flips a random bit each time, so that is rare, and rarer with every read.
    std::vector<Bytes> seen;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        Bytes scratch(out.size());
        auto n = file.read_at(offset, scratch);
        if (!n.ok()) {
            continue;  // a read error may be transient too
        }
        scratch.resize(*n);
        const auto same = std::count(seen.begin(), seen.end(), scratch);
        if (same + 1 >= agreeing) {
            if (!scratch.empty()) {
                std::memcpy(out.data(), scratch.data(), scratch.size());
            }
            return scratch.size();
        }
        seen.push_back(std::move(scratch));
    }
    return fail(LogError::io_error);
}

}  // namespace

Result<size_t, LogError> read_stable(File& file, uint64_t offset, MutableByteSpan out) {
    return read_agreeing(file, offset, out, 2, limits::stable_read_attempts_max);
}

Result<std::optional<Bytes>, LogError> read_file_stable(Disk& disk, std::string_view path,
                                                        uint64_t bytes_max) {
    auto opened = disk.open(path, OpenMode::read_only);
    if (!opened.ok()) {
        if (opened.error() == DiskError::not_found) {
            return std::optional<Bytes>();
        }
        return fail(from_disk_error(opened.error()));
    }
    auto size = (*opened)->size();
    if (!size.ok()) {
        return fail(from_disk_error(size.error()));
    }
    if (*size > bytes_max) {
        return fail(LogError::corrupt_data);
    }
    Bytes contents(*size);
    TRY_ASSIGN(size_t n, read_agreeing(**opened, 0, contents, limits::reads_agreeing_unchecked,
                                       limits::read_attempts_unchecked_max));
    contents.resize(n);
    return std::optional<Bytes>(std::move(contents));
}

std::string read_failure(std::string_view path, LogError e) {
    return std::string(path) + ": cannot be read (" +
           (e == LogError::corrupt_data ? std::string("too large") : std::string(to_string(e))) +
           ")";
}

Result<std::optional<Bytes>, std::string> read_small_file(Disk& disk, std::string_view path,
                                                          uint64_t bytes_max) {
    auto read = read_file_stable(disk, path, bytes_max);
    if (!read.ok()) {
        return fail(read_failure(path, read.error()));
    }
    return std::move(read).value();
}

Result<void, std::string> replace_small_file(Env& env, std::string_view dir, std::string_view name,
                                             ByteSpan contents) {
    auto r = replace_file(env, dir, name, contents);
    if (!r.ok()) {
        if (r.error() == ReplaceError::sync_failed) {
            crash_after_failed_sync(env, join_path(dir, name));
        }
        return fail(join_path(dir, name) + ": cannot be written (" + to_string(r.error()) + ")");
    }
    return {};
}

const char* to_string(ReplaceError e) {
    switch (e) {
        case ReplaceError::io_error:
            return "io_error";
        case ReplaceError::no_space:
            return "no_space";
        case ReplaceError::sync_failed:
            return "sync_failed";
    }
    return "?";
}

Result<void, ReplaceError> replace_file(Env& env, std::string_view dir, std::string_view name,
                                        ByteSpan contents) {
    ASSERT(!name.empty(), "a file name, not a path");
    ASSERT(name.find('/') == std::string_view::npos, "a file name, not a path");
    const std::string path = join_path(dir, name);
    const std::string tmp = path + std::string(file_names::tmp_suffix);
    const auto disk_failed = [](DiskError e) {
        return e == DiskError::no_space ? ReplaceError::no_space : ReplaceError::io_error;
    };
    {
        auto opened = env.disk.open(tmp, OpenMode::create);
        if (!opened.ok()) {
            return fail(disk_failed(opened.error()));
        }
        File& f = **opened;
        auto r = f.truncate(0);
        if (r.ok()) {
            r = f.write_at(0, contents);
        }
        if (!r.ok()) {
            return fail(disk_failed(r.error()));
        }
        if (!f.sync().ok()) {
            return fail(ReplaceError::sync_failed);
        }
    }
    auto renamed = env.disk.rename(tmp, path);
    if (!renamed.ok()) {
        return fail(disk_failed(renamed.error()));
    }
    if (!env.disk.sync_directory(dir).ok()) {
        return fail(ReplaceError::sync_failed);
    }
    return {};
}

Result<void, LogError> write_file_atomic(Env& env, std::string_view dir, std::string_view name,
                                         ByteSpan contents) {
    ASSERT(contents.size() <= limits::checkpoint_bytes_max, "checkpoints stay small");
    auto r = replace_file(env, dir, name, contents);
    if (r.ok()) {
        return {};
    }
    switch (r.error()) {
        case ReplaceError::sync_failed:
            crash_after_failed_sync(env, join_path(dir, name));
        case ReplaceError::no_space:
            return fail(LogError::no_space);
        case ReplaceError::io_error:
            return fail(LogError::io_error);
    }
    return fail(LogError::io_error);
}

std::string format_offset_checkpoint(const OffsetCheckpoint& entries) {
    std::string out = "0\n" + std::to_string(entries.size()) + "\n";
    for (const auto& [tp, offset] : entries) {
        out += tp.topic;
        out += ' ';
        out += std::to_string(tp.partition.value());
        out += ' ';
        out += std::to_string(offset.value());
        out += '\n';
    }
    return out;
}

std::optional<std::vector<std::string_view>> checkpoint_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        if (nl == std::string_view::npos) {
            return std::nullopt;  // every line ends with '\n'
        }
        lines.push_back(text.substr(0, nl));
        text.remove_prefix(nl + 1);
    }
    if (lines.size() < 2 || lines[0] != "0") {
        return std::nullopt;
    }
    size_t count = 0;
    auto [end, ec] = std::from_chars(lines[1].data(), lines[1].data() + lines[1].size(), count);
    if (ec != std::errc() || end != lines[1].data() + lines[1].size() ||
        count != lines.size() - 2) {
        return std::nullopt;
    }
    lines.erase(lines.begin(), lines.begin() + 2);
    return lines;
}

std::optional<OffsetCheckpoint> parse_offset_checkpoint(std::string_view text) {
    auto lines = checkpoint_lines(text);
    if (!lines) {
        return std::nullopt;
    }
    OffsetCheckpoint out;
    for (std::string_view line : *lines) {
        const size_t a = line.find(' ');
        const size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        if (b == std::string_view::npos) {
            return std::nullopt;
        }
        const std::string_view topic = line.substr(0, a);
        const std::string_view part = line.substr(a + 1, b - a - 1);
        const std::string_view off = line.substr(b + 1);
        int32_t partition = 0;
        int64_t offset = 0;
        auto r1 = std::from_chars(part.data(), part.data() + part.size(), partition);
        auto r2 = std::from_chars(off.data(), off.data() + off.size(), offset);
        if (!valid_topic_name(topic) || r1.ec != std::errc() ||
            r1.ptr != part.data() + part.size() || r2.ec != std::errc() ||
            r2.ptr != off.data() + off.size() || partition < 0 || offset < 0) {
            return std::nullopt;
        }
        out[TopicPartition{std::string(topic), PartitionId(partition)}] = Offset(offset);
    }
    return out;
}

}  // namespace eddy::log
