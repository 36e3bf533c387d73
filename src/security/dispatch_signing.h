// Signed dispatch: every command the control plane sends to a site agent is signed (Ed25519,
// libsodium) over the site, a per-site sequence number and the payload. The agent pins the
// server's public key and accepts a command only if the signature verifies, it is for this
// site, and its sequence number is exactly the next one: tampered, unsigned, replayed,
// reordered and misrouted commands are all rejected, each with the reason logged by the caller.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace suanwang {

struct SignedCommand {
  std::string site;
  uint64_t seq = 0;
  std::string payload;    // the command itself (JSON on the wire)
  std::string signature;  // hex, 128 characters; empty = unsigned
};

// A server key pair. The secret key never leaves the control plane.
struct SigningKey {
  std::string public_key_hex;  // 64 hex characters
  std::string secret_key_hex;  // 128 hex characters
};

// A fresh key pair from the system CSPRNG.
SigningKey GenerateSigningKey();

// What is signed: length-prefixed site | seq | payload, so that no two commands share bytes.
std::string SignedBytes(const SignedCommand& command);

class DispatchSigner {
 public:
  // Errors: kInvalidArgument for a malformed secret key.
  static Result<DispatchSigner> Create(const std::string& secret_key_hex);
  // Signs `payload` for `site` with the given sequence number (the caller persists the
  // per-site counter before sending, so a restart never reuses a number).
  SignedCommand Sign(const std::string& site, uint64_t seq, const std::string& payload) const;

 private:
  std::string secret_;  // binary
};

class DispatchVerifier {
 public:
  // `last_seq` is the last sequence number this agent accepted (0 before the first).
  // Errors: kInvalidArgument for a malformed public key.
  static Result<DispatchVerifier> Create(const std::string& public_key_hex, std::string site, uint64_t last_seq);

  // Accepts the command and advances the sequence, or says why not (kPermissionDenied for a
  // bad or missing signature or the wrong site; kConflict for a replayed or out-of-order
  // sequence number). A rejected command changes nothing.
  Result<void> Accept(const SignedCommand& command);
  uint64_t last_seq() const { return last_seq_; }

 private:
  std::string public_;  // binary
  std::string site_;
  uint64_t last_seq_ = 0;
};

}  // namespace suanwang
