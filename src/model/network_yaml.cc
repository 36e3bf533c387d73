#include "model/network_yaml.h"

#include <unordered_set>

#include "model/yaml_reader.h"

namespace suanwang {
namespace {

std::string Item(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

Result<void> ReadPlaces(const YamlReader& y, const YAML::Node& list, Network& net) {
  SW_CHECK(y.IsSequence(list, "places"));
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node p = list[i];
    const std::string f = Item("places", i);
    SW_CHECK(y.OnlyKeys(p, f, {"id", "kind", "name", "name_zh", "hub", "province", "lat", "lon",
                               "grid_region", "grid_kgco2_per_kwh", "pue_cap"}));
    Place place;
    SW_TRY(id, y.String(p, "id", f));
    SW_TRY(kind, y.String(p, "kind", f));
    if (kind != "cluster" && kind != "city") {
      return std::unexpected(y.At(p["kind"], f + ".kind", "'" + kind + "' is not cluster or city"));
    }
    SW_TRY(name, y.String(p, "name", f, false, id));
    SW_TRY(name_zh, y.String(p, "name_zh", f, false));
    SW_TRY(hub, y.String(p, "hub", f, false));
    if (!hub.empty() && !net.HubIndex(hub)) {
      return std::unexpected(y.At(p["hub"], f + ".hub", "unknown hub '" + hub + "'"));
    }
    SW_TRY(province, y.String(p, "province", f, false));
    SW_TRY(lat, y.Number(p, "lat", f));
    SW_TRY(lon, y.Number(p, "lon", f));
    if (lat < -90 || lat > 90) return std::unexpected(y.At(p["lat"], f + ".lat", "not in -90..90"));
    if (lon < -180 || lon > 180) return std::unexpected(y.At(p["lon"], f + ".lon", "not in -180..180"));
    SW_TRY(region, y.String(p, "grid_region", f, false));
    SW_TRY(grid, y.Number(p, "grid_kgco2_per_kwh", f, false, 0));
    SW_TRY(pue_cap, y.Number(p, "pue_cap", f, false, 0));
    if (grid < 0) return std::unexpected(y.At(p["grid_kgco2_per_kwh"], f + ".grid_kgco2_per_kwh", "negative"));
    if (pue_cap != 0 && pue_cap < 1) return std::unexpected(y.At(p["pue_cap"], f + ".pue_cap", "below 1"));
    if (net.PlaceIndex(id)) return std::unexpected(y.At(p["id"], f + ".id", "place '" + id + "' appears twice"));
    net.places.push_back(Place{id, kind, name, name_zh, hub, province, lat, lon, region, grid, pue_cap});
    net.Reindex();
  }
  return {};
}

Result<void> ReadSiteEnergy(const YamlReader& y, const YAML::Node& e, const std::string& f, SiteEnergyParams& out) {
  SW_CHECK(y.OnlyKeys(e, f, {"cooling", "temperature_c", "temperature_csv", "green_share", "price_cny_per_kwh",
                             "tou", "carbon_csv", "solar_share", "cooling_capacity_kw"}));
  SW_TRY(cooling, y.String(e, "cooling", f, false, out.cooling));
  if (cooling != "air" && cooling != "liquid") {
    return std::unexpected(y.At(e["cooling"], f + ".cooling", "'" + cooling + "' is not air or liquid"));
  }
  out.cooling = cooling;
  SW_TRY(temp, y.Number(e, "temperature_c", f, false, out.temperature_c));
  if (temp < -60 || temp > 60) return std::unexpected(y.At(e["temperature_c"], f + ".temperature_c", "not in -60..60"));
  out.temperature_c = temp;
  SW_TRY(temp_csv, y.String(e, "temperature_csv", f, false));
  out.temperature_csv = temp_csv;
  SW_TRY(green, y.Number(e, "green_share", f, false, 0));
  if (green < 0 || green > 1) return std::unexpected(y.At(e["green_share"], f + ".green_share", "not in 0..1"));
  out.green_share = green;
  SW_TRY(price, y.Number(e, "price_cny_per_kwh", f, false, 0));
  if (price < 0) return std::unexpected(y.At(e["price_cny_per_kwh"], f + ".price_cny_per_kwh", "negative"));
  out.price_cny_per_kwh = price;
  if (const YAML::Node t = e["tou"]) {
    SW_CHECK(y.OnlyKeys(t, f + ".tou", {"peak_x", "valley_x", "hours"}));
    SW_TRY(peak, y.Number(t, "peak_x", f + ".tou", false, out.peak_x));
    SW_TRY(valley, y.Number(t, "valley_x", f + ".tou", false, out.valley_x));
    SW_TRY(hours, y.String(t, "hours", f + ".tou", false));
    if (peak < 0) return std::unexpected(y.At(t["peak_x"], f + ".tou.peak_x", "negative"));
    if (valley < 0) return std::unexpected(y.At(t["valley_x"], f + ".tou.valley_x", "negative"));
    if (!hours.empty() && (hours.size() != 24 || hours.find_first_not_of("vfp") != std::string::npos)) {
      return std::unexpected(y.At(t["hours"], f + ".tou.hours", "'" + hours + "' is not 24 letters of v, f, p"));
    }
    out.peak_x = peak;
    out.valley_x = valley;
    out.tou_hours = hours;
  }
  SW_TRY(csv, y.String(e, "carbon_csv", f, false));
  out.carbon_csv = csv;
  SW_TRY(solar, y.Number(e, "solar_share", f, false, 0));
  if (solar < 0 || solar > 0.3) return std::unexpected(y.At(e["solar_share"], f + ".solar_share", "not in 0..0.3"));
  if (solar > 0 && !csv.empty()) {
    return std::unexpected(y.At(e["solar_share"], f + ".solar_share", "set together with carbon_csv: choose one"));
  }
  out.solar_share = solar;
  SW_TRY(cap, y.Number(e, "cooling_capacity_kw", f, false, 0));
  if (cap < 0) return std::unexpected(y.At(e["cooling_capacity_kw"], f + ".cooling_capacity_kw", "negative"));
  out.cooling_capacity_kw = cap;
  return {};
}

Result<void> ReadSites(const YamlReader& y, const YAML::Node& list, Network& net) {
  SW_CHECK(y.IsSequence(list, "sites"));
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node s = list[i];
    const std::string f = Item("sites", i);
    SW_CHECK(y.OnlyKeys(s, f, {"id", "place", "owner", "pue", "pools", "energy"}));
    Site site;
    SW_TRY(id, y.String(s, "id", f));
    SW_TRY(place, y.String(s, "place", f));
    if (!net.PlaceIndex(place)) return std::unexpected(y.At(s["place"], f + ".place", "unknown place '" + place + "'"));
    SW_TRY(pue, y.Number(s, "pue", f, false, 1.0));
    if (pue < 1) return std::unexpected(y.At(s["pue"], f + ".pue", std::to_string(pue) + " is below 1"));
    if (net.SiteIndex(id)) return std::unexpected(y.At(s["id"], f + ".id", "site '" + id + "' appears twice"));
    site.id = id;
    site.place = place;
    site.pue = pue;
    SW_TRY(owner, y.String(s, "owner", f, false, "system"));
    if (owner.empty()) return std::unexpected(y.At(s["owner"], f + ".owner", "empty"));
    site.owner = owner;
    if (s["energy"]) SW_CHECK(ReadSiteEnergy(y, s["energy"], f + ".energy", site.energy));
    if (!s["pools"]) return std::unexpected(y.At(s, f + ".pools", "missing"));
    SW_CHECK(y.IsSequence(s["pools"], f + ".pools"));
    std::unordered_set<std::string> pool_ids;
    for (size_t k = 0; k < s["pools"].size(); ++k) {
      const YAML::Node p = s["pools"][k];
      const std::string pf = f + "." + Item("pools", k);
      SW_CHECK(y.OnlyKeys(p, pf, {"id", "nodes", "cpu_cores", "memory_gib", "gpus", "gpu_model"}));
      SW_TRY(pid, y.String(p, "id", pf));
      SW_TRY(nodes, y.Integer(p, "nodes", pf));
      SW_TRY(cores, y.Number(p, "cpu_cores", pf));
      SW_TRY(mem, y.Number(p, "memory_gib", pf));
      SW_TRY(gpus, y.Integer(p, "gpus", pf, false, 0));
      SW_TRY(model, y.String(p, "gpu_model", pf, false));
      if (nodes < 0 || nodes > 1000000) return std::unexpected(y.At(p["nodes"], pf + ".nodes", "not in 0..1000000"));
      if (cores <= 0) return std::unexpected(y.At(p["cpu_cores"], pf + ".cpu_cores", "must be positive"));
      if (mem <= 0) return std::unexpected(y.At(p["memory_gib"], pf + ".memory_gib", "must be positive"));
      if (gpus < 0 || gpus > 16) return std::unexpected(y.At(p["gpus"], pf + ".gpus", "not in 0..16"));
      if (gpus > 0 && model.empty()) return std::unexpected(y.At(p, pf + ".gpu_model", "missing for a pool with GPUs"));
      if (gpus == 0 && !model.empty()) return std::unexpected(y.At(p["gpu_model"], pf + ".gpu_model", "set on a pool without GPUs"));
      if (!pool_ids.insert(pid).second) return std::unexpected(y.At(p["id"], pf + ".id", "pool '" + pid + "' appears twice in the site"));
      site.pools.push_back(Pool{pid, nodes, static_cast<int64_t>(cores * 1000), static_cast<int64_t>(mem * 1024),
                                static_cast<int32_t>(gpus), model});
    }
    net.sites.push_back(std::move(site));
    net.Reindex();
  }
  return {};
}

Result<void> ReadRtts(const YamlReader& y, const YAML::Node& list, Network& net) {
  SW_CHECK(y.IsSequence(list, "rtt_ms"));
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node r = list[i];
    const std::string f = Item("rtt_ms", i);
    if (!r.IsSequence() || r.size() != 3) return std::unexpected(y.At(r, f, "expected [place, place, milliseconds]"));
    const std::string a = r[0].Scalar(), b = r[1].Scalar();
    double ms = 0;
    try {
      ms = r[2].as<double>();
    } catch (const YAML::Exception&) {
      return std::unexpected(y.At(r[2], f, "'" + r[2].Scalar() + "' is not a number"));
    }
    if (auto set = net.SetRtt(a, b, ms); !set) return std::unexpected(y.At(r, f, set.error().message));
  }
  return {};
}

}  // namespace

