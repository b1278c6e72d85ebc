#include "backup/retention.hpp"

#include <algorithm>
#include <cstddef>
#include <ctime>
#include <map>
#include <utility>

#include "util/time.hpp"

namespace sm::backup {
namespace {

using Clock = std::chrono::system_clock;

bool digits(const std::string& s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) {
        return false;
    }
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// finished_at ("2026-11-21T23:15:00.123Z", fraction optional) as a time point;
// the epoch when empty or unparsable. Kept here rather than calling
// Manifest::finished() so retention depends only on the manifest's data.
Clock::time_point parse_finish(const std::string& s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) ||
        s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
        return Clock::time_point{};
    }
    std::size_t pos = 19;
    int millis = 0;
    if (s[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 3) {
                millis = millis * 10 + (s[pos] - '0');
            }
            ++pos;
        }
        const std::size_t n = pos - start;
        if (n == 0) {
            return Clock::time_point{};
        }
        for (std::size_t i = n; i < 3; ++i) {
            millis *= 10;
        }
    }
    if (pos + 1 != s.size() || s[pos] != 'Z') {
        return Clock::time_point{};
    }
    const std::chrono::year_month_day ymd{std::chrono::year{y},
                                          std::chrono::month{static_cast<unsigned>(mo)},
                                          std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) {
        return Clock::time_point{};
    }
    const auto tp = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                    std::chrono::seconds{sec} + std::chrono::milliseconds{millis};
    return std::chrono::time_point_cast<Clock::duration>(tp);
}

std::string age_text(std::chrono::hours h) {
    const auto n = h.count();
    if (n % 24 == 0) {
        const auto days = n / 24;
        return std::to_string(days) + (days == 1 ? " day" : " days");
    }
    return std::to_string(n) + (n == 1 ? " hour" : " hours");
}

std::string newest_text(int n) {
    return n == 1 ? std::string("the newest") : "among the " + std::to_string(n) + " newest";
}

struct Entry {
    std::size_t index;
    Clock::time_point finished;
};

// Newer first: later finish time, then the larger id.
bool newer(const Entry& a, const Entry& b, const std::vector<Manifest>& backups) {
    if (a.finished != b.finished) {
        return a.finished > b.finished;
    }
    return backups[a.index].id > backups[b.index].id;
}

// Where each backup stands among its source's usable backups.
struct Ranking {
    std::vector<std::size_t> rank;      // position, newest first
    std::vector<bool> newest_verified;  // the newest verified one of its source
    std::vector<Clock::time_point> finished;
};

Ranking rank_by_source(const std::vector<Manifest>& backups) {
    // Usable backups per source.
    std::map<std::pair<std::string, std::string>, std::vector<Entry>> groups;
    for (std::size_t i = 0; i < backups.size(); ++i) {
        const Manifest& m = backups[i];
        if (m.usable()) {
            groups[{m.source.database, m.source.system_identifier}].push_back(
                Entry{i, parse_finish(m.finished_at)});
        }
    }

    Ranking out;
    out.rank.assign(backups.size(), 0);
    out.newest_verified.assign(backups.size(), false);
    out.finished.resize(backups.size());
    for (auto& [source, entries] : groups) {
        std::sort(entries.begin(), entries.end(),
                  [&](const Entry& a, const Entry& b) { return newer(a, b, backups); });
        bool seen_verified = false;
        for (std::size_t r = 0; r < entries.size(); ++r) {
            const std::size_t i = entries[r].index;
            out.rank[i] = r;
            out.finished[i] = entries[r].finished;
            if (!seen_verified && backups[i].state == BackupState::verified) {
                out.newest_verified[i] = true;
                seen_verified = true;
            }
        }
    }
    return out;
}

