#include "util/files.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "util/error.hpp"

namespace sm::util {
namespace {

std::string errno_text() {
    return std::strerror(errno);
}

void fsync_path(const std::filesystem::path& path, int flags) {
    int fd = ::open(path.c_str(), flags);
    if (fd < 0) {
        throw Error(ExitCode::failure, "cannot open " + path.string() + ": " + errno_text());
    }
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) {
        throw Error(ExitCode::failure, "cannot fsync " + path.string() + ": " + errno_text());
    }
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ExitCode::invalid_input, "cannot read " + path.string() + ": " + errno_text());
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::optional<std::string> read_file_if_exists(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_file_atomic(const std::filesystem::path& path, const std::string& content,
                       std::filesystem::perms mode) {
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::string pattern = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) {
        throw Error(ExitCode::failure,
                    "cannot create a file in " + dir.string() + ": " + errno_text());
    }
    std::filesystem::path temp(name.data());
    const char* data = content.data();
    size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            std::string why = errno_text();
            ::close(fd);
            std::filesystem::remove(temp);
            throw Error(ExitCode::failure, "cannot write " + path.string() + ": " + why);
        }
        data += n;
        left -= static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        std::string why = errno_text();
        ::close(fd);
        std::filesystem::remove(temp);
        throw Error(ExitCode::failure, "cannot fsync " + path.string() + ": " + why);
    }
    ::close(fd);
    std::filesystem::permissions(temp, mode);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        std::string why = errno_text();
        std::filesystem::remove(temp);
        throw Error(ExitCode::failure, "cannot rename into " + path.string() + ": " + why);
    }
    fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

std::filesystem::path make_unique_dir(const std::filesystem::path& parent,
                                      const std::string& prefix) {
    std::string pattern = (parent / (prefix + "-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) {
        throw Error(ExitCode::failure,
                    "cannot create a directory in " + parent.string() + ": " + errno_text());
    }
    return std::filesystem::path(name.data());
}

TempDir::TempDir(const std::string& prefix)
    : m_path(make_unique_dir(std::filesystem::temp_directory_path(), prefix)) {}

TempDir::~TempDir() {
    if (!m_keep) {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
}

std::filesystem::path TempDir::release() {
    m_keep = true;
    return m_path;
}

void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        throw Error(ExitCode::failure,
                    "cannot rename " + from.string() + " to " + to.string() + ": " + errno_text());
    }
    auto dir = to.parent_path().empty() ? std::filesystem::path(".") : to.parent_path();
    fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

uint64_t free_bytes(const std::filesystem::path& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) {
        throw Error(ExitCode::failure,
                    "cannot read free space of " + path.string() + ": " + errno_text());
    }
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace sm::util
