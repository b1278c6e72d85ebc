#include "planner/linter.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <regex>
#include <set>

#include "core/migration_source.hpp"
#include "planner/lint_state.hpp"
#include "planner/parse_helpers.hpp"
#include "planner/rule_api.hpp"
#include "planner/rule_catalog.hpp"
#include "planner/sql_parser.hpp"
#include "planner/statement_stream.hpp"
#include "planner/transaction_mode.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/worker_pool.hpp"

namespace sm::planner {
namespace fs = std::filesystem;
namespace {

const std::regex& migration_name_pattern() {
    static const std::regex pattern(R"(([0-9]+)_([A-Za-z0-9_-]+)\.(up|down)\.sql)");
    return pattern;
}

bool is_migration_file(const fs::path& file) {
    return std::regex_match(file.filename().string(), migration_name_pattern());
}

// Line and column of byte offset within text that starts at (line, column).
std::pair<int, int> position_in(const std::string& text, size_t offset, int line, int column) {
    util::advance_position(text, 0, offset, line, column);
    return {line, column};
}

class FileLinter : public Emitter {
  public:
    // no_transaction: the file is known to run outside a transaction (detected on
    // an earlier pass). run: what the earlier files of the run established.
    FileLinter(const LintInput& input, const Policy& policy, bool no_transaction, RunFacts run)
        : m_policy(policy), m_input(input) {
        const fs::path& file = input.file;
        m_report.file = file;
        m_state.file = file;
        m_state.no_transaction = no_transaction || input.no_transaction;
        static_cast<RunFacts&>(m_state) = std::move(run);
        m_state.mark();
        m_state.policy = &policy;
        m_state.pg_version = policy.pg_version;
        m_state.max_lock_timeout_ms = policy.max_lock_timeout_ms;
        m_state.runner_file = input.runner_file || is_migration_file(file);
    }

    FileReport run(const std::function<void(const StatementInfo&)>& observer) {
        StatementStream stream = m_input.text ? StatementStream(m_report.file, *m_input.text)
                                              : StatementStream(m_report.file);
        bool first = true;
        while (auto s = stream.next()) {
            read_directives(s->leading, s->leading_line, first);
            first = false;
            statement(*s, observer);
            m_current = nullptr;  // s ends with this iteration
            if (m_restart) {
                return {};  // the caller lints the file again, outside a transaction
            }
        }
        if (first) {
            read_directives(stream.trailing(), stream.trailing_line(), true);
            problem("syntax-error", 0, 0, "file contains no SQL statements");
        } else {
            read_directives(stream.trailing(), stream.trailing_line(), false);
        }
        if (m_state.in_explicit_block) {
            problem_rule("transaction-hygiene",
                         "a transaction opened with BEGIN is never committed");
        }
        for (auto& sup : m_report.suppressions) {
            if (!sup.used) {
                Finding f;
                f.rule = "unused-suppression";
                f.severity = Severity::warning;
                f.file = m_report.file;
                f.line = sup.line;
                f.column = 1;
                f.message = "suppression of " + sup.rule + " matches no finding";
                m_report.findings.push_back(std::move(f));
            }
        }
        m_report.no_transaction = m_state.no_transaction;
        m_report.facts = std::move(static_cast<RunFacts&>(m_state));  // the run's, after this file
        return std::move(m_report);
    }

    // True when the statement turned out to need a run outside a transaction
    // that this pass did not assume: lint the file again in that mode.
    bool restart_needed() const { return m_restart; }
    // After a restart: the facts as they were before this file.
    RunFacts facts_before() {
        m_state.undo();
        return std::move(static_cast<RunFacts&>(m_state));
    }

