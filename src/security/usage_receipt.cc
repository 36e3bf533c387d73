#include "security/usage_receipt.h"

#include <sodium.h>

#include <cstdio>

#include "security/hex.h"

namespace suanwang {
namespace {

constexpr const char* kReceiptFormat =
    "report-v2 site=%127s job=%llu task=%d attempt=%llu event=%15s end_ms=%lld exit_code=%d signal=%d killed=%d "
    "fenced=%d oom=%d cpu_ms=%lld wall_ms=%lld peak_memory_kib=%lld stdout=%64s stderr=%64s error=%64s%n";

bool IsDigest(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string Sha256Digest(std::string_view data) {
  static const int ready = sodium_init();
  (void)ready;
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return hex::Encode(out, sizeof out);
}

std::string ReceiptText(const UsageReceipt& r) {
  char text[768];
  std::snprintf(text, sizeof text,
                " job=%llu task=%d attempt=%llu event=%s end_ms=%lld exit_code=%d signal=%d killed=%d fenced=%d oom=%d "
                "cpu_ms=%lld wall_ms=%lld peak_memory_kib=%lld stdout=%s stderr=%s error=%s",
                static_cast<unsigned long long>(r.job), r.task, static_cast<unsigned long long>(r.attempt),
                r.event.c_str(), static_cast<long long>(r.end_ms), r.exit_code, r.signal, r.killed ? 1 : 0,
                r.fenced ? 1 : 0, r.out_of_memory ? 1 : 0, static_cast<long long>(r.cpu_ms),
                static_cast<long long>(r.wall_ms), static_cast<long long>(r.peak_memory_kib), r.stdout_sha256.c_str(),
                r.stderr_sha256.c_str(), r.error_sha256.c_str());
  return "report-v2 site=" + r.site + text;
}

Result<UsageReceipt> ParseReceiptText(const std::string& text) {
  UsageReceipt r;
  char site[128], event[16], out[65], err[65], error[65];
  unsigned long long job = 0, attempt = 0;
  long long end = 0, cpu = 0, wall = 0, mem = 0;
  int killed = 0, fenced = 0, oom = 0, consumed = 0;
  const int n = std::sscanf(text.c_str(), kReceiptFormat, site, &job, &r.task, &attempt, event, &end, &r.exit_code,
                            &r.signal, &killed, &fenced, &oom, &cpu, &wall, &mem, out, err, error, &consumed);
  if (n != 17 || static_cast<size_t>(consumed) != text.size() || !IsDigest(out) || !IsDigest(err) || !IsDigest(error)) {
    return MakeError(ErrorCode::kInvalidArgument, "usage receipt '" + text.substr(0, 300) + "' is not a report-v2 receipt");
  }
  r.site = site;
  r.job = job;
  r.attempt = attempt;
  r.event = event;
  r.end_ms = end;
  r.killed = killed != 0;
  r.fenced = fenced != 0;
  r.out_of_memory = oom != 0;
  r.cpu_ms = cpu;
  r.wall_ms = wall;
  r.peak_memory_kib = mem;
  r.stdout_sha256 = out;
  r.stderr_sha256 = err;
  r.error_sha256 = error;
  if (ReceiptText(r) != text) {
    return MakeError(ErrorCode::kInvalidArgument, "usage receipt '" + text.substr(0, 300) + "' is not in canonical form");
  }
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
