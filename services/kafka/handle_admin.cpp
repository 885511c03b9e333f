// Handlers: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs. Changes go through the controller; the logs follow (reconcile()).
#include <set>
#include <string_view>
#include <utility>

#include "services/kafka/broker.h"
#include "services/kafka/broker_loggers.h"
#include "services/kafka/errors.h"
#include "services/kafka/forwarding.h"
#include "services/kafka/topic_configs.h"

namespace eddy::kafka {

using namespace protocol;

namespace {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) {
            comma = s.size();
        }
        if (comma > start) {
            out.push_back(s.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return out;
}

std::string join_list(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += out.empty() ? s : "," + s;
    }
    return out;
}

}  // namespace

CreateTopicsResponse Broker::handle_create_topics(const RequestContext& ctx,
                                                  const CreateTopicsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        // Internal topics are refused here: what reaches the controller from this node carries
        // the node's own client id, which may create them.
        // Authorization: CREATE on the cluster, else on each topic (TOPIC_AUTHORIZATION_FAILED).
        const bool create_any = allowed(ctx, security::AclOperation::create,
                                        security::ResourceType::cluster,
                                        security::cluster_resource_name, true);
        std::set<std::string, std::less<>> denied;
        for (const auto& t : req.topics_) {
            if (!create_any && !is_internal_topic(t.name_) &&
                !allowed(ctx, security::AclOperation::create, security::ResourceType::topic,
                         t.name_)) {
                denied.insert(t.name_);
            }
        }
        // KIP-599: each topic's partitions are mutations of the client's quota.
        std::set<std::string, std::less<>> throttled;
        if (!req.validate_only_) {
            const auto default_partitions = static_cast<double>(config_.get_int("num.partitions"));
            for (const auto& t : req.topics_) {
                if (is_internal_topic(t.name_) || denied.contains(t.name_)) {
                    continue;
                }
                const double partitions =
                    t.num_partitions_ > 0       ? static_cast<double>(t.num_partitions_)
                    : !t.assignments_.empty() ? static_cast<double>(t.assignments_.size())
                                              : default_partitions;
                if (!admit_mutations(ctx, partitions)) {
                    throttled.insert(t.name_);
                }
            }
        }
        CreateTopicsRequest fwd = req;
        std::erase_if(fwd.topics_, [&](const auto& t) {
            return is_internal_topic(t.name_) || denied.contains(t.name_) ||
                   throttled.contains(t.name_);
        });
        auto resp = fwd.topics_.empty()
                        ? CreateTopicsResponse{}
                        : forward<CreateTopicsResponse>(
                              *controller_channel_, fwd,
                              Duration::millis(std::max(req.timeout_ms_, 1000)));
        for (const auto& t : req.topics_) {
            if (is_internal_topic(t.name_)) {
                CreateTopicsResponse::CreatableTopicResult r;
                r.name_ = t.name_;
                r.error_code_ = error::invalid_topic_exception;
                r.error_message_ = "Cannot create internal topic " + t.name_;
                resp.topics_.push_back(std::move(r));
            } else if (denied.contains(t.name_)) {
                CreateTopicsResponse::CreatableTopicResult r;
                r.name_ = t.name_;
                r.error_code_ = error::topic_authorization_failed;
                r.error_message_ = "Authorization failed.";
                resp.topics_.push_back(std::move(r));
            } else if (throttled.contains(t.name_)) {
                CreateTopicsResponse::CreatableTopicResult r;
                r.name_ = t.name_;
                r.error_code_ = error::throttling_quota_exceeded;
                r.error_message_ = "The throttling quota has been exceeded.";
                resp.topics_.push_back(std::move(r));
            }
        }
        if (!req.validate_only_) {
            for (const auto& t : resp.topics_) {
                audit_admin(ctx, "TOPIC", t.name_, t.error_code_);
            }
        }
        if (!req.validate_only_) {
            await_image([&] {
                for (const auto& t : resp.topics_) {
                    if (t.error_code_ == error::none &&
                        controller_->image().topic(t.name_) == nullptr) {
                        return false;
                    }
                }
                return true;
            });
        }
        return resp;
    }
    CreateTopicsResponse resp;
    std::map<std::string, int> counts;
    for (const auto& t : req.topics_) {
        ++counts[t.name_];
    }
    // Internal topics come from the brokers themselves (ensure_offsets_topic), which send their
    // CreateTopics with the internal client id.
    const bool internal = ctx.listener_kind == ListenerKind::controller &&
                          ctx.header.client_id_ == std::optional<std::string>(internal_client_id);
    bool changed = false;
    for (const auto& t : req.topics_) {
        CreateTopicsResponse::CreatableTopicResult r;
        r.name_ = t.name_;
        if (counts[t.name_] > 1) {
            r.error_code_ = error::invalid_request;
            r.error_message_ =
                "topic '" + protocol::echo(t.name_) + "' appears more than once in the request";
            resp.topics_.push_back(std::move(r));
            continue;
        }
        if (is_internal_topic(t.name_) && !internal) {
            // The broker creates these itself, with the settings their coordinators rely on
            // (ensure_offsets_topic); a client-made one would break them.
            r.error_code_ = error::invalid_topic_exception;
            r.error_message_ = "Cannot create internal topic " + t.name_;
            resp.topics_.push_back(std::move(r));
            continue;
        }
        controller::NewTopic nt;
        nt.name = t.name_;
        nt.partitions = t.num_partitions_;
        nt.replication_factor = t.replication_factor_;
        for (const auto& a : t.assignments_) {
            nt.assignments.push_back(a.broker_ids_);
        }
        for (const auto& c : t.configs_) {
            nt.configs.push_back({c.name_, c.value_});
        }
        auto created = controller_->create_topic(nt, req.validate_only_);
        r.error_code_ = created.error.code;
        r.error_message_ = created.error.message;
        if (created.error.ok()) {
            ASSERT(created.partitions > 0, "a created topic has partitions and replicas");
            ASSERT(created.replication_factor > 0, "a created topic has partitions and replicas");
            changed = changed || !req.validate_only_;

            r.topic_id_ = created.id;
            r.num_partitions_ = created.partitions;
            r.replication_factor_ = created.replication_factor;
            if (ctx.version >= 5) {
                std::map<std::string, std::string> dynamic;
                for (const auto& c : t.configs_) {
                    if (c.value_) {
                        dynamic[c.name_] = *c.value_;
                    }
                }
                std::vector<CreateTopicsResponse::CreatableTopicConfigs> configs;
                for (const auto& e : describe_topic_configs(config_, dynamic)) {
                    CreateTopicsResponse::CreatableTopicConfigs c;
                    c.name_ = e.name;
                    c.value_ = e.value;
                    c.read_only_ = e.read_only;
                    c.config_source_ = e.source;
                    configs.push_back(std::move(c));
                }
                r.configs_ = std::move(configs);
            }
        }
        resp.topics_.push_back(std::move(r));
    }
    ASSERT(resp.topics_.size() == req.topics_.size(), "every topic asked for is answered");
    if (changed) {
        reconcile();
    }
    return resp;
}

