// The arena memory an engine (or a set of engines) maps for itself.
#pragma once

#include <cstddef>

namespace edgert::detail {

// Zeroed anonymous memory of at least `bytes`, every page faulted in now (on 2 MiB huge
// pages from 1 MiB, where the kernel has them). nullptr with errno set on failure; `mapped`
// receives the size to munmap.
std::byte* mapArena(std::size_t bytes, std::size_t& mapped);

}  // namespace edgert::detail
