#include "core/layout.hpp"

#include <algorithm>
#include <regex>

#include "core/layout_readers.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

constexpr Layout k_layouts[] = {Layout::native,         Layout::flyway, Layout::dbmate,
                                Layout::golang_migrate, Layout::goose,  Layout::diesel,
                                Layout::prisma};

bool is_native_name(const std::string& name) {
    static const std::regex k_native(R"([0-9]+_[A-Za-z0-9_-]+\.(up|down)\.sql)");
    return std::regex_match(name, k_native);
}

// A numbered .sql file's annotations: goose's or dbmate's, when it has them.
std::optional<LayoutGuess> guess_from_sql(const std::filesystem::path& file) {
    std::string text = util::read_file(file);
    std::string name = file.filename().string();
    static const std::regex k_goose(R"((^|\n)\s*--\s*\+goose\s+(Up|up|UP)\b)");
    static const std::regex k_dbmate(R"((^|\n)--\s*migrate:up)");
    if (std::regex_search(text, k_goose)) {
        return LayoutGuess{Layout::goose, name + " has a '-- +goose Up' annotation"};
    }
    if (std::regex_search(text, k_dbmate)) {
        return LayoutGuess{Layout::dbmate, name + " has a '-- migrate:up' section"};
    }
    return std::nullopt;
}

std::optional<LayoutGuess> guess_from_dirs(const std::filesystem::path& dir) {
    for (const auto& sub : layouts::dirs_in(dir)) {
        std::string name = sub.filename().string();
        if (std::filesystem::exists(sub / "up.sql")) {
            return LayoutGuess{Layout::diesel, name + "/up.sql is a diesel migration"};
        }
        if (std::filesystem::exists(sub / "migration.sql")) {
            return LayoutGuess{Layout::prisma, name + "/migration.sql is a prisma migration"};
        }
    }
    return std::nullopt;
}

}  // namespace

const char* layout_name(Layout layout) {
    switch (layout) {
        case Layout::native:
            return "native";
        case Layout::flyway:
            return "flyway";
        case Layout::dbmate:
            return "dbmate";
        case Layout::golang_migrate:
            return "golang-migrate";
        case Layout::goose:
            return "goose";
        case Layout::diesel:
            return "diesel";
        case Layout::prisma:
            return "prisma";
    }
    return "native";
}

std::optional<Layout> parse_layout(std::string_view name) {
    for (Layout l : k_layouts) {
        if (name == layout_name(l)) {
            return l;
        }
    }
    return std::nullopt;
}

std::string layout_names() {
    std::vector<std::string> names;
    for (Layout l : k_layouts) {
        names.emplace_back(layout_name(l));
    }
    return util::join(names, ", ");
}

std::optional<LayoutGuess> detect_layout(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        return std::nullopt;
    }
    std::vector<std::filesystem::path> files = layouts::files_in(dir);
    for (const auto& f : files) {
        if (is_native_name(f.filename().string())) {
            return std::nullopt;
        }
    }
    if (auto guess = guess_from_dirs(dir)) {
        return guess;
    }
    static const std::regex k_flyway(R"([VU][0-9][0-9._]*__.+\.sql|R__.+\.sql)");
    static const std::regex k_numbered(R"([0-9]+_.*\.(sql|go))");
    for (const auto& f : files) {
        std::string name = f.filename().string();
        if (std::regex_match(name, k_flyway)) {
            return LayoutGuess{Layout::flyway, name + " is a flyway migration"};
        }
        if (name == "migration_lock.toml") {
            return LayoutGuess{Layout::prisma, "migration_lock.toml is prisma's"};
        }
        if (!std::regex_match(name, k_numbered)) {
            continue;
        }
        if (f.extension() == ".go") {
            return LayoutGuess{Layout::goose, name + " is a goose Go migration"};
        }
        if (auto guess = guess_from_sql(f)) {
            return guess;
        }
    }
    return std::nullopt;
}

