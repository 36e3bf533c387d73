// The SCU catalogue, metering and billing by hand: a fixed set of usage records and top-ups
// gives an invoice whose every number is worked out here.
#include <gtest/gtest.h>

#include "metering/ledger.h"
#include "metering/scu.h"
#include "sim/files.h"

namespace suanwang {
namespace {

TEST(Scu, TheCataloguesGiveTheWorkedNumbers) {
  auto scu = LoadScuCatalog(SW_SOURCE_DIR "/data/catalogs/scu.yaml");
  ASSERT_TRUE(scu) << scu.error().message;
  auto acc = LoadAcceleratorCatalog(SW_SOURCE_DIR "/data/catalogs/accelerators.yaml");
  ASSERT_TRUE(acc) << acc.error().message;
  EXPECT_DOUBLE_EQ(*scu->GpuScu(*acc, "A100"), 312);
  EXPECT_DOUBLE_EQ(*scu->GpuScu(*acc, "H100"), 989.4);
  EXPECT_DOUBLE_EQ(*scu->GpuScu(*acc, "A100", "fp64"), 9.7);
  EXPECT_EQ(scu->GpuScu(*acc, "A100", "fp8").error().code, ErrorCode::kUnsatisfiable);
  EXPECT_EQ(scu->GpuScu(*acc, "nope").error().code, ErrorCode::kNotFound);
  EXPECT_DOUBLE_EQ(*scu->CoreScu(), 0.0736);
  EXPECT_DOUBLE_EQ(*scu->CoreScu("kunpeng-920"), 0.0208);
  EXPECT_DOUBLE_EQ(scu->list_price_cny_per_scu_h(), 0.025);
  EXPECT_DOUBLE_EQ(scu->platform_fee(), 0.05);
}

TEST(Scu, BadCataloguesNameTheField) {
  const std::string ok =
      "source: s\nlist_price_cny_per_scu_h: 0.02\nplatform_fee: 0.1\ngpu_precision: fp16\ndefault_cpu: c\n"
      "cpu_cores:\n  - {id: c, gflops_fp64: 10, source: x}\n";
  EXPECT_TRUE(ScuCatalog::Parse(ok, "scu.yaml"));
  auto bad = ScuCatalog::Parse(ok + "extra: 1\n", "scu.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("scu.yaml:"), std::string::npos) << bad.error().message;
  bad = ScuCatalog::Parse("source: s\nlist_price_cny_per_scu_h: 0.02\nplatform_fee: 1.5\ngpu_precision: fp16\n"
                          "default_cpu: c\ncpu_cores:\n  - {id: c, gflops_fp64: 10, source: x}\n",
                          "scu.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("field 'platform_fee': must be in [0, 1)"), std::string::npos) << bad.error().message;
  bad = ScuCatalog::Parse("source: s\nlist_price_cny_per_scu_h: 0.02\nplatform_fee: 0\ngpu_precision: fp16\n"
                          "default_cpu: d\ncpu_cores:\n  - {id: c, gflops_fp64: 10, source: x}\n",
                          "scu.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'d' is not in cpu_cores"), std::string::npos) << bad.error().message;
}

TEST(Billing, AnInvoiceForAFixedScenarioMatchesAHandCalculation) {
  // Tenant acme: 100 CNY paid in on day 0; on day 1 job 1 runs 2 A100 + 16 cores for 3 h at
  // tf-1; on day 2 job 2 runs 1 A100 for 30 min at zw-1. List price 0.025 CNY/SCU-h, fee 5 %.
  const Timestamp day = 86'400'000;
  std::vector<LedgerTxn> txns;
  txns.push_back(*TopUp("acme", 100 * kMicrosPerCny, 0, "paid in"));
  auto usage = [](uint64_t job, std::string site, double gpus, double cores, Timestamp start, Timestamp end) {
    UsageRecord u;
    u.job = job;
    u.tenant = "acme";
    u.site = std::move(site);
    u.gpu_model = "A100";
    u.gpus = gpus;
    u.cores = cores;
    u.start_ms = start;
    u.end_ms = end;
    return u;
  };
  UsageRecord a = usage(1, "tf-1", 2, 16, day, day + 3 * 3'600'000);
  MeterUsage(a, 312, 0.0736);
  // (2 x 312 + 16 x 0.0736) x 3 h = 1875.5328 SCU-h; x 0.025 = 46.88832 CNY.
  EXPECT_NEAR(a.scu_hours, 1875.5328, 1e-9);
  EXPECT_DOUBLE_EQ(a.gpu_seconds, 2 * 3 * 3600.0);
  EXPECT_DOUBLE_EQ(a.core_seconds, 16 * 3 * 3600.0);
  txns.push_back(BillUsage(a, 25'000, 0.05, a.end_ms));
  EXPECT_EQ(a.charge, 46'888'320);
  UsageRecord b = usage(2, "zw-1", 1, 0, 2 * day, 2 * day + 1'800'000);
  MeterUsage(b, 312, 0.0736);
  txns.push_back(BillUsage(b, 25'000, 0.05, b.end_ms));
  EXPECT_EQ(b.charge, 3'900'000);  // 156 SCU-h x 0.025
  // The provider gets 95 %, the platform 5 % (rounded to the micro-CNY).
  EXPECT_EQ(txns[1].lines[1].credit, 44'543'904);
  EXPECT_EQ(txns[1].lines[2].credit, 2'344'416);
  std::vector<LedgerEntry> entries;
  uint64_t seq = 0;
  for (const LedgerTxn& t : txns) {
    ASSERT_TRUE(CheckBalanced(t));
    for (const LedgerLine& l : t.lines) {
      entries.push_back(LedgerEntry{++seq, t.id, t.kind, t.at_ms, l.account, l.debit, l.credit, t.memo, "", ""});
    }
  }
  // The invoice for day 1 onwards: opening 100, charges 46.88832 + 3.9, closing 49.21168.
  const Statement invoice = BuildStatement(entries, TenantAccount("acme"), day, 3 * day);
  EXPECT_EQ(FormatCny(invoice.opening), "100.000000");
  EXPECT_EQ(FormatCny(invoice.debits), "50.788320");
  EXPECT_EQ(FormatCny(invoice.credits), "0.000000");
  EXPECT_EQ(FormatCny(invoice.closing), "49.211680");
  ASSERT_EQ(invoice.lines.size(), 2u);
  EXPECT_EQ(invoice.lines[0].txn, "usage/1/0/1");
  // The provider's statement and the balances: everything sums to zero.
  const Statement tf = BuildStatement(entries, ProviderAccount("tf-1"), 0, 3 * day);
  EXPECT_EQ(FormatCny(tf.closing), "44.543904");
  Micros total = 0;
  for (const auto& [account, balance] : Balances(entries)) total += balance;
  EXPECT_EQ(total, 0);
  EXPECT_EQ(FormatCny(-1'500'000), "-1.500000");
}

TEST(Billing, UnbalancedOrBadTransactionsAreRefused) {
  LedgerTxn t{"x", "usage", 0, "", {{"tenant:a", 5, 0}, {"provider:s", 0, 4}}};
  auto bad = CheckBalanced(t);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "ledger transaction 'x' does not balance: debits - credits = 0.000001 CNY");
  t.lines = {{"tenant:a", 5, 5}};
  EXPECT_FALSE(CheckBalanced(t));
  t.lines.clear();
  EXPECT_FALSE(CheckBalanced(t));
  EXPECT_EQ(TopUp("a", 0, 0, "").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace suanwang
