// detectBoardFile(): which installed board file describes the running device, from its
// device tree's compatible list ("nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005",
// "nvidia,tegra234": most specific first) and the `board.compatible` of each board file.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "edgert/hal/board.hpp"

namespace edgert::hal {

namespace {

// The NUL-separated strings of a device-tree property; empty when the file is not there.
std::vector<std::string> readCompatible(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  if (!in) return out;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

BoardSearch installedBoardSearch() {
  BoardSearch search{"/usr/share/edgert/boards", "/proc/device-tree/compatible"};
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) search.boardsDir = (exe.parent_path().parent_path() / "share/edgert/boards").string();
  return search;
}

Result<std::optional<std::string>> detectBoardFile(const BoardSearch& search,
                                                   std::vector<std::string>* skipped) {
  const std::vector<std::string> device = readCompatible(search.compatibleFile);
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(search.boardsDir, ec)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  if (ec) {
    return makeError(Errc::kNotFound, "board files {}: {}", search.boardsDir, ec.message());
  }
  if (device.empty()) return std::optional<std::string>{};
  std::sort(files.begin(), files.end());
  std::optional<std::string> best;
  std::size_t bestRank = device.size();
  for (const std::filesystem::path& file : files) {
    Result<Board> board = loadBoardFile(file.string());
    if (!board) {
      if (skipped != nullptr) skipped->push_back(board.error().message());
      continue;
    }
    for (std::size_t rank = 0; rank < bestRank; ++rank) {
      const auto& listed = board->compatible;
      if (std::find(listed.begin(), listed.end(), device[rank]) != listed.end()) {
        best = file.string();
        bestRank = rank;
        break;
      }
    }
  }
  return best;
}

}  // namespace edgert::hal
