// `eddy dev [-n 3] [--dir ./eddy-dev] [--base-port 9092]`: a local cluster in one command, for
// development. It starts N `eddy broker` processes, each a broker and a controller, on
// 127.0.0.1 (node i: client port BASE+i-1, controller port BASE+N+i-1, admin listener
// ADMIN_BASE+i when this build has `admin.listener`), with data and output under
// DIR/node-<i>/, waits until every node serves, prints the bootstrap servers, and stops them all
// on Ctrl-C or SIGTERM (SIGTERM to each, then SIGKILL to any still running after 30 s; a second
// Ctrl-C kills at once).
//
// A node "serves" when it says READY=1 over systemd's notification protocol
// (runtime/systemd_notify.h): `eddy broker` says it once start() has returned, i.e. the node is
// registered with the active controller, unfenced, and its client listener is open. So when
// every node has said it, the cluster has a controller and all N brokers unfenced. Each node
// gets its own abstract notification socket (NOTIFY_SOCKET=@eddy-dev-<pid>-<i>).
//
// DIR/eddy-dev.properties records the cluster's shape (nodes, base.port, and admin.base.port)
// at the first start; a later `eddy dev --dir DIR` starts the same cluster on the same data (the
// nodes derive the same cluster id from the same voters), and a -n or --base-port that
// contradicts it is refused (exit 2) rather than pointing the old data at new voters (the admin
// ports may move: they are no part of the cluster). DIR/eddy-dev.lock keeps a second
// `eddy dev` off the same directory.
//
// The children run in their own process groups (runtime/supervised_child.h): Ctrl-C on the
// terminal reaches this process only, which stops them in order and says so line by line.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/main/config_cli.h"
#include "runtime/supervised_child.h"
#include "runtime/systemd_notify.h"
#include "services/config/config.h"

namespace eddy::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int nodes_max = 16;
// How long stopping waits for the nodes' graceful shutdown (a controlled shutdown takes up to
// 5 s) before it kills what is left.
constexpr auto stop_wait_max = std::chrono::seconds(30);
constexpr const char* layout_file = "eddy-dev.properties";
// Keys eddy dev sets for each node: an --override of one would break the cluster's layout.
constexpr const char* keys_owned[] = {"node.id",
                                      "process.roles",
                                      "listeners",
                                      "advertised.listeners",
                                      "controller.quorum.voters",
                                      "log.dirs",
                                      "log.dir",
                                      "admin.listener"};

struct DevOptions {
    int nodes = 3;
    std::string dir = "eddy-dev";
    int base_port = 9092;
    int admin_base_port = 9644;
    std::vector<std::string> overrides;
    int ready_timeout_s = 120;
    bool nodes_given = false;
    bool base_port_given = false;
    bool admin_base_port_given = false;
};

