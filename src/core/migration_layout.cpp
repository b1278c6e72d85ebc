#include "core/migration_layout.hpp"

#include "core/layout.hpp"
#include "util/error.hpp"

namespace sm::core {
namespace {

std::string count(size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

void require_migrations(const MigrationSet& set) {
    if (!set.migrations.empty()) {
        return;
    }
    if (auto guess = detect_layout(set.dir)) {
        std::string name = layout_name(guess->layout);
        throw Error(ExitCode::invalid_input,
                    "no migrations in " + set.dir.string() + ": it looks like a " + name +
                        " project (" + guess->evidence + ")",
                    "Read it with --layout " + name + " (safe-migrate --layout " + name +
                        " status), or set layout = \"" + name + "\" in safe-migrate.toml.");
    }
    size_t files = 0;
    size_t dirs = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(set.dir, ec)) {
        (entry.is_directory() ? dirs : files) += 1;
    }
    std::string found = files + dirs == 0 ? "it is empty"
                                          : "it holds " + count(files, "file", "files") + " and " +
                                                count(dirs, "subdirectory", "subdirectories") +
                                                ", none of them a migration";
    throw Error(ExitCode::invalid_input, "no migrations in " + set.dir.string() + ": " + found,
                "safe-migrate reads <version>_<name>.up.sql files (and optional .down.sql). Point "
                "--migrations-dir, or migrations_dir in safe-migrate.toml, at the directory that "
                "holds them.");
}

}  // namespace sm::core
