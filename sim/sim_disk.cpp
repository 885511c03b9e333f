#include "sim/sim_disk.h"

#include <algorithm>
#include <utility>

#include "core/base/assert.h"

namespace eddy::sim {

// A handle on one file. It names the inode, not the path (renames and removes do not affect it),
// and the crash epoch it was opened in: after a crash it is stale and every call fails.
class SimFile final : public File {
public:
    SimFile(SimDisk& disk, uint64_t id, SimDisk::Inode inode, uint64_t epoch, bool writable,
            std::string path)
        : disk_(&disk),
          id_(id),
          inode_(inode),
          epoch_(epoch),
          writable_(writable),
          path_(std::move(path)) {}
    ~SimFile() override {
        if (disk_ != nullptr) {
            disk_->file_closed(*this);
        }
    }
    SimFile(const SimFile&) = delete;
    SimFile& operator=(const SimFile&) = delete;

    Result<size_t, DiskError> read_at(uint64_t offset, MutableByteSpan buf) override {
        if (disk_ == nullptr) {
            return fail(DiskError::io_error);
        }
        return disk_->file_read(*this, offset, buf);
    }
    Result<void, DiskError> write_at(uint64_t offset, ByteSpan data) override {
        if (disk_ == nullptr) {
            return fail(DiskError::io_error);
        }
        return disk_->file_write(*this, offset, data);
    }
    Result<void, DiskError> sync() override {
        if (disk_ == nullptr) {
            return fail(DiskError::io_error);
        }
        return disk_->file_sync(*this);
    }
    Result<void, DiskError> truncate(uint64_t size) override {
        if (disk_ == nullptr) {
            return fail(DiskError::io_error);
        }
        return disk_->file_truncate(*this, size);
    }
    Result<uint64_t, DiskError> size() override {
        if (disk_ == nullptr) {
            return fail(DiskError::io_error);
        }
        return disk_->file_size(*this);
    }

private:
    friend class SimDisk;
    SimDisk* disk_;  // null once the disk is gone
    uint64_t id_;
    SimDisk::Inode inode_;
    uint64_t epoch_;
    bool writable_;
    std::string path_;  // as opened, for traces
};

namespace {

// Splits a path into its components. "" and "." are the root (no components). nullopt if
// malformed: absolute, an empty, "." or ".." component, or a NUL byte.
std::optional<std::vector<std::string_view>> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    if (path.empty() || path == ".") {
        return parts;
    }
    size_t start = 0;
    while (true) {
        const size_t slash = path.find('/', start);
        const std::string_view part = path.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty() || part == "." || part == ".." ||
            part.find('\0') != std::string_view::npos) {
            return std::nullopt;
        }
        parts.push_back(part);
        if (slash == std::string_view::npos) {
            return parts;
        }
        start = slash + 1;
    }
}

bool valid_entry_path(std::string_view path) {
    auto parts = split_path(path);
    return parts && !parts->empty();
}

bool valid_directory_path(std::string_view path) { return split_path(path).has_value(); }

// Undoes one pending op on the image it left: back to the size before it, with the bytes it
// replaced (overwrote, or cut off) where they were.
void undo_op(FileImage& image, uint64_t size_before, uint64_t offset, ByteSpan replaced) {
    image.resize(size_before);
    if (!replaced.empty()) {  // else `offset` may lie past the end
        image.write(offset, replaced);
    }
}

}  // namespace

const char* SimDisk::kind_name(MetaKind kind) {
    switch (kind) {
        case MetaKind::link_file:
            return "link_file";
        case MetaKind::link_directory:
            return "link_directory";
        case MetaKind::unlink:
            return "unlink";
        case MetaKind::rename:
            return "rename";
    }
    UNREACHABLE("namespace op kind");
}

// --- Construction, faults ---------------------------------------------------------------------

SimDisk::SimDisk(FiberExecutor& executor, Random random, Tracer& tracer, DiskFaults faults)
    : executor_(executor), random_(random), tracer_(tracer) {
    set_faults(faults);
    live_.emplace(root_inode, Entries{});
    base_.emplace(root_inode, Entries{});
}

SimDisk::~SimDisk() {
    for (auto& [id, handle] : handles_) {
        (void)id;
        handle->disk_ = nullptr;
    }
}

void SimDisk::set_faults(const DiskFaults& faults) {
    ASSERT(faults.latency_min >= Duration::zero() && faults.latency_min <= faults.latency_max,
           "disk latency bounds");
    ASSERT(faults.slow_latency >= Duration::zero());
    ASSERT(faults.sync_latency >= Duration::zero());
    for (double p : {faults.read_bit_flip_p, faults.read_error_p, faults.write_error_p,
                     faults.sync_error_p, faults.slow_p, faults.crash_keep_unsynced_p,
                     faults.crash_lose_unsynced_p, faults.crash_tear_p}) {
        ASSERT(p >= 0 && p <= 1, "a probability");
    }
    ASSERT(faults.crash_keep_unsynced_p + faults.crash_lose_unsynced_p <= 1 + 1e-9,
           "crash_keep_unsynced_p + crash_lose_unsynced_p <= 1");
    faults_ = faults;
}

