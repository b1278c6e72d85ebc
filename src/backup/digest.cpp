#include "backup/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace sm::backup {

struct Sha256Stream::State {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256Stream::Sha256Stream() : m_state(std::make_unique<State>()) {
    if (m_state->ctx == nullptr || EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("cannot initialize SHA-256");
    }
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(std::string_view bytes) {
    EVP_DigestUpdate(m_state->ctx, bytes.data(), bytes.size());
}

std::string Sha256Stream::hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(m_state->ctx, digest.data(), &size);
    EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr);
    static const char* k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 15];
    }
    return out;
}

std::string md5_base64(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_md5(), nullptr);
    std::array<unsigned char, 64> encoded{};
    int n = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(size));
    return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(n));
}

}  // namespace sm::backup
