// eddy-loadgen: a small librdkafka load generator for benchmarking `eddy broker` (issue 4).
//
// Modes (each prints one `key=value ...` line on stdout; diagnostics go to stderr):
//   produce   N messages of S bytes to partition 0, acks 1 or all. Throughput mode sends as fast
//             as librdkafka accepts them (linger/batch tuned for throughput); with --rate R it
//             sends at a fixed R msgs/s and measures latency from the *intended* send time, so a
//             stalled broker is not hidden by a stalled sender (coordinated omission). Every
//             delivery report gives one ack latency -> p50/p99/p99.9/max.
//   consume   reads partition 0 from offset 0 until --count messages arrived, checking that the
//             offsets are contiguous from 0 and every value has --size bytes; MB/s.
//   loopback  the physical reference in the same process: a 127.0.0.1 TCP socket pair, one thread
//             writing --bytes in 64 KiB writes and one reading them; MB/s. Then a 100 B
//             TCP_NODELAY ping-pong for the loopback round-trip time (p50/p99).
// Exit status: 0 on success, 1 on any delivery error, missing/misordered message or bad usage.
// MB/s is payload bytes / 1e6 per second (no keys, headers or batch overhead counted).
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

struct Options {
    std::string mode;
    std::string brokers = "127.0.0.1:9092";
    std::string topic = "bench";
    std::string acks = "1";
    int64_t count = 100000;
    int64_t size = 100;
    int64_t rate = 0;           // msgs/s; 0 = as fast as possible
    double seconds_max = 0;     // produce: stop sending after this long (0 = no limit)
    int64_t linger_ms = -1;     // -1 = mode default (5 for throughput, 0 for fixed rate)
    int64_t bytes = 1LL << 30;  // loopback bytes
    double timeout_s = 60;      // consume: give up after this long
    // -X key=value: extra librdkafka settings (security.protocol=ssl, ssl.ca.location=...).
    std::vector<std::pair<std::string, std::string>> extra;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "eddy-loadgen: %s\n"
                 "usage: eddy-loadgen produce|consume|loopback [--brokers H:P] [--topic T]\n"
                 "         [--count N] [--size BYTES] [--acks 0|1|all] [--rate MSGS_S]\n"
                 "         [--seconds-max S] [--linger-ms MS] [--bytes N] [--timeout S]\n"
                 "         [-X librdkafka.key=value]...\n",
                 why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    if (argc < 2) {
        usage("missing mode");
    }
    Options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        std::string k = argv[i];
        if (i + 1 >= argc) {
            usage(("missing value for " + k).c_str());
        }
        const char* v = argv[i + 1];
        if (k == "--brokers") {
            o.brokers = v;
        } else if (k == "--topic") {
            o.topic = v;
        } else if (k == "--acks") {
            o.acks = v;
        } else if (k == "--count") {
            o.count = std::atoll(v);
        } else if (k == "--size") {
            o.size = std::atoll(v);
        } else if (k == "--rate") {
            o.rate = std::atoll(v);
        } else if (k == "--seconds-max") {
            o.seconds_max = std::atof(v);
        } else if (k == "--linger-ms") {
            o.linger_ms = std::atoll(v);
        } else if (k == "--bytes") {
            o.bytes = std::atoll(v);
        } else if (k == "--timeout") {
            o.timeout_s = std::atof(v);
        } else if (k == "-X") {
            const std::string kv = v;
            const size_t eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) {
                usage("-X expects key=value");
            }
            o.extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        } else {
            usage(("unknown option " + k).c_str());
        }
    }
    if (o.count <= 0 || o.size < 0 || o.size > (1 << 20) || o.rate < 0 || o.bytes <= 0) {
        usage("bad --count/--size/--rate/--bytes");
    }
    return o;
}

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        std::fprintf(stderr, "eddy-loadgen: config %s=%s: %s\n", key, value.c_str(), err);
        std::exit(2);
    }
}

void set_extra(rd_kafka_conf_t* conf, const Options& o) {
    for (const auto& kv : o.extra) {
        set(conf, kv.first.c_str(), kv.second);
    }
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        std::fprintf(stderr, "eddy-loadgen: rd_kafka_new: %s\n", err);
        std::exit(1);
    }
    return rk;
}

