#include "services/kafka/audit_log.h"

#include <cstdio>
#include <initializer_list>

#include "core/base/assert.h"
#include "core/base/json_text.h"

namespace eddy::kafka {

namespace {

// The one serializer: {"time":…} then the fields in order; fields with `optional` set are left
// out when empty.
struct Field {
    const char* name;
    std::string_view value;
    bool optional = false;
};

std::string json_line(WallTime time, std::initializer_list<Field> fields) {
    std::string out = "{\"time\":\"" + utc_rfc3339(time) + "\"";
    for (const Field& f : fields) {
        if (f.optional && f.value.empty()) {
            continue;
        }
        out += ",\"";
        out += f.name;
        out += "\":";
        append_json_string(out, f.value);
    }
    out.push_back('}');
    return out;
}

}  // namespace

std::string audit_line(WallTime time, const AuditEvent& e) {
    return json_line(time, {{"principal", e.principal},
                            {"client", e.client},
                            {"api", e.api},
                            {"resource_type", e.resource_type},
                            {"resource", e.resource},
                            {"operation", e.operation},
                            {"result", e.result}});
}

std::string audit_line(WallTime time, const AuthenticationEvent& e) {
    return json_line(time, {{"principal", e.principal},
                            {"client", e.client},
                            {"listener", e.listener},
                            {"mechanism", e.mechanism},
                            {"operation", e.operation},
                            {"result", e.result},
                            {"error", e.error, true}});
}

AuditLog::AuditLog(Env& env, AuditLogOptions options)
    : env_(env), options_(std::move(options)), mutex_(env.scheduler) {
    ASSERT(!options_.path.empty(), "an audit log needs a file");
}

void AuditLog::rotate() {
    file_.reset();
    const auto name = [this](int32_t i) {
        return i == 0 ? options_.path : options_.path + "." + std::to_string(i);
    };
    (void)env_.disk.remove(name(options_.max_files));
    for (int32_t i = options_.max_files - 1; i >= 0; --i) {
        if (auto e = env_.disk.exists(name(i)); e.ok() && *e) {
            (void)env_.disk.rename(name(i), name(i + 1));
        }
    }
    if (options_.max_files <= 0) {
        (void)env_.disk.remove(name(0));
    }
    size_ = 0;
}

void AuditLog::record(const AuditEvent& event) { write(audit_line(env_.clock.wall_now(), event)); }

void AuditLog::record(const AuthenticationEvent& event) {
    write(audit_line(env_.clock.wall_now(), event));
}

void AuditLog::write(std::string line) {
    line.push_back('\n');
    LockGuard guard(mutex_);
    append(line);
}

void AuditLog::append(const std::string& line, bool rotated) {
    if (!file_) {
        auto f = env_.disk.open(options_.path, OpenMode::create);
        if (!f.ok()) {
            if (!failed_logged_) {
                env_.log.error("audit log %s: cannot open: %s", options_.path.c_str(),
                               to_string(f.error()));
                failed_logged_ = true;
            }
            return;
        }
        file_ = std::shared_ptr<File>(std::move(f).value());
        auto size = file_->size();
        size_ = size.ok() ? *size : 0;
    }
    if (!rotated && size_ > 0 && size_ + line.size() > options_.max_bytes) {
        rotate();
        return append(line, true);  // once, even if the rename failed
    }
    if (auto w = file_->write_at(size_, as_bytes(line)); !w.ok()) {
        if (!failed_logged_) {
            env_.log.error("audit log %s: cannot write: %s", options_.path.c_str(),
                           to_string(w.error()));
            failed_logged_ = true;
        }
        return;
    }
    size_ += line.size();
}

}  // namespace eddy::kafka
