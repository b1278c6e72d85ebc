#include "backup/pre_restore.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <string_view>

#include "core/sql_quote.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::backup {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view k_infix = "_pre_restore_";
constexpr size_t k_stamp_size = 16;  // "20261122t055315z"
constexpr int k_max_ordinal = 99;    // "_2" .. "_99": swaps within one second
// PostgreSQL cuts longer names to 63 bytes (NAMEDATALEN - 1): the database's
// part leaves room for the infix, the stamp and the largest ordinal.
constexpr size_t k_database_part = 63 - k_infix.size() - k_stamp_size - 3;

std::string prefix_of(const std::string& database) {
    return database.substr(0, util::utf8_cut(database, k_database_part)) + std::string(k_infix);
}

// "_2" .. "_99", the ordinal of a name after the stamp, or 0 when suffix is not one.
int ordinal_of(std::string_view suffix) {
    if (suffix.size() < 2 || suffix.size() > 3 || suffix[0] != '_' || suffix[1] == '0') {
        return 0;
    }
    int n = 0;
    for (char c : suffix.substr(1)) {
        if (c < '0' || c > '9') {
            return 0;
        }
        n = n * 10 + (c - '0');
    }
    return n >= 2 ? n : 0;
}

}  // namespace

std::string pre_restore_name(const std::string& database, Clock::time_point at, int ordinal) {
    std::time_t t = Clock::to_time_t(at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dt%H%M%Sz", &tm);
    return prefix_of(database) + stamp + (ordinal >= 2 ? "_" + std::to_string(ordinal) : "");
}

std::string unused_pre_restore_name(db::Session& session, const std::string& database,
                                    Clock::time_point at) {
    std::string first = pre_restore_name(database, at);
    auto r = session.exec_params(
        "SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1", {first});
    std::set<std::string> taken;
    for (const auto& row : r.rows) {
        taken.insert(row[0].value_or(""));
    }
    for (int n = 1; n <= k_max_ordinal; ++n) {
        std::string name = pre_restore_name(database, at, n);
        if (taken.count(name) == 0) {
            return name;
        }
    }
    throw Error(ExitCode::refused,
                std::to_string(k_max_ordinal) + " databases named " + first +
                    "[_N] exist already; this swap would need another name",
                "List them with 'safe-migrate backup list' and drop what you do not need with "
                "'safe-migrate backup prune --pre-restore --confirm " +
                    database + "'.");
}

std::optional<Clock::time_point> pre_restore_time(const std::string& database,
                                                  const std::string& name) {
    std::string prefix = prefix_of(database);
    if (name.size() < prefix.size() + k_stamp_size || name.compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt;
    }
    std::string stamp = name.substr(prefix.size(), k_stamp_size);
    std::string_view rest = std::string_view(name).substr(prefix.size() + k_stamp_size);
    if (!rest.empty() && ordinal_of(rest) == 0) {
        return std::nullopt;
    }
    std::tm tm{};
    if (stamp[8] != 't' || stamp[15] != 'z' ||
        ::strptime(stamp.substr(0, 15).c_str(), "%Y%m%dt%H%M%S", &tm) == nullptr) {
        return std::nullopt;
    }
    return Clock::from_time_t(::timegm(&tm));
}

std::vector<PreRestoreDatabase> list_pre_restore(db::Session& session,
                                                 const std::string& database) {
    std::string prefix = prefix_of(database);
    auto r = session.exec_params(
        "SELECT datname, pg_database_size(oid) FROM pg_database "
        "WHERE left(datname, length($1)) = $1 ORDER BY datname",
        {prefix});
    std::vector<PreRestoreDatabase> out;
    for (const auto& row : r.rows) {
        PreRestoreDatabase d;
        d.name = row[0].value_or("");
        d.kept_at = pre_restore_time(database, d.name);
        d.bytes = std::stoll(row[1].value_or("0"));
        if (d.kept_at) {
            out.push_back(std::move(d));
        }
    }
    return out;
}

std::vector<PreRestoreDecision> decide_pre_restore(
    const std::vector<PreRestoreDatabase>& databases,
    std::optional<std::chrono::milliseconds> keep_for, bool all, Clock::time_point now) {
    std::vector<PreRestoreDecision> out;
    for (const auto& d : databases) {
        PreRestoreDecision decision{d.name, false, ""};
        if (all) {
            decision.drop = true;
            decision.reason = "--pre-restore";
        } else if (!keep_for) {
            decision.reason = "no keep_pre_restore";
        } else {
            bool old = now - *d.kept_at >= *keep_for;
            decision.drop = old;
            decision.reason = std::string(old ? "older than " : "younger than ") +
                              util::format_duration(*keep_for);
        }
        out.push_back(std::move(decision));
    }
    return out;
}

void drop_database(db::Session& maintenance, const std::string& name) {
    maintenance.exec("DROP DATABASE " + core::quote_ident(name));
}

}  // namespace sm::backup
