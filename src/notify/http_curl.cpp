#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "notify/http.hpp"

namespace sm::notify {
namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    size_t n = size * count;
    if (out->size() < 4096) {
        out->append(data, std::min(n, 4096 - out->size()));
    }
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<HttpResponse*>(user);
    size_t n = size * count;
    std::string line(data, n);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind("retry-after:", 0) == 0) {
        try {
            response->retry_after = std::chrono::seconds(std::stol(line.substr(12)));
        } catch (const std::exception&) {
            // An HTTP date: treated as absent; the backoff applies.
        }
    }
    return n;
}

class CurlClient : public HttpClient {
  public:
    CurlClient() {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    HttpResponse post(const HttpRequest& request) override {
        HttpResponse response;
        CURL* curl = curl_easy_init();
        if (curl == nullptr) {
            response.error = "cannot initialize libcurl";
            return response;
        }
        curl_slist* headers = nullptr;
        for (const auto& [name, value] : request.headers) {
            std::string header = name + ": ";
            header += value;
            headers = curl_slist_append(headers, header.c_str());
        }
        char error[CURL_ERROR_SIZE] = {0};
        curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(request.connect_timeout.count()));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "safe-migrate-notifier");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
        CURLcode rc = curl_easy_perform(curl);
        if (rc == CURLE_OK) {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
        } else {
            // The error buffer can name the host, never the URL's path (the secret part).
            response.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
        }
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return response;
    }
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_client() {
    return std::make_unique<CurlClient>();
}

std::string url_problem(const std::string& url, bool allow_http) {
    auto lower = url.substr(0, 8);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind("https://", 0) == 0) {
        return "";
    }
    if (lower.rfind("http://", 0) != 0) {
        return "the URL must start with https://";
    }
    if (allow_http) {
        return "";
    }
    CURLU* parsed = curl_url();
    std::string host;
    if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
        char* h = nullptr;
        if (curl_url_get(parsed, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
            host = h;
            curl_free(h);
        }
    }
    curl_url_cleanup(parsed);
    bool loopback =
        host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
    return loopback ? "" : "plain http is only used for loopback hosts (set allow_http = true)";
}

}  // namespace sm::notify
