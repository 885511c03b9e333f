#include "sim/sim_network.h"

#include <algorithm>
#include <cstring>

namespace eddy::sim {
namespace detail {

struct Segment {
    Instant due;
    Bytes bytes;
    bool fin = false;  // the sender closed: end of stream after this
    bool rst = false;  // the sender's end is gone: the receiver learns the reset on delivery
};

// Bytes travelling toward one side of a connection.
struct Pipe {
    explicit Pipe(FiberExecutor& ex) : readers(ex) {}
    std::deque<Segment> in_flight;
    Instant last_due;
    bool rst_sent = false;  // an RST segment travels in this pipe
    std::optional<FiberExecutor::TimerKey> timer;
    Bytes buffer;  // delivered, not yet read: buffer[read_pos..]
    size_t read_pos = 0;
    bool eof = false;
    WaitQueue readers;

    size_t available() const { return buffer.size() - read_pos; }
};

struct ConnectionState {
    ConnectionState(FiberExecutor& ex, uint64_t id_) : id(id_), pipes{Pipe(ex), Pipe(ex)} {}
    uint64_t id;
    std::string host[2];
    Address address[2];  // address[i] is side i's own address
    std::optional<std::string> identity[2];  // identity[i]: what side i presented (set_identity)
    Pipe pipes[2];       // pipes[i] carries bytes to side i
    bool closed[2] = {false, false};
    // dead[i]: side i knows the connection is reset (its host crashed, it aborted, its own
    // timeout fired, or an RST reached it). The other side learns only when an RST segment
    // crosses the network to it: until then it is half-open and still "connected".
    bool dead[2] = {false, false};
    bool both_dead() const { return dead[0] && dead[1]; }
};

struct ListenerState {
    explicit ListenerState(FiberExecutor& ex) : acceptors(ex) {}
    Address address;
    std::string host;
    std::deque<std::shared_ptr<ConnectionState>> backlog;
    WaitQueue acceptors;
    bool closed = false;
};

}  // namespace detail

using detail::ConnectionState;
using detail::ListenerState;

class SimConnection final : public Connection {
public:
    SimConnection(SimNetwork& net, std::shared_ptr<ConnectionState> c, int side)
        : net_(net), c_(std::move(c)), side_(side) {}
    ~SimConnection() override { close(); }

    Result<size_t, NetError> read_some(MutableByteSpan buf) override {
        auto& pipe = c_->pipes[side_];
        while (true) {
            if (c_->closed[side_]) {
                return fail(NetError::closed);
            }
            if (c_->dead[side_]) {
                return fail(NetError::connection_reset);
            }
            const size_t avail = pipe.available();
            if (avail > 0 && !buf.empty()) {
                size_t n = std::min(avail, buf.size());
                if (n > 1 && net_.faults_.short_read_p > 0 &&
                    net_.random_.chance(net_.faults_.short_read_p)) {
                    n = 1 + net_.random_.below(n - 1);
                }
                std::memcpy(buf.data(), pipe.buffer.data() + pipe.read_pos, n);
                pipe.read_pos += n;
                if (pipe.read_pos == pipe.buffer.size()) {
                    pipe.buffer.clear();
                    pipe.read_pos = 0;
                }
                return n;
            }
            if (pipe.eof || buf.empty()) {
                return size_t{0};
            }
            if (pipe.readers.wait() == WakeReason::cancelled) {
                return fail(NetError::cancelled);
            }
        }
    }

    Result<void, NetError> write_all(ByteSpan data) override {
        if (c_->closed[side_]) {
            return fail(NetError::closed);
        }
        if (c_->dead[side_]) {
            return fail(NetError::connection_reset);
        }
        if (net_.faults_.reset_p > 0 && net_.random_.chance(net_.faults_.reset_p)) {
            net_.abort_side(*c_, side_, "fault");
            return fail(NetError::connection_reset);
        }
        net_.write(*c_, side_, data);
        return {};
    }

    Result<void, NetError> send_file(File& file, uint64_t offset, uint64_t length) override {
        Bytes chunk(std::min<uint64_t>(length, 64 * 1024));
        while (length > 0) {
            const size_t want = static_cast<size_t>(std::min<uint64_t>(length, chunk.size()));
            auto r = file.read_at(offset, MutableByteSpan(chunk.data(), want));
            if (!r.ok() || *r == 0) {
                return fail(NetError::io_error);
            }
            TRY_VOID(write_all(ByteSpan(chunk.data(), *r)));
            offset += *r;
            length -= *r;
        }
        return {};
    }

