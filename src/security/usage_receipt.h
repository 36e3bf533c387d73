// Usage receipts: the agent that measured a task's usage signs it (Ed25519, its own key), the
// control plane verifies it on arrival against the key the site's agent registered, and the
// signed text is kept with the usage record so that `suanwang ledger verify` can check it
// again later. A provider cannot later deny what its agent reported, and nobody between the
// agent and the ledger can change it unnoticed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace suanwang {

// Everything in a task report that changes state or money: the agent signs all of it, so that
// nobody between the agent and the ledger (nor a party holding another credential) can turn a
// failure into a success, change the times or usage, or swap the output.
struct UsageReceipt {
  std::string site;
  uint64_t job = 0;
  int task = 0;
  uint64_t attempt = 1;
  std::string event;  // started, exited, start_failed
  int64_t end_ms = 0;  // when the agent reported it (the agent's clock)
  int exit_code = 0;
  int signal = 0;
  bool killed = false;
  bool fenced = false;
  bool out_of_memory = false;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t peak_memory_kib = 0;
  // SHA-256 (hex) of the output tails and of the error text the report carries.
  std::string stdout_sha256, stderr_sha256, error_sha256;
};

// Audit actions that pin a site's receipt key (detail: the key, hex): at the site's first
// registration, and when an operator rotates it. `ledger verify` accepts a usage record only
// when it was signed with a key pinned so for its site.
inline constexpr const char* kReceiptKeyPinned = "site.receipt_key.pin";
inline constexpr const char* kReceiptKeyRotated = "site.receipt_key.rotate";

// SHA-256 of `data`, lower-case hex.
std::string Sha256Digest(std::string_view data);

// The signed text, one line with single spaces (site ids hold no spaces):
// "report-v2 site=S job=J task=T attempt=A event=E end_ms=MS exit_code=C signal=G killed=0|1
//  fenced=0|1 oom=0|1 cpu_ms=C wall_ms=W peak_memory_kib=M stdout=HEX stderr=HEX error=HEX".
std::string ReceiptText(const UsageReceipt& receipt);
// Errors: kInvalidArgument when `text` is not in that form.
Result<UsageReceipt> ParseReceiptText(const std::string& text);

// Hex signature of ReceiptText(receipt). Errors: kInvalidArgument for a malformed secret key.
Result<std::string> SignReceipt(const std::string& secret_key_hex, const UsageReceipt& receipt);
// Errors: kInvalidArgument for a malformed key; kPermissionDenied when the signature does not
// verify (tampered, or signed by another key).
Result<void> VerifyReceiptText(const std::string& public_key_hex, const std::string& text, const std::string& signature_hex);

}  // namespace suanwang