std::optional<std::string> SimDisk::rot_at_rest(
    const std::function<bool(std::string_view path)>& eligible) {
    const auto names = paths();
    std::vector<std::pair<Inode, const std::string*>> candidates;
    for (const auto& [inode, path] : names) {
        auto it = files_.find(inode);
        if (it != files_.end() && it->second.pending.empty() && !it->second.current.empty() &&
            it->second.links > 0 && (!eligible || eligible(path))) {
            candidates.emplace_back(inode, &path);
        }
    }
    if (candidates.empty()) {
        return std::nullopt;
    }
    const auto& pick = candidates[random_.below(candidates.size())];
    FileData& d = files_.at(pick.first);  // no pending op: what reads see is what is durable
    const uint64_t offset = random_.below(d.current.size());
    const auto bit = static_cast<std::byte>(1U << random_.below(8));
    d.current.at(offset) ^= bit;
    tracer_.event("disk.bit_rot", {{"path", *pick.second},
                                   {"offset", offset},
                                   {"bit", std::to_integer<int64_t>(bit)}});
    return *pick.second;
}

bool SimDisk::draw(double p) { return p > 0 && random_.chance(p); }

void SimDisk::delay(std::string_view op, std::string_view path, Duration extra) {
    if (StepHash* h = executor_.step_hash(); h != nullptr) {  // the determinism hash
        h->event(StepKind::disk_op, stable_hash(op), stable_hash(path), 0, op, path);
    }
    Duration d = extra;  // sync_latency: added to the drawn latency, never instead of it
    if (faults_.latency_max > Duration::zero()) {
        d += random_.duration_between(faults_.latency_min, faults_.latency_max);
    }
    if (draw(faults_.slow_p)) {
        d += faults_.slow_latency;
        tracer_.event("disk.slow", {{"op", op}, {"path", path}, {"latency_ns", d.to_nanos()}});
    }
    if (d <= Duration::zero()) {
        return;
    }
    ASSERT(executor_.in_fiber(), "a disk operation with latency needs a fiber");
    const Instant deadline = executor_.now() + d;
    // Not cancellable: a disk request in flight completes whatever the caller wants.
    while (executor_.now() < deadline) {
        (void)executor_.park(deadline, /*cancellable=*/false);
    }
}

bool SimDisk::stale(const SimFile& f) const { return f.disk_ == nullptr || f.epoch_ != epoch_; }

// --- Files ------------------------------------------------------------------------------------

Result<size_t, DiskError> SimDisk::file_read(SimFile& f, uint64_t offset, MutableByteSpan buf) {
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    delay("read", f.path_);
    if (stale(f)) {  // crashed while the request was in flight
        return fail(DiskError::io_error);
    }
    const FileData& d = files_.at(f.inode_);
    if (d.poisoned) {
        return fail(DiskError::io_error);
    }
    if (draw(faults_.read_error_p)) {
        tracer_.event("disk.read_error",
                      {{"path", f.path_}, {"offset", offset}, {"length", buf.size()}});
        return fail(DiskError::io_error);
    }
    size_t n = 0;
    if (offset < d.current.size() && !buf.empty()) {
        n = static_cast<size_t>(std::min<uint64_t>(buf.size(), d.current.size() - offset));
        d.current.read(offset, buf.first(n));
    }
    if (n > 0 && draw(faults_.read_bit_flip_p)) {
        const uint64_t bit = random_.below(uint64_t{n} * 8);
        buf[bit / 8] ^= static_cast<std::byte>(1U << (bit % 8));
        tracer_.event("disk.bit_flip",
                      {{"path", f.path_}, {"offset", offset + bit / 8}, {"bit", bit % 8}});
    }
    return n;
}

Result<void, DiskError> SimDisk::check_growth(const FileData& d, uint64_t new_size,
                                              std::string_view path) {
    if (new_size <= d.current.size()) {
        return {};
    }
    ASSERT(charge(d) == d.current.size(), "a file written through a handle is accounted");
    const uint64_t growth = new_size - d.current.size();
    const uint64_t capacity = faults_.capacity_bytes;
    if (used_ > capacity || growth > capacity - used_) {
        tracer_.event("disk.no_space", {{"path", path}, {"used", used_}, {"growth", growth}});
        return fail(DiskError::no_space);
    }
    return {};
}

