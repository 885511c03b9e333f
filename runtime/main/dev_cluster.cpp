// DevCluster: see dev_cluster.h.
#include "runtime/main/dev_cluster.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "runtime/main/config_cli.h"
#include "runtime/supervised_child.h"
#include "runtime/systemd_notify.h"
#include "services/config/config.h"

namespace eddy::cli {

void dev_say(const char* fmt, ...) {
    std::fputs("eddy dev: ", stdout);
    va_list args;
    va_start(args, fmt);
    std::vprintf(fmt, args);
    va_end(args);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

namespace {

using Clock = std::chrono::steady_clock;

// How long stopping waits for the nodes' graceful shutdown (a controlled shutdown takes up to
// 5 s) before it kills what is left.
constexpr auto stop_wait_max = std::chrono::seconds(30);

// The last non-empty line of a node's output, to say why it stopped.
std::string last_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    return last;
}

class DevCluster {
public:
    DevCluster(DevOptions options, std::string dir, std::string program)
        : o_(std::move(options)), dir_(std::move(dir)), program_(std::move(program)) {}

    ~DevCluster() {
        if (signal_fd_ >= 0) {
            ::close(signal_fd_);
        }
    }

    // The configuration node 1 will load, checked here so that a bad --override is one line
    // and exit 2 before anything starts. False after printing the reason.
    bool config_is_valid() const {
        return load_config_or_report("dev", "", node_overrides(1)).has_value();
    }

    int run() {
        if (!block_signals()) {
            return 1;
        }
        const auto started = Clock::now();
        dev_say("%d node%s (broker+controller) in %s; each node's output in %s/node-<id>/broker.log",
            o_.nodes, o_.nodes == 1 ? "" : "s", dir_.c_str(), dir_.c_str());
        for (int id = 1; id <= o_.nodes; ++id) {
            if (!start_node(id)) {
                stop("a node could not start");
                return 1;
            }
        }
        if (!wait_ready(started + std::chrono::seconds(o_.ready_timeout_s))) {
            return 1;
        }
        const double took = std::chrono::duration<double>(Clock::now() - started).count();
        dev_say("ready in %.1f s: %d node%s serving, cluster.id %s", took, o_.nodes,
            o_.nodes == 1 ? "" : "s", cluster_id_.c_str());
        dev_say("bootstrap servers: %s", bootstrap().c_str());
        if (config::is_broker_key("admin.listener")) {
            std::string urls;
            for (const auto& n : nodes_) {
                urls += (urls.empty() ? "" : " ") + std::string("http://127.0.0.1:") +
                        std::to_string(admin_port(n.id));
            }
            dev_say("admin: %s", urls.c_str());
        }
        dev_say("Ctrl-C stops the cluster (data stays in %s)", dir_.c_str());
        while (!stop_signal_) {
            pump(std::nullopt);
            if (live() == 0) {
                dev_say("every node has exited: see their broker.log");
                return 1;
            }
        }
        const char* abbrev = ::sigabbrev_np(*stop_signal_);
        stop(abbrev != nullptr ? std::string("SIG") + abbrev : std::string("a signal"));
        return stopped_cleanly_ && !node_lost_ ? 0 : 1;
    }

private:
    enum class State { starting, ready, exited };
    struct Node {
        int id = 0;
        pid_t pid = -1;
        State state = State::starting;
        std::unique_ptr<NotifySocket> notify;
        std::string log_path;
        std::string status;  // the last STATUS= it sent
        std::string ended;   // how it exited: "exit 2", "signal 9 (Killed)"
    };

    int client_port(int id) const { return o_.base_port + id - 1; }
    int controller_port(int id) const { return o_.base_port + o_.nodes + id - 1; }
    int admin_port(int id) const { return o_.admin_base_port + id; }

    std::string bootstrap() const {
        std::string out;
        for (const auto& n : nodes_) {
            out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") +
                   std::to_string(client_port(n.id));
        }
        return out;
    }

    size_t live() const {
        return static_cast<size_t>(std::count_if(
            nodes_.begin(), nodes_.end(), [](const Node& n) { return n.state != State::exited; }));
    }

    // SIGINT, SIGTERM and SIGCHLD arrive through a signalfd, polled with the nodes' sockets.
    // A shell script's background job starts with SIGINT ignored, and an ignored signal never
    // reaches a signalfd: eddy dev is stopped by it all the same, so it is put back to default
    // first (blocked, the default action never runs).
    bool block_signals() {
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGCHLD);
        if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0 ||
            (signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
            std::fprintf(stderr, "eddy dev: cannot watch signals: %s\n", std::strerror(errno));
            return false;
        }
        return true;
    }

    std::vector<std::string> node_overrides(int id) const {
        std::string voters;
        for (int v = 1; v <= o_.nodes; ++v) {
            voters += (voters.empty() ? "" : ",") + std::to_string(v) +
                      "@127.0.0.1:" + std::to_string(controller_port(v));
        }
        const int rf = std::min(o_.nodes, 3);
        std::vector<std::string> ov = {
            "node.id=" + std::to_string(id),
            "process.roles=broker,controller",
            "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(client_port(id)) +
                ",CONTROLLER://127.0.0.1:" + std::to_string(controller_port(id)),
            "controller.quorum.voters=" + voters,
            "log.dirs=" + dir_ + "/node-" + std::to_string(id) + "/data",
            // A development cluster is for trying replication: replicate by default.
            "default.replication.factor=" + std::to_string(rf),
            "offsets.topic.replication.factor=" + std::to_string(rf),
            // Shorter broker sessions than Kafka's 9 s (as tests/integration/test_cluster.py
            // runs them): a stopped node is fenced sooner, and after a restart of the whole
            // cluster the nodes' old sessions, which the last controller standing could not
            // close, stand in the way of their new registrations (DUPLICATE_BROKER_REGISTRATION)
            // for 4 s rather than 9.
            "broker.heartbeat.interval.ms=500",
            "broker.session.timeout.ms=4000",
        };
        if (config::is_broker_key("admin.listener")) {
            ov.push_back("admin.listener=127.0.0.1:" + std::to_string(admin_port(id)));
        }
        // The user's come last: they win over the replication defaults above.
        ov.insert(ov.end(), o_.overrides.begin(), o_.overrides.end());
        return ov;
    }

    bool start_node(int id) {
        Node n;
        n.id = id;
        const std::string node_dir = dir_ + "/node-" + std::to_string(id);
        std::error_code ec;
        std::filesystem::create_directories(node_dir, ec);
        if (ec) {
            std::fprintf(stderr, "eddy dev: cannot create %s: %s\n", node_dir.c_str(),
                         ec.message().c_str());
            return false;
        }
        n.log_path = node_dir + "/broker.log";
        auto sock = NotifySocket::bind("@eddy-dev-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(id));
        if (!sock.ok()) {
            std::fprintf(stderr, "eddy dev: node %d: %s\n", id, sock.error().c_str());
            return false;
        }
        n.notify = std::move(sock).value();
        SupervisedCommand cmd;
        cmd.program = program_;
        cmd.args = {"eddy", "broker"};
        for (const auto& ov : node_overrides(id)) {
            cmd.args.push_back("--override");
            cmd.args.push_back(ov);
        }
        cmd.env_set = {"NOTIFY_SOCKET=" + n.notify->address()};
        cmd.env_unset = {"WATCHDOG_USEC", "WATCHDOG_PID"};
        cmd.output_path = n.log_path;
        auto pid = spawn_supervised(cmd);
        if (!pid.ok()) {
            std::fprintf(stderr, "eddy dev: node %d: %s\n", id, pid.error().c_str());
            return false;
        }
        n.pid = *pid;
        dev_say("node %d started: pid %d, client 127.0.0.1:%d, controller 127.0.0.1:%d", id, n.pid,
            client_port(id), controller_port(id));
        nodes_.push_back(std::move(n));
        return true;
    }

    // Until every node is ready (true), or one exits first, the deadline passes or a signal
    // comes (each: the others stopped, false).
    bool wait_ready(Clock::time_point deadline) {
        while (true) {
            const auto ready = std::count_if(nodes_.begin(), nodes_.end(),
                                             [](const Node& n) { return n.state == State::ready; });
            if (ready == o_.nodes) {
                return true;
            }
            for (const auto& n : nodes_) {
                if (n.state == State::exited) {
                    dev_say("node %d exited (%s) before it served: %s", n.id, n.ended.c_str(),
                        last_line(n.log_path).c_str());
                    stop("a node failed to start");
                    return false;
                }
            }
            if (stop_signal_) {
                stop("interrupted while starting");
                return false;
            }
            if (Clock::now() >= deadline) {
                std::string waiting;
                for (const auto& n : nodes_) {
                    if (n.state == State::starting) {
                        waiting += (waiting.empty() ? "" : "; ") + std::string("node ") +
                                   std::to_string(n.id) + " (" +
                                   (n.status.empty() ? "no status yet" : n.status) + ")";
                    }
                }
                dev_say("not ready after %d s: %s", o_.ready_timeout_s, waiting.c_str());
                stop("not ready in time");
                return false;
            }
            pump(deadline);
        }
    }

    // Waits (until `deadline`, or for ever) for something to happen, and handles all of it:
    // signals, exited children, notifications.
    void pump(std::optional<Clock::time_point> deadline) {
        std::vector<pollfd> fds;
        fds.push_back({signal_fd_, POLLIN, 0});
        for (const auto& n : nodes_) {
            fds.push_back({n.notify->fd(), POLLIN, 0});
        }
        int timeout_ms = -1;
        if (deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, INT_MAX));
        }
        if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
            std::fprintf(stderr, "eddy dev: poll: %s\n", std::strerror(errno));
            std::abort();  // our own descriptors: cannot fail
        }
        read_signals();
        for (auto& n : nodes_) {
            while (auto msg = n.notify->receive()) {
                on_notification(n, *msg);
            }
        }
        reap();
    }

    void read_signals() {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            const int sig = static_cast<int>(info.ssi_signo);
            if (sig == SIGCHLD) {
                continue;  // reap() looks at every node
            }
            if (stop_signal_) {
                second_signal_ = true;  // a second Ctrl-C: no more waiting
            } else {
                stop_signal_ = sig;
            }
        }
    }

    void on_notification(Node& n, const std::string& msg) {
        std::istringstream lines(msg);
        std::string line;
        bool ready = false;
        while (std::getline(lines, line)) {
            if (line == "READY=1") {
                ready = true;
            } else if (line.starts_with("STATUS=")) {
                n.status = line.substr(7);
            }
        }
        if (ready && n.state == State::starting) {
            n.state = State::ready;
            // STATUS=serving: node 2, cluster.id <id> (runtime/main/broker_cmd.cpp)
            const auto at = n.status.find("cluster.id ");
            if (at != std::string::npos && cluster_id_.empty()) {
                cluster_id_ = n.status.substr(at + 11);
            }
            dev_say("node %d ready (%s)", n.id, n.status.c_str());
        }
    }

    // Collects every node that has exited.
    void reap() {
        for (auto& n : nodes_) {
            if (n.state == State::exited) {
                continue;
            }
            int status = 0;
            const pid_t got = ::waitpid(n.pid, &status, WNOHANG);
            if (got != n.pid) {
                continue;
            }
            const bool was_ready = n.state == State::ready;
            n.state = State::exited;
            n.ended = describe_wait_status(status);
            if (stopping_) {
                dev_say("node %d stopped (%s)", n.id, n.ended.c_str());
            } else if (was_ready) {
                node_lost_ = true;
                dev_say("node %d exited (%s); the others keep running: %s", n.id, n.ended.c_str(),
                    last_line(n.log_path).c_str());
            }
        }
    }

    // SIGTERM to every live node, a wait for them, SIGKILL to the rest. Sets stopped_cleanly_.
    void stop(const std::string& why) {
        stopping_ = true;
        if (live() == 0) {
            stopped_cleanly_ = true;
            return;
        }
        dev_say("stopping %zu node%s (%s): SIGTERM, then SIGKILL after %lld s", live(),
            live() == 1 ? "" : "s", why.c_str(), static_cast<long long>(stop_wait_max.count()));
        for (const auto& n : nodes_) {
            if (n.state != State::exited) {
                ::kill(n.pid, SIGTERM);
            }
        }
        const auto deadline = Clock::now() + stop_wait_max;
        while (live() > 0 && Clock::now() < deadline && !second_signal_) {
            pump(deadline);
        }
        stopped_cleanly_ = live() == 0;
        for (const auto& n : nodes_) {
            if (n.state != State::exited) {
                dev_say("node %d still running%s: SIGKILL", n.id,
                    second_signal_ ? " (second signal)" : " after the wait");
                ::kill(n.pid, SIGKILL);
            }
        }
        while (live() > 0) {
            pump(std::nullopt);
        }
        dev_say("stopped; data kept in %s (`eddy dev --dir %s` starts this cluster again)",
            dir_.c_str(), dir_.c_str());
    }

    DevOptions o_;
    std::string dir_;
    std::string program_;
    std::vector<Node> nodes_;
    int signal_fd_ = -1;
    std::optional<int> stop_signal_;
    bool second_signal_ = false;
    bool stopping_ = false;
    bool stopped_cleanly_ = false;
    bool node_lost_ = false;
    std::string cluster_id_;
};

}  // namespace

bool dev_config_is_valid(const DevOptions& options, const std::string& dir) {
    return DevCluster(options, dir, "").config_is_valid();
}

int run_dev_cluster(const DevOptions& options, const std::string& dir, const std::string& program) {
    return DevCluster(options, dir, program).run();
}

}  // namespace eddy::cli
