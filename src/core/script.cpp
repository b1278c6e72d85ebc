#include "core/script.hpp"

#include <algorithm>

namespace sm::core {

std::vector<std::string> Script::tables() const {
    std::vector<std::string> out;
    for (const auto& statement : statements) {
        for (const auto& table : statement.tables) {
            if (std::find(out.begin(), out.end(), table) == out.end()) {
                out.push_back(table);
            }
        }
    }
    return out;
}

}  // namespace sm::core
