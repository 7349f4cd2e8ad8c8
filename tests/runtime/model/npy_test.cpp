#include "edgert/runtime/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace edgert {
namespace {

using kernels::DType;
using kernels::Shape;

std::span<const std::byte> asBytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A .npy file as numpy writes it (version 1.0).
std::string npy(const std::string& dict, std::size_t dataBytes) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(dataBytes, '\x01');
}

TEST(Npy, RoundTripsEveryTypeAndRank) {
  const struct {
    DType dtype;
    Shape shape;
  } cases[] = {{DType::kFloat32, Shape::of({1, 3, 4, 5})}, {DType::kInt64, Shape::of({3})},
               {DType::kInt32, Shape::of({2, 2})},         {DType::kUint8, Shape{}},
               {DType::kInt8, Shape::of({7, 1})},          {DType::kBool, Shape::of({0, 4})}};
  for (const auto& c : cases) {
    const kernels::TensorType type{c.dtype, c.shape};
    std::vector<std::byte> data(type.bytes());
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 37 + 1);
    const std::vector<std::byte> file = encodeNpy(type, data.data());
    EXPECT_EQ(file.size() % 64, data.size() % 64) << "data must start 64-byte aligned";
    auto back = parseNpy(file, "t.npy");
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->type, type);
    EXPECT_EQ(back->data, data);
  }
}

TEST(Npy, ParsesWhatNumpyWrites) {
  auto a = parseNpy(asBytes(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24)), "a.npy");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->type, (kernels::TensorType{DType::kFloat32, Shape::of({2, 3})}));
  auto s = parseNpy(asBytes(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 8)), "s.npy");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->type.shape.rank, 0);
  auto one = parseNpy(asBytes(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", 5)), "o.npy");
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ(one->type.shape, Shape::of({5}));
}

TEST(Npy, BadFilesAreNamed) {
  EXPECT_EQ(parseNpy(asBytes(std::string("PK\x03\x04 not npy")), "x.npy").error().message(),
            "x.npy: not a .npy file (bad magic)");
  EXPECT_EQ(parseNpy(asBytes(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16)), "d.npy")
                .error()
                .message(),
            "d.npy: element type '<f8' is not supported (float32, int8, uint8, int32, int64, bool)");
  EXPECT_EQ(parseNpy(asBytes(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)), "f.npy")
                .error()
                .message(),
            "f.npy: Fortran-order arrays are not supported");
  EXPECT_EQ(parseNpy(asBytes(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20)), "t.npy")
                .error()
                .message(),
            "t.npy: 20 data bytes, float32 2x3 needs 24");
  auto missing = readNpy("/nonexistent/in.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "open /nonexistent/in.npy: No such file or directory");
}

}  // namespace
}  // namespace edgert
