// Hostile-client sessions: frame building, the response oracle and the session in a SimWorld (see
// hostile_session.h).
#include "tests/fuzz/hostile/hostile_session.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <utility>

#include "core/base/assert.h"
#include "core/fiber/sync.h"
#include "core/protocol/error_codes.h"
#include "core/protocol/generated/all_messages.h"
#include "core/protocol/message_header.h"
#include "core/record/record_batch.h"
#include "core/record/record_batch_builder.h"
#include "services/kafka/api_table.h"
#include "services/kafka/broker.h"
#include "services/net/frame_server.h"
#include "sim/world.h"

namespace eddy::hostile {

namespace {

using protocol::ApiKey;

constexpr const char* broker_host = "broker";
constexpr uint16_t broker_port = 9092;
constexpr uint16_t controller_port = 9093;
constexpr int32_t broker_node_id = 1;  // the default node.id, the only voter
// After a controller frame the node must lead its quorum again within this (a forged higher epoch
// deposes it; it elects itself after an election timeout, 1-2 s by default).
constexpr Duration quorum_recovery_wait = Duration::seconds(20);
// How long (simulated) a hostile request may go unanswered before the client gives up on it.
constexpr Duration reply_wait = Duration::seconds(30);
// An ordinary request must be answered well within this.
constexpr Duration ordinary_wait = Duration::seconds(10);
constexpr size_t response_bytes_max = size_t{256} << 20;
constexpr const char* session_topic = "t";
constexpr const char* probe_topic = "hostile-probe";
constexpr const char* probe_group = "hostile-probe-group";

// Encodes the body of `key` at `version` into `w`, filled by randomize() from `rng`.
void encode_random_body(ApiKey key, int16_t version, protocol::Rng& rng, protocol::Writer& w) {
    switch (key) {
#define EDDY_HOSTILE_BODY(name, Req, Resp) \
    case ApiKey::name: {                   \
        Req m;                             \
        randomize(m, rng, version);        \
        m.encode(w, version);              \
        return;                            \
    }
        EDDY_PROTOCOL_FOR_EACH_API(EDDY_HOSTILE_BODY)
#undef EDDY_HOSTILE_BODY
    }
    UNREACHABLE("every ApiKey has a message");
}

// Decodes the body of a response to `key` at `version`; true if it decodes completely.
bool response_body_decodes(ApiKey key, int16_t version, protocol::Reader& r) {
    switch (key) {
#define EDDY_HOSTILE_RESPONSE(name, Req, Resp) \
    case ApiKey::name: {                       \
        auto m = Resp::decode(r, version);     \
        return m.ok() && r.remaining() == 0;   \
    }
        EDDY_PROTOCOL_FOR_EACH_API(EDDY_HOSTILE_RESPONSE)
#undef EDDY_HOSTILE_RESPONSE
    }
    UNREACHABLE("every ApiKey has a message");
}

template <typename Req>
HostileFrame plain_frame(const Req& req, int16_t version, int32_t correlation_id,
                         std::string client_id, std::string label,
                         kafka::ListenerKind listener = kafka::ListenerKind::client) {
    protocol::RequestHeader h;
    h.request_api_key_ = static_cast<int16_t>(Req::api_key);
    h.request_api_version_ = version;
    h.correlation_id_ = correlation_id;
    h.client_id_ = std::move(client_id);
    HostileFrame f;
    protocol::Writer w(f.body);
    protocol::encode_request_header(w, h);
    req.encode(w, version);
    f.listener = listener;
    f.key = static_cast<ApiKey>(Req::api_key);
    f.header_version = version;
    f.correlation_id = correlation_id;
    f.label = std::move(label);
    return f;
}

Bytes one_record_batch(std::string_view value) {
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    b.append(record::TimestampMs(1'700'000'000'000), as_bytes("k"), as_bytes(value));
    return b.build();
}

protocol::ProduceRequest produce_request(const std::string& topic, int32_t partition,
                                         Bytes records) {
    protocol::ProduceRequest p;
    p.acks_ = -1;
    p.timeout_ms_ = 5000;
    p.topic_data_.emplace_back();
    p.topic_data_[0].name_ = topic;
    p.topic_data_[0].partition_data_.emplace_back();
    p.topic_data_[0].partition_data_[0].index_ = partition;
    p.topic_data_[0].partition_data_[0].records_ = std::move(records);
    return p;
}

// The broker of a session, on its own node; runs until `stop` is set.
struct BrokerNode {
    explicit BrokerNode(config::BrokerConfig c) : config(std::move(c)) {}
    config::BrokerConfig config;
    bool started = false;
    bool stopped = false;
    std::string start_error;
    std::unique_ptr<Event> stop;

    sim::SimNode::Boot boot() {
        return [this](Env& env) {
            kafka::Broker b(env, config);
            auto r = b.start();
            if (!r.ok()) {
                start_error = r.error();
                stopped = true;
                return;
            }
            stop = std::make_unique<Event>(env.scheduler);
            started = true;
            (void)stop->wait();
            b.stop();
            stopped = true;
        };
    }
};

config::BrokerConfig session_config() {
    // One offsets partition: the coordinator comes up quickly, and a fuzz input pays little for it.
    auto c = config::BrokerConfig::load(
        {}, {{"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"},
             {"offsets.topic.num.partitions", "1"}});
    ASSERT(c.ok());
    return std::move(c).value();
}

enum class Reply : uint8_t { answered, closed, silent };

struct Received {
    Reply reply = Reply::closed;
    Bytes body;
};

// Sends `frame` on `conn` and waits up to `wait` for one response frame.
Received exchange(Env& env, Connection& conn, ByteSpan frame, Duration wait) {
    if (!net::write_frame(conn, frame).ok()) {
        return {};  // the broker closed the connection while the frame was going out
    }
    struct Slot {
        explicit Slot(Scheduler& s) : done(s) {}
        std::optional<Result<Bytes, NetError>> got;
        Event done;
    };
    auto slot = std::make_shared<Slot>(env.scheduler);
    env.scheduler.spawn("hostile-reader", [slot, &conn] {
        slot->got = net::read_frame(conn, response_bytes_max);
        slot->done.set();
    });
    if (!slot->done.wait(env.scheduler.now() + wait).ok()) {
        conn.close();
        (void)slot->done.wait();  // the read fails with closed at once
        return {Reply::silent, {}};
    }
    if (!slot->got->ok()) {
        return {};
    }
    return {Reply::answered, std::move(**slot->got)};
}

std::unique_ptr<Connection> connect(Env& env,
                                    kafka::ListenerKind listener = kafka::ListenerKind::client,
                                    const std::string& host = broker_host) {
    const uint16_t port =
        listener == kafka::ListenerKind::controller ? controller_port : broker_port;
    auto c = env.network.connect({host, port}, Duration::seconds(1));
    return c.ok() ? std::move(c).value() : nullptr;
}

// An ordinary client: one request on a fresh connection, the decoded response or an error line.
class Ordinary {
public:
    explicit Ordinary(Env& env, std::string host = broker_host)
        : env_(env), host_(std::move(host)) {}

