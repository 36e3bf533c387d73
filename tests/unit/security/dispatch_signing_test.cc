#include "security/dispatch_signing.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

class DispatchSigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = GenerateSigningKey();
    auto signer = DispatchSigner::Create(key_.secret_key_hex);
    ASSERT_TRUE(signer);
    signer_ = std::move(*signer);
    auto verifier = DispatchVerifier::Create(key_.public_key_hex, "zw-1", 0);
    ASSERT_TRUE(verifier);
    verifier_ = std::move(*verifier);
  }
  SigningKey key_;
  DispatchSigner signer_ = *DispatchSigner::Create(std::string(128, '0'));
  DispatchVerifier verifier_ = *DispatchVerifier::Create(std::string(64, '0'), "", 0);
};

TEST_F(DispatchSigningTest, AcceptsSignedCommandsInOrder) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    auto ok = verifier_.Accept(signer_.Sign("zw-1", seq, "{\"start\":" + std::to_string(seq) + "}"));
    ASSERT_TRUE(ok) << ok.error().message;
  }
  EXPECT_EQ(verifier_.last_seq(), 3u);
}

TEST_F(DispatchSigningTest, RejectsTamperedPayloadSiteOrSequence) {
  SignedCommand c = signer_.Sign("zw-1", 1, "{\"start\":\"job/7\"}");
  SignedCommand payload = c;
  payload.payload = "{\"start\":\"job/8\"}";
  SignedCommand seq = c;
  seq.seq = 2;
  for (const SignedCommand& bad : {payload, seq}) {
    auto r = verifier_.Accept(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(r.error().message, "bad signature: command altered or not from the control plane");
  }
  SignedCommand flipped = c;
  flipped.signature[10] = flipped.signature[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(verifier_.Accept(flipped).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(verifier_.last_seq(), 0u);  // nothing accepted
  EXPECT_TRUE(verifier_.Accept(c));
}

TEST_F(DispatchSigningTest, RejectsUnsignedForeignAndMisroutedCommands) {
  SignedCommand unsigned_command{"zw-1", 1, "{}", ""};
  EXPECT_EQ(verifier_.Accept(unsigned_command).error().message, "unsigned command rejected");
  SignedCommand garbage{"zw-1", 1, "{}", "xyz"};
  EXPECT_EQ(verifier_.Accept(garbage).error().message, "malformed signature rejected");
  auto other = DispatchSigner::Create(GenerateSigningKey().secret_key_hex);
  EXPECT_EQ(verifier_.Accept(other->Sign("zw-1", 1, "{}")).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(verifier_.Accept(signer_.Sign("sh-edge", 1, "{}")).error().message,
            "command for site 'sh-edge' rejected by site 'zw-1'");
}

TEST_F(DispatchSigningTest, RejectsReplayedAndReorderedCommands) {
  SignedCommand first = signer_.Sign("zw-1", 1, "a"), second = signer_.Sign("zw-1", 2, "b"),
                third = signer_.Sign("zw-1", 3, "c");
  ASSERT_TRUE(verifier_.Accept(first));
  auto replay = verifier_.Accept(first);
  EXPECT_EQ(replay.error().code, ErrorCode::kConflict);
  EXPECT_EQ(replay.error().message, "replayed command: sequence 1 already seen (last 1)");
  auto skipped = verifier_.Accept(third);
  EXPECT_EQ(skipped.error().message, "out-of-order command: sequence 3, expected 2");
  ASSERT_TRUE(verifier_.Accept(second));
  ASSERT_TRUE(verifier_.Accept(third));
  // An agent restarted with its persisted counter keeps rejecting old commands.
  auto restarted = DispatchVerifier::Create(key_.public_key_hex, "zw-1", 3);
  EXPECT_EQ(restarted->Accept(second).error().code, ErrorCode::kConflict);
}

TEST(DispatchKeysTest, MalformedKeysAreErrors) {
  EXPECT_EQ(DispatchSigner::Create("abc").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(DispatchVerifier::Create("zz", "s", 0).error().message, "server public key: expected 64 hex characters");
  SigningKey a = GenerateSigningKey(), b = GenerateSigningKey();
  EXPECT_NE(a.public_key_hex, b.public_key_hex);
  EXPECT_EQ(a.public_key_hex.size(), 64u);
  EXPECT_EQ(a.secret_key_hex.size(), 128u);
}

}  // namespace
}  // namespace suanwang
