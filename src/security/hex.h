// Hex <-> bytes for keys and signatures (libsodium's codecs), shared inside security/.
#pragma once

#include <sodium.h>

#include <string>

namespace suanwang::hex {

inline std::string Encode(const unsigned char* data, size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

// Exactly `bytes` bytes from `hex` into `out`; false when it is not that many hex digits.
inline bool Decode(const std::string& hex, size_t bytes, std::string& out) {
  out.assign(bytes, '\0');
  size_t len = 0;
  return hex.size() == 2 * bytes &&
         sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), bytes, hex.data(), hex.size(), nullptr, &len,
                        nullptr) == 0 &&
         len == bytes;
}

}  // namespace suanwang::hex
