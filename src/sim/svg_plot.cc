#include "sim/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace suanwang {
namespace {

constexpr double kWidth = 760, kPanelHeight = 360;
constexpr double kLeft = 70, kRight = 170, kTop = 40, kBottom = 50;
const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

void RenderPanel(const LinePlot& plot, double y0, std::string& svg) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = plot.y_min, y_max = plot.y_max;
  bool fit_y = y_min == y_max;
  if (fit_y) { y_min = x_min; y_max = x_max; }
  for (const auto& s : plot.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      x_min = std::min(x_min, s.x[i]);
      x_max = std::max(x_max, s.x[i]);
      if (fit_y) { y_min = std::min(y_min, s.y[i]); y_max = std::max(y_max, s.y[i]); }
    }
  }
  if (!(x_max > x_min)) { x_min = 0; x_max = 1; }
  if (!(y_max > y_min)) { y_min = 0; y_max = 1; }
  const double pw = kWidth - kLeft - kRight, ph = kPanelHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * pw; };
  auto py = [&](double y) { return y0 + kTop + ph - (y - y_min) / (y_max - y_min) * ph; };

  svg += "<text x=\"" + Num(kLeft) + "\" y=\"" + Num(y0 + 24) +
         "\" font-size=\"15\" font-weight=\"bold\">" + Escape(plot.title) + "</text>\n";
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(y0 + kTop) + "\" width=\"" + Num(pw) +
         "\" height=\"" + Num(ph) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int k = 0; k <= 5; ++k) {
    double yv = y_min + (y_max - y_min) * k / 5, xv = x_min + (x_max - x_min) * k / 5;
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + pw) + "\" y1=\"" + Num(py(yv)) +
           "\" y2=\"" + Num(py(yv)) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(py(yv) + 4) +
           "\" font-size=\"11\" text-anchor=\"end\">" + Num(yv) + "</text>\n";
    svg += "<text x=\"" + Num(px(xv)) + "\" y=\"" + Num(y0 + kTop + ph + 16) +
           "\" font-size=\"11\" text-anchor=\"middle\">" + Num(xv) + "</text>\n";
  }
  svg += "<text x=\"" + Num(kLeft + pw / 2) + "\" y=\"" + Num(y0 + kPanelHeight - 10) +
         "\" font-size=\"12\" text-anchor=\"middle\">" + Escape(plot.x_label) + "</text>\n";
  svg += "<text transform=\"translate(16," + Num(y0 + kTop + ph / 2) +
         ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">" + Escape(plot.y_label) +
         "</text>\n";
  for (size_t k = 0; k < plot.series.size(); ++k) {
    const auto& s = plot.series[k];
    const char* color = kColors[k % std::size(kColors)];
    std::string path;
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) { pen_down = false; continue; }
      path += (pen_down ? " L" : " M") + Num(px(s.x[i])) + " " + Num(py(s.y[i]));
      pen_down = true;
    }
    svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.8\"/>\n";
    double ly = y0 + kTop + 14 + static_cast<double>(k) * 18;
    svg += "<line x1=\"" + Num(kLeft + pw + 12) + "\" x2=\"" + Num(kLeft + pw + 32) + "\" y1=\"" +
           Num(ly - 4) + "\" y2=\"" + Num(ly - 4) + "\" stroke=\"" + color +
           "\" stroke-width=\"3\"/>\n";
    svg += "<text x=\"" + Num(kLeft + pw + 38) + "\" y=\"" + Num(ly) + "\" font-size=\"12\">" +
           Escape(s.name) + "</text>\n";
  }
}

}  // namespace

std::string RenderSvg(const std::vector<LinePlot>& panels) {
  const double height = kPanelHeight * static_cast<double>(std::max<size_t>(panels.size(), 1));
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(kWidth) +
                    "\" height=\"" + Num(height) + "\" viewBox=\"0 0 " + Num(kWidth) + " " +
                    Num(height) + "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < panels.size(); ++i) RenderPanel(panels[i], static_cast<double>(i) * kPanelHeight, svg);
  svg += "</svg>\n";
  return svg;
}

}  // namespace suanwang