    template <typename Resp, typename Req>
    std::optional<Resp> call(const Req& req, int16_t version, std::string* why,
                             kafka::ListenerKind listener = kafka::ListenerKind::client) {
        auto conn = connect(env_, listener, host_);
        if (!conn) {
            *why = "cannot connect";
            return std::nullopt;
        }
        const HostileFrame f = plain_frame(req, version, ++correlation_, "ordinary", "");
        Received got = exchange(env_, *conn, f.body, ordinary_wait);
        conn->close();
        if (got.reply != Reply::answered) {
            *why = std::string(protocol::to_string(f.key)) + " v" + std::to_string(version) +
                   (got.reply == Reply::closed ? ": connection closed" : ": no answer");
            return std::nullopt;
        }
        protocol::Reader r(got.body);
        auto h = protocol::decode_response_header(r, f.key, version);
        if (h.ok() && h->correlation_id_ == f.correlation_id) {
            auto resp = Resp::decode(r, version);
            if (resp.ok()) {
                return std::move(resp).value();
            }
        }
        *why = std::string(protocol::to_string(f.key)) + ": malformed response";
        return std::nullopt;
    }

private:
    Env& env_;
    std::string host_;
    int32_t correlation_ = 1'000'000;
};

// The state the hostile requests meet: topic "t" with records, the offsets topic.
std::string prepare(Env& env) {
    Ordinary c(env);
    std::string why;
    protocol::CreateTopicsRequest ct;
    ct.topics_.emplace_back();
    ct.topics_[0].name_ = session_topic;
    ct.topics_[0].num_partitions_ = 2;
    ct.topics_[0].replication_factor_ = -1;
    auto created = c.call<protocol::CreateTopicsResponse>(ct, 5, &why);
    if (!created || created->topics_.at(0).error_code_ != 0) {
        return "prepare: create topic: " + why;
    }
    for (int32_t p = 0; p < 2; ++p) {
        auto produced = c.call<protocol::ProduceResponse>(
            produce_request(session_topic, p, one_record_batch("session")), 9, &why);
        if (!produced) {
            return "prepare: produce: " + why;
        }
    }
    // The offsets topic is created on the first coordinator lookup.
    protocol::FindCoordinatorRequest fc;
    fc.key_ = "g";
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto found = c.call<protocol::FindCoordinatorResponse>(fc, 1, &why);
        if (!found) {
            return "prepare: find coordinator: " + why;
        }
        if (found->error_code_ == 0) {
            return "";
        }
        env.scheduler.sleep_for(Duration::millis(100));
    }
    return "prepare: the group coordinator never became available";
}

// After every hostile request: an ordinary Metadata request is answered.
std::string still_serving(Env& env) {
    Ordinary c(env);
    std::string why;
    protocol::MetadataRequest md;
    md.topics_.emplace();
    md.topics_->emplace_back();
    md.topics_->back().name_ = session_topic;
    md.allow_auto_topic_creation_ = false;
    return c.call<protocol::MetadataResponse>(md, 12, &why) ? "" : "then Metadata: " + why;
}

// After a controller listener frame: the controller listener answers an ordinary request, and
// the node leads its quorum (DescribeQuorum there names it), at once or after an election.
std::string quorum_led(Env& env) {
    Ordinary c(env);
    std::string why;
    protocol::DescribeQuorumRequest dq;
    dq.topics_.emplace_back();
    dq.topics_[0].topic_name_ = kafka::metadata_topic;
    dq.topics_[0].partitions_.emplace_back();
    dq.topics_[0].partitions_[0].partition_index_ = 0;
    const Instant deadline = env.scheduler.now() + quorum_recovery_wait;
    int32_t leader = -1;
    while (true) {
        auto d =
            c.call<protocol::DescribeQuorumResponse>(dq, 0, &why, kafka::ListenerKind::controller);
        if (!d) {
            return "then DescribeQuorum on the controller listener: " + why;
        }
        if (d->topics_.size() != 1 || d->topics_[0].partitions_.size() != 1) {
            return "then DescribeQuorum: not one partition in the answer";
        }
        leader = d->topics_[0].partitions_[0].leader_id_;
        if (leader == broker_node_id && d->topics_[0].partitions_[0].error_code_ == 0) {
            return "";
        }
        if (env.scheduler.now() >= deadline) {
            break;
        }
        env.scheduler.sleep_for(Duration::millis(200));
    }
    return "then the quorum: led by " + std::to_string(leader) + ", not node " +
           std::to_string(broker_node_id) + ", " +
           std::to_string(quorum_recovery_wait.to_millis()) + " ms later";
}

// At the end: a new topic takes a record and gives it back, and a group commits an offset.
std::string round_trip(Env& env) {
    Ordinary c(env);
    std::string why;
    protocol::CreateTopicsRequest ct;
    ct.topics_.emplace_back();
    ct.topics_[0].name_ = probe_topic;
    ct.topics_[0].num_partitions_ = 1;
    ct.topics_[0].replication_factor_ = -1;
    auto created = c.call<protocol::CreateTopicsResponse>(ct, 5, &why);
    if (!created) {
        return "final create topic: " + why;
    }
    if (created->topics_.at(0).error_code_ != 0) {
        return "final create topic: error " + std::to_string(created->topics_.at(0).error_code_);
    }
    auto produced = c.call<protocol::ProduceResponse>(
        produce_request(probe_topic, 0, one_record_batch("probe")), 9, &why);
    if (!produced) {
        return "final produce: " + why;
    }
    const auto& pr = produced->responses_.at(0).partition_responses_.at(0);
    if (pr.error_code_ != 0 || pr.base_offset_ != 0) {
        return "final produce: error " + std::to_string(pr.error_code_);
    }
    protocol::FetchRequest f;
    f.max_wait_ms_ = 0;
    f.min_bytes_ = 1;
    f.topics_.emplace_back();
    f.topics_[0].topic_ = probe_topic;
    f.topics_[0].partitions_.emplace_back();
    f.topics_[0].partitions_[0].partition_ = 0;
    f.topics_[0].partitions_[0].fetch_offset_ = 0;
    f.topics_[0].partitions_[0].partition_max_bytes_ = 1 << 20;
    auto fetched = c.call<protocol::FetchResponse>(f, 12, &why);
    if (!fetched) {
        return "final fetch: " + why;
    }
    const auto& fp = fetched->responses_.at(0).partitions_.at(0);
    if (fp.error_code_ != 0 || fp.high_watermark_ != 1 || !fp.records_) {
        return "final fetch: error " + std::to_string(fp.error_code_);
    }
    auto batches = record::split_batches(*fp.records_, record::PartialTail::ignore);
    bool found = false;
    if (batches.ok()) {
        for (const auto& b : *batches) {
            auto recs = record::BatchRecords::open(b);
            if (!recs.ok()) {
                continue;
            }
            auto all = recs->decode_all();
            if (all.ok()) {
                for (const auto& rec : *all) {
                    found = found || (rec.value && as_chars(*rec.value) == "probe");
                }
            }
        }
    }
    if (!found) {
        return "final fetch: the produced record is not there";
    }
    protocol::OffsetCommitRequest oc;
    oc.group_id_ = probe_group;
    oc.topics_.emplace_back();
    oc.topics_[0].name_ = probe_topic;
    oc.topics_[0].partitions_.emplace_back();
    oc.topics_[0].partitions_[0].partition_index_ = 0;
    oc.topics_[0].partitions_[0].committed_offset_ = 1;
    auto committed = c.call<protocol::OffsetCommitResponse>(oc, 7, &why);
    if (!committed) {
        return "final offset commit: " + why;
    }
    if (committed->topics_.at(0).partitions_.at(0).error_code_ != 0) {
        return "final offset commit: error " +
               std::to_string(committed->topics_.at(0).partitions_.at(0).error_code_);
    }
    protocol::OffsetFetchRequest of;
    of.group_id_ = probe_group;
    of.topics_.emplace();
    of.topics_->emplace_back();
    of.topics_->back().name_ = probe_topic;
    of.topics_->back().partition_indexes_ = {0};
    auto offsets = c.call<protocol::OffsetFetchResponse>(of, 5, &why);
    if (!offsets) {
        return "final offset fetch: " + why;
    }
    if (offsets->topics_.empty() || offsets->topics_[0].partitions_.empty() ||
        offsets->topics_[0].partitions_[0].committed_offset_ != 1) {
        return "final offset fetch: the committed offset is not there";
    }
    return "";
}

std::string case_label(const HostileCase& c, int16_t header_version) {
    std::string s =
        std::string(c.listener == kafka::ListenerKind::controller ? "controller: " : "") +
        protocol::to_string(c.key) + " v" + std::to_string(c.version);
    switch (c.mismatch) {
        case Mismatch::none:
            break;
        case Mismatch::body_version:
        case Mismatch::unsupported_version:
            s += " (header says v" + std::to_string(header_version) + ")";
            break;
        case Mismatch::header_format:
            s += " (wrong header version)";
            break;
    }
    return s + ", " + std::to_string(c.budget_bytes / 1024) + " KiB budget";
}

}  // namespace

