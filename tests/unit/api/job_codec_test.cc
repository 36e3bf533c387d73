#include "api/job_codec.h"

#include <gtest/gtest.h>

#include "sim/files.h"

namespace suanwang {
namespace {

TEST(JobCodecTest, ParsesTheExampleJobs) {
  GpuModelTable models;
  const std::string dir = SW_SOURCE_DIR "/examples/jobs/";
  auto gang = ParseJobFile(*ReadTextFile(dir + "gang-4.yaml"), "gang-4.yaml", models);
  ASSERT_TRUE(gang) << gang.error().message;
  EXPECT_EQ(gang->spec.name, "train-resnet");
  EXPECT_EQ(gang->spec.tasks, 4);
  EXPECT_EQ(gang->spec.task.cpu_milli, 1000);
  EXPECT_EQ(gang->spec.task.gpu_count, 1);
  EXPECT_EQ(gang->spec.task.gpu_milli, 1000);
  EXPECT_EQ(models.MaskToString(gang->spec.task.gpu_models), "A100|A800|H800");
  EXPECT_EQ(gang->spec.tier, Tier::kT3);
  EXPECT_EQ(gang->spec.origin, "bj");
  EXPECT_EQ(gang->spec.data_place, "zw");
  EXPECT_EQ(gang->spec.data_gb, 200);
  ASSERT_EQ(gang->command.size(), 3u);
  EXPECT_EQ(gang->command[0], "sh");
  EXPECT_EQ(gang->command[1], "-c");
  EXPECT_TRUE(gang->command[2].starts_with("echo \"rank $SUANWANG_TASK_INDEX of 4")) << gang->command[2];
  auto json = ParseJobFile(*ReadTextFile(dir + "t1-shanghai.json"), "t1-shanghai.json", models);
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_TRUE(json->spec.task.IsGpuShare());
  EXPECT_EQ(json->spec.task.gpu_milli, 500);
  EXPECT_EQ(json->spec.tier, Tier::kT1);
  EXPECT_EQ(json->spec.priority, 10);
  for (const char* f : {"cpu-batch.yaml", "never-fits.yaml"}) {
    auto j = ParseJobFile(*ReadTextFile(dir + f), f, models);
    EXPECT_TRUE(j) << f << ": " << j.error().message;
  }
}

struct BadJob {
  const char* text;
  const char* message;
};
class BadJobTest : public ::testing::TestWithParam<BadJob> {};

TEST_P(BadJobTest, NamesTheFieldAndReason) {
  GpuModelTable models;
  auto job = ParseJobFile(GetParam().text, "job.yaml", models);
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(job.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadJobTest,
    ::testing::Values(
        BadJob{"name: x\ncommand: [a]\n", "job.yaml:1: field 'resources': missing"},
        BadJob{"name: x\nresources: {cpu: 1}\n", "job.yaml:1: field 'command': missing"},
        BadJob{"name: bad name\nresources: {cpu: 1}\ncommand: [a]\n",
               "job.yaml:1: field 'name': 'bad name' must be 1-128 of A-Z a-z 0-9 . _ -"},
        BadJob{"name: x\nresources: {cpu: lots}\ncommand: [a]\n",
               "job.yaml:2: field 'resources.cpu': 'lots' is not a number"},
        BadJob{"name: x\nresources: {cpu: 1, gpus: 1.5}\ncommand: [a]\n",
               "job.yaml:2: field 'resources.gpus': more than one GPU must be a whole number (a share is below 1)"},
        BadJob{"name: x\nresources: {cpu: 1, gpu_models: [A100]}\ncommand: [a]\n",
               "job.yaml:2: field 'resources.gpu_models': set on a task without GPUs"},
        BadJob{"name: x\nresources: {cpu: 1, colour: red}\ncommand: [a]\n",
               "job.yaml:2: field 'resources.colour': unknown field (known: cpu, memory_mib, gpus, gpu_models)"},
        BadJob{"name: x\ntasks: 0\nresources: {cpu: 1}\ncommand: [a]\n", "job.yaml:2: field 'tasks': must be in 1..10000"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: []\n", "job.yaml:3: field 'command': must not be empty"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a]\ntier: t2\n",
               "job.yaml:1: field 'origin': required for tier t2 (latency is measured from it)"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a]\ntier: t7\n",
               "job.yaml:4: field 'tier': 't7' is not one of t1, t2, t3, any"},
        BadJob{"{\"name\": \"x\", \"resources\": {\"cpu\": 1}, \"command\": [\"a\"], \"priority\": \"high\"}",
               "job.yaml:1: field 'job.priority': 'high' is not an integer"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a\n", "job.yaml:4: YAML syntax error: end of sequence flow not found"},
        BadJob{"- just\n- a list\n", "job.yaml:1: field 'job': expected a map of fields"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a]\ndeadline_ms: 100\nstart_by_ms: 200\n",
               "job.yaml:5: field 'start_by_ms': is after deadline_ms"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a]\nruntime_s: 0\n", "job.yaml:4: field 'runtime_s': must be positive"},
        BadJob{"name: x\nresources: {cpu: 1}\ncommand: [a]\nutilisation: {gpu: 2}\n",
               "job.yaml:4: field 'utilisation.gpu': not in 0..1"}));

TEST(JobCodecTest, EnergyFields) {
  GpuModelTable models;
  auto job = ParseJobFile(
      "name: x\nresources: {cpu: 1}\ncommand: [a]\ndeadline_ms: 9000\nstart_by_ms: 5000\nruntime_s: 60\n"
      "utilisation: {gpu: 0.9, cpu: 0.2}\n",
      "job.yaml", models);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->spec.start_by_ms, 5000);
  EXPECT_DOUBLE_EQ(job->spec.duration_s, 60);
  EXPECT_DOUBLE_EQ(job->spec.gpu_util, 0.9);
  EXPECT_DOUBLE_EQ(job->spec.cpu_util, 0.2);
}

}  // namespace
}  // namespace suanwang
