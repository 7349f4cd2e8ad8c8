#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/kernels/cpu_features.hpp"

#include "arena_plan.hpp"
#include "image_writer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

namespace edgert {
namespace {

using compiler::Graph;
using compiler::Node;
using compiler::Value;
using compiler::ValueId;
using kernels::DType;
using kernels::Shape;

// A 64-byte aligned copy of an image, as Model::fromBytes requires.
class AlignedImage {
 public:
  explicit AlignedImage(const std::vector<std::byte>& bytes) : size_(bytes.size()) {
    data_ = static_cast<std::byte*>(std::aligned_alloc(64, (size_ + 63) / 64 * 64 + 64));
    std::memcpy(data_, bytes.data(), size_);
  }
  ~AlignedImage() { std::free(data_); }
  AlignedImage(const AlignedImage&) = delete;
  std::span<const std::byte> span() const { return {data_, size_}; }
  std::span<const std::byte> prefix(std::size_t n) const { return {data_, n}; }
  std::byte* data() { return data_; }
  model::Header& header() { return *reinterpret_cast<model::Header*>(data_); }
  void reseal() { header().checksum = model::computeChecksum(data_, size_); }
  template <typename T>
  T& at(std::uint64_t offset) { return *reinterpret_cast<T*>(data_ + offset); }

 private:
  std::byte* data_;
  std::size_t size_;
};

std::vector<std::byte> floatBytes(const std::vector<float>& v) {
  std::vector<std::byte> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// x[1,2,5,5] -> Conv(3x3, pad 1, bias) -> c[1,3,5,5] -> Relu -> y (output)
Graph smallGraph() {
  Graph g;
  auto add = [&g](const char* name, Shape s) {
    Value v;
    v.name = name;
    v.type = {DType::kFloat32, s};
    return g.addValue(std::move(v));
  };
  ValueId x = add("x", Shape::of({1, 2, 5, 5}));
  g.value(x).isGraphInput = true;
  g.inputs.push_back(x);
  ValueId w = add("w", Shape::of({3, 2, 3, 3}));
  std::vector<float> wv(54);
  for (int i = 0; i < 54; ++i) wv[static_cast<std::size_t>(i)] = static_cast<float>((i * 7) % 11 - 5) / 8.0f;
  g.value(w).isConstant = true;
  g.value(w).data = floatBytes(wv);
  ValueId b = add("b", Shape::of({3}));
  g.value(b).isConstant = true;
  g.value(b).data = floatBytes({0.5f, -1.0f, 0.25f});
  ValueId c = add("c", Shape::of({1, 3, 5, 5}));
  ValueId y = add("y", Shape::of({1, 3, 5, 5}));
  g.value(y).isGraphOutput = true;
  g.outputs.push_back(y);

  Node conv;
  conv.name = "conv";
  conv.op = kernels::OpCode::kConv;
  kernels::ConvParams p;
  p.kernel[0] = p.kernel[1] = 3;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  p.hasBias = 1;
  conv.setParams(p);
  conv.inputs = {x, w, b};
  conv.outputs = {c};
  g.nodes.push_back(conv);
  Node relu;
  relu.name = "relu";
  relu.op = kernels::OpCode::kActivation;
  kernels::ActivationParams a;
  a.kind = kernels::Activation::kRelu;
  relu.setParams(a);
  relu.inputs = {c};
  relu.outputs = {y};
  g.nodes.push_back(relu);
  return g;
}

std::vector<std::byte> smallImage() {
  Graph g = smallGraph();
  auto plan = compiler::planArena(g);
  EXPECT_TRUE(plan.ok());
  auto image = compiler::writeImage(g, *plan);
  EXPECT_TRUE(image.ok()) << image.error().message();
  return *image;
}

std::uint64_t smallImageArena() {
  const auto bytes = smallImage();
  model::Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  return h.arenaBytes;
}

std::string loadError(AlignedImage& img) {
  auto m = Model::fromBytes(img.span(), "m.edgm");
  return m.ok() ? std::string("loaded") : m.error().message();
}

TEST(Model, LoadsAndRunsASmallImage) {
  AlignedImage img(smallImage());
  auto m = Model::fromBytes(img.span(), "m.edgm");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->ops().size(), 2u);
  EXPECT_EQ(m->bindings().size(), 2u);
  auto engine = Engine::create(*m);
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  const Engine::Binding* x = (*engine)->findInput("x");
  const Engine::Binding* y = (*engine)->findOutput("y");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  float* xin = reinterpret_cast<float*>(x->data);
  for (int i = 0; i < 50; ++i) xin[i] = static_cast<float>(i % 9) - 4.0f;
  (*engine)->invoke();

  // Expected, straight from the definition.
  Graph g = smallGraph();
  const float* w = reinterpret_cast<const float*>(g.value(1).data.data());
  const float bias[3] = {0.5f, -1.0f, 0.25f};
  const float* yout = reinterpret_cast<const float*>(y->data);
  for (int oc = 0; oc < 3; ++oc) {
    for (int oy = 0; oy < 5; ++oy) {
      for (int ox = 0; ox < 5; ++ox) {
        float s = bias[oc];
        for (int ic = 0; ic < 2; ++ic) {
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
              s += (static_cast<float>((ic * 25 + iy * 5 + ix) % 9) - 4.0f) * w[((oc * 2 + ic) * 3 + ky) * 3 + kx];
            }
          }
        }
        EXPECT_NEAR(yout[(oc * 5 + oy) * 5 + ox], std::max(s, 0.0f), 1e-5f) << oc << "," << oy << "," << ox;
      }
    }
  }
}

