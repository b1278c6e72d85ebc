// Unit tests for src/backup/segment_cipher.{hpp,cpp}: AES-256-GCM in
// authenticated segments. Round trips at the sizes that matter (empty, one
// byte short of, exactly and just past a segment boundary), and every way a
// stored file can go wrong: wrong key, a changed byte, a cut file (inside a
// segment and between segments), reordered or appended segments, a changed
// header.

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>

#include "backup/segment_cipher.hpp"
#include "core/checksum.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_segment_cipher_test {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using sm::backup::check_file;
using sm::backup::decrypt_file;
using sm::backup::decrypt_stream;
using sm::backup::encrypt_file;
using sm::backup::encrypt_stream;
using sm::backup::k_cipher_header_bytes;
using sm::backup::k_segment_bytes;
using sm::backup::k_tag_bytes;
using sm::backup::key_fingerprint;
using sm_test::capture_error;
using sm_test::TempTree;

namespace {

const char* const k_key = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";        // 32 bytes
const char* const k_other_key = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";  // 32 bytes

std::string random_bytes(size_t size, unsigned seed) {
    std::mt19937 gen(seed);
    std::string out(size, '\0');
    for (auto& c : out) {
        c = static_cast<char>(gen() & 0xff);
    }
    return out;
}

std::string seal(const std::string& plain, size_t segment = k_segment_bytes,
                 const std::string& key = k_key) {
    std::istringstream in(plain);
    std::ostringstream out;
    encrypt_stream(in, out, key, segment);
    return out.str();
}

std::string open(const std::string& sealed, const std::string& key = k_key) {
    std::istringstream in(sealed);
    std::ostringstream out;
    decrypt_stream(in, &out, key, "archive/toc.dat");
    return out.str();
}

std::string open_error(const std::string& sealed, const std::string& key = k_key) {
    return capture_error([&] { open(sealed, key); }).what();
}

}  // namespace

TEST_CASE("segment cipher: round trips at segment boundaries", "[backup][cipher]") {
    for (size_t size : {size_t{0}, size_t{1}, k_segment_bytes - 1, k_segment_bytes,
                        k_segment_bytes + 1, 3 * k_segment_bytes}) {
        CAPTURE(size);
        std::string plain = random_bytes(size, static_cast<unsigned>(size));
        std::string sealed = seal(plain);
        size_t segments = size / k_segment_bytes + 1 - (size > 0 && size % k_segment_bytes == 0);
        CHECK(sealed.size() == k_cipher_header_bytes + size + segments * k_tag_bytes);
        CHECK(open(sealed) == plain);
    }
}

TEST_CASE("segment cipher: the same input never encrypts the same way twice", "[backup][cipher]") {
    std::string plain = random_bytes(1000, 1);
    std::string a = seal(plain);
    std::string b = seal(plain);
    CHECK(a != b);  // a fresh salt, so a fresh file key, per file
    CHECK(a.find(plain.substr(0, 64)) == std::string::npos);
    CHECK(open(a) == open(b));
}

TEST_CASE("segment cipher: a wrong key is told apart from a damaged file", "[backup][cipher]") {
    std::string sealed = seal(random_bytes(5000, 2), 1024);
    CHECK_THAT(open_error(sealed, k_other_key),
               Contains("archive/toc.dat: encrypted with another key"));
    auto e = capture_error([&] { open(sealed, k_other_key); });
    CHECK(e.code() == sm::ExitCode::backup_failed);
}

TEST_CASE("segment cipher: a changed byte names its segment and nothing of it is written",
          "[backup][cipher]") {
    const size_t segment = 1024;
    std::string plain = random_bytes(5 * segment, 3);
    std::string sealed = seal(plain, segment);
    // A byte in the third segment (index 2).
    sealed[k_cipher_header_bytes + 2 * (segment + k_tag_bytes) + 100] ^= 0x01;
    std::istringstream in(sealed);
    std::ostringstream out;
    auto e = capture_error([&] { decrypt_stream(in, &out, k_key, "archive/3365.dat.gz"); });
    CHECK_THAT(e.what(), Contains("archive/3365.dat.gz: segment 2 failed authentication"));
    // Only the two authenticated segments before it were handed on.
    CHECK(out.str() == plain.substr(0, 2 * segment));
}