    void emit(const char* rule, std::string message, const EmitExtras& extras) override {
        auto [info, severity] = rule_and_severity(rule);
        if (severity == Severity::off || info == nullptr) {
            return;
        }
        if ((!extras.exempt_if_new.empty() &&
             m_state.created_tables.count(extras.exempt_if_new) != 0) ||
            (exempt_on_new_tables(info->id) && only_new_tables())) {
            return;  // created earlier in this file (or run): it does not exist yet and is empty
        }
        Finding f;
        f.rule = info->id;
        f.severity = severity;
        f.file = m_report.file;
        f.line = m_current->line;
        f.column = m_current->column;
        f.statement = m_current->sql;
        f.message = std::move(message);
        f.lock = extras.lock.value_or(info->lock);
        f.lock_detail = info->lock_detail;
        f.table_work = info->table_work;
        f.alternative = info->alternative;
        f.rewrite = extras.rewrite;
        f.tables = extras.tables;
        f.satisfied_by_index = extras.satisfied_by_index;
        for (auto* list : {&m_statement_allows, &m_file_allows}) {
            for (size_t index : *list) {
                Suppression& sup = m_report.suppressions[index];
                if (sup.rule == f.rule && !f.suppressed_by) {
                    sup.used = true;
                    f.suppressed_by = sup;
                }
            }
        }
        m_report.findings.push_back(std::move(f));
    }

  private:
    // The catalog entry and the policy's severity of a rule, looked up once per
    // rule and file (rules are named by string literals).
    std::pair<const RuleInfo*, Severity> rule_and_severity(const char* rule) {
        for (const auto& [name, answer] : m_rules_seen) {
            if (name == rule || std::strcmp(name, rule) == 0) {
                return answer;
            }
        }
        std::pair<const RuleInfo*, Severity> answer{find_rule(rule), m_policy.severity_of(rule)};
        m_rules_seen.emplace_back(rule, answer);
        return answer;
    }

    void read_directives(const std::string& text, int first_line, bool header) {
        m_statement_allows.clear();
        if (text.find("safe-migrate:") == std::string::npos) {
            return;
        }
        std::vector<core::SourceProblem> problems;
        core::FileDirectives d =
            core::parse_directives(m_report.file, text, problems, first_line, header);
        for (const auto& p : problems) {
            problem("invalid-directive", p.line, 1, p.message);
        }
        if (header) {
            m_state.backfill = m_state.backfill || d.phase == core::Phase::backfill;
            m_report.required.insert(m_report.required.end(), d.required.begin(), d.required.end());
            m_state.no_transaction = m_state.no_transaction || d.no_transaction || m_state.backfill;
            if (d.lock_timeout) {
                m_state.lock_timeout_ms = d.lock_timeout->count();
            }
            if (d.statement_timeout) {
                m_state.statement_timeout_ms = d.statement_timeout->count();
            }
        }
        for (const auto& allow : d.allows) {
            m_report.suppressions.push_back(
                {m_report.file, allow.line, allow.rule, allow.reason, header, false});
            (header ? m_file_allows : m_statement_allows)
                .push_back(m_report.suppressions.size() - 1);
            if (find_rule(allow.rule) == nullptr) {
                problem("invalid-directive", allow.line, 1,
                        "suppression names unknown rule '" + allow.rule + "'");
            }
        }
    }

    void statement(const StreamedStatement& s,
                   const std::function<void(const StatementInfo&)>& observer) {
        ++m_report.statements;
        m_current = &s;
        if (s.scan_error) {
            auto [line, column] = position_in(s.sql, s.scan_error_offset, s.line, s.column);
            problem("syntax-error", line, column, "syntax error: " + *s.scan_error);
            return;
        }
        if (s.tree != nullptr) {  // parsed with its whole file
            check_statement(*s.tree, s, *s.tree_text, observer);
            return;
        }
        ParseResult parsed = parse_sql(s.sql);
        if (parsed.error) {
            auto [line, column] = position_in(s.sql, parsed.error->offset, s.line, s.column);
            problem("syntax-error", line, column, "syntax error: " + parsed.error->message);
            if (observer) {
                observer({m_report.file, s.line, s.sql, "", {}, m_state.in_transaction()});
            }
            return;
        }
        const ParseTree* tree = nullptr;
        try {
            tree = &m_document.parse(parsed.tree_json);
        } catch (const std::runtime_error& e) {
            // e.g. an expression nested deeper than the tree reader allows
            problem("syntax-error", s.line, s.column,
                    std::string("statement cannot be checked: ") + e.what());
            return;
        }
        for (const auto& raw : member_list(*tree, "stmts")) {
            check_statement(member(raw, "stmt"), s, s.sql, observer);
        }
    }

