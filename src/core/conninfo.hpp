#pragma once
// Connection targets: where the connection string came from, and how to show it.

#include <optional>
#include <string>
#include <vector>

namespace sm::core {

// Where the target came from, in order of precedence.
enum class TargetSource { flag, environment, config, env_database_url, libpq_defaults };

// "--database-url", "the environment's database_url", "[database] url",
// "DATABASE_URL", "libpq environment".
const char* target_source_name(TargetSource source);

struct Target {
    std::string conninfo;  // as given: URL or key=value; may contain a password
    TargetSource source = TargetSource::libpq_defaults;
    // With --database-url: each other source that names another database, as
    // "<source> (postgresql://user@host:port/db)", for the caller to mention.
    std::vector<std::string> overridden;
};

// The places a target can come from besides DATABASE_URL and libpq's own.
struct TargetInputs {
    std::optional<std::string> flag;             // --database-url
    std::optional<std::string> environment_url;  // the selected [environments.NAME] database_url
    std::string environment;                     // NAME, for messages
    std::optional<std::string> config_url;       // [database] url
};

// Chooses the target: --database-url, then the environment's database_url,
// then [database] url, then DATABASE_URL, then libpq's own defaults (an empty
// conninfo: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE,
// pgpass, which also fill what a URL leaves out). Without the flag, the URL
// sources given must name the same database (host, port, database and user,
// with libpq's defaults filling what one leaves out): otherwise throws
// sm::Error (invalid_input) naming both, without their passwords. With the
// flag, the others are listed in overridden. Registers any password found as a
// secret (redact.hpp); throws sm::Error (invalid_input) for a malformed
// connection string, naming its source and the field that is wrong.
Target resolve_target(const TargetInputs& inputs);

// A display form with no password: "postgresql://user@host:port/dbname".
// Parses with libpq itself; an unparsable conninfo shows as "<invalid connection string>".
std::string redacted_conninfo(const std::string& conninfo);

// Registers the password in conninfo (if any) with the redactor.
void register_conninfo_secrets(const std::string& conninfo);

// conninfo without its password, as key='value' pairs (every other setting
// kept), and the password, for child processes: the conninfo goes on argv, the
// password into PGPASSWORD. Throws sm::Error (invalid_input) when unparsable.
struct SplitConninfo {
    std::string conninfo;
    std::optional<std::string> password;
};
SplitConninfo split_password(const std::string& conninfo);

// split_password with the database replaced by dbname (same server and user).
SplitConninfo split_with_dbname(const std::string& conninfo, const std::string& dbname);

// conninfo (key=value form, password kept) for another database on the same
// server, for our own connections.
std::string with_dbname(const std::string& conninfo, const std::string& dbname);

// Throws sm::Error (invalid_input) when conninfo is malformed
// (conninfo_check.hpp), naming where it came from ("DATABASE_URL") and the
// field that is wrong, never quoting any of it.
void validate_conninfo(const std::string& conninfo, const std::string& where = "");

}  // namespace sm::core
