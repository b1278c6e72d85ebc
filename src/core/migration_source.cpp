#include "core/migration_source.hpp"

#include <algorithm>
#include <map>
#include <regex>

#include "core/checksum.hpp"
#include "core/duration.hpp"
#include "core/layout.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

constexpr std::string_view k_directive_prefix = "safe-migrate:";

// "-- safe-migrate: x" -> "x"; std::nullopt for lines that are not directives.
std::optional<std::string> directive_text(std::string_view line) {
    line = util::trim(line);
    if (!util::starts_with(line, "--")) {
        return std::nullopt;
    }
    line = util::trim(line.substr(2));
    if (!util::starts_with(line, k_directive_prefix)) {
        return std::nullopt;
    }
    return std::string(util::trim(line.substr(k_directive_prefix.size())));
}

std::optional<AllowDirective> parse_allow(const std::string& text, int line, std::string& error) {
    static const std::regex k_allow(R"(allow\s+([a-z0-9-]+)(?:\s+reason\s*=\s*\"([^\"]*)\")?\s*)");
    std::smatch m;
    if (!std::regex_match(text, m, k_allow)) {
        error = "malformed directive '" + text + "' (expected: allow <rule> reason=\"...\")";
        return std::nullopt;
    }
    if (!m[2].matched || util::trim(m[2].str()).empty()) {
        error = "suppression of '" + m[1].str() + "' has no reason (write reason=\"...\")";
        return std::nullopt;
    }
    return AllowDirective{line, m[1].str(), m[2].str(), false};
}

// requires=A,B: each a version or a migration's id (planner/dependencies.hpp).
template <typename Problem>
std::vector<std::string> parse_required(const std::string& value, const Problem& problem) {
    static const std::regex k_requirement(R"([A-Za-z0-9_.-]+)");
    std::vector<std::string> out;
    for (const auto& part : util::split(value, ',')) {
        std::string entry(util::trim(part));
        if (!std::regex_match(entry, k_requirement)) {
            problem("directive requires: '" + entry +
                    "' is not a migration (a version or an id, comma-separated)");
            continue;
        }
        out.push_back(entry);
    }
    return out;
}

}  // namespace

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::expand:
            return "expand";
        case Phase::backfill:
            return "backfill";
        case Phase::contract:
            return "contract";
    }
    return "expand";
}

std::optional<Phase> parse_phase(std::string_view name) {
    for (Phase p : {Phase::expand, Phase::backfill, Phase::contract}) {
        if (name == phase_name(p)) {
            return p;
        }
    }
    return std::nullopt;
}

std::string Migration::id() const {
    return version.text() + "_" + name;
}

const Migration* MigrationSet::find(const Version& version) const {
    for (const auto& m : migrations) {
        if (m.version == version) {
            return &m;
        }
    }
    return nullptr;
}

std::string SourceProblem::describe() const {
    std::string where = file.string();
    if (line > 0) {
        where += ":" + std::to_string(line);
    }
    return where + ": " + message;
}

FileDirectives parse_directives(const std::filesystem::path& file, const std::string& content,
                                std::vector<SourceProblem>& problems, int first_line, bool header) {
    FileDirectives d;
    bool in_header = header;
    int line_number = first_line - 1;
    for (const auto& raw : util::split(content, '\n')) {
        ++line_number;
        std::string_view line = util::trim(raw);
        auto text = directive_text(line);
        if (!text) {
            if (!line.empty() && !util::starts_with(line, "--")) {
                in_header = false;
            }
            continue;
        }
        auto problem = [&](const std::string& message) {
            problems.push_back({file, line_number, message});
        };
        if (util::starts_with(*text, "allow")) {
            std::string error;
            if (auto allow = parse_allow(*text, line_number, error)) {
                allow->whole_file = in_header;
                d.allows.push_back(*allow);
            } else {
                problem(error);
            }
            continue;
        }
        if (!in_header) {
            problem("directive '" + *text + "' must be in the header, before the first statement");
            continue;
        }
        auto eq = text->find('=');
        std::string name = util::to_lower(util::trim(text->substr(0, eq)));
        std::string value =
            eq == std::string::npos ? "" : std::string(util::trim(text->substr(eq + 1)));
        if (name == "no-transaction" && eq == std::string::npos) {
            d.no_transaction = true;
        } else if (name == "unproven" && eq == std::string::npos) {
            d.unproven = true;
        } else if (name == "lock-timeout" || name == "statement-timeout") {
            auto duration = parse_duration(value);
            if (!duration) {
                problem("directive " + name + ": " + duration_problem(value));
            } else if (name == "lock-timeout") {
                d.lock_timeout = duration;
            } else {
                d.statement_timeout = duration;
            }
        } else if (name == "phase") {
            if (auto phase = parse_phase(value)) {
                d.phase = *phase;
            } else {
                problem("directive phase: unknown phase '" + value +
                        "' (known: expand, backfill, contract)");
            }
        } else if (name == "change") {
            static const std::regex k_change(R"([A-Za-z0-9_.-]+)");
            if (std::regex_match(value, k_change)) {
                d.change = value;
            } else {
                problem("directive change: '" + value +
                        "' is not a change name (letters, digits, '_', '-' and '.')");
            }
        } else if (name == "requires") {
            d.required = parse_required(value, problem);
            d.required_line = line_number;
        } else {
            problem("unknown directive '" + *text +
                    "' (known: no-transaction, lock-timeout=, statement-timeout=, phase=, "
                    "change=, requires=, unproven, allow)");
        }
    }
    return d;
}

