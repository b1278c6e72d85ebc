#include "core/layout_readers.hpp"

#include <regex>

#include "core/layout.hpp"
#include "core/toml_tree.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::core::layouts {
namespace {

namespace fs = std::filesystem;

// True when text holds a line that is neither blank nor a comment.
bool has_sql(const std::string& text) {
    for (const auto& raw : util::split(text, '\n')) {
        std::string_view line = util::trim(raw);
        if (!line.empty() && !util::starts_with(line, "--")) {
            return true;
        }
    }
    return false;
}

// The file built from one part of a file's text, with the tool's marker.
MigrationFile part(const fs::path& path, const std::string& text, int first, int end,
                   bool no_transaction, std::vector<SourceProblem>& problems) {
    MigrationFile f = migration_file(path, section_of(text, first, end), problems);
    f.directives.no_transaction = f.directives.no_transaction || no_transaction;
    return f;
}

// A whole file, with the tool's no-transaction marker (diesel's metadata, flyway's .conf).
MigrationFile whole(const fs::path& path, bool no_transaction,
                    std::vector<SourceProblem>& problems) {
    MigrationFile f = read_migration_file(path, problems);
    f.directives.no_transaction = f.directives.no_transaction || no_transaction;
    return f;
}

// A migration that is a directory (diesel, prisma): the file holding its up
// script, and the version digits and name its directory's name gives.
struct NamedDir {
    fs::path file;
    std::string digits;
    std::string name;
};

// Each subdirectory of dir that holds file, its name read by pattern (digits,
// name); a name that does not match is a problem on its file, expected saying
// what it should be.
std::vector<NamedDir> migration_dirs(const fs::path& dir, const char* file,
                                     const std::regex& pattern, const char* expected,
                                     std::vector<SourceProblem>& problems) {
    std::vector<NamedDir> out;
    for (const auto& sub : dirs_in(dir)) {
        if (!fs::exists(sub / file)) {
            continue;
        }
        std::string dirname = sub.filename().string();
        std::smatch m;
        if (!std::regex_match(dirname, m, pattern)) {
            problems.push_back(
                {sub / file, 0,
                 std::string("cannot parse the directory name (expected ") + expected + ")"});
            continue;
        }
        out.push_back({sub / file, m[1].str(), m[2].str()});
    }
    return out;
}

// One annotated line of a sectioned file (dbmate, goose).
struct Marker {
    int line = 0;
    std::string keyword;  // lower-case: "up", "down", "no transaction", ...
    std::string rest;     // what follows the keyword on its line
};

// Every line that matches pattern: group 1 is the keyword, group 2 the rest.
std::vector<Marker> markers(const std::string& text, const std::regex& pattern) {
    std::vector<Marker> out;
    int line = 0;
    for (const auto& raw : util::split(text, '\n')) {
        ++line;
        std::string trimmed(util::trim(raw));
        std::smatch m;
        if (std::regex_match(trimmed, m, pattern)) {
            out.push_back({line, util::to_lower(util::trim(m[1].str())), m[2].str()});
        }
    }
    return out;
}

const Marker* first_of(const std::vector<Marker>& ms, const std::string& keyword) {
    for (const auto& m : ms) {
        if (m.keyword == keyword) {
            return &m;
        }
    }
    return nullptr;
}

// SQL before the up marker (dbmate and goose run nothing outside their sections).
bool sql_before(const std::string& text, int line) {
    return has_sql(section_of(text, 1, line));
}

}  // namespace

