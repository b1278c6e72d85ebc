#include "support/s3_server.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "support/npm_tool.hpp"

namespace sm::test {
namespace fs = std::filesystem;
namespace {

util::ProcessSpec s3_command(const std::string& program, std::vector<std::string> args) {
    util::ProcessSpec spec;
    spec.program = program;
    spec.args = std::move(args);
    return spec;
}

}  // namespace

std::string wait_for_text(const std::function<std::string()>& read, const std::string& needle) {
    for (int i = 0; i < 600; ++i) {
        std::string text = read();
        if (text.find(needle) != std::string::npos) {
            return text;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("timed out waiting for '" << needle << "' in: " << read());
    return "";
}

S3Server::S3Server(bool tls, int uploads_page) {
    // 1. The pinned s3rver, installed once for all tests (under a lock).
    fs::path s3 = SM_S3_DIR;
    fs::path s3rver = installed_npm_tool(s3, SM_S3_NODE_DIR, "s3rver");
    // 2. s3rver on a free port with the bucket.
    fs::create_directories(data());
    m_s3rver = std::make_unique<util::ChildProcess>(
        s3_command(s3rver.string(), {"-d", data().string(), "-a", "127.0.0.1", "-p", "0",
                                     "--configure-bucket", k_s3_bucket, "--no-vhost-buckets"}));
    std::string said =
        wait_for_text([&] { return m_s3rver->stdout_so_far(); }, "listening on 127.0.0.1:");
    std::string upstream = said.substr(said.find("127.0.0.1:") + 10);
    upstream = upstream.substr(0, upstream.find_first_not_of("0123456789"));
    // 3. The checking proxy in front of it (TLS with a self-signed certificate).
    std::vector<std::string> args = {(s3 / "checking_proxy.py").string(),
                                     "--upstream-port",
                                     upstream,
                                     "--secret",
                                     k_s3_secret,
                                     "--bucket",
                                     k_s3_bucket,
                                     "--faults",
                                     faults().string(),
                                     "--log",
                                     log().string(),
                                     "--port-file",
                                     (m_dir.path() / "port").string(),
                                     "--uploads-page",
                                     std::to_string(uploads_page)};
    if (tls) {
        auto made = util::run_process(s3_command(
            "openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", (m_dir.path() / "key.pem").string(), "-out",
                        (m_dir.path() / "cert.pem").string()}));
        REQUIRE(made.ok());
        args.insert(args.end(), {"--cert", (m_dir.path() / "cert.pem").string(), "--key",
                                 (m_dir.path() / "key.pem").string()});
    }
    m_proxy = std::make_unique<util::ChildProcess>(s3_command("python3", args));
    for (int i = 0; i < 600 && !fs::exists(m_dir.path() / "port"); ++i) {
        if (!m_proxy->running()) {
            FAIL("the checking proxy ended: " << m_proxy->stderr_so_far());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    m_port = util::read_file(m_dir.path() / "port");
}

std::string S3Server::requests() const {
    return util::read_file_if_exists(log()).value_or("");
}

void S3Server::inject(const std::string& kind, int count, int skip,
                      const std::string& match) const {
    std::ofstream(faults()) << kind << " " << count << " " << skip << " " << match << "\n";
}

fs::path S3Server::object_file(const std::string& key) const {
    return data() / k_s3_bucket / (std::string(k_s3_prefix) + "/" + key + "._S3rver_object");
}

std::vector<std::string> S3Server::keys() const {
    std::vector<std::string> out;
    fs::path root = data() / k_s3_bucket / k_s3_prefix;
    if (!fs::exists(root)) {
        return out;
    }
    const std::string suffix = "._S3rver_object";
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        std::string name = fs::relative(e.path(), root).generic_string();
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            out.push_back(name.substr(0, name.size() - suffix.size()));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string S3Server::config(const std::string& extra, bool tls) const {
    return std::string("[backup]\nstorage = \"s3\"\nendpoint = \"") + (tls ? "https" : "http") +
           "://127.0.0.1:" + m_port + "\"\nbucket = \"" + k_s3_bucket + "\"\nprefix = \"" +
           k_s3_prefix + "\"\nregion = \"eu-west-1\"\n" + extra;
}

}  // namespace sm::test
