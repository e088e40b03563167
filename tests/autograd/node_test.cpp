// Tests of autograd/node.hpp: the edges ops record, the one AccumulateGrad a leaf shares between
// its uses, SavedTensor's checks (freed by backward, modified in place) with PyTorch's messages, and
// a node chain destroyed without recursion.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <memory>  // std::shared_ptr, std::make_shared
#include <string>
#include <vector>

#include "reference/core_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ag = eigentorch::autograd;
namespace ref = eigentorch::testing::core_reference;

const char* message(const char* key) { return ref::find_text("error:engine", key).text; }

/// A node that saves nothing and passes its gradient through, to build graphs by hand.
struct PassThrough final : ag::Node<double> {
  const char* name() const override { return "PassThrough"; }
  void apply(et::Tensor<double>& g, std::vector<et::Tensor<double>>& out) override {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = g;
  }
};

}  // namespace

TEST_CASE("node: an op records one edge per input, to a grad_fn, an AccumulateGrad or nothing") {
  auto a = et::tensor({1.0, 2.0}).requires_grad_();
  auto c = et::tensor({3.0, 4.0});  // requires no grad
  auto h = a * c;
  REQUIRE(h.grad_fn() != nullptr);
  CHECK(std::string(h.grad_fn()->name()) == "MulBackward0");
  REQUIRE(h.grad_fn()->next.size() == 2);
  REQUIRE(h.grad_fn()->next[0] != nullptr);
  CHECK(std::string(h.grad_fn()->next[0]->name()) == "AccumulateGrad");
  CHECK(h.grad_fn()->next[1] == nullptr);

  auto k = h.tanh();
  REQUIRE(k.grad_fn()->next.size() == 1);
  CHECK(k.grad_fn()->next[0] == h.grad_fn());
}

TEST_CASE("node: every use of a leaf shares its one AccumulateGrad while the graph lives") {
  auto a = et::tensor({1.0}).requires_grad_();
  auto p = a * 2;
  auto q = a + 1;
  CHECK(p.grad_fn()->next[0] == q.grad_fn()->next[0]);
  CHECK(ag::edge_to(a) == p.grad_fn()->next[0]);
  auto acc = std::dynamic_pointer_cast<ag::AccumulateGrad<float>>(p.grad_fn()->next[0]);
  REQUIRE(acc != nullptr);
  CHECK(acc->variable.lock() == a.impl());
  CHECK(ag::edge_to(et::tensor({1.0})) == nullptr);
  CHECK(ag::edge_to(p) == p.grad_fn());
}

TEST_CASE("node: a leaf keeps its AccumulateGrad from one graph to the next (one per parameter)") {
  auto a = et::tensor({1.0}).requires_grad_();
  std::shared_ptr<ag::Node<float>> first;
  {
    auto p = a * 2;
    first = p.grad_fn()->next[0];
    p.backward();
  }  // that graph is gone
  auto q = a * 3;
  CHECK(q.grad_fn()->next[0] == first);
  // and it still holds its leaf weakly: a leaf nobody holds any more can go
  auto acc = std::dynamic_pointer_cast<ag::AccumulateGrad<float>>(first);
  REQUIRE(acc != nullptr);
  std::weak_ptr<eigentorch::detail::TensorImpl<float>> leaf = a.impl();
  q = et::Tensor<float>();
  a = et::Tensor<float>();
  CHECK(leaf.expired());
  CHECK(acc->variable.expired());
}

TEST_CASE("node: a graph deeper than the nested-destructor limit is freed, every node once") {
  auto a = et::tensor({0.5}).requires_grad_();
  auto h = a;
  std::vector<std::weak_ptr<ag::Node<float>>> nodes;
  for (int i = 0; i < 5 * ag::Node<float>::kMaxDestroyDepth; ++i) {
    h = h * 1.0;
    nodes.push_back(h.grad_fn());
  }
  h = et::Tensor<float>();
  for (const auto& n : nodes) CHECK(n.expired());
  CHECK(a.impl().use_count() == 1);  // nothing left holding the leaf
}

TEST_CASE("node: needs_grad asks grad mode and every input") {
  auto a = et::tensor({1.0}).requires_grad_();
  auto c = et::tensor({1.0});
  CHECK(ag::needs_grad(a));
  CHECK(ag::needs_grad(c, a));
  CHECK_FALSE(ag::needs_grad(c, c));
  et::NoGradGuard no_grad;
  CHECK_FALSE(ag::needs_grad(a));
}

