#include "core/scaffold.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/scaffold_layouts.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace fs = std::filesystem;
namespace {

// The defaults are config.cpp's; every key is optional.
constexpr const char* k_config =
    R"(# safe-migrate.toml: this project's settings. Every key is optional; the
# values commented out are the defaults. `safe-migrate --help` lists the commands.

migrations_dir = "{}"

[database]
# url = "postgresql://app@localhost/app"   # else --database-url, DATABASE_URL or PG* variables
# application_name = "safe-migrate"

[execute]
# lock_timeout = "3s"        # per statement; a migration may lower it (lock-timeout=)
# statement_timeout = "30min"
# lock_retries = 5           # a lock timeout rolls back and retries with a backoff
# lock_wait = "1min"         # waiting for another runner's migration lock
# on_failure = "rollback"    # or "restore", "stop"

# Post-deploy checks, after the last migration and by `safe-migrate check`: sql must
# return true (or command, an argv array, must exit 0); a failing one undoes the run.
# [[execute.checks]]
# name = "users readable"
# sql = "SELECT count(*) >= 0 FROM public.users"

[backup]
# dir = "backups"            # the catalog
# keep_last = 7
# keep_days = 14

# One table per target: --env NAME. A protected one takes a verified backup before
# execute and needs --confirm DB for rollback and restore.
[environments.development]

# [environments.production]
# protected = true
# database_url = "${{PROD_DATABASE_URL}}"
)";

constexpr const char* k_policy =
    R"(# safe-migrate-policy.toml: this project's lint policy, read by lint, plan and
# execute. `safe-migrate lint --list-rules` lists every rule and its default.
extends = "default"

# pg_version = 15              # the target's major version (plan and execute read the server's)

# [thresholds]
# max_lock_timeout = "10s"
# small_table_bytes = 10485760 # smaller existing tables: lock findings are warnings

# [rules]
# ban-drop-column = "warning"  # error | warning | off
)";

bool valid_name(const std::string& name) {
    return !name.empty() && name.find_first_not_of(
                                "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
}

void refuse_existing(const fs::path& file) {
    if (fs::exists(file)) {
        throw Error(ExitCode::invalid_input, file.string() + " already exists; init writes nothing",
                    "Edit the existing file, or run safe-migrate init in an empty directory.");
    }
}

}  // namespace

std::string starter_config(const std::string& migrations_dir) {
    return fmt::format(k_config, migrations_dir);
}

std::string starter_policy() {
    return k_policy;
}

std::vector<fs::path> init_project(const fs::path& dir, const std::string& migrations_dir) {
    fs::path config = dir / "safe-migrate.toml";
    fs::path policy = dir / "safe-migrate-policy.toml";
    fs::path migrations = dir / migrations_dir;
    refuse_existing(config);
    refuse_existing(policy);
    if (fs::exists(migrations) && !fs::is_directory(migrations)) {
        throw Error(ExitCode::invalid_input,
                    migrations.string() + " exists and is not a directory; init writes nothing");
    }
    fs::create_directories(migrations);
    util::write_file_atomic(config, starter_config(migrations_dir));
    util::write_file_atomic(policy, starter_policy());
    return {config, policy, migrations};
}

std::vector<fs::path> new_migration(const fs::path& dir, Layout layout, const std::string& name,
                                    bool no_transaction,
                                    std::chrono::system_clock::time_point now) {
    if (!valid_name(name)) {
        throw Error(ExitCode::invalid_input,
                    "migration name '" + name + "' must be letters, digits, '_' and '-'",
                    "For example: safe-migrate new add_orders_status");
    }
    // What the directory holds now, read as the layout reads it: the new
    // version follows the newest (problems in other files are lint's to report).
    MigrationSet existing;
    existing.dir = dir;
    if (fs::is_directory(dir)) {
        std::vector<SourceProblem> ignored;
        existing = load_layout(dir, layout, ignored);
    }
    auto files = scaffold::layout_files(layout, existing, name, no_transaction, now);
    std::vector<fs::path> written;
    for (const auto& file : files) {
        fs::path path = dir / file.path;
        if (fs::exists(path)) {  // a clash the version choice rules out; never overwrite
            throw Error(ExitCode::invalid_input,
                        path.string() + " already exists; new writes nothing");
        }
        written.push_back(path);
    }
    for (size_t i = 0; i < files.size(); ++i) {
        fs::create_directories(written[i].parent_path());
        util::write_file_atomic(written[i], files[i].content);
    }
    if (layout == Layout::prisma) {
        log_info("prisma migrations have no down: rollback cannot revert " +
                 written[0].parent_path().filename().string() + " (undo it with a new migration)");
    }
    return written;
}

}  // namespace sm::core