MigrationSet load_dbmate(const fs::path& dir, std::vector<SourceProblem>& problems) {
    // dbmate: pkg/dbmate/migration.go (upRegExp, downRegExp, parseMigrationOptions).
    static const std::regex k_name(R"(([0-9]+)_?(.*)\.sql)");
    static const std::regex k_marker(R"(--\s*migrate:(up|down)(\s.*)?)");
    Collector found(problems);
    for (const auto& path : files_in(dir)) {
        std::string filename = path.filename().string();
        std::smatch m;
        if (path.extension() != ".sql") {
            continue;
        }
        if (!std::regex_match(filename, m, k_name)) {
            problems.push_back(
                {path, 0, "cannot parse the file name (expected <version>_<name>.sql)"});
            continue;
        }
        auto version = found.version(m[1].str(), path);
        if (!version) {
            continue;
        }
        std::string text = util::read_file(path);
        auto ms = markers(text, k_marker);
        const Marker* up = first_of(ms, "up");
        const Marker* down = first_of(ms, "down");
        if (up == nullptr || down == nullptr || down->line < up->line) {
            problems.push_back({path, 0,
                                "dbmate needs a '-- migrate:up' section followed by a "
                                "'-- migrate:down' section"});
            continue;
        }
        if (sql_before(text, up->line)) {
            problems.push_back({path, up->line, "statements before '-- migrate:up' never run"});
            continue;
        }
        static const std::regex k_no_tx(R"((^|\s)transaction:false(\s|$))");
        Migration migration;
        migration.version = *version;
        migration.name = m[2].str();
        migration.up =
            part(path, text, up->line, down->line, std::regex_search(up->rest, k_no_tx), problems);
        if (has_sql(section_of(text, down->line, 0))) {
            migration.down =
                part(path, text, down->line, 0, std::regex_search(down->rest, k_no_tx), problems);
        }
        found.add(std::move(migration), path);
    }
    return found.finish(dir);
}

MigrationSet load_goose(const fs::path& dir, std::vector<SourceProblem>& problems) {
    // goose: internal/sqlparser/parser.go (the +goose annotations).
    static const std::regex k_name(R"(([0-9]+)_(.*)\.(sql|go))");
    static const std::regex k_marker(R"(--\s*\+goose\s+(.*?)()\s*)");
    Collector found(problems);
    for (const auto& path : files_in(dir)) {
        std::string filename = path.filename().string();
        std::smatch m;
        if (path.extension() != ".sql" && path.extension() != ".go") {
            continue;
        }
        if (!std::regex_match(filename, m, k_name)) {
            if (path.extension() == ".sql") {
                problems.push_back(
                    {path, 0, "cannot parse the file name (expected <version>_<name>.sql)"});
            }
            continue;
        }
        if (path.extension() == ".go") {
            problems.push_back({path, 0,
                                "goose Go migrations are not supported (only SQL migrations "
                                "are read)"});
            continue;
        }
        auto version = found.version(m[1].str(), path);
        if (!version) {
            continue;
        }
        std::string text = util::read_file(path);
        auto ms = markers(text, k_marker);
        const Marker* up = first_of(ms, "up");
        const Marker* down = first_of(ms, "down");
        if (const Marker* envsub = first_of(ms, "envsub on")) {
            problems.push_back({path, envsub->line, "-- +goose ENVSUB is not supported"});
            continue;
        }
        if (up == nullptr || (down != nullptr && down->line < up->line)) {
            problems.push_back({path, 0,
                                "goose needs a '-- +goose Up' annotation (before any "
                                "'-- +goose Down')"});
            continue;
        }
        bool no_tx = first_of(ms, "no transaction") != nullptr;
        Migration migration;
        migration.version = *version;
        migration.name = m[2].str();
        migration.up =
            part(path, text, up->line, down != nullptr ? down->line : 0, no_tx, problems);
        if (down != nullptr && has_sql(section_of(text, down->line, 0))) {
            migration.down = part(path, text, down->line, 0, no_tx, problems);
        }
        found.add(std::move(migration), path);
    }
    return found.finish(dir);
}