// A write of `data` at `offset`, or a truncate to `offset`, with what undoes it.
void SimDisk::apply_pending(FileData& d, bool truncate, uint64_t offset, ByteSpan data) {
    const uint64_t before = charge(d);
    PendingOp op;
    op.seq = next_seq_++;
    op.truncate = truncate;
    op.offset = offset;
    op.length = data.size();
    op.size_before = d.current.size();
    const uint64_t replaced_end =
        op.truncate ? op.size_before : std::min(op.offset + op.length, op.size_before);
    if (op.offset < replaced_end) {
        op.replaced = d.current.copy(op.offset, replaced_end - op.offset);
    }
    if (truncate) {
        d.current.resize(offset);
    } else {
        d.current.write(offset, data);
    }
    d.pending.push_back(std::move(op));
    used_ = used_ - before + charge(d);
}

Bytes SimDisk::durable_bytes(const FileData& d) {
    FileImage image = d.current;
    for (auto it = d.pending.rbegin(); it != d.pending.rend(); ++it) {
        undo_op(image, it->size_before, it->offset, it->replaced);
    }
    return image.bytes();
}

Result<void, DiskError> SimDisk::file_write(SimFile& f, uint64_t offset, ByteSpan data) {
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    if (!f.writable_ || offset > limits::disk_file_bytes_max ||
        data.size() > limits::disk_file_bytes_max - offset) {
        return fail(DiskError::invalid_argument);
    }
    delay("write", f.path_);
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    FileData& d = files_.at(f.inode_);
    if (d.poisoned) {
        return fail(DiskError::io_error);
    }
    if (draw(faults_.write_error_p)) {
        tracer_.event("disk.write_error",
                      {{"path", f.path_}, {"offset", offset}, {"length", data.size()}});
        return fail(DiskError::io_error);
    }
    if (data.empty()) {
        return {};
    }
    TRY_VOID(check_growth(d, std::max<uint64_t>(d.current.size(), offset + data.size()), f.path_));
    apply_pending(d, false, offset, data);
    return {};
}

Result<void, DiskError> SimDisk::file_truncate(SimFile& f, uint64_t size) {
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    if (!f.writable_ || size > limits::disk_file_bytes_max) {
        return fail(DiskError::invalid_argument);
    }
    delay("truncate", f.path_);
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    FileData& d = files_.at(f.inode_);
    if (d.poisoned) {
        return fail(DiskError::io_error);
    }
    if (draw(faults_.write_error_p)) {
        tracer_.event("disk.write_error", {{"path", f.path_}, {"truncate", size}});
        return fail(DiskError::io_error);
    }
    TRY_VOID(check_growth(d, size, f.path_));
    apply_pending(d, true, size, {});
    return {};
}

Result<void, DiskError> SimDisk::file_sync(SimFile& f) {
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    // Every op that completed before this call has a smaller sequence number.
    const uint64_t covered = next_seq_;
    delay("sync", f.path_, faults_.sync_latency);
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    FileData& d = files_.at(f.inode_);
    if (d.poisoned) {
        return fail(DiskError::io_error);
    }
    if (draw(faults_.sync_error_p)) {
        // fsyncgate: the error is reported once and the dirty pages' fate is unknown. The node
        // must crash; until it does, the file answers io_error. Its pending ops stay pending, so
        // the crash model decides what survives.
        d.poisoned = true;
        tracer_.event("disk.sync_error", {{"path", f.path_}, {"pending", d.pending.size()}});
        return fail(DiskError::io_error);
    }
    // The covered ops become durable: nothing will undo them.
    size_t folded = 0;
    while (folded < d.pending.size() && d.pending[folded].seq < covered) {
        ++folded;
    }
    d.pending.erase(d.pending.begin(), d.pending.begin() + static_cast<std::ptrdiff_t>(folded));
    return {};
}

Result<uint64_t, DiskError> SimDisk::file_size(SimFile& f) {
    // An inode attribute in memory: no latency, no faults.
    if (stale(f)) {
        return fail(DiskError::io_error);
    }
    const FileData& d = files_.at(f.inode_);
    if (d.poisoned) {
        return fail(DiskError::io_error);
    }
    return uint64_t{d.current.size()};
}

void SimDisk::file_closed(SimFile& f) {
    handles_.erase(f.id_);
    if (f.epoch_ != epoch_) {
        return;  // stale: the crash already dropped its count
    }
    FileData& d = files_.at(f.inode_);
    ASSERT(d.handles > 0);
    const uint64_t before = charge(d);
    --d.handles;
    used_ = used_ - before + charge(d);
    if (d.links == 0 && d.handles == 0) {
        unlinked_.insert(f.inode_);
    }
}

// --- Namespace: lookups -----------------------------------------------------------------------

