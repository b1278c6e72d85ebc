#pragma once
// What commands call: build an event with everything common filled in (id,
// time, environment, run id, actor, tool version, pipeline link) and send it.
// Sending never throws and never takes longer than [notify] deadline.

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/target.hpp"
#include "notify/event.hpp"
#include "notify/http.hpp"
#include "notify/sender.hpp"
#include "util/error.hpp"

namespace sm::notify {

class Notifier {
  public:
    // run_id: the command's run id (the same in history and in events). Reads
    // the config's notify section (core::Config::notify) and checks every
    // endpoint's signing secret, so a bad one stops the command here, before
    // it changes anything. Throws sm::Error (invalid_input) naming the problem.
    Notifier(const core::Config& config, std::string run_id,
             std::unique_ptr<HttpClient> http = make_curl_client());

    // For commands that must not stop on the notifier's account (restore): a
    // notify section that cannot be read (an unset ${VAR}, a malformed secret)
    // is logged as a warning naming the problem, and the notifier returned
    // sends nothing.
    static std::unique_ptr<Notifier> or_silent(const core::Config& config, std::string run_id,
                                               std::unique_ptr<HttpClient> http);

    // A fresh event of type with the common fields set.
    Event event(const std::string& type, const std::string& status) const;

    // Sends to the endpoints that want it (none configured: nothing happens).
    // A runbook becomes a link (runbook_url) under [notify] runbook_base_url.
    std::vector<Delivery> send(const Event& e);

    // Whether any endpoint wants events of type: a caller can skip making an
    // event nobody gets (one per migration applied).
    bool wants(const std::string& type) const { return m_sender.wants(type); }

    // True when an endpoint marked required did not take the event.
    static bool required_failed(const std::vector<Delivery>& deliveries);

    Sender& sender() { return m_sender; }

  private:
    core::NotifySettings m_settings;
    std::string m_environment;
    std::string m_run_id;
    std::string m_link;
    std::string m_actor;  // core::actor(), read once
    std::unique_ptr<HttpClient> m_http;
    Sender m_sender;
};

// The target as events show it: host, database, server version (no user, no
// password).
EventTarget event_target(const core::TargetIdentity& id);

// The error as events show it: the exit code's name and the first line of the
// message, redacted and cut to 200 characters (no SQL, no child stderr).
EventError event_error(ExitCode code, const std::string& message);

// The pipeline run's URL: [notify] link, else GitHub Actions
// ($GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID), else
// GitLab ($CI_JOB_URL), else "".
std::string pipeline_link(const std::string& configured);

}  // namespace sm::notify
