#include "core/migration_layout.hpp"

#include <algorithm>
#include <regex>

#include "util/error.hpp"

namespace sm::core {
namespace {

namespace fs = std::filesystem;

struct Layout {
    const char* tool;
    std::regex entry;  // what one of its entries looks like
};

// Checked in order; an entry of ours (<version>_<name>.up.sql) matches none.
const std::vector<Layout>& layouts() {
    static const std::vector<Layout> table = {
        {"Flyway's (V<version>__<description>.sql)", std::regex(R"([VUR][0-9._]*__.+\.sql)")},
        {"diesel's (<version>_<name>/up.sql)", std::regex(R"([0-9][0-9-]*_[^/]+/up\.sql)")},
        {"sqitch's (sqitch.plan, deploy/, revert/)", std::regex(R"(sqitch\.plan)")},
        {"dbmate's (<version>_<name>.sql with -- migrate:up)",
         std::regex(R"([0-9]+_[A-Za-z0-9_-]+\.sql)")},
    };
    return table;
}

std::string count(size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string foreign_layout_of(const std::vector<std::string>& entries) {
    for (const auto& layout : layouts()) {
        bool any = std::any_of(entries.begin(), entries.end(), [&](const std::string& e) {
            return std::regex_match(e, layout.entry);
        });
        if (any) {
            return layout.tool;
        }
    }
    return "";
}

std::string foreign_layout(const fs::path& dir) {
    std::vector<std::string> entries;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (!entry.is_directory()) {
            entries.push_back(name);
            continue;
        }
        entries.push_back(name + "/");
        for (const auto& inner : fs::directory_iterator(entry.path(), ec)) {
            entries.push_back(name + "/" + inner.path().filename().string());
        }
    }
    return foreign_layout_of(entries);
}

void require_migrations(const MigrationSet& set) {
    if (!set.migrations.empty()) {
        return;
    }
    std::string layout = foreign_layout(set.dir);
    size_t files = 0;
    size_t dirs = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(set.dir, ec)) {
        (entry.is_directory() ? dirs : files) += 1;
    }
    std::string found = !layout.empty() ? "it looks like " + layout + " layout"
                        : files + dirs == 0
                            ? "it is empty"
                            : "it holds " + count(files, "file", "files") + " and " +
                                  count(dirs, "subdirectory", "subdirectories") +
                                  ", none of them a migration";
    throw Error(ExitCode::invalid_input, "no migrations in " + set.dir.string() + ": " + found,
                "safe-migrate reads <version>_<name>.up.sql files (and optional .down.sql). Point "
                "--migrations-dir, or migrations_dir in safe-migrate.toml, at the directory that "
                "holds them.");
}

}  // namespace sm::core