MigrationSet load_flyway(const fs::path& dir, std::vector<SourceProblem>& problems) {
    // Flyway: https://documentation.red-gate.com/fd/migrations-184127470.html (naming).
    // Flyway scans subfolders too, and splits the name at the first "__".
    static const std::regex k_name(R"(([VU])([0-9][0-9._]*?)__(.+)\.sql)");
    Collector found(problems);
    std::map<core::Version, fs::path> undo;
    for (const auto& path : files_under(dir)) {
        std::string filename = path.filename().string();
        if (path.extension() != ".sql") {
            continue;
        }
        std::smatch m;
        if (util::starts_with(filename, "R__")) {
            problems.push_back({path, 0, "flyway repeatable migrations (R__) are not supported"});
            continue;
        }
        if (!std::regex_match(filename, m, k_name)) {
            problems.push_back(
                {path, 0,
                 "cannot parse the file name (expected V<version>__<description>.sql "
                 "or U<version>__<description>.sql)"});
            continue;
        }
        auto version = found.version(m[2].str(), path);
        if (!version) {
            continue;
        }
        if (m[1].str() == "U") {
            undo[*version] = path;
            continue;
        }
        // A script config file beside the script: executeInTransaction=false.
        static const std::regex k_no_tx(R"((^|\n)\s*executeInTransaction\s*=\s*false\s*(\n|$))");
        fs::path conf = path.string() + ".conf";
        bool no_tx = fs::exists(conf) && std::regex_search(util::read_file(conf), k_no_tx);
        Migration migration;
        migration.version = *version;
        migration.name = m[3].str();
        migration.up = whole(path, no_tx, problems);
        if (auto u = undo.find(*version); u != undo.end()) {
            migration.down = whole(u->second, no_tx, problems);
            undo.erase(u);
        }
        found.add(std::move(migration), path);
    }
    MigrationSet set = found.finish(dir);
    for (auto& m : set.migrations) {  // undo files sorted after their versioned file
        if (auto u = undo.find(m.version); u != undo.end()) {
            m.down = whole(u->second, m.up.directives.no_transaction, problems);
            undo.erase(u);
        }
    }
    for (const auto& [version, path] : undo) {
        problems.push_back({path, 0, "undo migration has no matching versioned migration"});
    }
    return set;
}

MigrationSet load_diesel(const fs::path& dir, std::vector<SourceProblem>& problems) {
    // diesel_migrations: version_from_string takes the name before the first '_'
    // and drops its '-' (2024-01-31-120000 -> 20240131120000).
    Collector found(problems);
    for (auto& named : migration_dirs(dir, "up.sql", std::regex(R"(([0-9][0-9-]*)_(.+))"),
                                      "<version>_<name>", problems)) {
        std::string& digits = named.digits;
        digits.erase(std::remove(digits.begin(), digits.end(), '-'), digits.end());
        auto version = found.version(digits, named.file);
        if (!version) {
            continue;
        }
        const fs::path sub = named.file.parent_path();
        bool no_tx = false;
        if (fs::path meta = sub / "metadata.toml"; fs::exists(meta)) {
            TomlNode root = parse_toml(util::read_file(meta), meta.string());
            for (const auto& entry : root.table) {
                if (entry.first == "run_in_transaction" &&
                    entry.second.kind == TomlNode::Kind::boolean) {
                    no_tx = !entry.second.boolean;
                }
            }
        }
        Migration migration;
        migration.version = *version;
        migration.name = named.name;
        migration.up = whole(named.file, no_tx, problems);
        if (fs::path down = sub / "down.sql"; fs::exists(down) && has_sql(util::read_file(down))) {
            migration.down = whole(down, no_tx, problems);
        }
        found.add(std::move(migration), named.file);
    }
    return found.finish(dir);
}

MigrationSet load_prisma(const fs::path& dir, std::vector<SourceProblem>& problems) {
    // Prisma Migrate: prisma/migrations/<timestamp>_<name>/migration.sql.
    Collector found(problems);
    for (const auto& named : migration_dirs(dir, "migration.sql", std::regex(R"(([0-9]+)_(.+))"),
                                            "<timestamp>_<name>", problems)) {
        auto version = found.version(named.digits, named.file);
        if (!version) {
            continue;
        }
        Migration migration;
        migration.version = *version;
        migration.name = named.name;
        migration.up = whole(named.file, false, problems);
        found.add(std::move(migration), named.file);
    }
    return found.finish(dir);
}

}  // namespace sm::core::layouts
