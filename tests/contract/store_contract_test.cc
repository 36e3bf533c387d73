// The Store contract: every implementation must pass these tests (typed over factories).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "store/migrations.h"
#include "store/store.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

struct SqliteFactory {
  static std::string Url() {
    std::string dir = std::filesystem::path(testing::WriteTempFile("marker", "")).parent_path().string();
    std::filesystem::remove(dir + "/store.db");
    std::filesystem::remove(dir + "/store.db-wal");
    std::filesystem::remove(dir + "/store.db-shm");
    return "sqlite://" + dir + "/store.db";
  }
};

// PostgreSQL: the server scripts/test starts (SUANWANG_TEST_POSTGRES_URL); every test gets a
// schema of its own so that test processes running in parallel do not meet.
struct PostgresFactory {
  static std::string Url() {
    const char* base = std::getenv("SUANWANG_TEST_POSTGRES_URL");
    if (!base || !*base) return "";
    static int counter = 0;
    const std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    std::string admin = std::string("psql -q -d '") + base + "' -c 'DROP SCHEMA IF EXISTS " + schema +
                        " CASCADE; CREATE SCHEMA " + schema + "' >/dev/null 2>&1";
    if (std::system(admin.c_str()) != 0) return "";
    return std::string(base) + "?options=-csearch_path%3D" + schema;
  }
};

