#pragma once
// Where the checked-in fixtures are (SM_FIXTURES, set by tests/CMakeLists.txt
// for the unit and the integration tests alike).

#include <filesystem>

namespace sm::test {

// tests/fixtures/layouts: one project per other tool's layout, and the native equivalent.
inline std::filesystem::path layouts_dir() {
    return std::filesystem::path(SM_FIXTURES) / "layouts";
}

}  // namespace sm::test