// Percentile by nearest rank over sorted values (ns) -> microseconds.
double pct_us(const std::vector<int64_t>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    auto n = static_cast<double>(sorted.size());
    auto rank = static_cast<size_t>(std::min(n - 1, std::max(0.0, p / 100.0 * n - 1e-9)));
    return static_cast<double>(sorted[rank]) / 1e3;
}

// ------------------------------------------------------------------------------------ produce

struct ProduceState {
    std::vector<int64_t> sent_ns;     // intended send time per message id
    std::vector<int64_t> latency_ns;  // filled by delivery reports
    int64_t delivered = 0;
    int64_t errors = 0;
    rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* st = static_cast<ProduceState*>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (st->errors++ == 0) {
            st->first_error = m->err;
        }
        return;
    }
    auto id = reinterpret_cast<uintptr_t>(m->_private);
    st->latency_ns.push_back(now_ns() - st->sent_ns[id]);
    st->delivered++;
}

int produce(const Options& o) {
    ProduceState st;
    st.sent_ns.resize(static_cast<size_t>(o.count));
    st.latency_ns.reserve(static_cast<size_t>(o.count));
    const bool paced = o.rate > 0;
    const int64_t linger = o.linger_ms >= 0 ? o.linger_ms : (paced ? 0 : 5);

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", o.brokers);
    set_extra(conf, o);
    set(conf, "acks", o.acks);
    set(conf, "linger.ms", std::to_string(linger));
    set(conf, "batch.num.messages", "100000");
    set(conf, "batch.size", std::to_string(1 << 20));
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "queue.buffering.max.kbytes", "65536");  // like Kafka perf-test buffer.memory
    set(conf, "compression.codec", "none");
    set(conf, "message.timeout.ms", "60000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, conf);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);

    // One payload buffer for every message: librdkafka only reads it (no F_COPY, no F_FREE).
    std::vector<char> payload(static_cast<size_t>(std::max<int64_t>(o.size, 1)));
    for (size_t i = 0; i < payload.size(); i++) {
        payload[i] = static_cast<char>('a' + i % 26);
    }

    // Warm-up: one message so metadata and the connection are in place before the clock starts.
    // It is not counted (consume expects o.count + 1 messages).
    st.sent_ns.push_back(now_ns());
    auto warm_id = static_cast<uintptr_t>(o.count);
    while (rd_kafka_produce(rkt, 0, 0, payload.data(), static_cast<size_t>(o.size), nullptr, 0,
                            reinterpret_cast<void*>(warm_id)) != 0) {
        rd_kafka_poll(rk, 10);
    }
    rd_kafka_flush(rk, 30000);
    if (st.errors != 0) {
        std::fprintf(stderr, "eddy-loadgen: warm-up message failed: %s\n",
                     rd_kafka_err2str(st.first_error));
        return 1;
    }
    st.latency_ns.clear();
    st.delivered = 0;

    const int64_t start = now_ns();
    const int64_t deadline =
        o.seconds_max > 0 ? start + static_cast<int64_t>(o.seconds_max * 1e9) : INT64_MAX;
    const double interval_ns = paced ? 1e9 / static_cast<double>(o.rate) : 0;
    // Paced: delivery reports are served by a thread blocked in rd_kafka_poll, so an ack is timed
    // when it arrives, not when the sender next wakes up. Max rate: the sender polls in between.
    std::atomic<bool> polling{paced};
    std::thread poller([&] {
        while (polling) {
            rd_kafka_poll(rk, 50);
        }
    });
    int64_t sent = 0;
    for (; sent < o.count; sent++) {
        int64_t t = now_ns();
        if (paced) {
            int64_t due = start + static_cast<int64_t>(interval_ns * static_cast<double>(sent));
            if (due - t > 60000) {
                std::this_thread::sleep_for(std::chrono::nanoseconds(due - t - 50000));
            }
            while (t < due) {
                t = now_ns();
            }
            t = due;  // latency from the intended send time
        }
        if (t > deadline) {
            break;
        }
        st.sent_ns[static_cast<size_t>(sent)] = t;
        auto id = static_cast<uintptr_t>(sent);
        while (rd_kafka_produce(rkt, 0, 0, payload.data(), static_cast<size_t>(o.size), nullptr,
                                0, reinterpret_cast<void*>(id)) != 0) {
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                std::fprintf(stderr, "eddy-loadgen: produce: %s\n", rd_kafka_err2str(e));
                return 1;
            }
            if (paced) {
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            } else {
                rd_kafka_poll(rk, 1);
            }
        }
        if ((sent & 1023) == 0 && !paced) {
            rd_kafka_poll(rk, 0);
        }
    }
    polling = false;
    poller.join();
    while (rd_kafka_outq_len(rk) > 0 && now_ns() - start < static_cast<int64_t>(600e9)) {
        rd_kafka_poll(rk, 10);
    }
    const double secs = static_cast<double>(now_ns() - start) / 1e9;
    int outq = rd_kafka_outq_len(rk);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);

    std::sort(st.latency_ns.begin(), st.latency_ns.end());
    const double msgs_s = static_cast<double>(st.delivered) / secs;
    std::printf("mode=produce size=%" PRId64 " acks=%s rate=%" PRId64 " linger_ms=%" PRId64
                " sent=%" PRId64 " delivered=%" PRId64 " errors=%" PRId64
                " elapsed_s=%.3f msgs_s=%.0f mb_s=%.1f p50_us=%.0f p99_us=%.0f"
                " p999_us=%.0f max_us=%.0f\n",
                o.size, o.acks.c_str(), o.rate, linger, sent, st.delivered, st.errors, secs, msgs_s,
                msgs_s * static_cast<double>(o.size) / 1e6, pct_us(st.latency_ns, 50),
                pct_us(st.latency_ns, 99), pct_us(st.latency_ns, 99.9),
                pct_us(st.latency_ns, 100));
    if (st.errors != 0 || st.delivered != sent || outq != 0) {
        std::fprintf(stderr, "eddy-loadgen: %" PRId64 " delivery errors (first: %s), %d undelivered\n",
                     st.errors, rd_kafka_err2str(st.first_error), outq);
        return 1;
    }
    return 0;
}