std::vector<std::string> hostile_names() {
    return {session_topic, "__consumer_offsets", kafka::metadata_topic, "g", ""};
}

HostileFrame build_hostile_frame(const HostileCase& c, protocol::Rng& bits,
                                 int32_t correlation_id) {
    const auto range = kafka::supported(c.key, c.listener);
    ASSERT(range && c.version >= range->min_version && c.version <= range->max_version,
           "a hostile case encodes its body in a version the listener serves");
    protocol::ExtremeRng rng(bits, c.budget_bytes, hostile_names());

    int16_t claimed = c.version;
    int16_t header_format = protocol::request_header_version(c.key, c.version);
    switch (c.mismatch) {
        case Mismatch::none:
            break;
        case Mismatch::body_version: {
            const auto n = static_cast<uint64_t>(range->max_version - range->min_version + 1);
            claimed = static_cast<int16_t>(range->min_version +
                                           static_cast<int16_t>(protocol::random_below(rng, n)));
            header_format = protocol::request_header_version(c.key, claimed);
            break;
        }
        case Mismatch::unsupported_version: {
            const int16_t choices[] = {static_cast<int16_t>(range->max_version + 1),
                                       static_cast<int16_t>(range->min_version - 1), -1,
                                       std::numeric_limits<int16_t>::max(),
                                       std::numeric_limits<int16_t>::min()};
            claimed = choices[protocol::random_below(rng, std::size(choices))];
            header_format = protocol::request_header_version(c.key, claimed);
            break;
        }
        case Mismatch::header_format:
            header_format = header_format == 2 ? 1 : 2;
            break;
    }

    protocol::RequestHeader h;
    randomize(h, rng, header_format);  // the client id and tagged fields
    h.request_api_key_ = static_cast<int16_t>(c.key);
    h.request_api_version_ = claimed;
    h.correlation_id_ = correlation_id;

    HostileFrame f;
    protocol::Writer w(f.body);
    h.encode(w, header_format);
    encode_random_body(c.key, c.version, rng, w);
    f.listener = c.listener;
    f.key = c.key;
    f.header_version = claimed;
    f.correlation_id = correlation_id;
    f.label = case_label(c, claimed);
    return f;
}