// The decision for backup i, by the rules in retention.hpp, in order.
void decide(const Manifest& m, const Ranking& ranking, std::size_t i, const RetentionPolicy& policy,
            Clock::time_point now, RetentionDecision& d) {
    const bool has_policy = policy.keep_last.has_value() || policy.keep_for.has_value();
    const int keep_last = policy.keep_last ? std::max(0, *policy.keep_last) : 0;
    if (m.state == BackupState::running) {
        d.keep = true;
        d.reason = "in progress";
        return;
    }
    if (m.pinned) {
        d.keep = true;
        d.reason = "pinned";
        return;
    }
    if (!m.usable()) {
        d.keep = false;
        d.reason = "failed";
        return;
    }
    if (ranking.newest_verified[i]) {
        d.keep = true;
        d.reason = "newest verified";
        return;
    }
    if (!has_policy) {
        d.keep = true;
        d.reason = "no retention policy";
        return;
    }
    if (policy.keep_last && ranking.rank[i] < static_cast<std::size_t>(keep_last)) {
        d.keep = true;
        d.reason = newest_text(keep_last);
        return;
    }
    if (policy.keep_for && now - ranking.finished[i] < *policy.keep_for) {
        d.keep = true;
        d.reason = "younger than " + age_text(*policy.keep_for);
        return;
    }
    d.keep = false;
    if (policy.keep_last && policy.keep_for) {
        d.reason =
            "older than " + age_text(*policy.keep_for) + " and not " + newest_text(keep_last);
    } else if (policy.keep_for) {
        d.reason = "older than " + age_text(*policy.keep_for);
    } else {
        d.reason = "not " + newest_text(keep_last);
    }
}

}  // namespace

std::vector<RetentionDecision> decide_retention(const std::vector<Manifest>& backups,
                                                const RetentionPolicy& policy,
                                                Clock::time_point now) {
    Ranking ranking = rank_by_source(backups);
    std::vector<RetentionDecision> out(backups.size());
    for (std::size_t i = 0; i < backups.size(); ++i) {
        out[i].id = backups[i].id;
        decide(backups[i], ranking, i, policy, now, out[i]);
    }
    return out;
}

namespace {

// When the backup with this id started: its "YYYYMMDDTHHMMSSZ" prefix (backup::new_backup_id).
std::optional<std::chrono::system_clock::time_point> id_start_time(const std::string& id) {
    std::tm tm{};
    const char* end = ::strptime(id.c_str(), "%Y%m%dT%H%M%SZ", &tm);
    if (end == nullptr || (*end != '\0' && *end != '-')) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

RetentionDecision incomplete_decision(const std::string& id, const RetentionPolicy& policy,
                                      std::chrono::system_clock::time_point now) {
    auto started = id_start_time(id);
    if (!started) {
        return {id, true, "incomplete: no manifest, and not a backup id (left alone)"};
    }
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *started);
    if (age < policy.keep_incomplete) {
        return {id, true,
                "incomplete: no manifest, started " + util::format_duration(age) +
                    " ago; kept for " + util::format_duration(policy.keep_incomplete) +
                    " in case its upload is still running ([backup] keep_incomplete)"};
    }
    return {id, false, "incomplete: no manifest"};
}

}  // namespace

RetentionPolicy retention_policy(const core::BackupSettings& settings) {
    RetentionPolicy policy;
    policy.keep_last = settings.keep_last;
    if (settings.keep_days) {
        policy.keep_for = std::chrono::hours(24 * *settings.keep_days);
    }
    policy.keep_incomplete = settings.keep_incomplete;
    return policy;
}

std::vector<RetentionDecision> prune_decisions(const Catalog& catalog,
                                               const RetentionPolicy& policy,
                                               std::chrono::system_clock::time_point now) {
    std::vector<Manifest> manifests;
    for (const auto& e : catalog.backups) {
        if (e.manifest) {
            manifests.push_back(*e.manifest);
        }
    }
    std::vector<RetentionDecision> decisions = decide_retention(manifests, policy, now);
    for (const auto& e : catalog.backups) {
        if (e.incomplete) {
            decisions.push_back(incomplete_decision(e.dir.filename().string(), policy, now));
        }
    }
    return decisions;
}

}  // namespace sm::backup
