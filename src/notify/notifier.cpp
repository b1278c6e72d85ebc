#include "notify/notifier.hpp"

#include <cstdlib>

#include "core/identity.hpp"
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
      m_http(std::move(http)),
      m_sender(m_settings, *m_http) {
    for (const auto& w : m_settings.webhooks) {
        if (w.kind == core::WebhookKind::generic && !w.secret.empty()) {
            check_signing_secret(w.name, w.secret);
        }
    }
}

Event Notifier::event(const std::string& type, const std::string& status) const {
    Event e;
    e.id = "evt_" + core::random_hex(12);
    e.type = type;
    e.status = status;
    e.timestamp = util::format_utc(std::chrono::system_clock::now(), true);
    e.environment = m_environment;
    e.run_id = m_run_id;
    e.actor = core::actor();
    e.tool_version = core::tool_version();
    e.link = m_link;
    return e;
}

std::vector<Delivery> Notifier::send(const Event& e) {
    return m_sender.send(e);
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
