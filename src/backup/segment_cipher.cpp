#include "backup/segment_cipher.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <vector>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::string_view k_cipher_magic = "SMBKCRYP";
constexpr unsigned char k_cipher_version = 1;
constexpr unsigned char k_cipher_aes256gcm = 1;
constexpr size_t k_salt_offset = 16;
constexpr size_t k_salt_bytes = 32;
constexpr size_t k_check_offset = 48;
constexpr size_t k_check_bytes = 16;
constexpr size_t k_nonce_bytes = 12;
// A header may not ask a reader for more memory than this per segment.
constexpr size_t k_max_segment_bytes = size_t{64} << 20;

[[noreturn]] void cipher_fail(const std::string& what) {
    throw Error(ExitCode::backup_failed, what);
}

std::string hex_of(const unsigned char* data, size_t size) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        out += k_digits[data[i] >> 4];
        out += k_digits[data[i] & 0x0f];
    }
    return out;
}

void put_be(unsigned char* at, uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        at[i] = static_cast<unsigned char>(value & 0xff);
        value >>= 8;
    }
}

uint64_t get_be(const unsigned char* at, int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
        value = (value << 8) | at[i];
    }
    return value;
}

// HKDF-SHA256(key, salt, info), size bytes.
Bytes hkdf(std::string_view key, const unsigned char* salt, size_t salt_size, std::string_view info,
           size_t size) {
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free);
    Bytes out(size);
    size_t length = size;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt, static_cast<int>(salt_size)) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                   static_cast<int>(key.size())) <= 0 ||
        EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(info.data()),
                                    static_cast<int>(info.size())) <= 0 ||
        EVP_PKEY_derive(ctx.get(), out.data(), &length) <= 0 || length != size) {
        cipher_fail("key derivation (HKDF-SHA256) failed in OpenSSL");
    }
    return out;
}

void require_key_size(std::string_view key) {
    if (key.size() != k_key_bytes) {
        cipher_fail("an encryption key must be " + std::to_string(k_key_bytes) + " bytes");
    }
}

// One file's keys: the AES key for its segments and the key check stored in
// its header.
struct FileKeys {
    Bytes aes;
    Bytes check;
};

FileKeys derive_file_keys(std::string_view key, const unsigned char* salt) {
    return {hkdf(key, salt, k_salt_bytes, "safe-migrate backup file key v1", k_key_bytes),
            hkdf(key, salt, k_salt_bytes, "safe-migrate backup key check v1", k_check_bytes)};
}

// AES-256-GCM over one segment at a time; the header goes into every tag.
class SegmentSealer {
  public:
    SegmentSealer(Bytes key, Bytes header, bool encrypt)
        : m_ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free),
          m_key(std::move(key)),
          m_header(std::move(header)),
          m_encrypt(encrypt) {
        if (!m_ctx || EVP_CipherInit_ex(m_ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr,
                                        m_encrypt ? 1 : 0) != 1) {
            cipher_fail("AES-256-GCM is not available in OpenSSL");
        }
    }

    // Encrypts (or decrypts and authenticates) in into out, both size bytes;
    // tag is written (encrypt) or checked (decrypt). False when the tag does
    // not authenticate the segment.
    bool run(uint64_t index, bool final, const unsigned char* in, size_t size, unsigned char* out,
             unsigned char* tag) {
        std::array<unsigned char, k_nonce_bytes> nonce{};
        put_be(nonce.data() + 4, index, 8);
        std::array<unsigned char, 9> position{};
        put_be(position.data(), index, 8);
        position[8] = final ? 1 : 0;
        EVP_CIPHER_CTX* c = m_ctx.get();
        int n = 0;
        if (EVP_CipherInit_ex(c, nullptr, nullptr, m_key.data(), nonce.data(), -1) != 1 ||
            EVP_CipherUpdate(c, nullptr, &n, m_header.data(), static_cast<int>(m_header.size())) !=
                1 ||
            EVP_CipherUpdate(c, nullptr, &n, position.data(), static_cast<int>(position.size())) !=
                1 ||
            (size > 0 && EVP_CipherUpdate(c, out, &n, in, static_cast<int>(size)) != 1)) {
            cipher_fail("AES-256-GCM failed in OpenSSL");
        }
        if (!m_encrypt &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_bytes), tag) != 1) {
            cipher_fail("AES-256-GCM failed in OpenSSL");
        }
        if (EVP_CipherFinal_ex(c, out + size, &n) != 1) {
            return false;  // decrypting: the tag does not match
        }
        if (m_encrypt &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_bytes), tag) != 1) {
            cipher_fail("AES-256-GCM failed in OpenSSL");
        }
        return true;
    }

  private:
    std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> m_ctx;
    Bytes m_key;
    Bytes m_header;
    bool m_encrypt;
};

