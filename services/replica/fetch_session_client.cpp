#include "services/replica/fetch_session_client.h"

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"
#include "core/protocol/fetch_metadata.h"

namespace eddy::replica {

namespace fs = protocol::fetch_session;

namespace {

void add_partition(protocol::FetchRequest& req, const log::TopicPartition& tp,
                   const protocol::FetchRequest::FetchPartition& fp) {
    if (req.topics_.empty() || req.topics_.back().topic_ != tp.topic) {
        protocol::FetchRequest::FetchTopic t;
        t.topic_ = tp.topic;
        req.topics_.push_back(std::move(t));
    }
    req.topics_.back().partitions_.push_back(fp);
}

}  // namespace

void FetchSessionClient::build(const Wanted& wanted, protocol::FetchRequest& req) {
    req.topics_.clear();
    req.forgotten_topics_data_.clear();
    req.session_id_ = session_id_;
    req.session_epoch_ = epoch_;
    pending_ = wanted;
    pending_full_ = epoch_ == fs::initial_epoch;
    if (pending_full_) {
        for (const auto& [tp, fp] : wanted) {
            add_partition(req, tp, fp);
        }
        return;
    }
    ASSERT(session_id_ != fs::invalid_session_id, "an incremental fetch names its session");
    for (const auto& [tp, fp] : wanted) {
        if (auto it = session_.find(tp); it == session_.end() || !(it->second == fp)) {
            add_partition(req, tp, fp);
        }
    }
    for (const auto& [tp, fp] : session_) {
        if (wanted.contains(tp)) {
            continue;
        }
        auto& forgotten = req.forgotten_topics_data_;
        if (forgotten.empty() || forgotten.back().topic_ != tp.topic) {
            protocol::FetchRequest::ForgottenTopic t;
            t.topic_ = tp.topic;
            forgotten.push_back(std::move(t));
        }
        forgotten.back().partitions_.push_back(tp.partition.value());
    }
}

bool FetchSessionClient::handle_response(const protocol::FetchResponse& resp) {
    if (resp.error_code_ != kafka_error::none) {
        // A session the broker no longer has needs no closing; any other error may have left it
        // there, so the full request closes it.
        start_over(resp.error_code_ != kafka_error::fetch_session_id_not_found);
        return false;
    }
    if (pending_full_) {
        if (resp.session_id_ == fs::invalid_session_id) {
            start_over(false);  // no room at the broker: ask again next time
        } else {
            session_id_ = resp.session_id_;
            epoch_ = fs::next_epoch(fs::initial_epoch);
            session_ = std::move(pending_);
            ASSERT(!fs::is_full(epoch_), "an open session's next fetch is incremental");
        }
        return true;
    }
    if (resp.session_id_ == fs::invalid_session_id) {
        // The broker closed the session (it was left without partitions, or it would have grown
        // too large) and answered this request as a sessionless one.
        start_over(false);
        return true;
    }
    if (resp.session_id_ != session_id_) {
        start_over(true);
        return false;
    }
    ASSERT(!fs::is_full(epoch_));
    ASSERT(session_id_ == resp.session_id_);
    epoch_ = fs::next_epoch(epoch_);
    session_ = std::move(pending_);
    return true;
}


void FetchSessionClient::reset() { start_over(true); }

void FetchSessionClient::start_over(bool close_existing) {
    if (!close_existing) {
        session_id_ = fs::invalid_session_id;
    }
    epoch_ = fs::initial_epoch;
    session_.clear();
    pending_.clear();
    pending_full_ = true;
}

}  // namespace eddy::replica