TEST(Model, OpenMapsAFileAndNamesMissingOnes) {
  const std::string path = ::testing::TempDir() + "edgert_model_test.edgm";
  const auto bytes = smallImage();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  auto m = Model::open(path);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->fileBytes(), bytes.size());
  Model moved = std::move(*m);
  EXPECT_EQ(moved.ops().size(), 2u);

  auto missing = Model::open("/nonexistent/face.edgm");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Errc::kNotFound);
  EXPECT_EQ(missing.error().message(), "open /nonexistent/face.edgm: No such file or directory");
}

TEST(Model, TruncatedImagesAreRejected) {
  AlignedImage img(smallImage());
  const std::size_t size = img.span().size();
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, sizeof(model::Header) - 1}) {
    auto m = Model::fromBytes(img.prefix(n), "m.edgm");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message(), fmt::format("m.edgm: {} bytes, shorter than the 200-byte image header", n));
  }
  auto m = Model::fromBytes(img.prefix(size - 1), "m.edgm");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(),
            fmt::format("m.edgm: header says {} bytes but the file has {} (truncated?)", size, size - 1));
}

TEST(Model, HeaderProblemsAreNamed) {
  {
    AlignedImage img(smallImage());
    img.data()[0] = std::byte{'X'};
    EXPECT_EQ(loadError(img), "m.edgm: not an edgert model image (bad magic)");
  }
  {
    AlignedImage img(smallImage());
    img.header().formatVersion = 1;
    EXPECT_EQ(loadError(img), "m.edgm: image format version 1, this edgert reads versions 2 to 3");
  }
  {
    AlignedImage img(smallImage());
    const std::uint64_t good = img.header().checksum;
    img.data()[img.span().size() - 1] ^= std::byte{1};  // a weight bit
    const std::uint64_t bad = model::computeChecksum(img.data(), img.span().size());
    EXPECT_EQ(loadError(img), fmt::format("m.edgm: checksum mismatch (header says {:#018x}, contents give {:#018x})",
                                          good, bad));
  }
  {
    AlignedImage img(smallImage());
    img.header().target = static_cast<model::Target>(9);
    img.reseal();
    EXPECT_EQ(loadError(img), "m.edgm: unknown target 9");
  }
  {
    AlignedImage img(smallImage());
    img.header().tensors.offset = img.span().size();
    img.header().tensors.bytes = 96;
    img.reseal();
    EXPECT_EQ(loadError(img), fmt::format("m.edgm: tensors section (96 bytes at {0}) lies outside the {0}-byte file",
                                          img.span().size()));
  }
}

