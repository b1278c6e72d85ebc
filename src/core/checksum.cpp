#include "core/checksum.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::core {

std::string normalize_for_checksum(std::string_view bytes) {
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
        bytes.remove_prefix(3);
    }
    std::string out;
    out.reserve(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') {
            continue;
        }
        out += bytes[i];
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw Error(ExitCode::failure, "sha-256 computation failed in openssl");
    }
    return util::to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string sha256_file(const std::filesystem::path& path, int64_t* bytes_read) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
        throw Error(ExitCode::failure, "cannot read " + path.string());
    }
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        throw Error(ExitCode::failure, "sha-256 computation failed in openssl");
    }
    std::vector<char> buffer(1 << 20);
    int64_t total = 0;
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
        EVP_DigestUpdate(ctx.get(), buffer.data(), n);
        total += static_cast<int64_t>(n);
    }
    if (std::ferror(file.get()) != 0) {
        throw Error(ExitCode::failure, "cannot read " + path.string());
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &length);
    if (bytes_read != nullptr) {
        *bytes_read = total;
    }
    return util::to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string migration_checksum(std::string_view bytes) {
    return sha256_hex(normalize_for_checksum(bytes));
}

}  // namespace sm::core
