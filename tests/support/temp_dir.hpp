// A folder of its own for a test, removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>

#include <filesystem>
#include <string>

namespace edgert::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "edgert-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      // Nothing a test could do without its folder (and no writing into the working one).
      std::perror(("mkdtemp " + pattern).c_str());
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace edgert::test
