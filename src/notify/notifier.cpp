#include "notify/notifier.hpp"

#include <cstdlib>

#include "core/identity.hpp"
#include "core/log.hpp"
#include "notify/payload.hpp"
#include "util/redact.hpp"
#include "util/time.hpp"

namespace sm::notify {

EventTarget event_target(const core::TargetIdentity& id) {
    return {id.host, id.database, id.server_version};
}

EventError event_error(ExitCode code, const std::string& message) {
    std::string line = util::redact_text(message.substr(0, message.find('\n')));
    if (line.size() > 200) {
        line = line.substr(0, 197) + "...";
    }
    return {exit_code_name(code), line};
}

std::string pipeline_link(const std::string& configured) {
    if (!configured.empty()) {
        return configured;
    }
    auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v == nullptr ? "" : v);
    };
    if (!env("GITHUB_SERVER_URL").empty() && !env("GITHUB_REPOSITORY").empty() &&
        !env("GITHUB_RUN_ID").empty()) {
        return env("GITHUB_SERVER_URL") + "/" + env("GITHUB_REPOSITORY") + "/actions/runs/" +
               env("GITHUB_RUN_ID");
    }
    return env("CI_JOB_URL");
}

Notifier::Notifier(const core::Config& config, std::string run_id, std::unique_ptr<HttpClient> http)
    : m_settings(config.notify()),
      m_environment(config.environment.value_or("")),
      m_run_id(std::move(run_id)),
      m_link(pipeline_link(m_settings.link)),
      m_actor(core::actor()),
      m_http(std::move(http)),
      m_sender(m_settings, *m_http) {
    for (const auto& w : m_settings.webhooks) {
        if (w.kind == core::WebhookKind::generic && !w.secret.empty()) {
            check_signing_secret(w.name, w.secret);
        }
    }
}

std::unique_ptr<Notifier> Notifier::or_silent(const core::Config& config, std::string run_id,
                                              std::unique_ptr<HttpClient> http) {
    try {
        return std::make_unique<Notifier>(config, run_id, std::move(http));
    } catch (const Error& e) {
        core::log_warn(std::string("notifications are off for this command: ") + e.what());
    }
    core::Config silent = config;
    silent.notify_source = nullptr;
    return std::make_unique<Notifier>(silent, std::move(run_id), make_curl_client());
}

Event Notifier::event(const std::string& type, const std::string& status) const {
    Event e;
    e.id = "evt_" + core::random_hex(12);
    e.type = type;
    e.status = status;
    e.timestamp = util::format_utc(std::chrono::system_clock::now(), true);
    e.environment = m_environment;
    e.run_id = m_run_id;
    e.actor = m_actor;
    e.tool_version = core::tool_version();
    e.link = m_link;
    return e;
}

std::vector<Delivery> Notifier::send(const Event& e) {
    if (e.runbook.empty() || m_settings.runbook_base_url.empty()) {
        return m_sender.send(e);
    }
    Event linked = e;
    std::string base = m_settings.runbook_base_url;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    linked.runbook_url = base + "/" + e.runbook;
    return m_sender.send(linked);
}

bool Notifier::required_failed(const std::vector<Delivery>& deliveries) {
    for (const auto& d : deliveries) {
        if (d.required && !d.delivered) {
            return true;
        }
    }
    return false;
}

}  // namespace sm::notify
