#pragma once
// Reading [[execute.checks]] (core/config.hpp's read_execute calls it): the
// post-deploy checks, each a name and either sql or command. Throws sm::Error
// (invalid_input) naming the file, the line, the key and the entry's index.

#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/toml_tree.hpp"

namespace sm::core {

// node: the value of prefix ("execute.checks"), an array of tables; where:
// "file:line: 'execute.checks'". Every entry needs a name unique in the list
// and exactly one of sql (a string) and command (a non-empty array of strings).
std::vector<PostDeployCheck> read_checks(const TomlNode& node, const std::string& where,
                                         const std::string& file, const std::string& prefix);

}  // namespace sm::core
