// Unit tests for src/backup/pg_tools.{hpp,cpp}: version parsing and refusal,
// archive listings and progress counting over real pg_dump/pg_restore 15 output.

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "backup/pg_tools.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_pg_tools_test {

using Catch::Matchers::Contains;
using sm::backup::ArchiveHeader;
using sm::backup::parse_archive_listing;
using sm::backup::parse_tool_version;
using sm::backup::ProgressCounter;
using sm::backup::require_tool_for_server;
using sm::backup::ToolVersion;

namespace {

// pg_restore -l of `pg_dump -Fd` (PostgreSQL 15.18) of a database with tables
// public.t (serial, commented), public.accounts, public.empty_one,
// billing."Invoice Lines", a view and a materialized view.
constexpr std::string_view k_directory_listing = R"(;
; Archive created at 2026-11-22 02:39:34 UTC
;     dbname: app
;     TOC Entries: 23
;     Compression: -1
;     Dump Version: 1.14-0
;     Format: DIRECTORY
;     Integer: 4 bytes
;     Offset: 8 bytes
;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)
;     Dumped by pg_dump version: 15.18 (Debian 15.18-0+deb12u1)
;
;
; Selected TOC Entries:
;
6; 2615 16401 SCHEMA - billing postgres
218; 1259 16402 TABLE billing Invoice Lines postgres
217; 1259 16394 TABLE public accounts postgres
219; 1259 16407 TABLE public empty_one postgres
216; 1259 16386 TABLE public t postgres
3379; 0 0 COMMENT public TABLE t postgres
221; 1259 16414 MATERIALIZED VIEW public mv postgres
215; 1259 16385 SEQUENCE public t_id_seq postgres
3380; 0 0 SEQUENCE OWNED BY public t_id_seq postgres
220; 1259 16410 VIEW public v postgres
3218; 2604 16389 DEFAULT public t id postgres
3370; 0 16402 TABLE DATA billing Invoice Lines postgres
3369; 0 16394 TABLE DATA public accounts postgres
3371; 0 16407 TABLE DATA public empty_one postgres
3368; 0 16386 TABLE DATA public t postgres
3381; 0 0 SEQUENCE SET public t_id_seq postgres
3222; 2606 16400 CONSTRAINT public accounts accounts_pkey postgres
3220; 2606 16393 CONSTRAINT public t t_pkey postgres
3372; 0 16414 MATERIALIZED VIEW DATA public mv postgres
)";

// pg_restore -l of `pg_dump -Fc -Z0 -t accounts -t 'billing.*' -t t_id_seq` of
// the same database.
constexpr std::string_view k_custom_listing = R"(;
; Archive created at 2026-11-22 02:42:02 UTC
;     dbname: app
;     TOC Entries: 11
;     Compression: 0
;     Dump Version: 1.14-0
;     Format: CUSTOM
;     Integer: 4 bytes
;     Offset: 8 bytes
;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)
;     Dumped by pg_dump version: 15.18 (Debian 15.18-0+deb12u1)
;
;
; Selected TOC Entries:
;
218; 1259 16402 TABLE billing Invoice Lines postgres
217; 1259 16394 TABLE public accounts postgres
215; 1259 16385 SEQUENCE public t_id_seq postgres
3363; 0 16402 TABLE DATA billing Invoice Lines postgres
3362; 0 16394 TABLE DATA public accounts postgres
3370; 0 0 SEQUENCE SET public t_id_seq postgres
3216; 2606 16400 CONSTRAINT public accounts accounts_pkey postgres
)";

// The end of `pg_dump -v -Fd` stderr (serial); -Fc prints the same lines.
constexpr std::string_view k_dump_serial = R"(pg_dump: reading dependency data
pg_dump: saving encoding = UTF8
pg_dump: saving standard_conforming_strings = on
pg_dump: saving search_path = 
pg_dump: saving database definition
pg_dump: dumping contents of table "billing.Invoice Lines"
pg_dump: dumping contents of table "public.accounts"
pg_dump: dumping contents of table "public.empty_one"
pg_dump: dumping contents of table "public.t"
)";

