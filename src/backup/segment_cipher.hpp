#pragma once
// Encryption at rest for backup archive files: AES-256-GCM (OpenSSL EVP) in
// segments of 1 MiB, each sealed with its own nonce and tag, so a reader never
// hands on a byte whose segment it has not authenticated, memory stays bounded
// by one segment, and no nonce limit is ever reached.
//
// File layout (all integers big-endian):
//   header, 64 bytes: magic "SMBKCRYP", version (1), cipher (1 = AES-256-GCM),
//     2 reserved zero bytes, segment size (u32), a random 32-byte salt, and a
//     16-byte key check (HKDF of the key and salt: a wrong key is told apart
//     from a damaged file)
//   segments: ciphertext (segment size bytes; the last one shorter, possibly
//     empty) followed by its 16-byte tag.
// Each file has its own key, HKDF-SHA256(key, salt), so nonces never repeat
// across files; segment i's nonce is four zero bytes and i (u64). Every tag
// authenticates the header, the segment's index and whether it is the last
// one, so a changed header, reordered or dropped segments, a file cut at any
// byte (even between segments) and appended data all fail authentication.
// An empty file is one empty final segment.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>

namespace sm::backup {

inline constexpr const char* k_cipher_name = "aes-256-gcm";
inline constexpr size_t k_key_bytes = 32;
inline constexpr size_t k_segment_bytes = size_t{1} << 20;
inline constexpr size_t k_cipher_header_bytes = 64;
inline constexpr size_t k_tag_bytes = 16;

// What was written: size and lowercase hex SHA-256 of the encrypted bytes.
struct SealedFile {
    int64_t bytes = 0;
    std::string sha256;
};

// A fingerprint that names the key without revealing it: lowercase hex
// SHA-256 of HMAC-SHA256(key, "safe-migrate backup key fingerprint v1").
// key: k_key_bytes raw bytes.
std::string key_fingerprint(std::string_view key);

// Encrypts everything in to out in segments of segment_bytes (tests use small
// ones; at least 16 bytes). Throws sm::Error (backup_failed) when the key has
// the wrong size or the output cannot be written.
SealedFile encrypt_stream(std::istream& in, std::ostream& out, std::string_view key,
                          size_t segment_bytes = k_segment_bytes);

// Decrypts in to out (out may be null: authenticate only), writing each
// segment only after its tag was verified. Returns the plaintext size. Throws
// sm::Error (backup_failed) with a message that starts with name: not an
// encrypted file, unknown version or cipher, "encrypted with another key",
// "segment N failed authentication ...", "truncated ...". On a failure out
// may hold the verified segments before the bad one: callers discard it.
int64_t decrypt_stream(std::istream& in, std::ostream* out, std::string_view key,
                       const std::string& name);

// encrypt_stream from the file from to a new file to (owner read/write only).
// Throws sm::Error naming the file that cannot be read or written; to is
// removed on any failure.
SealedFile encrypt_file(const std::filesystem::path& from, const std::filesystem::path& to,
                        std::string_view key);

// decrypt_stream from the file from into a new file to (owner read/write
// only); to is removed on any failure, so no unauthenticated or partial
// plaintext is left behind. name is what errors call the file.
void decrypt_file(const std::filesystem::path& from, const std::filesystem::path& to,
                  std::string_view key, const std::string& name);

// Authenticates every segment of the file from without writing anything.
// Returns the plaintext size; throws like decrypt_stream.
int64_t check_file(const std::filesystem::path& from, std::string_view key,
                   const std::string& name);

}  // namespace sm::backup
