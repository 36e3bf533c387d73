#include "metering/scu.h"

#include "model/yaml_reader.h"

namespace suanwang {
namespace {

Result<CpuCoreType> ParseCore(const YamlReader& y, const YAML::Node& e, const std::string& f) {
  SW_CHECK(y.OnlyKeys(e, f, {"id", "gflops_fp64", "source"}));
  SW_TRY(id, y.String(e, "id", f));
  SW_TRY(gflops, y.Number(e, "gflops_fp64", f));
  SW_TRY(source, y.String(e, "source", f));
  if (gflops <= 0) return std::unexpected(y.At(e["gflops_fp64"], f + ".gflops_fp64", "must be > 0"));
  if (source.empty()) return std::unexpected(y.At(e["source"], f + ".source", "empty: every entry needs a source"));
  return CpuCoreType{id, gflops, source};
}

}  // namespace

Result<ScuCatalog> ScuCatalog::Parse(const std::string& text, const std::string& path) {
  YamlReader y(path);
  SW_TRY(root, y.Parse(text));
  SW_CHECK(y.OnlyKeys(root, "scu", {"source", "list_price_cny_per_scu_h", "platform_fee", "gpu_precision",
                                     "gpu_fallback", "default_cpu", "cpu_cores"}));
  ScuCatalog catalog;
  SW_TRY(precision, y.String(root, "gpu_precision", "gpu_precision"));
  SW_TRY(default_cpu, y.String(root, "default_cpu", "default_cpu"));
  SW_TRY(source, y.String(root, "source", "source"));
  SW_TRY(price, y.Number(root, "list_price_cny_per_scu_h", "list_price_cny_per_scu_h"));
  SW_TRY(fee, y.Number(root, "platform_fee", "platform_fee"));
  if (!(price > 0)) return std::unexpected(y.At(root["list_price_cny_per_scu_h"], "list_price_cny_per_scu_h", "must be > 0"));
  if (!(fee >= 0 && fee < 1)) return std::unexpected(y.At(root["platform_fee"], "platform_fee", "must be in [0, 1)"));
  catalog.list_price_ = price;
  catalog.platform_fee_ = fee;
  catalog.gpu_precision_ = precision;
  catalog.default_cpu_ = default_cpu;
  if (const YAML::Node fallback = root["gpu_fallback"]) {
    SW_CHECK(y.IsSequence(fallback, "gpu_fallback"));
    for (const YAML::Node& p : fallback) catalog.gpu_fallback_.push_back(p.as<std::string>());
  }
  const YAML::Node cores = root["cpu_cores"];
  if (!cores) return std::unexpected(y.At(root, "cpu_cores", "missing"));
  SW_CHECK(y.IsSequence(cores, "cpu_cores"));
  for (size_t i = 0; i < cores.size(); ++i) {
    const std::string f = "cpu_cores[" + std::to_string(i) + "]";
    SW_TRY(core, ParseCore(y, cores[i], f));
    if (catalog.CoreScu(core.id)) return std::unexpected(y.At(cores[i]["id"], f + ".id", "'" + core.id + "' appears twice"));
    catalog.cpu_cores_.push_back(std::move(core));
  }
  if (!catalog.CoreScu("")) {
    return std::unexpected(y.At(root["default_cpu"], "default_cpu", "'" + default_cpu + "' is not in cpu_cores"));
  }
  return catalog;
}

Result<double> ScuCatalog::GpuScu(const AcceleratorCatalog& accelerators, std::string_view model,
                                  std::string_view precision) const {
  if (!accelerators.Find(model)) {
    return MakeError(ErrorCode::kNotFound, "GPU model '" + std::string(model) + "' is not in the accelerator catalogue");
  }
  if (!precision.empty()) {
    if (auto tflops = accelerators.Tflops(model, precision)) return *tflops;
    return MakeError(ErrorCode::kUnsatisfiable, "GPU model '" + std::string(model) + "' has no " +
                                                     std::string(precision) + " figure in the accelerator catalogue");
  }
  if (auto tflops = accelerators.Tflops(model, gpu_precision_)) return *tflops;
  for (const std::string& p : gpu_fallback_) {
    if (auto tflops = accelerators.Tflops(model, p)) return *tflops;
  }
  return MakeError(ErrorCode::kUnsatisfiable, "GPU model '" + std::string(model) + "' has no " + gpu_precision_ +
                                                   " figure (nor a fallback) in the accelerator catalogue");
}

Result<double> ScuCatalog::CoreScu(std::string_view core_type) const {
  const std::string_view id = core_type.empty() ? std::string_view(default_cpu_) : core_type;
  for (const CpuCoreType& c : cpu_cores_) {
    if (c.id == id) return c.gflops_fp64 / 1000;
  }
  return MakeError(ErrorCode::kNotFound, "CPU core type '" + std::string(id) + "' is not in the SCU catalogue");
}

}  // namespace suanwang