Result<SimDisk::Resolved, DiskError> SimDisk::resolve(const Namespace& ns,
                                                      std::string_view path) const {
    auto parts = split_path(path);
    if (!parts || parts->empty()) {
        return fail(DiskError::invalid_argument);
    }
    Inode dir = root_inode;
    for (size_t i = 0; i + 1 < parts->size(); ++i) {
        const Entries& entries = ns.at(dir);
        auto it = entries.find((*parts)[i]);
        if (it == entries.end() || !ns.contains(it->second)) {
            return fail(DiskError::not_found);  // missing, or a file where a directory should be
        }
        dir = it->second;
    }
    Resolved r{dir, std::string(parts->back()), std::nullopt};
    const Entries& entries = ns.at(dir);
    if (auto it = entries.find(r.name); it != entries.end()) {
        r.child = it->second;
    }
    return r;
}

Result<SimDisk::Inode, DiskError> SimDisk::resolve_directory(std::string_view dir) const {
    auto parts = split_path(dir);
    if (!parts) {
        return fail(DiskError::invalid_argument);
    }
    if (parts->empty()) {
        return root_inode;
    }
    TRY_ASSIGN(Resolved r, resolve(live_, dir));
    if (!r.child) {
        return fail(DiskError::not_found);
    }
    if (!live_.contains(*r.child)) {
        return fail(DiskError::invalid_argument);  // a file
    }
    return *r.child;
}

bool SimDisk::contains_directory(const Namespace& ns, Inode top, Inode dir) {
    std::vector<Inode> stack{top};
    while (!stack.empty()) {
        const Inode d = stack.back();
        stack.pop_back();
        if (d == dir) {
            return true;
        }
        for (const auto& [name, child] : ns.at(d)) {
            (void)name;
            if (ns.contains(child)) {
                stack.push_back(child);
            }
        }
    }
    return false;
}

std::map<SimDisk::Inode, std::string> SimDisk::paths() const {
    std::map<Inode, std::string> out;
    std::vector<std::pair<Inode, std::string>> stack{{root_inode, ""}};
    while (!stack.empty()) {
        auto [dir, prefix] = std::move(stack.back());
        stack.pop_back();
        for (const auto& [name, child] : live_.at(dir)) {
            std::string path = prefix.empty() ? name : prefix + "/" + name;
            if (live_.contains(child)) {
                stack.emplace_back(child, path);
            }
            out.emplace(child, std::move(path));
        }
        out.emplace(dir, prefix);
    }
    return out;
}

// --- Namespace: the journal -------------------------------------------------------------------

// Applies a namespace op if its preconditions hold in `ns`; false (and no change) if not. Live
// ops are validated before they get here; a crash replay skips ops that fail.
bool SimDisk::apply(Namespace& ns, const MetaOp& op) {
    auto pit = ns.find(op.parent);
    if (pit == ns.end()) {
        return false;
    }
    Entries& entries = pit->second;
    switch (op.kind) {
        case MetaKind::link_file:
        case MetaKind::link_directory: {
            if (entries.contains(op.name) || ns.contains(op.child)) {
                return false;
            }
            entries.emplace(op.name, op.child);
            if (op.kind == MetaKind::link_directory) {
                ns.emplace(op.child, Entries{});
            }
            return true;
        }
        case MetaKind::unlink: {
            auto it = entries.find(op.name);
            if (it == entries.end() || it->second != op.child) {
                return false;
            }
            if (auto dit = ns.find(op.child); dit != ns.end()) {
                if (!dit->second.empty()) {
                    return false;
                }
                ns.erase(dit);
            }
            entries.erase(it);
            return true;
        }
        case MetaKind::rename: {
            auto it = entries.find(op.name);
            auto tit = ns.find(op.to_parent);
            if (it == entries.end() || it->second != op.child || tit == ns.end()) {
                return false;
            }
            if (op.parent == op.to_parent && op.name == op.to_name) {
                return true;
            }
            const bool is_directory = ns.contains(op.child);
            if (is_directory && contains_directory(ns, op.child, op.to_parent)) {
                return false;  // into its own subtree
            }
            Entries& target = tit->second;
            auto existing = target.find(op.to_name);
            if (existing != target.end()) {
                auto edir = ns.find(existing->second);
                if (is_directory != (edir != ns.end())) {
                    return false;
                }
                if (is_directory) {
                    if (!edir->second.empty()) {
                        return false;
                    }
                    ns.erase(edir);  // neither entries' map: it is an empty directory
                }
                existing->second = op.child;
            } else {
                target.emplace(op.to_name, op.child);
            }
            entries.erase(it);  // still valid: only other nodes were inserted or erased
            return true;
        }
    }
    UNREACHABLE("namespace op kind");
}

void SimDisk::adjust_links(Inode file, int delta) {
    FileData& d = files_.at(file);
    const uint64_t before = charge(d);
    if (delta > 0) {
        ++d.links;
    } else {
        ASSERT(d.links > 0);
        --d.links;
    }
    used_ = used_ - before + charge(d);
    if (d.links == 0 && d.handles == 0) {
        unlinked_.insert(file);
    }
}

