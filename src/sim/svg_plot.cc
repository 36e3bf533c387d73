#include "sim/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace suanwang {
namespace {

constexpr double kWidth = 760, kPanelHeight = 360;
constexpr double kLeft = 70, kRight = 220, kTop = 40, kBottom = 50;
const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
                               "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5"};

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
  std::snprintf(buf, sizeof buf, "%g", std::round(v * 100) / 100);
  return buf;
}

// A tick step of 1, 2 or 5 times a power of ten giving about five intervals.
double NiceStep(double span) {
  const double raw = span / 5;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

void RenderPanel(const LinePlot& plot, double y0, std::string& svg) {
  const bool fixed_x = plot.x_max > plot.x_min;
  double x_min = fixed_x ? plot.x_min : std::numeric_limits<double>::infinity();
  double x_max = fixed_x ? plot.x_max : -std::numeric_limits<double>::infinity();
  double y_min = plot.y_min, y_max = plot.y_max;
  bool fit_y = y_min == y_max;
  if (fit_y) {
    y_min = std::numeric_limits<double>::infinity();
    y_max = -y_min;
  }
  for (const auto& s : plot.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      if (fixed_x && (s.x[i] < x_min || s.x[i] > x_max)) continue;
      if (!fixed_x) {
        x_min = std::min(x_min, s.x[i]);
        x_max = std::max(x_max, s.x[i]);
      }
      if (fit_y) { y_min = std::min(y_min, s.y[i]); y_max = std::max(y_max, s.y[i]); }
    }
  }
  if (!(x_max > x_min)) { x_min = 0; x_max = 1; }
  if (!(y_max > y_min)) { y_min = 0; y_max = y_min + 1; }
  if (fit_y) {  // round the fitted range out to whole ticks
    const double step = NiceStep(y_max - y_min);
    y_min = std::floor(y_min / step) * step;
    y_max = std::ceil(y_max / step) * step;
  }
  const double pw = kWidth - kLeft - kRight, ph = kPanelHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * pw; };
  auto py = [&](double y) { return y0 + kTop + ph - (y - y_min) / (y_max - y_min) * ph; };

  svg += "<text x=\"" + Num(kLeft) + "\" y=\"" + Num(y0 + 24) +
         "\" font-size=\"15\" font-weight=\"bold\">" + Escape(plot.title) + "</text>\n";
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(y0 + kTop) + "\" width=\"" + Num(pw) +
         "\" height=\"" + Num(ph) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  const double y_step = NiceStep(y_max - y_min), x_step = NiceStep(x_max - x_min);
  for (double yv = std::ceil(y_min / y_step) * y_step; yv <= y_max + 1e-9; yv += y_step) {
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + pw) + "\" y1=\"" + Num(py(yv)) +
           "\" y2=\"" + Num(py(yv)) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(py(yv) + 4) +
           "\" font-size=\"11\" text-anchor=\"end\">" + Num(yv) + "</text>\n";
  }
  for (double xv = std::ceil(x_min / x_step) * x_step; xv <= x_max + 1e-9; xv += x_step) {
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
      if (std::isnan(s.y[i]) || (fixed_x && (s.x[i] < x_min || s.x[i] > x_max))) {
        pen_down = false;
        continue;
      }
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

void RenderBars(const BarPanel& panel, double x0, double y0, std::string& svg) {
  constexpr double kW = 380, kH = 300, kL = 60, kT = 40, kB = 60;
  double y_max = 0;
  for (double v : panel.values) y_max = std::max(y_max, v);
  if (!(y_max > 0)) y_max = 1;
  const double step = NiceStep(y_max);
  y_max = std::ceil(y_max / step) * step;
  const double pw = kW - kL - 20, ph = kH - kT - kB;
  auto py = [&](double y) { return y0 + kT + ph - y / y_max * ph; };
  svg += "<text x=\"" + Num(x0 + kL) + "\" y=\"" + Num(y0 + 24) + "\" font-size=\"14\" font-weight=\"bold\">" +
         Escape(panel.title) + "</text>\n";
  for (double yv = 0; yv <= y_max + 1e-9; yv += step) {
    svg += "<line x1=\"" + Num(x0 + kL) + "\" x2=\"" + Num(x0 + kL + pw) + "\" y1=\"" + Num(py(yv)) + "\" y2=\"" +
           Num(py(yv)) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + Num(x0 + kL - 6) + "\" y=\"" + Num(py(yv) + 4) + "\" font-size=\"11\" text-anchor=\"end\">" +
           Num(yv) + "</text>\n";
  }
  svg += "<text transform=\"translate(" + Num(x0 + 14) + "," + Num(y0 + kT + ph / 2) +
         ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">" + Escape(panel.y_label) + "</text>\n";
  const size_t n = std::max<size_t>(panel.values.size(), 1);
  const double slot = pw / static_cast<double>(n), bar = slot * 0.6;
  for (size_t i = 0; i < panel.values.size(); ++i) {
    const double x = x0 + kL + slot * static_cast<double>(i) + (slot - bar) / 2;
    const double v = std::max(0.0, panel.values[i]);
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(py(v)) + "\" width=\"" + Num(bar) + "\" height=\"" +
           Num(py(0) - py(v)) + "\" fill=\"" + kColors[i % std::size(kColors)] + "\"/>\n";
    char value[32];
    std::snprintf(value, sizeof value, "%.3g", panel.values[i]);
    svg += "<text x=\"" + Num(x + bar / 2) + "\" y=\"" + Num(py(v) - 4) + "\" font-size=\"11\" text-anchor=\"middle\">" +
           value + "</text>\n";
    svg += "<text x=\"" + Num(x + bar / 2) + "\" y=\"" + Num(py(0) + 16) + "\" font-size=\"11\" text-anchor=\"middle\">" +
           Escape(i < panel.labels.size() ? panel.labels[i] : "") + "</text>\n";
  }
}

}  // namespace

std::string RenderBarsSvg(const std::vector<BarPanel>& panels) {
  constexpr double kW = 380, kH = 300;
  const size_t rows = (std::max<size_t>(panels.size(), 1) + 1) / 2;
  const double width = 2 * kW, height = kH * static_cast<double>(rows);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(width) + "\" height=\"" + Num(height) +
                    "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) +
                    "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < panels.size(); ++i) {
    RenderBars(panels[i], static_cast<double>(i % 2) * kW, static_cast<double>(i / 2) * kH, svg);
  }
  svg += "</svg>\n";
  return svg;
}

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
