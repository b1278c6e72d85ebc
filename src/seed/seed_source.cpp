#include "seed/seed_source.hpp"

#include <algorithm>
#include <regex>

#include "core/checksum.hpp"
#include "planner/script_builder.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::seed {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view k_directive_prefix = "safe-migrate:";
const std::regex& seed_name_pattern() {
    static const std::regex pattern(R"(([0-9]+)_([A-Za-z0-9_-]+)(\.rollback)?\.sql)");
    return pattern;
}

const std::regex& word_pattern() {
    static const std::regex pattern(R"([A-Za-z0-9_-]+)");
    return pattern;
}

struct Found {
    std::optional<fs::path> seed;
    std::optional<fs::path> rollback;
    std::optional<std::string> directory_environment;  // the subdirectory's name
};

struct Directive {
    int line = 0;
    std::string name;
    std::optional<std::string> value;
};

// The header directives of a file; directives after the first statement are
// problems (a seed's header is read before its SQL, as a migration's is).
std::vector<Directive> read_directives(const fs::path& file, const std::string& text,
                                       std::vector<core::SourceProblem>& problems) {
    std::vector<Directive> out;
    bool in_header = true;
    int line_number = 0;
    for (const auto& raw : util::split(text, '\n')) {
        ++line_number;
        std::string_view line = util::trim(raw);
        bool comment = util::starts_with(line, "--");
        std::string_view rest = comment ? util::trim(line.substr(2)) : std::string_view{};
        if (!comment || !util::starts_with(rest, k_directive_prefix)) {
            if (!line.empty() && !comment) {
                in_header = false;
            }
            continue;
        }
        std::string body(util::trim(rest.substr(k_directive_prefix.size())));
        if (!in_header) {
            problems.push_back(
                {file, line_number,
                 "directive '" + body + "' must be in the header, before the first statement"});
            continue;
        }
        Directive d;
        d.line = line_number;
        auto eq = body.find('=');
        d.name = util::to_lower(util::trim(body.substr(0, eq)));
        if (eq != std::string::npos) {
            d.value = std::string(util::trim(body.substr(eq + 1)));
        }
        out.push_back(std::move(d));
    }
    return out;
}

// "a, b" -> {"a", "b"}; a problem for an empty list or a malformed name.
std::vector<std::string> read_list(const fs::path& file, const Directive& d,
                                   std::vector<core::SourceProblem>& problems) {
    std::vector<std::string> names;
    for (const auto& part : util::split(d.value.value_or(""), ',')) {
        std::string name(util::trim(part));
        if (!std::regex_match(name, word_pattern())) {
            problems.push_back({file, d.line,
                                "directive " + d.name +
                                    " needs a comma-separated list of names, "
                                    "not '" +
                                    d.value.value_or("") + "'"});
            return {};
        }
        names.push_back(name);
    }
    return names;
}

void apply_directives(Seed& seed, const std::vector<Directive>& directives,
                      std::vector<core::SourceProblem>& problems) {
    std::vector<std::string> environments;
    bool named_environments = false;
    for (const auto& d : directives) {
        bool flag = !d.value.has_value();
        if (d.name == "environments" && !flag) {
            named_environments = true;
            for (auto& e : read_list(seed.path, d, problems)) {
                environments.push_back(std::move(e));
            }
        } else if (d.name == "requires" && !flag) {
            for (auto& id : read_list(seed.path, d, problems)) {
                if (id == seed.id) {
                    problems.push_back({seed.path, d.line, "seed " + id + " requires itself"});
                } else {
                    seed.requires_.push_back({std::move(id), d.line});
                }
            }
        } else if (d.name == "rerunnable" && flag) {
            seed.rerunnable = true;
        } else if (d.name == "protected-ok" && flag) {
            seed.protected_ok = true;
        } else {
            problems.push_back(
                {seed.path, d.line,
                 "unknown directive '" + d.name + (flag ? "" : "=" + *d.value) +
                     "' (known in seeds: environments=, requires=, rerunnable, protected-ok)"});
        }
    }
    if (named_environments) {
        seed.environments = environments;
    }
}

// Parses a seed or rollback file with PostgreSQL's parser and checks that it
// can run in one transaction.
core::Script parse_script(const fs::path& path, const std::string& content,
                          const std::string& checksum, std::vector<core::SourceProblem>& problems) {
    core::MigrationFile file;
    file.path = path;
    file.content = content;
    file.checksum = checksum;
    // Transaction control is reported below, in the seed's own words.
    file.directives.no_transaction = true;
    core::Script script = planner::build_script(file, problems);
    script.transactional = true;
    for (const auto& s : script.statements) {
        if (s.transaction_control) {
            problems.push_back({path, s.line,
                                "transaction control statement in a seed (each seed runs in one "
                                "transaction the runner owns; remove it)"});
        } else if (!s.needs_no_transaction.empty()) {
            problems.push_back(
                {path, s.line,
                 s.needs_no_transaction + " cannot run in a transaction, and a seed runs in one"});
        }
    }
    return script;
}

