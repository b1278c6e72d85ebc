#include "deploy/request.hpp"

#include "backup/remote_catalog.hpp"
#include "db/session.hpp"

namespace sm::deploy {

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

}  // namespace sm::deploy
