#include "backup/restore_test.hpp"

#include "backup/restore.hpp"
#include "core/identity.hpp"
#include "db/session.hpp"
#include "util/error.hpp"

namespace sm::backup {

void restore_test(const RestoreTestRequest& request, VerifyResult& r) {
    auto control = db::connect_as(request.conninfo, request.application_name, "verify");
    RestoreRequest restore;
    restore.backup_dir = request.backup_dir;
    restore.manifest = request.manifest;
    restore.mode = RestoreMode::into;
    restore.into = "sm_verify_" + core::random_hex(6);
    restore.conninfo = request.conninfo;
    restore.application_name = request.application_name;
    restore.settings = request.settings;
    restore.control = control.get();
    restore.safety_backup = false;
    restore.quiet = request.quiet;
    r.how = "restore";
    try {
        restore_backup(restore);
    } catch (const Error& e) {
        r.problems.push_back(std::string("restore test: ") + e.what());
        r.ok = false;
    }
    control->exec("DROP DATABASE IF EXISTS " + restore.into + " WITH (FORCE)");
}

}  // namespace sm::backup