// The end of `pg_dump -v -Fd -j2` stderr: workers print "dumping contents" and
// the leader prints "finished item" for the same table.
constexpr std::string_view k_dump_parallel = R"(pg_dump: saving search_path = 
pg_dump: saving database definition
pg_dump: dumping contents of table "public.t"
pg_dump: finished item 3368 TABLE DATA t
pg_dump: dumping contents of table "billing.Invoice Lines"
pg_dump: finished item 3370 TABLE DATA Invoice Lines
pg_dump: dumping contents of table "public.empty_one"
pg_dump: finished item 3371 TABLE DATA empty_one
pg_dump: dumping contents of table "public.accounts"
pg_dump: finished item 3369 TABLE DATA accounts
)";

// The end of `pg_restore -v -d r1` stderr (serial) of the custom archive.
constexpr std::string_view k_restore_serial = R"(pg_restore: creating VIEW "public.v"
pg_restore: creating DEFAULT "public.t id"
pg_restore: processing data for table "billing.Invoice Lines"
pg_restore: processing data for table "public.accounts"
pg_restore: processing data for table "public.empty_one"
pg_restore: processing data for table "public.t"
pg_restore: executing SEQUENCE SET t_id_seq
pg_restore: creating CONSTRAINT "public.accounts accounts_pkey"
pg_restore: creating CONSTRAINT "public.t t_pkey"
pg_restore: creating MATERIALIZED VIEW DATA "public.mv"
)";

// The parallel part of `pg_restore -v -j2 -d r2` stderr of the directory archive:
// a worker prints "processing data", the leader "launching/finished item".
constexpr std::string_view k_restore_parallel = R"(pg_restore: creating DEFAULT "public.t id"
pg_restore: entering main parallel loop
pg_restore: launching item 3368 TABLE DATA t
pg_restore: launching item 3369 TABLE DATA accounts
pg_restore: processing data for table "public.accounts"
pg_restore: finished item 3369 TABLE DATA accounts
pg_restore: launching item 3222 CONSTRAINT accounts accounts_pkey
pg_restore: creating CONSTRAINT "public.accounts accounts_pkey"
pg_restore: finished item 3222 CONSTRAINT accounts accounts_pkey
pg_restore: launching item 3370 TABLE DATA Invoice Lines
pg_restore: processing data for table "billing.Invoice Lines"
pg_restore: finished item 3370 TABLE DATA Invoice Lines
pg_restore: launching item 3371 TABLE DATA empty_one
pg_restore: processing data for table "public.empty_one"
pg_restore: finished item 3371 TABLE DATA empty_one
pg_restore: launching item 3381 SEQUENCE SET t_id_seq
pg_restore: executing SEQUENCE SET t_id_seq
pg_restore: finished item 3381 SEQUENCE SET t_id_seq
pg_restore: processing data for table "public.t"
pg_restore: finished item 3368 TABLE DATA t
pg_restore: launching item 3220 CONSTRAINT t t_pkey
pg_restore: creating CONSTRAINT "public.t t_pkey"
pg_restore: finished item 3220 CONSTRAINT t t_pkey
pg_restore: launching item 3372 MATERIALIZED VIEW DATA mv
pg_restore: creating MATERIALIZED VIEW DATA "public.mv"
pg_restore: finished item 3372 MATERIALIZED VIEW DATA mv
pg_restore: finished main parallel loop
)";

// Feeds text to a fresh counter in chunks of chunk_size bytes (the last one
// shorter), so chunks end mid-line and even mid-word.
ProgressCounter feed_in_chunks(const std::string& text, size_t chunk_size) {
    ProgressCounter counter;
    for (size_t at = 0; at < text.size(); at += chunk_size) {
        counter.feed(text.substr(at, chunk_size));
    }
    return counter;
}