// edgert-bundle on an x86_64 host checks a model made for an aarch64 device (and back): for
// its own target, everything but what depends on this machine; such a Model never runs here.
TEST(Model, AnotherArchitecturesImageIsCheckedForItsTarget) {
  const bool x86 = std::string_view(kernels::compiledArch()) == "x86_64";
  const model::Target other = x86 ? model::Target::kAarch64 : model::Target::kX86_64;
  const std::string path = ::testing::TempDir() + "edgert_other_arch.edgm";
  const auto write = [&](AlignedImage& img) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.span().size()));
  };
  AlignedImage img(smallImage());
  img.header().target = other;
  img.reseal();
  write(img);
  auto here = Model::open(path);
  ASSERT_FALSE(here.ok());
  EXPECT_EQ(here.error().message(), fmt::format("{}: compiled for {} kernels, this edgert is {}", path,
                                                model::targetName(other), kernels::compiledArch()));
  auto checked = Model::open(path, CheckFor::kItsTarget);
  ASSERT_TRUE(checked.ok()) << checked.error().message();
  EXPECT_FALSE(checked->runsHere());
  auto engine = Engine::create(*checked);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.error().message().find("it cannot run here"), std::string::npos);
  // Damage is still damage.
  img.data()[img.span().size() - 1] ^= std::byte{1};
  write(img);
  auto damaged = Model::open(path, CheckFor::kItsTarget);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message().find("checksum mismatch"), std::string::npos);
}

// The fast Conv variant of `isa` that the registry lists last and that applies to the small
// graph's conv (what edgert-compile picks for that instruction set), or 0.
std::uint16_t convVariantFor(kernels::Isa isa) {
  const Graph g = smallGraph();
  const Node& conv = g.nodes[0];
  std::vector<kernels::TensorType> ins, outs{g.value(conv.outputs[0]).type};
  for (ValueId id : conv.inputs) ins.push_back(g.value(id).type);
  std::uint16_t found = 0;
  for (const kernels::KernelVariant& v : kernels::allVariants()) {
    if (v.code == kernels::OpCode::kConv && v.isa == isa && (v.applies == nullptr || v.applies(conv.params.data(), ins, outs))) {
      found = v.id;
    }
  }
  return found;
}