Result<void> ReplaceSitesYaml(const std::string& text, const std::string& path, Network& network) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "inventory", {"name", "description", "sites"}));
  if (!root["sites"]) return std::unexpected(y.At(root, "sites", "missing"));
  Network copy = network;
  copy.sites.clear();
  copy.Reindex();
  SW_CHECK(ReadSites(y, root["sites"], copy));
  network = std::move(copy);
  return {};
}

Result<Network> ParseNetworkYaml(const std::string& text, const std::string& path) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "network", {"name", "description", "tiers_ms", "intra_place_rtt_ms",
                                        "transfer", "hubs", "places", "rtt_ms", "sites"}));
  Network net;
  SW_TRY(name, y.String(root, "name", "network"));
  SW_TRY(description, y.String(root, "description", "network", false));
  net.name = name;
  net.description = description;
  if (const YAML::Node t = root["tiers_ms"]) {
    SW_CHECK(y.OnlyKeys(t, "tiers_ms", {"t1", "t2", "t3"}));
    const char* keys[] = {"t1", "t2", "t3"};
    for (int k = 0; k < 3; ++k) {
      SW_TRY(ms, y.Number(t, keys[k], "tiers_ms", false, net.tier_ms[k]));
      if (ms <= 0) return std::unexpected(y.At(t[keys[k]], std::string("tiers_ms.") + keys[k], "must be positive"));
      net.tier_ms[k] = ms;
    }
    if (!(net.tier_ms[0] <= net.tier_ms[1] && net.tier_ms[1] <= net.tier_ms[2])) {
      return std::unexpected(y.At(t, "tiers_ms", "t1 <= t2 <= t3 must hold"));
    }
  }
  SW_TRY(intra, y.Number(root, "intra_place_rtt_ms", "network", false, net.intra_place_rtt_ms));
  if (intra < 0) return std::unexpected(y.At(root["intra_place_rtt_ms"], "intra_place_rtt_ms", "negative"));
  net.intra_place_rtt_ms = intra;
  if (const YAML::Node t = root["transfer"]) {
    SW_CHECK(y.OnlyKeys(t, "transfer", {"bandwidth_gbps", "cost_cny_per_gb"}));
    SW_TRY(bw, y.Number(t, "bandwidth_gbps", "transfer", false, net.transfer_bandwidth_gbps));
    SW_TRY(cost, y.Number(t, "cost_cny_per_gb", "transfer", false, net.transfer_cost_cny_per_gb));
    if (bw <= 0) return std::unexpected(y.At(t["bandwidth_gbps"], "transfer.bandwidth_gbps", "must be positive"));
    if (cost < 0) return std::unexpected(y.At(t["cost_cny_per_gb"], "transfer.cost_cny_per_gb", "negative"));
    net.transfer_bandwidth_gbps = bw;
    net.transfer_cost_cny_per_gb = cost;
  }
  if (const YAML::Node hubs = root["hubs"]) {
    SW_CHECK(y.IsSequence(hubs, "hubs"));
    for (size_t i = 0; i < hubs.size(); ++i) {
      const std::string f = Item("hubs", i);
      SW_CHECK(y.OnlyKeys(hubs[i], f, {"id", "name"}));
      SW_TRY(id, y.String(hubs[i], "id", f));
      SW_TRY(hub_name, y.String(hubs[i], "name", f, false, id));
      if (net.HubIndex(id)) return std::unexpected(y.At(hubs[i]["id"], f + ".id", "hub '" + id + "' appears twice"));
      net.hubs.push_back(Hub{id, hub_name});
      net.Reindex();
    }
  }
  if (!root["places"]) return std::unexpected(y.At(root, "places", "missing"));
  SW_CHECK(ReadPlaces(y, root["places"], net));
  if (root["rtt_ms"]) SW_CHECK(ReadRtts(y, root["rtt_ms"], net));
  if (!root["sites"]) return std::unexpected(y.At(root, "sites", "missing"));
  SW_CHECK(ReadSites(y, root["sites"], net));
  return net;
}

}  // namespace suanwang