Layout resolve_layout(const std::optional<Layout>& layout, const std::filesystem::path& dir) {
    if (layout) {
        return *layout;
    }
    if (auto guess = detect_layout(dir)) {
        std::string name = layout_name(guess->layout);
        throw Error(ExitCode::invalid_input,
                    dir.string() + " looks like a " + name + " project (" + guess->evidence +
                        "), not safe-migrate's native layout",
                    "Set layout = \"" + name +
                        "\" at the top of safe-migrate.toml, or pass --layout " + name +
                        " before the command (safe-migrate --layout " + name + " status).");
    }
    return Layout::native;
}

MigrationSet load_layout(const std::filesystem::path& dir, Layout layout,
                         std::vector<SourceProblem>& problems) {
    if (layout == Layout::native || layout == Layout::golang_migrate) {
        return load_migrations(dir, problems);  // golang-migrate's names are native ones
    }
    if (!std::filesystem::is_directory(dir)) {
        throw Error(ExitCode::invalid_input,
                    "migrations directory " + dir.string() + " does not exist",
                    "Set migrations_dir in safe-migrate.toml or pass --migrations-dir.");
    }
    switch (layout) {
        case Layout::dbmate:
            return layouts::load_dbmate(dir, problems);
        case Layout::goose:
            return layouts::load_goose(dir, problems);
        case Layout::flyway:
            return layouts::load_flyway(dir, problems);
        case Layout::diesel:
            return layouts::load_diesel(dir, problems);
        default:
            return layouts::load_prisma(dir, problems);
    }
}

std::string missing_down(Layout layout, const Migration& m) {
    const std::filesystem::path& up = m.up.path;
    std::string name = up.filename().string();
    switch (layout) {
        case Layout::flyway:
            return "down file missing: " + (up.parent_path() / ("U" + name.substr(1))).string();
        case Layout::dbmate:
            return "no statements in the '-- migrate:down' section of " + up.string();
        case Layout::goose:
            return "no statements in the '-- +goose Down' section of " + up.string();
        case Layout::diesel:
            return "down file missing: " + (up.parent_path() / "down.sql").string();
        case Layout::prisma:
            return "no down: prisma migrations have none (" + up.string() + ")";
        default:
            break;
    }
    std::string down = name.size() > 7 ? name.substr(0, name.size() - 7) + ".down.sql" : name;
    return "down file missing: " + (up.parent_path() / down).string();
}

std::string section_of(const std::string& text, int first, int end) {
    std::string out;
    int line = 1;
    size_t pos = 0;
    while (pos < text.size() && (end == 0 || line < end)) {
        size_t nl = text.find('\n', pos);
        size_t stop = nl == std::string::npos ? text.size() : nl;
        if (line >= first) {
            out.append(text, pos, stop - pos);
        }
        if (nl == std::string::npos) {
            break;
        }
        out += '\n';
        pos = nl + 1;
        ++line;
    }
    return out;
}

namespace layouts {

std::optional<Version> Collector::version(const std::string& text,
                                          const std::filesystem::path& file) {
    auto v = Version::parse(text);
    if (!v) {
        m_problems.push_back(
            {file, 0, "version " + text + " is not digits separated by '.' or '_'"});
    }
    return v;
}

void Collector::add(Migration m, const std::filesystem::path& file) {
    auto it = m_found.find(m.version);
    if (it != m_found.end()) {
        m_problems.push_back({file, 0,
                              "duplicate version " + m.version.text() + " (also used by " +
                                  it->second.second.filename().string() + ")"});
        return;
    }
    Version v = m.version;
    m_found.emplace(v, std::make_pair(std::move(m), file));
}

MigrationSet Collector::finish(const std::filesystem::path& dir) {
    MigrationSet set;
    set.dir = dir;
    for (auto& [version, entry] : m_found) {
        set.migrations.push_back(std::move(entry.first));
    }
    return set;
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::filesystem::path> dirs_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_directory()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace layouts
}  // namespace sm::core