// Every chunk size, and every split of the text into two pieces, counts the same.
void check_counts(const std::string& text, int expected, const std::string& last_table) {
    for (size_t size = 1; size <= text.size(); ++size) {
        ProgressCounter counter = feed_in_chunks(text, size);
        INFO("chunk size " << size);
        REQUIRE(counter.count() == expected);
        REQUIRE(counter.last_table() == last_table);
    }
    for (size_t split = 0; split <= text.size(); ++split) {
        ProgressCounter counter;
        counter.feed(text.substr(0, split));
        INFO("split at " << split);
        REQUIRE(counter.feed(text.substr(split)) == expected);
    }
}

ToolVersion version(int major, int minor, const std::string& text) {
    ToolVersion v;
    v.major = major;
    v.minor = minor;
    v.text = text;
    return v;
}

}  // namespace

TEST_CASE("parse_tool_version of a Debian release", "[backup][pg_tools]") {
    auto v = parse_tool_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n");
    REQUIRE(v);
    CHECK(v->major == 15);
    CHECK(v->minor == 18);
    CHECK(v->text == "15.18 (Debian 15.18-0+deb12u1)");

    auto plain = parse_tool_version("pg_restore (PostgreSQL) 17.2\n");
    REQUIRE(plain);
    CHECK(plain->major == 17);
    CHECK(plain->minor == 2);
    CHECK(plain->text == "17.2");
}

TEST_CASE("parse_tool_version of development and beta builds", "[backup][pg_tools]") {
    auto devel = parse_tool_version("pg_dump (PostgreSQL) 16devel\n");
    REQUIRE(devel);
    CHECK(devel->major == 16);
    CHECK(devel->minor == 0);
    CHECK(devel->text == "16devel");

    auto beta = parse_tool_version("pg_dump (PostgreSQL) 16beta2");
    REQUIRE(beta);
    CHECK(beta->major == 16);
    CHECK(beta->minor == 0);
    CHECK(beta->text == "16beta2");

    auto rc = parse_tool_version("pg_restore (PostgreSQL) 18rc1 (Debian 18~rc1-1)\n");
    REQUIRE(rc);
    CHECK(rc->major == 18);
    CHECK(rc->text == "18rc1 (Debian 18~rc1-1)");
}

TEST_CASE("parse_tool_version of a pre-10 release", "[backup][pg_tools]") {
    auto v = parse_tool_version("pg_dump (PostgreSQL) 9.6.24\n");
    REQUIRE(v);
    CHECK(v->major == 9);
    CHECK(v->minor == 6);
    CHECK(v->text == "9.6.24");
}

TEST_CASE("parse_tool_version of text with no version", "[backup][pg_tools]") {
    CHECK_FALSE(parse_tool_version(""));
    CHECK_FALSE(parse_tool_version("\n\n"));
    CHECK_FALSE(parse_tool_version("sh: 1: pg_dump: not found\n"));
    CHECK_FALSE(parse_tool_version("pg_dump (PostgreSQL)\n"));
    CHECK_FALSE(parse_tool_version("pg_dump (PostgreSQL) unknown\n"));
    CHECK_FALSE(parse_tool_version("pg_dump (PostgreSQL) 99999999999999999999\n"));
}

TEST_CASE("require_tool_for_server refuses an older tool", "[backup][pg_tools]") {
    auto e = sm_test::capture_error([] {
        require_tool_for_server("pg_dump", version(14, 9, "14.9 (Debian 14.9-1.pgdg120+1)"), 15);
    });
    CHECK(e.code() == sm::ExitCode::backup_failed);
    CHECK(std::string(e.what()) == "pg_dump 14.9 cannot dump a PostgreSQL 15 server");
    CHECK(e.hint() ==
          "Install postgresql-client-15 (apt-get install postgresql-client-15) or set [backup] "
          "pg_bin_dir.");

    auto restore = sm_test::capture_error(
        [] { require_tool_for_server("pg_restore", version(16, 0, "16devel"), 17); });
    CHECK(std::string(restore.what()) ==
          "pg_restore 16devel cannot restore to a PostgreSQL 17 server");
    CHECK_THAT(restore.hint(), Contains("postgresql-client-17"));
}