DeleteTopicsResponse Broker::handle_delete_topics(const RequestContext& ctx,
                                                  const DeleteTopicsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        // Forwarded in the highest version, where the topics are `topics_`, never `topic_names_`.
        DeleteTopicsRequest fwd = req;
        if (ctx.version < 6) {
            fwd.topics_.clear();
            for (const auto& n : req.topic_names_) {
                DeleteTopicsRequest::DeleteTopicState st;
                st.name_ = n;
                fwd.topics_.push_back(std::move(st));
            }
            fwd.topic_names_.clear();
        }
        // Authorization: DELETE on the cluster, else on each topic (TOPIC_AUTHORIZATION_FAILED).
        // A topic named by id is judged by its name in this node's image.
        const bool delete_any = allowed(ctx, security::AclOperation::delete_,
                                        security::ResourceType::cluster,
                                        security::cluster_resource_name, true);
        std::vector<DeleteTopicsRequest::DeleteTopicState> refused;
        std::erase_if(fwd.topics_, [&](const DeleteTopicsRequest::DeleteTopicState& t) {
            std::optional<std::string> name = t.name_;
            if (!name || name->empty()) {
                if (const auto* known = controller_->image().topic(t.topic_id_)) {
                    name = known->name;
                }
            }
            if (delete_any || !name ||
                allowed(ctx, security::AclOperation::delete_, security::ResourceType::topic,
                        *name)) {
                return false;
            }
            refused.push_back(t);
            return true;
        });
        // KIP-599: a deleted topic's partitions are mutations of the client's quota.
        std::vector<DeleteTopicsRequest::DeleteTopicState> throttled;
        std::erase_if(fwd.topics_, [&](const DeleteTopicsRequest::DeleteTopicState& t) {
            const auto* known = t.name_ && !t.name_->empty() ? controller_->image().topic(*t.name_)
                                                             : controller_->image().topic(t.topic_id_);
            if (known == nullptr ||
                admit_mutations(ctx, static_cast<double>(known->partitions.size()))) {
                return false;
            }
            throttled.push_back(t);
            return true;
        });
        auto resp = fwd.topics_.empty()
                        ? DeleteTopicsResponse{}
                        : forward<DeleteTopicsResponse>(
                              *controller_channel_, fwd,
                              Duration::millis(std::max(req.timeout_ms_, 1000)));
        auto answer = [&resp](const std::vector<DeleteTopicsRequest::DeleteTopicState>& topics,
                              int16_t code, const char* message) {
            for (const auto& t : topics) {
                DeleteTopicsResponse::DeletableTopicResult r;
                r.name_ = t.name_;
                r.topic_id_ = t.topic_id_;
                r.error_code_ = code;
                r.error_message_ = message;
                resp.responses_.push_back(std::move(r));
            }
        };
        answer(refused, error::topic_authorization_failed, "Authorization failed.");
        answer(throttled, error::throttling_quota_exceeded,
               "The throttling quota has been exceeded.");
        for (const auto& t : resp.responses_) {
            audit_admin(ctx, "TOPIC", t.name_.value_or(""), t.error_code_);
        }
        await_image([&] {
            for (const auto& t : resp.responses_) {
                if (t.error_code_ == error::none && t.name_ &&
                    controller_->image().topic(*t.name_) != nullptr) {
                    return false;
                }
            }
            return true;
        });
        return resp;
    }
    DeleteTopicsResponse resp;
    std::vector<DeleteTopicsRequest::DeleteTopicState> wanted;
    if (ctx.version >= 6) {
        wanted = req.topics_;
    } else {
        for (const auto& n : req.topic_names_) {
            DeleteTopicsRequest::DeleteTopicState s;
            s.name_ = n;
            wanted.push_back(s);
        }
    }
    bool changed = false;
    for (const auto& w : wanted) {
        DeleteTopicsResponse::DeletableTopicResult r;
        std::optional<std::string> name = w.name_;
        if (!name || name->empty()) {
            if (const auto* t = controller_->image().topic(w.topic_id_)) {
                name = t->name;
            }
        }
        r.name_ = name;
        r.topic_id_ = w.topic_id_;
        if (!name) {
            r.error_code_ = error::unknown_topic_id;
            resp.responses_.push_back(std::move(r));
            continue;
        }
        if (const auto* t = controller_->image().topic(*name)) {
            r.topic_id_ = t->id;
        }
        if (is_internal_topic(*name)) {
            // The group coordinators (and the controller) own these; deleting one loses every
            // committed offset (Kafka's tools refuse it the same way).
            r.error_code_ = error::invalid_topic_exception;
            r.error_message_ = "Cannot delete internal topic " + *name;
            resp.responses_.push_back(std::move(r));
            continue;
        }
        auto err = controller_->delete_topic(*name);
        r.error_code_ = err.code;
        r.error_message_ = err.message;
        changed = changed || err.ok();
        resp.responses_.push_back(std::move(r));
    }
    if (changed) {
        reconcile();
    }
    return resp;
}

