// Network files (model/network_yaml.h). The first byte picks the document:
//   even  a whole network (ParseNetworkYaml)
//   odd   an inventory that replaces the sites of tests/data/mini-network.yaml (ReplaceSitesYaml)
// A network that parses is then used as the server uses it: every RTT and tier between its
// places and sites, and each site's pools expanded into nodes.
#include <cmath>
#include <fstream>
#include <iterator>

#include "fuzz_check.h"
#include "model/network_yaml.h"

using namespace suanwang;

namespace {

void ExpectError(const Error& e) {
  SW_FUZZ_CHECK(e.code == ErrorCode::kInvalidArgument, e.message);
  SW_FUZZ_CHECK(!e.message.empty(), "an error without a message");
}

void Use(const Network& network) {
  const size_t places = std::min<size_t>(network.places.size(), 64);
  for (size_t a = 0; a < places; ++a) {
    SW_FUZZ_CHECK(network.PlaceIndex(network.places[a].id).has_value(), network.places[a].id);
    for (size_t b = 0; b < places; ++b) {
      const double rtt = network.RttMs(a, b);
      SW_FUZZ_CHECK(!std::isnan(rtt) && rtt >= 0, network.places[a].id + " - " + network.places[b].id);
    }
  }
  GpuModelTable models;
  for (size_t s = 0; s < network.sites.size() && s < 64; ++s) {
    const Site& site = network.sites[s];
    SW_FUZZ_CHECK(network.SiteIndex(site.id) == s, site.id);
    const std::optional<size_t> place = network.PlaceIndex(site.place);
    SW_FUZZ_CHECK(place.has_value(), "site '" + site.id + "' in unknown place '" + site.place + "'");
    for (Tier tier : {Tier::kT1, Tier::kT2, Tier::kT3, Tier::kAny}) (void)network.WithinTier(0, s, tier);
    int64_t nodes = 0;
    for (const Pool& pool : site.pools) {
      SW_FUZZ_CHECK(pool.nodes >= 0 && pool.cpu_milli > 0 && pool.memory_mib > 0 && pool.gpus >= 0, site.id + "/" + pool.id);
      nodes += pool.nodes;
    }
    // Up to the parser's own limit of 10^6 nodes a pool is valid, but expanding many such
    // pools only measures the machine's memory.
    if (nodes > 100000) continue;
    Result<std::vector<NodeSpec>> expanded = network.SiteNodes(s, models);
    if (!expanded) {
      ExpectError(expanded.error());
      continue;
    }
    SW_FUZZ_CHECK(static_cast<int64_t>(expanded->size()) == nodes, site.id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest = fuzz::Text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    Result<Network> network = ParseNetworkYaml(rest, "network.yaml");
    if (!network) return ExpectError(network.error()), 0;
    Use(*network);
    return 0;
  }
  std::ifstream file(SW_SOURCE_DIR "/tests/data/mini-network.yaml");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Result<Network> base = ParseNetworkYaml(text, "mini-network.yaml");
  SW_FUZZ_CHECK(base.has_value(), base ? "" : base.error().message);
  Result<void> replaced = ReplaceSitesYaml(rest, "inventory.yaml", *base);
  if (!replaced) return ExpectError(replaced.error()), 0;
  Use(*base);
  return 0;
}