// One image for a mixed fleet: the conv carries the fast variants of x86-64 (AVX-512, AVX2)
// and AArch64 (NEON) after its reference base. The host and qemu-aarch64 load the same bytes
// and each runs the best variant its CPU has, with the reference kernel's result.
TEST(Model, APortableImagePicksThisCpusVariantPerOp) {
  const std::uint16_t avx512 = convVariantFor(kernels::Isa::kAvx512), avx2 = convVariantFor(kernels::Isa::kAvx2),
                      neon = convVariantFor(kernels::Isa::kNeon);
  ASSERT_NE(avx512, 0);
  ASSERT_NE(avx2, 0);
  ASSERT_NE(neon, 0);
  Graph g = smallGraph();
  g.nodes[0].alternatives = {avx512, avx2, neon};
  auto plan = compiler::planArena(g);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  auto bytes = compiler::writeImage(g, *plan);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  AlignedImage img(*bytes);
  EXPECT_EQ(img.header().formatVersion, 3u);
  EXPECT_EQ(img.header().target, model::Target::kAny);
  auto m = Model::fromBytes(img.span(), "portable.edgm");
  ASSERT_TRUE(m.ok()) << m.error().message();

  const kernels::CpuFeatures& f = kernels::cpuFeatures();
  const std::string_view arch = kernels::compiledArch();
  kernels::Isa expected = kernels::Isa::kAny;
  if (arch == "x86_64" && f.avx2 && f.fma) expected = kernels::Isa::kAvx2;
  if (arch == "x86_64" && f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl) expected = kernels::Isa::kAvx512;
  if (arch == "aarch64") expected = kernels::Isa::kNeon;
  EXPECT_EQ(m->variant(0).isa, expected) << arch << " picked " << m->variant(0).name;
  EXPECT_EQ(m->variant(1).id, 0) << "the Activation has no alternatives: its base runs";
  ASSERT_EQ(m->alternatives(0).size(), 3u);
  EXPECT_TRUE(m->alternatives(1).empty());
  // Checked for another machine (edgert-bundle), the model keeps its base.
  const std::string path = ::testing::TempDir() + "edgert_portable.edgm";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  auto checked = Model::open(path, CheckFor::kItsTarget);
  ASSERT_TRUE(checked.ok()) << checked.error().message();
  EXPECT_EQ(checked->variant(0).id, 0);

  // The same result as the reference image.
  AlignedImage refImg(smallImage());
  auto ref = Model::fromBytes(refImg.span(), "ref.edgm");
  ASSERT_TRUE(ref.ok());
  auto run = [](const Model& model, std::vector<float>& out) {
    auto engine = Engine::create(model);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    float* x = reinterpret_cast<float*>((*engine)->findInput("x")->data);
    for (int i = 0; i < 50; ++i) x[i] = static_cast<float>(i % 9) - 4.0f;
    (*engine)->invoke();
    const float* y = reinterpret_cast<const float*>((*engine)->findOutput("y")->data);
    out.assign(y, y + 75);
  };
  std::vector<float> fast, slow;
  run(*m, fast);
  run(*ref, slow);
  ASSERT_EQ(fast.size(), 75u);
  for (std::size_t i = 0; i < 75; ++i) EXPECT_NEAR(fast[i], slow[i], 1e-5f) << i;
}

// The variants section is checked like every other record.
TEST(Model, VariantRecordProblemsAreNamed) {
  const std::uint16_t avx2 = convVariantFor(kernels::Isa::kAvx2), neon = convVariantFor(kernels::Isa::kNeon);
  Graph g = smallGraph();
  g.nodes[0].alternatives = {avx2, neon};
  auto plan = compiler::planArena(g);
  ASSERT_TRUE(plan.ok());
  const std::vector<std::byte> bytes = *compiler::writeImage(g, *plan);
  auto verdict = [&bytes](auto edit) {
    AlignedImage img(bytes);
    auto* records = reinterpret_cast<model::VariantRecord*>(img.data() + img.header().variants.offset);
    edit(img.header(), records);
    img.reseal();
    return loadError(img);
  };
  EXPECT_EQ(verdict([](auto&, auto*) {}), "loaded");
  EXPECT_EQ(verdict([](auto&, auto* r) { r[1].op = 2; }), "m.edgm: variant record 1 names op 2 of 2");
  EXPECT_EQ(verdict([](auto&, auto* r) { r[1].variant = r[0].variant; }),
            fmt::format("m.edgm: op 0 'conv': alternative 1: variant {} is listed twice", avx2));
  EXPECT_EQ(verdict([](auto&, auto* r) { r[0].variant = 0; }),
            "m.edgm: op 0 'conv': alternative 0: variant 0, the reference kernel, is never an alternative");
  EXPECT_EQ(verdict([](auto&, auto* r) { r[1].reserved = 1; }),
            "m.edgm: op 0 'conv': alternative 1: reserved field is 1, expected 0");
  EXPECT_EQ(verdict([](auto&, auto* r) {
              r[0].op = 1;
              r[1].op = 0;
            }),
            "m.edgm: op 1 'relu': the variants section is not in op order");
  // A variant this build does not have (from a newer edgert-compile) is passed over: the op
  // runs its next alternative or its base, and inspect still lists it.
  {
    AlignedImage img(bytes);
    auto* r = reinterpret_cast<model::VariantRecord*>(img.data() + img.header().variants.offset);
    r[0].variant = 999;
    img.reseal();
    auto m = Model::fromBytes(img.span(), "m.edgm");
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_NE(m->variant(0).id, 999);
    EXPECT_TRUE(m->variant(0).id == neon || m->variant(0).id == 0) << m->variant(0).name;
    ASSERT_EQ(m->alternatives(0).size(), 2u);
    EXPECT_EQ(m->alternatives(0)[0].variant, 999);
  }
  EXPECT_EQ(verdict([](auto& h, auto*) { h.formatVersion = 2; }), "m.edgm: reserved header bytes are not zero");
  EXPECT_EQ(verdict([](auto& h, auto*) { h.variants.bytes = 12; }),
            "m.edgm: variants section is misaligned or not a whole number of records");
  // A variant for a 1x1 conv does not apply to this 3x3 one.
  std::uint16_t pointwise = 0;
  for (const kernels::KernelVariant& v : kernels::allVariants()) {
    if (v.code == kernels::OpCode::kConv && v.isa == kernels::Isa::kNeon && v.name.find("pointwise") != std::string_view::npos) {
      pointwise = v.id;
    }
  }
  ASSERT_NE(pointwise, 0);
  {
    AlignedImage img(bytes);
    auto* r = reinterpret_cast<model::VariantRecord*>(img.data() + img.header().variants.offset);
    r[1].variant = pointwise;
    img.reseal();
    auto m = Model::fromBytes(img.span(), "m.edgm");
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_NE(m->variant(0).id, pointwise) << "a variant that does not apply was picked";
  }
}