CreatePartitionsResponse Broker::handle_create_partitions(const RequestContext& ctx,
                                                          const CreatePartitionsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        // Authorization: ALTER on each topic (TOPIC_AUTHORIZATION_FAILED).
        CreatePartitionsRequest fwd = req;
        std::vector<std::string> refused;
        std::erase_if(fwd.topics_, [&](const auto& t) {
            if (allowed(ctx, security::AclOperation::alter, security::ResourceType::topic,
                        t.name_)) {
                return false;
            }
            refused.push_back(t.name_);
            return true;
        });
        // KIP-599: the partitions added are mutations of the client's quota.
        std::vector<std::string> throttled;
        if (!req.validate_only_) {
            std::erase_if(fwd.topics_, [&](const auto& t) {
                const auto* known = controller_->image().topic(t.name_);
                const double added =
                    known == nullptr
                        ? 0
                        : std::max(0.0, static_cast<double>(t.count_) -
                                            static_cast<double>(known->partitions.size()));
                if (added == 0 || admit_mutations(ctx, added)) {
                    return false;
                }
                throttled.push_back(t.name_);
                return true;
            });
        }
        auto resp = fwd.topics_.empty()
                        ? CreatePartitionsResponse{}
                        : forward<CreatePartitionsResponse>(
                              *controller_channel_, fwd,
                              Duration::millis(std::max(req.timeout_ms_, 1000)));
        for (const auto& name : refused) {
            CreatePartitionsResponse::CreatePartitionsTopicResult r;
            r.name_ = name;
            r.error_code_ = error::topic_authorization_failed;
            r.error_message_ = "Authorization failed.";
            resp.results_.push_back(std::move(r));
        }
        for (const auto& name : throttled) {
            CreatePartitionsResponse::CreatePartitionsTopicResult r;
            r.name_ = name;
            r.error_code_ = error::throttling_quota_exceeded;
            r.error_message_ = "The throttling quota has been exceeded.";
            resp.results_.push_back(std::move(r));
        }
        if (!req.validate_only_) {
            await_image([&] {
                for (const auto& t : req.topics_) {
                    const auto* topic = controller_->image().topic(t.name_);
                    if (topic != nullptr && topic->partitions.size() < static_cast<size_t>(t.count_)) {
                        for (const auto& r : resp.results_) {
                            if (r.name_ == t.name_ && r.error_code_ == error::none) {
                                return false;
                            }
                        }
                    }
                }
                return true;
            });
        }
        return resp;
    }
    CreatePartitionsResponse resp;
    bool changed = false;
    for (const auto& t : req.topics_) {
        CreatePartitionsResponse::CreatePartitionsTopicResult r;
        r.name_ = t.name_;
        if (is_internal_topic(t.name_)) {
            // A group's coordinator partition is a hash modulo the partition count: growing
            // __consumer_offsets would move every group away from its offsets.
            r.error_code_ = error::invalid_topic_exception;
            r.error_message_ = "Cannot add partitions to internal topic " + t.name_;
            resp.results_.push_back(std::move(r));
            continue;
        }
        std::optional<std::vector<std::vector<int32_t>>> assignments;
        if (t.assignments_) {
            assignments.emplace();
            for (const auto& a : *t.assignments_) {
                assignments->push_back(a.broker_ids_);
            }
        }
        auto err =
            controller_->create_partitions(t.name_, t.count_, assignments, req.validate_only_);
        r.error_code_ = err.code;
        r.error_message_ = err.message;
        changed = changed || (err.ok() && !req.validate_only_);
        resp.results_.push_back(std::move(r));
    }
    if (changed) {
        reconcile();
    }
    return resp;
}

