#include "core/base64.hpp"

#include <openssl/evp.h>

namespace sm::core {

std::string base64_encode(const unsigned char* data, size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<size_t>(n < 0 ? 0 : n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string padded(text);
    while (padded.size() % 4 != 0) {
        padded += '=';
    }
    for (char c : padded) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=';
        if (!ok) {
            return std::nullopt;
        }
    }
    std::string out(padded.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(padded.data()),
                            static_cast<int>(padded.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
    size_t pad = 0;
    if (!padded.empty() && padded.back() == '=') {
        pad = (padded.size() >= 2 && padded[padded.size() - 2] == '=') ? 2 : 1;
    }
    size_t length = static_cast<size_t>(n);
    out.resize(length >= pad ? length - pad : 0);
    return out;
}

}  // namespace sm::core
