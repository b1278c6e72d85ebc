#include "backup/tool_run.hpp"

#include <algorithm>
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
                                      const ProgressPlan& plan) {
    util::ChildProcess child(spec);
    util::ScopedCancelHook hook([&child] { child.send_signal(SIGTERM); });
    util::Progress progress(what, "tables", plan.tables, plan.quiet, plan.total_bytes,
                            plan.heartbeat);
    bool parallel = std::any_of(spec.args.begin(), spec.args.end(), [](const std::string& a) {
        return a.rfind("--jobs=", 0) == 0 && a != "--jobs=1";
    });
    ProgressCounter counter(parallel);
    size_t seen = 0;
    int64_t bytes = 0;
    auto bytes_of = [&plan](const std::string& table) {
        auto it = plan.bytes.find(table);
        return it == plan.bytes.end() ? int64_t{0} : it->second;
    };
    while (true) {
        auto done = child.wait_for(std::chrono::milliseconds(200));
        std::string err = child.stderr_so_far();
        if (err.size() > seen) {
            int before = counter.finished();
            counter.feed(err.substr(seen));
            seen = err.size();
            const auto& finished = counter.finished_tables();
            for (size_t i = static_cast<size_t>(before); i < finished.size(); ++i) {
                bytes += bytes_of(finished[i]);
                progress.update(static_cast<int>(i + 1), bytes, finished[i]);
            }
        }
        if (done) {
            if (done->ok()) {
                // Whatever was still running when the tool ended is done.
                progress.update(std::max(counter.count(), counter.finished()), plan.total_bytes);
            }
            progress.finish(done->ok() ? "done" : "failed");
            return *done;
        }
        progress.tick();
    }
}

std::string failure_message(const std::string& program, const util::ProcessResult& result) {
    std::string lines = util::redact_text(error_lines(result.err));
    return program + " " + result.how_it_ended() +
           (lines.empty() ? "" : ":\n" + util::indent(lines, "  "));
}

}  // namespace sm::backup