HostileCase random_case(protocol::Rng& bits, kafka::ListenerKind listener) {
    const auto apis = kafka::supported_apis(listener);
    const auto& api = apis[protocol::random_below(bits, apis.size())];
    HostileCase c;
    c.listener = listener;
    c.key = api.key;
    c.version = static_cast<int16_t>(
        api.min_version + static_cast<int16_t>(protocol::random_below(
                              bits, static_cast<uint64_t>(api.max_version - api.min_version + 1))));
    if (protocol::random_below(bits, 4) == 0) {
        constexpr Mismatch kinds[] = {Mismatch::body_version, Mismatch::unsupported_version,
                                      Mismatch::header_format};
        c.mismatch = kinds[protocol::random_below(bits, std::size(kinds))];
    }
    constexpr size_t budgets[] = {size_t{1} << 10, size_t{64} << 10, size_t{1} << 20};
    c.budget_bytes = budgets[protocol::random_below(bits, std::size(budgets))];
    return c;
}

std::vector<HostileCase> all_cases(protocol::Rng& bits, kafka::ListenerKind listener) {
    constexpr size_t budgets[] = {size_t{1} << 10, size_t{64} << 10, size_t{1} << 20};
    auto budget = [&] { return budgets[protocol::random_below(bits, std::size(budgets))]; };
    std::vector<HostileCase> out;
    for (const auto& api : kafka::supported_apis(listener)) {
        for (int16_t v = api.min_version; v <= api.max_version; ++v) {
            out.push_back({listener, api.key, v, Mismatch::none, budget()});
        }
    }
    for (const auto& api : kafka::supported_apis(listener)) {
        for (Mismatch m :
             {Mismatch::body_version, Mismatch::unsupported_version, Mismatch::header_format}) {
            out.push_back({listener, api.key, api.max_version, m, budget()});
        }
    }
    return out;
}

bool is_response_to(ApiKey key, int16_t version, int32_t correlation_id, ByteSpan body,
                    std::string* why, kafka::ListenerKind listener) {
    const auto range = kafka::supported(key, listener);
    if (key == ApiKey::api_versions &&
        !(range && version >= range->min_version && version <= range->max_version)) {
        version = 0;  // KIP-511: an ApiVersions request we cannot serve gets a v0 answer
    }
    const auto& info = protocol::api_info(key);
    if (version < info.min_version || version > info.max_version) {
        *why = "answered a request of version " + std::to_string(version) +
               ", which the protocol does not define";
        return false;
    }
    protocol::Reader r(body);
    auto h = protocol::decode_response_header(r, key, version);
    if (!h.ok()) {
        *why = "the response header does not decode";
        return false;
    }
    if (h->correlation_id_ != correlation_id) {
        *why = "the response carries correlation id " + std::to_string(h->correlation_id_);
        return false;
    }
    if (!response_body_decodes(key, version, r)) {
        *why = "the response body does not decode as " + std::string(protocol::to_string(key)) +
               " v" + std::to_string(version);
        return false;
    }
    return true;
}

std::vector<HostileFrame> named_examples(int32_t first_correlation_id) {
    std::vector<HostileFrame> out;
    int32_t correlation = first_correlation_id;

    // DescribeConfigs v4 for a topic whose name is 32,760 bytes (echoed back in the answer).
    protocol::DescribeConfigsRequest dc;
    dc.resources_.emplace_back();
    dc.resources_[0].resource_type_ = 2;  // TOPIC
    dc.resources_[0].resource_name_ = std::string(32760, 'n');
    dc.resources_[0].configuration_keys_ = std::nullopt;
    dc.include_synonyms_ = true;
    dc.include_documentation_ = true;
    out.push_back(plain_frame(dc, 4, correlation++, "hostile",
                              "DescribeConfigs v4 for a topic named by 32760 bytes"));

    // JoinGroup with a client id at the string limit (the member id is made from it).
    protocol::JoinGroupRequest jg;
    jg.group_id_ = "hostile-group";
    jg.session_timeout_ms_ = 10'000;
    jg.rebalance_timeout_ms_ = 10'000;
    jg.protocol_type_ = "consumer";
    jg.protocols_.emplace_back();
    jg.protocols_[0].name_ = "range";
    for (int16_t v : {int16_t{5}, int16_t{9}}) {
        out.push_back(
            plain_frame(jg, v, correlation++, std::string(32767, 'c'),
                        "JoinGroup v" + std::to_string(v) + " with a 32767-byte client id"));
    }

    // Fetch naming one partition thousands of times, max_bytes 2^31-1.
    protocol::FetchRequest f;
    f.max_wait_ms_ = 0;
    f.min_bytes_ = 1;
    f.max_bytes_ = std::numeric_limits<int32_t>::max();
    f.topics_.emplace_back();
    f.topics_[0].topic_ = session_topic;
    protocol::FetchRequest::FetchPartition fp;
    fp.partition_ = 0;
    fp.fetch_offset_ = 0;
    fp.partition_max_bytes_ = std::numeric_limits<int32_t>::max();
    f.topics_[0].partitions_.assign(5000, fp);
    out.push_back(plain_frame(f, 12, correlation++, "hostile",
                              "Fetch v12 naming t-0 5000 times, max_bytes 2^31-1"));

    // A plain (non-transactional, producer id -1) Produce into __consumer_offsets.
    out.push_back(plain_frame(produce_request("__consumer_offsets", 0, one_record_batch("junk")), 9,
                              correlation++, "hostile", "Produce v9 into __consumer_offsets"));
    out.back().verify = [](ByteSpan body) -> std::string {
        protocol::Reader r(body);
        auto h = protocol::decode_response_header(r, ApiKey::produce, 9);
        auto p = protocol::ProduceResponse::decode(r, 9);
        if (!h.ok() || !p.ok() || p->responses_.empty() ||
            p->responses_[0].partition_responses_.empty()) {
            return "malformed Produce response";
        }
        const int16_t error = p->responses_[0].partition_responses_[0].error_code_;
        return error != 0 ? "" : "a plain Produce into __consumer_offsets was accepted";
    };
    for (auto& e : out) {
        e.must_answer = true;
    }
    return out;
}

