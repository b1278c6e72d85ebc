#pragma once
// Small file-system helpers: whole-file reads, atomic writes, temporary directories.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sm::util {

// Reads a whole file as bytes. Throws sm::Error (invalid_input) naming the path
// when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Reads a whole file, or std::nullopt when it does not exist or cannot be read.
std::optional<std::string> read_file_if_exists(const std::filesystem::path& path);

// Writes through a temporary name in the same directory, fsyncs the file, renames
// it over the target and fsyncs the directory, so readers see the old or the new
// content and never a torn file. mode is applied to the new file.
// Throws sm::Error naming the path on any failure.
void write_file_atomic(const std::filesystem::path& path, const std::string& content,
                       std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write |
                                                     std::filesystem::perms::group_read |
                                                     std::filesystem::perms::others_read);

// A fresh directory under the system temporary directory, removed with
// everything in it when the object is destroyed (unless release() was called).
class TempDir {
  public:
    explicit TempDir(const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    // Keeps the directory on destruction and returns its path.
    std::filesystem::path release();

  private:
    std::filesystem::path m_path;
    bool m_keep = false;
};

// Creates a private directory (mode 0700) with a unique name under parent.
std::filesystem::path make_unique_dir(const std::filesystem::path& parent,
                                      const std::string& prefix);

// Renames from to to (same file system) and fsyncs to's parent directory, so
// the rename survives a crash. Throws sm::Error naming both paths on failure.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

// Bytes available to an unprivileged user on the file system holding path.
// Throws sm::Error naming the path when it cannot be queried.
uint64_t free_bytes(const std::filesystem::path& path);

}  // namespace sm::util
