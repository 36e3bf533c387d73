// The site protocol, both directions. The first byte picks what the rest is:
//   0  a dispatch payload as the agent reads it (ParseSiteCommand)
//   1  a heartbeat body as the server reads it (ParseHeartbeat)
//   2  a report batch as the server reads it (ParseReports), and each report's usage receipt
//   3  the server's answer to GET /v1/sites/{site}/dispatches as the agent decodes it (the
//      same steps as agent/http_control_plane_client.cc), each envelope through the agent's
//      DispatchVerifier, and what it accepts through ParseSiteCommand
//   4  a payload the harness signs itself (the fuzzer cannot forge signatures): it must be
//      accepted once, and refused replayed, for another site, or with one byte changed
//   5  a usage receipt's signed text (ParseReceiptText)
// Whatever parses is formatted again and parsed back: the two must agree. Refusals become
// the problem document the server answers with.
#include <nlohmann/json.hpp>

#include "api/job_json.h"
#include "api/site_protocol.h"
#include "fuzz_check.h"
#include "security/dispatch_signing.h"
#include "security/usage_receipt.h"

using namespace suanwang;

namespace {

const char kSite[] = "sh-edge";

template <class T>
void ExpectRefusalIsAnswerable(const Result<T>& r) {
  if (r) return;
  SW_FUZZ_CHECK(r.error().code == ErrorCode::kInvalidArgument, r.error().message);
  const HttpResponse problem = ProblemFor(r.error());
  SW_FUZZ_CHECK(nlohmann::json::accept(problem.body), problem.body);
}

void SiteCommandRoundTrip(const std::string& payload) {
  Result<SiteCommand> parsed = ParseSiteCommand(payload);
  ExpectRefusalIsAnswerable(parsed);
  if (!parsed) return;
  const std::string formatted = FormatSiteCommand(*parsed);
  Result<SiteCommand> back = ParseSiteCommand(formatted);
  SW_FUZZ_CHECK(back.has_value(), back ? "" : back.error().message + " in " + formatted);
  SW_FUZZ_CHECK(FormatSiteCommand(*back) == formatted, formatted);
  if (const auto* run = std::get_if<RunCommand>(&*parsed)) (void)TaskKey(run->job, run->task, run->attempt);
}

void HeartbeatRoundTrip(const std::string& body) {
  Result<Heartbeat> parsed = ParseHeartbeat(body);
  ExpectRefusalIsAnswerable(parsed);
  if (!parsed) return;
  const std::string formatted = FormatHeartbeat(*parsed);
  Result<Heartbeat> back = ParseHeartbeat(formatted);
  SW_FUZZ_CHECK(back.has_value(), back ? "" : back.error().message + " in " + formatted);
  SW_FUZZ_CHECK(FormatHeartbeat(*back) == formatted, formatted);
}

void ReportsRoundTrip(const std::string& body) {
  Result<ReportBatch> parsed = ParseReports(body);
  ExpectRefusalIsAnswerable(parsed);
  if (!parsed) return;
  const std::string formatted = FormatReports(*parsed);
  Result<ReportBatch> back = ParseReports(formatted);
  SW_FUZZ_CHECK(back.has_value(), back ? "" : back.error().message + " in " + formatted);
  SW_FUZZ_CHECK(FormatReports(*back) == formatted, formatted);
  for (const TaskReport& r : parsed->reports) {
    const std::string text = ReceiptText(ReceiptOf(kSite, r));
    Result<UsageReceipt> receipt = ParseReceiptText(text);
    SW_FUZZ_CHECK(receipt.has_value(), text);
    SW_FUZZ_CHECK(ReceiptText(*receipt) == text, text);
    // An agent's receipt field is hex from outside: checking it must refuse, never crash.
    SW_FUZZ_CHECK(!VerifyReceiptText(std::string(64, '0'), text, r.receipt), r.receipt);
  }
}

void Envelopes(const std::string& body) {
  static const SigningKey key = GenerateSigningKey();
  std::vector<SignedCommand> commands;
  try {  // as HttpControlPlaneClient::FetchDispatches decodes the answer
    const nlohmann::json answer = nlohmann::json::parse(body);
    for (const auto& d : answer.at("dispatches")) {
      commands.push_back(SignedCommand{d.at("site").get<std::string>(), d.at("seq").get<uint64_t>(),
                                       d.at("payload").get<std::string>(), d.at("signature").get<std::string>()});
    }
  } catch (const nlohmann::json::exception&) {
    return;
  }
  Result<DispatchVerifier> verifier = DispatchVerifier::Create(key.public_key_hex, kSite, 0);
  SW_FUZZ_CHECK(verifier.has_value(), "verifier");
  for (const SignedCommand& c : commands) {
    Result<void> accepted = verifier->Accept(c);
    // Nobody but the harness holds the secret key: nothing the fuzzer wrote may verify.
    SW_FUZZ_CHECK(!accepted, "a forged command was accepted: " + c.signature);
    SW_FUZZ_CHECK(accepted.error().code == ErrorCode::kPermissionDenied || accepted.error().code == ErrorCode::kConflict,
                  accepted.error().message);
  }
}

void SignedPayload(const std::string& payload) {
  static const SigningKey key = GenerateSigningKey();
  Result<DispatchSigner> signer = DispatchSigner::Create(key.secret_key_hex);
  Result<DispatchVerifier> verifier = DispatchVerifier::Create(key.public_key_hex, kSite, 0);
  SW_FUZZ_CHECK(signer && verifier, "keys");
  const SignedCommand signed_command = signer->Sign(kSite, 1, payload);
  SignedCommand other_site = signer->Sign("zw-1", 1, payload);
  SW_FUZZ_CHECK(!verifier->Accept(other_site), "a command for another site was accepted");
  if (!payload.empty()) {
    SignedCommand tampered = signed_command;
    const size_t at = static_cast<unsigned char>(payload[0]) % payload.size();
    tampered.payload[at] = static_cast<char>(tampered.payload[at] ^ 0x01);
    SW_FUZZ_CHECK(!verifier->Accept(tampered), "a tampered command was accepted");
  }
  Result<void> accepted = verifier->Accept(signed_command);
  SW_FUZZ_CHECK(accepted.has_value(), accepted ? "" : accepted.error().message);
  SW_FUZZ_CHECK(!verifier->Accept(signed_command), "a replayed command was accepted");
  SiteCommandRoundTrip(signed_command.payload);
}

void ReceiptRoundTrip(const std::string& text) {
  Result<UsageReceipt> parsed = ParseReceiptText(text);
  if (!parsed) return;
  const std::string formatted = ReceiptText(*parsed);
  Result<UsageReceipt> back = ParseReceiptText(formatted);
  SW_FUZZ_CHECK(back.has_value(), formatted);
  SW_FUZZ_CHECK(ReceiptText(*back) == formatted, formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest = fuzz::Text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: SiteCommandRoundTrip(rest); break;
    case 1: HeartbeatRoundTrip(rest); break;
    case 2: ReportsRoundTrip(rest); break;
    case 3: Envelopes(rest); break;
    case 4: SignedPayload(rest); break;
    case 5: ReceiptRoundTrip(rest); break;
  }
  return 0;
}
