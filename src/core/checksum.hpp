#pragma once
// Migration checksums.
//
// The checksum is SHA-256 of the file's bytes after dropping a leading UTF-8 BOM
// and turning CRLF into LF, so the same migration checked out on Windows and on
// Linux has one checksum. The algorithm's name is stored beside every checksum;
// a stored checksum is never recomputed under a different algorithm.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace sm::core {

inline constexpr const char* k_checksum_algorithm = "sha256-lf-nobom";

// The bytes that get hashed: BOM dropped, CRLF -> LF.
std::string normalize_for_checksum(std::string_view bytes);

// Lowercase hex SHA-256 of normalize_for_checksum(bytes).
std::string migration_checksum(std::string_view bytes);

// Lowercase hex SHA-256 of bytes as they are.
std::string sha256_hex(std::string_view bytes);

// Lowercase hex SHA-256 of a file's bytes, read in 1 MiB blocks; the number
// of bytes read goes to bytes_read when given. Throws sm::Error naming the path
// when it cannot be read.
std::string sha256_file(const std::filesystem::path& path, int64_t* bytes_read = nullptr);

}  // namespace sm::core
