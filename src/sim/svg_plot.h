// Minimal SVG line charts for reports: no dependencies, one file a person can open anywhere.
#pragma once

#include <string>
#include <vector>

namespace suanwang {

struct PlotSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // NaN values break the line
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotSeries> series;
  double y_min = 0, y_max = 100;  // y_min == y_max: fit to data
  double x_min = 0, x_max = 0;    // x_min == x_max: fit to data; else only this range is drawn
};

// Panels stacked vertically in one SVG document.
std::string RenderSvg(const std::vector<LinePlot>& panels);

// One bar per label, its value written above it.
struct BarPanel {
  std::string title;
  std::string y_label;
  std::vector<std::string> labels;
  std::vector<double> values;
};

// Bar panels side by side, two to a row, in one SVG document.
std::string RenderBarsSvg(const std::vector<BarPanel>& panels);

}  // namespace suanwang
