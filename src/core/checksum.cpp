#include "core/checksum.hpp"

#include <openssl/evp.h>

#include <memory>

#include "core/error.hpp"
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

std::string migration_checksum(std::string_view bytes) {
    return sha256_hex(normalize_for_checksum(bytes));
}

}  // namespace sm::core
