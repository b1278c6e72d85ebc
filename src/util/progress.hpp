#pragma once
// Progress of long work (backups, restores).
//
// On a terminal (stderr is a tty and TERM is not dumb) one line is redrawn in place:
//   "dumping: 3/12 tables (public.orders)". Elsewhere (CI logs, pipes) nothing
// is redrawn: a line is printed at the start, at each quarter, and at the end,
// so logs stay short and line-oriented.

#include <string>

namespace sm::util {

class Progress {
  public:
    // what: "dumping", "restoring"; unit: "tables". total may be 0 (unknown).
    Progress(std::string what, std::string unit, int total, bool quiet = false);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(int done, const std::string& detail = "");
    // Ends the line (on a terminal) and prints the final count once.
    void finish(const std::string& result = "done");

  private:
    void print(const std::string& line, bool final);

    std::string m_what;
    std::string m_unit;
    int m_total;
    bool m_quiet;
    bool m_tty;
    int m_done = 0;
    int m_last_quarter = 0;
    bool m_finished = false;
};

}  // namespace sm::util
