#pragma once
// One signed S3 request over libcurl (the only libcurl code of the backup
// module). Signing is libcurl's own AWS SigV4 (CURLOPT_AWS_SIGV4); what curl
// 7.88 does not do is done here: the x-amz-content-sha256 header (the body's
// SHA-256, or UNSIGNED-PAYLOAD for data sent with a Content-MD5), and the
// query string, which the caller passes sorted and already encoded (curl
// issue 9717). TLS is always verified; redirects are not followed.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"

namespace sm::backup {

struct S3Request {
    std::string method = "GET";  // GET, PUT, POST, DELETE, HEAD
    std::string key;             // the object's full key; empty for the bucket
    std::string query;           // sorted and encoded: "partNumber=1&uploadId=abc"
    std::vector<std::pair<std::string, std::string>> headers;
    std::string_view body;          // PUT/POST
    bool unsigned_payload = false;  // x-amz-content-sha256: UNSIGNED-PAYLOAD (body has Content-MD5)
    // Receives a 2xx response's body as it arrives (downloads); false stops
    // the transfer. Without it the body is kept in S3Response::body.
    std::function<bool(std::string_view)> on_data;
};

struct S3Response {
    long status = 0;    // 0: no response (the network error is in error)
    std::string body;   // the body (the first 64 kB of an error's)
    std::string etag;   // the ETag header, quotes kept
    std::string error;  // the network or TLS error; never a URL's query or a credential
};

class S3Http {
  public:
    explicit S3Http(core::S3Settings settings);
    // Sends request once. Never throws for network failures (see error).
    S3Response send(const S3Request& request) const;
    // "s3://bucket/key", for messages.
    std::string name_of(const std::string& key) const;
    const core::S3Settings& settings() const { return m_settings; }

  private:
    core::S3Settings m_settings;
};

// key with every byte but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash)
// percent-encoded, as SigV4 canonicalizes it.
std::string s3_encode(std::string_view text, bool keep_slash);

}  // namespace sm::backup
