#include "deploy/request.hpp"

#include "backup/verify.hpp"
#include "db/session.hpp"

namespace sm::deploy {

Boundaries real_boundaries(const core::Target& target, const core::Config& config) {
    Boundaries io;
    io.connect = [conninfo = target.conninfo, name = config.application_name](
                     const std::string& role) { return db::connect_as(conninfo, name, role); };
    io.http = [] { return notify::make_curl_client(); };
    io.take_backup = [](const backup::CreateRequest& r) { return backup::create_backup(r); };
    io.restore_backup = [](const backup::RestoreRequest& r) { return backup::restore_backup(r); };
    io.take_restore_point = [](const backup::RestorePointRequest& r) {
        return backup::create_restore_point(r);
    };
    io.verify_backup = [pg_bin_dir = config.backup.pg_bin_dir](const std::filesystem::path& dir,
                                                               backup::Manifest& m) {
        backup::VerifyResult verified = backup::verify_backup(dir, m, false, pg_bin_dir);
        backup::record_verification(dir, m, verified);
        return verified.problems;
    };
    return io;
}

}  // namespace sm::deploy
