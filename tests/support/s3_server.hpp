#pragma once
// s3rver (tests/s3, pinned by its lockfile) behind tests/s3/checking_proxy.py,
// for the tests of the backup catalog in object storage. The proxy recomputes
// every request's SigV4 signature, checks Content-MD5 and part sizes, answers
// the multipart listing and abort s3rver lacks, injects 503/SlowDown and logs
// each request. A missing npm, s3rver or botocore fails the test that starts
// one; nothing is skipped.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/files.hpp"
#include "util/process.hpp"

namespace sm::test {

inline constexpr const char* k_s3_bucket = "bk";
inline constexpr const char* k_s3_prefix = "team/app";
inline constexpr const char* k_s3_secret = "S3RVER";  // s3rver's own default credentials

// Polls read() every 100 ms until its text contains needle (then returns the
// text) or a minute passes (then fails the test).
std::string wait_for_text(const std::function<std::string()>& read, const std::string& needle);

class S3Server {
  public:
    // Installs s3rver once (under a lock), starts it and the proxy (with TLS
    // and a self-signed certificate when tls; ListMultipartUploads answered
    // in pages of uploads_page). Fails the test when either cannot start.
    explicit S3Server(bool tls = false, int uploads_page = 1000);

    const std::string& port() const { return m_port; }
    std::filesystem::path data() const { return m_dir.path() / "data"; }
    std::filesystem::path faults() const { return m_dir.path() / "faults"; }
    std::filesystem::path log() const { return m_dir.path() / "requests.log"; }
    // The proxy's log so far: "METHOD HOST PATH?QUERY STATUS" per request and
    // "part N of /BUCKET/KEY: SIZE bytes" per multipart part.
    std::string requests() const;
    // Makes the count requests after the next skip fail with kind (503,
    // slowdown); with match, only requests whose path and query contain it count.
    void inject(const std::string& kind, int count, int skip = 0,
                const std::string& match = "") const;
    // The file s3rver keeps an object's bytes in (key below the prefix).
    std::filesystem::path object_file(const std::string& key) const;
    // Keys (below the prefix) of every object stored, sorted.
    std::vector<std::string> keys() const;
    // [backup] for this server; extra: more keys.
    std::string config(const std::string& extra = "", bool tls = false) const;

  private:
    util::TempDir m_dir{"sm-s3-test"};
    std::unique_ptr<util::ChildProcess> m_s3rver;
    std::unique_ptr<util::ChildProcess> m_proxy;
    std::string m_port;
};

}  // namespace sm::test