    // Runs every rule family on one statement's tree ({"AlterTableStmt": ...}),
    // whose "location" values are offsets in tree_text.
    void check_statement(const ParseTree& stmt, const StreamedStatement& s,
                         const std::string& tree_text,
                         const std::function<void(const StatementInfo&)>& observer) {
        if (m_restart || !stmt.is_object() || stmt.empty()) {
            return;
        }
        const std::string kind(stmt.begin().key());
        const ParseTree& body = stmt.begin().value();
        if (!m_state.no_transaction && !needs_no_transaction(kind, body).empty()) {
            m_restart = true;  // execute runs this file statement by statement
            return;
        }
        const LockPrediction lock = predict_lock(kind, body, m_state.pg_version);
        m_lock = &lock;
        StatementRef ref{body, kind, s.sql, s.line, s.column, lock, tree_text};
        check_destructive(ref, m_state, *this);
        check_columns(ref, m_state, *this);
        check_constraints(ref, m_state, *this);
        check_indexes(ref, m_state, *this);
        check_maintenance(ref, m_state, *this);
        check_transactions(ref, m_state, *this);
        check_integrity(ref, m_state, *this);
        if (kind == "IndexStmt") {
            record_index(body);
        }
        for (auto& created : created_or_dropped(kind, body)) {
            created.line = s.line;
            created.column = s.column;
            m_report.created_objects.push_back(std::move(created));
        }
        if (observer) {
            observer({m_report.file, s.line, s.sql, kind, lock, m_state.in_transaction()});
        }
        apply_statement(ref, m_state);
        m_lock = nullptr;
    }

    // Every relation the current statement touches was created earlier in the
    // file (or the run). A statement that names no relation is never exempt.
    bool only_new_tables() const {
        if (m_lock == nullptr || m_lock->relations.empty()) {
            return false;
        }
        return std::all_of(m_lock->relations.begin(), m_lock->relations.end(), [&](const auto& r) {
            return m_state.created_tables.count(r.relation) != 0;
        });
    }

    // Keys for every leading-column prefix of a new index (see index_key).
    void record_index(const ParseTree& body) {
        std::string table = qualified_name(member(body, "relation"));
        std::vector<std::string> columns;
        for (const auto& param : member_list(body, "indexParams")) {
            std::string name = member(param, "IndexElem").value("name", "");
            if (name.empty()) {
                break;  // an expression: later columns cannot serve a foreign key prefix
            }
            columns.push_back(name);
            m_report.index_keys.push_back(index_key(table, columns));
        }
    }

    // A problem that makes the file unusable whatever the policy says.
    void problem(const char* rule, int line, int column, const std::string& message) {
        Finding f;
        f.rule = rule;
        f.severity = Severity::error;
        f.file = m_report.file;
        f.line = line;
        f.column = column;
        f.message = message;
        if (m_current != nullptr && line == m_current->line) {
            f.statement = m_current->sql;
            f.caret = std::max(0, column - m_current->column);
        }
        m_report.findings.push_back(std::move(f));
    }

    void problem_rule(const char* rule, const std::string& message) {
        Finding f;
        f.rule = rule;
        f.severity = m_policy.severity_of(rule);
        f.file = m_report.file;
        f.message = message;
        if (f.severity != Severity::off) {
            m_report.findings.push_back(std::move(f));
        }
    }