// ------------------------------------------------------------------------------------ consume

struct ConsumeState {
    int64_t size = 0;
    int64_t next_offset = 0;
    int64_t received = 0;
    int64_t bytes = 0;
    int64_t bad = 0;
    std::string first_bad;
};

void on_message(rd_kafka_message_t* m, void* opaque) {
    auto* st = static_cast<ConsumeState*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        return;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->offset != st->next_offset ||
        static_cast<int64_t>(m->len) != st->size) {
        if (st->bad++ == 0) {
            char buf[256];
            std::snprintf(buf, sizeof buf, "offset %" PRId64 " (expected %" PRId64 "), len %zu: %s",
                          m->offset, st->next_offset, m->len, rd_kafka_err2str(m->err));
            st->first_bad = buf;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;
        }
    }
    st->next_offset = m->offset + 1;
    st->received++;
    st->bytes += static_cast<int64_t>(m->len);
}

int consume(const Options& o) {
    ConsumeState st;
    st.size = o.size;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", o.brokers);
    set_extra(conf, o);
    set(conf, "fetch.message.max.bytes", std::to_string(4 << 20));  // per partition
    set(conf, "fetch.max.bytes", std::to_string(64 << 20));
    set(conf, "fetch.wait.max.ms", "100");
    set(conf, "queued.min.messages", "1000000");
    set(conf, "queued.max.messages.kbytes", std::to_string(256 << 10));
    set(conf, "enable.partition.eof", "false");
    rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, conf);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);

    // The simple (legacy) consumer: partition 0 from offset 0, no consumer group involved.
    const int64_t start = now_ns();
    if (rd_kafka_consume_start(rkt, 0, 0) != 0) {
        std::fprintf(stderr, "eddy-loadgen: consume_start: %s\n",
                     rd_kafka_err2str(rd_kafka_last_error()));
        return 1;
    }
    int64_t first = 0;
    const auto timeout = static_cast<int64_t>(o.timeout_s * 1e9);
    while (st.received < o.count && now_ns() - start < timeout) {
        rd_kafka_consume_callback(rkt, 0, 100, on_message, &st);
        if (first == 0 && st.received > 0) {
            first = now_ns();
        }
    }
    const double secs = static_cast<double>(now_ns() - start) / 1e9;
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);

    const double msgs_s = static_cast<double>(st.received) / secs;
    std::printf("mode=consume size=%" PRId64 " expected=%" PRId64 " received=%" PRId64
                " bad=%" PRId64 " elapsed_s=%.3f first_msg_ms=%.1f msgs_s=%.0f mb_s=%.1f\n",
                o.size, o.count, st.received, st.bad, secs,
                first > 0 ? static_cast<double>(first - start) / 1e6 : -1.0, msgs_s,
                static_cast<double>(st.bytes) / secs / 1e6);
    if (st.bad != 0 || st.received != o.count) {
        std::fprintf(stderr, "eddy-loadgen: consume: %" PRId64 " of %" PRId64
                             " messages, %" PRId64 " bad (first: %s)\n",
                     st.received, o.count, st.bad, st.first_bad.c_str());
        return 1;
    }
    return 0;
}

