#pragma once
// Lint output written as the files finish, in file order, so a run with hundreds
// of thousands of findings never holds them: each file's findings are rendered
// on the thread that linted it, and only what the cross-file passes need is kept
// (the names each file creates and drops, the index keys).
//
// One thing waits on later files. A fk-missing-index finding is dropped when an
// index anywhere in the run serves its foreign key, a later file's included: a
// finding no earlier file settles is held back (rendered, a few hundred bytes)
// and the output after it goes to a spool until the run ends. The spool is
// memory up to a megabyte, then an unnamed temporary file. Nothing else waits:
// every format's counts (JSON's result and summary) come after the findings.

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "planner/created_twice.hpp"
#include "planner/lint_output.hpp"
#include "planner/lint_render.hpp"
#include "planner/linter.hpp"

namespace sm::planner {

// One finding of a prepared file: where its bytes are, and how it counts.
struct RenderedFinding {
    size_t begin = 0;
    size_t end = 0;
    int line = 0;
    Severity severity = Severity::error;
    bool suppressed = false;
    bool syntax = false;             // a syntax error or a malformed directive
    std::string satisfied_by_index;  // see Finding
};

// A file's report with its findings rendered in one format.
struct PreparedFile {
    std::filesystem::path file;
    long long statements = 0;
    bool no_transaction = false;
    std::vector<Suppression> suppressions;
    std::vector<CreatedObject> created_objects;
    std::vector<std::string> index_keys;
    std::vector<std::string> required;      // requires=, as written
    std::string rendered;                   // the findings' bytes, one after another
    std::vector<RenderedFinding> findings;  // in output order
};

// Renders report's findings in format (thread-safe).
PreparedFile prepare_file(const FileReport& report, LintFormat format);

class Spool;

// Puts prepared files together into the document, in the order they are added.
class LintWriter {
  public:
    // cross_file: run the cross-file passes (object created twice, foreign keys
    // an index of the run serves) as files come; false for files summarize saw.
    LintWriter(LintFormat format, const Policy& policy, LintSink sink, bool cross_file);
    ~LintWriter();
    LintWriter(const LintWriter&) = delete;
    LintWriter& operator=(const LintWriter&) = delete;

    void add(PreparedFile file);

    // Writes what was held back and the end of the document; returns the counts.
    // Throws sm::Error when the spool cannot be written or read back.
    LintTotals finish();

  private:
    struct HeldBack {
        size_t at;  // spool offset
        std::string bytes;
        RenderedFinding counts;
    };
    void add_created_twice(PreparedFile& file);
    void count(const RenderedFinding& f);
    void emit(std::string_view bytes);
    void write(std::string_view bytes);
    void write_segment(size_t from, size_t to);

    LintFormat m_format;
    const Policy& m_policy;
    LintSink m_sink;
    bool m_cross_file;
    std::string_view m_separator;
    LintRunSummary m_run;
    std::string m_out;  // written to sink in large pieces
    bool m_spooling = false;
    std::unique_ptr<Spool> m_spool;
    std::vector<HeldBack> m_held;
    std::set<std::string> m_indexed;  // index keys of the files added so far
    CreatedTwiceTracker m_created;
};

// Lints files with up to jobs threads (0: one per core), like lint_files, and
// writes the report in format to sink as they finish: the bytes render_lint
// writes for lint_files' report. Returns the counts. Throws what lint_file throws
// (the output of earlier files may be written already) and what finish throws.
// Sets the allocator to keep freed memory (util/memory.hpp) for the process.
LintTotals lint_to(const std::vector<LintInput>& files, const Policy& policy, int jobs,
                   LintFormat format, const LintSink& sink);

}  // namespace sm::planner