TEST_CASE("segment cipher: a file cut anywhere fails", "[backup][cipher]") {
    const size_t segment = 1024;
    std::string sealed = seal(random_bytes(3 * segment + 10, 4), segment);
    const size_t stride = segment + k_tag_bytes;
    // Between segments: what is left is whole segments, none marked final.
    CHECK_THAT(open_error(sealed.substr(0, k_cipher_header_bytes + 2 * stride)),
               Contains("segment 1 failed authentication"));
    // Inside a segment.
    CHECK_THAT(open_error(sealed.substr(0, k_cipher_header_bytes + stride + 500)),
               Contains("segment 1 failed authentication"));
    // Inside a tag: fewer bytes than a tag are left.
    CHECK_THAT(open_error(sealed.substr(0, k_cipher_header_bytes + 3 * stride + 5)),
               Contains("truncated (segment 3 is incomplete)"));
    // Only the header.
    CHECK_THAT(open_error(sealed.substr(0, k_cipher_header_bytes)), Contains("truncated"));
    CHECK_THAT(open_error(sealed.substr(0, 10)), Contains("not an encrypted backup file"));
}

TEST_CASE("segment cipher: reordered, dropped and appended segments fail", "[backup][cipher]") {
    const size_t segment = 1024;
    std::string sealed = seal(random_bytes(4 * segment + 7, 5), segment);
    const size_t stride = segment + k_tag_bytes;
    std::string header = sealed.substr(0, k_cipher_header_bytes);
    auto seg = [&](size_t i) { return sealed.substr(k_cipher_header_bytes + i * stride, stride); };
    std::string tail = sealed.substr(k_cipher_header_bytes + 4 * stride);

    CHECK_THAT(open_error(header + seg(1) + seg(0) + seg(2) + seg(3) + tail),
               Contains("segment 0 failed authentication"));
    CHECK_THAT(open_error(header + seg(0) + seg(2) + seg(3) + tail),
               Contains("segment 1 failed authentication"));
    // A segment of another file encrypted with the same key and segment size.
    std::string other = seal(random_bytes(4 * segment + 7, 6), segment);
    CHECK_THAT(open_error(header + other.substr(k_cipher_header_bytes, stride) + seg(1) + seg(2) +
                          seg(3) + tail),
               Contains("segment 0 failed authentication"));
    // Appended data: the real final segment is no longer the last.
    CHECK_THAT(open_error(sealed + seg(0)), Contains("segment 4 failed authentication"));
}

TEST_CASE("segment cipher: a changed header fails", "[backup][cipher]") {
    std::string sealed = seal(random_bytes(3000, 7), 1024);
    std::string version = sealed;
    version[8] = 2;
    CHECK_THAT(open_error(version), Contains("unknown encryption format (version 2"));
    std::string salt = sealed;
    salt[20] ^= 0x01;  // another salt: another file key and key check
    CHECK_THAT(open_error(salt), Contains("encrypted with another key (or its header is damaged)"));
    std::string size = sealed;
    size[15] = 0x01;  // segment size 0x401 instead of 0x400: covered by every tag
    CHECK_THAT(open_error(size), Contains("failed authentication"));
}

TEST_CASE("segment cipher: files, fingerprints and key sizes", "[backup][cipher]") {
    TempTree tree("sm-cipher");
    std::string plain = random_bytes(k_segment_bytes * 2, 8);  // an exact multiple
    fs::path from = tree.write("plain.dat", plain);
    fs::path sealed = tree.path() / "sealed.dat";
    auto result = encrypt_file(from, sealed, k_key);
    CHECK(result.bytes == static_cast<int64_t>(fs::file_size(sealed)));
    CHECK(result.sha256 == sm::core::sha256_file(sealed));
    CHECK((fs::status(sealed).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(check_file(sealed, k_key, "x") == static_cast<int64_t>(plain.size()));

    fs::path back = tree.path() / "back.dat";
    decrypt_file(sealed, back, k_key, "x");
    CHECK(sm::core::sha256_file(back) == sm::core::sha256_file(from));

    // A failed decryption leaves no plaintext file behind.
    fs::path wrong = tree.path() / "wrong.dat";
    capture_error([&] { decrypt_file(sealed, wrong, k_other_key, "x"); });
    CHECK_FALSE(fs::exists(wrong));
    {
        auto damaged = seal(plain);
        damaged[damaged.size() - 100] ^= 0x10;  // in the last segment
        fs::path d = tree.write("damaged.dat", damaged);
        capture_error([&] { decrypt_file(d, wrong, k_key, "x"); });
        CHECK_FALSE(fs::exists(wrong));
    }

    // The fingerprint names the key without being a plain hash of it.
    CHECK(key_fingerprint(k_key).size() == 64);
    CHECK(key_fingerprint(k_key) == key_fingerprint(k_key));
    CHECK(key_fingerprint(k_key) != key_fingerprint(k_other_key));
    CHECK(key_fingerprint(k_key) != sm::core::sha256_hex(k_key));

    CHECK_THAT(capture_error([&] { seal("x", k_segment_bytes, "short"); }).what(),
               Contains("must be 32 bytes"));
}

}  // namespace backup_segment_cipher_test