TEST_CASE("require_tool_for_server accepts the same or a newer tool", "[backup][pg_tools]") {
    CHECK_NOTHROW(require_tool_for_server("pg_dump", version(15, 8, "15.8"), 15));
    CHECK_NOTHROW(require_tool_for_server("pg_dump", version(15, 0, "15beta1"), 15));
    CHECK_NOTHROW(require_tool_for_server("pg_dump", version(17, 2, "17.2"), 15));
    CHECK_NOTHROW(require_tool_for_server("pg_restore", version(16, 4, "16.4"), 12));
}

TEST_CASE("parse_archive_listing of a directory archive", "[backup][pg_tools]") {
    ArchiveHeader h = parse_archive_listing(std::string(k_directory_listing));
    CHECK(h.created_at == "2026-11-22 02:39:34 UTC");
    CHECK(h.database == "app");
    CHECK(h.toc_entries == 23);
    CHECK(h.compression == "-1");
    CHECK(h.dump_version == "1.14-0");
    CHECK(h.format == "DIRECTORY");
    CHECK(h.dumped_from == "15.18 (Debian 15.18-0+deb12u1)");
    CHECK(h.dumped_by == "15.18 (Debian 15.18-0+deb12u1)");
    // Four tables; not SEQUENCE SET, not MATERIALIZED VIEW DATA.
    CHECK(h.table_data_entries == 4);
}

TEST_CASE("parse_archive_listing of a custom archive", "[backup][pg_tools]") {
    ArchiveHeader h = parse_archive_listing(std::string(k_custom_listing));
    CHECK(h.created_at == "2026-11-22 02:42:02 UTC");
    CHECK(h.database == "app");
    CHECK(h.toc_entries == 11);
    CHECK(h.compression == "0");
    CHECK(h.dump_version == "1.14-0");
    CHECK(h.format == "CUSTOM");
    CHECK(h.dumped_from == "15.18 (Debian 15.18-0+deb12u1)");
    CHECK(h.dumped_by == "15.18 (Debian 15.18-0+deb12u1)");
    CHECK(h.table_data_entries == 2);
}

TEST_CASE("parse_archive_listing skips entries switched off with a semicolon",
          "[backup][pg_tools]") {
    // As in a list edited for pg_restore -L.
    std::string listing(k_custom_listing);
    auto at = listing.find("3362; 0 16394 TABLE DATA");
    REQUIRE(at != std::string::npos);
    listing.insert(at, ";");
    CHECK(parse_archive_listing(listing).table_data_entries == 1);
}

TEST_CASE("parse_archive_listing of CRLF text", "[backup][pg_tools]") {
    std::string listing;
    for (char c : k_custom_listing) {
        if (c == '\n') {
            listing += '\r';
        }
        listing += c;
    }
    ArchiveHeader h = parse_archive_listing(listing);
    CHECK(h.format == "CUSTOM");
    CHECK(h.toc_entries == 11);
    CHECK(h.table_data_entries == 2);
}

TEST_CASE("parse_archive_listing of text that is not a listing", "[backup][pg_tools]") {
    auto e = sm_test::capture_error(
        [] { parse_archive_listing("pg_restore: error: input file is too short\n"); });
    CHECK(e.code() == sm::ExitCode::backup_failed);
    CHECK(std::string(e.what()) ==
          "not a pg_restore listing: no \"Archive created at\" line (first line: pg_restore: "
          "error: input file is too short)");

    auto empty = sm_test::capture_error([] { parse_archive_listing(""); });
    CHECK(std::string(empty.what()) == "not a pg_restore listing: no \"Archive created at\" line");

    // A header cut off before its TOC Entries line.
    std::string cut(k_directory_listing.substr(0, k_directory_listing.find(";     TOC")));
    auto truncated = sm_test::capture_error([&] { parse_archive_listing(cut); });
    CHECK_THAT(truncated.what(), Contains("no \"TOC Entries\" line"));
}

