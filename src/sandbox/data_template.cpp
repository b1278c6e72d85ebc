#include "sandbox/data_template.hpp"

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "core/checksum.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "core/sql_quote.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sm::sandbox {
namespace fs = std::filesystem;
namespace {

// Bumped when what the template holds changes (initdb's options, the layout).
constexpr const char* k_template_format = "1";

// $XDG_CACHE_HOME/safe-migrate or ~/.cache/safe-migrate, created private;
// std::nullopt when there is no such place or it is not ours alone.
std::optional<fs::path> private_cache_dir() {
    fs::path base;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
        base = xdg;
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
        base = fs::path(home) / ".cache";
    } else {
        return std::nullopt;
    }
    fs::path dir = base / "safe-migrate";
    std::error_code ec;
    fs::create_directories(dir, ec);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
        return std::nullopt;
    }
    if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
        return std::nullopt;
    }
    return dir;
}

// The template's directory for these server binaries: named after the files
// initdb and postgres resolve to (a directory of symlinks to them shares it),
// their sizes and modification times.
std::optional<fs::path> template_dir_for(const fs::path& bindir) {
    auto cache = private_cache_dir();
    if (!cache) {
        return std::nullopt;
    }
    std::string key = k_template_format;
    for (const char* program : {"initdb", "postgres"}) {
        std::error_code ec;
        fs::path real = fs::canonical(bindir / program, ec);
        struct stat st {};
        if (ec || ::stat(real.c_str(), &st) != 0) {
            return std::nullopt;
        }
        key += "\n" + real.string() + " " + std::to_string(st.st_size) + " " +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    return *cache / ("pg-template-" + core::sha256_hex(key).substr(0, 16));
}

bool template_complete(const fs::path& dir) {
    return fs::exists(dir / "data" / "PG_VERSION") && fs::exists(dir / "password");
}

// Hands every file under dir to the server's account (we run as root).
void chown_tree(const fs::path& dir, const std::string& run_as) {
    if (run_as.empty()) {
        return;
    }
    auto account = util::lookup_user(run_as);
    if (!account) {
        throw Error(ExitCode::failure, "there is no '" + run_as + "' account");
    }
    auto hand_over = [&](const fs::path& p) {
        if (::lchown(p.c_str(), account->uid, account->gid) != 0) {
            throw Error(ExitCode::failure,
                        "cannot hand " + p.string() + " to the " + run_as + " account");
        }
    };
    hand_over(dir);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        hand_over(entry.path());
    }
}

void copy_tree(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
        throw Error(ExitCode::failure,
                    "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
    }
}

// Keeps a copy of a fresh initdb's data as the template; another process that
// got there first wins, and a cache that cannot be written is only logged.
void keep_as_template(const fs::path& built, const std::string& password, const fs::path& dir) {
    std::error_code ignored;
    for (const auto& gone :
         sweep_template_cache(dir.parent_path(), dir, fs::file_time_type::clock::now())) {
        core::log_debug("initdb template cache: removed " + gone.string());
    }
    fs::path staging;
    try {
        staging = util::make_unique_dir(dir.parent_path(), ".staging-" + dir.filename().string());
        copy_tree(built, staging / "data");
        util::write_file_atomic(staging / "password", password + "\n",
                                fs::perms::owner_read | fs::perms::owner_write);
        fs::rename(staging, dir);
    } catch (const std::exception& e) {
        core::log_debug(std::string("initdb template not kept: ") + e.what());
        if (!staging.empty()) {
            fs::remove_all(staging, ignored);
        }
    }
}

}  // namespace

std::vector<fs::path> sweep_template_cache(const fs::path& cache, const fs::path& keep,
                                           fs::file_time_type now) {
    std::vector<fs::path> removed;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache, ec)) {
        const fs::path& path = entry.path();
        std::string name = path.filename().string();
        bool staging = name.starts_with(".staging-pg-template-");
        if (path == keep || (!staging && !name.starts_with("pg-template-"))) {
            continue;
        }
        auto written = fs::last_write_time(path, ec);
        if (ec || now - written < (staging ? std::chrono::hours(1) : std::chrono::hours(24 * 30))) {
            continue;
        }
        if (fs::remove_all(path, ec) > 0 && !ec) {
            removed.push_back(path);
        }
    }
    return removed;
}

std::optional<std::string> data_from_template(const ClusterState& s, const InitdbRunner& initdb) {
    auto dir = template_dir_for(s.bindir);
    if (!dir) {
        return std::nullopt;
    }
    if (!template_complete(*dir)) {
        // The first cluster for these binaries: initdb in our own directory
        // (the server's account can write there), keep a copy, use the original.
        std::error_code ignored;
        fs::remove_all(*dir, ignored);  // an incomplete one (a copy that was cut short)
        std::string password = core::random_hex(24);
        fs::path built = s.root / "initdb";
        initdb(built, password);
        keep_as_template(built, password, *dir);
        fs::rename(built, s.data_dir);
        return password;
    }
    copy_tree(*dir / "data", s.data_dir);
    chown_tree(s.data_dir, s.run_as);
    std::error_code ignored;  // used now: sweep_template_cache keeps it 30 days more
    fs::last_write_time(*dir, fs::file_time_type::clock::now(), ignored);
    return std::string(util::trim(util::read_file(*dir / "password")));
}

void rotate_superuser_password(const ClusterState& s, const std::string& old_password,
                               const std::string& new_password) {
    std::string port = std::to_string(s.port);
    const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", nullptr};
    const char* values[] = {
        "127.0.0.1", port.c_str(), s.superuser.c_str(), old_password.c_str(), "postgres",
        "10",        nullptr};
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys, values, 0),
                                                      &PQfinish);
    auto fail = [&](const std::string& what) {
        return Error(ExitCode::failure,
                     "cannot set the sandbox superuser's password (" + what +
                         "): " + std::string(util::trim(PQerrorMessage(conn.get()))));
    };
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw fail("connect");
    }
    std::unique_ptr<char, decltype(&PQfreemem)> verifier(
        PQencryptPasswordConn(conn.get(), new_password.c_str(), s.superuser.c_str(),
                              "scram-sha-256"),
        &PQfreemem);
    if (!verifier) {
        throw fail("encrypt");
    }
    std::string sql = "ALTER ROLE " + core::quote_ident(s.superuser) + " PASSWORD " +
                      core::quote_literal(verifier.get());
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        throw fail("ALTER ROLE");
    }
}

}  // namespace sm::sandbox
