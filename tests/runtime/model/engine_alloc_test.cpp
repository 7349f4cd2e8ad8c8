// Proves Engine::invoke() performs no heap allocation: this binary counts heap allocations
// (tests/support/alloc_counter.cpp), in every thread, while 1,000 invocations run, on one
// thread and on the worker pool. And that the pool changes no output bit.
#include "edgert/kernels/cpu_features.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/engine_set.hpp"
#include "edgert/runtime/model.hpp"

#include "arena_plan.hpp"
#include "image_writer.hpp"
#include "support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <unistd.h>
#include <random>
#include <vector>


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
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    auto engine = Engine::create(*model, {}, Engine::Options{threads});
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    std::memset((*engine)->inputs()[0].data, 0, (*engine)->inputs()[0].type.bytes());

    // The counter itself must work, or a zero below proves nothing.
    ASSERT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
    test::startCountingAllocations();
    for (int i = 0; i < 1000; ++i) (*engine)->invoke();
    EXPECT_EQ(test::stopCountingAllocations(), 0);
  }
  if (!test::countsMalloc()) RecordProperty("note", "sanitizer build: operator new counted, malloc not");
  std::free(buf);
}

// The fast Conv variants of this CPU, which split their work over the pool, or the
// reference kernels where it has none (the pool is then idle, still started and stopped).
struct FastVariants {
  std::uint16_t general = 0, depthwise = 0, pointwise = 0, upsample = 0;
  model::Target target = model::Target::kAny;
};

FastVariants fastVariants() {
#if defined(__x86_64__)
  if (kernels::cpuFeatures().avx2 && kernels::cpuFeatures().fma) return {5, 2, 1, 1, model::Target::kX86_64};
#elif defined(__aarch64__)
  if (kernels::cpuFeatures().neon) return {6, 4, 3, 2, model::Target::kAarch64};
#endif
  return {};
}

// A small network of the real models' layers, each on this CPU's fast variant: a 3x3
// stride-2 first conv (general), a 3x3 depthwise, a pointwise with its residual and Relu,
// and a 2x2 stride-2 ConvTranspose (upsample); random weights. An image owned by the caller
// (the returned buffer, 64-byte aligned).
struct FastImage {
  std::byte* data = nullptr;
  std::size_t size = 0;
  ~FastImage() { std::free(data); }
};

