// Proves Engine::invoke() performs no heap allocation: this binary replaces the global
// operator new/delete (every form) and, outside sanitizer builds, malloc and friends, and
// counts calls while 1,000 invocations run.
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"

#include "arena_plan.hpp"
#include "image_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

// This file defines the allocation functions themselves, on top of malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> gCounting{false};
std::atomic<long> gAllocations{0};
void noteAllocation() {
  if (gCounting.load(std::memory_order_relaxed)) gAllocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

void* operator new(std::size_t n) {
  noteAllocation();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  noteAllocation();
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
  noteAllocation();
  if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + static_cast<std::size_t>(a) - 1) /
                                                                    static_cast<std::size_t>(a) *
                                                                    static_cast<std::size_t>(a)))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#if !defined(__SANITIZE_ADDRESS__)
// glibc's own entry points, so malloc itself can be counted without recursion.
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);
extern "C" void* malloc(std::size_t n) {
  noteAllocation();
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t m) {
  noteAllocation();
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, std::size_t n) {
  noteAllocation();
  return __libc_realloc(p, n);
}
extern "C" void* aligned_alloc(std::size_t a, std::size_t n) {
  noteAllocation();
  return __libc_memalign(a, n);
}
constexpr bool kCountsMalloc = true;
#else
constexpr bool kCountsMalloc = false;
#endif

namespace edgert {
namespace {

TEST(EngineAllocations, InvokeAllocatesNothingOver1000Runs) {
  // A network touching several kernels: conv+bias, relu, add, pool, concat, reshape.
  compiler::Graph g;
  auto add = [&g](const char* name, kernels::Shape s) {
    compiler::Value v;
    v.name = name;
    v.type = {kernels::DType::kFloat32, s};
    return g.addValue(std::move(v));
  };
  auto constant = [&](const char* name, kernels::Shape s) {
    compiler::ValueId id = add(name, s);
    g.value(id).isConstant = true;
    g.value(id).data.assign(g.value(id).type.bytes(), std::byte{0x3c});
    return id;
  };
  auto node = [&g](kernels::OpCode op, auto params, std::vector<compiler::ValueId> ins, compiler::ValueId out) {
    compiler::Node n;
    n.name = "n" + std::to_string(g.nodes.size());
    n.op = op;
    n.setParams(params);
    n.inputs = std::move(ins);
    n.outputs = {out};
    g.nodes.push_back(std::move(n));
  };
  compiler::ValueId x = add("x", kernels::Shape::of({1, 3, 16, 16}));
  g.value(x).isGraphInput = true;
  g.inputs.push_back(x);
  compiler::ValueId w = constant("w", kernels::Shape::of({8, 3, 3, 3}));
  compiler::ValueId b = constant("b", kernels::Shape::of({8}));
  compiler::ValueId c = add("c", kernels::Shape::of({1, 8, 16, 16}));
  kernels::ConvParams cp;
  cp.kernel[0] = cp.kernel[1] = 3;
  cp.padBegin[0] = cp.padBegin[1] = cp.padEnd[0] = cp.padEnd[1] = 1;
  cp.hasBias = 1;
  node(kernels::OpCode::kConv, cp, {x, w, b}, c);
  compiler::ValueId r = add("r", kernels::Shape::of({1, 8, 16, 16}));
  kernels::ActivationParams relu;
  relu.kind = kernels::Activation::kRelu;
  node(kernels::OpCode::kActivation, relu, {c}, r);
  compiler::ValueId s = add("s", kernels::Shape::of({1, 8, 16, 16}));
  node(kernels::OpCode::kBinary, kernels::BinaryParams{}, {r, c}, s);
  compiler::ValueId p = add("p", kernels::Shape::of({1, 8, 8, 8}));
  kernels::PoolParams pp;
  pp.kernel[0] = pp.kernel[1] = 2;
  pp.stride[0] = pp.stride[1] = 2;
  node(kernels::OpCode::kMaxPool, pp, {s}, p);
  compiler::ValueId cat = add("cat", kernels::Shape::of({1, 16, 8, 8}));
  kernels::ConcatParams catp;
  catp.axis = 1;
  node(kernels::OpCode::kConcat, catp, {p, p}, cat);
  compiler::ValueId y = add("y", kernels::Shape::of({1, 1024}));
  kernels::ReshapeParams rp;
  rp.shape = kernels::Shape::of({1, 1024});
  node(kernels::OpCode::kReshape, rp, {cat}, y);
  g.value(y).isGraphOutput = true;
  g.outputs.push_back(y);

  auto plan = compiler::planArena(g);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  auto bytes = compiler::writeImage(g, *plan);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  std::byte* buf = static_cast<std::byte*>(std::aligned_alloc(64, (bytes->size() + 63) / 64 * 64));
  std::memcpy(buf, bytes->data(), bytes->size());
  auto model = Model::fromBytes({buf, bytes->size()}, "alloc.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto engine = Engine::create(*model);
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  std::memset((*engine)->inputs()[0].data, 0, (*engine)->inputs()[0].type.bytes());

  // The counter itself must work, or a zero below proves nothing.
  gCounting = true;
  int* volatile counted = new int(1);  // volatile: the pair must not be optimized away
  delete counted;
  void* volatile probe = std::malloc(16);
  std::free(probe);
  gCounting = false;
  // operator new calls malloc, so with malloc counted the pair above counts 3.
  ASSERT_EQ(gAllocations.load(), kCountsMalloc ? 3 : 1) << "allocation counter is not wired";
  gAllocations = 0;

  gCounting = true;
  for (int i = 0; i < 1000; ++i) (*engine)->invoke();
  gCounting = false;
  EXPECT_EQ(gAllocations.load(), 0);
  if (!kCountsMalloc) RecordProperty("note", "sanitizer build: operator new counted, malloc not");
  std::free(buf);
}

}  // namespace
}  // namespace edgert