SimDisk::MetaOp SimDisk::entry_op(MetaKind kind, Inode parent, std::string name, Inode child) {
    MetaOp op;
    op.kind = kind;
    op.parent = parent;
    op.name = std::move(name);
    op.child = child;
    return op;
}

// Applies a validated op to the live namespace and appends it to the journal.
void SimDisk::journal(MetaOp op) {
    op.seq = next_seq_++;
    std::optional<Inode> added;
    std::optional<Inode> dropped;  // a file losing its entry
    switch (op.kind) {
        case MetaKind::link_file:
            added = op.child;
            break;
        case MetaKind::link_directory:
            break;
        case MetaKind::unlink:
            if (!live_.contains(op.child)) {
                dropped = op.child;
            }
            break;
        case MetaKind::rename: {
            const Entries& target = live_.at(op.to_parent);
            if (auto it = target.find(op.to_name); it != target.end() && it->second != op.child) {
                if (live_.contains(it->second)) {
                    op.replaced_directory = it->second;
                } else {
                    dropped = it->second;
                }
            }
            break;
        }
    }
    const bool ok = apply(live_, op);
    ASSERT(ok, "a validated namespace op applies to the live namespace");
    if (added) {
        adjust_links(*added, +1);
    }
    if (dropped) {
        adjust_links(*dropped, -1);
    }
    undurable_[op.parent].push_back(op.seq);
    if (op.kind == MetaKind::rename && op.to_parent != op.parent) {
        undurable_[op.to_parent].push_back(op.seq);
    }
    journal_.emplace(op.seq, std::move(op));
}

// Marks the journal ops touching `dir` with a sequence number below `seq_below` durable for it.
// An op that durably removes a directory also makes the earlier ops inside that directory
// durable: they emptied it, and a file system orders them before the removal.
void SimDisk::mark_durable(Inode dir, uint64_t seq_below) {
    auto qit = undurable_.find(dir);
    if (qit == undurable_.end()) {
        return;
    }
    std::vector<std::pair<Inode, uint64_t>> removed_directories;
    std::deque<uint64_t>& queue = qit->second;
    while (!queue.empty() && queue.front() < seq_below) {
        auto jit = journal_.find(queue.front());
        queue.pop_front();
        if (jit == journal_.end() || jit->second.durable) {
            continue;  // a rename made durable through its other directory (maybe compacted)
        }
        MetaOp& op = jit->second;
        op.durable = true;
        if (op.kind == MetaKind::unlink) {
            removed_directories.emplace_back(op.child, op.seq);
        } else if (op.kind == MetaKind::rename && op.replaced_directory) {
            removed_directories.emplace_back(*op.replaced_directory, op.seq);
        }
    }
    if (queue.empty()) {
        undurable_.erase(qit);
    }
    for (const auto& [removed, seq] : removed_directories) {
        mark_durable(removed, seq);  // no queue for a file: a no-op
    }
}

// Folds the journal's fully durable prefix into the durable base namespace.
void SimDisk::compact() {
    while (!journal_.empty() && journal_.begin()->second.durable) {
        const bool ok = apply(base_, journal_.begin()->second);
        ASSERT(ok, "a durable journal prefix replays exactly as it ran");
        journal_.erase(journal_.begin());
    }
}

// Frees files that nothing can reach any more: no live entry, no handle, and no entry in the
// durable base or the journal that a crash could bring back.
void SimDisk::collect_garbage() {
    if (unlinked_.empty()) {
        return;
    }
    std::set<Inode> referenced;
    for (const auto& [dir, entries] : base_) {
        (void)dir;
        for (const auto& [name, child] : entries) {
            (void)name;
            referenced.insert(child);
        }
    }
    for (const auto& [seq, op] : journal_) {
        (void)seq;
        referenced.insert(op.child);
    }
    for (auto it = unlinked_.begin(); it != unlinked_.end();) {
        auto fit = files_.find(*it);
        if (fit == files_.end()) {
            it = unlinked_.erase(it);
            continue;
        }
        const FileData& d = fit->second;
        if (d.links > 0 || d.handles > 0) {
            it = unlinked_.erase(it);  // linked or opened again
        } else if (!referenced.contains(*it)) {
            ASSERT(charge(d) == 0);
            files_.erase(fit);
            it = unlinked_.erase(it);
        } else {
            ++it;
        }
    }
}

SimDisk::Namespace SimDisk::durable_namespace() const {
    Namespace ns = base_;
    for (const auto& [seq, op] : journal_) {
        (void)seq;
        if (op.durable) {
            (void)apply(ns, op);
        }
    }
    return ns;
}

// --- Disk -------------------------------------------------------------------------------------

