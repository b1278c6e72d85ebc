#include "core/scaffold_layouts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "util/strings.hpp"

namespace sm::core::scaffold {
namespace fs = std::filesystem;
namespace {

// A timestamp has this many digits; a shorter newest version is a sequence.
constexpr size_t k_stamp_digits = 14;

std::string native_header(const std::string& id, bool up, bool no_transaction) {
    std::string text = fmt::format(
        "-- {}: {}\n"
        "--\n"
        "-- Directives go in this header, one per line, before the first statement:\n"
        "--   no-transaction          run statement by statement (CREATE INDEX CONCURRENTLY)\n"
        "--   lock-timeout=5s         lower this file's lock_timeout\n"
        "--   statement-timeout=1h    this file's statement_timeout\n"
        "-- each written as `-- safe-migrate: <directive>`. Anywhere in the file,\n"
        "-- `-- safe-migrate: allow <rule> reason=\"...\"` accepts a lint finding.\n",
        id, up ? "the change" : "undoes the up file, for rollback");
    if (no_transaction) {
        text += "-- safe-migrate: no-transaction\n";
    }
    return text + "\n";
}

// "20260304050607", or diesel's "2026-03-04-050607" (its TIMESTAMP_FORMAT,
// "%Y-%m-%d-%H%M%S", in UTC).
std::string utc_stamp(std::time_t t, bool dashed) {
    std::tm utc{};
    gmtime_r(&t, &utc);
    const char* sep = dashed ? "-" : "";
    return fmt::format("{:04}{}{:02}{}{:02}{}{:02}{:02}{:02}", utc.tm_year + 1900, sep,
                       utc.tm_mon + 1, sep, utc.tm_mday, sep, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

// True when an entry of dir (a file, or a diesel or prisma directory) starts with prefix.
bool entry_starts_with(const fs::path& dir, const std::string& prefix) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (util::starts_with(entry.path().filename().string(), prefix)) {
            return true;
        }
    }
    return false;
}

bool version_used(const MigrationSet& existing, const std::string& text) {
    std::string digits = text;
    digits.erase(std::remove(digits.begin(), digits.end(), '-'), digits.end());
    auto v = Version::parse(digits);
    return v && existing.find(*v) != nullptr;
}

// One second after the newest version when it is a timestamp (14 digits), else 0.
std::time_t after_newest_stamp(const MigrationSet& existing) {
    if (existing.migrations.empty()) {
        return 0;
    }
    auto n = existing.migrations.back().version.integer();
    std::string d = n ? std::to_string(*n) : "";
    if (d.size() != k_stamp_digits) {
        return 0;
    }
    std::tm tm{};
    tm.tm_year = std::stoi(d.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(d.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(d.substr(6, 2));
    tm.tm_hour = std::stoi(d.substr(8, 2));
    tm.tm_min = std::stoi(d.substr(10, 2));
    tm.tm_sec = std::stoi(d.substr(12, 2));
    return timegm(&tm) + 1;
}

// The first second from t on (and after the newest version, when that is a
// timestamp) whose stamp no migration and no entry uses, so two quick calls
// still make two migrations, in order; t is left at that second.
std::string free_stamp_from(const MigrationSet& existing, std::time_t& t, bool dashed) {
    t = std::max(t, after_newest_stamp(existing));
    for (;; ++t) {
        std::string stamp = utc_stamp(t, dashed);
        if (!version_used(existing, stamp) && !entry_starts_with(existing.dir, stamp + "_")) {
            return stamp;
        }
    }
}

std::string free_stamp(const MigrationSet& existing, std::chrono::system_clock::time_point now,
                       bool dashed) {
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    return free_stamp_from(existing, t, dashed);
}

// The newest migration's version as its file name writes it: "000012",
// flyway's "1_2" (between the V and the "__").
std::string newest_as_written(const MigrationSet& existing, Layout layout) {
    std::string name = existing.migrations.back().up.path.filename().string();
    if (layout == Layout::flyway) {
        return name.substr(1, name.find("__") - 1);
    }
    size_t end = 0;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end])) != 0) {
        ++end;
    }
    return name.substr(0, end);
}

// digits plus one, as digits of at least the same width: "009" -> "010", "99" -> "100".
std::string increment(std::string digits) {
    for (size_t i = digits.size(); i-- > 0;) {
        if (digits[i] != '9') {
            ++digits[i];
            return digits;
        }
        digits[i] = '0';
    }
    return "1" + digits;
}

// The sequence number after the newest (as `migrate create -seq` and `goose -s
// create` count), or "" when the project is empty or uses timestamps.
std::string next_in_sequence(const MigrationSet& existing, Layout layout) {
    if (existing.migrations.empty()) {
        return "";
    }
    std::string newest = newest_as_written(existing, layout);
    if (newest.empty() || newest.size() >= k_stamp_digits) {
        return "";
    }
    return increment(newest);
}

// Flyway has no generator: teams raise the last group of the newest version
// (https://documentation.red-gate.com/fd/migrations-184127470.html, "Versioned
// migrations": 1, 001, 5.2, 1.2.3.4.5.6.7.8.9, 20130115113556 are all versions).
std::string next_flyway(const MigrationSet& existing, std::chrono::system_clock::time_point now) {
    if (existing.migrations.empty()) {
        return "1";
    }
    std::string newest = newest_as_written(existing, Layout::flyway);
    size_t sep = newest.find_last_of("._");
    if (sep == std::string::npos && newest.size() >= k_stamp_digits) {
        return free_stamp(existing, now, false);
    }
    size_t start = sep == std::string::npos ? 0 : sep + 1;
    return newest.substr(0, start) + increment(newest.substr(start));
}

