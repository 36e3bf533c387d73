// One contract for every node policy: on random clusters and tasks, a placement is always
// valid (the state accepts it), a refusal is only given when no node fits, and "can never
// fit" only when no node could hold the task even empty. Same inputs, same decisions.
#include <gtest/gtest.h>

#include "common/rng.h"
#include "engine/placement/policy_registry.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::Node;
using testing::Task;

class PolicyContractTest : public ::testing::TestWithParam<std::string> {};

std::vector<NodeSpec> RandomNodes(Rng& rng) {
  std::vector<NodeSpec> nodes;
  const int n = 3 + static_cast<int>(rng.Uniform(12));
  for (int i = 0; i < n; ++i) {
    int gpus = static_cast<int>(std::vector<int>{0, 1, 2, 4, 8}[rng.Uniform(5)]);
    nodes.push_back(Node("n" + std::to_string(i), 8 + static_cast<int64_t>(rng.Uniform(88)),
                         16 + static_cast<int64_t>(rng.Uniform(500)), gpus,
                         gpus ? static_cast<GpuModelId>(rng.Uniform(3)) : kNoGpuModel));
  }
  return nodes;
}

TaskShape RandomTask(Rng& rng) {
  double cores = 0.5 + static_cast<double>(rng.Uniform(24));
  int64_t mem = 1 + static_cast<int64_t>(rng.Uniform(64));
  switch (rng.Uniform(4)) {
    case 0: return Task(cores, mem);
    case 1: return Task(cores, mem, 1, 100 * (1 + static_cast<int>(rng.Uniform(9))));
    case 2: return Task(cores, mem, 1 << rng.Uniform(4), 1000,
                        rng.Uniform(2) ? kAnyGpuModel : GpuModelMask{1} << rng.Uniform(4));
    default: return Task(cores, mem, 1);
  }
}

TEST_P(PolicyContractTest, DecisionsAreValidCompleteAndDeterministic) {
  Rng world(2024);
  for (int round = 0; round < 25; ++round) {
    std::vector<NodeSpec> nodes = RandomNodes(world);
    std::vector<TaskShape> tasks;
    for (int i = 0; i < 120; ++i) tasks.push_back(RandomTask(world));
    PolicyContext context;
    context.typical_shapes = TypicalShapes(tasks, 0.95);
    context.workload = tasks;
    std::vector<std::pair<int, Placement>> first_run;
    for (int run = 0; run < 2; ++run) {
      auto state = ClusterState::Create(nodes);
      ASSERT_TRUE(state);
      auto policy = MakePolicy(GetParam(), context);
      ASSERT_TRUE(policy);
      Rng rng(round);
      for (size_t t = 0; t < tasks.size(); ++t) {
        const TaskShape& task = tasks[t];
        Decision d = (*policy)->Place(task, *state, rng);
        bool any_fits = false, any_could = false;
        for (NodeIndex n = 0; n < state->size(); ++n) {
          any_fits |= state->Fits(n, task);
          any_could |= state->FitsEmpty(n, task);
        }
        if (d.kind == DecisionKind::kPlaced) {
          auto ok = state->Allocate(d.placement, task);
          ASSERT_TRUE(ok) << GetParam() << ": " << ok.error().message;
        } else {
          EXPECT_FALSE(any_fits) << GetParam() << " refused a task that fits";
          EXPECT_EQ(d.kind == DecisionKind::kUnsatisfiable, !any_could) << d.reason;
          EXPECT_FALSE(d.reason.empty());
        }
        std::pair<int, Placement> record{static_cast<int>(d.kind), d.placement};
        if (run == 0) {
          first_run.push_back(record);
        } else {
          EXPECT_EQ(record.first, first_run[t].first);
          EXPECT_EQ(record.second.node, first_run[t].second.node);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, PolicyContractTest, ::testing::ValuesIn(PolicyNames()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace suanwang
