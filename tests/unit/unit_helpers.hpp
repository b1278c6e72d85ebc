#pragma once
// Helpers shared by the unit tests: a private temporary directory and file writing.
// Each TempTree is a fresh directory under /tmp (mkdtemp), so tests can run as
// concurrent processes without stepping on each other.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sm_test {

class TempTree {
  public:
    explicit TempTree(const std::string& prefix = "sm-unit") {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (mkdtemp(buffer.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        m_path = buffer.data();
    }
    ~TempTree() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    const std::filesystem::path& path() const { return m_path; }

    // Writes bytes exactly as given (binary), creating parent directories.
    std::filesystem::path write(const std::string& relative, const std::string& bytes) const {
        std::filesystem::path p = m_path / relative;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            throw std::runtime_error("cannot write " + p.string());
        }
        return p;
    }

  private:
    std::filesystem::path m_path;
};

// Runs f, which must throw sm::Error; returns the error for inspection.
template <typename F>
sm::Error capture_error(F&& f) {
    try {
        f();
    } catch (const sm::Error& e) {
        return e;
    }
    FAIL("expected sm::Error to be thrown");
    throw std::logic_error("unreachable");
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace sm_test
