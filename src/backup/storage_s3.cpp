#include "backup/storage_s3.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "backup/digest.hpp"
#include "backup/s3_http.hpp"
#include "core/backoff.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/worker_pool.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

std::string xml_unescape(std::string text) {
    static const std::pair<const char*, const char*> k_entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
    for (const auto& [from, to] : k_entities) {
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
            text.replace(at, std::char_traits<char>::length(from), to);
        }
    }
    return text;
}

// The text of every <tag>...</tag> in xml, in order.
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
    std::vector<std::string> out;
    std::string open = "<" + tag + ">";
    std::string close = "</" + tag + ">";
    for (size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at)) {
        size_t start = at + open.size();
        size_t end = xml.find(close, start);
        if (end == std::string::npos) {
            break;
        }
        out.push_back(xml_unescape(xml.substr(start, end - start)));
        at = end + close.size();
    }
    return out;
}

std::string s3_error_code(const std::string& body) {
    auto codes = xml_values(body, "Code");
    return codes.empty() ? "" : codes.front();
}

// 501 Not Implemented is no passing trouble (s3rver's answer to ListMultipartUploads).
bool retryable(const S3Response& r) {
    return r.status == 0 || (r.status >= 500 && r.status != 501) ||
           s3_error_code(r.body) == "SlowDown";
}

std::string env_or(const std::string& configured, const char* variable) {
    if (!configured.empty()) {
        return configured;
    }
    const char* value = std::getenv(variable);
    return value != nullptr ? value : "";
}

class S3Storage : public Storage {
  public:
    S3Storage(core::S3Settings settings, S3Tuning tuning)
        : m_http(std::move(settings)), m_tuning(tuning) {}

    std::string describe() const override {
        const auto& s = m_http.settings();
        return "s3://" + s.bucket + (s.prefix.empty() ? "" : "/" + s.prefix);
    }

    void put_file(const std::string& key, const fs::path& file) override {
        std::error_code ec;
        auto size = static_cast<int64_t>(fs::file_size(file, ec));
        if (ec) {
            throw Error(ExitCode::backup_failed,
                        "cannot read " + file.string() + ": " + ec.message());
        }
        if (size <= m_tuning.part_bytes) {
            std::string body = read_range(file, 0, size);
            S3Request r = data_request("PUT", full(key), body);
            expect_ok(r);
            return;
        }
        put_multipart(full(key), file, size);
    }

    void put_text(const std::string& key, const std::string& text) override {
        S3Request r = data_request("PUT", full(key), text);
        r.unsigned_payload = false;
        expect_ok(r);
    }

