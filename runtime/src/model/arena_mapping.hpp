// The arena memory an engine (or a set of engines) maps for itself.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgert::detail {

// Zeroed anonymous memory of at least `bytes`, every page faulted in now (on 2 MiB huge
// pages from 1 MiB, where the kernel has them). nullptr with errno set on failure; `mapped`
// receives the size to munmap.
std::byte* mapArena(std::size_t bytes, std::size_t& mapped);

// The arena a model's plan of `planned` bytes takes: whole 64-byte lines, at least one.
std::size_t arenaBytesFor(std::uint64_t planned);

}  // namespace edgert::detail