Result<std::unique_ptr<File>, DiskError> SimDisk::open(std::string_view path, OpenMode mode) {
    if (!valid_entry_path(path)) {
        return fail(DiskError::invalid_argument);
    }
    delay("open", path);
    TRY_ASSIGN(Resolved r, resolve(live_, path));
    Inode inode;
    if (r.child) {
        if (live_.contains(*r.child)) {
            return fail(DiskError::invalid_argument);  // a directory
        }
        if (mode == OpenMode::create_exclusive) {
            return fail(DiskError::already_exists);
        }
        inode = *r.child;
    } else {
        if (mode == OpenMode::read_only || mode == OpenMode::read_write) {
            return fail(DiskError::not_found);
        }
        inode = Inode(next_inode_++);
        files_.emplace(inode, FileData{});
        journal(entry_op(MetaKind::link_file, r.parent, r.name, inode));
    }
    FileData& d = files_.at(inode);
    const uint64_t before = charge(d);
    ++d.handles;
    used_ = used_ - before + charge(d);
    const uint64_t id = next_handle_++;
    auto file = std::make_unique<SimFile>(*this, id, inode, epoch_, mode != OpenMode::read_only,
                                          std::string(path));
    handles_.emplace(id, file.get());
    return std::unique_ptr<File>(std::move(file));
}

Result<void, DiskError> SimDisk::remove(std::string_view path) {
    if (!valid_entry_path(path)) {
        return fail(DiskError::invalid_argument);
    }
    delay("remove", path);
    TRY_ASSIGN(Resolved r, resolve(live_, path));
    if (!r.child) {
        return fail(DiskError::not_found);
    }
    if (live_.contains(*r.child)) {
        return fail(DiskError::invalid_argument);  // a directory
    }
    journal(entry_op(MetaKind::unlink, r.parent, r.name, *r.child));
    return {};
}

Result<void, DiskError> SimDisk::rename(std::string_view from, std::string_view to) {
    if (!valid_entry_path(from) || !valid_entry_path(to)) {
        return fail(DiskError::invalid_argument);
    }
    delay("rename", from);
    TRY_ASSIGN(Resolved src, resolve(live_, from));
    if (!src.child) {
        return fail(DiskError::not_found);
    }
    TRY_ASSIGN(Resolved dst, resolve(live_, to));
    if (src.parent == dst.parent && src.name == dst.name) {
        return {};
    }
    const bool is_directory = live_.contains(*src.child);
    if (dst.child) {
        auto dit = live_.find(*dst.child);
        if (is_directory != (dit != live_.end())) {
            return fail(DiskError::invalid_argument);  // EISDIR / ENOTDIR
        }
        if (is_directory && !dit->second.empty()) {
            return fail(DiskError::invalid_argument);  // ENOTEMPTY
        }
    }
    if (is_directory && contains_directory(live_, *src.child, dst.parent)) {
        return fail(DiskError::invalid_argument);  // into its own subtree
    }
    MetaOp op = entry_op(MetaKind::rename, src.parent, src.name, *src.child);
    op.to_parent = dst.parent;
    op.to_name = dst.name;
    journal(std::move(op));
    return {};
}

Result<void, DiskError> SimDisk::make_directory(std::string_view path) {
    auto parts = split_path(path);
    if (!parts) {
        return fail(DiskError::invalid_argument);
    }
    delay("make_directory", path);
    Inode dir = root_inode;
    for (std::string_view part : *parts) {
        const Entries& entries = live_.at(dir);
        if (auto it = entries.find(part); it != entries.end()) {
            if (!live_.contains(it->second)) {
                return fail(DiskError::already_exists);  // a file is in the way
            }
            dir = it->second;
            continue;
        }
        const Inode child(next_inode_++);
        journal(entry_op(MetaKind::link_directory, dir, std::string(part), child));
        dir = child;
    }
    return {};
}

Result<void, DiskError> SimDisk::remove_directory(std::string_view path) {
    if (!valid_entry_path(path)) {
        return fail(DiskError::invalid_argument);  // including the root
    }
    delay("remove_directory", path);
    TRY_ASSIGN(Resolved r, resolve(live_, path));
    if (!r.child) {
        return fail(DiskError::not_found);
    }
    auto dit = live_.find(*r.child);
    if (dit == live_.end() || !dit->second.empty()) {
        return fail(DiskError::invalid_argument);  // a file, or not empty
    }
    journal(entry_op(MetaKind::unlink, r.parent, r.name, *r.child));
    return {};
}

Result<std::vector<std::string>, DiskError> SimDisk::list(std::string_view dir) {
    if (!valid_directory_path(dir)) {
        return fail(DiskError::invalid_argument);
    }
    delay("list", dir);
    TRY_ASSIGN(Inode inode, resolve_directory(dir));
    std::vector<std::string> names;
    for (const auto& [name, child] : live_.at(inode)) {
        (void)child;
        names.push_back(name);  // std::map<std::string> order is bytewise (char_traits compare)
    }
    return names;
}

