#pragma once
// The files `new` writes in each layout (core/layout.hpp), named and filled as
// that tool's own generator names and fills them, so the tool itself (and
// safe-migrate's reader of its layout) reads them as its next migration:
//
//   native          <UTC YYYYMMDDHHMMSS>_<name>.up.sql and .down.sql, with a
//                   header showing the directives
//   flyway          V<next>__<name>.sql and U<next>__<name>.sql (the undo);
//                   <next> is the newest version with its last group raised
//                   by one, written in the same style (V3 -> V4, V003 -> V004,
//                   V1.2.10 -> V1.2.11, V1_2 -> V1_3), a UTC timestamp when the
//                   newest version is one (14 digits), V1 in an empty project
//   dbmate          <UTC YYYYMMDDHHMMSS>_<name>.sql with `-- migrate:up` and
//                   `-- migrate:down` sections (`dbmate new`)
//   golang-migrate  <version>_<name>.up.sql and .down.sql: the newest version
//                   plus one, zero-padded to its width, when the project is
//                   sequential (`migrate create -seq`), else a UTC timestamp
//                   (`migrate create`)
//   goose           <version>_<name>.sql with `-- +goose Up` / `-- +goose Down`:
//                   sequential as golang-migrate (`goose -s create`), else a
//                   UTC timestamp (`goose create NAME sql`)
//   diesel          <UTC YYYY-MM-DD-HHMMSS>_<name>/up.sql and down.sql
//                   (`diesel migration generate`)
//   prisma          <UTC YYYYMMDDHHMMSS>_<name>/migration.sql, no down: Prisma
//                   Migrate has none (`prisma migrate dev --create-only`)
//
// A project is sequential when its newest version has fewer than 14 digits
// (a timestamp has 14). --no-transaction writes the tool's own marker: dbmate
// `transaction:false` on both section lines, goose `-- +goose NO TRANSACTION`,
// diesel metadata.toml `run_in_transaction = false`, flyway a
// V<next>__<name>.sql.conf with `executeInTransaction=false`. golang-migrate
// and prisma have none (each sends a file as one multi-statement query), so
// their files carry `-- safe-migrate: no-transaction`, which safe-migrate's
// readers of those layouts honour.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/migration_source.hpp"

namespace sm::core::scaffold {

// One file of a new migration: its path relative to the migrations directory.
struct NewFile {
    std::filesystem::path path;
    std::string content;
};

// The files of a new migration named name in layout, after the migrations
// existing holds (read from existing.dir in that layout). A version is never
// one existing uses, nor one any entry of existing.dir starts with; a
// timestamp moves on a second at a time until it is free. Never throws for a
// valid name (the caller checks it).
std::vector<NewFile> layout_files(Layout layout, const MigrationSet& existing,
                                  const std::string& name, bool no_transaction,
                                  std::chrono::system_clock::time_point now);

// The versions, as file names write them, that count new migrations take after
// existing, one next-version rule for `new` and `rewrite --write`: in a
// sequential project (newest version under 14 digits) the newest plus one,
// two, ... zero-padded to its width ("0007" -> "0008", "0009"); flyway raises
// the last group (V1.2 -> 1.3, 1.4); otherwise free UTC timestamps from now on,
// each after the newest and the one before ("20260101090000", then
// "20260101090001"). Pure apart from listing existing.dir.
std::vector<std::string> next_versions(Layout layout, const MigrationSet& existing, size_t count,
                                       std::chrono::system_clock::time_point now);

}  // namespace sm::core::scaffold
