// Runs the real binary as a user would: output files, exit codes and error messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace {

using suanwang::testing::ReadFile;
using CliRun = suanwang::testing::ShellRun;

// stdout and stderr together.
suanwang::testing::ShellRun Suanwang(const std::string& args) {
  return suanwang::testing::RunShell(std::string(SW_BINARY) + " " + args + " 2>&1");
}

const std::string kData = SW_SOURCE_DIR "/data/traces/openb/";

// Without root, an agent (and `up`, for its agents) refuses to run tenants' work unless told
// --unconfined: run as nobody (util-linux's setpriv), when nobody can reach the binary.
TEST(CliTest, WithoutRootAgentsAndUpRefuseUnlessUnconfined) {
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  if (suanwang::testing::RunShell(as_nobody + "test -x " SW_BINARY " 2>&1").exit_code != 0) {
    GTEST_SKIP() << "needs root, and a binary that nobody may run";
  }
  const std::string home = suanwang::testing::FreshTempDir("home");
  std::filesystem::permissions(home, std::filesystem::perms::all);
  std::ofstream(home + "/dispatch.key.pub") << std::string(64, 'a') << "\n";
  for (const std::string& args : {"up --home " + home + " --listen 127.0.0.1:0",
                                 "agent --site sh-edge --home " + home + " --url http://127.0.0.1:9"}) {
    CliRun r = suanwang::testing::RunShell(as_nobody + SW_BINARY " " + args + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_NE(r.output.find("is not root"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("pass --unconfined"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(home + "/url"));  // up started no server
}

TEST(CliTest, PoliciesAreListedOnePerLine) {
  CliRun r = Suanwang("sim policies");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "random\ndotprod\nclustering\npacking\nbestfit\nfgd\nfgd-lookahead\n");
}

TEST(CliTest, InflateWritesCsvsPlotAndTable) {
  std::string out = std::filesystem::path(suanwang::testing::WriteTempFile("x", "")).parent_path() / "out";
  CliRun r = Suanwang("sim inflate --nodes " + kData + "openb_node_list_gpu_node.csv --pods " + kData +
                   "openb_pod_list_multigpu50.csv --pods " + kData +
                   "openb_pod_list_gpushare20.csv --policy bestfit,fgd --seeds 42-43 --target 130 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("openb_pod_list_multigpu50"), std::string::npos);
  for (const char* metric : {"allocation", "frag_total", "frag_rate"}) {
    std::string csv = ReadFile(out + "/" + metric + ".csv");
    ASSERT_TRUE(csv.starts_with("workload,policy,seed,0,1,2,")) << metric;
    EXPECT_NE(csv.find(",129,130\n"), std::string::npos);
    EXPECT_NE(csv.find("\nopenb_pod_list_multigpu50,fgd,43,"), std::string::npos);
    EXPECT_NE(csv.find("\nopenb_pod_list_gpushare20,bestfit,42,"), std::string::npos);
    size_t rows = 0;
    for (char c : csv) rows += c == '\n';
    EXPECT_EQ(rows, 1u + 2 * 2 * 2);
  }
  std::string svg = ReadFile(out + "/allocation.svg");
  EXPECT_TRUE(svg.starts_with("<svg"));
  EXPECT_NE(svg.find("fgd (2 seeds)"), std::string::npos);
}

TEST(CliTest, MalformedTraceExitsTwoWithFileLineAndReason) {
  std::string bad = suanwang::testing::WriteTempFile(
      "bad.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,1,500\np1,1000,x,0,0\n");
  CliRun r = Suanwang("sim inflate --nodes " + kData + "openb_node_list_gpu_node.csv --pods " + bad +
                   " --policy fgd --out /tmp/never");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "error: " + bad + ":3: column 'memory_mib': 'x' is not an integer\n");
}

TEST(CliTest, BadArgumentsExitTwo) {
  CliRun policy = Suanwang("sim inflate --nodes " + kData + "openb_node_list_gpu_node.csv --pods " + kData +
                        "openb_pod_list_default.csv --policy best --out /tmp/never");
  EXPECT_EQ(policy.exit_code, 2);
  EXPECT_NE(policy.output.find("unknown policy 'best'"), std::string::npos);
  CliRun seeds = Suanwang("sim inflate --nodes a --pods b --policy fgd --seeds 9-3 --out /tmp/never");
  EXPECT_EQ(seeds.exit_code, 2);
  EXPECT_NE(seeds.output.find("--seeds '9-3'"), std::string::npos);
  CliRun missing = Suanwang("sim inflate --nodes /nonexistent.csv --pods b --policy fgd --out /tmp/never");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "error: /nonexistent.csv: cannot open file\n");
  EXPECT_EQ(Suanwang("frobnicate").exit_code, 2);
}

TEST(CliTest, ReplayOnTheDefaultNetworkWritesReports) {
  std::string out = std::filesystem::path(suanwang::testing::WriteTempFile("x", "")).parent_path() / "replay";
  CliRun r = Suanwang("sim replay --speedup 2000 --no-progress --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("jobs 8152: started 8152"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tier compliance: 100.00%"), std::string::npos);
  std::string jobs = ReadFile(out + "/jobs.csv");
  EXPECT_TRUE(jobs.starts_with("id,name,arrival_s,start_s,end_s,wait_s,jct_s,site,origin,tier,"));
  EXPECT_TRUE(ReadFile(out + "/sites.csv").starts_with("site,place,hub,gpus,"));
  EXPECT_TRUE(ReadFile(out + "/utilization.svg").starts_with("<svg"));
  EXPECT_TRUE(ReadFile(out + "/wait_cdf.svg").starts_with("<svg"));
}

TEST(CliTest, ReplayRejectsABadNetworkFile) {
  std::string bad = suanwang::testing::WriteTempFile("net.yaml", "name: n\nplaces:\n  - {id: a, kind: town, lat: 1, lon: 1}\nsites: []\n");
  CliRun r = Suanwang("sim replay --network " + bad + " --out /tmp/never");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "error: " + bad + ":3: field 'places[0].kind': 'town' is not cluster or city\n");
}