Result<bool, DiskError> SimDisk::exists(std::string_view path) {
    auto parts = split_path(path);
    if (!parts) {
        return fail(DiskError::invalid_argument);
    }
    delay("exists", path);
    if (parts->empty()) {
        return true;
    }
    auto r = resolve(live_, path);
    if (!r.ok()) {
        ASSERT(r.error() == DiskError::not_found);
        return false;
    }
    return r->child.has_value();
}

Result<DiskSpace, DiskError> SimDisk::space(std::string_view path) {
    TRY_ASSIGN(bool found, exists(path));
    if (!found) {
        return fail(DiskError::not_found);
    }
    const uint64_t capacity = faults_.capacity_bytes;
    return DiskSpace{capacity, capacity > used_ ? capacity - used_ : 0};
}

Result<void, DiskError> SimDisk::sync_directory(std::string_view dir) {
    if (!valid_directory_path(dir)) {
        return fail(DiskError::invalid_argument);
    }
    const uint64_t covered = next_seq_;  // ops completed before this call
    delay("sync_directory", dir, faults_.sync_latency);
    TRY_ASSIGN(Inode inode, resolve_directory(dir));
    if (poisoned_dirs_.contains(inode)) {
        return fail(DiskError::io_error);
    }
    if (draw(faults_.sync_error_p)) {
        poisoned_dirs_.insert(inode);
        tracer_.event("disk.sync_directory_error", {{"path", dir}});
        return fail(DiskError::io_error);
    }
    mark_durable(inode, covered);
    compact();
    collect_garbage();
    return {};
}

// --- Crash ------------------------------------------------------------------------------------

// How many of `total` pending ops survive, the first `durable` of which must.
size_t SimDisk::draw_kept(size_t durable, size_t total) {
    ASSERT(durable <= total);
    if (durable == total) {
        return total;
    }
    const double u = random_.unit();
    if (u < faults_.crash_keep_unsynced_p) {
        return total;
    }
    if (u < faults_.crash_keep_unsynced_p + faults_.crash_lose_unsynced_p) {
        return durable;
    }
    return durable + static_cast<size_t>(random_.below(total - durable));
}

void SimDisk::crash_namespace(const std::map<Inode, std::string>& names) {
    // Per directory, the journal ops touching it in order; per op, where it sits in those lists.
    std::map<Inode, std::vector<uint64_t>> by_dir;
    std::map<uint64_t, std::vector<std::pair<Inode, size_t>>> places;
    for (const auto& [seq, op] : journal_) {
        const auto place = [&, seq = seq](Inode dir) {
            std::vector<uint64_t>& seqs = by_dir[dir];
            places[seq].emplace_back(dir, seqs.size());
            seqs.push_back(seq);
        };
        place(op.parent);
        if (op.kind == MetaKind::rename && op.to_parent != op.parent) {
            place(op.to_parent);
        }
    }
    // Each directory keeps a prefix of its ops. It must reach past its last durable op (which
    // forces the ops before it, here and, through renames, in other directories, to stay).
    std::map<Inode, size_t> keep_min;
    for (const auto& [dir, seqs] : by_dir) {
        size_t n = 0;
        for (size_t i = 0; i < seqs.size(); ++i) {
            n = journal_.at(seqs[i]).durable ? i + 1 : n;
        }
        keep_min.emplace(dir, n);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& [dir, seqs] : by_dir) {
            for (size_t i = 0; i < keep_min.at(dir); ++i) {
                for (const auto& [other, j] : places.at(seqs[i])) {
                    if (keep_min.at(other) < j + 1) {
                        keep_min[other] = j + 1;
                        changed = true;
                    }
                }
            }
        }
    }
    std::map<Inode, size_t> kept;
    for (const auto& [dir, seqs] : by_dir) {
        kept.emplace(dir, draw_kept(keep_min.at(dir), seqs.size()));
    }
    // A rename lost in one directory is lost in the other, and with it what followed it there.
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& [dir, seqs] : by_dir) {
            for (size_t i = kept.at(dir); i < seqs.size(); ++i) {
                for (const auto& [other, j] : places.at(seqs[i])) {
                    if (kept.at(other) > j) {
                        kept[other] = j;
                        changed = true;
                    }
                }
            }
        }
    }
    std::set<uint64_t> survivors;
    for (const auto& [dir, seqs] : by_dir) {
        ASSERT(kept.at(dir) >= keep_min.at(dir), "a durable namespace op is never lost");
        survivors.insert(seqs.begin(), seqs.begin() + static_cast<std::ptrdiff_t>(kept.at(dir)));
        if (keep_min.at(dir) < seqs.size()) {
            auto nit = names.find(dir);
            tracer_.event("disk.crash_directory",
                          {{"path", nit == names.end() ? std::string_view("?") : nit->second},
                           {"inode", dir.value()},
                           {"pending", seqs.size() - keep_min.at(dir)},
                           {"kept", kept.at(dir) - keep_min.at(dir)}});
        }
    }
    Namespace ns = base_;
    for (const auto& [seq, op] : journal_) {
        if (survivors.contains(seq) && !apply(ns, op)) {
            tracer_.event("disk.crash_skip",
                          {{"op", kind_name(op.kind)}, {"name", op.name}, {"durable", op.durable}});
        }
    }
    // Drop directories no longer reachable from the root (their creation was lost).
    std::set<Inode> reachable{root_inode};
    std::vector<Inode> stack{root_inode};
    while (!stack.empty()) {
        const Inode d = stack.back();
        stack.pop_back();
        for (const auto& [name, child] : ns.at(d)) {
            (void)name;
            if (ns.contains(child) && reachable.insert(child).second) {
                stack.push_back(child);
            }
        }
    }
    std::erase_if(ns, [&](const auto& kv) { return !reachable.contains(kv.first); });
    live_ = ns;
    base_ = std::move(ns);
    journal_.clear();
    undurable_.clear();
}