    Fetched get_file(const std::string& key, const fs::path& dest) override {
        fs::create_directories(dest.parent_path());
        std::ofstream out;
        Sha256Stream sha;
        Fetched got;
        S3Request r;
        r.key = full(key);
        r.on_data = [&](std::string_view bytes) {
            sha.update(bytes);
            got.bytes += static_cast<int64_t>(bytes.size());
            return static_cast<bool>(
                out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())));
        };
        expect_ok(r, [&] {  // every attempt starts the file over
            out.close();
            out.open(dest, std::ios::binary | std::ios::trunc);
            got = {};
            sha.hex();
        });
        if (!out.flush()) {
            throw Error(ExitCode::backup_failed, "cannot write " + dest.string());
        }
        got.sha256 = sha.hex();
        return got;
    }

    std::string get_text(const std::string& key) override {
        S3Request r;
        r.key = full(key);
        return expect_ok(r).body;
    }

    std::vector<StoredObject> list(const std::string& prefix) override {
        std::vector<StoredObject> out;
        std::string token;
        std::string root = m_http.settings().prefix.empty() ? "" : m_http.settings().prefix + "/";
        do {
            S3Request r;
            r.query = (token.empty() ? "" : "continuation-token=" + s3_encode(token, false) + "&") +
                      "list-type=2&prefix=" + s3_encode(root + prefix, false);
            S3Response got = expect_ok(r, nullptr, describe());
            auto keys = xml_values(got.body, "Key");
            auto sizes = xml_values(got.body, "Size");
            for (size_t i = 0; i < keys.size() && i < sizes.size(); ++i) {
                out.push_back({keys[i].substr(root.size()), std::stoll(sizes[i])});
            }
            auto truncated = xml_values(got.body, "IsTruncated");
            auto next = xml_values(got.body, "NextContinuationToken");
            token = !truncated.empty() && truncated[0] == "true" && !next.empty() ? next[0] : "";
        } while (!token.empty());
        return out;
    }

    bool exists(const std::string& key) override {
        S3Request r;
        r.method = "HEAD";
        r.key = full(key);
        S3Response got = with_retries(r, nullptr);
        if (got.status == 404) {
            return false;
        }
        check(got, r.key);
        return true;
    }

    void remove(const std::string& key) override {
        S3Request r;
        r.method = "DELETE";
        r.key = full(key);
        S3Response got = with_retries(r, nullptr);
        if (got.status != 404) {
            check(got, r.key);
        }
    }

    std::vector<std::string> unfinished_uploads(const std::string& prefix) override {
        std::string root = m_http.settings().prefix.empty() ? "" : m_http.settings().prefix + "/";
        std::vector<std::string> keys;
        for (const auto& [key, id] : list_uploads(prefix)) {
            keys.push_back(key.substr(root.size()));
        }
        std::sort(keys.begin(), keys.end());
        return keys;
    }

    int abort_uploads(const std::string& prefix) override {
        int aborted = 0;
        for (const auto& [key, id] : list_uploads(prefix)) {
            aborted += abort_upload(key, id) ? 1 : 0;
        }
        return aborted;
    }

  private:
    // ListMultipartUploads under prefix, every page (S3 answers at most 1000
    // uploads a page; the next page starts after NextKeyMarker and
    // NextUploadIdMarker): (full key, upload id) pairs; none when the server
    // cannot list them (s3rver answers with its object listing).
    std::vector<std::pair<std::string, std::string>> list_uploads(const std::string& prefix) const {
        std::string root = m_http.settings().prefix.empty() ? "" : m_http.settings().prefix + "/";
        std::vector<std::pair<std::string, std::string>> out;
        std::string key_marker;
        std::string id_marker;
        for (int page = 0; page < k_max_upload_pages; ++page) {
            S3Response got =
                with_retries(uploads_request(root + prefix, key_marker, id_marker), nullptr);
            if (got.status != 200 ||
                got.body.find("<ListMultipartUploadsResult") == std::string::npos) {
                return out;
            }
            auto keys = xml_values(got.body, "Key");
            auto ids = xml_values(got.body, "UploadId");
            for (size_t i = 0; i < keys.size() && i < ids.size(); ++i) {
                if (keys[i].rfind(root, 0) == 0) {
                    out.emplace_back(keys[i], ids[i]);
                }
            }
            auto truncated = xml_values(got.body, "IsTruncated");
            auto next_key = xml_values(got.body, "NextKeyMarker");
            auto next_id = xml_values(got.body, "NextUploadIdMarker");
            bool more = !truncated.empty() && truncated[0] == "true" && !next_key.empty();
            if (!more ||
                (next_key[0] == key_marker && (next_id.empty() ? "" : next_id[0]) == id_marker)) {
                return out;  // the last page, or a server whose markers do not move
            }
            key_marker = next_key[0];
            id_marker = next_id.empty() ? "" : next_id[0];
        }
        return out;
    }

    // The ListMultipartUploads request after the given markers; the query's
    // parameters in sorted order (curl issue 9717).
    static S3Request uploads_request(const std::string& prefix, const std::string& key_marker,
                                     const std::string& id_marker) {
        S3Request r;
        r.query = (key_marker.empty() ? "" : "key-marker=" + s3_encode(key_marker, false) + "&") +
                  "prefix=" + s3_encode(prefix, false) +
                  (id_marker.empty() ? "" : "&upload-id-marker=" + s3_encode(id_marker, false)) +
                  "&uploads=";
        return r;
    }

    static constexpr int k_max_upload_pages = 10000;  // 10 million uploads

    std::string full(const std::string& key) const {
        const std::string& prefix = m_http.settings().prefix;
        return prefix.empty() ? key : prefix + "/" + key;
    }

    static S3Request data_request(const std::string& method, const std::string& key,
                                  std::string_view body) {
        S3Request r;
        r.method = method;
        r.key = key;
        r.body = body;
        r.unsigned_payload = true;
        r.headers.emplace_back("Content-MD5", md5_base64(body));
        return r;
    }

    static std::string read_range(const fs::path& file, int64_t offset, int64_t bytes) {
        std::ifstream in(file, std::ios::binary);
        std::string data(static_cast<size_t>(bytes), '\0');
        in.seekg(offset);
        if (!in.read(data.data(), bytes)) {
            throw Error(ExitCode::backup_failed, "cannot read " + file.string());
        }
        return data;
    }

    // Sends r until it succeeds, fails for good, or the attempts run out.
    S3Response with_retries(const S3Request& r, const std::function<void()>& before_attempt) const {
        core::Backoff backoff(m_tuning.retry_base, m_tuning.retry_max);
        S3Response got;
        for (int attempt = 0; attempt < m_tuning.attempts; ++attempt) {
            if (attempt > 0) {
                std::this_thread::sleep_for(backoff.delay(attempt - 1));
            }
            if (before_attempt) {
                before_attempt();
            }
            got = m_http.send(r);
            if (!retryable(got)) {
                return got;
            }
        }
        return got;
    }

    S3Response expect_ok(const S3Request& r, const std::function<void()>& before = nullptr,
                         const std::string& what = "") const {
        S3Response got = with_retries(r, before);
        check(got, r.key, what);
        return got;
    }

    // Throws the error for a failed response, naming the object (never the URL's query).
    void check(const S3Response& got, const std::string& key, const std::string& what = "") const {
        if (got.status >= 200 && got.status < 300) {
            return;
        }
        std::string name = what.empty() ? m_http.name_of(key) : what;
        if (got.status == 0) {
            bool tls = got.error.find("SSL") != std::string::npos ||
                       got.error.find("certificate") != std::string::npos;
            throw Error(ExitCode::backup_failed, name + ": " + util::redact_text(got.error),
                        tls ? "TLS certificates are always verified: give the endpoint a "
                              "certificate this host trusts."
                            : "Check [backup] endpoint and that the storage is reachable.");
        }
        std::string code = s3_error_code(got.body);
        std::string hint;
        if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || got.status == 403) {
            hint =
                "Check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                "[backup] access_key_id and secret_access_key).";
        } else if (code == "NoSuchBucket") {
            hint = "Create the bucket, or fix [backup] bucket.";
        }
        throw Error(ExitCode::backup_failed,
                    name + (got.status == 404 && code != "NoSuchBucket" ? " not found" : "") +
                        ": HTTP " + std::to_string(got.status) + (code.empty() ? "" : " " + code),
                    hint);
    }

    void put_multipart(const std::string& key, const fs::path& file, int64_t size) {
        S3Request create;
        create.method = "POST";
        create.key = key;
        create.query = "uploads=";
        auto ids = xml_values(expect_ok(create).body, "UploadId");
        if (ids.empty()) {
            throw Error(ExitCode::backup_failed,
                        m_http.name_of(key) + ": no UploadId in the reply");
        }
        const std::string& upload_id = ids[0];
        size_t parts = static_cast<size_t>((size + m_tuning.part_bytes - 1) / m_tuning.part_bytes);
        std::vector<std::string> etags(parts);
        try {
            util::parallel_for(parts, m_tuning.parallel_parts, [&](size_t i) {
                int64_t offset = static_cast<int64_t>(i) * m_tuning.part_bytes;
                std::string body =
                    read_range(file, offset, std::min(m_tuning.part_bytes, size - offset));
                S3Request part = data_request("PUT", key, body);
                part.query = "partNumber=" + std::to_string(i + 1) +
                             "&uploadId=" + s3_encode(upload_id, false);
                etags[i] = expect_ok(part).etag;
            });
            std::string xml = "<CompleteMultipartUpload>";
            for (size_t i = 0; i < parts; ++i) {
                xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                       etags[i] + "</ETag></Part>";
            }
            xml += "</CompleteMultipartUpload>";
            S3Request complete;
            complete.method = "POST";
            complete.key = key;
            complete.query = "uploadId=" + s3_encode(upload_id, false);
            complete.body = xml;
            S3Response done = expect_ok(complete);
            if (done.body.find("<Error>") != std::string::npos) {  // a 200 that failed
                throw Error(ExitCode::backup_failed,
                            m_http.name_of(key) +
                                ": completing the upload failed: " + s3_error_code(done.body));
            }
        } catch (...) {
            abort_upload(key, upload_id);
            throw;
        }
    }

    bool abort_upload(const std::string& key, const std::string& upload_id) const {
        S3Request r;
        r.method = "DELETE";
        r.key = key;
        r.query = "uploadId=" + s3_encode(upload_id, false);
        S3Response got = with_retries(r, nullptr);
        return got.status >= 200 && got.status < 300;
    }

    S3Http m_http;
    S3Tuning m_tuning;
};

}  // namespace

std::unique_ptr<Storage> make_s3_storage(const core::S3Settings& settings, const S3Tuning& tuning) {
    core::S3Settings s = settings;
    s.access_key_id = env_or(s.access_key_id, "AWS_ACCESS_KEY_ID");
    s.secret_access_key = env_or(s.secret_access_key, "AWS_SECRET_ACCESS_KEY");
    s.session_token = env_or(s.session_token, "AWS_SESSION_TOKEN");
    if (s.access_key_id.empty() || s.secret_access_key.empty()) {
        throw Error(ExitCode::backup_failed,
                    "no credentials for s3://" + s.bucket +
                        ": AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                    "Set them in the environment, or [backup] access_key_id = \"${VAR}\" and "
                    "secret_access_key = \"${VAR}\" in safe-migrate.toml.");
    }
    util::register_secret(s.secret_access_key);
    if (!s.session_token.empty()) {
        util::register_secret(s.session_token);
    }
    return std::make_unique<S3Storage>(std::move(s), tuning);
}

}  // namespace sm::backup
