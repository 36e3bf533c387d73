// Usage receipts: signed by the agent's key, verified against it; any change to the usage or
// a signature by another key is refused.
#include "security/usage_receipt.h"

#include <gtest/gtest.h>

#include "security/dispatch_signing.h"

namespace suanwang {
namespace {

UsageReceipt Sample() { return UsageReceipt{"sh-edge", 42, 1, 2, 1234, 5678, 900, 1'700'000'000'000}; }

TEST(UsageReceipt, TextIsCanonicalAndParsesBack) {
  const std::string text = ReceiptText(Sample());
  EXPECT_EQ(text, "usage-v1 site=sh-edge job=42 task=1 attempt=2 cpu_ms=1234 wall_ms=5678 peak_memory_kib=900 "
                  "end_ms=1700000000000");
  auto back = ParseReceiptText(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(ReceiptText(*back), text);
  EXPECT_FALSE(ParseReceiptText(text + " extra"));
  EXPECT_FALSE(ParseReceiptText("usage-v2 site=x"));
}

TEST(UsageReceipt, SignedByTheAgentVerifiesAndNothingElseDoes) {
  const SigningKey agent = GenerateSigningKey(), other = GenerateSigningKey();
  auto signature = SignReceipt(agent.secret_key_hex, Sample());
  ASSERT_TRUE(signature) << signature.error().message;
  const std::string text = ReceiptText(Sample());
  EXPECT_TRUE(VerifyReceiptText(agent.public_key_hex, text, *signature));
  UsageReceipt less = Sample();
  less.wall_ms -= 1;  // a shorter run billed
  EXPECT_EQ(VerifyReceiptText(agent.public_key_hex, ReceiptText(less), *signature).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(VerifyReceiptText(other.public_key_hex, text, *signature).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(VerifyReceiptText(agent.public_key_hex, text, "00").error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(VerifyReceiptText("xyz", text, *signature).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignReceipt("short", Sample()).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace suanwang
