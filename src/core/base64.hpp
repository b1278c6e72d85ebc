#pragma once
// Standard base64 (RFC 4648, '+' and '/'), through OpenSSL: webhook signatures
// and signing secrets, backup encryption keys.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sm::core {

// base64 of size bytes at data, with padding.
std::string base64_encode(const unsigned char* data, size_t size);

// The bytes text stands for (padding optional). std::nullopt when text holds
// anything but base64 characters or is not well-formed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sm::core
