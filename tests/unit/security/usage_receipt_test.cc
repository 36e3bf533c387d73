// Usage receipts: signed by the agent's key, verified against it; any change to the usage or
// a signature by another key is refused.
#include "security/usage_receipt.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "security/dispatch_signing.h"

namespace suanwang {
namespace {

UsageReceipt Sample() {
  UsageReceipt r;
  r.site = "sh-edge";
  r.job = 42;
  r.task = 1;
  r.attempt = 2;
  r.event = "exited";
  r.end_ms = 1'700'000'000'000;
  r.exit_code = 3;
  r.cpu_ms = 1234;
  r.wall_ms = 5678;
  r.peak_memory_kib = 900;
  r.stdout_sha256 = Sha256Digest("out\n");
  r.stderr_sha256 = Sha256Digest("");
  r.error_sha256 = Sha256Digest("");
  return r;
}

TEST(UsageReceipt, TextIsCanonicalAndParsesBack) {
  const std::string text = ReceiptText(Sample());
  EXPECT_EQ(Sha256Digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(text, "report-v2 site=sh-edge job=42 task=1 attempt=2 event=exited end_ms=1700000000000 exit_code=3 signal=0 "
                  "killed=0 fenced=0 oom=0 cpu_ms=1234 wall_ms=5678 peak_memory_kib=900 stdout=" +
                      Sha256Digest("out\n") + " stderr=" + Sha256Digest("") + " error=" + Sha256Digest(""));
  auto back = ParseReceiptText(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(ReceiptText(*back), text);
  EXPECT_FALSE(ParseReceiptText(text + " extra"));
  EXPECT_FALSE(ParseReceiptText("usage-v1 site=x"));
  std::string short_digest = text;
  short_digest.pop_back();
  EXPECT_FALSE(ParseReceiptText(short_digest));
}

// Every field that changes state or money is covered: changing any of them breaks the signature.
TEST(UsageReceipt, CoversTheOutcomeAndTheOutputNotOnlyTheUsage) {
  const SigningKey agent = GenerateSigningKey();
  auto signature = SignReceipt(agent.secret_key_hex, Sample());
  ASSERT_TRUE(signature);
  const std::vector<std::function<void(UsageReceipt&)>> forgeries = {
      [](UsageReceipt& r) { r.exit_code = 0; },  // a failure turned into a success
      [](UsageReceipt& r) { r.signal = 9; },
      [](UsageReceipt& r) { r.killed = true; },
      [](UsageReceipt& r) { r.fenced = true; },
      [](UsageReceipt& r) { r.out_of_memory = true; },
      [](UsageReceipt& r) { r.event = "start_failed"; },
      [](UsageReceipt& r) { r.end_ms += 1; },
      [](UsageReceipt& r) { r.peak_memory_kib += 1; },
      [](UsageReceipt& r) { r.stdout_sha256 = Sha256Digest("forged output\n"); },
      [](UsageReceipt& r) { r.stderr_sha256 = Sha256Digest("x"); },
      [](UsageReceipt& r) { r.error_sha256 = Sha256Digest("x"); },
  };
  for (size_t i = 0; i < forgeries.size(); ++i) {
    UsageReceipt forged = Sample();
    forgeries[i](forged);
    EXPECT_EQ(VerifyReceiptText(agent.public_key_hex, ReceiptText(forged), *signature).error().code,
              ErrorCode::kPermissionDenied)
        << "forgery " << i << ": " << ReceiptText(forged);
  }
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