// SHA-256 of what passes through, for the manifest.
class StreamHash {
  public:
    StreamHash() : m_ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
        if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
            cipher_fail("SHA-256 is not available in OpenSSL");
        }
    }
    void add(const unsigned char* data, size_t size) {
        if (EVP_DigestUpdate(m_ctx.get(), data, size) != 1) {
            cipher_fail("SHA-256 failed in OpenSSL");
        }
    }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int length = 0;
        if (EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &length) != 1) {
            cipher_fail("SHA-256 failed in OpenSSL");
        }
        return hex_of(digest.data(), length);
    }

  private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> m_ctx;
};

// Reads up to size bytes (fewer only at the end of in).
size_t read_up_to(std::istream& in, unsigned char* into, size_t size) {
    in.read(reinterpret_cast<char*>(into), static_cast<std::streamsize>(size));
    return static_cast<size_t>(in.gcount());
}

bool at_end(std::istream& in) {
    return in.peek() == std::char_traits<char>::eof();
}

// Writes to out; what is written is counted and hashed (sealed may be null).
void write_out(std::ostream& out, const unsigned char* data, size_t size, StreamHash* hash,
               SealedFile* sealed) {
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
        cipher_fail("write failed");
    }
    if (hash) {
        hash->add(data, size);
    }
    if (sealed) {
        sealed->bytes += static_cast<int64_t>(size);
    }
}

Bytes new_header(size_t segment_bytes, Bytes& salt) {
    Bytes header(k_cipher_header_bytes, 0);
    std::copy(k_cipher_magic.begin(), k_cipher_magic.end(), header.begin());
    header[8] = k_cipher_version;
    header[9] = k_cipher_aes256gcm;
    put_be(header.data() + 12, segment_bytes, 4);
    salt.resize(k_salt_bytes);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        cipher_fail("OpenSSL could not provide random bytes");
    }
    std::copy(salt.begin(), salt.end(), header.begin() + k_salt_offset);
    return header;
}

// Reads and checks a header; returns its segment size and the file's keys.
std::pair<size_t, FileKeys> open_header(std::istream& in, std::string_view key, Bytes& header,
                                        const std::string& name) {
    header.assign(k_cipher_header_bytes, 0);
    size_t got = read_up_to(in, header.data(), header.size());
    if (got < header.size() ||
        !std::equal(k_cipher_magic.begin(), k_cipher_magic.end(), header.begin())) {
        cipher_fail(name + ": not an encrypted backup file (no safe-migrate encryption header)");
    }
    if (header[8] != k_cipher_version || header[9] != k_cipher_aes256gcm) {
        cipher_fail(name + ": unknown encryption format (version " + std::to_string(header[8]) +
                    ", cipher " + std::to_string(header[9]) + ")");
    }
    auto segment = static_cast<size_t>(get_be(header.data() + 12, 4));
    if (segment < k_tag_bytes || segment > k_max_segment_bytes) {
        cipher_fail(name + ": damaged encryption header (segment size " + std::to_string(segment) +
                    ")");
    }
    FileKeys keys = derive_file_keys(key, header.data() + k_salt_offset);
    if (!std::equal(keys.check.begin(), keys.check.end(), header.begin() + k_check_offset)) {
        // The header is authenticated by every tag: a changed check value
        // fails there too, so this is a wrong key or a damaged header.
        cipher_fail(name + ": encrypted with another key (or its header is damaged)");
    }
    return {segment, std::move(keys)};
}

}  // namespace

std::string key_fingerprint(std::string_view key) {
    constexpr std::string_view k_label = "safe-migrate backup key fingerprint v1";
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(k_label.data()), k_label.size(), mac.data(),
             &mac_length) == nullptr) {
        cipher_fail("HMAC-SHA256 failed in OpenSSL");
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(mac.data(), mac_length, digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        cipher_fail("SHA-256 failed in OpenSSL");
    }
    return hex_of(digest.data(), length);
}

