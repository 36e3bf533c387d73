// Usage receipts: the agent that measured a task's usage signs it (Ed25519, its own key), the
// control plane verifies it on arrival against the key the site's agent registered, and the
// signed text is kept with the usage record so that `suanwang ledger verify` can check it
// again later. A provider cannot later deny what its agent reported, and nobody between the
// agent and the ledger can change it unnoticed.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace suanwang {

struct UsageReceipt {
  std::string site;
  uint64_t job = 0;
  int task = 0;
  uint64_t attempt = 1;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t peak_memory_kib = 0;
  int64_t end_ms = 0;  // the agent's clock
};

// The signed text: "usage-v1 site=S job=J task=T attempt=A cpu_ms=C wall_ms=W
// peak_memory_kib=M end_ms=E" (one line, single spaces; site ids hold no spaces).
std::string ReceiptText(const UsageReceipt& receipt);
// Errors: kInvalidArgument when `text` is not in that form.
Result<UsageReceipt> ParseReceiptText(const std::string& text);

// Hex signature of ReceiptText(receipt). Errors: kInvalidArgument for a malformed secret key.
Result<std::string> SignReceipt(const std::string& secret_key_hex, const UsageReceipt& receipt);
// Errors: kInvalidArgument for a malformed key; kPermissionDenied when the signature does not
// verify (tampered, or signed by another key).
Result<void> VerifyReceiptText(const std::string& public_key_hex, const std::string& text, const std::string& signature_hex);

}  // namespace suanwang
