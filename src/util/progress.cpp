#include "util/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "util/strings.hpp"
#include "util/terminal.hpp"
#include "util/time.hpp"

namespace sm::util {

Progress::Progress(std::string what, std::string unit, int total, bool quiet, int64_t total_bytes,
                   std::chrono::milliseconds heartbeat)
    : m_what(std::move(what)),
      m_unit(std::move(unit)),
      m_total(total),
      m_quiet(quiet),
      m_tty(can_redraw(STDERR_FILENO)),
      m_total_bytes(total_bytes),
      m_heartbeat(heartbeat) {
    if (!m_tty) {
        print(m_what + ": started (" + std::to_string(m_total) + " " + m_unit +
                  (m_total_bytes > 0 ? ", ~" + human_bytes(m_total_bytes) : "") + ")",
              true);
    }
}

Progress::~Progress() {
    if (m_tty && !m_finished && !m_quiet) {
        std::fputs("\n", stderr);  // leave the terminal on a fresh line
    }
}

std::string Progress::counts() const {
    std::string out =
        std::to_string(m_done) + (m_total > 0 ? "/" + std::to_string(m_total) : "") + " " + m_unit;
    if (m_total_bytes > 0) {
        out += ", " + human_bytes(m_bytes) + " of ~" + human_bytes(m_total_bytes);
    }
    return out;
}

void Progress::update(int done, int64_t bytes, const std::string& item) {
    if (done == m_done && item.empty()) {
        return;
    }
    m_done = done;
    m_bytes = bytes;
    std::string line = m_what + ": " + counts();
    if (!item.empty()) {
        line += " (" + item + (m_tty ? "" : " done") + ")";
    }
    print(line, !m_tty);
}

void Progress::tick() {
    auto now = std::chrono::steady_clock::now();
    if (m_tty || m_finished || now - m_last_line < m_heartbeat) {
        return;
    }
    print(
        m_what + ": " + counts() + ", still running after " +
            format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(now - m_started)),
        true);
}

void Progress::finish(const std::string& result) {
    if (m_finished) {
        return;
    }
    m_finished = true;
    print(m_what + ": " + result + " (" + counts() + ")", true);
}

void Progress::print(const std::string& line, bool final) {
    m_last_line = std::chrono::steady_clock::now();
    if (m_quiet) {
        return;
    }
    if (m_tty) {
        std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

}  // namespace sm::util
