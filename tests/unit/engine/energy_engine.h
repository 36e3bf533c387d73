// An engine over a small network with the shipped energy model (tests of energy-aware behaviour).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/scheduler.h"
#include "model/network_yaml.h"
#include "sim/energy_files.h"

namespace suanwang::testing {

struct EnergyEngine {
  Network network;
  GpuModelTable models;
  std::unique_ptr<Scheduler> scheduler;

  EnergyEngine(const std::string& network_yaml, CostWeights weights) {
    auto net = ParseNetworkYaml(network_yaml, "test.yaml");
    EXPECT_TRUE(net) << net.error().message;
    if (net) network = std::move(*net);
    SchedulerConfig config;
    config.node_policy = "bestfit";
    config.cost_weights = weights;
    auto energy = LoadEnergyModel(network, std::string(SW_SOURCE_DIR) + "/data");
    EXPECT_TRUE(energy) << energy.error().message;
    if (energy) config.energy = std::make_shared<const EnergyModel>(std::move(*energy));
    auto s = Scheduler::Create(network, models, config, PolicyContext{});
    EXPECT_TRUE(s) << s.error().message;
    if (s) scheduler = std::move(*s);
  }
};

}  // namespace suanwang::testing
