#pragma once
// `restore` of a restore point (kind restore-point, [backup] engine =
// "pgbackrest"): pgBackRest's point-in-time recovery of the whole cluster to
// the named point. Runbook: runbooks/pgbackrest-pitr.md.
//
//   refuse --into and --in-place (a PITR rewinds the cluster, not a database)
//   require --confirm to list every database of the cluster (comma-separated)
//   check pgBackRest holds a base backup from before the point
//   record restore.started and export the target's events to the catalog
//     (<catalog>/<id>/events-<run id>.json), so what was recorded after the
//     point survives the rewind
//   when the data directory is here and we are its owner (or root, acting as
//     its owner): pg_ctl stop, pgbackrest restore --delta --type=name
//     --target=<name> --target-action=promote, pg_ctl start, wait for the
//     promotion, re-insert the exported events (the trail only grows)
//   otherwise (or with print_steps): change nothing on the server and return
//     each step as an exact command, the last one re-inserting the events
//     (`safe-migrate restore --carry-events FILE`)

#include <functional>
#include <string>

#include "backup/catalog.hpp"
#include "core/conninfo.hpp"
#include "deploy/restore.hpp"

namespace sm::deploy {

// Runs (or describes) the recovery of restore point entry/m on the cluster
// that session is connected to. Throws sm::Error: refused (--into/--in-place,
// --confirm missing a database, a point of another cluster); backup_failed (no
// base backup before the point, a pgBackRest or pg_ctl failure, with the
// command that starts the cluster again when it was left stopped).
CatalogRestoreResult restore_to_point(const CatalogRestoreRequest& request,
                                      const backup::CatalogEntry& entry, const backup::Manifest& m,
                                      db::Session& session, const core::TargetIdentity& id,
                                      const std::function<void(const std::string&)>& tell);

}  // namespace sm::deploy
