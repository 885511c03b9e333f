#include "services/controller/meta_properties.h"

#include <charconv>

#include "services/config/config.h"

namespace eddy::controller {

std::string random_base64_uuid(Random& random) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t bytes[16];
    const uint64_t a = random.next();
    const uint64_t b = random.next();
    for (size_t i = 0; i < 8; ++i) {
        bytes[i] = static_cast<uint8_t>(a >> (8 * i));
        bytes[8 + i] = static_cast<uint8_t>(b >> (8 * i));
    }
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (uint8_t byte : bytes) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
    }
    return out;
}

namespace {

std::string path_in(const std::string& dir, const char* name) {
    return dir.empty() ? std::string(name) : dir + "/" + name;
}

constexpr size_t file_bytes_max = 64 * 1024;

}  // namespace

Result<MetaProperties, std::string> load_or_format(Env& env, const std::string& dir,
                                                   int32_t node_id) {
    const std::string path = path_in(dir, "meta.properties");
    auto exists = env.disk.exists(path);
    if (!exists.ok()) {
        return fail(std::string("cannot read ") + path + ": " + to_string(exists.error()));
    }
    if (*exists) {
        auto f = env.disk.open(path, OpenMode::read_only);
        if (!f.ok()) {
            return fail(std::string("cannot open ") + path + ": " + to_string(f.error()));
        }
        auto size = (*f)->size();
        if (!size.ok() || *size > file_bytes_max) {
            return fail(path + ": unreadable or too large");
        }
        Bytes buf(static_cast<size_t>(*size));
        size_t got = 0;
        while (got < buf.size()) {
            auto n = (*f)->read_at(got, MutableByteSpan(buf.data() + got, buf.size() - got));
            if (!n.ok() || *n == 0) {
                return fail(path + ": read failed");
            }
            got += *n;
        }
        auto pairs = config::parse_properties(as_chars(buf));
        if (!pairs.ok()) {
            return fail(path + ": " + pairs.error());
        }
        MetaProperties m;
        for (const auto& [k, v] : *pairs) {
            if (k == "node.id") {
                int32_t id = -1;
                auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
                if (ec != std::errc() || p != v.data() + v.size()) {
                    return fail(path + ": bad node.id '" + v + "'");
                }
                m.node_id = id;
            } else if (k == "cluster.id") {
                m.cluster_id = v;
            } else if (k == "directory.id") {
                m.directory_id = v;
            }
        }
        if (m.cluster_id.empty()) {
            return fail(path + ": no cluster.id");
        }
        if (m.node_id != node_id) {
            return fail(path + " says node.id=" + std::to_string(m.node_id) +
                        " but the configuration says node.id=" + std::to_string(node_id) +
                        ": this data directory belongs to another node");
        }
        return m;
    }
    MetaProperties m;
    m.node_id = node_id;
    m.cluster_id = random_base64_uuid(env.random);
    m.directory_id = random_base64_uuid(env.random);
    const std::string text =
        "#\n# Written by eddy when it formatted this data directory.\n#\n"
        "version=1\nnode.id=" +
        std::to_string(node_id) + "\ncluster.id=" + m.cluster_id +
        "\ndirectory.id=" + m.directory_id + "\n";
    const std::string tmp = path + ".tmp";
    auto f = env.disk.open(tmp, OpenMode::create);
    if (!f.ok()) {
        return fail(std::string("cannot create ") + tmp + ": " + to_string(f.error()));
    }
    if (!(*f)->truncate(0).ok() || !(*f)->write_at(0, as_bytes(text)).ok() || !(*f)->sync().ok()) {
        return fail(std::string("cannot write ") + tmp);
    }
    f->reset();
    if (!env.disk.rename(tmp, path).ok() || !env.disk.sync_directory(dir).ok()) {
        return fail(std::string("cannot install ") + path);
    }
    env.log.info("formatted the data directory: cluster.id=%s node.id=%d", m.cluster_id.c_str(),
                 node_id);
    return m;
}

}  // namespace eddy::controller
