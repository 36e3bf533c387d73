#include "security/usage_receipt.h"

#include <sodium.h>

#include <cstdio>

#include "security/hex.h"

namespace suanwang {
std::string ReceiptText(const UsageReceipt& r) {
  char tail[256];
  std::snprintf(tail, sizeof tail, " job=%llu task=%d attempt=%llu cpu_ms=%lld wall_ms=%lld peak_memory_kib=%lld end_ms=%lld",
                static_cast<unsigned long long>(r.job), r.task, static_cast<unsigned long long>(r.attempt),
                static_cast<long long>(r.cpu_ms), static_cast<long long>(r.wall_ms),
                static_cast<long long>(r.peak_memory_kib), static_cast<long long>(r.end_ms));
  return "usage-v1 site=" + r.site + tail;
}

Result<UsageReceipt> ParseReceiptText(const std::string& text) {
  UsageReceipt r;
  char site[128];
  unsigned long long job = 0, attempt = 0;
  long long cpu = 0, wall = 0, mem = 0, end = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(),
                  "usage-v1 site=%127s job=%llu task=%d attempt=%llu cpu_ms=%lld wall_ms=%lld peak_memory_kib=%lld "
                  "end_ms=%lld%n",
                  site, &job, &r.task, &attempt, &cpu, &wall, &mem, &end, &consumed) != 8 ||
      static_cast<size_t>(consumed) != text.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "usage receipt '" + text + "' is not a usage-v1 receipt");
  }
  r.site = site;
  r.job = job;
  r.attempt = attempt;
  r.cpu_ms = cpu;
  r.wall_ms = wall;
  r.peak_memory_kib = mem;
  r.end_ms = end;
  return r;
}

Result<std::string> SignReceipt(const std::string& secret_key_hex, const UsageReceipt& receipt) {
  static const int ready = sodium_init();
  (void)ready;
  std::string secret;
  if (!hex::Decode(secret_key_hex, crypto_sign_SECRETKEYBYTES, secret)) {
    return MakeError(ErrorCode::kInvalidArgument, "usage receipt key: not an Ed25519 secret key (128 hex characters)");
  }
  const std::string text = ReceiptText(receipt);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       reinterpret_cast<const unsigned char*>(secret.data()));
  return hex::Encode(sig, sizeof sig);
}

Result<void> VerifyReceiptText(const std::string& public_key_hex, const std::string& text, const std::string& signature_hex) {
  static const int ready = sodium_init();
  (void)ready;
  std::string pk, sig;
  if (!hex::Decode(public_key_hex, crypto_sign_PUBLICKEYBYTES, pk)) {
    return MakeError(ErrorCode::kInvalidArgument, "usage receipt key '" + public_key_hex + "' is not an Ed25519 public key");
  }
  if (!hex::Decode(signature_hex, crypto_sign_BYTES, sig) ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                  reinterpret_cast<const unsigned char*>(pk.data())) != 0) {
    return MakeError(ErrorCode::kPermissionDenied, "usage receipt '" + text + "': the signature does not verify");
  }
  return {};
}

}  // namespace suanwang
