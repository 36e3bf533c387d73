#include <sodium.h>

#include <cstdio>

#include "store/store.h"

namespace suanwang {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string NewTokenSecret() {
  static const int ready = sodium_init();
  (void)ready;
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string("sw_") + hex;
}

std::string HashOfFields(std::initializer_list<std::string_view> fields) {
  std::string data;
  for (std::string_view s : fields) {
    data += std::to_string(s.size());
    data += ':';
    data += s;
  }
  return Sha256Hex(data);
}

std::string AuditHash(const AuditEntry& e) {
  return HashOfFields({e.prev_hash, std::to_string(e.seq), std::to_string(e.at_ms), e.actor, e.action, e.subject,
                       e.detail});
}

Result<void> VerifyAuditChain(const std::vector<AuditEntry>& entries, std::string_view first_prev_hash) {
  std::string prev(first_prev_hash);
  for (const AuditEntry& e : entries) {
    if (e.prev_hash != prev) {
      return MakeError(ErrorCode::kConflict, "audit entry " + std::to_string(e.seq) +
                                                 ": prev_hash does not match the previous entry's hash");
    }
    if (AuditHash(e) != e.hash) {
      return MakeError(ErrorCode::kConflict, "audit entry " + std::to_string(e.seq) +
                                                 ": hash does not match its contents (altered)");
    }
    prev = e.hash;
  }
  return {};
}

}  // namespace suanwang
