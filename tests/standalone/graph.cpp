// <eigentorch/graph.hpp> alone: capture a tiny forward + backward, replay it on new data.
#include <eigentorch/graph.hpp>

#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  auto w = et::tensor<double>({2.0, -1.0}).requires_grad_();
  auto x = et::tensor<double>({1.0, 1.0});  // the graph's input
  et::CPUGraph graph;
  et::Tensor<double> loss;
  {
    et::GraphCaptureGuard capture(graph);
    loss = (w * x).sum();
    loss.backward();  // w.grad was none: each replay refills it with x
  }
  STANDALONE_CHECK(graph.captured());
  x.copy_(et::tensor<double>({3.0, 4.0}));
  graph.replay();
  STANDALONE_CHECK(loss.item() == 2.0);  // 2*3 - 1*4
  STANDALONE_CHECK(w.grad().to_vector() == (std::vector<double>{3.0, 4.0}));
  return 0;
}
