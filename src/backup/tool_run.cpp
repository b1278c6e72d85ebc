#include "backup/tool_run.hpp"

#include <csignal>

#include "backup/pg_tools.hpp"
#include "util/progress.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"

namespace sm::backup {

util::ProcessSpec tool_spec(const std::filesystem::path& program, std::vector<std::string> args) {
    util::ProcessSpec spec;
    spec.program = program.string();
    spec.args = std::move(args);
    spec.env_set["LC_MESSAGES"] = "C";
    spec.env_unset = {"LC_ALL"};
    return spec;
}

util::ProcessResult run_with_progress(const util::ProcessSpec& spec, const std::string& what,
                                      int total, bool quiet) {
    util::ChildProcess child(spec);
    util::ScopedCancelHook hook([&child] { child.send_signal(SIGTERM); });
    util::Progress progress(what, "tables", total, quiet);
    ProgressCounter counter;
    size_t seen = 0;
    while (true) {
        auto done = child.wait_for(std::chrono::milliseconds(200));
        std::string err = child.stderr_so_far();
        if (err.size() > seen) {
            counter.feed(err.substr(seen));
            seen = err.size();
            progress.update(counter.count(), counter.last_table());
        }
        if (done) {
            progress.finish(done->ok() ? "done" : "failed");
            return *done;
        }
    }
}

std::string failure_message(const std::string& program, const util::ProcessResult& result) {
    std::string lines = util::redact_text(error_lines(result.err));
    return program + " " + result.how_it_ended() +
           (lines.empty() ? "" : ":\n" + util::indent(lines, "  "));
}

}  // namespace sm::backup
