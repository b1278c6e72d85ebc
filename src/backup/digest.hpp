#pragma once
// Digests for object storage: a SHA-256 fed as bytes stream by (downloads are
// checked without a second read) and the base64 MD5 a Content-MD5 header carries.

#include <memory>
#include <string>
#include <string_view>

namespace sm::backup {

class Sha256Stream {
  public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;
    void update(std::string_view bytes);
    // Lowercase hex of everything fed so far; the stream starts over.
    std::string hex();

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

// base64 of the MD5 of bytes (the Content-MD5 header's value).
std::string md5_base64(std::string_view bytes);

}  // namespace sm::backup