SealedFile encrypt_stream(std::istream& in, std::ostream& out, std::string_view key,
                          size_t segment_bytes) {
    require_key_size(key);
    if (segment_bytes < k_tag_bytes || segment_bytes > k_max_segment_bytes) {
        cipher_fail("segment size " + std::to_string(segment_bytes) + " is out of range");
    }
    Bytes salt;
    Bytes header = new_header(segment_bytes, salt);
    FileKeys keys = derive_file_keys(key, salt.data());
    std::copy(keys.check.begin(), keys.check.end(), header.begin() + k_check_offset);
    SegmentSealer sealer(std::move(keys.aes), header, true);
    StreamHash hash;
    SealedFile sealed;
    write_out(out, header.data(), header.size(), &hash, &sealed);
    Bytes plain(segment_bytes);
    Bytes sealed_segment(segment_bytes + k_tag_bytes);
    for (uint64_t index = 0;; ++index) {
        size_t got = read_up_to(in, plain.data(), plain.size());
        if (in.bad()) {
            cipher_fail("read failed");
        }
        bool final = got < plain.size() || at_end(in);
        sealer.run(index, final, plain.data(), got, sealed_segment.data(),
                   sealed_segment.data() + got);
        write_out(out, sealed_segment.data(), got + k_tag_bytes, &hash, &sealed);
        if (final) {
            break;
        }
    }
    out.flush();
    if (!out) {
        cipher_fail("write failed");
    }
    sealed.sha256 = hash.hex();
    return sealed;
}

int64_t decrypt_stream(std::istream& in, std::ostream* out, std::string_view key,
                       const std::string& name) {
    require_key_size(key);
    Bytes header;
    auto [segment_bytes, keys] = open_header(in, key, header, name);
    SegmentSealer opener(std::move(keys.aes), header, false);
    Bytes sealed(segment_bytes + k_tag_bytes);
    Bytes plain(segment_bytes);
    int64_t total = 0;
    for (uint64_t index = 0;; ++index) {
        size_t got = read_up_to(in, sealed.data(), sealed.size());
        if (in.bad()) {
            cipher_fail(name + ": read failed");
        }
        if (got < k_tag_bytes) {
            cipher_fail(name + ": truncated (segment " + std::to_string(index) + " is incomplete)");
        }
        bool final = got < sealed.size() || at_end(in);
        size_t size = got - k_tag_bytes;
        if (!opener.run(index, final, sealed.data(), size, plain.data(), sealed.data() + size)) {
            cipher_fail(name + ": segment " + std::to_string(index) +
                        " failed authentication (the file was changed, truncated, reordered or "
                        "written with another key)");
        }
        if (out) {
            write_out(*out, plain.data(), size, nullptr, nullptr);
        }
        total += static_cast<int64_t>(size);
        if (final) {
            return total;
        }
    }
}

SealedFile encrypt_file(const fs::path& from, const fs::path& to, std::string_view key) {
    std::ifstream in(from, std::ios::binary);
    if (!in) {
        cipher_fail("cannot read " + from.string());
    }
    try {
        std::ofstream out(to, std::ios::binary | std::ios::trunc);
        if (!out) {
            cipher_fail("cannot write " + to.string());
        }
        fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        return encrypt_stream(in, out, key);
    } catch (const std::exception& e) {
        std::error_code ignored;
        fs::remove(to, ignored);
        throw Error(ExitCode::backup_failed, "encrypting " + from.string() + ": " + e.what());
    }
}

void decrypt_file(const fs::path& from, const fs::path& to, std::string_view key,
                  const std::string& name) {
    std::ifstream in(from, std::ios::binary);
    if (!in) {
        cipher_fail(name + ": cannot read " + from.string());
    }
    try {
        std::ofstream out(to, std::ios::binary | std::ios::trunc);
        if (!out) {
            cipher_fail(name + ": cannot write " + to.string());
        }
        fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        decrypt_stream(in, &out, key, name);
        out.close();
        if (!out) {
            cipher_fail(name + ": cannot write " + to.string());
        }
    } catch (...) {
        std::error_code ignored;
        fs::remove(to, ignored);
        throw;
    }
}

int64_t check_file(const fs::path& from, std::string_view key, const std::string& name) {
    std::ifstream in(from, std::ios::binary);
    if (!in) {
        cipher_fail(name + ": cannot read " + from.string());
    }
    return decrypt_stream(in, nullptr, key, name);
}

}  // namespace sm::backup
