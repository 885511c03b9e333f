// The running part of `eddy dev` (runtime/main/dev_cmd.cpp has the command, its options and the
// cluster's layout file): N `eddy broker` processes, each a broker and a controller, started as
// supervised children (runtime/supervised_child.h) in their own process groups, each with its own
// abstract systemd notification socket (NOTIFY_SOCKET=@eddy-dev-<pid>-<i>); the cluster is ready
// when every node has said READY=1 (registered, unfenced, serving). Signals (SIGINT, SIGTERM,
// SIGCHLD) arrive through a signalfd polled with the nodes' sockets; a stop is SIGTERM to every
// node, a wait of up to 30 s, then SIGKILL to what is left (at once on a second signal).
#pragma once

#include <string>
#include <vector>

namespace eddy::cli {

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
__attribute__((format(printf, 1, 2))) void dev_say(const char* fmt, ...);

// The configuration node 1 will load (a bad --override is one line on stderr, before anything
// starts): false after printing the reason.
bool dev_config_is_valid(const DevOptions& options, const std::string& dir);

// Starts the nodes of `options` in `dir` (absolute; its layout settled) from the eddy binary
// `program`, waits for them, and serves until a signal or a failure. Returns the exit status: 0
// after a clean stop; 1 when a node failed or had to be killed.
int run_dev_cluster(const DevOptions& options, const std::string& dir, const std::string& program);

}  // namespace eddy::cli
