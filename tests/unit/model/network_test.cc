#include <gtest/gtest.h>

#include "model/network_yaml.h"
#include "sim/files.h"

namespace suanwang {
namespace {

const std::string kRoot = SW_SOURCE_DIR;

TEST(NetworkTest, DefaultChinaNetworkLoads) {
  auto net = LoadNetworkFile(kRoot + "/data/networks/china-hubs.yaml");
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_EQ(net->hubs.size(), 8u);
  size_t clusters = 0, cities = 0;
  for (const Place& p : net->places) (p.kind == "cluster" ? clusters : cities)++;
  EXPECT_EQ(clusters, 10u);
  EXPECT_EQ(cities, 13u);
  EXPECT_EQ(net->sites.size(), 13u);
  auto bj = *net->PlaceIndex("bj"), zw = *net->PlaceIndex("zw"), zjk = *net->PlaceIndex("zjk");
  EXPECT_DOUBLE_EQ(net->RttMs(bj, zjk), 2.4);   // from the modelled table
  EXPECT_DOUBLE_EQ(net->RttMs(zjk, bj), 2.4);   // symmetric
  EXPECT_DOUBLE_EQ(net->RttMs(bj, bj), 0.5);    // same place
  EXPECT_GT(net->RttMs(bj, zw), 5.0);
  // t1 from Shanghai reaches only the Shanghai edge site; t3 reaches western clusters too.
  auto sh = *net->PlaceIndex("sh");
  std::vector<std::string> t1, t3;
  for (size_t s = 0; s < net->sites.size(); ++s) {
    if (net->WithinTier(sh, s, Tier::kT1)) t1.push_back(net->sites[s].id);
    if (net->WithinTier(sh, s, Tier::kT3)) t3.push_back(net->sites[s].id);
  }
  EXPECT_EQ(t1, std::vector<std::string>{"sh-edge"});
  EXPECT_GT(t3.size(), 5u);
  GpuModelTable models;
  auto nodes = net->SiteNodes(*net->SiteIndex("zw-1"), models);
  ASSERT_TRUE(nodes);
  EXPECT_EQ(nodes->size(), 96u + 48u + 400u);
  EXPECT_EQ((*nodes)[0].name, "zw-1/a100/0000");
  EXPECT_EQ(models.Name((*nodes)[0].gpu_model), "A100");
}

TEST(NetworkTest, RttFallsBackToTheDistanceModel) {
  auto net = ParseNetworkYaml(
      "name: n\nplaces:\n  - {id: a, kind: city, lat: 0, lon: 0}\n  - {id: b, kind: city, lat: 0, lon: 1}\nsites: []\n",
      "n.yaml");
  ASSERT_TRUE(net) << net.error().message;
  // 1 degree of longitude at the equator is ~111.2 km: 2 * 1.5 * 111.2 / 200 + 1 = 2.67 ms.
  EXPECT_NEAR(net->RttMs(0, 1), 2.668, 0.01);
  EXPECT_EQ(*ParseTier("t2"), Tier::kT2);
  EXPECT_EQ(ParseTier("t9").error().message, "tier 't9' is not one of t1, t2, t3, any");
}

struct BadNetwork {
  const char* yaml;
  const char* message;
};

class BadNetworkTest : public ::testing::TestWithParam<BadNetwork> {};

TEST_P(BadNetworkTest, NamesLineFieldAndReason) {
  auto net = ParseNetworkYaml(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(net);
  EXPECT_EQ(net.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(net.error().message, GetParam().message);
}

const char* kPlaces = "name: n\nhubs: [{id: h}]\nplaces:\n  - {id: a, kind: city, hub: h, lat: 1, lon: 2}\n";

INSTANTIATE_TEST_SUITE_P(
    Documents, BadNetworkTest,
    ::testing::Values(
        BadNetwork{"name: [1, 2\n", "bad.yaml:2: YAML syntax error: end of sequence flow not found"},
        BadNetwork{"name: n\nplaces: []\nsites: []\ncolour: red\n",
                   "bad.yaml:4: field 'network.colour': unknown field (known: name, description, tiers_ms, "
                   "intra_place_rtt_ms, transfer, hubs, places, rtt_ms, sites)"},
        BadNetwork{"name: n\nplaces:\n  - {id: a, kind: town, lat: 1, lon: 2}\nsites: []\n",
                   "bad.yaml:3: field 'places[0].kind': 'town' is not cluster or city"},
        BadNetwork{"name: n\nplaces:\n  - {id: a, kind: city, hub: x, lat: 1, lon: 2}\nsites: []\n",
                   "bad.yaml:3: field 'places[0].hub': unknown hub 'x'"},
        BadNetwork{"name: n\nplaces:\n  - {id: a, kind: city, lat: north, lon: 2}\nsites: []\n",
                   "bad.yaml:3: field 'places[0].lat': 'north' is not a number"},
        BadNetwork{"name: n\nplaces:\n  - {id: a, kind: city, lat: 1, lon: 2}\n  - {id: a, kind: city, lat: 1, lon: 2}\nsites: []\n",
                   "bad.yaml:4: field 'places[1].id': place 'a' appears twice"},
        BadNetwork{"name: n\nplaces: []\nrtt_ms:\n  - [a, b, 3]\nsites: []\n",
                   "bad.yaml:4: field 'rtt_ms[0]': unknown place 'a'"},
        BadNetwork{"name: n\nplaces: []\n", "bad.yaml:1: field 'sites': missing"},
        BadNetwork{"name: n\ntiers_ms: {t1: 10, t2: 5}\nplaces: []\nsites: []\n",
                   "bad.yaml:2: field 'tiers_ms': t1 <= t2 <= t3 must hold"}));

TEST(NetworkTest, BadSites) {
  auto check = [](const std::string& sites, const std::string& message) {
    auto net = ParseNetworkYaml(std::string(kPlaces) + sites, "s.yaml");
    ASSERT_FALSE(net) << sites;
    EXPECT_EQ(net.error().message, message);
  };
  check("sites:\n  - {id: s, place: nowhere, pools: []}\n", "s.yaml:6: field 'sites[0].place': unknown place 'nowhere'");
  check("sites:\n  - id: s\n    place: a\n    pools:\n      - {id: p, nodes: 2, cpu_cores: 8, memory_gib: 8, gpus: 4}\n",
        "s.yaml:9: field 'sites[0].pools[0].gpu_model': missing for a pool with GPUs");
  check("sites:\n  - id: s\n    place: a\n    pools:\n      - {id: p, nodes: -1, cpu_cores: 8, memory_gib: 8}\n",
        "s.yaml:9: field 'sites[0].pools[0].nodes': not in 0..1000000");
  check("sites:\n  - id: s\n    place: a\n    pue: 0.9\n    pools: []\n", "s.yaml:8: field 'sites[0].pue': 0.900000 is below 1");
  check("sites:\n  - id: s\n    place: a\n    pools:\n      - {id: p, nodes: 1, cpu_cores: 8, memory_gib: 8, gpus: 17, gpu_model: X}\n",
        "s.yaml:9: field 'sites[0].pools[0].gpus': not in 0..16");
  check("sites:\n  - {id: s, place: a}\n", "s.yaml:6: field 'sites[0].pools': missing");
}

TEST(NetworkTest, SiteEnergyBlocks) {
  auto check = [](const std::string& energy, const std::string& message) {
    auto net = ParseNetworkYaml(std::string(kPlaces) + "sites:\n  - id: s\n    place: a\n    energy: " + energy +
                                    "\n    pools: []\n",
                                "s.yaml");
    ASSERT_FALSE(net) << energy;
    EXPECT_EQ(net.error().message, message);
  };
  check("{cooling: water}", "s.yaml:8: field 'sites[0].energy.cooling': 'water' is not air or liquid");
  check("{green_share: 1.5}", "s.yaml:8: field 'sites[0].energy.green_share': not in 0..1");
  check("{solar_share: 0.4}", "s.yaml:8: field 'sites[0].energy.solar_share': not in 0..0.3");
  check("{solar_share: 0.1, carbon_csv: x.csv}",
        "s.yaml:8: field 'sites[0].energy.solar_share': set together with carbon_csv: choose one");
  check("{tou: {hours: vfp}}", "s.yaml:8: field 'sites[0].energy.tou.hours': 'vfp' is not 24 letters of v, f, p");
  check("{price_cny_per_kwh: -1}", "s.yaml:8: field 'sites[0].energy.price_cny_per_kwh': negative");
  check("{colour: green}",
        "s.yaml:8: field 'sites[0].energy.colour': unknown field (known: cooling, temperature_c, temperature_csv, "
        "green_share, price_cny_per_kwh, tou, carbon_csv, solar_share, cooling_capacity_kw)");
  auto ok = ParseNetworkYaml(std::string(kPlaces) +
                                 "sites:\n  - id: s\n    place: a\n    pue: 1.2\n"
                                 "    energy: {cooling: liquid, green_share: 0.3, price_cny_per_kwh: 0.4, "
                                 "tou: {peak_x: 2, valley_x: 0.4}, solar_share: 0.1, cooling_capacity_kw: 500}\n"
                                 "    pools: []\n",
                             "s.yaml");
  ASSERT_TRUE(ok) << ok.error().message;
  const SiteEnergyParams& e = ok->sites[0].energy;
  EXPECT_EQ(e.cooling, "liquid");
  EXPECT_DOUBLE_EQ(e.green_share, 0.3);
  EXPECT_DOUBLE_EQ(e.peak_x, 2);
  EXPECT_DOUBLE_EQ(e.valley_x, 0.4);
  EXPECT_DOUBLE_EQ(e.solar_share, 0.1);
  EXPECT_DOUBLE_EQ(e.cooling_capacity_kw, 500);
}

TEST(NetworkTest, MissingFileIsUnavailable) {
  auto net = LoadNetworkFile("/nonexistent/network.yaml");
  ASSERT_FALSE(net);
  EXPECT_EQ(net.error().code, ErrorCode::kUnavailable);
}

TEST(AcceleratorCatalogTest, ShippedCatalogueHasEveryModelWithASource) {
  auto catalog = LoadAcceleratorCatalog(kRoot + "/data/catalogs/accelerators.yaml");
  ASSERT_TRUE(catalog) << catalog.error().message;
  for (const char* id : {"H100", "H800", "H20", "A100", "A800", "A10", "L40S", "V100", "T4", "P100",
                         "Ascend910B", "G1", "G2", "G3", "V100M16", "V100M32"}) {
    const Accelerator* a = catalog->Find(id);
    ASSERT_NE(a, nullptr) << id;
    EXPECT_FALSE(a->source.empty()) << id;
  }
  EXPECT_DOUBLE_EQ(*catalog->Tflops("A100", "bf16"), 312);
  EXPECT_FALSE(catalog->Tflops("G2", "fp16"));
  // Every network's GPU model is in the catalogue.
  auto net = LoadNetworkFile(kRoot + "/data/networks/china-hubs.yaml");
  ASSERT_TRUE(net);
  for (const Site& s : net->sites) {
    for (const Pool& p : s.pools) {
      if (p.gpus > 0) {
        EXPECT_NE(catalog->Find(p.gpu_model), nullptr) << p.gpu_model;
      }
    }
  }
}

TEST(AcceleratorCatalogTest, BadEntries) {
  auto bad = AcceleratorCatalog::Parse("accelerators:\n  - {id: X, tflops: {fp4: 1}, source: s}\n", "c.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "c.yaml:2: field 'accelerators[0].tflops.fp4': unknown field (known: fp64, fp64_tensor, fp32, "
            "tf32, bf16, fp16, fp8, int8)");
  auto nosource = AcceleratorCatalog::Parse("accelerators:\n  - {id: X}\n", "c.yaml");
  ASSERT_FALSE(nosource);
  EXPECT_EQ(nosource.error().message, "c.yaml:2: field 'accelerators[0].source': missing");
  auto twice = AcceleratorCatalog::Parse("accelerators:\n  - {id: X, source: s}\n  - {id: X, source: s}\n", "c.yaml");
  EXPECT_EQ(twice.error().message, "c.yaml:3: field 'accelerators[1].id': 'X' appears twice");
}

}  // namespace
}  // namespace suanwang
