// Small SVG plots for the examples, written with the standard library only: line charts with labelled
// axes and round tick values (1, 2 or 5 times a power of ten), a labelled heat map for a confusion
// matrix, and a grid of small greyscale images, each with a caption. Not part of the library: a
// training script's plots, as the Python tutorials draw them with matplotlib.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>  // pair
#include <vector>

namespace plot {

/// Round tick values covering [lo, hi]: about `target` steps of 1, 2 or 5 times a power of ten.
inline std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  if (!(hi > lo)) hi = lo + 1.0;
  const double raw = (hi - lo) / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  if (ticks.front() > lo) ticks.insert(ticks.begin(), ticks.front() - step);
  if (ticks.back() < hi) ticks.push_back(ticks.back() + step);
  return ticks;
}

/// A tick label with no more decimals than the step needs ("0.25", "10").
inline std::string tick_label(double v, double step) {
  int decimals = 0;
  while (decimals < 6 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

inline std::string escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

/// One line of a chart: its name (for the legend), colour and y values at x = 1, 2, ...
struct Series {
  std::string name, colour;
  std::vector<double> y;
};

/// A line chart of series over x = 1..n, `width` x `height` pixels at (left, top) of an SVG document.
class LineChart {
 public:
  LineChart(std::string title, std::string x_label, std::string y_label)
      : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}
  LineChart& add(Series s) {
    series_.push_back(std::move(s));
    return *this;
  }
  /// The chart's SVG elements, drawn in the box (left, top, width, height).
  std::string svg(double left, double top, double width, double height) const;

 private:
  std::string title_, x_label_, y_label_;
  std::vector<Series> series_;
};

inline std::string LineChart::svg(double left, double top, double width, double height) const {
  std::size_t n = 1;
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : series_) {
    n = std::max(n, s.y.size());
    for (const double v : s.y) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  const std::vector<double> yt = nice_ticks(lo, hi), xt = nice_ticks(1, static_cast<double>(n), 6);
  const double x0 = left + 60, x1 = left + width - 10, y0 = top + height - 45, y1 = top + 28;
  const double ylo = yt.front(), yhi = yt.back(), xlo = 1, xhi = std::max(2.0, static_cast<double>(n));
  const auto px = [&](double x) { return x0 + (x - xlo) / (xhi - xlo) * (x1 - x0); };
  const auto py = [&](double y) { return y0 - (y - ylo) / (yhi - ylo) * (y0 - y1); };
  std::ostringstream o;
  o << "<text x='" << (x0 + x1) / 2 << "' y='" << top + 16 << "' text-anchor='middle' font-size='14'>" << escape(title_)
    << "</text>\n";
  o << "<rect x='" << x0 << "' y='" << y1 << "' width='" << x1 - x0 << "' height='" << y0 - y1
    << "' fill='none' stroke='#444'/>\n";
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (const double v : yt) {
    o << "<line x1='" << x0 << "' x2='" << x1 << "' y1='" << py(v) << "' y2='" << py(v) << "' stroke='#ddd'/>\n";
    o << "<text x='" << x0 - 6 << "' y='" << py(v) + 4 << "' text-anchor='end' font-size='11'>" << tick_label(v, ystep)
      << "</text>\n";
  }
  for (const double v : xt) {
    if (v < xlo || v > xhi) continue;
    o << "<line x1='" << px(v) << "' x2='" << px(v) << "' y1='" << y0 << "' y2='" << y0 + 5 << "' stroke='#444'/>\n";
    o << "<text x='" << px(v) << "' y='" << y0 + 18 << "' text-anchor='middle' font-size='11'>" << tick_label(v, xstep)
      << "</text>\n";
  }
  o << "<text x='" << (x0 + x1) / 2 << "' y='" << y0 + 36 << "' text-anchor='middle' font-size='12'>"
    << escape(x_label_) << "</text>\n";
  o << "<text transform='translate(" << left + 16 << "," << (y0 + y1) / 2
    << ") rotate(-90)' text-anchor='middle' font-size='12'>" << escape(y_label_) << "</text>\n";
  double legend_y = y1 + 16;
  for (const Series& s : series_) {
    o << "<polyline fill='none' stroke='" << s.colour << "' stroke-width='2' points='";
    for (std::size_t i = 0; i < s.y.size(); ++i) o << px(static_cast<double>(i + 1)) << ',' << py(s.y[i]) << ' ';
    o << "'/>\n";
    o << "<line x1='" << x1 - 120 << "' x2='" << x1 - 100 << "' y1='" << legend_y - 4 << "' y2='" << legend_y - 4
      << "' stroke='" << s.colour << "' stroke-width='2'/>\n";
    o << "<text x='" << x1 - 95 << "' y='" << legend_y << "' font-size='11'>" << escape(s.name) << "</text>\n";
    legend_y += 16;
  }
  return o.str();
}

/// A square matrix of counts as a heat map, with its row and column labels and axis titles.
inline std::string heat_map(const std::vector<std::vector<long long>>& m, const std::string& title,
                            const std::string& row_title, const std::string& column_title, double left, double top,
                            double cell) {
  long long most = 1;
  for (const auto& row : m)
    for (const long long v : row) most = std::max(most, v);
  const double x0 = left + 60, y0 = top + 40;
  std::ostringstream o;
  o << "<text x='" << x0 + cell * static_cast<double>(m.size()) / 2 << "' y='" << top + 16
    << "' text-anchor='middle' font-size='14'>" << escape(title) << "</text>\n";
  for (std::size_t r = 0; r < m.size(); ++r) {
    o << "<text x='" << x0 - 8 << "' y='" << y0 + cell * (static_cast<double>(r) + 0.5) + 4
      << "' text-anchor='end' font-size='11'>" << r << "</text>\n";
    o << "<text x='" << x0 + cell * (static_cast<double>(r) + 0.5) << "' y='" << y0 + cell * static_cast<double>(m.size()) + 16
      << "' text-anchor='middle' font-size='11'>" << r << "</text>\n";
    for (std::size_t c = 0; c < m[r].size(); ++c) {
      const double shade = static_cast<double>(m[r][c]) / static_cast<double>(most);
      const int level = static_cast<int>(std::lround(255 * (1 - shade)));
      o << "<rect x='" << x0 + cell * static_cast<double>(c) << "' y='" << y0 + cell * static_cast<double>(r)
        << "' width='" << cell << "' height='" << cell << "' fill='rgb(" << level << ',' << level << ",255)' stroke='#fff'/>\n";
      if (m[r][c] != 0)
        o << "<text x='" << x0 + cell * (static_cast<double>(c) + 0.5) << "' y='"
          << y0 + cell * (static_cast<double>(r) + 0.5) + 4 << "' text-anchor='middle' font-size='11' fill='"
          << (shade > 0.5 ? "#fff" : "#000") << "'>" << m[r][c] << "</text>\n";
    }
  }
  const double side = cell * static_cast<double>(m.size());
  o << "<text x='" << x0 + side / 2 << "' y='" << y0 + side + 34 << "' text-anchor='middle' font-size='12'>"
    << escape(column_title) << "</text>\n";
  o << "<text transform='translate(" << left + 20 << "," << y0 + side / 2
    << ") rotate(-90)' text-anchor='middle' font-size='12'>" << escape(row_title) << "</text>\n";
  return o.str();
}

/// One small greyscale image: `pixels` row by row, `width` wide, 0 white to 1 black; its caption.
struct Image {
  std::vector<float> pixels;
  std::size_t width;
  std::string caption;
};

/// The horizontal and vertical distance between neighbouring images of image_grid(): room for a
/// `side`-pixel image drawn `cell` pixels a pixel and a caption of about 20 characters under it.
inline double grid_pitch_x(std::size_t side, double cell) {
  return std::max(cell * static_cast<double>(side) + 20, 130.0);
}
inline double grid_pitch_y(std::size_t side, double cell) { return cell * static_cast<double>(side) + 40; }

/// Images under a title in a grid of `columns` at (left, top) of an SVG document, each pixel a
/// `cell`-pixel grey square, each image framed and captioned underneath. It takes image_grid_size() pixels.
inline std::string image_grid(const std::vector<Image>& images, const std::string& title, std::size_t columns,
                              double left, double top, double cell) {
  std::size_t side = 1;
  for (const Image& im : images)
    side = std::max({side, im.width, im.pixels.size() / std::max<std::size_t>(im.width, 1)});
  const double pitch_x = grid_pitch_x(side, cell), pitch_y = grid_pitch_y(side, cell);
  columns = std::max<std::size_t>(columns, 1);
  std::ostringstream o;
  o << "<text x='" << left + 10 << "' y='" << top + 18 << "' font-size='14'>" << escape(title) << "</text>\n";
  top += 30;
  for (std::size_t k = 0; k < images.size(); ++k) {
    const Image& im = images[k];
    const std::size_t w = std::max<std::size_t>(im.width, 1), h = (im.pixels.size() + w - 1) / w;
    const double x0 = left + 10 + pitch_x * static_cast<double>(k % columns) +
                      (pitch_x - 10 - cell * static_cast<double>(w)) / 2;  // centred in its column
    const double y0 = top + 10 + pitch_y * static_cast<double>(k / columns);
    for (std::size_t i = 0; i < im.pixels.size(); ++i) {
      const double ink = std::min(1.0, std::max(0.0, static_cast<double>(im.pixels[i])));
      const int level = static_cast<int>(std::lround(255 * (1 - ink)));
      o << "<rect x='" << x0 + cell * static_cast<double>(i % w) << "' y='" << y0 + cell * static_cast<double>(i / w)
        << "' width='" << cell << "' height='" << cell << "' fill='rgb(" << level << ',' << level << ',' << level
        << ")'/>\n";
    }
    o << "<rect x='" << x0 << "' y='" << y0 << "' width='" << cell * static_cast<double>(w) << "' height='"
      << cell * static_cast<double>(h) << "' fill='none' stroke='#888'/>\n";
    o << "<text x='" << x0 + cell * static_cast<double>(w) / 2 << "' y='" << y0 + cell * static_cast<double>(h) + 16
      << "' text-anchor='middle' font-size='11'>" << escape(im.caption) << "</text>\n";
  }
  return o.str();
}

/// The width and height image_grid() takes (its title included) for `count` images of at most
/// `side` x `side` pixels.
inline std::pair<double, double> image_grid_size(std::size_t count, std::size_t columns, std::size_t side,
                                                 double cell) {
  columns = std::max<std::size_t>(columns, 1);
  const std::size_t rows = (count + columns - 1) / columns;
  return {std::max(320.0, 20 + grid_pitch_x(side, cell) * static_cast<double>(std::min(count, columns))),
          50 + grid_pitch_y(side, cell) * static_cast<double>(rows)};
}

/// Writes an SVG document of the given size holding `body`; throws naming the path if it cannot.
inline void write_svg(const std::string& path, double width, double height, const std::string& body) {
  std::ofstream f(path);
  f << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
    << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n"
    << body << "</svg>\n";
  f.close();
  if (!f) throw std::runtime_error("could not write " + path);
}

}  // namespace plot
