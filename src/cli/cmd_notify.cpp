// safe-migrate notify: check the endpoints, and resend what could not be delivered.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/usage.hpp"
#include "core/identity.hpp"
#include "notify/notifier.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"

namespace sm::cli {

struct NotifyArgs {
    std::string action;  // test, flush
};

int run_notify(const GlobalOptions& options, const NotifyArgs& args) {
    util::InterruptGuard interrupts;
    // 1. The endpoints of the selected environment.
    core::Config config = load_config(options);
    core::NotifySettings settings = config.notify();
    if (settings.webhooks.empty()) {
        throw Error(ExitCode::invalid_input, "no notification endpoints are configured",
                    "Add [[notify.webhooks]] with kind and url to safe-migrate.toml.");
    }
    notify::Notifier notifier(config, core::new_run_id());

    // 2. A test event to each endpoint, or the spool resent.
    std::vector<notify::Delivery> results;
    if (args.action == "test") {
        notify::Event e = notifier.event("notify.test", "test");
        e.error = std::nullopt;
        for (const auto& w : settings.webhooks) {
            // A test goes to every endpoint, whatever its event filter says.
            core::NotifySettings one = settings;
            one.webhooks = {w};
            one.webhooks[0].events = {"*"};
            auto http = notify::make_curl_client();
            notify::Sender s(one, *http);
            s.set_spooling(false);
            auto r = s.send(e);
            results.insert(results.end(), r.begin(), r.end());
        }
    } else {
        results = notifier.sender().flush();
    }

    // 3. One line per endpoint; failure when any was not delivered.
    bool all = true;
    nlohmann::json out = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : results) {
        all = all && d.delivered;
        out.push_back({{"endpoint", d.endpoint},
                       {"kind", d.kind},
                       {"delivered", d.delivered},
                       {"attempts", d.attempts},
                       {"status", d.status},
                       {"detail", d.detail}});
        rows.push_back({d.endpoint, d.kind, d.delivered ? "delivered" : "failed",
                        std::to_string(d.attempts), d.detail});
    }
    if (options.format == Format::json) {
        print_document(nlohmann::json({{"result", all ? "ok" : exit_code_name(ExitCode::failure)},
                                       {"exit_code", all ? 0 : static_cast<int>(ExitCode::failure)},
                                       {"action", args.action},
                                       {"results", out}})
                           .dump(2));
    } else if (rows.empty()) {
        say(options, args.action == "flush" ? "the spool is empty" : "no endpoints");
    } else {
        say_table(options, {"ENDPOINT", "KIND", "RESULT", "ATTEMPTS", "DETAIL"}, rows);
    }
    return all ? 0 : static_cast<int>(ExitCode::failure);
}

Command notify_command() {
    auto args = std::make_shared<NotifyArgs>();
    return {"notify", "Send a test event to every endpoint, or resend the spooled ones",
            [args](CLI::App& sub) {
                sub.add_option("action", args->action, "test or flush")
                    ->required()
                    ->check(one_of("notify action", {"test", "flush"}));
            },
            [args](const GlobalOptions& g) { return run_notify(g, *args); }, false};
}

}  // namespace sm::cli