TEST_CASE("ProgressCounter over serial pg_dump output", "[backup][pg_tools]") {
    check_counts(std::string(k_dump_serial), 4, "public.t");
}

TEST_CASE("ProgressCounter over parallel pg_dump output", "[backup][pg_tools]") {
    // "finished item ... TABLE DATA" repeats the workers' lines and does not count.
    check_counts(std::string(k_dump_parallel), 4, "public.accounts");
}

TEST_CASE("ProgressCounter over serial pg_restore output", "[backup][pg_tools]") {
    check_counts(std::string(k_restore_serial), 4, "public.t");
}

TEST_CASE("ProgressCounter over parallel pg_restore output", "[backup][pg_tools]") {
    check_counts(std::string(k_restore_parallel), 4, "public.t");
}

TEST_CASE("ProgressCounter counts a line only once it is complete", "[backup][pg_tools]") {
    ProgressCounter counter;
    CHECK(counter.count() == 0);
    CHECK(counter.last_table().empty());
    CHECK(counter.feed("pg_dump: dumping contents of table \"public.acc") == 0);
    CHECK(counter.feed("ounts\"") == 0);
    CHECK(counter.feed("\npg_dump: dumping contents of table \"public.t\"\n") == 2);
    CHECK(counter.last_table() == "public.t");
    CHECK(counter.feed("pg_dump: saving database definition\n") == 2);
}

TEST_CASE("ProgressCounter with prefixes interleaved by parallel workers", "[backup][pg_tools]") {
    // Each line is written as "pg_dump:", " " and the message; the leader and a
    // worker writing at once can leave the prefixes out of place.
    ProgressCounter counter;
    counter.feed(
        "pg_dump:pg_dump: finished item 3368 TABLE DATA t\n"
        " dumping contents of table \"public.accounts\"\n");
    CHECK(counter.count() == 1);
    CHECK(counter.last_table() == "public.accounts");
}

TEST_CASE("ProgressCounter: a serial table is finished when the tool moves on",
          "[backup][pg_tools]") {
    ProgressCounter counter;
    counter.feed("pg_restore: processing data for table \"public.a\"\n");
    CHECK(counter.count() == 1);
    CHECK(counter.finished() == 0);  // started, not finished
    counter.feed("pg_restore: processing data for table \"public.b\"\n");
    CHECK(counter.finished() == 1);
    CHECK(counter.finished_tables() == std::vector<std::string>{"public.a"});
    counter.feed("pg_restore: creating CONSTRAINT \"public.b b_pkey\"\n");
    CHECK(counter.finished_tables() == std::vector<std::string>{"public.a", "public.b"});
}

TEST_CASE("ProgressCounter: a parallel table is finished by its finished item line",
          "[backup][pg_tools]") {
    ProgressCounter counter;
    counter.feed(std::string(k_restore_parallel));
    CHECK(counter.finished_tables() == std::vector<std::string>{"public.accounts",
                                                                "billing.Invoice Lines",
                                                                "public.empty_one", "public.t"});
    ProgressCounter dump(true);
    dump.feed(
        "pg_dump: dumping contents of table \"public.t\"\n"
        "pg_dump: dumping contents of table \"public.accounts\"\n");
    CHECK(dump.finished() == 0);  // both workers busy
    dump.feed("pg_dump: finished item 3369 TABLE DATA accounts\n");
    CHECK(dump.finished_tables() == std::vector<std::string>{"public.accounts"});
}