// Edits one record of a valid image (checksum recomputed) and returns the loader's verdict.
template <typename Edit>
std::string corrupt(Edit edit) {
  AlignedImage img(smallImage());
  const model::Header h = img.header();
  auto* tensors = reinterpret_cast<model::TensorRecord*>(img.data() + h.tensors.offset);
  auto* ops = reinterpret_cast<model::OpRecord*>(img.data() + h.ops.offset);
  auto* indices = reinterpret_cast<std::uint32_t*>(img.data() + h.indices.offset);
  edit(img.header(), tensors, ops, indices, img.data() + h.params.offset);
  img.reseal();
  return loadError(img);
}

TEST(Model, RecordProblemsAreNamed) {
  // Tensor order in the image: x, w, b, c, y (first use).
  EXPECT_EQ(corrupt([](auto&, auto* t, auto*, auto*, auto*) { t[0].dtype = static_cast<DType>(42); }),
            "m.edgm: tensor 0 'x': invalid element type 42");
  EXPECT_EQ(corrupt([](auto&, auto* t, auto*, auto*, auto*) { t[3].offset = 1u << 30; }),
            fmt::format("m.edgm: tensor 3 'c': 300 bytes at {} outside its arena (", 1u << 30) +
                std::to_string(smallImageArena()) + " bytes)");
  EXPECT_EQ(corrupt([](auto&, auto* t, auto*, auto*, auto*) { t[1].bytes = 4; }),
            "m.edgm: tensor 1 'w': 4 bytes recorded, float32 3x2x3x3 needs 216");
  EXPECT_EQ(corrupt([](auto&, auto*, auto* o, auto*, auto*) { o[0].opcode = 999; }),
            "m.edgm: op 0 'conv': unknown opcode 999");
  EXPECT_EQ(corrupt([](auto&, auto*, auto* o, auto*, auto*) { o[1].variant = 77; }),
            "m.edgm: op 1 'relu': Activation kernel variant 77 is not in this build");
  EXPECT_EQ(corrupt([](auto&, auto*, auto* o, auto*, auto*) { o[0].paramsBytes = 8; }),
            "m.edgm: op 0 'conv': parameter block (8 bytes at 0) is invalid for Conv");
  EXPECT_EQ(corrupt([](auto&, auto*, auto*, auto* i, auto*) { i[0] = 1234; }),
            "m.edgm: op 0 'conv': input 0 names tensor 1234 of 5");
  EXPECT_EQ(corrupt([](auto&, auto*, auto*, auto* i, auto*) { i[3] = 1; }),  // conv output -> w
            "m.edgm: op 0 'conv': output 0 is not an arena tensor");
  // The recorded output shape must be what the op computes.
  EXPECT_EQ(corrupt([](auto&, auto* t, auto*, auto*, auto*) {
              t[4].dims[3] = 4;
              t[4].bytes = 240;
            }),
            "m.edgm: op 1 'relu': output 0 'y' is recorded as float32 1x3x5x4 but Activation computes float32 1x3x5x5");
  // A base kernel of another architecture (and no alternative) is refused, saying why.
  {
    const bool x86 = std::string_view(kernels::compiledArch()) == "x86_64";
    const std::uint16_t foreign = convVariantFor(x86 ? kernels::Isa::kNeon : kernels::Isa::kAvx2);
    Graph g = smallGraph();
    g.nodes[0].variant = foreign;  // planned with its scratch, as edgert-compile --target would
    auto plan = compiler::planArena(g);
    ASSERT_TRUE(plan.ok()) << plan.error().message();
    AlignedImage img(*compiler::writeImage(g, *plan));
    const std::string verdict = loadError(img);
    EXPECT_EQ(verdict.rfind(fmt::format("m.edgm: op 0 'conv': no Conv kernel of this op runs here: '{}' is not built "
                                        "for {} (this CPU: ",
                                        kernels::findVariant(kernels::OpCode::kConv, foreign)->name,
                                        kernels::compiledArch()),
                            0),
              0u)
        << verdict;
  }
  // A kernel parameter out of range is caught by the op's infer function.
  EXPECT_NE(corrupt([](auto&, auto*, auto*, auto*, std::byte* params) {
              reinterpret_cast<kernels::ConvParams*>(params)->stride[0] = 0;
            }).find("m.edgm: op 0 'conv': "),
            std::string::npos);
}

