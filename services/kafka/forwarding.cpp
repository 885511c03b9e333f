#include "services/kafka/forwarding.h"

#include <set>

namespace eddy::kafka {

using namespace protocol;

CreateTopicsResponse error_response(const CreateTopicsRequest& req, int16_t code,
                                    const std::string& message) {
    CreateTopicsResponse resp;
    for (const auto& t : req.topics_) {
        CreateTopicsResponse::CreatableTopicResult r;
        r.name_ = t.name_;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.topics_.push_back(std::move(r));
    }
    return resp;
}

DeleteTopicsResponse error_response(const DeleteTopicsRequest& req, int16_t code,
                                    const std::string& message) {
    DeleteTopicsResponse resp;
    auto add = [&](std::optional<std::string> name, Uuid id) {
        DeleteTopicsResponse::DeletableTopicResult r;
        r.name_ = std::move(name);
        r.topic_id_ = id;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.responses_.push_back(std::move(r));
    };
    for (const auto& t : req.topics_) {
        add(t.name_, t.topic_id_);
    }
    for (const auto& n : req.topic_names_) {
        add(n, Uuid{});
    }
    return resp;
}

CreatePartitionsResponse error_response(const CreatePartitionsRequest& req, int16_t code,
                                        const std::string& message) {
    CreatePartitionsResponse resp;
    for (const auto& t : req.topics_) {
        CreatePartitionsResponse::CreatePartitionsTopicResult r;
        r.name_ = t.name_;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.results_.push_back(std::move(r));
    }
    return resp;
}

AlterConfigsResponse error_response(const AlterConfigsRequest& req, int16_t code,
                                    const std::string& message) {
    AlterConfigsResponse resp;
    for (const auto& res : req.resources_) {
        AlterConfigsResponse::AlterConfigsResourceResponse r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.responses_.push_back(std::move(r));
    }
    return resp;
}

IncrementalAlterConfigsResponse error_response(const IncrementalAlterConfigsRequest& req,
                                               int16_t code, const std::string& message) {
    IncrementalAlterConfigsResponse resp;
    for (const auto& res : req.resources_) {
        IncrementalAlterConfigsResponse::AlterConfigsResourceResponse r;
        r.resource_type_ = res.resource_type_;
        r.resource_name_ = res.resource_name_;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.responses_.push_back(std::move(r));
    }
    return resp;
}

protocol::AlterUserScramCredentialsResponse error_response(
    const protocol::AlterUserScramCredentialsRequest& req, int16_t code,
    const std::string& message) {
    protocol::AlterUserScramCredentialsResponse resp;
    std::set<std::string> users;
    auto add = [&](const std::string& user) {
        if (users.insert(user).second) {
            protocol::AlterUserScramCredentialsResponse::AlterUserScramCredentialsResult r;
            r.user_ = user;
            r.error_code_ = code;
            r.error_message_ = message;
            resp.results_.push_back(std::move(r));
        }
    };
    for (const auto& d : req.deletions_) {
        add(d.name_);
    }
    for (const auto& u : req.upsertions_) {
        add(u.name_);
    }
    return resp;
}

protocol::AlterClientQuotasResponse error_response(const protocol::AlterClientQuotasRequest& req,
                                                   int16_t code, const std::string& message) {
    protocol::AlterClientQuotasResponse resp;
    for (const auto& entry : req.entries_) {
        protocol::AlterClientQuotasResponse::EntryData out;
        out.error_code_ = code;
        out.error_message_ = message;
        for (const auto& c : entry.entity_) {
            out.entity_.push_back({c.entity_type_, c.entity_name_});
        }
        resp.entries_.push_back(std::move(out));
    }
    return resp;
}

DescribeQuorumResponse error_response(const DescribeQuorumRequest&, int16_t code,
                                      const std::string& message) {
    DescribeQuorumResponse resp;
    resp.error_code_ = code;
    resp.error_message_ = message;
    return resp;
}

ElectLeadersResponse error_response(const ElectLeadersRequest& req, int16_t code,
                                    const std::string& message) {
    ElectLeadersResponse resp;
    resp.error_code_ = code;
    if (req.topic_partitions_) {
        for (const auto& t : *req.topic_partitions_) {
            ElectLeadersResponse::ReplicaElectionResult r;
            r.topic_ = t.topic_;
            for (int32_t p : t.partitions_) {
                ElectLeadersResponse::PartitionResult pr;
                pr.partition_id_ = p;
                pr.error_code_ = code;
                pr.error_message_ = message;
                r.partition_result_.push_back(std::move(pr));
            }
            resp.replica_election_results_.push_back(std::move(r));
        }
    }
    return resp;
}

AlterPartitionReassignmentsResponse error_response(const AlterPartitionReassignmentsRequest& req,
                                                   int16_t code, const std::string& message) {
    AlterPartitionReassignmentsResponse resp;
    resp.error_code_ = code;
    resp.error_message_ = message;
    for (const auto& t : req.topics_) {
        AlterPartitionReassignmentsResponse::ReassignableTopicResponse tr;
        tr.name_ = t.name_;
        for (const auto& p : t.partitions_) {
            AlterPartitionReassignmentsResponse::ReassignablePartitionResponse pr;
            pr.partition_index_ = p.partition_index_;
            pr.error_code_ = code;
            pr.error_message_ = message;
            tr.partitions_.push_back(std::move(pr));
        }
        resp.responses_.push_back(std::move(tr));
    }
    return resp;
}

CreateAclsResponse error_response(const CreateAclsRequest& req, int16_t code,
                                  const std::string& message) {
    CreateAclsResponse resp;
    for (size_t i = 0; i < req.creations_.size(); ++i) {
        CreateAclsResponse::AclCreationResult r;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.results_.push_back(std::move(r));
    }
    return resp;
}

DeleteAclsResponse error_response(const DeleteAclsRequest& req, int16_t code,
                                  const std::string& message) {
    DeleteAclsResponse resp;
    for (size_t i = 0; i < req.filters_.size(); ++i) {
        DeleteAclsResponse::DeleteAclsFilterResult r;
        r.error_code_ = code;
        r.error_message_ = message;
        resp.filter_results_.push_back(std::move(r));
    }
    return resp;
}

}  // namespace eddy::kafka
