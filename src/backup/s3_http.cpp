#include "backup/s3_http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "core/checksum.hpp"

namespace sm::backup {
namespace {

struct Transfer {
    CURL* curl = nullptr;
    const S3Request* request = nullptr;
    S3Response* response = nullptr;
};

size_t on_s3_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300 && t->request->on_data) {
        return t->request->on_data(std::string_view(data, n)) ? n : 0;
    }
    if (t->response->body.size() < (64U << 10) || (status >= 200 && status < 300)) {
        t->response->body.append(data, n);
    }
    return n;
}

size_t on_s3_header(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<S3Response*>(user);
    size_t n = size * count;
    std::string line(data, n);
    if (line.size() > 5) {
        std::string name = line.substr(0, 5);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name == "etag:") {
            std::string value = line.substr(5);
            auto first = value.find_first_not_of(" \t");
            auto last = value.find_last_not_of(" \t\r\n");
            response->etag =
                first == std::string::npos ? "" : value.substr(first, last - first + 1);
        }
    }
    return n;
}

// The parts of an endpoint URL: "https", "host:port" and any base path.
struct EndpointParts {
    std::string scheme;
    std::string host;  // without the port
    std::string port;
    std::string base_path;
};

EndpointParts split_endpoint(const std::string& endpoint) {
    EndpointParts p;
    size_t at = endpoint.find("://");
    p.scheme = endpoint.substr(0, at);
    std::string rest = endpoint.substr(at + 3);
    size_t slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    if (slash != std::string::npos) {
        p.base_path = rest.substr(slash);
        while (!p.base_path.empty() && p.base_path.back() == '/') {
            p.base_path.pop_back();
        }
    }
    size_t colon = hostport.rfind(':');
    if (colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
        p.host = hostport.substr(0, colon);
        p.port = hostport.substr(colon + 1);
    } else {
        p.host = hostport;
        p.port = p.scheme == "https" ? "443" : "80";
    }
    return p;
}

CURL* thread_handle() {
    // One handle per thread, reset per request: its connection cache is reused.
    struct Handle {
        CURL* curl = curl_easy_init();
        ~Handle() { curl_easy_cleanup(curl); }
    };
    thread_local Handle handle;
    curl_easy_reset(handle.curl);
    return handle.curl;
}

}  // namespace

std::string s3_encode(std::string_view text, bool keep_slash) {
    static const char* k_hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
    }
    return out;
}

S3Http::S3Http(core::S3Settings settings) : m_settings(std::move(settings)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string S3Http::name_of(const std::string& key) const {
    return "s3://" + m_settings.bucket + "/" + key;
}

S3Response S3Http::send(const S3Request& request) const {
    S3Response response;
    CURL* curl = thread_handle();
    if (curl == nullptr) {
        response.error = "cannot initialize libcurl";
        return response;
    }
    EndpointParts ep = split_endpoint(m_settings.endpoint);
    std::string path = ep.base_path;
    std::string connect_to;
    std::string host = ep.host;
    if (m_settings.virtual_host) {
        // The bucket in the host name; the connection goes to the endpoint's own host.
        host = m_settings.bucket + "." + ep.host;
        connect_to = host + ":" + ep.port + ":" + ep.host + ":" + ep.port;
    } else {
        path += "/" + s3_encode(m_settings.bucket, false);
    }
    path += "/" + s3_encode(request.key, true);
    std::string url = ep.scheme + "://" + host + ":" + ep.port + path;
    if (!request.query.empty()) {
        url += "?" + request.query;
    }

    curl_slist* headers = nullptr;
    auto add = [&headers](const std::string& h) {
        headers = curl_slist_append(headers, h.c_str());
    };
    for (const auto& [name, value] : request.headers) {
        std::string header = name;
        header += ": ";
        header += value;
        add(header);
    }
    add("x-amz-content-sha256: " + (request.unsigned_payload ? std::string("UNSIGNED-PAYLOAD")
                                                             : core::sha256_hex(request.body)));
    if (!m_settings.session_token.empty()) {
        add("x-amz-security-token: " + m_settings.session_token);
    }
    // No "Expect:" to turn 100-continue off: curl 7.88 would sign the header it does not send.
    curl_slist* connect =
        connect_to.empty() ? nullptr : curl_slist_append(nullptr, connect_to.c_str());

    std::string sigv4 = "aws:amz:" + m_settings.region + ":s3";
    char error[CURL_ERROR_SIZE] = {0};
    Transfer transfer{curl, &request, &response};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, m_settings.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, m_settings.secret_access_key.c_str());
    if (request.method == "PUT" || request.method == "POST") {
        // Never a null pointer: curl would read the body from stdin.
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        add("Content-Type: application/octet-stream");
    } else if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (connect != nullptr) {
        curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect);
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    // A stalled transfer (under 1 kB/s for 60 s) fails and is retried.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "safe-migrate-backup");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_s3_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_s3_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    } else {
        response.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
        response.status = 0;
    }
    curl_slist_free_all(headers);
    curl_slist_free_all(connect);
    return response;
}

}  // namespace sm::backup