TEST(CliTest, ExplainShowsEverySiteAndTheDecision) {
  const std::string jobs = SW_SOURCE_DIR "/examples/jobs/";
  CliRun t1 = Suanwang("sim explain " + jobs + "t1-shanghai.json");
  ASSERT_EQ(t1.exit_code, 0) << t1.output;
  EXPECT_NE(t1.output.find("  yrd-1     not eligible: RTT 1.9 ms from sh is outside tier t1 (1 ms)"), std::string::npos) << t1.output;
  EXPECT_NE(t1.output.find("decision: start at sh-edge"), std::string::npos) << t1.output;
  CliRun never = Suanwang("sim explain " + jobs + "never-fits.yaml");
  ASSERT_EQ(never.exit_code, 0);
  EXPECT_NE(never.output.find("decision: reject: can never fit: no site can run 1 x 16 GPU, 64 cores, 65536 MiB "
                              "(no node with an allowed GPU model has 16 GPUs: all 13 sites)"),
            std::string::npos) << never.output;
  std::string bad = suanwang::testing::WriteTempFile("job.yaml", "name: x\nresources: {cpu: -1}\ncommand: [a]\n");
  CliRun invalid = Suanwang("sim explain " + bad);
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_EQ(invalid.output, "error: " + bad + ":2: field 'resources.cpu': must be in [0.01, 100000] cores\n");
}

TEST(CliTest, BenchPlacementPrintsJson) {
  CliRun r = Suanwang("bench placement --nodes 200 --policy fgd --seconds 0.2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.output.starts_with("{\"benchmark\":\"placement\",\"policy\":\"fgd\",\"nodes\":200,"));
  EXPECT_NE(r.output.find("\"decisions_per_second\":"), std::string::npos);
}

}  // namespace
