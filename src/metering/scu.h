// The standard compute unit (SCU): 1 SCU = 1 TFLOPS of peak dense throughput, so an hour of
// any accelerator or core can be metered, priced and billed in one unit (data/catalogs/scu.yaml,
// docs/metering.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/accelerator_catalog.h"

namespace suanwang {

struct CpuCoreType {
  std::string id;
  double gflops_fp64 = 0;  // peak per core
  std::string source;
};

class ScuCatalog {
 public:
  // Errors: kInvalidArgument "path:line: field 'cpu_cores[1].gflops_fp64': reason" for syntax
  // errors, unknown or missing fields, non-positive throughput or list price, a fee outside
  // [0, 1), duplicate ids, a default_cpu
  // that is not listed.
  static Result<ScuCatalog> Parse(const std::string& text, const std::string& path);

  const std::string& gpu_precision() const { return gpu_precision_; }
  double list_price_cny_per_scu_h() const { return list_price_; }
  double platform_fee() const { return platform_fee_; }
  const std::vector<CpuCoreType>& cpu_cores() const { return cpu_cores_; }

  // SCU of one GPU of `model` at `precision` (empty: the catalogue's default, then its
  // fallbacks). Errors: kNotFound for a model missing from `accelerators`; kUnsatisfiable when
  // it has no figure at the precision (or any fallback).
  Result<double> GpuScu(const AcceleratorCatalog& accelerators, std::string_view model,
                        std::string_view precision = "") const;
  // SCU of one core of `core_type` (empty: default_cpu). Errors: kNotFound.
  Result<double> CoreScu(std::string_view core_type = "") const;

 private:
  std::string gpu_precision_ = "fp16";
  double list_price_ = 0;
  double platform_fee_ = 0;
  std::vector<std::string> gpu_fallback_;
  std::string default_cpu_;
  std::vector<CpuCoreType> cpu_cores_;
};

}  // namespace suanwang