void buildFastImage(FastImage& out, std::int64_t side = 64) {
  const FastVariants v = fastVariants();
  compiler::Graph g;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  auto add = [&g](const char* name, kernels::Shape s) {
    compiler::Value value;
    value.name = name;
    value.type = {kernels::DType::kFloat32, s};
    return g.addValue(std::move(value));
  };
  auto constant = [&](const char* name, kernels::Shape s) {
    compiler::ValueId id = add(name, s);
    compiler::Value& value = g.value(id);
    value.isConstant = true;
    value.data.resize(value.type.bytes());
    for (std::size_t i = 0; i < value.data.size(); i += sizeof(float)) {
      const float f = dist(rng);
      std::memcpy(value.data.data() + i, &f, sizeof f);
    }
    return id;
  };
  auto node = [&g](kernels::OpCode op, std::uint16_t variant, auto params, std::vector<compiler::ValueId> ins,
                   compiler::ValueId result) {
    compiler::Node n;
    n.name = "n" + std::to_string(g.nodes.size());
    n.op = op;
    n.variant = variant;
    n.setParams(params);
    n.inputs = std::move(ins);
    n.outputs = {result};
    g.nodes.push_back(std::move(n));
  };
  const std::int64_t half = side / 2;
  compiler::ValueId x = add("x", kernels::Shape::of({1, 3, side, side}));
  g.value(x).isGraphInput = true;
  g.inputs.push_back(x);

  kernels::ConvParams first;
  first.kernel[0] = first.kernel[1] = 3;
  first.stride[0] = first.stride[1] = 2;
  first.padBegin[0] = first.padBegin[1] = first.padEnd[0] = first.padEnd[1] = 1;
  first.hasBias = 1;
  first.activation.kind = kernels::Activation::kRelu;
  compiler::ValueId c1 = add("c1", kernels::Shape::of({1, 16, half, half}));
  node(kernels::OpCode::kConv, v.general, first,
       {x, constant("w1", kernels::Shape::of({16, 3, 3, 3})), constant("b1", kernels::Shape::of({16}))}, c1);

  kernels::ConvParams dw;
  dw.kernel[0] = dw.kernel[1] = 3;
  dw.padBegin[0] = dw.padBegin[1] = dw.padEnd[0] = dw.padEnd[1] = 1;
  dw.group = 16;
  dw.hasBias = 1;
  compiler::ValueId c2 = add("c2", kernels::Shape::of({1, 16, half, half}));
  node(kernels::OpCode::kConv, v.depthwise, dw,
       {c1, constant("w2", kernels::Shape::of({16, 1, 3, 3})), constant("b2", kernels::Shape::of({16}))}, c2);

  kernels::ConvParams pw;
  pw.hasBias = 1;
  pw.hasResidual = 1;
  pw.activation.kind = kernels::Activation::kRelu;
  compiler::ValueId c3 = add("c3", kernels::Shape::of({1, 16, half, half}));
  node(kernels::OpCode::kConv, v.pointwise, pw,
       {c2, constant("w3", kernels::Shape::of({16, 16, 1, 1})), constant("b3", kernels::Shape::of({16})), c1}, c3);

  kernels::ConvTransposeParams up;
  up.kernel[0] = up.kernel[1] = up.stride[0] = up.stride[1] = 2;
  up.hasBias = 1;
  compiler::ValueId y = add("y", kernels::Shape::of({1, 8, side, side}));
  node(kernels::OpCode::kConvTranspose, v.upsample, up,
       {c3, constant("w4", kernels::Shape::of({16, 8, 2, 2})), constant("b4", kernels::Shape::of({8}))}, y);
  g.value(c3).isGraphOutput = true;
  g.outputs.push_back(c3);
  g.value(y).isGraphOutput = true;
  g.outputs.push_back(y);

  auto plan = compiler::planArena(g);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  auto bytes = compiler::writeImage(g, *plan, v.target);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  out.size = bytes->size();
  out.data = static_cast<std::byte*>(std::aligned_alloc(64, (bytes->size() + 63) / 64 * 64));
  std::memcpy(out.data, bytes->data(), bytes->size());
}

void fillInput(Engine& engine) {
  const Engine::Binding& in = engine.inputs()[0];
  float* f = reinterpret_cast<float*>(in.data);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::int64_t i = 0; i < in.type.shape.numel(); ++i) f[i] = dist(rng);
}

