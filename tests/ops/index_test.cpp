// Tests for ops/index.hpp: t[i], select, narrow, slice, permute, expand, repeat, split, chunk, cat and
// stack, against PyTorch 1.13 (tests/reference/index_cases.hpp): values, gradients, grad_fn names,
// gradcheck and the error messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <functional>
#include <map>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/index_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference::index;
using et::Tensor;

// ---- the reference tensors -------------------------------------------------------------------------

const ref::TensorRef& stored(int i) { return ref::index_tensors[i]; }
et::Size shape_of(const ref::TensorRef& r) { return et::Size(std::vector<int64_t>(r.shape, r.shape + r.ndim)); }
std::vector<double> values_of(const ref::TensorRef& r) {
  const int64_t n = shape_of(r).numel();
  return std::vector<double>(ref::index_values + r.offset, ref::index_values + r.offset + n);
}
template <class T>
Tensor<T> tensor_of(const ref::TensorRef& r) {
  std::vector<T> v;
  for (double x : values_of(r)) v.push_back(static_cast<T>(x));
  return et::from_vector(v, shape_of(r));
}
template <class T>
std::vector<double> widened(const Tensor<T>& t) {
  const std::vector<T> v = t.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

// ---- the ops, by the names the reference script gives them -----------------------------------------

template <class T>
std::vector<Tensor<T>> run(const std::vector<Tensor<T>>& in, const ref::IndexCase& c) {
  const std::string op = c.op;
  const int64_t* a = c.args;
  const et::Size list(std::vector<int64_t>(a, a + c.n_args));
  const Tensor<T>& x = in[0];
  if (op == "index") return {x[a[0]]};
  if (op == "select") return {x.select(a[0], a[1])};
  if (op == "narrow") return {x.narrow(a[0], a[1], a[2])};
  if (op == "slice") return {x.slice(a[0], a[1], a[2], a[3])};
  if (op == "permute") return {x.permute(list)};
  if (op == "expand") return {x.expand(list)};
  if (op == "repeat") return {x.repeat(list)};
  if (op == "split") return x.split(a[0], a[1]);
  if (op == "chunk") return x.chunk(a[0], a[1]);
  if (op == "cat") return {et::cat(in, a[0])};
  if (op == "stack") return {et::stack(in, a[0])};
  FAIL("unknown op " << op);
  return {};
}

template <class T>
std::vector<Tensor<T>> inputs_of(const ref::IndexCase& c) {
  std::vector<Tensor<T>> in;
  for (int k = 0; k < c.n_inputs; ++k) in.push_back(tensor_of<T>(stored(c.inputs + k)).requires_grad_());
  return in;
}

template <class T>
bool of_type(const ref::IndexCase& c) {
  return c.is_double == std::is_same_v<T, double>;
}

TEST_CASE_TEMPLATE("index: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  int checked = 0;
  for (const ref::IndexCase& c : ref::index_cases) {
    if (!of_type<T>(c)) continue;
    CAPTURE(std::string(c.name));
    std::vector<Tensor<T>> in = inputs_of<T>(c);
    const std::vector<Tensor<T>> out = run(in, c);
    REQUIRE(out.size() == static_cast<std::size_t>(c.n_outputs));
    // sum_k (out_k * g_k).sum() sends exactly g_k into output k
    Tensor<T> loss = et::zeros<T>({});
    for (int k = 0; k < c.n_outputs; ++k) {
      CAPTURE(k);
      const ref::TensorRef& expected = stored(c.outputs + k);
      CHECK(out[k].shape() == shape_of(expected));
      CHECK(widened(out[k]) == values_of(expected));  // copies: exactly PyTorch's values
      REQUIRE(out[k].grad_fn());
      CHECK(std::string(out[k].grad_fn()->display_name()) == c.grad_fn);
      loss = loss + (out[k] * tensor_of<T>(stored(c.grad_outputs + k))).sum();
    }
    loss.backward();
    for (int k = 0; k < c.n_inputs; ++k) {
      CAPTURE(k);
      const ref::TensorRef& expected = stored(c.grads + k);
      REQUIRE(in[k].grad().defined());
      CHECK(in[k].grad().shape() == shape_of(expected));
      et::testing::check_allclose(widened(in[k].grad()), values_of(expected), 1e-6, 1e-7);  // sums: repeat, expand
    }
    ++checked;
  }
  CHECK(checked == 53);
}

TEST_CASE("index: gradcheck on every case") {
  int checked = 0;
  for (const ref::IndexCase& c : ref::index_cases) {
    if (!of_type<double>(c)) continue;
    CAPTURE(std::string(c.name));
    for (int k = 0; k < c.n_outputs; ++k) {
      CAPTURE(k);
      CHECK(et::autograd::gradcheck([&](std::vector<Tensor<double>>& xs) { return run(xs, c)[k]; }, inputs_of<double>(c)));
    }
    ++checked;
  }
  CHECK(checked == 53);
}

TEST_CASE_TEMPLATE("index: a join of more than four tensors records a tree of nodes with one name", T, float,
                   double) {
  std::vector<Tensor<T>> xs;
  for (int i = 0; i < 9; ++i) xs.push_back(et::full<T>({2}, T(i)).requires_grad_());
  Tensor<T> c = et::cat(xs), s = et::stack(xs, 1);
  CHECK(std::string(c.grad_fn()->display_name()) == "CatBackward0");
  CHECK(std::string(s.grad_fn()->display_name()) == "StackBackward0");
  CHECK(s.shape() == et::Size({2, 9}));
  CHECK(s[1].to_vector() == std::vector<T>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  (c * et::arange<T>(18)).sum().backward();
  (s * et::arange<T>(18).reshape({2, 9})).sum().backward();
  for (int i = 0; i < 9; ++i) CHECK(xs[i].grad().to_vector() == std::vector<T>{T(2 * i + i), T(2 * i + 1 + 9 + i)});
}

TEST_CASE_TEMPLATE("index: without grad mode nothing is recorded", T, float, double) {
  Tensor<T> x = et::arange<T>(6).reshape({2, 3}).requires_grad_();
  et::NoGradGuard no_grad;
  for (const Tensor<T>& y : {x[0], x.select(1, 0), x.narrow(1, 0, 2), x.slice(1, 0, 3, 2), x.permute({1, 0}),
                             x.expand({2, 2, 3}), x.repeat({2, 1}), x.split(1)[0], x.chunk(2, 1)[1], et::cat({x, x}),
                             et::stack({x, x})})
    CHECK_FALSE(y.requires_grad());
}

TEST_CASE_TEMPLATE("index: free functions agree with methods", T, float, double) {
  Tensor<T> x = et::arange<T>(24).reshape({2, 3, 4});
  CHECK(et::select(x, 2, 1).to_vector() == x.select(2, 1).to_vector());
  CHECK(et::narrow(x, 1, 1, 2).to_vector() == x.narrow(1, 1, 2).to_vector());
  CHECK(et::permute(x, {2, 0, 1}).to_vector() == x.permute({2, 0, 1}).to_vector());
  CHECK(et::split(x, 3, -1).size() == 2);
  CHECK(et::chunk(x, 3, 1).size() == 3);
  CHECK(x.slice(2).to_vector() == x.to_vector());  // the default is the whole dim
  CHECK(x[1][2].to_vector() == std::vector<T>{20, 21, 22, 23});
}

// Every op at once, for the replay test: w and x of shape [3, 4].
template <class T>
Tensor<T> every_op(const Tensor<T>& w, const Tensor<T>& x) {
  const Tensor<T> a = et::cat({w * x, x.slice(0, 0, 3, 2)}, 0);                       // [5, 4]
  const Tensor<T> b = et::stack({a.select(1, -1), a[0].repeat({2}).narrow(0, 3, 5)}, 1);  // [5, 2]
  const Tensor<T> c = b.permute({1, 0}).expand({3, 2, 5});                           // [3, 2, 5]
  const std::vector<Tensor<T>> parts = c.chunk(2, -1);
  return parts[0].sum() * T(2) + parts[1].pow(2.0).sum() + c.split(2, 0)[1].sum();
}

TEST_CASE_TEMPLATE("index: a CPUGraph replay of every op, fed new data through copy_, matches eager", T, float, double) {
  et::manual_seed(5);
  Tensor<T> w = et::randn<T>({3, 4}).requires_grad_(), x = et::randn<T>({3, 4});
  et::CPUGraph graph;
  Tensor<T> loss;
  {
    et::GraphCaptureGuard capture(graph);
    loss = every_op(w, x);
    loss.backward();
  }
  for (int round = 0; round < 3; ++round) {
    const Tensor<T> fresh = et::randn<T>({3, 4});
    x.copy_(fresh);
    graph.replay();
    Tensor<T> w_eager = w.detach().clone().requires_grad_();
    const Tensor<T> l = every_op(w_eager, fresh);
    l.backward();
    CHECK(loss.item() == l.item());
    CHECK(w.grad().to_vector() == w_eager.grad().to_vector());
  }
}

// ---- errors ----------------------------------------------------------------------------------------

TEST_CASE("index: bad indices, dims and shapes throw PyTorch's messages") {
  const Tensor<float> x = et::zeros<float>({4, 3}), scalar = et::zeros<float>({});
  const std::map<std::string, std::function<void()>> misuse = {
      {"index 5 of [4,3]", [&] { x[5]; }},
      {"index -5 of [4,3]", [&] { x[-5]; }},
      {"index of 0-d", [&] { scalar[0]; }},
      {"select dim 2 of [4,3]", [&] { x.select(2, 0); }},
      {"select index 3 dim 1 of [4,3]", [&] { x.select(1, 3); }},
      {"select index -4 dim -1 of [4,3]", [&] { x.select(-1, -4); }},
      {"select index 0 of [0,3]", [&] { et::zeros<float>({0, 3}).select(0, 0); }},
      {"index 0 of [0,3]", [&] { et::zeros<float>({0, 3})[0]; }},
      {"select 0-d", [&] { scalar.select(0, 0); }},
      {"narrow start 2 length 3 of [4,3]", [&] { x.narrow(0, 2, 3); }},
      {"narrow start -5 of [4,3]", [&] { x.narrow(0, -5, 1); }},
      {"narrow start 5 of [4,3]", [&] { x.narrow(0, 5, 0); }},
      {"narrow start -1 length 2 of [4,3]", [&] { x.narrow(0, -1, 2); }},
      {"narrow length -1 of [4,3]", [&] { x.narrow(0, 0, -1); }},
      {"narrow dim -3 of [4,3]", [&] { x.narrow(-3, 0, 1); }},
      {"narrow 0-d", [&] { scalar.narrow(0, 0, 1); }},
      {"slice step 0", [&] { x.slice(0, 0, 4, 0); }},
      {"slice step -1", [&] { x.slice(0, 0, 4, -1); }},
      {"slice dim 2 of [4,3]", [&] { x.slice(2, 0, 4, 1); }},
      {"slice 0-d", [&] { scalar.slice(0, 0, 4, 1); }},
      {"permute [0] of [4,3]", [&] { x.permute({0}); }},
      {"permute [0,1,2] of [4,3]", [&] { x.permute({0, 1, 2}); }},
      {"permute [0,0] of [4,3]", [&] { x.permute({0, 0}); }},
      {"permute [1,-1] of [4,3]", [&] { x.permute({1, -1}); }},
      {"permute [0,2] of [4,3]", [&] { x.permute({0, 2}); }},
      {"permute [0,0,5] of [4,3,2]", [&] { et::zeros<float>({4, 3, 2}).permute({0, 0, 5}); }},
      {"expand float [4,3] to [3]", [&] { x.expand({3}); }},
      {"expand double [4,3] to [3]", [&] { et::zeros<double>({4, 3}).expand({3}); }},
      {"expand [4,3] to [2,3]", [&] { x.expand({2, 3}); }},
      {"expand [4,3] to [2,2]", [&] { x.expand({2, 2}); }},
      {"expand [4,3] to [-1,-1,-1]", [&] { x.expand({-1, -1, -1}); }},
      {"expand [4,3] to [4,-2]", [&] { x.expand({4, -2}); }},
      {"repeat [4,3] by [2]", [&] { x.repeat({2}); }},
      {"repeat [4,3] by [-1,1]", [&] { x.repeat({-1, 1}); }},
      {"split 0 of [4,3]", [&] { x.split(0); }},
      {"split -1 of [4,3]", [&] { x.split(-1); }},
      {"split dim 2 of [4,3]", [&] { x.split(2, 2); }},
      {"split -1 dim 5 of [4,3]", [&] { x.split(-1, 5); }},
      {"split 0-d", [&] { scalar.split(1); }},
      {"chunk 0 of [4,3]", [&] { x.chunk(0); }},
      {"chunk -1 of [4,3]", [&] { x.chunk(-1); }},
      {"chunk dim 5 of [4,3]", [&] { x.chunk(2, 5); }},
      {"chunk 0-d", [&] { scalar.chunk(1); }},
      {"cat []", [&] { et::cat(std::vector<Tensor<float>>{}); }},
      {"cat [4,3],[4,2]", [&] { et::cat({x, et::zeros<float>({4, 2})}); }},
      {"cat [4,3],[2,2] along 1", [&] { et::cat({x, et::zeros<float>({2, 2})}, 1); }},
      {"cat [4,3],[4,3],[4,2] along -2", [&] { et::cat({x, x, et::zeros<float>({4, 2})}, -2); }},
      {"cat [4,3],[4,3,1]", [&] { et::cat({x, et::zeros<float>({4, 3, 1})}); }},
      {"cat [4,3],[4,3] along 2", [&] { et::cat({x, x}, 2); }},
      {"cat [2,3],[4,3],[0] along -1", [&] { et::cat({et::zeros<float>({2, 3}), x, et::zeros<float>({0})}, -1); }},
      {"cat 0-d, 0-d", [&] { et::cat({scalar, scalar}); }},
      {"cat [4,3], 0-d", [&] { et::cat({x, scalar}); }},
      {"stack []", [&] { et::stack(std::vector<Tensor<float>>{}); }},
      {"stack [4,3],[4,2]", [&] { et::stack({x, et::zeros<float>({4, 2})}); }},
      {"stack [4,3],[4,3],[3,4]", [&] { et::stack({x, x, et::zeros<float>({3, 4})}); }},
      {"stack [4,3],[4,2] at 5", [&] { et::stack({x, et::zeros<float>({4, 2})}, 5); }},
      {"stack [4,3],[4,3] at 3", [&] { et::stack({x, x}, 3); }},
      {"stack [4,3],[4,3] at -4", [&] { et::stack({x, x}, -4); }},
  };
  int checked = 0;
  for (const ref::IndexErrorCase& e : ref::index_errors) {
    const std::string key = e.key;
    CAPTURE(key);
    const auto it = misuse.find(key);
    REQUIRE(it != misuse.end());
    bool threw = false;
    try {
      it->second();
    } catch (const et::Error& err) {
      threw = true;
      CHECK(std::string(err.what()) == e.message);
      CHECK((dynamic_cast<const et::IndexError*>(&err) != nullptr) == (std::string(e.type) == "IndexError"));
    }
    CHECK(threw);
    ++checked;
  }
  CHECK(checked == static_cast<int>(misuse.size()));
}

}  // namespace
