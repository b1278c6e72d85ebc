#include "notify/sender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/backoff.hpp"
#include "core/log.hpp"
#include "notify/payload.hpp"
#include "util/files.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"
#include "util/worker_pool.hpp"

namespace sm::notify {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds remaining(Clock::time_point deadline) {
    return std::max(milliseconds(0),
                    std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

bool retryable(const HttpResponse& r) {
    return r.status == 0 || r.status == 429 || r.status >= 500;
}

std::string unix_seconds() {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
}

// Slack takes about one message per second per webhook: waits until a second
// after last_sent, but not past deadline. Other kinds are not paced.
void pace(const core::WebhookConfig& w, Clock::time_point last_sent, Clock::time_point deadline) {
    if (w.kind == core::WebhookKind::slack && last_sent != Clock::time_point{}) {
        auto next = last_sent + std::chrono::seconds(1);
        if (next > Clock::now()) {
            std::this_thread::sleep_for(
                std::min(next - Clock::now(), Clock::duration(remaining(deadline))));
        }
    }
}

// The POST of body to w, with the Standard Webhooks headers (id, timestamp and,
// with a secret, signature) for a generic endpoint; std::nullopt when the secret
// cannot sign. The timeouts are left for the caller, who knows the deadline.
std::optional<HttpRequest> make_request(const core::WebhookConfig& w, const std::string& event_id,
                                        const std::string& body) {
    HttpRequest request;
    request.url = w.url;
    request.body = body;
    request.headers = {{"Content-Type", "application/json"}};
    if (w.kind == core::WebhookKind::generic) {
        std::string ts = unix_seconds();
        request.headers.push_back({"webhook-id", event_id});
        request.headers.push_back({"webhook-timestamp", ts});
        if (!w.secret.empty()) {
            try {
                request.headers.push_back(
                    {"webhook-signature", sign(w.secret, event_id, ts, body)});
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
    }
    return request;
}

// Appends one line to the spool, creating it (0600) and its directory.
void append_line(const std::filesystem::path& file, const std::string& line) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        core::log_warn("cannot write the notification spool " + file.string());
        return;
    }
    std::string data = line + "\n";
    bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (!ok) {
        core::log_warn("cannot write the notification spool " + file.string());
    }
}

// The body a spooled line is sent with: as spooled, or, when it waited longer
// than stale_after, rendered again from its event marked stale.
std::string flush_body(const nlohmann::json& line, core::WebhookKind kind,
                       milliseconds stale_after) {
    std::string body = line["body"].get<std::string>();
    auto spooled_ms = line.find("spooled_ms");
    if (spooled_ms == line.end() || !spooled_ms->is_number_integer()) {
        return body;  // spooled by an older version: no time to judge by
    }
    auto now_ms = std::chrono::duration_cast<milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    if (now_ms - spooled_ms->get<int64_t>() <= stale_after.count()) {
        return body;
    }
    std::string envelope = line.value("event", body);
    std::optional<Event> e = event_from_generic(envelope);
    if (!e) {
        return body;
    }
    e->stale = true;
    return body_for(kind, *e);
}

}  // namespace

std::string body_for(core::WebhookKind kind, const Event& e) {
    return kind == core::WebhookKind::slack ? slack_body(e) : generic_body(e);
}

Sender::Sender(core::NotifySettings settings, HttpClient& http)
    : m_settings(std::move(settings)), m_http(http) {
    for (const auto& w : m_settings.webhooks) {
        m_endpoints.push_back({w, false, false, {}});
    }
}

Delivery Sender::deliver(Endpoint& endpoint, const std::string& event_id, const std::string& body,
                         Clock::time_point deadline) {
    const core::WebhookConfig& w = endpoint.config;
    Delivery d{w.name, core::webhook_kind_name(w.kind), false, false, w.required, 0, 0, ""};
    if (endpoint.disabled) {
        d.detail = "disabled for this run (the endpoint answered 410 Gone)";
        return d;
    }
    if (endpoint.unreachable) {
        d.detail = "not answering earlier in this run";
        return d;
    }
    if (std::string problem = url_problem(w.url, w.allow_http); !problem.empty()) {
        d.detail = "not sent: " + problem;
        return d;
    }
    core::Backoff backoff(milliseconds(500), milliseconds(8000));
    for (int attempt = 0; attempt <= m_settings.retries; ++attempt) {
        pace(w, endpoint.last_sent, deadline);
        milliseconds left = remaining(deadline);
        if (left.count() < 50) {
            d.detail = "deadline reached";
            endpoint.unreachable = d.status == 0;
            return d;
        }
        std::optional<HttpRequest> built = make_request(w, event_id, body);
        if (!built) {
            d.detail = "not sent: the signing secret is not valid (whsec_ needs base64)";
            return d;
        }
        HttpRequest& request = *built;
        request.connect_timeout = std::min(m_settings.connect_timeout, left);
        request.timeout = std::min(m_settings.attempt_timeout, left);
        ++d.attempts;
        HttpResponse r = m_http.post(request);
        endpoint.last_sent = Clock::now();
        d.status = r.status;
        if (r.status >= 200 && r.status < 300) {
            d.delivered = true;
            d.detail = "delivered";
            return d;
        }
        if (r.status == 410) {
            endpoint.disabled = true;
            d.detail = "HTTP 410 Gone: endpoint disabled for this run";
            core::log_warn("notification endpoint " + w.name +
                           " answered 410 Gone (archived channel?); not posting there again");
            return d;
        }
        if (!retryable(r)) {
            d.detail = "HTTP " + std::to_string(r.status) + " (not retried)";
            return d;
        }
        d.detail = r.status == 0 ? util::redact_text(r.error) : "HTTP " + std::to_string(r.status);
        if (attempt == m_settings.retries) {
            break;
        }
        milliseconds wait = r.retry_after ? std::chrono::duration_cast<milliseconds>(*r.retry_after)
                                          : backoff.delay(attempt);
        if (wait >= remaining(deadline)) {
            d.detail += "; the next attempt would pass the deadline";
            endpoint.unreachable = r.status == 0 && remaining(deadline).count() < 50;
            return d;
        }
        if (!util::interruptible_sleep(wait)) {
            return d;
        }
    }
    endpoint.unreachable = d.status == 0 && remaining(deadline).count() < 50;
    return d;
}

void Sender::spool(const Endpoint& endpoint, const Event& e) {
    // The event as it waits: stamped with when it went to the spool, in the
    // endpoint's body and as the generic envelope (for a Slack endpoint), so
    // that flush can say it is late.
    auto now = std::chrono::system_clock::now();
    Event waiting = e;
    waiting.spooled_at = util::format_utc(now, true);
    // The endpoint by name: its URL is a secret and is looked up again at flush.
    nlohmann::json line = {
        {"endpoint", endpoint.config.name},
        {"kind", core::webhook_kind_name(endpoint.config.kind)},
        {"id", e.id},
        {"type", e.type},
        {"spooled_at", waiting.spooled_at},
        {"spooled_ms", std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count()},
        {"body", body_for(endpoint.config.kind, waiting)}};
    if (endpoint.config.kind != core::WebhookKind::generic) {
        line["event"] = generic_body(waiting);
    }
    append_line(m_settings.spool, line.dump());
}

bool Sender::wants(const std::string& type) const {
    return std::any_of(m_endpoints.begin(), m_endpoints.end(),
                       [&](const Endpoint& endpoint) { return endpoint.config.wants(type); });
}

std::vector<Delivery> Sender::send(const Event& e) {
    std::vector<size_t> wanted;
    for (size_t i = 0; i < m_endpoints.size(); ++i) {
        if (m_endpoints[i].config.wants(e.type)) {
            wanted.push_back(i);
        }
    }
    if (wanted.empty()) {
        return {};
    }
    auto deadline = Clock::now() + m_settings.deadline;
    std::vector<Delivery> results(m_endpoints.size());
    // Every endpoint at once: each is bounded by the same deadline.
    util::parallel_for(wanted.size(), static_cast<int>(wanted.size()), [&](size_t k) {
        size_t i = wanted[k];
        try {
            send_one(i, e, deadline, results[i]);
        } catch (const std::exception& ex) {
            // Never let a notification take the deployment down.
            results[i].endpoint = m_endpoints[i].config.name;
            results[i].required = m_endpoints[i].config.required;
            results[i].detail = std::string("not sent: ") + util::redact_text(ex.what());
        }
    });
    std::vector<Delivery> out;
    for (size_t i : wanted) {
        if (!results[i].delivered) {
            core::log_warn("notification " + e.type + " to " + results[i].endpoint + ": " +
                           results[i].detail);
        }
        out.push_back(results[i]);
    }
    return out;
}

void Sender::send_one(size_t i, const Event& e, Clock::time_point deadline, Delivery& result) {
    Endpoint& endpoint = m_endpoints[i];
    std::string body = body_for(endpoint.config.kind, e);
    result = deliver(endpoint, e.id, body, deadline);
    bool transient = result.status == 0 || result.status == 429 || result.status >= 500;
    if (m_spooling && !result.delivered && transient && !endpoint.disabled &&
        url_problem(endpoint.config.url, endpoint.config.allow_http).empty()) {
        spool(endpoint, e);
        result.spooled = true;
        result.detail += "; spooled for 'safe-migrate notify flush'";
    }
}

std::vector<Delivery> Sender::flush() {
    auto text = util::read_file_if_exists(m_settings.spool);
    std::vector<Delivery> out;
    if (!text || text->empty()) {
        return out;
    }
    std::vector<std::string> keep;
    size_t start = 0;
    while (start < text->size()) {
        size_t end = text->find('\n', start);
        std::string line =
            text->substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? text->size() : end + 1;
        if (line.empty()) {
            continue;
        }
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.contains("endpoint") || !j.contains("body")) {
            core::log_warn("dropping an unreadable line of the notification spool");
            continue;
        }
        std::string name = j["endpoint"].get<std::string>();
        Endpoint* endpoint = nullptr;
        for (auto& e : m_endpoints) {
            endpoint = e.config.name == name ? &e : endpoint;
        }
        if (endpoint == nullptr) {
            out.push_back(
                {name, "", false, true, false, 0, 0, "no such endpoint in the config; kept"});
            keep.push_back(line);
            continue;
        }
        Delivery d = deliver(*endpoint, j.value("id", ""),
                             flush_body(j, endpoint->config.kind, m_settings.stale_after),
                             Clock::now() + m_settings.deadline);
        if (!d.delivered && (d.status == 0 || d.status == 429 || d.status >= 500)) {
            d.spooled = true;
            d.detail += "; kept in the spool";
            keep.push_back(line);
        }
        out.push_back(d);
    }
    std::string rest;
    for (const auto& l : keep) {
        rest += l + "\n";
    }
    util::write_file_atomic(
        m_settings.spool, rest,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return out;
}

}  // namespace sm::notify
