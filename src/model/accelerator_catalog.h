// The accelerator catalogue: what each GPU/NPU model can do, as data (data/catalogs/).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace suanwang {

struct Accelerator {
  std::string id;      // the model name used in traces and network files
  std::string vendor;
  std::string name;
  double memory_gib = 0;   // 0: unknown
  double tdp_w = 0;        // 0: unknown
  double idle_w = 0;       // board power at idle; 0: unknown (power.yaml's idle fraction)
  std::map<std::string, double> tflops;  // precision -> peak dense TFLOPS (TOPS for int8)
  std::string source;
};

class AcceleratorCatalog {
 public:
  const std::vector<Accelerator>& entries() const { return entries_; }
  const Accelerator* Find(std::string_view id) const;
  // Peak dense TFLOPS of `id` at `precision`, or nullopt when unknown.
  std::optional<double> Tflops(std::string_view id, std::string_view precision) const;

  // Errors: kInvalidArgument "path:line: field 'accelerators[3].tflops.fp16': reason" for
  // syntax errors, unknown fields, missing id/source, duplicate ids, negative numbers, and
  // precisions outside fp64, fp64_tensor, fp32, tf32, bf16, fp16, fp8, int8.
  static Result<AcceleratorCatalog> Parse(const std::string& text, const std::string& path);

 private:
  std::vector<Accelerator> entries_;
};

}  // namespace suanwang
