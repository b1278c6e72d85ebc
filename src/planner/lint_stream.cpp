#include "planner/lint_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "planner/rule_catalog.hpp"
#include "util/error.hpp"
#include "util/memory.hpp"
#include "util/worker_pool.hpp"

namespace sm::planner {
namespace {

RenderedFinding describe(const Finding& f) {
    RenderedFinding r;
    r.line = f.line;
    r.severity = f.severity;
    r.suppressed = f.suppressed_by.has_value();
    r.syntax = f.rule == k_syntax_error_rule || f.rule == "invalid-directive";
    r.satisfied_by_index = f.satisfied_by_index;
    return r;
}

void append_rendered(LintFormat format, const Finding& f, PreparedFile& file) {
    RenderedFinding r = describe(f);
    r.begin = file.rendered.size();
    append_finding(format, f, file.rendered);
    r.end = file.rendered.size();
    file.findings.push_back(std::move(r));
}

constexpr size_t k_write_piece = size_t(1) << 16;

}  // namespace

// Bytes kept for later: in memory up to k_memory_limit, then in an unnamed
// temporary file (deleted when closed, or when the process dies), written and
// read with plain system calls a megabyte at a time: no stdio buffer between.
class Spool {
  public:
    Spool() = default;
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;
    ~Spool() {
        if (m_file != nullptr) {
            std::fclose(m_file);
        }
    }

    size_t size() const { return m_size; }

    void append(std::string_view bytes) {
        m_size += bytes.size();
        m_memory.append(bytes);
        if (m_memory.size() > k_memory_limit) {
            flush();
        }
    }

    // Hands the bytes in [from, to) to out, in pieces.
    void replay(size_t from, size_t to, const LintSink& out) {
        size_t on_disk = m_size - m_memory.size();  // the file holds [0, on_disk)
        if (from < on_disk) {
            std::string buffer(std::min(std::min(to, on_disk) - from, k_memory_limit), '\0');
            for (; from < std::min(to, on_disk);) {
                size_t want = std::min(std::min(to, on_disk) - from, buffer.size());
                ssize_t n = ::pread(fileno(m_file), buffer.data(), want, static_cast<off_t>(from));
                if (n <= 0) {
                    fail("read");
                }
                out(std::string_view(buffer.data(), static_cast<size_t>(n)));
                from += static_cast<size_t>(n);
            }
        }
        if (from < to) {
            out(std::string_view(m_memory).substr(from - on_disk, to - from));
        }
    }

  private:
    static constexpr size_t k_memory_limit = size_t(1) << 20;

    void flush() {
        if (m_file == nullptr && (m_file = std::tmpfile()) == nullptr) {
            fail("create");
        }
        std::string_view left = m_memory;
        while (!left.empty()) {
            ssize_t n = ::write(fileno(m_file), left.data(), left.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                fail("write");
            }
            left.remove_prefix(static_cast<size_t>(n));
        }
        m_memory.clear();  // the capacity is kept for the next megabyte
    }
    [[noreturn]] static void fail(const char* what) {
        throw Error(ExitCode::failure,
                    std::string("cannot ") + what +
                        " the temporary file that holds lint output: " + std::strerror(errno));
    }

