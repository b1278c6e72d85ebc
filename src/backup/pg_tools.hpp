#pragma once
// Facts read from pg_dump and pg_restore themselves: their versions, the
// header of an archive's listing (`pg_restore -l`), and progress counted from
// their verbose output. Pure text parsing, plus locating the programs.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::backup {

struct ToolVersion {
    int major = 0;     // 15
    int minor = 0;     // 8 (0 when the output gives none)
    std::string text;  // "15.8 (Debian 15.8-0+deb12u1)"
};

// Parses `pg_dump --version` / `pg_restore --version` output, e.g.
// "pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n" or "pg_dump (PostgreSQL) 16devel".
// std::nullopt when the text carries no version.
std::optional<ToolVersion> parse_tool_version(const std::string& output);

// The program to run for name ("pg_dump", "pg_restore"): in bin_dir when given,
// else on PATH, else in /usr/lib/postgresql/<server_major>/bin. When PATH holds
// Debian's pg_wrapper (a Perl script that picks a versioned binary on every
// call), the newest /usr/lib/postgresql/<N>/bin/name with N >= server_major is
// returned instead, as the wrapper would pick, without its start-up cost. Throws
// sm::Error (backup_failed) saying what to install when it is nowhere.
std::filesystem::path find_pg_tool(const std::string& name,
                                   const std::optional<std::filesystem::path>& bin_dir,
                                   int server_major);

// Runs `program --version`. Throws sm::Error (backup_failed) naming the program
// when it cannot be run or prints no version.
ToolVersion read_tool_version(const std::filesystem::path& program);

// Throws sm::Error (backup_failed) when a tool of major version tool_major
// cannot handle a server of server_major (older tool), with a hint naming the
// Debian package to install (postgresql-client-<server_major>).
void require_tool_for_server(const std::string& name, const ToolVersion& tool, int server_major);

// The header of `pg_restore -l` output (the lines starting with ';' before
// "Selected TOC Entries"), plus counts over the entries that follow.
struct ArchiveHeader {
    std::string created_at;      // "2026-11-21 23:15:00 UTC" as printed
    std::string database;        // dbname
    int toc_entries = 0;         // "TOC Entries: N"
    std::string compression;     // "Compression: ..." as printed ("-1", "1", "gzip")
    std::string dump_version;    // "Dump Version: 1.14-0"
    std::string format;          // "DIRECTORY", "CUSTOM", "TAR"
    std::string dumped_from;     // "Dumped from database version: ..."
    std::string dumped_by;       // "Dumped by pg_dump version: ..."
    int table_data_entries = 0;  // entries of type TABLE DATA in the listing
};

// Parses `pg_restore -l` output. Throws sm::Error (backup_failed) when the text
// is not such a listing (no "Archive created at" / "TOC Entries" lines).
ArchiveHeader parse_archive_listing(const std::string& listing);

// Counts table data items in pg_dump -v or pg_restore -v stderr, fed in
// arbitrary chunks (a chunk may end mid-line). One line per table starts it:
//   pg_dump: dumping contents of table "public.t"
//   pg_restore: processing data for table "public.t"
// in serial and parallel (-j) mode alike. A table is finished when, in serial
// mode, the tool prints its next line (it works on one thing at a time), and in
// parallel mode when the leader prints "finished item N TABLE DATA t" (seeing
// such a line, or "entering main parallel loop", switches to parallel mode).
// Run the tools with LC_MESSAGES=C: translated messages are not recognized.
class ProgressCounter {
  public:
    explicit ProgressCounter(bool parallel = false) : m_parallel(parallel) {}
    // Feeds more output; returns the number of tables started so far.
    int feed(const std::string& chunk);
    int count() const { return m_count; }
    // The table named by the last started line ("public.t"), or "".
    const std::string& last_table() const { return m_last_table; }
    // Tables finished so far, and the one that finished last ("" for none).
    int finished() const { return static_cast<int>(m_finished.size()); }
    const std::vector<std::string>& finished_tables() const { return m_finished; }

  private:
    void line(std::string_view text);
    void finish(std::string table);

    bool m_parallel;
    std::string m_partial;
    int m_count = 0;
    std::string m_last_table;
    std::vector<std::string> m_running;   // started, not finished
    std::vector<std::string> m_finished;  // in the order they finished
};

// The lines of a tool's stderr that explain a failure: those with "error:",
// "FATAL", "detail:" or "hint:" (verbose output buries them), else the last
// five lines. Not redacted: callers pass the result through redact_text().
std::string error_lines(const std::string& stderr_text);

}  // namespace sm::backup