// Reads a file and checks its bytes; false when it cannot be parsed further.
bool read_checked(const fs::path& path, std::string& content, std::string& checksum,
                  std::vector<core::SourceProblem>& problems) {
    content = util::read_file(path);
    checksum = core::migration_checksum(content);
    if (size_t bad = util::first_invalid_utf8(content); bad != std::string::npos) {
        problems.push_back({path, util::line_of_offset(content, bad),
                            "invalid UTF-8 at byte " + std::to_string(bad)});
        return false;
    }
    if (util::trim(core::normalize_for_checksum(content)).empty()) {
        problems.push_back({path, 0, "file is empty"});
        return false;
    }
    return true;
}

Seed read_seed(const std::string& id, long long order, const Found& found,
               std::vector<core::SourceProblem>& problems) {
    Seed seed;
    seed.id = id;
    seed.order = order;
    seed.path = *found.seed;
    if (found.directory_environment) {
        seed.environments = {*found.directory_environment};
    }
    std::string content;
    if (read_checked(seed.path, content, seed.checksum, problems)) {
        std::string text = core::normalize_for_checksum(content);
        apply_directives(seed, read_directives(seed.path, text, problems), problems);
        seed.script = parse_script(seed.path, content, seed.checksum, problems);
    }
    if (seed.environments.empty()) {
        problems.push_back({seed.path, 0,
                            "seed belongs to no environment (add '-- safe-migrate: "
                            "environments=NAME,...' or move it into a directory named for its "
                            "environment)"});
    }
    if (found.rollback) {
        seed.rollback_path = found.rollback;
        std::string rollback_content;
        std::string rollback_checksum;
        if (read_checked(*found.rollback, rollback_content, rollback_checksum, problems)) {
            std::string text = core::normalize_for_checksum(rollback_content);
            for (const auto& d : read_directives(*found.rollback, text, problems)) {
                problems.push_back({*found.rollback, d.line,
                                    "directives belong in the seed file " +
                                        seed.path.filename().string() + ", not its rollback file"});
            }
            seed.rollback =
                parse_script(*found.rollback, rollback_content, rollback_checksum, problems);
        }
    }
    return seed;
}

// The *.sql files of dir, sorted by name.
std::vector<fs::path> sql_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".sql") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

bool Seed::belongs_to(const std::string& environment) const {
    return std::find(environments.begin(), environments.end(), environment) != environments.end();
}

const Seed* SeedSet::find(const std::string& id) const {
    for (const auto& s : seeds) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

fs::path seeds_dir(const core::Config& config) {
    return config.seed.dir.value_or(config.migrations_dir / "seeds");
}

SeedSet load_seeds(const fs::path& dir, std::vector<core::SourceProblem>& problems) {
    SeedSet set;
    set.dir = dir;
    if (!fs::is_directory(dir)) {
        return set;
    }
    // Top-level files, then one level of environment directories.
    std::vector<std::pair<fs::path, std::optional<std::string>>> files;
    for (const auto& f : sql_files(dir)) {
        files.emplace_back(f, std::nullopt);
    }
    std::vector<fs::path> subdirs;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory()) {
            subdirs.push_back(entry.path());
        }
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& sub : subdirs) {
        for (const auto& f : sql_files(sub)) {
            files.emplace_back(f, sub.filename().string());
        }
    }

    std::map<std::string, Found> found;
    std::map<std::string, long long> orders;
    for (const auto& [path, environment] : files) {
        std::string filename = path.filename().string();
        std::smatch m;
        if (!std::regex_match(filename, m, seed_name_pattern())) {
            problems.push_back({path, 0,
                                "cannot parse the seed file name (expected <order>_<name>.sql or "
                                "<order>_<name>.rollback.sql)"});
            continue;
        }
        std::string id = m[1].str() + "_" + m[2].str();
        bool rollback = m[3].matched;
        Found& slot = found[id];
        std::optional<fs::path>& target = rollback ? slot.rollback : slot.seed;
        const std::optional<fs::path>& other = rollback ? slot.seed : slot.rollback;
        if (target) {
            problems.push_back(
                {path, 0, "duplicate seed id " + id + " (also " + target->string() + ")"});
            continue;
        }
        if (other && other->parent_path() != path.parent_path()) {
            problems.push_back({path, 0,
                                "seed " + id +
                                    " and its rollback file are in different "
                                    "directories (the other is " +
                                    other->string() + ")"});
            continue;
        }
        target = path;
        slot.directory_environment = environment;
        try {
            orders[id] = std::stoll(m[1].str());
        } catch (const std::out_of_range&) {
            problems.push_back({path, 0, "order " + m[1].str() + " is too large"});
        }
    }
    for (const auto& [id, slot] : found) {
        if (!slot.seed) {
            problems.push_back({*slot.rollback, 0, "rollback file has no matching seed"});
            continue;
        }
        set.seeds.push_back(read_seed(id, orders[id], slot, problems));
    }
    std::sort(set.seeds.begin(), set.seeds.end(), [](const Seed& a, const Seed& b) {
        return a.order != b.order ? a.order < b.order : a.id < b.id;
    });
    return set;
}

SeedSet load_seeds(const fs::path& dir) {
    std::vector<core::SourceProblem> problems;
    SeedSet set = load_seeds(dir, problems);
    core::throw_if_problems(problems, dir.string());
    return set;
}

}  // namespace sm::seed
