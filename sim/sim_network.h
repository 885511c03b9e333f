// SimNetwork: the simulated network fabric all nodes share, and each node's Network view of it.
//
// Model: a connection is two one-way pipes. write_all() cuts the bytes into segments at random
// split points and schedules each for delivery after a drawn latency; a pipe delivers its
// segments strictly in order (a segment never overtakes the one before it), so the TCP contract
// holds: bytes arrive in order and intact, or the connection breaks.
//
// Faults it injects (all drawn from the world's seed and traced):
// - latency: uniform [latency_min, latency_max] per segment, with a rare slow tail (slow_p);
// - short reads: read_some() returns fewer bytes than are available (short_read_p);
// - connection resets: a write may reset its connection (reset_p): the writer fails at once,
//   the peer when the RST segment reaches it;
// - partitions, symmetric or one-way, between two hosts: segments on a blocked link are held
//   until it heals (a stalled TCP stream); connects across it time out; each side of an existing
//   connection across it may give up on its own (probability partition_reset_p, after a drawn
//   partition_timeout, if the partition still holds then: a TCP retransmission timeout), and
//   the other side never hears of it until it writes after the heal and gets an RST back;
// - clogging: a host's links deliver nothing until a given time;
// - a crashed host: its listeners vanish, its own ends of its connections die with it, and each
//   peer learns by an RST that travels like any segment: held across a partition, so the peer
//   stays half-open ("connected") until the path exists again or its own timeout fires; bytes
//   sent to a dead end are answered with an RST; connects to a host with no listener are
//   refused.
// Nothing ever crosses a partition: resets included.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "core/env/network.h"
#include "core/fiber/sync.h"
#include "sim/trace_log.h"

namespace eddy::sim {

struct NetFaults {
    Duration latency_min = Duration::micros(20);
    Duration latency_max = Duration::micros(200);
    double slow_p = 0;                     // per segment
    Duration slow_latency = Duration::millis(50);
    double short_read_p = 0;               // per read
    double reset_p = 0;                    // per write call
    double partition_reset_p = 0.5;        // per connection side, when a partition cuts it
    Duration partition_timeout_min = Duration::millis(500);  // when such a side gives up
    Duration partition_timeout_max = Duration::seconds(5);
    size_t segment_bytes_max = 64 * 1024;  // writes are split at random points below this
};

class SimNetwork;

namespace detail {
struct Pipe;
struct ConnectionState;
struct ListenerState;
}  // namespace detail

class SimNetwork {
public:
    SimNetwork(FiberExecutor& executor, Random random, TraceLog& trace, NetFaults faults = {});
    ~SimNetwork();
    SimNetwork(const SimNetwork&) = delete;
    SimNetwork& operator=(const SimNetwork&) = delete;

    // A host's view of the network. The host name is its address.
    std::unique_ptr<Network> host_view(std::string host);

    void set_faults(const NetFaults& faults) { faults_ = faults; }
    const NetFaults& faults() const { return faults_; }

    // Blocks traffic from `from` to `to` (and back, unless one_way).
    void partition(const std::string& from, const std::string& to, bool one_way = false);
    // Blocks every link between `host` and everyone else.
    void isolate(const std::string& host, const std::vector<std::string>& others);
    void heal(const std::string& from, const std::string& to);
    void heal_all();
    // Nothing to or from `host` is delivered before `until`.
    void clog(const std::string& host, Instant until);
    // The host crashed: close its listeners, reset its connections.
    void host_crashed(const std::string& host);

    // TLS as the simulator models it: a host given a certificate subject ("CN=alice,O=acme", as
    // net-posix reports a verified peer certificate, RFC 2253) presents it on every connection it
    // opens or accepts, and the other side's Connection::peer_identity() returns it, verified.
    // Bytes travel as on any simulated connection (no handshake, no encryption): what runs above
    // the transport — principals, ssl.principal.mapping.rules, ACLs — runs simulated. nullopt
    // removes it; connections already open keep what they were given.
    void set_identity(const std::string& host, std::optional<std::string> subject);

    bool blocked(const std::string& from, const std::string& to) const;
    size_t open_connections() const;

private:
    friend class HostNetwork;
    friend class SimConnection;
    friend class SimListener;

    Result<std::unique_ptr<Listener>, NetError> listen(const std::string& host, const Address& a);
    Result<std::unique_ptr<Connection>, NetError> connect(const std::string& host, const Address& a,
                                                          Duration timeout);
    void write(detail::ConnectionState& c, int side, ByteSpan data);
    void schedule_head(const std::shared_ptr<detail::ConnectionState>& c, int to_side);
    void deliver(const std::shared_ptr<detail::ConnectionState>& c, int to_side);
    // Side `side` of `c` aborts (its host crashed, a reset fault, its listener closed): it fails
    // at once and an RST travels to the other side.
    void abort_side(detail::ConnectionState& c, int side, std::string_view why);
    void mark_dead(detail::ConnectionState& c, int side);
    void send_rst(const std::shared_ptr<detail::ConnectionState>& c, int from_side);
    void time_out_later(const std::shared_ptr<detail::ConnectionState>& c, int side);
    Duration draw_latency();
    Instant link_ready_at(const std::string& from, const std::string& to) const;
    void release_held();

    FiberExecutor& executor_;
    Random random_;
    TraceLog& trace_;
    NetFaults faults_;
    uint64_t next_connection_id_ = 1;
    uint16_t next_ephemeral_port_ = 40000;
    std::map<Address, std::shared_ptr<detail::ListenerState>> listeners_;
    std::map<uint64_t, std::weak_ptr<detail::ConnectionState>> connections_;
    std::set<std::pair<std::string, std::string>> blocked_;  // (from, to)
    std::map<std::string, Instant> clogged_until_;
    std::map<std::string, std::string> identities_;  // host -> certificate subject
    // Pipes whose head segment waits for a blocked link to heal: (connection id, receiving side).
    std::set<std::pair<uint64_t, int>> held_;
    // Pending per-side timeouts of connections cut by a partition (cancelled on destruction).
    uint64_t next_timeout_key_ = 1;
    std::map<uint64_t, FiberExecutor::TimerKey> timeouts_;
};

}  // namespace eddy::sim
