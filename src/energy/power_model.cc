#include "energy/power_model.h"

#include <algorithm>

#include "model/yaml_reader.h"

namespace suanwang {

double DevicePower::At(double u) const {
  u = std::clamp(u, 0.0, 1.0);
  return idle_w + u * (max_w - idle_w);
}

DevicePower GpuPower(const AcceleratorCatalog& accelerators, const PowerCatalog& power, const std::string& model) {
  const Accelerator* a = model.empty() ? nullptr : accelerators.Find(model);
  const double tdp = a && a->tdp_w > 0 ? a->tdp_w : power.gpu_default_tdp_w;
  const double idle = a && a->idle_w > 0 ? a->idle_w : power.gpu_idle_fraction * tdp;
  return DevicePower{idle, tdp};
}

double TaskItPowerW(const TaskShape& task, const DevicePower& gpu, const DevicePower& cpu_core, Utilisation u) {
  const double gpus = static_cast<double>(task.TotalGpuMilli()) / kMilliGpu;
  const double cores = static_cast<double>(task.cpu_milli) / 1000.0;
  return gpus * gpu.At(u.gpu) + cores * cpu_core.At(u.cpu);
}

Result<PowerCatalog> PowerCatalog::Parse(const std::string& text, const std::string& path) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "power", {"cpu_core", "gpu", "default_utilisation", "cooling", "source"}));
  PowerCatalog out;
  SW_TRY(source, y.String(root, "source", "source"));
  out.source = source;
  for (const char* key : {"cpu_core", "gpu", "default_utilisation", "cooling"}) {
    if (!root[key]) return std::unexpected(y.At(root, key, "missing"));
  }
  const YAML::Node core = root["cpu_core"];
  SW_CHECK(y.OnlyKeys(core, "cpu_core", {"idle_w", "max_w"}));
  SW_TRY(core_idle, y.Number(core, "idle_w", "cpu_core"));
  SW_TRY(core_max, y.Number(core, "max_w", "cpu_core"));
  if (core_max <= 0) return std::unexpected(y.At(core["max_w"], "cpu_core.max_w", "must be positive"));
  if (core_idle < 0 || core_idle > core_max) {
    return std::unexpected(y.At(core["idle_w"], "cpu_core.idle_w", "not in 0..max_w"));
  }
  out.cpu_core = {core_idle, core_max};
  const YAML::Node gpu = root["gpu"];
  SW_CHECK(y.OnlyKeys(gpu, "gpu", {"idle_fraction", "default_tdp_w"}));
  SW_TRY(idle_fraction, y.Number(gpu, "idle_fraction", "gpu"));
  SW_TRY(default_tdp, y.Number(gpu, "default_tdp_w", "gpu"));
  if (idle_fraction < 0 || idle_fraction > 1) {
    return std::unexpected(y.At(gpu["idle_fraction"], "gpu.idle_fraction", "not in 0..1"));
  }
  if (default_tdp <= 0) return std::unexpected(y.At(gpu["default_tdp_w"], "gpu.default_tdp_w", "must be positive"));
  out.gpu_idle_fraction = idle_fraction;
  out.gpu_default_tdp_w = default_tdp;
  const YAML::Node util = root["default_utilisation"];
  SW_CHECK(y.OnlyKeys(util, "default_utilisation", {"gpu", "cpu"}));
  SW_TRY(ug, y.Number(util, "gpu", "default_utilisation"));
  SW_TRY(uc, y.Number(util, "cpu", "default_utilisation"));
  if (ug < 0 || ug > 1) return std::unexpected(y.At(util["gpu"], "default_utilisation.gpu", "not in 0..1"));
  if (uc < 0 || uc > 1) return std::unexpected(y.At(util["cpu"], "default_utilisation.cpu", "not in 0..1"));
  out.default_utilisation = {ug, uc};
  const YAML::Node cooling = root["cooling"];
  SW_CHECK(y.OnlyKeys(cooling, "cooling", {"fixed_fraction", "reference_load", "air", "liquid"}));
  SW_TRY(fixed, y.Number(cooling, "fixed_fraction", "cooling"));
  SW_TRY(ref_load, y.Number(cooling, "reference_load", "cooling"));
  if (fixed < 0 || fixed > 1) return std::unexpected(y.At(cooling["fixed_fraction"], "cooling.fixed_fraction", "not in 0..1"));
  if (!(ref_load > 0 && ref_load <= 1)) {
    return std::unexpected(y.At(cooling["reference_load"], "cooling.reference_load", "not in (0, 1]"));
  }
  out.fixed_fraction = fixed;
  out.reference_load = ref_load;
  for (const char* kind : {"air", "liquid"}) {
    const std::string f = std::string("cooling.") + kind;
    const YAML::Node c = cooling[kind];
    if (!c) return std::unexpected(y.At(cooling, f, "missing"));
    SW_CHECK(y.OnlyKeys(c, f, {"free_below_c", "per_degree"}));
    SW_TRY(free_below, y.Number(c, "free_below_c", f));
    SW_TRY(per_degree, y.Number(c, "per_degree", f));
    if (per_degree < 0) return std::unexpected(y.At(c["per_degree"], f + ".per_degree", "negative"));
    (std::string(kind) == "air" ? out.air : out.liquid) = CoolingCurve{free_below, per_degree};
  }
  return out;
}

}  // namespace suanwang