void SimDisk::crash_file(FileData& d, std::string_view path) {
    const size_t total = d.pending.size();
    if (total == 0) {
        return;
    }
    const size_t kept = draw_kept(0, total);
    // The lost ops are undone, newest first. On the way, the first lost op's bytes are read back
    // in case it tears: it is the newest op left then, so nothing overwrote them.
    Bytes written;
    for (size_t i = total; i > kept; --i) {
        const PendingOp& op = d.pending[i - 1];
        if (i - 1 == kept && !op.truncate) {
            written = d.current.copy(op.offset, op.length);
        }
        undo_op(d.current, op.size_before, op.offset, op.replaced);
    }
    bool torn = false;
    if (kept < total && !d.pending[kept].truncate && draw(faults_.crash_tear_p)) {
        // The first lost write reached the platter in part: each sector-aligned piece on its
        // own. The file grows to the end of the last piece that landed; pieces past the old
        // end that did not land read as zeros.
        torn = true;
        const PendingOp& op = d.pending[kept];
        const uint64_t end = op.offset + op.length;
        std::vector<std::pair<uint64_t, uint64_t>> landed;  // [begin, end) file offsets
        uint64_t pieces = 0;
        for (uint64_t begin = op.offset; begin < end; ++pieces) {
            const uint64_t piece_end =
                std::min(end, (begin / limits::disk_sector_bytes + 1) * limits::disk_sector_bytes);
            if (random_.below(2) == 1) {
                landed.emplace_back(begin, piece_end);
            }
            begin = piece_end;
        }
        for (const auto& [begin, piece_end] : landed) {
            d.current.write(begin, ByteSpan(written).subspan(begin - op.offset, piece_end - begin));
        }
        tracer_.event("disk.crash_tear", {{"path", path},
                                          {"offset", op.offset},
                                          {"length", op.length},
                                          {"sectors", pieces},
                                          {"landed", landed.size()}});
    }
    tracer_.event("disk.crash_file",
                  {{"path", path}, {"pending", total}, {"kept", kept}, {"torn", torn}});
    d.pending.clear();
}

void SimDisk::crash() {
    ++epoch_;  // every open handle is stale from here on
    tracer_.event("disk.crash",
                  {{"epoch", epoch_}, {"journal", journal_.size()}, {"files", files_.size()}});
    crash_namespace(paths());
    poisoned_dirs_.clear();
    unlinked_.clear();
    // Link counts from the surviving namespace; files it does not name are gone.
    for (auto& [inode, d] : files_) {
        (void)inode;
        d.links = 0;
        d.handles = 0;
        d.poisoned = false;
    }
    for (const auto& [dir, entries] : live_) {
        (void)dir;
        for (const auto& [name, child] : entries) {
            (void)name;
            if (!live_.contains(child)) {
                ++files_.at(child).links;
            }
        }
    }
    std::erase_if(files_, [](const auto& kv) { return kv.second.links == 0; });
    const std::map<Inode, std::string> names = paths();
    used_ = 0;
    for (auto& [inode, d] : files_) {
        crash_file(d, names.at(inode));
        used_ += charge(d);
    }
}

// --- Helpers for tests and checkers -----------------------------------------------------------

std::optional<Bytes> SimDisk::contents(std::string_view path) const {
    auto r = resolve(live_, path);
    if (!r.ok() || !r->child || live_.contains(*r->child)) {
        return std::nullopt;
    }
    return files_.at(*r->child).current.bytes();
}

std::optional<Bytes> SimDisk::durable_contents(std::string_view path) const {
    const Namespace ns = durable_namespace();
    auto r = resolve(ns, path);
    if (!r.ok() || !r->child || ns.contains(*r->child)) {
        return std::nullopt;
    }
    return durable_bytes(files_.at(*r->child));
}

}  // namespace eddy::sim
