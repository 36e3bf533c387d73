#include "security/dispatch_signing.h"

#include <sodium.h>

#include "security/hex.h"

namespace suanwang {
namespace {

void InitSodium() {
  static const int ready = sodium_init();
  (void)ready;
}

std::string Hex(const unsigned char* data, size_t n) { return hex::Encode(data, n); }

bool FromHex(const std::string& text, size_t bytes, std::string& out) { return hex::Decode(text, bytes, out); }

}  // namespace

SigningKey GenerateSigningKey() {
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  SigningKey key{Hex(pk, sizeof pk), Hex(sk, sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return key;
}

std::string SignedBytes(const SignedCommand& c) {
  std::string out;
  for (const std::string& field : {c.site, std::to_string(c.seq), c.payload}) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
  }
  return out;
}

Result<DispatchSigner> DispatchSigner::Create(const std::string& secret_key_hex) {
  InitSodium();
  DispatchSigner signer;
  if (!FromHex(secret_key_hex, crypto_sign_SECRETKEYBYTES, signer.secret_)) {
    return MakeError(ErrorCode::kInvalidArgument, "signing key: expected 128 hex characters");
  }
  return signer;
}

SignedCommand DispatchSigner::Sign(const std::string& site, uint64_t seq, const std::string& payload) const {
  SignedCommand c{site, seq, payload, ""};
  const std::string bytes = SignedBytes(c);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       reinterpret_cast<const unsigned char*>(secret_.data()));
  c.signature = Hex(sig, sizeof sig);
  return c;
}

Result<DispatchVerifier> DispatchVerifier::Create(const std::string& public_key_hex, std::string site,
                                                  uint64_t last_seq) {
  InitSodium();
  DispatchVerifier v;
  if (!FromHex(public_key_hex, crypto_sign_PUBLICKEYBYTES, v.public_)) {
    return MakeError(ErrorCode::kInvalidArgument, "server public key: expected 64 hex characters");
  }
  v.site_ = std::move(site);
  v.last_seq_ = last_seq;
  return v;
}

Result<void> DispatchVerifier::Accept(const SignedCommand& c) {
  if (c.signature.empty()) return MakeError(ErrorCode::kPermissionDenied, "unsigned command rejected");
  std::string sig;
  if (!FromHex(c.signature, crypto_sign_BYTES, sig)) {
    return MakeError(ErrorCode::kPermissionDenied, "malformed signature rejected");
  }
  const std::string bytes = SignedBytes(c);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                  reinterpret_cast<const unsigned char*>(public_.data())) != 0) {
    return MakeError(ErrorCode::kPermissionDenied, "bad signature: command altered or not from the control plane");
  }
  if (c.site != site_) {
    return MakeError(ErrorCode::kPermissionDenied, "command for site '" + c.site + "' rejected by site '" + site_ + "'");
  }
  if (c.seq <= last_seq_) {
    return MakeError(ErrorCode::kConflict, "replayed command: sequence " + std::to_string(c.seq) +
                                               " already seen (last " + std::to_string(last_seq_) + ")");
  }
  if (c.seq != last_seq_ + 1) {
    return MakeError(ErrorCode::kConflict, "out-of-order command: sequence " + std::to_string(c.seq) + ", expected " +
                                               std::to_string(last_seq_ + 1));
  }
  last_seq_ = c.seq;
  return {};
}

}  // namespace suanwang
