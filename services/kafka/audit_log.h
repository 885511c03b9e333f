// AuditLog: one JSON line per authorization decision worth keeping (every denial; every grant when
// audit.log.grants=true) and per admin action (CreateAcls, DeleteAcls, CreateTopics, DeleteTopics,
// AlterConfigs, IncrementalAlterConfigs), written through Env's Disk (services/ never opens files
// itself) to `audit.log.file`, a path under the data directory (Env's Disk is rooted there).
// Rotation by size: a line that would take the file past audit.log.max.bytes first renames
// file → file.1 → … → file.N (audit.log.max.files; the oldest is removed) and starts a new one.
//
// Lines: {"time":"2026-12-05T02:10:00.123Z","principal":"User:CN=alice","client":"10.0.0.7",
// "api":"Produce","resource_type":"TOPIC","resource":"orders","operation":"WRITE",
// "result":"DENIED"} — admin actions have "operation":"ADMIN" and "result" an error name or "OK".
// The timestamp is the node's wall clock (Env), so the simulator's lines are deterministic.
//
// A write error is logged once and the line dropped: auditing never fails a request. Writers are
// serialised by a fiber mutex, so lines never interleave and rotation is never half seen.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/env/env.h"
#include "core/fiber/sync.h"

namespace eddy::kafka {

struct AuditEvent {
    std::string_view principal;
    std::string_view client;
    std::string_view api;
    std::string_view resource_type;
    std::string_view resource;
    std::string_view operation;
    std::string_view result;
};

struct AuditLogOptions {
    std::string path;            // relative to the Disk root; must not be empty
    uint64_t max_bytes = 100 << 20;
    int32_t max_files = 5;       // rotated files kept besides the current one
    bool grants = false;         // audit.log.grants
};

class AuditLog {
public:
    AuditLog(Env& env, AuditLogOptions options);
    bool grants() const { return options_.grants; }
    // Appends one line (rotating first when needed). Suspends.
    void record(const AuditEvent& event);

private:
    void rotate();
    void append(const std::string& line, bool rotated = false);
    Env& env_;
    AuditLogOptions options_;
    Mutex mutex_;
    std::shared_ptr<File> file_;
    uint64_t size_ = 0;
    bool failed_logged_ = false;
};

// The line record() writes, without its newline (exposed for tests).
std::string audit_line(WallTime time, const AuditEvent& event);

}  // namespace eddy::kafka
