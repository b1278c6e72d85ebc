#include "support/http_receiver.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace sm::test {
namespace {

bool same_name(const std::string& a, const std::string& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

}  // namespace

std::string ReceivedRequest::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (same_name(key, name)) {
            return value;
        }
    }
    return "";
}

ScriptedResponse ScriptedResponse::with_status(
    int status, std::vector<std::pair<std::string, std::string>> headers) {
    ScriptedResponse r;
    r.status = status;
    r.body = status >= 200 && status < 300 ? "ok" : "scripted " + std::to_string(status);
    r.headers = std::move(headers);
    return r;
}

ScriptedResponse ScriptedResponse::hanging(std::chrono::milliseconds how_long) {
    ScriptedResponse r;
    r.hang = how_long;
    return r;
}

struct HttpReceiver::Impl {
    httplib::Server server;
    std::thread listener;
    int port = 0;
    std::atomic<bool> stopping{false};

    mutable std::mutex mutex;
    std::deque<ScriptedResponse> script;
    ScriptedResponse fallback;
    std::vector<ReceivedRequest> received;

    void handle(const httplib::Request& req, httplib::Response& res) {
        ReceivedRequest r;
        r.method = req.method;
        r.path = req.path;
        r.body = req.body;
        r.at = std::chrono::steady_clock::now();
        for (const auto& [key, value] : req.headers) {
            r.headers.emplace_back(key, value);
        }
        ScriptedResponse answer;
        {
            std::lock_guard<std::mutex> lock(mutex);
            received.push_back(std::move(r));
            if (script.empty()) {
                answer = fallback;
            } else {
                answer = std::move(script.front());
                script.pop_front();
            }
        }
        // A hang ends early when the receiver stops, so destruction never waits on it.
        auto until = std::chrono::steady_clock::now() + answer.hang;
        while (std::chrono::steady_clock::now() < until && !stopping) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        res.status = answer.status;
        for (const auto& [key, value] : answer.headers) {
            res.set_header(key, value);
        }
        res.set_content(answer.body, "text/plain");
    }
};

HttpReceiver::HttpReceiver() : m(std::make_unique<Impl>()) {
    // Enough workers for several hanging requests at once.
    m->server.new_task_queue = [] { return new httplib::ThreadPool(16); };
    m->server.set_keep_alive_timeout(1);
    m->server.set_read_timeout(2, 0);
    m->server.set_write_timeout(2, 0);
    // Every method and path (a pre-routing handler would run before the body is read).
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        m->handle(req, res);
    };
    m->server.Post(".*", handler)
        .Put(".*", handler)
        .Patch(".*", handler)
        .Delete(".*", handler)
        .Get(".*", handler);
    m->port = m->server.bind_to_any_port("127.0.0.1");
    if (m->port <= 0) {
        throw std::runtime_error("the test HTTP receiver cannot bind a port on 127.0.0.1");
    }
    m->listener = std::thread([this] { m->server.listen_after_bind(); });
    // stop() only stops a server that is running (listen_after_bind() sets
    // that first thing): wait until it is, so the destructor can always stop it.
    while (!m->server.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

HttpReceiver::~HttpReceiver() {
    m->stopping = true;  // hanging handlers return within 10 ms
    m->server.stop();    // closes the listening socket; the listener joins its workers
    m->listener.join();
}

int HttpReceiver::port() const {
    return m->port;
}

std::string HttpReceiver::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m->port) + path;
}

void HttpReceiver::enqueue(ScriptedResponse response) {
    std::lock_guard<std::mutex> lock(m->mutex);
    m->script.push_back(std::move(response));
}

void HttpReceiver::set_default(ScriptedResponse response) {
    std::lock_guard<std::mutex> lock(m->mutex);
    m->fallback = std::move(response);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
    std::lock_guard<std::mutex> lock(m->mutex);
    return m->received;
}

size_t HttpReceiver::count() const {
    std::lock_guard<std::mutex> lock(m->mutex);
    return m->received.size();
}

}  // namespace sm::test
