// edgert-compile: ONNX model in, edgert model image out (host only).
//
//   edgert-compile MODEL.onnx -o MODEL.edgm [--input NAME=1x3x224x224 ...]
//                  [--target portable|reference|x86_64|x86_64-avx512|aarch64|native]
//                  [--board BOARD.toml] [--report]
#include "compile.hpp"

#include "edgert/base/log.hpp"
#include "edgert/hal/board.hpp"

#include <fmt/format.h>
#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitDataInvalid = 65;
constexpr int kExitFailure = 1;

void usage(std::FILE* f) {
  fmt::print(f,
             "Usage: edgert-compile MODEL.onnx -o MODEL.edgm [--input NAME=DIMS ...]\n"
             "                      [--target TARGET | --board BOARD.toml] [--report]\n\n"
             "Compiles an ONNX model (opsets 7 to 17) into an edgert model image with a static\n"
             "memory plan.\n\n"
             "  -o, --output FILE        the image to write\n"
             "  --input NAME=DIMS        fix the shape of graph input NAME, e.g. x=1x3x224x224\n"
             "                           (required for inputs with dynamic dimensions)\n"
             "  --target TARGET          kernels the image may use: portable (the default\n"
             "                           without --board: the fast variants of x86_64 with\n"
             "                           AVX-512, x86_64 with AVX2 and aarch64 NEON, the\n"
             "                           device picks per op the best its CPU runs, and\n"
             "                           reference kernels for the rest: one image for a\n"
             "                           mixed fleet), reference (reference kernels only,\n"
             "                           also 'any'), x86_64 (AVX2+FMA variants where they\n"
             "                           apply), x86_64-avx512 (AVX-512 variants too),\n"
             "                           aarch64 (NEON) or native (the best of these that\n"
             "                           this machine runs)\n"
             "  --board BOARD.toml       an image for the board's architecture: aarch64\n"
             "                           (NEON), or x86_64 (AVX-512 and AVX2 picked where\n"
             "                           the CPU has them); a board for any CPU: portable\n"
             "  --report                 print ops, kernels, tensor offsets and the arena plan\n"
             "  -h, --help               this text\n");
}

// Writes to a temporary file beside `path` and renames it, so a failed write never leaves
// a half-written image where a device could pick it up.
edgert::Result<void> writeAtomically(const std::string& path, const std::vector<std::byte>& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return edgert::Error::fromErrno(errno, "open " + tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return edgert::Error::fromErrno(err, "write " + tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return edgert::Error::fromErrno(err, "close " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return edgert::Error::fromErrno(err, "rename " + tmp + " to " + path);
  }
  return edgert::success();
}

}  // namespace

int main(int argc, char** argv) {
  edgert::log::configureFromEnvironment();
  std::string output;
  bool report = false;
  edgert::compiler::ImportOptions options;
  std::optional<edgert::compiler::ImageTargets> targets;
  std::string boardPath;
  const option longOptions[] = {{"output", required_argument, nullptr, 'o'},
                                {"board", required_argument, nullptr, 'b'},
                                {"input", required_argument, nullptr, 'i'},
                                {"report", no_argument, nullptr, 'r'},
                                {"target", required_argument, nullptr, 't'},
                                {"help", no_argument, nullptr, 'h'},
                                {nullptr, 0, nullptr, 0}};
  opterr = 0;
  for (int c; (c = getopt_long(argc, argv, "o:h", longOptions, nullptr)) != -1;) {
    switch (c) {
      case 'o': output = optarg; break;
      case 'r': report = true; break;
      case 'h': usage(stdout); return 0;
      case 't': {
        auto parsed = edgert::compiler::parseImageTargets(optarg);
        if (!parsed) {
          fmt::print(stderr, "edgert-compile: --target: {}\n", parsed.error().message());
          return kExitUsage;
        }
        targets = *parsed;
        break;
      }
      case 'b': boardPath = optarg; break;
      case 'i': {
        const std::string spec = optarg;
        const std::size_t eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) {
          fmt::print(stderr, "edgert-compile: --input {}: expected NAME=DIMS, e.g. x=1x3x224x224\n", spec);
          return kExitUsage;
        }
        auto dims = edgert::compiler::parseDims(std::string_view(spec).substr(eq + 1));
        if (!dims) {
          fmt::print(stderr, "edgert-compile: --input {}: {}\n", spec, dims.error().message());
          return kExitUsage;
        }
        options.inputShapes.emplace_back(spec.substr(0, eq), *dims);
        break;
      }
      default:
        fmt::print(stderr, "edgert-compile: unknown option or missing value: '{}'\n", argv[optind - 1]);
        usage(stderr);
        return kExitUsage;
    }
  }
  if (optind != argc - 1 || output.empty()) {
    usage(stderr);
    return kExitUsage;
  }
  if (targets && !boardPath.empty()) {
    fmt::print(stderr, "edgert-compile: --target and --board both choose the kernels: give one\n");
    return kExitUsage;
  }
  if (!boardPath.empty()) {
    auto board = edgert::hal::loadBoardFile(boardPath);
    if (!board) {
      fmt::print(stderr, "edgert-compile: --board: {}\n", board.error().message());
      return kExitDataInvalid;
    }
    targets = edgert::compiler::targetsForArch(edgert::hal::archName(board->arch));
  }
  const std::string modelPath = argv[optind];
  auto result = edgert::compiler::compileOnnxFile(modelPath, options,
                                                  targets.value_or(edgert::compiler::portableTargets()));
  if (!result) {
    fmt::print(stderr, "edgert-compile: {}\n", result.error().message());
    return result.error().code() == edgert::Errc::kInternal ? kExitFailure : kExitDataInvalid;
  }
  if (report) fmt::print("{}", edgert::compiler::formatReport(*result, modelPath));
  if (auto w = writeAtomically(output, result->image); !w) {
    fmt::print(stderr, "edgert-compile: {}\n", w.error().message());
    return kExitFailure;
  }
  fmt::print(stderr, "edgert-compile: wrote {} ({} bytes, arena {} bytes)\n", output,
             result->image.size(), result->plan.arenaBytes);
  return 0;
}
