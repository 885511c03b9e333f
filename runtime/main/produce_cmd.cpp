// `eddy produce TOPIC`: one record per line of stdin. Lines are sent in batches: a batch is cut
// when stdin has nothing more to read right now, at --batch-records records, or at ~512 KiB, so
// a pipe of a million lines goes in large batches and an interactive line goes at once.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/main/client_cli.h"
#include "services/client/batch.h"
#include "services/client/idempotent_producer.h"

namespace eddy::cli {
namespace {

constexpr size_t batch_bytes_max = 512 * 1024;

// Lines of a file descriptor, in chunks of what is available now.
class LineReader {
public:
    explicit LineReader(int fd) : fd_(fd) {}

    // Appends complete lines (without '\n') to `out`: at least one unless at end of input,
    // at most `max`, stopping early when no more input is ready. False at end of input with
    // nothing appended; sets error() on a read error.
    bool next_chunk(std::vector<std::string>& out, size_t max, size_t bytes_max) {
        size_t bytes = 0;
        for (;;) {
            size_t nl;
            while (out.size() < max && bytes < bytes_max &&
                   (nl = buffer_.find('\n', pos_)) != std::string::npos) {
                out.push_back(buffer_.substr(pos_, nl - pos_));
                bytes += nl - pos_;
                pos_ = nl + 1;
            }
            if (pos_ > 0 && pos_ == buffer_.size()) {
                buffer_.clear();
                pos_ = 0;
            }
            if (!out.empty() && (out.size() >= max || bytes >= bytes_max || !ready())) {
                return true;
            }
            if (eof_) {
                if (pos_ < buffer_.size()) {
                    out.push_back(buffer_.substr(pos_));  // a last line without '\n'
                    buffer_.clear();
                    pos_ = 0;
                }
                return !out.empty();
            }
            char chunk[65536];
            const ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                error_ = true;
                eof_ = true;
            } else if (n == 0) {
                eof_ = true;
            } else {
                if (pos_ > 0) {
                    buffer_.erase(0, pos_);
                    pos_ = 0;
                }
                buffer_.append(chunk, static_cast<size_t>(n));
            }
        }
    }
    bool error() const { return error_; }

private:
    bool ready() const {
        if (pos_ < buffer_.size() && buffer_.find('\n', pos_) != std::string::npos) {
            return true;
        }
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }

    int fd_;
    std::string buffer_;
    size_t pos_ = 0;
    bool eof_ = false;
    bool error_ = false;
};

struct ProduceArgs {
    ClientArgs client;
    std::string topic;
    std::string key_separator;
    int partition = -1;
    std::string acks = "all";
    bool no_idempotence = false;
    std::string compression = "none";
    std::vector<std::string> headers;
    int batch_records = 10000;
};

int produce(client::Client& c, Env& env, const ProduceArgs& a) {
    const std::string cmd = "eddy produce";
    client::ProduceOptions po;
    if (a.acks == "all" || a.acks == "-1") {
        po.acks = -1;
    } else if (a.acks == "1") {
        po.acks = 1;
    } else if (a.acks == "0") {
        po.acks = 0;
    } else {
        return report(cmd, "invalid --acks '" + a.acks + "' (expected 0, 1 or all)");
    }
    const std::map<std::string, record::Codec> codecs = {{"none", record::Codec::none},
                                                         {"gzip", record::Codec::gzip},
                                                         {"snappy", record::Codec::snappy},
                                                         {"lz4", record::Codec::lz4},
                                                         {"zstd", record::Codec::zstd}};
    const auto codec = codecs.find(a.compression);
    if (codec == codecs.end()) {
        return report(cmd, "invalid --compression '" + a.compression +
                               "' (expected none, gzip, snappy, lz4 or zstd)");
    }
    po.compression = codec->second;
    std::vector<client::RecordHeader> headers;
    for (const std::string& h : a.headers) {
        const size_t eq = h.find('=');
        if (eq == 0) {
            return report(cmd, "invalid --header '" + h + "' (expected KEY=VALUE)");
        }
        client::RecordHeader rh;
        rh.key = h.substr(0, eq);
        if (eq != std::string::npos) {
            rh.value = h.substr(eq + 1);  // "K" alone: a null value
        }
        headers.push_back(std::move(rh));
    }

    auto topic = c.topic(a.topic);
    if (!topic.ok()) {
        return report(cmd, topic.error());
    }
    const auto count = static_cast<int32_t>(topic->partitions.size());
    if (count == 0) {
        return report(cmd, "topic '" + a.topic + "' has no partitions");
    }
    if (a.partition >= count) {
        return report(cmd, "topic '" + a.topic + "' has no partition " +
                               std::to_string(a.partition) + " (it has " + std::to_string(count) +
                               ")");
    }
    // Keyless records go to one partition per batch, rotating from a random start.
    int32_t next_keyless = static_cast<int32_t>(env.random.below(static_cast<uint64_t>(count)));

    // Idempotence is on with acks=all, as in Kafka's producer since 3.0: a batch retried after a
    // lost answer is written once. A broker without InitProducerId gets plain produce requests.
    std::optional<client::IdempotentProducer> idempotent;
    if (po.acks == -1 && !a.no_idempotence) {
        const auto v = c.versions();
        if (v.ok() && v->version(protocol::ApiKey::init_producer_id)) {
            idempotent.emplace(env, c);
        }
    }

    LineReader lines(STDIN_FILENO);
    std::vector<std::string> chunk;
    uint64_t produced = 0;
    for (;;) {
        chunk.clear();
        if (!lines.next_chunk(chunk, static_cast<size_t>(a.batch_records), batch_bytes_max)) {
            break;
        }
        std::map<int32_t, std::vector<client::ProducerRecord>> by_partition;
        const int32_t keyless = next_keyless;
        next_keyless = (next_keyless + 1) % count;
        for (std::string& line : chunk) {
            client::ProducerRecord r;
            r.headers = headers;
            size_t sep = std::string::npos;
            if (!a.key_separator.empty()) {
                sep = line.find(a.key_separator);
            }
            if (sep != std::string::npos) {
                r.key = line.substr(0, sep);
                r.value = line.substr(sep + a.key_separator.size());
            } else {
                r.value = std::move(line);
            }
            int32_t p = a.partition;
            if (p < 0) {
                p = r.key ? client::partition_for_key(*r.key, count) : keyless;
            }
            by_partition[p].push_back(std::move(r));
        }
        for (const auto& [p, records] : by_partition) {
            auto res = idempotent
                           ? idempotent->send(
                                 a.topic, PartitionId(p), records,
                                 env.scheduler.now() + Duration::millis(a.client.timeout_ms), po)
                           : c.produce(a.topic, PartitionId(p), records, po);
            if (!res.ok()) {
                return report(cmd, res.error());
            }
            produced += records.size();
        }
    }
    if (lines.error()) {
        return report(cmd, std::string("error reading stdin"));
    }
    (void)produced;
    return 0;
}

}  // namespace

void add_produce_command(CLI::App& app, int& exit_code) {
    auto a = std::make_shared<ProduceArgs>();
    auto* cmd =
        app.add_subcommand("produce", "Produce records to a topic: one record per line of stdin");
    cmd->add_option("topic", a->topic, "Topic to produce to")->required();
    cmd->add_option("-k,--key-separator", a->key_separator,
                    "Split each line at the first SEP into key and value (lines without SEP get "
                    "a null key); default: no key");
    cmd->add_option("-p,--partition", a->partition,
                    "Partition to produce to (default: by key hash, as Kafka's partitioner; "
                    "keyless batches rotate over partitions)")
        ->check(CLI::Range(0, 1000000));
    cmd->add_option("-a,--acks", a->acks,
                    "0 (no response), 1 (leader) or all (in-sync replicas; default)");
    cmd->add_flag("--no-idempotence", a->no_idempotence,
                  "Plain produce requests even with acks=all (idempotence is on by default with "
                  "acks=all, off with acks 0 or 1)");
    cmd->add_option("-z,--compression", a->compression,
                    "Batch compression: none (default), gzip, snappy, lz4 or zstd");
    cmd->add_option("-H,--header", a->headers,
                    "Header KEY=VALUE added to every record (repeatable; KEY alone: null value)");
    cmd->add_option("--batch-records", a->batch_records,
                    "At most this many records per produce request (default 10000)")
        ->check(CLI::Range(1, 1000000));
    add_client_options(cmd, a->client);
    cmd->callback([a, &exit_code] {
        exit_code = run_client("eddy produce", a->client,
                               [a](client::Client& c, Env& env) { return produce(c, env, *a); });
    });
}

}  // namespace eddy::cli