DescribeConfigsResponse Broker::handle_describe_configs(const RequestContext& ctx,
                                                        const DescribeConfigsRequest& req) {
    DescribeConfigsResponse resp;
    std::set<std::pair<int8_t, std::string_view>> described;
    for (const auto& res : req.resources_) {
        DescribeConfigsResponse::DescribeConfigsResult r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_message_ = std::nullopt;
        if (!described.insert({res.resource_type_, res.resource_name_}).second) {
            // Described once per request: every description lists all the resource's configs, so
            // repeating one would let a small request build a huge answer.
            r.error_code_ = error::invalid_request;
            r.error_message_ = "resource named more than once in the request";
            resp.results_.push_back(std::move(r));
            continue;
        }
        if (const int16_t e = config_resource_denied(ctx, res.resource_type_, res.resource_name_,
                                                     security::AclOperation::describe_configs);
            e != error::none) {
            r.error_code_ = e;
            r.error_message_ = "Authorization failed.";
            resp.results_.push_back(std::move(r));
            continue;
        }
        std::vector<ConfigEntry> entries;
        if (res.resource_type_ == controller::config_resource_topic) {
            const auto* t = controller_->image().topic(res.resource_name_);
            if (t == nullptr) {
                r.error_code_ = error::unknown_topic_or_partition;
                r.error_message_ = "no topic '" + protocol::echo(res.resource_name_) + "'";
                resp.results_.push_back(std::move(r));
                continue;
            }
            entries = describe_topic_configs(config_, t->configs);
        } else if (res.resource_type_ == controller::config_resource_broker) {
            if (!res.resource_name_.empty() && res.resource_name_ != std::to_string(node_id_)) {
                r.error_code_ = error::invalid_request;
                r.error_message_ = "no broker '" + protocol::echo(res.resource_name_) + "' here";
                resp.results_.push_back(std::move(r));
                continue;
            }
            entries = describe_broker_configs(config_);
        } else if (res.resource_type_ == config_resource_broker_logger) {
            if (res.resource_name_ != std::to_string(node_id_)) {
                r.error_code_ = error::invalid_request;
                r.error_message_ = "no broker '" + protocol::echo(res.resource_name_) + "' here";
                resp.results_.push_back(std::move(r));
                continue;
            }
            entries = describe_broker_loggers(env_.log.levels());
        } else {
            r.error_code_ = error::invalid_request;
            r.error_message_ = "unsupported resource type";
            resp.results_.push_back(std::move(r));
            continue;
        }
        for (const auto& e : entries) {
            if (res.configuration_keys_ && !res.configuration_keys_->empty() &&
                std::find(res.configuration_keys_->begin(), res.configuration_keys_->end(),
                          e.name) == res.configuration_keys_->end()) {
                continue;
            }
            DescribeConfigsResponse::DescribeConfigsResourceResult c;
            c.name_ = e.name;
            c.value_ = e.value;
            c.read_only_ = e.read_only;
            c.is_default_ = e.source == config_source::default_config;
            c.config_source_ = e.source;
            c.config_type_ = e.type;
            // As Kafka: a sensitive value (password, private key) is described as null.
            c.is_sensitive_ = e.sensitive;
            if (e.sensitive) {
                c.value_ = std::nullopt;
            }
            if (ctx.version >= 3 && req.include_documentation_) {
                c.documentation_ = e.doc;
            } else {
                c.documentation_ = std::nullopt;
            }
            if (req.include_synonyms_) {
                for (const auto& s : e.synonyms) {
                    DescribeConfigsResponse::DescribeConfigsSynonym syn;
                    syn.name_ = s.name;
                    syn.value_ = e.sensitive ? std::nullopt : std::optional<std::string>(s.value);
                    syn.source_ = s.source;
                    c.synonyms_.push_back(std::move(syn));
                }
            }
            r.configs_.push_back(std::move(c));
        }
        resp.results_.push_back(std::move(r));
    }
    return resp;
}