TEST(EngineThreads, TwoAndThreeThreadsGiveTheSameOutputsAsOne) {
  if (fastVariants().target == model::Target::kAny) {
    RecordProperty("note", "no fast Conv variants on this CPU: reference kernels, which do not split");
  }
  FastImage image;
  ASSERT_NO_FATAL_FAILURE(buildFastImage(image));
  auto model = Model::fromBytes({image.data, image.size}, "threads.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto one = Engine::create(*model, {}, Engine::Options{1});
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ((*one)->threads(), 1);
  EXPECT_EQ((*one)->workerScratchBytes(), 0u);
  fillInput(**one);
  (*one)->invoke();
  for (int threads : {2, 3}) {
    auto many = Engine::create(*model, {}, Engine::Options{threads});
    ASSERT_TRUE(many.ok()) << many.error().message();
    EXPECT_EQ((*many)->threads(), threads);
    for (int run = 0; run < 3; ++run) {  // the same every time, not only the first
      fillInput(**many);                 // the arena may reuse the input's bytes
      (*many)->invoke();
      for (std::size_t j = 0; j < (*one)->outputs().size(); ++j) {
        const Engine::Binding& want = (*one)->outputs()[j];
        const Engine::Binding& got = (*many)->outputs()[j];
        ASSERT_EQ(want.type.bytes(), got.type.bytes());
        EXPECT_EQ(std::memcmp(want.data, got.data, want.type.bytes()), 0)
            << "output " << want.name << " on " << threads << " threads differs from 1 thread (run " << run << ")";
      }
    }
  }
}

TEST(EngineAllocations, InvokeOnThreadsAllocatesNothingOver1000Runs) {
  FastImage image;
  ASSERT_NO_FATAL_FAILURE(buildFastImage(image));
  auto model = Model::fromBytes({image.data, image.size}, "threads.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  for (int threads : {2, 3}) {
    SCOPED_TRACE(threads);
    auto engine = Engine::create(*model, {}, Engine::Options{threads});
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    fillInput(**engine);
    (*engine)->invoke();
    ASSERT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
    test::startCountingAllocations();
    for (int i = 0; i < 1000; ++i) (*engine)->invoke();
    EXPECT_EQ(test::stopCountingAllocations(), 0);
  }
}

TEST(EngineProfile, TimesEveryOpAllocatesNothingAndChangesNoOutput) {
  FastImage image;
  ASSERT_NO_FATAL_FAILURE(buildFastImage(image));
  auto model = Model::fromBytes({image.data, image.size}, "profile.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto engine = Engine::create(*model, {}, Engine::Options{2});
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  fillInput(**engine);
  (*engine)->invoke();
  const Engine::Binding& out = (*engine)->outputs()[0];
  const std::vector<std::byte> plain(out.data, out.data + out.type.bytes());
  std::vector<std::uint64_t> nanos(model->ops().size(), 0);
  // The same input again (the plan may place a tensor over the input once it is read).
  fillInput(**engine);
  test::startCountingAllocations();
  (*engine)->invoke(nanos);
  EXPECT_EQ(test::stopCountingAllocations(), 0);
  EXPECT_EQ(std::memcmp(plain.data(), out.data, plain.size()), 0);
  for (int i = 0; i < 9; ++i) (*engine)->invoke(nanos);
  for (std::size_t k = 0; k < nanos.size(); ++k) EXPECT_GT(nanos[k], 0u) << "op " << k;
  // A span of the wrong size times nothing (and still runs the model).
  std::vector<std::uint64_t> wrong(model->ops().size() + 1, 0);
  (*engine)->invoke(wrong);
  for (std::uint64_t n : wrong) EXPECT_EQ(n, 0u);
}

// Pages of [p, p + n) not present in this process's page tables (/proc/self/pagemap, bit
// 63; readable without privileges), or -1 if pagemap cannot be read.
std::int64_t pagesNotPresent(const void* p, std::size_t n) {
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(p) / page;
  const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(p) + n - 1) / page;
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::int64_t missing = 0;
  for (std::uintptr_t v = first; v <= last; ++v) {
    std::uint64_t entry = 0;
    if (::pread(fd, &entry, sizeof entry, static_cast<off_t>(v * sizeof entry)) != sizeof entry) {
      missing = -1;
      break;
    }
    if ((entry >> 63) == 0) ++missing;
  }
  ::close(fd);
  return missing;
}

TEST(EngineMemory, ModelAndArenaAreMappedInBeforeTheFirstInference) {
  // A page first touched inside invoke() is a fault in the first inference (~10 us each on
  // the VMs here; BlazeFace front's 1.2 MiB arena took 300). Model::open leaves every page
  // of the image present (mapped with MAP_POPULATE, and read whole by validation), and the
  // engine's own arena is faulted in by create(); arenas of 1 MiB or more lie on 2 MiB
  // boundaries (huge pages where the kernel has them).
  for (std::int64_t side : {64, 256}) {
    SCOPED_TRACE(side);
    FastImage image;
    buildFastImage(image, side);
    char path[] = "/tmp/edgert-engine-memory-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, image.data, image.size), static_cast<ssize_t>(image.size));
    ::close(fd);
    auto model = Model::open(path);
    ::unlink(path);
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(pagesNotPresent(&model->header(), model->fileBytes()), 0) << "of the model image";
    auto engine = Engine::create(*model);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    const std::span<const std::byte> arena = (*engine)->arena();
    EXPECT_EQ(pagesNotPresent(arena.data(), arena.size()), 0) << "of the " << arena.size() << "-byte arena";
    if (arena.size() >= (std::size_t{1} << 20)) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(arena.data()) % (std::uintptr_t{2} << 20), 0u);
    }
    if (side == 256) {
      EXPECT_GE(arena.size(), std::size_t{1} << 20) << "the large case must take the huge-page path";
    }
  }
}