    void close() override {
        if (c_->closed[side_]) {
            return;
        }
        c_->closed[side_] = true;
        c_->pipes[side_].readers.notify_all();
        if (!c_->dead[side_]) {
            auto& out = c_->pipes[1 - side_];
            net_.write(*c_, side_, {});  // a FIN segment, in order after the data
            out.in_flight.back().fin = true;
        }
    }

    const Address& peer() const override { return c_->address[1 - side_]; }
    std::optional<std::string> peer_identity() const override { return c_->identity[1 - side_]; }

private:
    SimNetwork& net_;
    std::shared_ptr<ConnectionState> c_;
    int side_;
};

class SimListener final : public Listener {
public:
    SimListener(SimNetwork& net, std::shared_ptr<ListenerState> l) : net_(net), l_(std::move(l)) {}
    ~SimListener() override { close(); }

    Result<std::unique_ptr<Connection>, NetError> accept() override {
        while (true) {
            if (l_->closed) {
                return fail(NetError::closed);
            }
            while (!l_->backlog.empty()) {
                auto c = std::move(l_->backlog.front());
                l_->backlog.pop_front();
                if (!c->dead[1]) {  // a client that already closed still sent its bytes
                    return std::unique_ptr<Connection>(new SimConnection(net_, std::move(c), 1));
                }
            }
            if (l_->acceptors.wait() == WakeReason::cancelled) {
                return fail(NetError::cancelled);
            }
        }
    }

    Address local_address() const override { return l_->address; }