namespace {

constexpr auto controller = kafka::ListenerKind::controller;
constexpr int32_t int32_max = std::numeric_limits<int32_t>::max();
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();

// A Vote, BeginQuorumEpoch or EndQuorumEpoch for __cluster_metadata-0, its partition filled by
// `fill`.
template <typename Req, typename Fill>
Req for_metadata_partition(Fill fill) {
    Req r;
    r.topics_.emplace_back();
    r.topics_[0].topic_name_ = kafka::metadata_topic;
    r.topics_[0].partitions_.emplace_back();
    r.topics_[0].partitions_[0].partition_index_ = 0;
    fill(r.topics_[0].partitions_[0]);
    return r;
}

protocol::VoteRequest vote(int32_t candidate, int32_t epoch, int64_t last_offset, bool pre_vote) {
    return for_metadata_partition<protocol::VoteRequest>([&](auto& p) {
        p.candidate_epoch_ = epoch;
        p.candidate_id_ = candidate;
        p.last_offset_epoch_ = epoch;
        p.last_offset_ = last_offset;
        p.pre_vote_ = pre_vote;
    });
}

template <typename Req>
Req leader_announcement(int32_t leader, int32_t epoch) {
    return for_metadata_partition<Req>([&](auto& p) {
        p.leader_id_ = leader;
        p.leader_epoch_ = epoch;
    });
}

protocol::FetchRequest raft_fetch(int32_t replica, int32_t epoch, int64_t offset,
                                  int32_t last_fetched_epoch) {
    protocol::FetchRequest f;
    f.replica_id_ = replica;
    f.max_wait_ms_ = 0;
    f.min_bytes_ = 0;
    f.topics_.emplace_back();
    f.topics_[0].topic_ = kafka::metadata_topic;
    protocol::FetchRequest::FetchPartition p;
    p.partition_ = 0;
    p.current_leader_epoch_ = epoch;
    p.fetch_offset_ = offset;
    p.last_fetched_epoch_ = last_fetched_epoch;
    p.partition_max_bytes_ = int32_max;
    f.topics_[0].partitions_.push_back(p);
    return f;
}

protocol::FetchSnapshotRequest fetch_snapshot(int32_t replica, int32_t epoch, int64_t end_offset,
                                              int64_t position) {
    protocol::FetchSnapshotRequest r;
    r.replica_id_ = replica;
    r.topics_.emplace_back();
    r.topics_[0].name_ = kafka::metadata_topic;
    r.topics_[0].partitions_.emplace_back();
    auto& p = r.topics_[0].partitions_[0];
    p.partition_ = 0;
    p.current_leader_epoch_ = epoch;
    p.snapshot_id_.end_offset_ = end_offset;
    p.snapshot_id_.epoch_ = epoch;
    p.position_ = position;
    return r;
}

protocol::BrokerHeartbeatRequest heartbeat(int32_t broker, int64_t epoch, int64_t offset) {
    protocol::BrokerHeartbeatRequest h;
    h.broker_id_ = broker;
    h.broker_epoch_ = epoch;
    h.current_metadata_offset_ = offset;
    return h;
}

// ISR changes of topic "t" from `broker` with broker epoch `epoch` (v0-1 name the topic): its
// two partitions, each named 1000 times, with partitions at the int32 edges, an ISR of 10,000
// members, a leader recovery state of 127, epochs at 0 (the partitions' own) and beyond.
protocol::AlterPartitionRequest alter_partition(int32_t broker, int64_t epoch) {
    protocol::AlterPartitionRequest r;
    r.broker_id_ = broker;
    r.broker_epoch_ = epoch;
    r.topics_.emplace_back();
    r.topics_[0].topic_name_ = session_topic;
    for (int i = 0; i < 1000; ++i) {
        for (int32_t partition : {0, 1, int32_max, -1 - i}) {
            protocol::AlterPartitionRequest::PartitionData p;
            p.partition_index_ = partition;
            p.leader_epoch_ = i % 3 == 0 ? 0 : int32_max;
            p.partition_epoch_ = i % 2 == 0 ? 0 : -1;
            p.new_isr_ = {broker_node_id};
            p.leader_recovery_state_ = static_cast<int8_t>(i % 4 == 3 ? 127 : i % 2);
            r.topics_[0].partitions_.push_back(std::move(p));
        }
    }
    r.topics_[0].partitions_[0].new_isr_.assign(10'000, int32_max);
    return r;
}

// A check of a controller-listener answer's top-level error code.
template <typename Resp>
std::function<std::string(ByteSpan)> expect_error(int16_t version, int16_t expected) {
    return [version, expected](ByteSpan body) -> std::string {
        protocol::Reader r(body);
        auto h = protocol::decode_response_header(r, static_cast<ApiKey>(Resp::api_key), version);
        auto m = Resp::decode(r, version);
        if (!h.ok() || !m.ok()) {
            return "malformed response";
        }
        return m->error_code_ == expected ? ""
                                          : "error " + std::to_string(m->error_code_) +
                                                ", expected " + std::to_string(expected);
    };
}

}  // namespace

std::vector<HostileFrame> controller_examples(int32_t first_correlation_id) {
    std::vector<HostileFrame> out;
    int32_t correlation = first_correlation_id;
    auto add = [&](const auto& req, int16_t version, std::string label) {
        out.push_back(
            plain_frame(req, version, correlation++, "hostile", std::move(label), controller));
    };
    const int32_t stranger = 7;  // no voter, no registered broker
    const int32_t self = broker_node_id;

    // Votes: from a non-voter (refused, nothing changes), and forged from the node itself with
    // epochs at the int32 edge and offsets beyond any log.
    add(vote(stranger, int32_max, int64_max, false), 2, "Vote from non-voter 7, epoch 2^31-1");
    add(vote(self, int32_max, int64_max, false), 2, "Vote from node 1 itself, epoch 2^31-1");
    add(vote(self, int32_max, int64_max, true), 2, "pre-Vote from node 1 itself, epoch 2^31-1");
    add(vote(self, int32_max - 1, 0, false), 1, "Vote v1 from node 1 itself, epoch 2^31-2");
    // Leader announcements: from a non-voter (ignored), and from the only voter's id at the edge.
    add(leader_announcement<protocol::BeginQuorumEpochRequest>(stranger, int32_max), 1,
        "BeginQuorumEpoch from non-voter 7, epoch 2^31-1");
    add(leader_announcement<protocol::BeginQuorumEpochRequest>(self, int32_max), 0,
        "BeginQuorumEpoch naming node 1 itself, epoch 2^31-1");
    add(leader_announcement<protocol::BeginQuorumEpochRequest>(self, 1000), 1,
        "BeginQuorumEpoch naming node 1 itself, epoch 1000");
    {
        auto end = leader_announcement<protocol::EndQuorumEpochRequest>(self, int32_max);
        end.topics_[0].partitions_[0].preferred_successors_.assign(200, int32_max);
        add(end, 0, "EndQuorumEpoch from node 1 itself, epoch 2^31-1, 200 successors");
        auto end1 = leader_announcement<protocol::EndQuorumEpochRequest>(self, 2000);
        end1.topics_[0].partitions_[0].preferred_candidates_.assign(200, {self, {}});
        add(end1, 1, "EndQuorumEpoch v1 from node 1 itself, epoch 2000, 200 candidates");
    }
    // Raft fetches: claiming to be the voter, from an observer id, at the edges.
    add(raft_fetch(self, int32_max, int64_max, int32_max), 12,
        "Fetch claiming to be voter 1, epoch 2^31-1, offset 2^63-1");
    add(raft_fetch(stranger, 0, int64_max, int32_max), 12,
        "Fetch from observer 7, epoch 0, offset 2^63-1");
    add(raft_fetch(stranger, 3000, 0, 0), 12, "Fetch from observer 7, epoch 3000");
    add(raft_fetch(-2, 0, 0, 0), 12, "Fetch from replica -2");
    add(fetch_snapshot(stranger, 0, int64_max, int64_max), 1,
        "FetchSnapshot at position 2^63-1 of snapshot (2^63-1, 0)");
    add(fetch_snapshot(self, int32_max, 0, int64_max), 0,
        "FetchSnapshot from node 1 itself, epoch 2^31-1, position 2^63-1");
    // A registration naming the session's cluster id (learnt as an attacker would).
    auto registration = [&](int16_t version, int32_t broker, std::string label) {
        const int32_t c = correlation++;
        out.push_back(plain_frame(protocol::BrokerRegistrationRequest{}, version, c, "hostile",
                                  std::move(label), controller));
        out.back().make_body = [=](const std::string& cluster_id) {
            protocol::BrokerRegistrationRequest r;
            r.broker_id_ = broker;
            r.cluster_id_ = cluster_id;
            r.incarnation_id_.bytes_[0] = 0x42;
            r.listeners_.push_back({"PLAINTEXT", "attacker", 9092, 0});
            return plain_frame(r, version, c, "hostile", "", controller).body;
        };
    };
    // Broker lifecycle, right after the forged elections above: a registration for node 1 by
    // another incarnation must be refused (node 1 is alive).
    registration(4, self, "BrokerRegistration for node 1 (another incarnation)");
    out.back().verify = expect_error<protocol::BrokerRegistrationResponse>(
        4, kafka_error::duplicate_broker_registration);
    {
        protocol::BrokerRegistrationRequest r;
        r.broker_id_ = int32_max;
        r.listeners_.assign(1000, {"PLAINTEXT", "", 65535, int16_t{-1}});
        add(r, 4, "BrokerRegistration for 2^31-1 with another cluster's id, 1000 listeners");
        out.back().verify = expect_error<protocol::BrokerRegistrationResponse>(
            4, kafka_error::inconsistent_cluster_id);
    }
    registration(0, -5, "BrokerRegistration v0 for broker -5");
    out.back().verify =
        expect_error<protocol::BrokerRegistrationResponse>(0, kafka_error::invalid_request);
    // Heartbeats for node 1 guessing its broker epoch (a small offset), with absurd metadata
    // offsets; for a stranger.
    for (int64_t epoch : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, int64_max, int64_min}) {
        for (int64_t offset : {int64_min, int64_max}) {
            add(heartbeat(self, epoch, offset), 1,
                "BrokerHeartbeat for node 1, epoch " + std::to_string(epoch) + ", offset " +
                    std::to_string(offset));
        }
    }
    add(heartbeat(stranger, 0, int64_max), 0, "BrokerHeartbeat for unregistered 7");
    out.back().verify =
        expect_error<protocol::BrokerHeartbeatResponse>(0, kafka_error::broker_id_not_registered);
    // ISR changes from node 1 guessing its broker epoch (as the heartbeats above); from a
    // stranger, refused whole.
    for (int64_t epoch : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}}) {
        add(alter_partition(self, epoch), 1,
            "AlterPartition v1 of 4000 partitions for node 1, epoch " + std::to_string(epoch));
    }
    add(alter_partition(stranger, 0), 1, "AlterPartition v1 for unregistered 7");
    out.back().verify =
        expect_error<protocol::AlterPartitionResponse>(1, kafka_error::stale_broker_epoch);
    {
        protocol::AllocateProducerIdsRequest a;
        a.broker_id_ = -1;
        a.broker_epoch_ = int64_max;
        add(a, 0, "AllocateProducerIds for broker -1, epoch 2^63-1");
    }
    for (auto& e : out) {
        e.must_answer = true;
        e.label = "controller: " + e.label;
    }
    return out;
}