TEST(EngineThreads, RejectsThreadCountsOutside1To256) {
  FastImage image;
  ASSERT_NO_FATAL_FAILURE(buildFastImage(image));
  auto model = Model::fromBytes({image.data, image.size}, "threads.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  for (int threads : {0, 257}) {
    auto engine = Engine::create(*model, {}, Engine::Options{threads});
    ASSERT_FALSE(engine.ok());
    EXPECT_EQ(engine.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(engine.error().message().find("threads.edgm: " + std::to_string(threads) +
                                            " threads requested, expected 1..256"),
              std::string::npos)
        << engine.error().message();
  }
  auto eight = Engine::create(*model, {}, Engine::Options{8});
  ASSERT_TRUE(eight.ok()) << eight.error().message();
  if (fastVariants().target != model::Target::kAny) {
    EXPECT_GT((*eight)->workerScratchBytes(), 0u) << "the depthwise and general convs plan scratch";
  }
}

}  // namespace
}  // namespace edgert

namespace edgert {
namespace {

// Engines of one set (a multi-model pipeline) share one arena, the largest plan's, and one
// worker pool, and give what separate engines give, as long as each one's outputs are read
// before the next one runs; invoking them allocates nothing.
TEST(EngineSet, EnginesShareOneArenaAndPoolAndGiveWhatSeparateEnginesGive) {
  FastImage image;
  ASSERT_NO_FATAL_FAILURE(buildFastImage(image));
  auto model = Model::fromBytes({image.data, image.size}, "set.edgm");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto alone = Engine::create(*model, {}, Engine::Options{2});
  ASSERT_TRUE(alone.ok()) << alone.error().message();
  fillInput(**alone);
  (*alone)->invoke();
  const Engine::Binding& want = (*alone)->outputs()[0];
  const std::vector<std::byte> expected(want.data, want.data + want.type.bytes());

  const Model* models[] = {&*model, &*model};
  auto set = EngineSet::create(models, Engine::Options{.threads = 2});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EngineSet& engines = **set;
  ASSERT_EQ(engines.size(), 2U);
  EXPECT_EQ(engines.separateArenaBytes(), 2 * engines.arenaBytes());
  EXPECT_GE(engines.arenaBytes(), static_cast<std::size_t>(model->header().arenaBytes));
  EXPECT_LT(engines.arenaBytes(), static_cast<std::size_t>(model->header().arenaBytes) + 64);
  EXPECT_EQ(engines.threads(), 2);
  EXPECT_EQ(engines.workerScratchBytes(), (*alone)->workerScratchBytes());
  ASSERT_NE(engines.pool(), nullptr);
  // One arena: the two engines' tensors are the same bytes.
  EXPECT_EQ(engines[0].outputs()[0].data, engines[1].outputs()[0].data);
  EXPECT_EQ(engines[0].arena().data(), engines[1].arena().data());
  for (std::size_t k = 0; k < 2; ++k) {
    fillInput(engines[k]);
    engines[k].invoke();
    const Engine::Binding& got = engines[k].outputs()[0];
    ASSERT_EQ(got.type.bytes(), expected.size());
    EXPECT_EQ(std::memcmp(got.data, expected.data(), expected.size()), 0) << "engine " << k;
  }
  ASSERT_TRUE(test::allocationCounterWorks());
  test::startCountingAllocations();
  for (int i = 0; i < 200; ++i) {
    engines[0].invoke();
    engines[1].invoke();
  }
  EXPECT_EQ(test::stopCountingAllocations(), 0);

  EXPECT_FALSE(EngineSet::create({}, {}).ok());
  auto zero = EngineSet::create(models, Engine::Options{.threads = 0});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("0 threads"), std::string::npos) << zero.error().message();
}

}  // namespace
}  // namespace edgert