    void close() override {
        if (l_->closed) {
            return;
        }
        l_->closed = true;
        net_.listeners_.erase(l_->address);
        for (auto& c : l_->backlog) {
            net_.abort_side(*c, 1, "listener closed");
        }
        l_->backlog.clear();
        l_->acceptors.notify_all();
    }

private:
    SimNetwork& net_;
    std::shared_ptr<ListenerState> l_;
};

class HostNetwork final : public Network {
public:
    HostNetwork(SimNetwork& net, std::string host) : net_(net), host_(std::move(host)) {}
    Result<std::unique_ptr<Listener>, NetError> listen(const Address& a) override {
        return net_.listen(host_, a);
    }
    Result<std::unique_ptr<Connection>, NetError> connect(const Address& a,
                                                          Duration timeout) override {
        return net_.connect(host_, a, timeout);
    }

private:
    SimNetwork& net_;
    std::string host_;
};

SimNetwork::SimNetwork(FiberExecutor& executor, Random random, TraceLog& trace, NetFaults faults)
    : executor_(executor), random_(random), trace_(trace), faults_(faults) {}

void SimNetwork::set_identity(const std::string& host, std::optional<std::string> subject) {
    if (subject) {
        identities_[host] = std::move(*subject);
    } else {
        identities_.erase(host);
    }
}

SimNetwork::~SimNetwork() {
    for (auto& [key, timer] : timeouts_) {
        (void)key;
        executor_.cancel_timer(timer);
    }
    for (auto& [id, w] : connections_) {
        (void)id;
        if (auto c = w.lock()) {
            for (auto& p : c->pipes) {
                if (p.timer) {
                    executor_.cancel_timer(*p.timer);
                    p.timer.reset();
                }
            }
        }
    }
}

std::unique_ptr<Network> SimNetwork::host_view(std::string host) {
    return std::make_unique<HostNetwork>(*this, std::move(host));
}

Result<std::unique_ptr<Listener>, NetError> SimNetwork::listen(const std::string& host,
                                                               const Address& a) {
    Address bound = a;
    if (bound.host.empty() || bound.host == "0.0.0.0" || bound.host == "::") {
        bound.host = host;
    }
    if (bound.host != host) {
        return fail(NetError::unreachable);  // not an address of this host
    }
    if (bound.port == 0) {
        do {
            bound.port = next_ephemeral_port_++;
        } while (listeners_.contains(bound));
    }
    if (listeners_.contains(bound)) {
        return fail(NetError::address_in_use);
    }
    auto l = std::make_shared<ListenerState>(executor_);
    l->address = bound;
    l->host = host;
    listeners_.emplace(bound, l);
    trace_.record(host, "net.listen", {{"port", bound.port}});
    return std::unique_ptr<Listener>(new SimListener(*this, std::move(l)));
}

Result<std::unique_ptr<Connection>, NetError> SimNetwork::connect(const std::string& host,
                                                                  const Address& a,
                                                                  Duration timeout) {
    const Instant deadline = executor_.now() + timeout;
    if (blocked(host, a.host) || blocked(a.host, host)) {
        // The SYN (or its answer) is lost: the caller waits out its timeout.
        trace_.record(host, "net.connect_lost", {{"to", a.to_string()}});
        if (executor_.park(deadline) == WakeReason::cancelled) {
            return fail(NetError::cancelled);
        }
        return fail(NetError::timed_out);
    }
    const Instant arrive = executor_.now() + draw_latency();
    if (arrive >= deadline) {
        if (executor_.park(deadline) == WakeReason::cancelled) {
            return fail(NetError::cancelled);
        }
        return fail(NetError::timed_out);
    }
    if (executor_.park(arrive) == WakeReason::cancelled) {
        return fail(NetError::cancelled);
    }
    auto lit = listeners_.find(a);
    if (lit == listeners_.end() || lit->second->closed) {
        trace_.record(host, "net.connect_refused", {{"to", a.to_string()}});
        return fail(NetError::connection_refused);
    }
    auto c = std::make_shared<ConnectionState>(executor_, next_connection_id_++);
    c->host[0] = host;
    c->host[1] = a.host;
    c->address[0] = Address{host, next_ephemeral_port_++};
    c->address[1] = a;
    for (int side = 0; side < 2; ++side) {
        if (const auto id = identities_.find(c->host[side]); id != identities_.end()) {
            c->identity[side] = id->second;
        }
    }
    connections_.emplace(c->id, c);
    lit->second->backlog.push_back(c);
    lit->second->acceptors.notify_one();
    trace_.record(host, "net.connect", {{"to", a.to_string()}, {"conn", c->id}});
    if ((c->id & 1023) == 0) {
        std::erase_if(connections_, [](const auto& kv) { return kv.second.expired(); });
    }
    return std::unique_ptr<Connection>(new SimConnection(*this, std::move(c), 0));
}

Duration SimNetwork::draw_latency() {
    Duration d = random_.duration_between(faults_.latency_min, faults_.latency_max);
    if (faults_.slow_p > 0 && random_.chance(faults_.slow_p)) {
        d += random_.duration_between(Duration::zero(), faults_.slow_latency);
    }
    return d;
}

void SimNetwork::write(ConnectionState& c, int side, ByteSpan data) {
    const int to = 1 - side;
    auto& pipe = c.pipes[to];
    const bool was_idle = pipe.in_flight.empty();
    const Instant now = executor_.now();
    auto push = [&](ByteSpan piece) {
        const Instant due = std::max(now + draw_latency(), pipe.last_due);
        pipe.last_due = due;
        pipe.in_flight.push_back(detail::Segment{due, Bytes(piece.begin(), piece.end()), false});
    };
    if (data.empty()) {
        push(data);
    }
    while (!data.empty()) {
        size_t n = data.size();
        if (n > faults_.segment_bytes_max || random_.chance(0.25)) {
            n = 1 + random_.below(std::min(n, faults_.segment_bytes_max));
        }
        push(data.first(n));
        data = data.subspan(n);
    }
    if (was_idle && !pipe.timer) {
        std::shared_ptr<ConnectionState> self;
        auto it = connections_.find(c.id);
        if (it != connections_.end()) {
            self = it->second.lock();
        }
        ASSERT(self != nullptr);
        schedule_head(self, to);
    }
}

bool SimNetwork::blocked(const std::string& from, const std::string& to) const {
    return blocked_.contains({from, to});
}

Instant SimNetwork::link_ready_at(const std::string& from, const std::string& to) const {
    Instant t;
    if (auto it = clogged_until_.find(from); it != clogged_until_.end()) {
        t = std::max(t, it->second);
    }
    if (auto it = clogged_until_.find(to); it != clogged_until_.end()) {
        t = std::max(t, it->second);
    }
    return t;
}

void SimNetwork::schedule_head(const std::shared_ptr<ConnectionState>& c, int to) {
    auto& pipe = c->pipes[to];
    if (pipe.in_flight.empty() || pipe.timer) {
        return;
    }
    const std::string& from_host = c->host[1 - to];
    if (blocked(from_host, c->host[to])) {
        held_.insert({c->id, to});
        return;
    }
    const Instant at = std::max(pipe.in_flight.front().due, link_ready_at(from_host, c->host[to]));
    std::weak_ptr<ConnectionState> weak = c;
    pipe.timer = executor_.call_at(at, GroupId(), [this, weak, to] {  // bytes in flight: no owner
        if (auto strong = weak.lock()) {
            strong->pipes[to].timer.reset();
            deliver(strong, to);
        }
    });
}

void SimNetwork::deliver(const std::shared_ptr<ConnectionState>& c, int to) {
    auto& pipe = c->pipes[to];
    if (pipe.in_flight.empty()) {
        return;
    }
    if (blocked(c->host[1 - to], c->host[to])) {
        held_.insert({c->id, to});
        return;
    }
    if (link_ready_at(c->host[1 - to], c->host[to]) > executor_.now()) {
        schedule_head(c, to);  // clogged since it was scheduled
        return;
    }
    detail::Segment seg = std::move(pipe.in_flight.front());
    pipe.in_flight.pop_front();
    if (StepHash* h = executor_.step_hash(); h != nullptr) {  // the determinism hash
        h->event(StepKind::net_deliver, c->id, seg.bytes.size(), static_cast<uint64_t>(to),
                 c->host[1 - to], c->host[to]);
    }
    if (seg.rst) {
        // The RST crossed: this side learns now that its peer is gone.
        mark_dead(*c, to);
        trace_.record(c->host[to], "net.reset_seen", {{"conn", c->id}, {"peer", c->host[1 - to]}});
        return;
    }
    if (c->dead[to]) {
        // Bytes reached an end that no longer exists (a crashed and restarted host, a socket
        // timed out or aborted): it answers with an RST, as a real TCP stack does.
        pipe.in_flight.clear();
        if (!seg.fin) {
            send_rst(c, to);
        }
        return;
    }
    if (!c->closed[to]) {
        if (seg.fin) {
            pipe.eof = true;
        } else {
            pipe.buffer.insert(pipe.buffer.end(), seg.bytes.begin(), seg.bytes.end());
        }
        pipe.readers.notify_all();
    }
    schedule_head(c, to);
}

void SimNetwork::mark_dead(ConnectionState& c, int side) {
    if (c.dead[side]) {
        return;
    }
    c.dead[side] = true;
    auto& p = c.pipes[side];
    if (p.timer) {
        executor_.cancel_timer(*p.timer);
        p.timer.reset();
    }
    p.in_flight.clear();  // nobody is left to read what travels toward it
    p.readers.notify_all();
    held_.erase({c.id, side});
}

void SimNetwork::send_rst(const std::shared_ptr<ConnectionState>& c, int from_side) {
    const int to = 1 - from_side;
    auto& pipe = c->pipes[to];
    if (c->dead[to] || c->closed[to] || pipe.rst_sent) {
        return;
    }
    pipe.rst_sent = true;
    const bool was_idle = pipe.in_flight.empty();
    const Instant due = std::max(executor_.now() + draw_latency(), pipe.last_due);
    pipe.last_due = due;
    pipe.in_flight.push_back(detail::Segment{due, {}, false, true});
    if (was_idle && !pipe.timer) {
        schedule_head(c, to);
    }
}

void SimNetwork::abort_side(ConnectionState& c, int side, std::string_view why) {
    if (c.dead[side]) {
        return;
    }
    mark_dead(c, side);
    trace_.record(c.host[side], "net.reset", {{"conn", c.id}, {"peer", c.host[1 - side]}, {"why", why}});
    std::shared_ptr<ConnectionState> self;
    if (auto it = connections_.find(c.id); it != connections_.end()) {
        self = it->second.lock();
    }
    if (self != nullptr) {
        send_rst(self, side);
    }
}

void SimNetwork::time_out_later(const std::shared_ptr<ConnectionState>& c, int side) {
    // The side's own retransmission timeout or keepalive: it gives up on its own, seeing
    // nothing from the other side (whose RST, if any, is lost in the partition).
    const uint64_t key = next_timeout_key_++;
    const Instant at = executor_.now() + random_.duration_between(faults_.partition_timeout_min,
                                                                  faults_.partition_timeout_max);
    std::weak_ptr<ConnectionState> weak = c;
    timeouts_.emplace(key, executor_.call_at(at, [this, weak, side, key] {
        timeouts_.erase(key);
        auto strong = weak.lock();
        if (strong == nullptr || strong->dead[side]) {
            return;
        }
        if (blocked(strong->host[1 - side], strong->host[side]) ||
            blocked(strong->host[side], strong->host[1 - side])) {
            mark_dead(*strong, side);
            trace_.record(strong->host[side], "net.timeout",
                          {{"conn", strong->id}, {"peer", strong->host[1 - side]}});
        }
    }));
}

void SimNetwork::partition(const std::string& from, const std::string& to, bool one_way) {
    blocked_.insert({from, to});
    if (!one_way) {
        blocked_.insert({to, from});
    }
    trace_.record(from, "fault.partition", {{"to", to}, {"one_way", one_way}});
    for (auto& [id, w] : connections_) {
        (void)id;
        auto c = w.lock();
        if (c == nullptr || c->both_dead()) {
            continue;
        }
        const bool crosses = (c->host[0] == from && c->host[1] == to) ||
                             (c->host[0] == to && c->host[1] == from);
        if (!crosses) {
            continue;
        }
        // Each side may give up on its own, later, if the partition still holds then.
        for (int side = 0; side < 2; ++side) {
            if (!c->dead[side] && random_.chance(faults_.partition_reset_p)) {
                time_out_later(c, side);
            }
        }
    }
}

void SimNetwork::isolate(const std::string& host, const std::vector<std::string>& others) {
    for (const auto& o : others) {
        if (o != host) {
            partition(host, o);
        }
    }
}

void SimNetwork::heal(const std::string& from, const std::string& to) {
    blocked_.erase({from, to});
    blocked_.erase({to, from});
    trace_.record(from, "fault.heal", {{"to", to}});
    release_held();
}

void SimNetwork::heal_all() {
    if (blocked_.empty() && clogged_until_.empty()) {
        return;
    }
    blocked_.clear();
    clogged_until_.clear();
    trace_.record("world", "fault.heal_all", {});
    release_held();
}

void SimNetwork::release_held() {
    std::vector<std::pair<uint64_t, int>> ready;
    for (const auto& h : held_) {
        auto it = connections_.find(h.first);
        auto c = it == connections_.end() ? nullptr : it->second.lock();
        if (c == nullptr || !blocked(c->host[1 - h.second], c->host[h.second])) {
            ready.push_back(h);
        }
    }
    for (const auto& h : ready) {
        held_.erase(h);
        auto it = connections_.find(h.first);
        if (auto c = it == connections_.end() ? nullptr : it->second.lock()) {
            schedule_head(c, h.second);
        }
    }
}

void SimNetwork::clog(const std::string& host, Instant until) {
    auto& t = clogged_until_[host];
    t = std::max(t, until);
    trace_.record(host, "fault.clog", {{"until", until.to_nanos()}});
}

void SimNetwork::host_crashed(const std::string& host) {
    std::vector<Address> gone;
    for (auto& [addr, l] : listeners_) {
        if (l->host == host) {
            gone.push_back(addr);
        }
    }
    for (const auto& addr : gone) {
        auto l = listeners_[addr];
        l->closed = true;
        listeners_.erase(addr);
        for (auto& c : l->backlog) {
            abort_side(*c, 1, "host crashed");
        }
        l->backlog.clear();
        l->acceptors.notify_all();
    }
    for (auto& [id, w] : connections_) {
        (void)id;
        auto c = w.lock();
        if (c == nullptr) {
            continue;
        }
        // Its own end dies with it; the peer learns when the RST reaches it (never across a
        // partition: it is half-open until then).
        for (int side = 0; side < 2; ++side) {
            if (c->host[side] == host) {
                abort_side(*c, side, "host crashed");
            }
        }
    }
}

size_t SimNetwork::open_connections() const {
    size_t n = 0;
    for (const auto& [id, w] : connections_) {
        (void)id;
        auto c = w.lock();
        n += (c != nullptr && !c->dead[0] && !c->dead[1] && !(c->closed[0] && c->closed[1])) ? 1U
                                                                                          : 0U;
    }
    return n;
}

}  // namespace eddy::sim