// One line on stdout, "eddy dev: …", flushed (a pipe reader sees it at once).
__attribute__((format(printf, 1, 2))) void say(const char* fmt, ...) {
    std::fputs("eddy dev: ", stdout);
    va_list args;
    va_start(args, fmt);
    std::vprintf(fmt, args);
    va_end(args);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

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

// DIR/eddy-dev.properties: the shape of the cluster made in DIR (nodes, base.port; since later,
// admin.base.port), as numbers by key. Nothing when there is no file. Errors: one line.
Result<std::optional<std::map<std::string, int>>, std::string> read_layout(
    const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::optional<std::map<std::string, int>>();
    }
    std::stringstream text;
    text << in.rdbuf();
    auto pairs = config::parse_properties(text.str());
    if (!pairs.ok()) {
        return fail(path + ": " + pairs.error());
    }
    std::map<std::string, int> values;
    for (const auto& [k, v] : *pairs) {
        int x = 0;
        const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (err != std::errc() || end != v.data() + v.size()) {
            return fail(path + ": " + k + " is not a number: '" + v + "'");
        }
        values[k] = x;
    }
    if (!values.contains("nodes") || !values.contains("base.port")) {
        return fail(path + ": expected nodes= and base.port=");
    }
    return std::optional(std::move(values));
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
        say("%d node%s (broker+controller) in %s; each node's output in %s/node-<id>/broker.log",
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
        say("ready in %.1f s: %d node%s serving, cluster.id %s", took, o_.nodes,
            o_.nodes == 1 ? "" : "s", cluster_id_.c_str());
        say("bootstrap servers: %s", bootstrap().c_str());
        if (config::is_broker_key("admin.listener")) {
            std::string urls;
            for (const auto& n : nodes_) {
                urls += (urls.empty() ? "" : " ") + std::string("http://127.0.0.1:") +
                        std::to_string(admin_port(n.id));
            }
            say("admin: %s", urls.c_str());
        }
        say("Ctrl-C stops the cluster (data stays in %s)", dir_.c_str());
        while (!stop_signal_) {
            pump(std::nullopt);
            if (live() == 0) {
                say("every node has exited: see their broker.log");
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
        say("node %d started: pid %d, client 127.0.0.1:%d, controller 127.0.0.1:%d", id, n.pid,
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
                    say("node %d exited (%s) before it served: %s", n.id, n.ended.c_str(),
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
                say("not ready after %d s: %s", o_.ready_timeout_s, waiting.c_str());
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
            say("node %d ready (%s)", n.id, n.status.c_str());
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
                say("node %d stopped (%s)", n.id, n.ended.c_str());
            } else if (was_ready) {
                node_lost_ = true;
                say("node %d exited (%s); the others keep running: %s", n.id, n.ended.c_str(),
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
        say("stopping %zu node%s (%s): SIGTERM, then SIGKILL after %lld s", live(),
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
                say("node %d still running%s: SIGKILL", n.id,
                    second_signal_ ? " (second signal)" : " after the wait");
                ::kill(n.pid, SIGKILL);
            }
        }
        while (live() > 0) {
            pump(std::nullopt);
        }
        say("stopped; data kept in %s (`eddy dev --dir %s` starts this cluster again)",
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

// Settles the cluster's shape from the options and DIR's layout file (read_layout). Exit status
// 2 (after one line) when they disagree. `fresh` is set when DIR has no layout yet.
std::optional<int> settle_layout(DevOptions& o, const std::string& dir, bool& fresh) {
    const std::string path = dir + "/" + layout_file;
    auto layout = read_layout(path);
    if (!layout.ok()) {
        std::fprintf(stderr, "eddy dev: %s\n", layout.error().c_str());
        return 2;
    }
    fresh = !layout->has_value();
    if (fresh) {
        return std::nullopt;
    }
    auto& values = **layout;
    const int nodes = values["nodes"];
    const int base_port = values["base.port"];
    if ((o.nodes_given && o.nodes != nodes) || (o.base_port_given && o.base_port != base_port)) {
        std::fprintf(stderr,
                     "eddy dev: %s holds a %d-node cluster on ports from %d (%s): start it "
                     "without -n and --base-port, or use another --dir\n",
                     dir.c_str(), nodes, base_port, layout_file);
        return 2;
    }
    o.nodes = nodes;
    o.base_port = base_port;
    // The admin ports are no part of the cluster's identity: the command line may move them.
    if (!o.admin_base_port_given && values.contains("admin.base.port")) {
        o.admin_base_port = values["admin.base.port"];
    }
    return std::nullopt;
}

bool write_layout(const DevOptions& o, const std::string& dir) {
    const std::string path = dir + "/" + layout_file;
    std::ofstream out(path);
    out << "# eddy dev: the shape of the cluster in this directory; `eddy dev --dir` starts it "
           "again with it\nnodes="
        << o.nodes << "\nbase.port=" << o.base_port << "\nadmin.base.port=" << o.admin_base_port
        << "\n";
    if (!out.flush()) {
        std::fprintf(stderr, "eddy dev: cannot write %s\n", path.c_str());
        return false;
    }
    return true;
}

int run_dev(DevOptions o) {
    if (o.nodes < 1 || o.nodes > nodes_max) {
        std::fprintf(stderr, "eddy dev: -n %d: between 1 and %d nodes\n", o.nodes, nodes_max);
        return 2;
    }
    for (const auto& ov : o.overrides) {
        const std::string key = ov.substr(0, ov.find('='));
        if (std::find(std::begin(keys_owned), std::end(keys_owned), key) != std::end(keys_owned)) {
            std::fprintf(stderr,
                         "eddy dev: --override %s: eddy dev sets %s for each node (see --help)\n",
                         ov.c_str(), key.c_str());
            return 2;
        }
    }
    std::error_code ec;
    const std::string dir = std::filesystem::absolute(o.dir, ec).lexically_normal().string();
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "eddy dev: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    // Held until exit (closed with the process); never inherited by a node.
    const std::string lock_path = dir + "/eddy-dev.lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        std::fprintf(stderr, "eddy dev: %s is in use by another `eddy dev` (%s)\n", dir.c_str(),
                     lock_fd < 0 ? std::strerror(errno) : "locked");
        return 1;
    }
    bool fresh = false;
    if (auto rc = settle_layout(o, dir, fresh)) {
        return *rc;
    }
    if (o.base_port < 1 || o.base_port + 2 * o.nodes - 1 > 65535 || o.admin_base_port < 1 ||
        o.admin_base_port + o.nodes > 65535) {
        std::fprintf(stderr, "eddy dev: ports %d-%d (and admin %d-%d) do not all exist\n",
                     o.base_port, o.base_port + 2 * o.nodes - 1, o.admin_base_port + 1,
                     o.admin_base_port + o.nodes);
        return 2;
    }
    std::error_code exe_error;
    const std::string program = std::filesystem::read_symlink("/proc/self/exe", exe_error);
    if (exe_error) {
        std::fprintf(stderr, "eddy dev: cannot find the eddy binary: %s\n",
                     exe_error.message().c_str());
        return 1;
    }
    DevCluster cluster(o, dir, program);
    if (!cluster.config_is_valid()) {
        return 2;
    }
    if ((fresh || o.admin_base_port_given) && !write_layout(o, dir)) {
        return 1;
    }
    return cluster.run();
}

}  // namespace

void add_dev_command(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "dev",
        "Run a local cluster for development: N processes, each a broker and a controller, on\n"
        "127.0.0.1, with data and output under DIR/node-<id>/ (broker.log). Waits until every\n"
        "node is registered, unfenced and serving, prints the bootstrap servers (and the admin\n"
        "URLs), and runs until Ctrl-C or SIGTERM, which stops every node (SIGTERM, SIGKILL after\n"
        "30 s; a second Ctrl-C kills at once). Node i listens on BASE+i-1 (clients) and\n"
        "BASE+N+i-1 (controller). Started again on the same DIR it reuses the data: the shape\n"
        "(-n, --base-port, --admin-base-port) is kept in DIR/eddy-dev.properties. Topics are\n"
        "replicated min(N, 3) times by default; broker sessions last 4 s. Exit 0 after a clean "
        "stop; 1 when a node failed or had to\n"
        "be killed; 2 on bad arguments.");
    static DevOptions o;
    auto* nodes = cmd->add_option("-n,--nodes", o.nodes, "Number of nodes (1-16; default 3)");
    cmd->add_option("--dir", o.dir,
                    "Where the nodes keep their data and output (default ./eddy-dev)");
    auto* base = cmd->add_option("--base-port", o.base_port,
                                 "First client port (default 9092); the controller ports follow "
                                 "the client ports");
    auto* admin_base = cmd->add_option("--admin-base-port", o.admin_base_port,
                                       "Node i's admin listener is on this port + i (default "
                                       "9644)");
    cmd->add_option("--override", o.overrides,
                    "KEY=VALUE for every node (not node.id, listeners, controller.quorum.voters, "
                    "log.dirs, process.roles, admin.listener); repeatable");
    cmd->add_option("--ready-timeout", o.ready_timeout_s,
                    "Seconds to wait for every node to serve (default 120)");
    cmd->callback([&exit_code, nodes, base, admin_base] {
        o.nodes_given = nodes->count() > 0;
        o.base_port_given = base->count() > 0;
        o.admin_base_port_given = admin_base->count() > 0;
        exit_code = run_dev(o);
    });
}

}  // namespace eddy::cli
