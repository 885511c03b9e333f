// ClientError wording.
#include "services/client/kafka_error.h"

namespace eddy::client {
std::string ClientError::to_string() const {
    std::string out;
    if (!message.empty()) {
        out = message;
        out += " (";
        out += error_name(code);
        out += ")";
        return out;
    }
    out = error_name(code);
    return out;
}

ClientError topic_error(int16_t code, const std::string& name,
                        const std::optional<std::string>& broker_message) {
    std::string m = "topic '" + name + "'";
    if (code == error_code::topic_already_exists) {
        m += " already exists";
    } else if (code == error_code::unknown_topic_or_partition ||
               code == error_code::unknown_topic_id) {
        m += " does not exist";
    } else if (broker_message && !broker_message->empty()) {
        m += ": ";
        m += *broker_message;
    }
    return ClientError{code, std::move(m)};
}

}  // namespace eddy::client
