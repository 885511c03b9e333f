// AuditLog: one JSON line per authorization decision worth keeping (every denial; every grant when
// audit.log.grants=true), per admin action (CreateAcls, DeleteAcls, CreateTopics, DeleteTopics,
// AlterConfigs, IncrementalAlterConfigs, AlterUserScramCredentials) and per authentication (every
// SASL attempt, success or failure; every connection with a TLS client certificate), written
// through Env's Disk (services/ never opens files itself) to `audit.log.file`, a path under the
// data directory (Env's Disk is rooted there).
// Rotation by size: a line that would take the file past audit.log.max.bytes first renames
// file → file.1 → … → file.N (audit.log.max.files; the oldest is removed) and starts a new one.
//
// Lines: {"time":"2026-12-05T02:10:00.123Z","principal":"User:CN=alice","client":"10.0.0.7",
// "api":"Produce","resource_type":"TOPIC","resource":"orders","operation":"WRITE",
// "result":"DENIED"} — admin actions have "operation":"ADMIN" and "result" an error name or "OK".
// Authentications: {"time":…,"principal":"User:alice","client":"10.0.0.7",
// "listener":"SASL_SSL","mechanism":"SCRAM-SHA-256","operation":"AUTHENTICATE","result":"FAILED",
// "error":"SCRAM-SHA-256: wrong password for 'alice'"} — "principal" is the user the client
// claimed (empty when its token did not name one), "error" only on failures, "operation"
// REAUTHENTICATE for KIP-368 re-authentication. Both kinds go through one serializer.
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

// One authentication: a SASL exchange that ended (or a refused SaslHandshake), or a TLS client
// certificate mapped to a principal.
struct AuthenticationEvent {
    std::string_view principal;  // "User:alice"; empty when the client named no user
    std::string_view client;
    std::string_view listener;
    std::string_view mechanism;  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, or TLS
    std::string_view operation;  // AUTHENTICATE or REAUTHENTICATE
    std::string_view result;     // OK or FAILED
    std::string_view error;      // why it failed (never a password); empty on success
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
    void record(const AuthenticationEvent& event);

private:
    void rotate();
    void write(std::string line);  // takes the mutex; suspends
    void append(const std::string& line, bool rotated = false);
    Env& env_;
    AuditLogOptions options_;
    Mutex mutex_;
    std::shared_ptr<File> file_;
    uint64_t size_ = 0;
    bool failed_logged_ = false;
};

// The lines record() writes, without their newline (exposed for tests).
std::string audit_line(WallTime time, const AuditEvent& event);
std::string audit_line(WallTime time, const AuthenticationEvent& event);

}  // namespace eddy::kafka