std::vector<NewFile> flyway_files(const std::string& version, const std::string& name,
                                  bool no_transaction) {
    // Flyway: V<version>__<description>.sql, the undo U<version>__ (Flyway
    // Teams), and a script config file beside the script
    // (https://documentation.red-gate.com/fd/script-configuration-184127577.html).
    std::string v = "V" + version + "__" + name + ".sql";
    std::string u = "U" + version + "__" + name + ".sql";
    std::vector<NewFile> files = {
        {v, "-- " + v + ": the change\n\n"},
        {u, "-- " + u + ": undoes " + v + " (the down, for rollback)\n\n"}};
    if (no_transaction) {
        files.push_back({v + ".conf", "executeInTransaction=false\n"});
    }
    return files;
}

std::vector<NewFile> dbmate_files(const std::string& id, bool no_transaction) {
    // dbmate new: pkg/dbmate/db.go (NewMigration) writes this template; options
    // follow the section marker (pkg/dbmate/migration.go, parseMigrationOptions).
    std::string option = no_transaction ? " transaction:false" : "";
    return {{id + ".sql", "-- migrate:up" + option + "\n\n\n-- migrate:down" + option + "\n\n"}};
}

std::vector<NewFile> golang_migrate_files(const std::string& id, bool no_transaction) {
    // migrate create (internal/cli/commands.go, createCmd) writes two empty
    // files; the postgres driver has no no-transaction marker.
    std::string directive = no_transaction ? "-- safe-migrate: no-transaction\n" : "";
    return {{id + ".up.sql", "-- " + id + ": the change\n" + directive + "\n"},
            {id + ".down.sql", "-- " + id + ": undoes the up file\n" + directive + "\n"}};
}

std::vector<NewFile> goose_files(const std::string& id, bool no_transaction) {
    // goose create NAME sql (create.go, sqlMigrationTemplate), without its
    // placeholder SELECTs; annotations per
    // https://pressly.github.io/goose/documentation/annotations/
    std::string text = no_transaction ? "-- +goose NO TRANSACTION\n" : "";
    text +=
        "-- +goose Up\n"
        "-- A statement holding semicolons of its own (a function body, a DO block)\n"
        "-- goes between StatementBegin and StatementEnd annotations.\n"
        "\n"
        "-- +goose Down\n"
        "\n";
    return {{id + ".sql", text}};
}

std::vector<NewFile> diesel_files(const std::string& id, bool no_transaction) {
    // diesel migration generate (diesel_cli/src/migrations/mod.rs): the
    // directory, up.sql and down.sql with these comments; metadata.toml per
    // https://docs.rs/diesel_migrations (run_in_transaction).
    std::vector<NewFile> files = {
        {fs::path(id) / "up.sql", "-- Your SQL goes here\n"},
        {fs::path(id) / "down.sql", "-- This file should undo anything in `up.sql`\n"}};
    if (no_transaction) {
        files.push_back({fs::path(id) / "metadata.toml", "run_in_transaction = false\n"});
    }
    return files;
}

std::vector<NewFile> prisma_files(const std::string& id, bool no_transaction) {
    // prisma migrate dev --create-only: <timestamp>_<name>/migration.sql
    // (https://www.prisma.io/docs/orm/prisma-migrate/workflows/customizing-migrations);
    // Prisma Migrate has no down migrations and no no-transaction marker.
    std::string directive = no_transaction ? "-- safe-migrate: no-transaction\n" : "";
    return {{fs::path(id) / "migration.sql", "-- This is an empty migration.\n" + directive}};
}

}  // namespace

std::vector<std::string> next_versions(Layout layout, const MigrationSet& existing, size_t count,
                                       std::chrono::system_clock::time_point now) {
    std::string next =
        layout == Layout::flyway ? next_flyway(existing, now) : next_in_sequence(existing, layout);
    std::vector<std::string> out;
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    bool stamps = next.empty() || (next.find_first_not_of("0123456789") == std::string::npos &&
                                   next.size() >= k_stamp_digits);
    for (size_t i = 0; i < count; ++i, ++t) {
        if (stamps) {
            out.push_back(free_stamp_from(existing, t, false));
            continue;
        }
        out.push_back(next);
        size_t start = next.find_last_of("._");
        start = start == std::string::npos ? 0 : start + 1;
        next = next.substr(0, start) + increment(next.substr(start));
    }
    return out;
}

std::vector<NewFile> layout_files(Layout layout, const MigrationSet& existing,
                                  const std::string& name, bool no_transaction,
                                  std::chrono::system_clock::time_point now) {
    auto stamped = [&](bool dashed) { return free_stamp(existing, now, dashed) + "_" + name; };
    auto numbered = [&] { return next_versions(layout, existing, 1, now)[0] + "_" + name; };
    switch (layout) {
        case Layout::flyway:
            return flyway_files(next_versions(layout, existing, 1, now)[0], name, no_transaction);
        case Layout::dbmate:
            return dbmate_files(stamped(false), no_transaction);
        case Layout::golang_migrate:
            return golang_migrate_files(numbered(), no_transaction);
        case Layout::goose:
            return goose_files(numbered(), no_transaction);
        case Layout::diesel:
            return diesel_files(stamped(true), no_transaction);
        case Layout::prisma:
            return prisma_files(stamped(false), no_transaction);
        case Layout::native:
            break;
    }
    // A project numbered in sequence (0001_, 0002_) goes on counting; an empty or
    // timestamped one gets a timestamp.
    std::string id = numbered();
    return {{id + ".up.sql", native_header(id, true, no_transaction)},
            {id + ".down.sql", native_header(id, false, no_transaction)}};
}

}  // namespace sm::core::scaffold