TEST(Model, MemoryPlanProblemsAreNamed) {
  // Put the conv output on top of its input: both are live during the conv.
  const std::string overlap = corrupt([](auto&, auto* t, auto*, auto*, auto*) { t[3].offset = t[0].offset; });
  EXPECT_EQ(overlap.rfind("m.edgm: memory plan overlap: ", 0), 0u) << overlap;
  EXPECT_NE(overlap.find("'x'"), std::string::npos) << overlap;
  EXPECT_NE(overlap.find("'c'"), std::string::npos) << overlap;
  // Read a tensor nothing writes: make relu read y itself.
  EXPECT_EQ(corrupt([](auto&, auto*, auto*, auto* i, auto*) { i[4] = 4; }),
            "m.edgm: op 1 'relu' reads tensor 'y' before anything writes it");
}

TEST(Model, RandomCorruptionNeverCrashes) {
  const auto good = smallImage();
  std::mt19937 rng(7);
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    AlignedImage img(good);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = rng() % good.size();
      img.data()[at] = static_cast<std::byte>(rng());
    }
    img.reseal();  // get past the checksum to reach the structural checks
    auto m = Model::fromBytes(img.span(), "fuzz");
    if (!m.ok()) {
      ++rejected;
      continue;
    }
    // Whatever loads must run. (A corrupted arena size can be valid but huge: the service
    // checks it against the memory budget before creating an engine; so does this test.)
    if (m->header().arenaBytes > (64u << 20)) continue;
    auto e = Engine::create(*m);
    ASSERT_TRUE(e.ok()) << e.error().message();
    (*e)->invoke();
  }
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace edgert
