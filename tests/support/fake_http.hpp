#pragma once
// A recording stand-in for the notifier's HTTP client: every POST is kept
// (with its place in the sequence shared by all fakes, sequence.hpp) and
// answered with a scripted status. No socket is opened.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "notify/http.hpp"

namespace sm::test {

struct PostedRequest {
    size_t seq = 0;
    notify::HttpRequest request;
    std::string type;  // the event type of a generic JSON body ("deploy.started"), or ""
};

class FakeHttp {
  public:
    FakeHttp() = default;
    FakeHttp(const FakeHttp&) = delete;
    FakeHttp& operator=(const FakeHttp&) = delete;

    // Every POST from now on is answered with status (initially 200).
    void set_status(long status);

    // A client that posts here; the fake must outlive it.
    std::unique_ptr<notify::HttpClient> client();
    // client() as a factory, for deploy::Boundaries::http.
    std::function<std::unique_ptr<notify::HttpClient>()> factory();

    // Every POST so far, in the order they were made. Thread-safe.
    std::vector<PostedRequest> posts() const;
    // The event types posted, in order.
    std::vector<std::string> types() const;
    // The sequence number of the first POST of event type, or 0 when none.
    size_t seq_of(const std::string& type) const;

  private:
    friend class FakeHttpClient;
    notify::HttpResponse post(const notify::HttpRequest& request);

    mutable std::mutex m_mutex;
    long m_status = 200;
    std::vector<PostedRequest> m_posts;
};

}  // namespace sm::test
