#pragma once
// Connection targets: where the connection string came from, and how to show it.

#include <optional>
#include <string>

namespace sm::core {

// Where the target came from, in order of precedence.
enum class TargetSource { flag, env_database_url, config, libpq_defaults };

const char* target_source_name(TargetSource source);

struct Target {
    std::string conninfo;  // as given: URL or key=value; may contain a password
    TargetSource source = TargetSource::libpq_defaults;
};

// Chooses the target: --database-url, then DATABASE_URL, then the config's
// database url (environment first), then libpq's own defaults (an empty
// conninfo: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE, pgpass).
// Registers any password found as a secret (redact.hpp).
Target resolve_target(const std::optional<std::string>& flag_url,
                      const std::optional<std::string>& config_url);

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

// Throws sm::Error (invalid_input) with libpq's reason when conninfo cannot be parsed.
void validate_conninfo(const std::string& conninfo);

}  // namespace sm::core