MigrationFile read_migration_file(const std::filesystem::path& path,
                                  std::vector<SourceProblem>& problems) {
    return migration_file(path, util::read_file(path), problems);
}

MigrationFile migration_file(const std::filesystem::path& path, std::string content,
                             std::vector<SourceProblem>& problems) {
    MigrationFile file;
    file.path = path;
    file.content = std::move(content);
    file.checksum = migration_checksum(file.content);
    if (size_t bad = util::first_invalid_utf8(file.content); bad != std::string::npos) {
        problems.push_back({path, util::line_of_offset(file.content, bad),
                            "invalid UTF-8 at byte " + std::to_string(bad)});
        return file;
    }
    std::string normalized = normalize_for_checksum(file.content);
    if (util::trim(normalized).empty()) {
        problems.push_back({path, 0, "file is empty"});
        return file;
    }
    file.directives = parse_directives(path, normalized, problems);
    return file;
}

void throw_if_problems(const std::vector<SourceProblem>& problems, const std::string& what) {
    if (problems.empty()) {
        return;
    }
    std::vector<SourceProblem> sorted = problems;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.file < b.file || (a.file == b.file && a.line < b.line);
    });
    std::string message = std::to_string(sorted.size()) + " problem" +
                          (sorted.size() == 1 ? "" : "s") + " in " + what + ":";
    for (const auto& p : sorted) {
        message += "\n  " + p.describe();
    }
    throw Error(ExitCode::invalid_input, message,
                "Nothing was applied. Fix the files and run again.");
}

MigrationSet load_migrations(const std::filesystem::path& dir) {
    std::vector<SourceProblem> problems;
    MigrationSet set = load_migrations(dir, problems);
    throw_if_problems(problems, dir.string());
    return set;
}

MigrationSet load_migrations(const std::filesystem::path& dir,
                             std::vector<SourceProblem>& problems) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error(ExitCode::invalid_input,
                    "migrations directory " + dir.string() + " does not exist",
                    "Set migrations_dir in safe-migrate.toml or pass --migrations-dir.");
    }
    static const std::regex k_name(R"(([0-9]+)_([A-Za-z0-9_-]+)\.(up|down)\.sql)");
    struct Found {
        std::string name;
        std::optional<std::filesystem::path> up;
        std::optional<std::filesystem::path> down;
    };
    std::map<core::Version, Found> found;

    std::vector<std::filesystem::path> entries;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".sql") {
            entries.push_back(entry.path());
        }
    }
    std::sort(entries.begin(), entries.end());

    bool unparsed = false;
    for (const auto& path : entries) {
        std::string filename = path.filename().string();
        std::smatch m;
        if (!std::regex_match(filename, m, k_name)) {
            problems.push_back({path, 0,
                                "cannot parse the file name (expected <version>_<name>.up.sql or "
                                "<version>_<name>.down.sql)"});
            unparsed = true;
            continue;
        }
        Version version = *Version::parse(m[1].str());  // digits always parse
        Found& slot = found[version];
        bool is_up = m[3].str() == "up";
        std::optional<std::filesystem::path>& target = is_up ? slot.up : slot.down;
        if (target || (!slot.name.empty() && slot.name != m[2].str())) {
            std::filesystem::path other = target ? *target : (slot.up ? *slot.up : *slot.down);
            problems.push_back({path, 0,
                                "duplicate version " + version.text() + " (also used by " +
                                    other.filename().string() + ")"});
            continue;
        }
        slot.name = m[2].str();
        target = path;
    }

    std::optional<LayoutGuess> guess =
        unparsed && found.empty() ? detect_layout(dir) : std::nullopt;
    if (guess) {
        std::string name = layout_name(guess->layout);
        problems.push_back({dir, 0,
                            "this looks like a " + name + " project (" + guess->evidence +
                                "), not safe-migrate's native layout: read it with --layout " +
                                name});
    }
    MigrationSet set;
    set.dir = dir;
    for (const auto& [version, slot] : found) {
        if (!slot.up) {
            if (slot.down) {
                problems.push_back({*slot.down, 0, "down migration has no matching up migration"});
            }
            continue;
        }
        Migration migration;
        migration.version = version;
        migration.name = slot.name;
        migration.up = read_migration_file(*slot.up, problems);
        if (slot.down) {
            migration.down = read_migration_file(*slot.down, problems);
        }
        set.migrations.push_back(std::move(migration));
    }
    return set;
}

}  // namespace sm::core