TEST_CASE("node: connect makes a non-leaf that requires grad") {
  auto a = et::tensor<double>({1.0, 2.0}).requires_grad_();
  auto b = et::tensor<double>({3.0, 4.0}).requires_grad_();
  et::Tensor<double> out(et::Size{2});
  CHECK(out.is_leaf());
  ag::connect(out, std::make_shared<PassThrough>(), {&a, &b});
  CHECK_FALSE(out.is_leaf());
  CHECK(out.requires_grad());
  CHECK(std::string(out.grad_fn()->display_name()) == "PassThrough");
  out.backward(et::tensor<double>({0.5, -1.0}));
  CHECK(a.grad().to_vector() == std::vector<double>{0.5, -1.0});
  CHECK(b.grad().to_vector() == std::vector<double>{0.5, -1.0});
}

TEST_CASE("node: display_name overrides the printed name, not name()") {
  auto x = et::tensor({1.0, 2.0}).requires_grad_();
  auto y = x * et::tensor({3.0, 4.0});
  CHECK(std::string(y.grad_fn()->display_name()) == "MulBackward0");
  y.grad_fn()->set_display_name("SqueezeBackward3");  // as linear() names a 1-D input's last node
  CHECK(std::string(y.grad_fn()->display_name()) == "SqueezeBackward3");
  CHECK(std::string(y.grad_fn()->name()) == "MulBackward0");
}

TEST_CASE("node: a saved tensor modified in place stops backward with PyTorch's message") {
  SUBCASE("the saved output of tanh") {
    auto x = et::tensor({1.0, 2.0, 3.0}).requires_grad_();
    auto h = x.tanh();
    auto l = h.sum();
    h.add_(1);
    CHECK(h.version() == 1);
    CHECK_THROWS_WITH_AS(l.backward(), message("saved output modified"), et::Error);
  }
  SUBCASE("a saved non-leaf input of mul") {
    auto x = et::tensor({1.0, 2.0, 3.0}).requires_grad_();
    auto h = x * 1;
    auto l = (h * h).sum();
    h.mul_(2);
    CHECK_THROWS_WITH_AS(l.backward(), message("saved input modified"), et::Error);
  }
  SUBCASE("a saved leaf changed under NoGradGuard") {
    auto x = et::tensor({1.0, 2.0, 3.0}).requires_grad_();
    auto l = (x * x).sum();
    {
      et::NoGradGuard no_grad;
      x.mul_(2);
    }
    CHECK_THROWS_WITH_AS(l.backward(), message("saved leaf modified"), et::Error);
  }
}

TEST_CASE("node: SavedTensor hands back the saved data until released") {
  auto x = et::tensor({1.0, 2.0}).requires_grad_();
  ag::SavedTensor<float> saved;
  saved.save(x);
  CHECK_FALSE(saved.get().requires_grad());  // saved outside the graph
  CHECK(saved.get().data() == x.data());     // but sharing x's data
  saved.release();
  CHECK_THROWS_WITH_AS(saved.get(), message("backward twice"), et::Error);
}

TEST_CASE("node: a chain of 200 000 hand-made nodes is destroyed without recursion") {
  auto root = std::make_shared<PassThrough>();
  ag::Node<double>* tail = root.get();
  for (int i = 0; i < 200000; ++i) {
    auto n = std::make_shared<PassThrough>();
    ag::Node<double>* raw = n.get();
    tail->next.push_back(std::move(n));
    tail = raw;
  }
  std::weak_ptr<ag::Node<double>> first = root->next[0];
  root.reset();
  CHECK(first.expired());
}

TEST_CASE("node: nodes still shared elsewhere survive the death of a chain") {
  auto shared = std::make_shared<PassThrough>();
  auto middle = std::make_shared<PassThrough>();
  middle->next.push_back(shared);
  auto head = std::make_shared<PassThrough>();
  head->next.push_back(middle);
  std::weak_ptr<ag::Node<double>> weak_middle = middle;
  middle.reset();
  head.reset();
  CHECK(weak_middle.expired());
  CHECK(shared.use_count() == 1);  // the chain dropped its reference, ours keeps it alive
}