    std::string m_memory;  // the bytes after the file's
    std::FILE* m_file = nullptr;
    size_t m_size = 0;
};

PreparedFile prepare_file(const FileReport& report, LintFormat format) {
    PreparedFile file;
    file.file = report.file;
    file.statements = report.statements;
    file.no_transaction = report.no_transaction;
    file.suppressions = report.suppressions;
    file.created_objects = report.created_objects;
    file.index_keys = report.index_keys;
    file.required = report.required;
    file.findings.reserve(report.findings.size());
    for (const auto& f : report.findings) {
        append_rendered(format, f, file);
    }
    return file;
}

LintWriter::LintWriter(LintFormat format, const Policy& policy, LintSink sink, bool cross_file)
    : m_format(format),
      m_policy(policy),
      m_sink(std::move(sink)),
      m_cross_file(cross_file),
      m_separator(finding_separator(format)),
      m_spool(std::make_unique<Spool>()),
      m_created(policy) {
    write(document_head(format, policy));
}

LintWriter::~LintWriter() = default;

void LintWriter::add(PreparedFile file) {
    ++m_run.totals.files;
    m_run.totals.statements += file.statements;
    m_run.paths.push_back(shown_path(file.file));
    if (file.no_transaction) {
        m_run.no_transaction.push_back(m_run.paths.back());
    }
    if (!file.required.empty()) {
        m_run.required.emplace_back(m_run.paths.back(), file.required);
    }
    for (const auto& s : file.suppressions) {
        if (!m_run.suppressions.empty()) {
            m_run.suppressions += ',';
        }
        append_suppression_json(s, m_run.suppressions);
    }
    if (m_cross_file) {
        m_indexed.insert(file.index_keys.begin(), file.index_keys.end());
        add_created_twice(file);
    }
    for (const auto& f : file.findings) {
        std::string_view bytes(file.rendered.data() + f.begin, f.end - f.begin);
        if (m_cross_file && !f.satisfied_by_index.empty()) {
            if (m_indexed.count(f.satisfied_by_index) != 0) {
                continue;  // an index of this file or an earlier one serves the foreign key
            }
            m_held.push_back({m_spool->size(), std::string(bytes), f});  // a later one may
            m_spooling = true;
            continue;
        }
        count(f);
        emit(bytes);
    }
}

void LintWriter::add_created_twice(PreparedFile& file) {
    std::vector<Finding> found = m_created.next_file(file.file, file.created_objects);
    if (found.empty()) {
        return;
    }
    for (const auto& f : found) {
        append_rendered(m_format, f, file);
    }
    // As report_created_twice orders them: by line, the new ones last on their line.
    std::stable_sort(
        file.findings.begin(), file.findings.end(),
        [](const RenderedFinding& a, const RenderedFinding& b) { return a.line < b.line; });
}

void LintWriter::count(const RenderedFinding& f) {
    LintTotals& t = m_run.totals;
    t.syntax_errors += f.syntax ? 1 : 0;
    if (f.suppressed) {
        ++t.suppressed;
    } else if (f.severity == Severity::error) {
        ++t.errors;
    } else if (f.severity == Severity::warning) {
        ++t.warnings;
    }
}

// In the spool every finding carries the separator before it; the first one
// written drops it (write_segment).
void LintWriter::emit(std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    if (m_spooling) {
        m_spool->append(m_separator);
        m_spool->append(bytes);
        return;
    }
    if (m_run.any_finding) {
        write(m_separator);
    }
    write(bytes);
    m_run.any_finding = true;
}

void LintWriter::write(std::string_view bytes) {
    if (m_out.size() + bytes.size() > k_write_piece) {
        if (!m_out.empty()) {
            m_sink(m_out);
            m_out.clear();
        }
        if (bytes.size() >= k_write_piece) {
            m_sink(bytes);
            return;
        }
    }
    m_out.append(bytes);
}

void LintWriter::write_segment(size_t from, size_t to) {
    if (from == to) {
        return;
    }
    from += m_run.any_finding ? 0 : m_separator.size();
    m_spool->replay(from, to, [this](std::string_view piece) { write(piece); });
    m_run.any_finding = true;
}

LintTotals LintWriter::finish() {
    auto kept = [this](const HeldBack& h) {  // no later file served its foreign key
        return m_indexed.count(h.counts.satisfied_by_index) == 0;
    };
    for (const auto& h : m_held) {
        if (kept(h)) {
            count(h.counts);
        }
    }
    size_t at = 0;
    for (const auto& h : m_held) {
        write_segment(at, h.at);
        at = h.at;
        if (kept(h) && !h.bytes.empty()) {
            if (m_run.any_finding) {
                write(m_separator);
            }
            write(h.bytes);
            m_run.any_finding = true;
        }
    }
    write_segment(at, m_spool->size());
    write(document_tail(m_format, m_policy, m_run));
    if (!m_out.empty()) {
        m_sink(m_out);
        m_out.clear();
    }
    return m_run.totals;
}

LintTotals lint_to(const std::vector<LintInput>& files, const Policy& policy, int jobs,
                   LintFormat format, const LintSink& sink) {
    util::keep_freed_memory();  // each statement's parse would fault its pages in again
    LintWriter writer(format, policy, sink, true);
    // Files are linted in order by a few threads and written in order by whichever
    // thread finishes the next one; a thread waits rather than run more than
    // `window` files ahead of the writer, so memory stays flat.
    const size_t window = 4 * static_cast<size_t>(util::worker_count(jobs, files.size())) + 4;
    std::vector<std::optional<PreparedFile>> ready(files.size());
    std::mutex mutex;
    std::condition_variable advanced;
    size_t next = 0;  // the next file to write
    bool writing = false;
    bool failed = false;  // a file or the writer threw: the rest is skipped
    util::parallel_for(files.size(), jobs, [&](size_t i) {
        {
            std::unique_lock lock(mutex);
            advanced.wait(lock, [&] { return i < next + window || failed; });
            if (failed) {
                return;
            }
        }
        bool is_writer = false;
        try {
            PreparedFile file = prepare_file(lint_file(files[i], policy), format);
            std::unique_lock lock(mutex);
            if (failed) {
                return;
            }
            ready[i] = std::move(file);
            if (writing) {
                return;  // the thread writing takes it when its turn comes
            }
            writing = is_writer = true;
            while (!failed && next < files.size() && ready[next]) {
                PreparedFile turn = std::move(*ready[next]);
                ready[next].reset();
                lock.unlock();
                writer.add(std::move(turn));
                lock.lock();
                ++next;
                advanced.notify_all();
            }
            writing = false;
        } catch (...) {
            std::lock_guard lock(mutex);
            failed = true;
            writing = writing && !is_writer;
            advanced.notify_all();
            throw;
        }
    });
    return writer.finish();
}

// render_lint (lint_output.hpp) lives here, beside the writer it uses, so the
// per-finding rendering in lint_output.cpp depends on nothing of this file.
void render_lint(const LintReport& report, LintFormat format, const Policy& policy,
                 const LintSink& sink) {
    LintWriter writer(format, policy, sink, false);  // summarize ran the cross-file passes
    for (const auto& file : report.files) {
        writer.add(prepare_file(file, format));
    }
    writer.finish();
}

std::string render_lint(const LintReport& report, LintFormat format, const Policy& policy) {
    std::string out;
    render_lint(report, format, policy, [&out](std::string_view piece) { out += piece; });
    return out;
}

}  // namespace sm::planner