std::string SessionReport::summary() const {
    std::ostringstream s;
    s << answered << " answered, " << closed << " closed, " << silent << " unanswered; "
      << failures.size() << " failures";
    for (const auto& f : failures) {
        s << "\n  " << f;
    }
    return s.str();
}

SessionReport run_session(uint64_t world_seed, const FrameSource& frames) {
    sim::WorldOptions options;
    options.buggify = false;
    options.log_levels = LogLevel::error;
    sim::SimWorld world(world_seed, options);
    BrokerNode bn{session_config()};
    SessionReport report;
    bool finished = false;
    world.add_node(broker_host, bn.boot());
    world.add_node("client", [&](Env& env) {
        while (!bn.started && !bn.stopped) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        if (!bn.started) {
            report.failures.push_back("broker did not start: " + bn.start_error);
            finished = true;
            return;
        }
        if (std::string e = prepare(env); !e.empty()) {
            report.failures.push_back(e);
        }
        // What an attacker learns first: the cluster id, which registrations must name.
        std::string cluster_id;
        {
            Ordinary c(env);
            std::string why;
            auto dc = c.call<protocol::DescribeClusterResponse>(protocol::DescribeClusterRequest{},
                                                                0, &why);
            if (!dc) {
                report.failures.push_back("prepare: describe cluster: " + why);
            } else {
                cluster_id = dc->cluster_id_;
            }
        }
        // Every frame is tried even after a failure, so that one run lists them all; only a
        // broker that stopped serving ends the session early.
        bool serving = report.failures.empty();
        for (size_t i = 0; serving; ++i) {
            std::optional<HostileFrame> f = frames(i);
            if (!f) {
                break;
            }
            if (f->make_body) {
                f->body = f->make_body(cluster_id);
            }
            auto conn = connect(env, f->listener);
            if (!conn) {
                report.failures.push_back(f->label + ": cannot connect");
                break;
            }
            Received got = exchange(env, *conn, f->body, reply_wait);
            conn->close();
            switch (got.reply) {
                case Reply::answered: {
                    ++report.answered;
                    std::string why;
                    if (!is_response_to(f->key, f->header_version, f->correlation_id, got.body,
                                        &why, f->listener)) {
                        report.failures.push_back(f->label + ": " + why);
                    } else if (f->verify) {
                        if (std::string bad = f->verify(got.body); !bad.empty()) {
                            report.failures.push_back(f->label + ": " + bad);
                        }
                    }
                    break;
                }
                case Reply::closed:
                    ++report.closed;
                    if (f->must_answer) {
                        report.failures.push_back(f->label + ": connection closed, not answered");
                    }
                    break;
                case Reply::silent:
                    ++report.silent;
                    report.silent_labels.push_back(f->label);
                    if (f->must_answer) {
                        report.failures.push_back(f->label + ": no answer");
                    }
                    break;
            }
            if (std::string e = still_serving(env); !e.empty()) {
                report.failures.push_back(f->label + ": " + e);
                serving = false;
            } else if (f->listener == kafka::ListenerKind::controller) {
                if (std::string q = quorum_led(env); !q.empty()) {
                    report.failures.push_back(f->label + ": " + q);
                    serving = false;
                }
            }
        }
        if (serving) {
            if (std::string e = round_trip(env); !e.empty()) {
                report.failures.push_back(e);
            }
        }
        finished = true;
        bn.stop->set();
    });
    world.start(world.node(broker_host));
    world.start(world.node("client"));
    // Generous: every frame may wait reply_wait and its check ordinary_wait; this only bounds a
    // session whose broker never stops.
    world.run([&] { return finished && bn.stopped; },
              Instant::from_nanos(Duration::seconds(48 * 3600).to_nanos()));
    if (!finished) {
        report.failures.push_back("the session did not finish (the simulation ran out of work)");
    } else if (!bn.stopped) {
        std::string waiting;
        for (const auto& l : report.silent_labels) {
            waiting += (waiting.empty() ? "" : "; ") + l;
        }
        report.failures.push_back("the broker did not stop (requests left unanswered: " +
                                  (waiting.empty() ? std::string("none") : waiting) + ")");
    }
    return report;
}

