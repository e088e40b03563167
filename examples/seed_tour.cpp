// The torch.nn tour in C++: a linear model, then a small multi-layer perceptron, fitted with SGD,
// statement for statement as the PyTorch tutorial does it and printing what PyTorch prints.
// It also draws the MLP's fit as an SVG plot (the tutorial uses matplotlib), written next to the
// working directory; where it went is said on stderr, so stdout stays PyTorch's transcript.
#include <eigentorch/eigentorch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace et = eigentorch;
namespace nn = eigentorch::nn;

/// Fits `model` to (x, y) for `epochs` steps, printing the loss at epoch 1 and every `every` epochs.
template <class Model, class Optimizer, class Loss>
void train(Model& model, Optimizer& optimizer, Loss& loss_fn, const et::Tensor<>& x, const et::Tensor<>& y,
           int epochs, int every) {
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    et::Tensor<> prediction = model(x);
    et::Tensor<> loss = loss_fn(prediction, y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (epoch == 1 || epoch % every == 0) std::printf("Epoch %d, training loss %.4f\n", epoch, loss.item());
  }
}

/// Observed points and the model's curve over the input range, as an SVG scatter + line plot.
void write_plot(const std::string& path, nn::Sequential<>& model, const et::Tensor<>& x, const et::Tensor<>& y) {
  const std::vector<float> xs = x.to_vector(), ys = y.to_vector();
  const float x_lo = *std::min_element(xs.begin(), xs.end()) - 2, x_hi = *std::max_element(xs.begin(), xs.end()) + 2;
  et::Tensor<> grid;
  et::Tensor<> curve;
  {
    et::NoGradGuard no_grad;  // plotting needs values, not a graph
    grid = et::linspace(x_lo, x_hi, 200).unsqueeze(1);
    curve = model(grid);
  }
  const std::vector<float> gx = grid.to_vector(), gy = curve.to_vector();
  float y_lo = std::min(*std::min_element(ys.begin(), ys.end()), *std::min_element(gy.begin(), gy.end())) - 5;
  float y_hi = std::max(*std::max_element(ys.begin(), ys.end()), *std::max_element(gy.begin(), gy.end())) + 5;
  const double width = 640, height = 420, margin = 50;
  auto px = [&](double v) { return margin + (v - x_lo) / (x_hi - x_lo) * (width - 2 * margin); };
  auto py = [&](double v) { return height - margin - (v - y_lo) / (y_hi - y_lo) * (height - 2 * margin); };

  std::ofstream svg(path);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height << "'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << width / 2 << "' y='24' text-anchor='middle' font-family='sans-serif' font-size='16'>"
      << "Sequential(Linear(1, 13), Tanh(), Linear(13, 1)) after 1000 SGD steps</text>\n"
      << "<line x1='" << margin << "' y1='" << height - margin << "' x2='" << width - margin << "' y2='"
      << height - margin << "' stroke='black'/>\n"
      << "<line x1='" << margin << "' y1='" << margin << "' x2='" << margin << "' y2='" << height - margin
      << "' stroke='black'/>\n";
  for (int i = 0; i <= 4; ++i) {  // axis ticks with their values
    const double xv = x_lo + (x_hi - x_lo) * i / 4, yv = y_lo + (y_hi - y_lo) * i / 4;
    char label[32];
    std::snprintf(label, sizeof label, "%.1f", xv);
    svg << "<text x='" << px(xv) << "' y='" << height - margin + 18 << "' text-anchor='middle' font-family='sans-serif' font-size='11'>" << label << "</text>\n";
    std::snprintf(label, sizeof label, "%.1f", yv);
    svg << "<text x='" << margin - 6 << "' y='" << py(yv) + 4 << "' text-anchor='end' font-family='sans-serif' font-size='11'>" << label << "</text>\n";
  }
  svg << "<polyline fill='none' stroke='#d62728' stroke-width='2' points='";
  for (std::size_t i = 0; i < gx.size(); ++i) svg << px(gx[i]) << ',' << py(gy[i]) << ' ';
  svg << "'/>\n";
  for (std::size_t i = 0; i < xs.size(); ++i)
    svg << "<circle cx='" << px(xs[i]) << "' cy='" << py(ys[i]) << "' r='4' fill='#1f77b4'/>\n";
  svg << "<text x='" << width - margin << "' y='" << margin << "' text-anchor='end' font-family='sans-serif' font-size='12'>"
      << "<tspan fill='#1f77b4'>observed</tspan> / <tspan fill='#d62728'>predicted</tspan></text>\n"
      << "<text x='" << width / 2 << "' y='" << height - 10 << "' text-anchor='middle' font-family='sans-serif' font-size='12'>input</text>\n"
      << "</svg>\n";
}

int main() {
  // 1. A layer is a function with parameters: nn.Linear(1, 1) has a weight and a bias.
  et::manual_seed(0);
  et::Tensor<> x = et::rand({3, 1});
  std::cout << x << "\n";
  nn::Linear linear(1, 1);
  std::cout << linear(x) << "\n";
  std::cout << linear.weight << "\n";
  std::cout << linear.bias << "\n";

  // 2. A batch of 11 samples, one feature each: the model maps every row.
  et::manual_seed(0);
  et::Tensor<> t_c = et::rand({11}).unsqueeze(1);
  et::Tensor<> t_u = et::rand({11}).unsqueeze(1);
  std::cout << t_u.shape() << "\n";
  linear = nn::Linear(1, 1);
  std::cout << linear(t_u) << "\n";
  std::cout << linear.parameters() << "\n";

  // 3. Fitting: MSELoss measures the error, SGD follows its gradient.
  linear = nn::Linear(1, 1);
  et::optim::SGD optimizer(linear.parameters(), /*lr=*/1e-1);
  nn::MSELoss mse;
  train(linear, optimizer, mse, t_c, t_u, 100, 10);
  std::cout << linear.weight << "\n";
  std::cout << linear.bias << "\n";

  // 4. A non-linear model: Linear -> Tanh -> Linear, its children named "0", "1", "2".
  nn::Sequential seq_model(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  std::cout << seq_model << "\n";
  for (const auto& [name, param] : seq_model.named_parameters()) std::cout << name << " " << param << "\n";
  for (const auto& [name, value] : seq_model.state_dict()) std::cout << name << " " << value.shape() << "\n";
  std::cout << seq_model.state_dict()["2.weight"] << "\n";

  // 5. Fit it to eleven measurements.
  et::Tensor<> inputs = et::tensor({0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0}).reshape({-1, 1});
  et::Tensor<> observed = et::tensor({35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4}).reshape({-1, 1});
  std::cout << inputs << "\n";
  seq_model = nn::Sequential(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  et::optim::SGD seq_optimizer(seq_model.parameters(), /*lr=*/1e-3);
  train(seq_model, seq_optimizer, mse, inputs, observed, 1000, 100);
  std::cout << seq_model.state_dict()["2.weight"] << "\n";
  et::Tensor<> predicted = seq_model(inputs);
  std::cout << predicted << "\n";

  const std::string plot = "seed_tour_fit.svg";
  write_plot(plot, seq_model, inputs, observed);
  std::cerr << "wrote the plot of observed vs predicted values to " << plot << "\n";
}
