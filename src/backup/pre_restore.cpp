#include "backup/pre_restore.hpp"

#include <ctime>

#include "core/sql_quote.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::backup {
namespace {

using Clock = std::chrono::system_clock;

constexpr const char* k_infix = "_pre_restore_";

std::string prefix_of(const std::string& database) {
    return (database.size() > 40 ? database.substr(0, 40) : database) + k_infix;
}

}  // namespace

std::string pre_restore_name(const std::string& database, Clock::time_point at) {
    std::time_t t = Clock::to_time_t(at);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dt%H%M%Sz", &tm);
    return prefix_of(database) + stamp;
}

std::optional<Clock::time_point> pre_restore_time(const std::string& database,
                                                  const std::string& name) {
    std::string prefix = prefix_of(database);
    if (name.size() != prefix.size() + 16 || name.compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt;
    }
    std::string stamp = name.substr(prefix.size());
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
