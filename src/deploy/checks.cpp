#include "deploy/checks.hpp"

#include <csignal>

#include "core/log.hpp"
#include "db/check_query.hpp"
#include "db/history.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "validate/validate_target.hpp"

namespace sm::deploy {
namespace {

using CheckClock = std::chrono::steady_clock;

// The last line a failed command printed (stderr first), redacted, at most 200 characters.
std::string command_output_tail(const util::ProcessResult& r) {
    std::string text(util::trim(r.err.empty() ? r.out : r.err));
    if (text.empty()) {
        text = std::string(util::trim(r.out));
    }
    std::string line = util::redact_text(util::last_lines(text, 1));
    return line.size() > 200 ? line.substr(line.size() - 200) : line;
}

std::string run_check_command(const core::PostDeployCheck& check, const core::Target& target,
                              const std::filesystem::path& project_dir) {
    util::ProcessSpec spec;
    std::filesystem::path program = check.command.front();
    std::filesystem::path dir = std::filesystem::absolute(project_dir);
    // "./scripts/smoke" is the project's, wherever safe-migrate runs from.
    spec.program = program.is_relative() && check.command.front().find('/') != std::string::npos
                       ? (dir / program).lexically_normal().string()
                       : program.string();
    spec.args.assign(check.command.begin() + 1, check.command.end());
    spec.cwd = dir;
    if (!target.conninfo.empty()) {
        spec.env_set["DATABASE_URL"] = target.conninfo;  // the environment, never argv
    }
    util::ChildProcess child(spec);
    std::optional<util::ProcessResult> done = child.wait_for(check.timeout);
    if (!done) {
        child.send_signal(SIGKILL);
        child.wait();
        return "did not finish within " + util::format_duration(check.timeout) + " (killed)";
    }
    if (done->ok()) {
        return "";
    }
    std::string tail = command_output_tail(*done);
    return done->how_it_ended() + (tail.empty() ? "" : ": " + tail);
}

// execute --verify: validate, as `safe-migrate validate` does, after the run.
CheckResult run_verify_check(const Request& request) {
    auto start = CheckClock::now();
    CheckResult r{k_verify_check, "validate", true, "", {}};
    validate::ValidationReport report =
        validate::validate_target(*request.project, request.target, std::nullopt, "");
    if (report.drift()) {
        std::vector<std::string> found;
        for (const auto& h : report.history) {
            found.push_back(h.message);
        }
        for (const auto& d : report.schema) {
            found.push_back(d.message);
        }
        size_t more = found.size() > 3 ? found.size() - 3 : 0;
        found.resize(found.size() - more);
        r.passed = false;
        r.detail =
            "the live schema differs from the migrations: " + util::join(found, "; ") +
            (more > 0 ? "; and " + std::to_string(more) + " more (safe-migrate validate lists them)"
                      : "");
    }
    r.took = util::millis_since(start);
    return r;
}

void log_check(const CheckResult& r) {
    std::string line = "check '" + r.name + "' " + (r.passed ? "passed" : "FAILED") + " in " +
                       util::format_duration(r.took) + (r.passed ? "" : ": " + r.detail);
    if (r.passed) {
        core::log_info(line);
    } else {
        core::log_warn(line);
    }
}

}  // namespace

std::vector<std::string> planned_checks(const core::ExecuteSettings& settings, bool verify) {
    std::vector<std::string> names;
    for (const auto& c : settings.checks) {
        names.push_back(c.name);
    }
    if (verify) {
        names.emplace_back(k_verify_check);
    }
    return names;
}

CheckResult run_check(const core::PostDeployCheck& check, db::Session& session,
                      const core::Target& target, const std::filesystem::path& project_dir) {
    auto start = CheckClock::now();
    CheckResult r{check.name, check.sql.empty() ? "command" : "sql", false, "", {}};
    if (!check.sql.empty()) {
        db::CheckAnswer answer = db::run_check_query(session, check.sql, check.timeout);
        r.passed = answer.passed;
        r.detail = answer.why;
    } else {
        try {
            r.detail = run_check_command(check, target, project_dir);
        } catch (const Error& e) {  // the program could not be started
            r.detail = util::redact_text(e.what());
        }
        r.passed = r.detail.empty();
    }
    r.took = util::millis_since(start);
    return r;
}

std::vector<CheckResult> run_post_deploy_checks(const Request& request, db::Session& session,
                                                db::Session& control, const std::string& run_id) {
    std::vector<CheckResult> results;
    // Logs and records one check; a failed one fails the run with code.
    auto run_one = [&](const std::string& name, ExitCode code, const auto& check) {
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted,
                        "interrupted before post-deploy check '" + name + "'");
        }
        CheckResult r = check();
        log_check(r);
        db::record_event(control, {run_id, r.passed ? "check.passed" : "check.failed", std::nullopt,
                                   "post-deploy check '" + r.name + "' " +
                                       (r.passed ? "passed" : "failed: " + r.detail)});
        if (!r.passed) {
            throw Error(code, "post-deploy check '" + r.name + "' failed: " + r.detail);
        }
        results.push_back(std::move(r));
    };
    // The configured checks in order (planned_checks' order), then --verify's.
    for (const auto& c : request.settings.checks) {
        run_one(c.name, ExitCode::failure, [&] {
            return run_check(c, session, request.target, request.project->config.project_dir);
        });
    }
    if (request.verify) {
        run_one(k_verify_check, ExitCode::drift, [&] { return run_verify_check(request); });
    }
    return results;
}

bool CheckReport::passed() const {
    for (const auto& r : results) {
        if (!r.passed) {
            return false;
        }
    }
    return true;
}

CheckReport check_target(const core::Config& config, const core::Target& target) {
    util::InterruptGuard interrupts;
    auto start = CheckClock::now();
    auto session = db::connect_as(target.conninfo, config.application_name, "check");
    CheckReport report;
    report.target = session->display_name();
    for (const auto& check : config.execute.checks) {
        if (util::interrupted()) {
            throw Error(ExitCode::interrupted, "interrupted before check '" + check.name + "'");
        }
        report.results.push_back(run_check(check, *session, target, config.project_dir));
    }
    report.took = util::millis_since(start);
    return report;
}

}  // namespace sm::deploy
