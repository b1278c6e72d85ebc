#include "cli/project.hpp"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/duration.hpp"
#include "core/log.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"
#include "util/terminal.hpp"

namespace sm::cli {

planner::ProjectOptions project_options(const GlobalOptions& options) {
    return {options.config, options.env, options.migrations_dir, options.layout};
}

planner::Project load_project(const GlobalOptions& options) {
    return planner::load_project(project_options(options));
}

core::Config load_config(const GlobalOptions& options) {
    return planner::load_project_config(project_options(options));
}

core::Target resolve_target(const GlobalOptions& options, const core::Config& config) {
    core::TargetInputs inputs{options.database_url, config.environment_database_url(),
                              config.environment.value_or(""), config.database_url};
    core::Target target = core::resolve_target(inputs);
    for (const auto& other : target.overridden) {
        core::log_warn("using --database-url " + core::redacted_conninfo(target.conninfo) +
                       " instead of " + other);
    }
    return target;
}

std::chrono::milliseconds duration_flag(const std::optional<std::string>& text, const char* flag,
                                        std::chrono::milliseconds fallback) {
    if (!text) {
        return fallback;
    }
    auto d = core::parse_duration(*text);
    if (!d) {
        throw Error(ExitCode::usage, std::string(flag) + ": " + core::duration_problem(*text));
    }
    return *d;
}

void say(const GlobalOptions& options, const std::string& line) {
    if (options.quiet) {
        return;
    }
    std::string text = util::redact_text(line);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void say_table(const GlobalOptions& options, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
    std::string table = util::render_table(header, rows);
    size_t end = table.find('\n');
    say(options,
        util::paint(table.substr(0, end), util::Style::heading, util::use_colour(STDOUT_FILENO)) +
            table.substr(end, table.size() - end - 1));
}

void print_document(const std::string& document) {
    std::printf("%s\n", document.c_str());
}

void print_ok(nlohmann::json fields) {
    fields["result"] = "ok";
    print_document(fields.dump(2));
}

void print_error(const GlobalOptions& g, ExitCode code, const std::string& message,
                 const std::string& hint, bool json_document) {
    std::string text = util::redact_text(message);
    std::string hint_text = util::redact_text(hint);
    bool colour = util::use_colour(STDERR_FILENO);
    std::fprintf(stderr, "safe-migrate: %s %s\n",
                 util::paint("error:", util::Style::error, colour).c_str(), text.c_str());
    if (!hint_text.empty()) {
        std::fprintf(stderr, "hint: %s\n", hint_text.c_str());
    }
    if (g.format == Format::json && json_document) {
        nlohmann::json out = {{"result", "error"},
                              {"error",
                               {{"code", exit_code_name(code)},
                                {"exit_code", static_cast<int>(code)},
                                {"message", text},
                                {"hint", hint_text}}}};
        print_document(out.dump(2));
    }
}

}  // namespace sm::cli