// ----------------------------------------------------------------------------------- loopback

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "eddy-loadgen: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// A connected 127.0.0.1 TCP pair: {client, server}.
std::pair<int, int> tcp_pair() {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        die("socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(lfd, 1) != 0 ||
        getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        die("bind/listen");
    }
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    if (cfd < 0 || connect(cfd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
        die("connect");
    }
    int sfd = accept(lfd, nullptr, nullptr);
    if (sfd < 0) {
        die("accept");
    }
    close(lfd);
    return {cfd, sfd};
}

int loopback(const Options& o) {
    constexpr size_t chunk = 64 << 10;
    auto [cfd, sfd] = tcp_pair();
    std::atomic<int64_t> got{0};
    std::thread reader([fd = sfd, &got] {
        std::vector<char> buf(1 << 20);
        int64_t n = 0;
        for (;;) {
            ssize_t r = read(fd, buf.data(), buf.size());
            if (r <= 0) {
                break;
            }
            n += r;
        }
        got = n;
    });
    std::vector<char> buf(chunk, 'x');
    const int64_t start = now_ns();
    int64_t left = o.bytes;
    while (left > 0) {
        size_t want = std::min(chunk, static_cast<size_t>(left));
        ssize_t w = write(cfd, buf.data(), want);
        if (w <= 0) {
            die("write");
        }
        left -= w;
    }
    shutdown(cfd, SHUT_WR);
    reader.join();
    const double secs = static_cast<double>(now_ns() - start) / 1e9;
    close(cfd);
    close(sfd);
    if (got != o.bytes) {
        std::fprintf(stderr, "eddy-loadgen: loopback read %" PRId64 " of %" PRId64 " bytes\n",
                     got.load(), o.bytes);
        return 1;
    }

    // Round trip: 100 B request, 100 B reply, TCP_NODELAY both ways.
    auto [a, b] = tcp_pair();
    int one = 1;
    setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    constexpr int rounds = 20000;
    std::thread echo([fd = b] {
        char m[100];
        for (;;) {
            size_t have = 0;
            while (have < sizeof m) {
                ssize_t r = read(fd, m + have, sizeof m - have);
                if (r <= 0) {
                    return;
                }
                have += static_cast<size_t>(r);
            }
            if (write(fd, m, sizeof m) != static_cast<ssize_t>(sizeof m)) {
                return;
            }
        }
    });
    std::vector<int64_t> rtt;
    rtt.reserve(rounds);
    char m[100] = {};
    for (int i = 0; i < rounds; i++) {
        int64_t t = now_ns();
        if (write(a, m, sizeof m) != static_cast<ssize_t>(sizeof m)) {
            die("write");
        }
        size_t have = 0;
        while (have < sizeof m) {
            ssize_t r = read(a, m + have, sizeof m - have);
            if (r <= 0) {
                die("read");
            }
            have += static_cast<size_t>(r);
        }
        rtt.push_back(now_ns() - t);
    }
    shutdown(a, SHUT_WR);
    echo.join();
    close(a);
    close(b);
    std::sort(rtt.begin(), rtt.end());
    std::printf("mode=loopback bytes=%" PRId64 " elapsed_s=%.3f mb_s=%.1f rtt_p50_us=%.1f"
                " rtt_p99_us=%.1f rtt_p999_us=%.1f\n",
                o.bytes, secs, static_cast<double>(o.bytes) / secs / 1e6, pct_us(rtt, 50),
                pct_us(rtt, 99), pct_us(rtt, 99.9));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (o.mode == "produce") {
        return produce(o);
    }
    if (o.mode == "consume") {
        return consume(o);
    }
    if (o.mode == "loopback") {
        return loopback(o);
    }
    usage(("unknown mode " + o.mode).c_str());
}
