#pragma once
// Where a backup operation's time went, step by step, for the debug log:
// "timings of backup <id> create: prepare 40ms, pg_dump 1.2s, checksums 80ms".
// bench/remote_backup_bench.sh reads these lines (--verbose) for its breakdown.

#include <chrono>
#include <string>

#include "core/log.hpp"
#include "util/time.hpp"

namespace sm::backup {

class StepTimings {
  public:
    // Ends the step under way, named name: its time runs from the previous
    // lap (or from construction) to now.
    void lap(const std::string& name) {
        auto now = std::chrono::steady_clock::now();
        m_text += (m_text.empty() ? "" : ", ") + name + " " +
                  util::format_duration(
                      std::chrono::duration_cast<std::chrono::milliseconds>(now - m_last));
        m_last = now;
    }

    // Logs "timings of <what>: <steps>" at debug level.
    void log(const std::string& what) const {
        core::log_debug("timings of " + what + ": " + m_text);
    }

  private:
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
    std::string m_text;
};

}  // namespace sm::backup
