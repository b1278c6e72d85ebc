#pragma once
// Progress of long work (backups, restores), counted in finished items.
//
// On a terminal (stderr is a tty and TERM is not dumb) one line is redrawn in place:
//   "restoring: 2/4 tables, 12.0 MB of ~48.0 MB (public.orders)". Elsewhere (CI
// logs, pipes) nothing is redrawn: a line when it starts, one per finished
// item, and a heartbeat line when nothing was printed for `heartbeat`, so a job
// that watches its output for silence is never left in the dark.

#include <chrono>
#include <cstdint>
#include <string>

namespace sm::util {

class Progress {
  public:
    // what: "dumping", "restoring"; unit: "tables". total may be 0 (unknown);
    // total_bytes is an estimate (0: unknown, bytes are not shown).
    Progress(std::string what, std::string unit, int total, bool quiet = false,
             int64_t total_bytes = 0,
             std::chrono::milliseconds heartbeat = std::chrono::milliseconds(30000));
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // done items are finished, bytes of them (an estimate); item: the last one
    // finished, or "" when none finished since the last call.
    void update(int done, int64_t bytes, const std::string& item = "");
    // Call often (a few times a second): prints the heartbeat when it is due.
    void tick();
    // Ends the line (on a terminal) and prints the final count once.
    void finish(const std::string& result = "done");

  private:
    std::string counts() const;
    void print(const std::string& line, bool final);

    std::string m_what;
    std::string m_unit;
    int m_total;
    bool m_quiet;
    bool m_tty;
    int64_t m_total_bytes;
    std::chrono::milliseconds m_heartbeat;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last_line = m_started;
    int m_done = 0;
    int64_t m_bytes = 0;
    bool m_finished = false;
};

}  // namespace sm::util