TEST_CASE("find_pg_tool with a bin_dir that lacks the program", "[backup][pg_tools]") {
    sm_test::TempTree tree("sm-pgtools");
    auto missing = tree.path() / "pg_dump";
    auto e = sm_test::capture_error([&] { sm::backup::find_pg_tool("pg_dump", tree.path(), 15); });
    CHECK(e.code() == sm::ExitCode::backup_failed);
    CHECK(std::string(e.what()) == missing.string() + " does not exist");
    CHECK_THAT(e.hint(), Contains("[backup] pg_bin_dir"));
}

TEST_CASE("find_pg_tool with a bin_dir whose program is not executable", "[backup][pg_tools]") {
    sm_test::TempTree tree("sm-pgtools");
    auto path = tree.write("pg_restore", "not a program\n");
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto e =
        sm_test::capture_error([&] { sm::backup::find_pg_tool("pg_restore", tree.path(), 15); });
    CHECK(std::string(e.what()) == path.string() + " is not an executable file");
}

TEST_CASE("find_pg_tool and read_tool_version with a program in bin_dir", "[backup][pg_tools]") {
    sm_test::TempTree tree("sm-pgtools");
    auto path = tree.write("pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9 (Test)'\n");
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    CHECK(sm::backup::find_pg_tool("pg_dump", tree.path(), 15) == path);

    ToolVersion v = sm::backup::read_tool_version(path);
    CHECK(v.major == 14);
    CHECK(v.minor == 9);
    CHECK(v.text == "14.9 (Test)");
    auto e = sm_test::capture_error([&] { require_tool_for_server("pg_dump", v, 15); });
    CHECK(std::string(e.what()) == "pg_dump 14.9 cannot dump a PostgreSQL 15 server");
}

TEST_CASE("read_tool_version of a program that prints no version", "[backup][pg_tools]") {
    sm_test::TempTree tree("sm-pgtools");
    auto silent = tree.write("silent", "#!/bin/sh\necho 'usage: silent'\n");
    auto failing = tree.write("failing", "#!/bin/sh\necho 'broken install' >&2\nexit 3\n");
    std::filesystem::permissions(silent, std::filesystem::perms::owner_all);
    std::filesystem::permissions(failing, std::filesystem::perms::owner_all);

    auto e = sm_test::capture_error([&] { sm::backup::read_tool_version(silent); });
    CHECK(e.code() == sm::ExitCode::backup_failed);
    CHECK(std::string(e.what()) ==
          silent.string() + " --version printed no version: usage: silent");

    auto f = sm_test::capture_error([&] { sm::backup::read_tool_version(failing); });
    CHECK(f.code() == sm::ExitCode::backup_failed);
    CHECK(std::string(f.what()) ==
          failing.string() + " --version exited with code 3:\n  broken install");

    auto gone = sm_test::capture_error(
        [&] { sm::backup::read_tool_version(tree.path() / "no-such-program"); });
    CHECK(gone.code() == sm::ExitCode::backup_failed);
    CHECK_THAT(gone.what(), Contains("no-such-program"));
}

TEST_CASE("find_pg_tool runs the binary behind Debian's pg_wrapper, when one is new enough",
          "[backup][pg_tools]") {
    std::error_code ec;
    auto wrapper = std::filesystem::canonical("/usr/bin/pg_dump", ec);
    if (ec || wrapper.filename() != "pg_wrapper") {
        SUCCEED("no Debian pg_wrapper on this machine");
        return;
    }
    // PATH's pg_dump is the wrapper: the versioned binary is used instead.
    auto program = sm::backup::find_pg_tool("pg_dump", std::nullopt, 15);
    CHECK(program.string().rfind("/usr/lib/postgresql/", 0) == 0);
    CHECK(program.filename() == "pg_dump");
    CHECK(std::filesystem::canonical(program).filename() != "pg_wrapper");
    // No installed version serves a far newer server: the wrapper stays, so the
    // version check refuses it with its usual message.
    auto too_old = sm::backup::find_pg_tool("pg_dump", std::nullopt, 99);
    CHECK(std::filesystem::canonical(too_old).filename() == "pg_wrapper");
}

}  // namespace backup_pg_tools_test