namespace {

constexpr const char* cluster_hosts[] = {"n1", "n2", "n3"};
constexpr Duration cluster_settle_wait = Duration::seconds(60);

config::BrokerConfig cluster_node_config(int32_t id) {
    const std::string host = cluster_hosts[id - 1];
    auto c = config::BrokerConfig::load(
        {}, {{"listeners", "PLAINTEXT://" + host + ":9092,CONTROLLER://" + host + ":9093"},
             {"node.id", std::to_string(id)},
             {"controller.quorum.voters", "1@n1:9093,2@n2:9093,3@n3:9093"},
             {"offsets.topic.num.partitions", "1"}});
    ASSERT(c.ok());
    return std::move(c).value();
}

// What `host`'s controller listener says of the quorum (any voter names the leader it follows).
std::optional<QuorumView> quorum_view(Env& env, const std::string& host) {
    Ordinary c(env, host);
    std::string why;
    protocol::DescribeQuorumRequest dq;
    dq.topics_.emplace_back();
    dq.topics_[0].topic_name_ = kafka::metadata_topic;
    dq.topics_[0].partitions_.emplace_back();
    auto d = c.call<protocol::DescribeQuorumResponse>(dq, 0, &why, controller);
    if (!d || d->topics_.size() != 1 || d->topics_[0].partitions_.size() != 1) {
        return std::nullopt;
    }
    return QuorumView{d->topics_[0].partitions_[0].leader_id_,
                      d->topics_[0].partitions_[0].leader_epoch_};
}

// The leader and epoch all three report, once they agree (within cluster_settle_wait).
std::optional<QuorumView> agreed_quorum(Env& env) {
    const Instant deadline = env.scheduler.now() + cluster_settle_wait;
    while (env.scheduler.now() < deadline) {
        std::optional<QuorumView> first;
        bool agree = true;
        for (const char* host : cluster_hosts) {
            const auto v = quorum_view(env, host);
            if (!v || v->leader < 0 ||
                (first && (v->leader != first->leader || v->epoch != first->epoch))) {
                agree = false;
                break;
            }
            first = first ? first : v;
        }
        if (agree && first) {
            return first;
        }
        env.scheduler.sleep_for(Duration::millis(250));
    }
    return std::nullopt;
}

// A CreateTopics of `topic` through `host`'s client listener succeeds (retried while the
// cluster settles: NOT_CONTROLLER, no unfenced brokers yet, a forward that timed out).
std::string create_topic_through(Env& env, const std::string& host, const std::string& topic) {
    Ordinary c(env, host);
    protocol::CreateTopicsRequest ct;
    ct.timeout_ms_ = 10'000;
    ct.topics_.emplace_back();
    ct.topics_[0].name_ = topic;
    ct.topics_[0].num_partitions_ = 1;
    ct.topics_[0].replication_factor_ = 3;
    std::string last;
    const Instant deadline = env.scheduler.now() + cluster_settle_wait;
    while (env.scheduler.now() < deadline) {
        std::string why;
        auto r = c.call<protocol::CreateTopicsResponse>(ct, 5, &why);
        if (r && !r->topics_.empty()) {
            const int16_t error = r->topics_[0].error_code_;
            if (error == 0 || error == kafka_error::topic_already_exists) {
                return "";
            }
            last = "error " + std::to_string(error);
        } else {
            last = why;
        }
        env.scheduler.sleep_for(Duration::millis(500));
    }
    return "CreateTopics " + topic + " through " + host + ": " + last;
}

// Sends a forged request to `host`'s controller listener; "" if it was answered as it should.
template <typename Req>
std::string forge(Env& env, const std::string& host, const Req& req, int16_t version,
                  const std::string& label) {
    const HostileFrame f = plain_frame(req, version, 7, "outsider", label, controller);
    auto conn = connect(env, controller, host);
    if (!conn) {
        return label + " to " + host + ": cannot connect";
    }
    Received got = exchange(env, *conn, f.body, reply_wait);
    conn->close();
    std::string why;
    if (got.reply != Reply::answered) {
        return label + " to " + host + ": not answered";
    }
    if (!is_response_to(f.key, version, f.correlation_id, got.body, &why, controller)) {
        return label + " to " + host + ": " + why;
    }
    return "";
}

}  // namespace

