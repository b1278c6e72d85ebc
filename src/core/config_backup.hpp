#pragma once
// Reading the [backup] table of safe-migrate.toml (core/config.hpp's
// parse_config calls it): the catalog, pg_dump's settings, retention, object
// storage and the encryption key. Throws sm::Error (invalid_input) naming the
// file and key; a secret's value is never put in a message.

#include <string>

#include "core/config.hpp"
#include "core/toml_tree.hpp"

namespace sm::core {

void read_backup(const TomlNode& table, BackupSettings& b, const std::string& file);

}  // namespace sm::core