template <typename Resp, typename Req>
Resp Broker::forward_authorized_configs(const RequestContext& ctx, const Req& req) {
    Req fwd = req;
    std::vector<typename Resp::AlterConfigsResourceResponse> refused;
    std::erase_if(fwd.resources_, [&](const auto& res) {
        const int16_t e = config_resource_denied(ctx, res.resource_type_, res.resource_name_,
                                                 security::AclOperation::alter_configs);
        if (e == error::none) {
            return false;
        }
        typename Resp::AlterConfigsResourceResponse r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_code_ = e;
        r.error_message_ = "Authorization failed.";
        refused.push_back(std::move(r));
        return true;
    });
    Resp resp = fwd.resources_.empty()
                    ? Resp{}
                    : forward<Resp>(*controller_channel_, fwd, admin_timeout);
    for (auto& r : refused) {
        resp.responses_.push_back(std::move(r));
    }
    if (!req.validate_only_) {
        for (const auto& r : resp.responses_) {
            audit_admin(ctx, "CONFIG", r.resource_name_, r.error_code_);
        }
    }
    return resp;
}

AlterConfigsResponse Broker::handle_alter_configs(const RequestContext& ctx,
                                                  const AlterConfigsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        return forward_authorized_configs<AlterConfigsResponse>(ctx, req);
    }
    AlterConfigsResponse resp;
    bool changed = false;
    for (const auto& res : req.resources_) {
        AlterConfigsResponse::AlterConfigsResourceResponse r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_message_ = std::nullopt;
        if (res.resource_type_ != controller::config_resource_topic) {
            r.error_code_ = error::invalid_request;
            r.error_message_ = "only topic configs can be altered (no dynamic broker configs yet)";
            resp.responses_.push_back(std::move(r));
            continue;
        }
        std::vector<controller::ConfigChange> changes;
        for (const auto& c : res.configs_) {
            changes.push_back({c.name_, c.value_});
        }
        auto err =
            controller_->alter_topic_configs(res.resource_name_, changes, true, req.validate_only_);
        r.error_code_ = err.code;
        r.error_message_ = err.message;
        changed = changed || (err.ok() && !req.validate_only_);
        resp.responses_.push_back(std::move(r));
    }
    if (changed) {
        reconcile();
    }
    return resp;
}