QuorumAttackReport run_quorum_attack(uint64_t world_seed) {
    sim::WorldOptions options;
    options.buggify = false;
    options.log_levels = LogLevel::error;
    sim::SimWorld world(world_seed, options);
    std::vector<std::unique_ptr<BrokerNode>> nodes;
    for (int32_t id = 1; id <= 3; ++id) {
        nodes.push_back(std::make_unique<BrokerNode>(cluster_node_config(id)));
        world.add_node(cluster_hosts[id - 1], nodes.back()->boot());
    }
    QuorumAttackReport report;
    bool finished = false;
    auto fail_with = [&](std::string what) { report.failures.push_back(std::move(what)); };
    world.add_node("outsider", [&](Env& env) {
        auto all = [&](auto pred) {
            return std::all_of(nodes.begin(), nodes.end(), [&](const auto& n) { return pred(*n); });
        };
        const Instant start_deadline = env.scheduler.now() + cluster_settle_wait;
        while (!all([](const BrokerNode& n) { return n.started || n.stopped; }) &&
               env.scheduler.now() < start_deadline) {
            env.scheduler.sleep_for(Duration::millis(10));
        }
        auto run = [&]() -> void {
            if (!all([](const BrokerNode& n) { return n.started; })) {
                return fail_with("a node did not start within " +
                                 std::to_string(cluster_settle_wait.to_millis()) + " ms");
            }
            if (std::string e = create_topic_through(env, "n1", "before"); !e.empty()) {
                return fail_with(e);
            }
            const auto before = agreed_quorum(env);
            if (!before) {
                return fail_with("no agreed leader before the attack");
            }
            report.before = *before;
            // (1) From a non-voter: refused or ignored.
            const int32_t higher = before->epoch + 1000;
            for (const char* host : cluster_hosts) {
                for (std::string e :
                     {forge(env, host, vote(7, higher, int64_max, false), 2, "Vote from 7"),
                      forge(env, host, vote(7, higher, int64_max, true), 2, "pre-Vote from 7"),
                      forge(env, host,
                            leader_announcement<protocol::BeginQuorumEpochRequest>(7, higher), 1,
                            "BeginQuorumEpoch from 7")}) {
                    if (!e.empty()) {
                        fail_with(e);
                    }
                }
            }
            if (const auto v = agreed_quorum(env)) {
                report.after_outsider = *v;
            } else {
                return fail_with("no agreed leader after the non-voter's requests");
            }
            // (2) A BeginQuorumEpoch naming another voter, to every voter.
            report.forged_epoch = before->epoch + 1'000'000;
            for (int32_t id = 1; id <= 3; ++id) {
                const int32_t named = id % 3 + 1;
                if (std::string e = forge(env, cluster_hosts[id - 1],
                                          leader_announcement<protocol::BeginQuorumEpochRequest>(
                                              named, report.forged_epoch),
                                          1, "BeginQuorumEpoch naming " + std::to_string(named));
                    !e.empty()) {
                    fail_with(e);
                }
            }
            if (const auto v = agreed_quorum(env)) {
                report.after_forgery = *v;
            } else {
                return fail_with("no agreed leader after the forged BeginQuorumEpoch");
            }
            for (const char* host : cluster_hosts) {
                if (std::string e = create_topic_through(env, host, std::string("after-") + host);
                    !e.empty()) {
                    fail_with(e);
                }
            }
        };
        run();
        finished = true;
        for (auto& n : nodes) {
            if (n->stop) {
                n->stop->set();
            }
        }
    });
    for (const char* host : cluster_hosts) {
        world.start(world.node(host));
    }
    world.start(world.node("outsider"));
    world.run(
        [&] {
            return finished && std::all_of(nodes.begin(), nodes.end(),
                                           [](const auto& n) { return n->stopped; });
        },
        Instant::from_nanos(Duration::seconds(900).to_nanos()));
    if (!finished) {
        report.failures.push_back("the attack did not finish (the simulation ran out of work)");
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (!nodes[i]->stopped) {
            report.failures.push_back(std::string(cluster_hosts[i]) + " did not stop");
        } else if (!nodes[i]->start_error.empty()) {
            report.failures.push_back(std::string(cluster_hosts[i]) +
                                      " did not start: " + nodes[i]->start_error);
        }
    }
    return report;
}

}  // namespace eddy::hostile
