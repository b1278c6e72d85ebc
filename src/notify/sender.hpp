#pragma once
// Delivering one event to every configured endpoint that wants it, without
// ever holding up or failing a deployment on the notifier's account.
//
// Per endpoint: https only (http for loopback or allow_http); retries with
// exponential backoff and full jitter on network errors, 5xx and 429 (honouring
// Retry-After); no retry on other 4xx; 410 disables the endpoint for the rest
// of the run; Slack endpoints get at most one message per second. Endpoints are
// served in parallel and all of it is bounded by the deadline. What could not
// be delivered (network errors, 5xx, 429, the deadline) is appended to the
// spool file for `notify flush`, stamped with when (data.spooled_at); flushed
// more than [notify] stale_after later it is sent marked stale (data.stale,
// and Slack says it is late).

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "notify/event.hpp"
#include "notify/http.hpp"

namespace sm::notify {

struct Delivery {
    std::string endpoint;  // its name, never its URL
    std::string kind;
    bool delivered = false;
    bool spooled = false;
    bool required = false;
    int attempts = 0;
    long status = 0;     // the last HTTP status, 0 for none
    std::string detail;  // "delivered", "HTTP 404 (not retried)", "deadline reached; spooled"
};

class Sender {
  public:
    Sender(core::NotifySettings settings, HttpClient& http);

    // Sends e to the endpoints that want it. Never throws.
    std::vector<Delivery> send(const Event& e);
    // Whether any endpoint wants events of type (none: send would do nothing).
    bool wants(const std::string& type) const;

    // Off: failures are reported, not spooled (for `notify test`).
    void set_spooling(bool on) { m_spooling = on; }

    // Sends the spooled events again; keeps in the spool what still fails.
    // Returns one Delivery per spooled entry.
    std::vector<Delivery> flush();

  private:
    struct Endpoint {
        core::WebhookConfig config;
        bool disabled = false;
        // It used up a whole deadline without answering: later events of this run
        // go straight to the spool, so one dead endpoint costs one deadline per run.
        bool unreachable = false;
        std::chrono::steady_clock::time_point last_sent{};
    };

    void send_one(size_t index, const Event& e, std::chrono::steady_clock::time_point deadline,
                  Delivery& result);
    Delivery deliver(Endpoint& endpoint, const std::string& event_id, const std::string& body,
                     std::chrono::steady_clock::time_point deadline);
    void spool(const Endpoint& endpoint, const Event& e);

    core::NotifySettings m_settings;
    HttpClient& m_http;
    std::vector<Endpoint> m_endpoints;
    bool m_spooling = true;
};

// The body an endpoint of this kind gets for e.
std::string body_for(core::WebhookKind kind, const Event& e);

}  // namespace sm::notify