IncrementalAlterConfigsResponse::AlterConfigsResourceResponse Broker::alter_loggers(
    const RequestContext& ctx, const IncrementalAlterConfigsRequest::AlterConfigsResource& res,
    bool validate_only) {
    IncrementalAlterConfigsResponse::AlterConfigsResourceResponse r;
    r.resource_type_ = res.resource_type_;
    r.resource_name_ = res.resource_name_;
    r.error_message_ = std::nullopt;
    if (const int16_t e = config_resource_denied(ctx, res.resource_type_, res.resource_name_,
                                                 security::AclOperation::alter_configs);
        e != error::none) {
        r.error_code_ = e;
        r.error_message_ = "Authorization failed.";
    } else if (res.resource_name_ != std::to_string(node_id_)) {
        r.error_code_ = error::invalid_request;
        r.error_message_ = "no broker '" + protocol::echo(res.resource_name_) + "' here";
    } else {
        LogLevels levels = env_.log.levels();
        const auto change = alter_broker_loggers(levels, res.configs_);
        r.error_code_ = change.error_code;
        r.error_message_ = change.error_message;
        if (change.error_code == error::none && !validate_only) {
            env_.log.set_levels(levels);
            env_.log.info("log levels now %s (IncrementalAlterConfigs from %s)",
                          levels.to_string().c_str(), ctx.principal.to_string().c_str());
        }
    }
    if (!validate_only) {
        audit_admin(ctx, "BROKER_LOGGER", r.resource_name_, r.error_code_);
    }
    return r;
}

