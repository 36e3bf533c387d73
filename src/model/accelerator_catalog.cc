#include "model/accelerator_catalog.h"

#include "model/yaml_reader.h"

namespace suanwang {

const Accelerator* AcceleratorCatalog::Find(std::string_view id) const {
  for (const Accelerator& a : entries_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::optional<double> AcceleratorCatalog::Tflops(std::string_view id, std::string_view precision) const {
  const Accelerator* a = Find(id);
  if (!a) return std::nullopt;
  auto it = a->tflops.find(std::string(precision));
  if (it == a->tflops.end()) return std::nullopt;
  return it->second;
}

Result<AcceleratorCatalog> AcceleratorCatalog::Parse(const std::string& text, const std::string& path) {
  YamlReader y(path);
  auto root = y.Parse(text);
  if (!root) return std::unexpected(root.error());
  if (auto ok = y.OnlyKeys(*root, "catalog", {"accelerators"}); !ok) return std::unexpected(ok.error());
  const YAML::Node list = (*root)["accelerators"];
  if (!list) return std::unexpected(y.At(*root, "accelerators", "missing"));
  if (auto ok = y.IsSequence(list, "accelerators"); !ok) return std::unexpected(ok.error());
  AcceleratorCatalog catalog;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node e = list[i];
    const std::string f = "accelerators[" + std::to_string(i) + "]";
    if (auto ok = y.OnlyKeys(e, f, {"id", "vendor", "name", "memory_gib", "tdp_w", "idle_w", "tflops", "source"}); !ok) {
      return std::unexpected(ok.error());
    }
    Accelerator a;
    auto id = y.String(e, "id", f);
    auto vendor = y.String(e, "vendor", f, false);
    auto name = y.String(e, "name", f, false);
    auto memory = y.Number(e, "memory_gib", f, false, 0);
    auto tdp = y.Number(e, "tdp_w", f, false, 0);
    auto idle = y.Number(e, "idle_w", f, false, 0);
    auto source = y.String(e, "source", f);
    for (const Error* err : {id ? nullptr : &id.error(), vendor ? nullptr : &vendor.error(),
                             name ? nullptr : &name.error(), memory ? nullptr : &memory.error(),
                             tdp ? nullptr : &tdp.error(), idle ? nullptr : &idle.error(), source ? nullptr : &source.error()}) {
      if (err) return std::unexpected(*err);
    }
    if (*memory < 0) return std::unexpected(y.At(e["memory_gib"], f + ".memory_gib", "negative"));
    if (*tdp < 0) return std::unexpected(y.At(e["tdp_w"], f + ".tdp_w", "negative"));
    if (*idle < 0 || (*tdp > 0 && *idle > *tdp)) {
      return std::unexpected(y.At(e["idle_w"], f + ".idle_w", "not in 0..tdp_w"));
    }
    if (source->empty()) return std::unexpected(y.At(e["source"], f + ".source", "empty: every entry needs a source"));
    if (catalog.Find(*id)) return std::unexpected(y.At(e["id"], f + ".id", "'" + *id + "' appears twice"));
    a.id = *id;
    a.vendor = *vendor;
    a.name = *name;
    a.memory_gib = *memory;
    a.tdp_w = *tdp;
    a.idle_w = *idle;
    a.source = *source;
    if (const YAML::Node t = e["tflops"]) {
      if (auto ok = y.OnlyKeys(t, f + ".tflops", {"fp64", "fp64_tensor", "fp32", "tf32", "bf16", "fp16", "fp8", "int8"}); !ok) {
        return std::unexpected(ok.error());
      }
      for (const auto& kv : t) {
        const std::string precision = kv.first.Scalar();
        auto value = y.Number(t, precision.c_str(), f + ".tflops");
        if (!value) return std::unexpected(value.error());
        if (*value < 0) return std::unexpected(y.At(kv.second, f + ".tflops." + precision, "negative"));
        a.tflops[precision] = *value;
      }
    }
    catalog.entries_.push_back(std::move(a));
  }
  return catalog;
}

}  // namespace suanwang
