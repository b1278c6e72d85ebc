#pragma once
// The notifier's I/O boundary: one HTTP POST. http_curl.cpp is the only code
// that includes libcurl; tests and the sender see this interface.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sm::notify {

struct HttpRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{10000};  // the whole attempt
};

struct HttpResponse {
    long status = 0;   // 0 when no response (network error, timeout)
    std::string body;  // first 4 kB
    std::optional<std::chrono::seconds> retry_after;
    std::string error;  // the network error, when status is 0 (no URL in it)
};

class HttpClient {
  public:
    virtual ~HttpClient() = default;
    // POSTs request. Never throws for network failures (they are in error);
    // redirects are not followed; TLS is verified; proxies come from the
    // environment (https_proxy, no_proxy).
    virtual HttpResponse post(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpClient> make_curl_client();

// Why url may not be used, or "" when it may: https always; http only to a
// loopback host (127.0.0.0/8, ::1, localhost) or when allow_http.
std::string url_problem(const std::string& url, bool allow_http);

}  // namespace sm::notify
