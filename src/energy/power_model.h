// IT power of a task from its devices: a linear model between idle and full power per device.
//
//   P_device(u) = P_idle + u * (P_max - P_idle)                                    [W]
//   P_task      = g * P_gpu(u_gpu) + c * P_core(u_cpu)                             [W]
//
//   u      utilisation of the device, 0..1 (clamped)
//   g      GPUs the task holds: gpu_count * gpu_milli / 1000 (a share counts its fraction)
//   c      CPU cores the task holds: cpu_milli / 1000
//   P_max  a GPU's board power (TDP) from the accelerator catalogue; a core's share of a
//          reference CPU's TDP (data/catalogs/power.yaml)
//   P_idle a GPU's idle power from the catalogue (idle_w), else idle_fraction * TDP
//
// The linear model is the usual one for servers (Fan, Weber, Barroso, "Power provisioning for
// a warehouse-sized computer", ISCA 2007: power grows close to linearly with utilisation).
#pragma once

#include <string>

#include "common/error.h"
#include "energy/pue_model.h"
#include "model/accelerator_catalog.h"
#include "model/resources.h"

namespace suanwang {

struct DevicePower {
  double idle_w = 0;
  double max_w = 0;
  // Power at utilisation u (0..1, clamped) [W].
  double At(double u) const;
};

struct Utilisation {
  double gpu = 1.0;  // 0..1
  double cpu = 1.0;  // 0..1
};

// The power catalogue (data/catalogs/power.yaml): what is not in the accelerator catalogue.
struct PowerCatalog {
  DevicePower cpu_core;              // one core of the reference CPU
  double gpu_idle_fraction = 0.15;   // idle power as a share of TDP when a GPU has no idle_w
  double gpu_default_tdp_w = 300;    // for GPU models whose TDP is unknown (0 in the catalogue)
  Utilisation default_utilisation;   // when a job says nothing
  // PUE model constants (energy/pue_model.h): f, L_ref and a curve per cooling type.
  double fixed_fraction = 0.03;
  double reference_load = 0.65;
  CoolingCurve air, liquid;
  std::string source;

  // Errors: kInvalidArgument "path:line: field 'cpu_core.max_w': reason" for syntax errors,
  // unknown or missing fields, negative powers, idle above max, shares outside 0..1,
  // a reference load outside (0, 1].
  static Result<PowerCatalog> Parse(const std::string& text, const std::string& path);
};

// The power of one GPU of model `model` (catalogue id; unknown or empty: the default TDP).
DevicePower GpuPower(const AcceleratorCatalog& accelerators, const PowerCatalog& power, const std::string& model);

// IT power of one task with that shape on those devices [W].
double TaskItPowerW(const TaskShape& task, const DevicePower& gpu, const DevicePower& cpu_core, Utilisation u);

}  // namespace suanwang
