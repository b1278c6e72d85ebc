#include "deploy/request.hpp"

#include <map>
#include <mutex>

#include "backup/remote_catalog.hpp"
#include "db/pending_session.hpp"
#include "db/session.hpp"

namespace sm::deploy {
namespace {

// The sessions connect_ahead started, by role; each handed out once.
class SessionsAhead {
  public:
    SessionsAhead(const core::Target& target, const core::Config& config) {
        for (const char* role : {"lock", ""}) {
            m_pending.try_emplace(role, target.conninfo, config.application_name, role);
        }
    }
    // The session started for role, taken; nullptr when none (or taken already).
    std::unique_ptr<db::Session> take(const std::string& role) {
        std::unique_lock<std::mutex> lock(m_mutex);
        auto found = m_pending.find(role);
        if (found == m_pending.end()) {
            return nullptr;
        }
        auto node = m_pending.extract(found);
        lock.unlock();  // the other role's may be taken meanwhile
        return node.mapped().take();
    }

  private:
    std::mutex m_mutex;
    std::map<std::string, db::PendingSession> m_pending;
};

}  // namespace

Boundaries real_boundaries(const core::Target& target, const core::Config& config) {
    Boundaries io;
    io.connect = [conninfo = target.conninfo, name = config.application_name](
                     const std::string& role) { return db::connect_as(conninfo, name, role); };
    io.http = [] { return notify::make_curl_client(); };
    io.take_backup = [](const backup::CreateRequest& r) { return backup::take_backup(r); };
    io.restore_backup = [](const backup::RestoreRequest& r) { return backup::restore_backup(r); };
    io.take_restore_point = [](const backup::RestorePointRequest& r) {
        return backup::create_restore_point(r);
    };
    io.verify_backup = [settings = config.backup](const std::filesystem::path& dir,
                                                  backup::Manifest& m) {
        return backup::verify_and_record(settings, dir, m);
    };
    return io;
}

void connect_ahead(Boundaries& io, const core::Target& target, const core::Config& config) {
    auto ahead = std::make_shared<SessionsAhead>(target, config);
    io.connect = [ahead, connect = io.connect](const std::string& role) {
        auto session = ahead->take(role);
        return session ? std::move(session) : connect(role);
    };
}

}  // namespace sm::deploy
