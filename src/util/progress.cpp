#include "util/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "util/terminal.hpp"

namespace sm::util {

Progress::Progress(std::string what, std::string unit, int total, bool quiet)
    : m_what(std::move(what)),
      m_unit(std::move(unit)),
      m_total(total),
      m_quiet(quiet),
      m_tty(can_redraw(STDERR_FILENO)) {
    if (!m_tty) {
        print(m_what + ": started (" + std::to_string(m_total) + " " + m_unit + ")", true);
    }
}

Progress::~Progress() {
    if (m_tty && !m_finished && !m_quiet) {
        std::fputs("\n", stderr);  // leave the terminal on a fresh line
    }
}

void Progress::update(int done, const std::string& detail) {
    if (done == m_done && detail.empty()) {
        return;
    }
    m_done = done;
    std::string count = std::to_string(done) + (m_total > 0 ? "/" + std::to_string(m_total) : "");
    if (m_tty) {
        std::string line = m_what + ": " + count + " " + m_unit;
        if (!detail.empty()) {
            line += " (" + detail + ")";
        }
        print(line, false);
        return;
    }
    int quarter = m_total > 0 ? done * 4 / m_total : 0;
    if (quarter > m_last_quarter && quarter < 4) {
        m_last_quarter = quarter;
        print(m_what + ": " + count + " " + m_unit, true);
    }
}

void Progress::finish(const std::string& result) {
    if (m_finished) {
        return;
    }
    m_finished = true;
    std::string count = std::to_string(m_done) + (m_total > 0 ? "/" + std::to_string(m_total) : "");
    print(m_what + ": " + result + " (" + count + " " + m_unit + ")", true);
}

void Progress::print(const std::string& line, bool final) {
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
