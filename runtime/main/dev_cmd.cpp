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
// terminal reaches this process only, which stops them in order and says so line by line. This
// file has the command, its checks and the layout file; runtime/main/dev_cluster.h runs the nodes.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/main/commands.h"
#include "runtime/main/config_cli.h"
#include "runtime/main/dev_cluster.h"
#include "services/config/config.h"

namespace eddy::cli {
namespace {

constexpr int nodes_max = 16;
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
    if (!dev_config_is_valid(o, dir)) {
        return 2;
    }
    if ((fresh || o.admin_base_port_given) && !write_layout(o, dir)) {
        return 1;
    }
    return run_dev_cluster(o, dir, program);
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
    static LogOptions logs;
    logs.add_to(*cmd, "Every node's log levels");
    cmd->callback([&exit_code, nodes, base, admin_base] {
        o.nodes_given = nodes->count() > 0;
        o.base_port_given = base->count() > 0;
        o.admin_base_port_given = admin_base->count() > 0;
        DevOptions with_logs = o;
        logs.append_overrides(with_logs.overrides);
        exit_code = run_dev(with_logs);
    });
}

}  // namespace eddy::cli
