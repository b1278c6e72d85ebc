#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include "support/sequence.hpp"

namespace sm::test {

class FakeHttpClient : public notify::HttpClient {
  public:
    explicit FakeHttpClient(FakeHttp& http) : m_http(http) {}
    notify::HttpResponse post(const notify::HttpRequest& request) override {
        return m_http.post(request);
    }

  private:
    FakeHttp& m_http;
};

void FakeHttp::set_status(long status) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_status = status;
}

std::unique_ptr<notify::HttpClient> FakeHttp::client() {
    return std::make_unique<FakeHttpClient>(*this);
}

std::function<std::unique_ptr<notify::HttpClient>()> FakeHttp::factory() {
    return [this] { return client(); };
}

notify::HttpResponse FakeHttp::post(const notify::HttpRequest& request) {
    // Generic endpoints get the JSON event; its type says which one it was.
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    std::string type = body.is_object() && body.contains("type") && body["type"].is_string()
                           ? body["type"].get<std::string>()
                           : "";
    std::lock_guard<std::mutex> lock(m_mutex);
    m_posts.push_back({next_sequence(), request, type});
    notify::HttpResponse response;
    response.status = m_status;
    response.body = m_status < 300 ? "ok" : "error";
    return response;
}

std::vector<PostedRequest> FakeHttp::posts() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_posts;
}

std::vector<std::string> FakeHttp::types() const {
    std::vector<std::string> out;
    for (const auto& p : posts()) {
        out.push_back(p.type);
    }
    return out;
}

size_t FakeHttp::seq_of(const std::string& type) const {
    for (const auto& p : posts()) {
        if (p.type == type) {
            return p.seq;
        }
    }
    return 0;
}

}  // namespace sm::test
