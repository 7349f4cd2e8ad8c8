#include "edgert/runtime/npy.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edgert {
namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";

struct DescrName {
  const char* descr;
  kernels::DType dtype;
};
constexpr DescrName kDescrs[] = {
    {"<f4", kernels::DType::kFloat32}, {"|u1", kernels::DType::kUint8}, {"|i1", kernels::DType::kInt8},
    {"<i4", kernels::DType::kInt32},   {"<i8", kernels::DType::kInt64}, {"|b1", kernels::DType::kBool},
};

// The value of `'key': ...` in the header dict, up to the next top-level comma or brace.
std::string_view dictValue(std::string_view header, std::string_view key) {
  const std::string quoted = "'" + std::string(key) + "'";
  std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) return {};
  at = header.find(':', at + quoted.size());
  if (at == std::string_view::npos) return {};
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  std::size_t end = at;
  int depth = 0;
  while (end < header.size()) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' || c == '}') && depth == 0) break;
    ++end;
  }
  return header.substr(at, end - at);
}

}  // namespace

Result<NpyArray> parseNpy(std::span<const std::byte> bytes, std::string_view src) {
  const auto* p = reinterpret_cast<const char*>(bytes.data());
  if (bytes.size() < 10 || std::memcmp(p, kNpyMagic, 6) != 0) {
    return makeError(Errc::kParse, "{}: not a .npy file (bad magic)", src);
  }
  const auto major = static_cast<unsigned char>(p[6]);
  std::size_t headerLen = 0;
  std::size_t headerStart = 0;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(p[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(p[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return makeError(Errc::kParse, "{}: truncated .npy header", src);
    for (int i = 0; i < 4; ++i) headerLen |= static_cast<std::size_t>(static_cast<unsigned char>(p[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    return makeError(Errc::kUnsupported, "{}: .npy format version {} is not supported", src, major);
  }
  if (headerLen > bytes.size() - headerStart) return makeError(Errc::kParse, "{}: truncated .npy header", src);
  const std::string_view header(p + headerStart, headerLen);

  NpyArray arr;
  const std::string_view descr = dictValue(header, "descr");
  bool known = false;
  for (const DescrName& d : kDescrs) {
    const std::string quoted = std::string("'") + d.descr + "'";
    if (descr == quoted || (d.descr[0] == '<' && descr == "'|" + std::string(d.descr + 1) + "'")) {
      arr.type.dtype = d.dtype;
      known = true;
    }
  }
  if (!known) {
    return makeError(Errc::kUnsupported, "{}: element type {} is not supported (float32, int8, uint8, int32, int64, bool)",
                     src, descr.empty() ? "(none)" : descr);
  }
  if (dictValue(header, "fortran_order") != "False") {
    return makeError(Errc::kUnsupported, "{}: Fortran-order arrays are not supported", src);
  }
  std::string_view shape = dictValue(header, "shape");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    return makeError(Errc::kParse, "{}: bad shape {}", src, shape);
  }
  shape = shape.substr(1, shape.size() - 2);
  while (!shape.empty()) {
    while (!shape.empty() && (shape.front() == ' ' || shape.front() == ',')) shape.remove_prefix(1);
    if (shape.empty()) break;
    std::int64_t d = 0;
    auto [ptr, ec] = std::from_chars(shape.data(), shape.data() + shape.size(), d);
    if (ec != std::errc() || d < 0 || arr.type.shape.rank == kernels::kMaxRank) {
      return makeError(Errc::kParse, "{}: bad shape (rank at most {}, non-negative dims)", src, kernels::kMaxRank);
    }
    arr.type.shape.dims[arr.type.shape.rank++] = d;
    shape.remove_prefix(static_cast<std::size_t>(ptr - shape.data()));
  }
  if (Result<void> r = kernels::validateShape(arr.type.shape, "npy"); !r) {
    return makeError(Errc::kParse, "{}: {}", src, r.error().message());
  }
  const std::size_t dataStart = headerStart + headerLen;
  const std::size_t need = arr.type.bytes();
  if (bytes.size() - dataStart != need) {
    return makeError(Errc::kParse, "{}: {} data bytes, {} {} needs {}", src, bytes.size() - dataStart,
                     kernels::dtypeName(arr.type.dtype), kernels::formatShape(arr.type.shape), need);
  }
  arr.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(dataStart), bytes.end());
  return arr;
}

Result<NpyArray> readNpy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  std::vector<std::byte> bytes;
  std::byte buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::fromErrno(err, "read " + path);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return parseNpy(bytes, path);
}

std::vector<std::byte> encodeNpy(const kernels::TensorType& type, const std::byte* data) {
  const char* descr = "<f4";
  for (const DescrName& d : kDescrs) {
    if (d.dtype == type.dtype) descr = d.descr;
  }
  // Python tuple syntax: (), (3,), (1, 3, 224, 224).
  std::string shape = "(";
  for (int i = 0; i < type.shape.rank; ++i) {
    if (i > 0) shape += ", ";
    shape += std::to_string(type.shape.dims[i]);
  }
  shape += type.shape.rank == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts at a multiple of 64 bytes, ending in a newline.
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::vector<std::byte> out(10);
  std::memcpy(out.data(), kNpyMagic, 6);
  out[6] = std::byte{1};
  out[7] = std::byte{0};
  out[8] = static_cast<std::byte>(header.size() & 0xff);
  out[9] = static_cast<std::byte>(header.size() >> 8);
  const auto* h = reinterpret_cast<const std::byte*>(header.data());
  out.insert(out.end(), h, h + header.size());
  out.insert(out.end(), data, data + type.bytes());
  return out;
}

Result<void> writeNpy(const std::string& path, const kernels::TensorType& type, const std::byte* data) {
  const std::vector<std::byte> bytes = encodeNpy(type, data);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::fromErrno(err, "write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return Error::fromErrno(errno, "close " + path);
  return success();
}

}  // namespace edgert