    const Policy& m_policy;
    const LintInput& m_input;
    FileReport m_report;
    FileState m_state;
    const StreamedStatement* m_current = nullptr;
    const LockPrediction* m_lock = nullptr;  // the current statement's, while the rules run
    bool m_restart = false;
    ParseDocument m_document;  // the current statement's tree
    std::vector<std::pair<const char*, std::pair<const RuleInfo*, Severity>>> m_rules_seen;
    std::vector<size_t> m_file_allows;
    std::vector<size_t> m_statement_allows;
};

}  // namespace

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs, bool include_down) {
    std::vector<fs::path> files;
    for (const auto& input : inputs) {
        if (fs::is_directory(input)) {
            std::vector<fs::path> found;
            bool skipped_down = false;
            for (const auto& entry : fs::directory_iterator(input)) {
                bool down = entry.path().filename().string().find(".down.sql") != std::string::npos;
                if (entry.is_regular_file() && entry.path().extension() == ".sql") {
                    if (include_down || !down) {
                        found.push_back(entry.path());
                    }
                    skipped_down = skipped_down || down;
                }
            }
            if (found.empty()) {  // "0 files, ok" would pass a CI job that lints the wrong folder
                throw Error(ExitCode::invalid_input,
                            input.string() + " holds no migration files to lint",
                            skipped_down ? "It holds only down migrations: `safe-migrate lint "
                                           "--include-down " +
                                               input.string() + "` lints them."
                                         : "");
            }
            // Migrations in version order, other files by name; keys computed once.
            std::vector<std::pair<std::pair<unsigned long long, std::string>, fs::path>> keyed;
            for (const auto& path : found) {
                std::string name = path.filename().string();
                std::smatch m;
                unsigned long long version = std::regex_match(name, m, migration_name_pattern())
                                                 ? std::stoull(m[1].str())
                                                 : std::numeric_limits<unsigned long long>::max();
                keyed.push_back({{version, name}, path});
            }
            std::sort(keyed.begin(), keyed.end());
            found.clear();
            for (auto& [key, path] : keyed) {
                found.push_back(std::move(path));
            }
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::exists(input)) {
            files.push_back(input);
        } else {
            throw Error(ExitCode::invalid_input, input.string() + " does not exist");
        }
    }
    return files;
}

LintInput::LintInput(const core::MigrationFile& migration)
    : file(migration.path),
      text(migration.content),
      no_transaction(migration.directives.no_transaction),
      runner_file(true) {}

FileReport lint_file(const LintInput& file, const Policy& policy,
                     const std::function<void(const StatementInfo&)>& observer,
                     const RunFacts& run) {
    return lint_file(file, policy, observer, RunFacts(run));
}

FileReport lint_file(const LintInput& file, const Policy& policy,
                     const std::function<void(const StatementInfo&)>& observer, RunFacts&& run) {
    // The statements are shown to observer once, from the pass that counts.
    std::vector<StatementInfo> seen;
    std::function<void(const StatementInfo&)> buffered;
    if (observer) {
        buffered = [&seen](const StatementInfo& info) { seen.push_back(info); };
    }
    // Assume a transaction; a statement PostgreSQL refuses in one means execute
    // runs the file statement by statement (transaction_mode.hpp): lint it again so.
    FileLinter first(file, policy, false, std::move(run));
    FileReport report = first.run(buffered);
    if (first.restart_needed()) {
        seen.clear();
        report = FileLinter(file, policy, true, first.facts_before()).run(buffered);
    }
    for (const auto& info : seen) {
        observer(info);
    }
    return report;
}

std::string index_key(const std::string& table, std::vector<std::string> columns) {
    std::sort(columns.begin(), columns.end());
    std::string key = table + "|";
    for (size_t i = 0; i < columns.size(); ++i) {
        key += (i == 0 ? "" : ",") + columns[i];
    }
    return key;
}

LintReport summarize(std::vector<FileReport> files) {
    LintReport report;
    // An index anywhere in the plan serves a foreign key (the message says "unless a
    // later CREATE INDEX adds one"; an earlier one serves it too).
    std::set<std::string> indexed;
    for (const auto& file : files) {
        indexed.insert(file.index_keys.begin(), file.index_keys.end());
    }
    for (auto& file : files) {
        auto& findings = file.findings;
        findings.erase(std::remove_if(findings.begin(), findings.end(),
                                      [&](const Finding& f) {
                                          return !f.satisfied_by_index.empty() &&
                                                 indexed.count(f.satisfied_by_index) != 0;
                                      }),
                       findings.end());
        report.statements += file.statements;
        for (const auto& f : findings) {
            if (f.rule == k_syntax_error_rule || f.rule == "invalid-directive") {
                ++report.syntax_errors;
            }
            if (f.suppressed_by) {
                ++report.suppressed;
            } else if (f.severity == Severity::error) {
                ++report.errors;
            } else if (f.severity == Severity::warning) {
                ++report.warnings;
            }
        }
    }
    report.files = std::move(files);
    return report;
}

LintReport lint_files(const std::vector<LintInput>& files, const Policy& policy, int jobs) {
    std::vector<FileReport> reports(files.size());
    util::parallel_for(files.size(), jobs,
                       [&](size_t i) { reports[i] = lint_file(files[i], policy); });
    report_created_twice(reports, policy);
    return summarize(std::move(reports));
}

}  // namespace sm::planner