template <class Factory>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = Factory::Url();
    if (url_.empty()) GTEST_SKIP() << "no PostgreSQL: set SUANWANG_TEST_POSTGRES_URL (scripts/test does)";
    auto store = OpenStore(url_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  void Reopen() {
    store_.reset();
    auto store = OpenStore(url_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  std::unique_ptr<Transaction> Begin() {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx) << tx.error().message;
    return std::move(*tx);
  }
  static StoredJob Job(std::string tenant, std::string name, std::string key = "") {
    StoredJob j;
    j.tenant = std::move(tenant);
    j.name = std::move(name);
    j.spec = "name: " + j.name;
    j.state = "queued";
    j.submitted_ms = 1000;
    j.idempotency_key = std::move(key);
    return j;
  }

  std::string url_;
  std::unique_ptr<Store> store_;
};

using Factories = ::testing::Types<SqliteFactory, PostgresFactory>;
TYPED_TEST_SUITE(StoreContractTest, Factories);

TYPED_TEST(StoreContractTest, MigratesToTheLatestSchema) {
  EXPECT_EQ(this->store_->schema_version(), static_cast<int>(SchemaMigrationTemplates().size()));
  this->Reopen();
  EXPECT_EQ(this->store_->schema_version(), static_cast<int>(SchemaMigrationTemplates().size()));
}

TYPED_TEST(StoreContractTest, CommittedJobsSurviveAReopen) {
  auto tx = this->Begin();
  auto a = tx->InsertJob(this->Job("acme", "a"));
  auto b = tx->InsertJob(this->Job("acme", "b"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  ASSERT_TRUE(tx->Commit());
  this->Reopen();
  auto read = this->Begin();
  auto job = read->GetJob(*b);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->name, "b");
  EXPECT_EQ(job->tenant, "acme");
  EXPECT_EQ(job->state, "queued");
  EXPECT_EQ(job->version, 1u);
  EXPECT_EQ(job->submitted_ms, 1000);
}

TYPED_TEST(StoreContractTest, RollbackAndAbandonedTransactionsLeaveNoTrace) {
  {
    auto tx = this->Begin();
    ASSERT_TRUE(tx->InsertJob(this->Job("acme", "gone")));
    tx->Rollback();
  }
  {
    auto tx = this->Begin();
    ASSERT_TRUE(tx->InsertJob(this->Job("acme", "also-gone")));
  }  // destroyed without commit
  auto read = this->Begin();
  auto all = read->ListJobs(JobFilter{});
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(read->GetJob(1).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreContractTest, ListsByTenantAndStateWithPagination) {
  auto tx = this->Begin();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx->InsertJob(this->Job(i % 2 ? "beta" : "acme", "j" + std::to_string(i))));
  ASSERT_TRUE(tx->Commit());
  auto read = this->Begin();
  auto acme = read->ListJobs(JobFilter{"acme", "", 0, 100});
  ASSERT_TRUE(acme);
  ASSERT_EQ(acme->size(), 3u);
  EXPECT_EQ((*acme)[0].name, "j0");
  auto page = read->ListJobs(JobFilter{"", "", (*acme)[0].id, 2});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].name, "j1");
  auto none = read->ListJobs(JobFilter{"", "running", 0, 100});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(StoreContractTest, IdempotencyKeysArePerTenant) {
  auto tx = this->Begin();
  auto first = tx->InsertJob(this->Job("acme", "a", "key-1"));
  ASSERT_TRUE(first);
  auto again = tx->InsertJob(this->Job("acme", "b", "key-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "tenant 'acme' already has job " + std::to_string(*first) +
                                       " for idempotency key 'key-1'");
  EXPECT_TRUE(tx->InsertJob(this->Job("beta", "c", "key-1")));
  EXPECT_TRUE(tx->InsertJob(this->Job("acme", "d")));  // no key: never a conflict
  EXPECT_TRUE(tx->InsertJob(this->Job("acme", "e")));
  auto found = tx->FindByIdempotencyKey("acme", "key-1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, *first);
  auto missing = tx->FindByIdempotencyKey("acme", "key-2");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  EXPECT_EQ(tx->InsertJob(this->Job("", "x")).error().code, ErrorCode::kInvalidArgument);
}

TYPED_TEST(StoreContractTest, UpdatesAreCompareAndSwap) {
  auto tx = this->Begin();
  auto id = tx->InsertJob(this->Job("acme", "a"));
  ASSERT_TRUE(id);
  auto v2 = tx->UpdateJob(*id, 1, "placed", "zw-1", "cost 3", 2000);
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(*v2, 2u);
  auto stale = tx->UpdateJob(*id, 1, "running", "zw-1", "", 3000);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message, "job " + std::to_string(*id) + " is at version 2, not 1");
  EXPECT_EQ(tx->UpdateJob(9999, 1, "running", "", "", 0).error().code, ErrorCode::kNotFound);
  auto job = tx->GetJob(*id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, "placed");
  EXPECT_EQ(job->site, "zw-1");
  EXPECT_EQ(job->updated_ms, 2000);
}

TYPED_TEST(StoreContractTest, AuditLogIsAHashChain) {
  {
    auto tx = this->Begin();
    ASSERT_TRUE(tx->AppendAudit(1, "admin", "tenant.create", "acme", "{}"));
    ASSERT_TRUE(tx->AppendAudit(2, "alice", "job.submit", "job/1", "{\"tasks\":4}"));
    ASSERT_TRUE(tx->Commit());
  }
  this->Reopen();
  auto tx = this->Begin();
  ASSERT_TRUE(tx->AppendAudit(3, "scheduler", "job.start", "job/1", "zw-1"));
  auto log = tx->ReadAudit(0, 100);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].seq, 1u);
  EXPECT_EQ((*log)[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ((*log)[1].prev_hash, (*log)[0].hash);
  EXPECT_TRUE(VerifyAuditChain(*log, std::string(64, '0')));
  auto tampered = *log;
  tampered[1].detail = "{\"tasks\":400}";
  auto bad = VerifyAuditChain(tampered, std::string(64, '0'));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "audit entry 2: hash does not match its contents (altered)");
  auto dropped = *log;
  dropped.erase(dropped.begin() + 1);
  EXPECT_EQ(VerifyAuditChain(dropped, std::string(64, '0')).error().message,
            "audit entry 3: prev_hash does not match the previous entry's hash");
}

TYPED_TEST(StoreContractTest, ConcurrentWritersGetDistinctIds) {
  std::vector<std::vector<uint64_t>> ids(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto tx = this->store_->Begin();
        ASSERT_TRUE(tx);
        auto id = (*tx)->InsertJob(this->Job("acme", "t" + std::to_string(t)));
        ASSERT_TRUE(id);
        ASSERT_TRUE((*tx)->Commit());
        ids[static_cast<size_t>(t)].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all(ids[0].begin(), ids[0].end());
  all.insert(ids[1].begin(), ids[1].end());
  EXPECT_EQ(all.size(), 400u);
}

TEST(StoreTest, BadUrls) {
  auto scheme = OpenStore("mysql://db");
  ASSERT_FALSE(scheme);
  EXPECT_EQ(scheme.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheme.error().message, "store URL 'mysql://db': unknown scheme (known: sqlite://PATH, postgres://...)");
  auto nowhere = OpenStore("postgres://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(nowhere.error().message.starts_with("postgres: cannot connect: ")) << nowhere.error().message;
  auto unwritable = OpenStore("sqlite:///nonexistent-dir/x/store.db");
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kUnavailable);
}

TYPED_TEST(StoreContractTest, TenantsAndTokens) {
  auto tx = this->Begin();
  ASSERT_TRUE(tx->CreateTenant("acme", 1));
  EXPECT_EQ(tx->CreateTenant("acme", 2).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->CreateTenant("", 2).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(*tx->TenantExists("acme"));
  EXPECT_FALSE(*tx->TenantExists("beta"));
  auto id = tx->CreateToken(StoredToken{0, "acme", "user", "ci", std::string(64, 'a'), 5, false, ""});
  ASSERT_TRUE(id) << id.error().message;
  auto agent = tx->CreateToken(StoredToken{0, "acme", "agent", "a", std::string(64, 'd'), 6, false, "sh-edge"});
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(tx->CreateToken(StoredToken{0, "beta", "user", "x", std::string(64, 'b'), 5, false, ""}).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit());
  this->Reopen();
  auto read = this->Begin();
  auto found = read->FindTokenByHash(std::string(64, 'a'));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->tenant, "acme");
  EXPECT_EQ((*found)->role, "user");
  EXPECT_EQ((*found)->site, "");
  EXPECT_FALSE((*found)->revoked);
  auto agent_found = read->FindTokenByHash(std::string(64, 'd'));
  ASSERT_TRUE(agent_found && *agent_found);
  EXPECT_EQ((*agent_found)->site, "sh-edge");  // an agent credential stays bound to its site
  EXPECT_FALSE(*read->FindTokenByHash(std::string(64, 'c')));
  ASSERT_TRUE(read->RevokeToken(*id));
  EXPECT_TRUE((*read->FindTokenByHash(std::string(64, 'a')))->revoked);
  EXPECT_EQ(read->RevokeToken(999).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(read->ListTokens()->size(), 2u);
  EXPECT_EQ(*read->ListTenants(), std::vector<std::string>{"acme"});
}

TYPED_TEST(StoreContractTest, DispatchesAreOrderedPerSiteAndNeverReused) {
  auto tx = this->Begin();
  EXPECT_EQ(*tx->LastDispatchSeq("sh-a"), 0u);
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    ASSERT_TRUE(tx->InsertDispatch(StoredDispatch{"sh-a", seq, 10 + seq, "{\"run\":" + std::to_string(seq) + "}",
                                                  std::string(128, 'f'), 7}));
  }
  ASSERT_TRUE(tx->InsertDispatch(StoredDispatch{"gz-b", 1, 20, "{}", "", 8}));
  EXPECT_EQ(tx->InsertDispatch(StoredDispatch{"sh-a", 2, 99, "{}", "", 9}).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->InsertDispatch(StoredDispatch{"", 4, 1, "{}", "", 9}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(tx->InsertDispatch(StoredDispatch{"sh-a", 0, 1, "{}", "", 9}).error().code,
            ErrorCode::kInvalidArgument);
  // A refused insert leaves the transaction usable.
  ASSERT_TRUE(tx->InsertDispatch(StoredDispatch{"sh-a", 4, 14, "{\"run\":4}", "", 9}));
  ASSERT_TRUE(tx->Commit());
  this->Reopen();
  auto read = this->Begin();
  EXPECT_EQ(*read->LastDispatchSeq("sh-a"), 4u);
  EXPECT_EQ(*read->LastDispatchSeq("gz-b"), 1u);
  auto after_one = read->ReadDispatches("sh-a", 1, 2);
  ASSERT_TRUE(after_one) << after_one.error().message;
  ASSERT_EQ(after_one->size(), 2u);
  EXPECT_EQ((*after_one)[0].seq, 2u);
  EXPECT_EQ((*after_one)[0].job_id, 12u);
  EXPECT_EQ((*after_one)[0].payload, "{\"run\":2}");
  EXPECT_EQ((*after_one)[0].signature, std::string(128, 'f'));
  EXPECT_EQ((*after_one)[0].created_ms, 7);
  EXPECT_EQ((*after_one)[1].seq, 3u);
  EXPECT_EQ(read->ReadDispatches("sh-a", 4, 10)->size(), 0u);
  EXPECT_EQ(read->ReadDispatches("nowhere", 0, 10)->size(), 0u);
}

TYPED_TEST(StoreContractTest, TasksAreReplacedPerJobAndTaskAndSurviveReopen) {
  auto task = [](uint64_t job, int number, std::string state) {
    StoredTask t;
    t.job_id = job;
    t.task = number;
    t.site = "sh-a";
    t.state = std::move(state);
    return t;
  };
  auto tx = this->Begin();
  ASSERT_TRUE(tx->PutTask(task(7, 1, "dispatched")));
  ASSERT_TRUE(tx->PutTask(task(7, 0, "running")));
  ASSERT_TRUE(tx->PutTask(task(8, 0, "dispatched")));
  EXPECT_EQ(tx->PutTask(task(0, 0, "dispatched")).error().code, ErrorCode::kInvalidArgument);
  // The same (job, task) again replaces every column: a second attempt, then its exit.
  StoredTask done{7, 1, 2, "gz-b", "failed", 3, 0, 1520, 40960, 2500, "exit code 3", "out\n", "err \xe2\x9c\x97\n", 200,
                  2.5, 1.25, 1.5625, 0.8765432109876543, 0.46875};
  ASSERT_TRUE(tx->PutTask(done));
  ASSERT_TRUE(tx->Commit());
  this->Reopen();
  auto read = this->Begin();
  auto tasks = read->ListTasks(7);
  ASSERT_TRUE(tasks) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].task, 0);
  EXPECT_EQ((*tasks)[0].state, "running");
  const StoredTask& got = (*tasks)[1];
  EXPECT_EQ(got.attempt, 2u);
  EXPECT_EQ(got.site, "gz-b");
  EXPECT_EQ(got.state, "failed");
  EXPECT_EQ(got.exit_code, 3);
  EXPECT_EQ(got.cpu_ms, 1520);
  EXPECT_EQ(got.peak_memory_kib, 40960);
  EXPECT_EQ(got.wall_ms, 2500);
  EXPECT_EQ(got.reason, "exit code 3");
  EXPECT_EQ(got.stdout_tail, "out\n");
  EXPECT_EQ(got.stderr_tail, "err \xe2\x9c\x97\n");
  EXPECT_EQ(got.updated_ms, 200);
  EXPECT_DOUBLE_EQ(got.gpu_hours, 2.5);
  EXPECT_DOUBLE_EQ(got.it_kwh, 1.25);
  EXPECT_DOUBLE_EQ(got.facility_kwh, 1.5625);
  EXPECT_DOUBLE_EQ(got.carbon_kg, 0.8765432109876543);
  EXPECT_DOUBLE_EQ(got.energy_cny, 0.46875);
  EXPECT_EQ(read->ListTasks(99)->size(), 0u);
}

TYPED_TEST(StoreContractTest, PlacingAJobRecordsItsDecision) {
  auto tx = this->Begin();
  auto id = tx->InsertJob(this->Job("acme", "a"));
  ASSERT_TRUE(id);
  auto v2 = tx->PlaceJob(*id, 1, "zw-1", "cost 3", "{\"site\":\"zw-1\"}", 2000);
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(*v2, 2u);
  EXPECT_EQ(tx->PlaceJob(*id, 1, "zw-1", "", "", 3000).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->PlaceJob(9999, 1, "zw-1", "", "", 0).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(tx->Commit());
  auto read = this->Begin();
  auto job = read->GetJob(*id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, "placed");
  EXPECT_EQ(job->site, "zw-1");
  EXPECT_EQ(job->reason, "cost 3");
  EXPECT_EQ(job->decision, "{\"site\":\"zw-1\"}");
  EXPECT_EQ(job->updated_ms, 2000);
}

TYPED_TEST(StoreContractTest, EnergyIsSummedPerTenantAndSite) {
  auto tx = this->Begin();
  auto a = tx->InsertJob(this->Job("acme", "a"));
  auto b = tx->InsertJob(this->Job("beta", "b"));
  ASSERT_TRUE(a && b);
  auto task = [](uint64_t job, int number, std::string site, double kwh) {
    StoredTask t;
    t.job_id = job;
    t.task = number;
    t.site = std::move(site);
    t.state = "succeeded";
    t.gpu_hours = 2 * kwh;
    t.it_kwh = kwh;
    t.facility_kwh = 1.25 * kwh;
    t.carbon_kg = 0.5 * kwh;
    t.energy_cny = 0.25 * kwh;
    return t;
  };
  ASSERT_TRUE(tx->PutTask(task(*a, 0, "sh-a", 1)));
  ASSERT_TRUE(tx->PutTask(task(*a, 1, "sh-a", 3)));
  ASSERT_TRUE(tx->PutTask(task(*a, 2, "gz-b", 2)));
  ASSERT_TRUE(tx->PutTask(task(*b, 0, "sh-a", 4)));
  ASSERT_TRUE(tx->PutTask(task(*b, 1, "sh-a", 0)));  // nothing accounted: not counted
  ASSERT_TRUE(tx->Commit());
  auto read = this->Begin();
  auto sums = read->SumEnergy();
  ASSERT_TRUE(sums) << sums.error().message;
  ASSERT_EQ(sums->size(), 3u);
  EXPECT_EQ((*sums)[0].tenant, "acme");
  EXPECT_EQ((*sums)[0].site, "gz-b");
  EXPECT_EQ((*sums)[1].site, "sh-a");
  EXPECT_EQ((*sums)[1].tasks, 2u);
  EXPECT_DOUBLE_EQ((*sums)[1].it_kwh, 4);
  EXPECT_DOUBLE_EQ((*sums)[1].facility_kwh, 5);
  EXPECT_DOUBLE_EQ((*sums)[1].carbon_kg, 2);
  EXPECT_DOUBLE_EQ((*sums)[1].energy_cny, 1);
  EXPECT_DOUBLE_EQ((*sums)[1].gpu_hours, 8);
  EXPECT_EQ((*sums)[2].tenant, "beta");
  EXPECT_EQ((*sums)[2].tasks, 1u);
}

TYPED_TEST(StoreContractTest, SitesAreReplacedById) {
  auto tx = this->Begin();
  ASSERT_TRUE(tx->PutSite(StoredSite{"sh-a", "host1/10", "{\"cpu_cores\":4}", 5, 5, "k1"}));
  ASSERT_TRUE(tx->PutSite(StoredSite{"gz-b", "host2/11", "{}", 6, 6, ""}));
  ASSERT_TRUE(tx->PutSite(StoredSite{"sh-a", "host1/12", "{\"cpu_cores\":8}", 5, 9, "k2"}));
  EXPECT_EQ(tx->PutSite(StoredSite{"", "a", "{}", 1, 1, ""}).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(tx->Commit());
  this->Reopen();
  auto sites = this->Begin()->ListSites();
  ASSERT_TRUE(sites) << sites.error().message;
  ASSERT_EQ(sites->size(), 2u);
  EXPECT_EQ((*sites)[0].id, "gz-b");
  EXPECT_EQ((*sites)[1].agent, "host1/12");
  EXPECT_EQ((*sites)[1].resources, "{\"cpu_cores\":8}");
  EXPECT_EQ((*sites)[1].heartbeat_ms, 9);
  EXPECT_EQ((*sites)[1].receipt_key, "k2");
}

}  // namespace
}  // namespace suanwang

#include "store/group_commit.h"

namespace suanwang {
namespace {

TYPED_TEST(StoreContractTest, SavepointsUndoPartOfATransaction) {
  auto tx = this->Begin();
  ASSERT_TRUE(tx->InsertJob(this->Job("acme", "kept")));
  ASSERT_TRUE(tx->Savepoint("sp1"));
  ASSERT_TRUE(tx->InsertJob(this->Job("acme", "undone")));
  ASSERT_TRUE(tx->RollbackTo("sp1"));
  ASSERT_TRUE(tx->Release("sp1"));
  EXPECT_EQ(tx->Savepoint("bad name").error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(tx->Commit());
  auto read = this->Begin();
  auto all = read->ListJobs(JobFilter{});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "kept");
}

TYPED_TEST(StoreContractTest, GroupCommitSharesCommitsAndIsolatesFailures) {
  std::vector<std::future<Result<void>>> futures;
  std::atomic<int> inserted{0};
  {
    GroupCommitter committer(*this->store_, 64);
    for (int i = 0; i < 300; ++i) {
      futures.push_back(committer.Submit([&, i](Transaction& tx) -> Result<void> {
        // Every 10th operation fails after writing: its write must vanish, others stay.
        auto id = tx.InsertJob(this->Job("acme", "g" + std::to_string(i)));
        if (!id) return std::unexpected(id.error());
        if (i % 10 == 0) return MakeError(ErrorCode::kInvalidArgument, "op " + std::to_string(i) + " refused");
        ++inserted;
        return {};
      }));
    }
    int failed = 0;
    for (auto& f : futures) failed += !f.get();
    EXPECT_EQ(failed, 30);
    EXPECT_LT(committer.commits(), 300u);  // shared commits, not one each
  }
  auto read = this->Begin();
  auto all = read->ListJobs(JobFilter{"acme", "", 0, 1000});
  ASSERT_TRUE(all);
  EXPECT_EQ(static_cast<int>(all->size()), inserted.load());
  for (const StoredJob& j : *all) EXPECT_NE(std::stoi(j.name.substr(1)) % 10, 0) << j.name;
}


UsageRecord Usage(uint64_t job, int task, std::string tenant, Timestamp end_ms) {
  UsageRecord u;
  u.job = job;
  u.task = task;
  u.tenant = std::move(tenant);
  u.site = "tf-1";
  u.gpu_model = "A100";
  u.gpus = 2;
  u.cores = 8;
  u.start_ms = end_ms - 3'600'000;
  u.end_ms = end_ms;
  MeterUsage(u, 312, 0.0736);
  u.receipt = "usage-v1 site=tf-1 job=" + std::to_string(job);
  u.signature = "ab";
  u.agent_key = "cd";
  return u;
}

TYPED_TEST(StoreContractTest, LedgerAppendsBalancedTransactionsInAChain) {
  auto tx = this->Begin();
  auto top = TopUp("acme", 100 * kMicrosPerCny, 1000, "paid in");
  ASSERT_TRUE(top);
  auto first = tx->AppendLedger(*top);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].seq, 1u);
  EXPECT_EQ((*first)[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ((*first)[1].prev_hash, (*first)[0].hash);

  UsageRecord u = Usage(7, 0, "acme", 5000);
  LedgerTxn bill = BillUsage(u, 20'000, 0.05, 5000);
  ASSERT_TRUE(tx->AppendLedger(bill));
  ASSERT_TRUE(tx->InsertUsage(u));
  EXPECT_EQ(tx->AppendLedger(bill).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->InsertUsage(u).error().code, ErrorCode::kConflict);
  LedgerTxn unbalanced = bill;
  unbalanced.id = "usage/8/0/1";
  unbalanced.lines[0].debit += 1;
  EXPECT_EQ(tx->AppendLedger(unbalanced).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(tx->Commit());

  this->Reopen();
  tx = this->Begin();
  auto all = tx->ReadLedger(0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  EXPECT_TRUE(VerifyLedgerChain(*all, 0, std::string(64, '0')));
  Micros sum = 0;
  for (const LedgerEntry& e : *all) sum += e.debit - e.credit;
  EXPECT_EQ(sum, 0);  // debits = credits
  auto balance = tx->AccountBalance(TenantAccount("acme"));
  ASSERT_TRUE(balance);
  EXPECT_EQ(*balance, 100 * kMicrosPerCny - u.charge);
  EXPECT_EQ(*tx->AccountBalance("tenant:nobody"), 0);
  auto acme = tx->ReadLedger(0, 100, TenantAccount("acme"));
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->size(), 2u);
  auto tail = tx->ReadLedger(3, 100);
  ASSERT_TRUE(tail);
  EXPECT_TRUE(VerifyLedgerChain(*tail, 3, (*all)[2].hash));

  auto edited = *all;
  edited[3].credit += 1;
  EXPECT_EQ(VerifyLedgerChain(edited, 0, std::string(64, '0')).error().message,
            "ledger entry 4: hash does not match its contents (altered)");
  auto dropped = *all;
  dropped.erase(dropped.begin() + 2);
  EXPECT_EQ(VerifyLedgerChain(dropped, 0, std::string(64, '0')).error().message,
            "ledger entry 3 is missing (next is 4)");
}

TYPED_TEST(StoreContractTest, UsageIsListedByTenantSiteJobAndPeriod) {
  auto tx = this->Begin();
  for (int i = 0; i < 4; ++i) {
    UsageRecord u = Usage(10 + i, 0, i % 2 == 0 ? "acme" : "beta", 10'000'000 + i * 1000);
    u.energy_accounted = i == 1;
    u.carbon_kg = 0.5;
    ASSERT_TRUE(tx->InsertUsage(u));
  }
  ASSERT_TRUE(tx->Commit());
  tx = this->Begin();
  UsageFilter of_acme;
  of_acme.tenant = "acme";
  auto acme = tx->ListUsage(of_acme);
  ASSERT_TRUE(acme) << acme.error().message;
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].job, 10u);
  EXPECT_EQ((*acme)[1].job, 12u);
  EXPECT_NEAR((*acme)[0].scu_hours, 2 * 312 + 8 * 0.0736, 1e-9);
  EXPECT_EQ((*acme)[0].gpu_model, "A100");
  EXPECT_EQ((*acme)[0].receipt, "usage-v1 site=tf-1 job=10");
  EXPECT_EQ((*acme)[0].signature, "ab");
  EXPECT_EQ((*acme)[0].agent_key, "cd");
  UsageFilter of_beta;
  of_beta.tenant = "beta";
  auto beta = tx->ListUsage(of_beta);
  ASSERT_TRUE(beta);
  ASSERT_EQ(beta->size(), 2u);
  EXPECT_TRUE((*beta)[0].energy_accounted);
  EXPECT_DOUBLE_EQ((*beta)[0].carbon_kg, 0.5);
  UsageFilter period;
  period.from_ms = 10'001'000;
  period.to_ms = 10'003'000;
  EXPECT_EQ(tx->ListUsage(period)->size(), 2u);
  UsageFilter job;
  job.job = 13;
  EXPECT_EQ(tx->ListUsage(job)->size(), 1u);
}


TYPED_TEST(StoreContractTest, OffersAreListedWhileActiveAndWithdrawnNotDeleted) {
  auto tx = this->Begin();
  StoredOffer o{0, "prov", "tf-1", "a100", "spot", 30'000, 20'000, 1000, 5000, 300, 900, 0, ""};
  auto first = tx->InsertOffer(o);
  ASSERT_TRUE(first) << first.error().message;
  o.kind = "on_demand";
  o.until_ms = 0;
  auto second = tx->InsertOffer(o);
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);
  EXPECT_EQ(tx->InsertOffer(StoredOffer{}).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(tx->Commit());
  tx = this->Begin();
  EXPECT_EQ(tx->ListOffers(0)->size(), 2u);
  EXPECT_EQ(tx->ListOffers(500)->size(), 0u);    // before the window
  EXPECT_EQ(tx->ListOffers(2000)->size(), 2u);
  EXPECT_EQ(tx->ListOffers(6000)->size(), 1u);   // the first one's window ended
  auto withdrawn = tx->WithdrawOffer(*second, 7000);
  ASSERT_TRUE(withdrawn) << withdrawn.error().message;
  EXPECT_EQ(withdrawn->withdrawn_ms, 7000);
  EXPECT_EQ(tx->WithdrawOffer(*second, 8000).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->WithdrawOffer(999, 8000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tx->ListOffers(6500)->size(), 1u);   // still active before it was withdrawn
  EXPECT_EQ(tx->ListOffers(7000)->size(), 0u);
  auto all = tx->ListOffers(0);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].min_price, 20'000);
  EXPECT_EQ((*all)[0].notice_s, 300);
  EXPECT_EQ((*all)[1].kind, "on_demand");
  // Reservations: only a reserved offer, only once, and a sold one stays.
  o.kind = "reserved";
  auto third = tx->InsertOffer(o);
  ASSERT_TRUE(third);
  EXPECT_EQ(tx->ReserveOffer(*first, "acme").error().code, ErrorCode::kConflict);  // spot
  auto sold = tx->ReserveOffer(*third, "acme");
  ASSERT_TRUE(sold) << sold.error().message;
  EXPECT_EQ(sold->reserved_for, "acme");
  auto again = tx->ReserveOffer(*third, "beta");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "offer " + std::to_string(*third) + " is reserved by 'acme' already");
  EXPECT_EQ(tx->WithdrawOffer(*third, 9000).error().code, ErrorCode::kConflict);
  EXPECT_EQ(tx->ReserveOffer(12345, "acme").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tx->ListOffers(0)->back().reserved_for, "acme");
}

TYPED_TEST(StoreContractTest, PricesArePublishedOncePerSlotAndMarket) {
  auto tx = this->Begin();
  std::vector<StoredPrice> prices;
  for (int slot = 0; slot < 3; ++slot) {
    for (const char* hub : {"cy", "nx"}) {
      prices.push_back(StoredPrice{slot * 3'600'000, hub, "gpu:A100", 15'000 + slot, slot == 1, 100, 50.5, 70});
    }
  }
  ASSERT_TRUE(tx->InsertPrices(prices));
  ASSERT_TRUE(tx->Commit());
  tx = this->Begin();
  EXPECT_EQ(tx->InsertPrices({prices[0]}).error().code, ErrorCode::kConflict);
  tx->Rollback();
  tx = this->Begin();
  auto all = tx->ListPrices(PriceFilter{});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[0].hub, "cy");
  EXPECT_EQ((*all)[5].slot_ms, 2 * 3'600'000);
  PriceFilter nx;
  nx.hub = "nx";
  nx.limit = 2;  // the latest two
  auto latest = tx->ListPrices(nx);
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].slot_ms, 3'600'000);
  EXPECT_TRUE((*latest)[0].traded);
  EXPECT_DOUBLE_EQ((*latest)[0].sold_scu, 50.5);
  EXPECT_EQ((*latest)[1].price, 15'002);
  PriceFilter window;
  window.from_ms = 3'600'000;
  window.to_ms = 7'200'000;
  EXPECT_EQ(tx->ListPrices(window)->size(), 2u);
}

}  // namespace
}  // namespace suanwang