IncrementalAlterConfigsResponse Broker::handle_incremental_alter_configs(
    const RequestContext& ctx, const IncrementalAlterConfigsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        // This broker's loggers are altered here (KIP-412); the rest goes to the controller.
        IncrementalAlterConfigsRequest rest = req;
        std::erase_if(rest.resources_, [](const auto& res) {
            return res.resource_type_ == config_resource_broker_logger;
        });
        if (rest.resources_.size() == req.resources_.size()) {
            return forward_authorized_configs<IncrementalAlterConfigsResponse>(ctx, req);
        }
        IncrementalAlterConfigsResponse resp =
            rest.resources_.empty()
                ? IncrementalAlterConfigsResponse{}
                : forward_authorized_configs<IncrementalAlterConfigsResponse>(ctx, rest);
        for (const auto& res : req.resources_) {
            if (res.resource_type_ == config_resource_broker_logger) {
                resp.responses_.push_back(alter_loggers(ctx, res, req.validate_only_));
            }
        }
        return resp;
    }
    IncrementalAlterConfigsResponse resp;
    bool changed = false;
    for (const auto& res : req.resources_) {
        IncrementalAlterConfigsResponse::AlterConfigsResourceResponse r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_message_ = std::nullopt;
        const auto* t = res.resource_type_ == controller::config_resource_topic
                            ? controller_->image().topic(res.resource_name_)
                            : nullptr;
        if (res.resource_type_ != controller::config_resource_topic) {
            r.error_code_ = error::invalid_request;
            r.error_message_ = "only topic configs can be altered (no dynamic broker configs yet)";
        } else if (t == nullptr) {
            r.error_code_ = error::unknown_topic_or_partition;
        }
        std::vector<controller::ConfigChange> changes;
        for (const auto& c : res.configs_) {
            if (r.error_code_ != error::none) {
                break;
            }
            const std::string current = [&] {
                if (auto it = t->configs.find(c.name_); it != t->configs.end()) {
                    return it->second;
                }
                for (const auto& e : describe_topic_configs(config_, {})) {
                    if (e.name == c.name_) {
                        return e.value;
                    }
                }
                return std::string();
            }();
            switch (c.config_operation_) {
                case 0:  // SET
                    if (!c.value_) {
                        r.error_code_ = error::invalid_request;
                        r.error_message_ = "SET needs a value";
                    }
                    changes.push_back({c.name_, c.value_});
                    break;
                case 1:  // DELETE
                    changes.push_back({c.name_, std::nullopt});
                    break;
                case 2:    // APPEND
                case 3: {  // SUBTRACT
                    const auto* key = config::find_topic_key(c.name_);
                    if (key == nullptr || (key->type != config::ConfigType::list &&
                                           key->type != config::ConfigType::policy)) {
                        r.error_code_ = error::invalid_config;
                        r.error_message_ = protocol::echo(c.name_) + " is not a list";
                        break;
                    }
                    auto items = split_list(current);
                    for (const auto& v : split_list(c.value_.value_or(""))) {
                        auto it = std::find(items.begin(), items.end(), v);
                        if (c.config_operation_ == 2 && it == items.end()) {
                            items.push_back(v);
                        } else if (c.config_operation_ == 3 && it != items.end()) {
                            items.erase(it);
                        }
                    }
                    changes.push_back({c.name_, join_list(items)});
                    break;
                }
                default:
                    r.error_code_ = error::invalid_request;
                    r.error_message_ = "unknown config operation";
                    break;
            }
        }
        if (r.error_code_ == error::none) {
            auto err = controller_->alter_topic_configs(res.resource_name_, changes, false,
                                                        req.validate_only_);
            r.error_code_ = err.code;
            r.error_message_ = err.message;
            changed = changed || (err.ok() && !req.validate_only_);
        }
        resp.responses_.push_back(std::move(r));
    }
    if (changed) {
        reconcile();
    }
    return resp;
}

}  // namespace eddy::kafka
