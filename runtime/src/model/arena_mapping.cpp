#include "arena_mapping.hpp"

#include <sys/mman.h>

#include <cstdint>

#include "edgert/runtime/model_format.hpp"

namespace edgert::detail {

namespace {
constexpr std::size_t kPage = 4096;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t roundUp(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

// The engine's own arena: zeroed anonymous memory, faulted in now, so that no inference
// ever takes a page fault. Arenas of half a huge page or more are rounded up to whole
// 2 MiB pages, aligned to them and advised as huge pages: one fault per 2 MiB instead of
// 512. (A fault costs ~10 us on the VMs here and ~1 us on a board; the 1.2 MiB arena of
// BlazeFace front took 300 of them, half its cold start.) Without transparent huge pages
// the advice fails and small pages are used. Returns nullptr and sets errno on failure;
// `mapped` receives the size to unmap.
std::byte* mapArena(std::size_t bytes, std::size_t& mapped) {
  const bool huge = bytes >= kHugePage / 2;
  const std::size_t size = roundUp(bytes, huge ? kHugePage : kPage);
  const std::size_t span = huge ? size + kHugePage : size;  // room to align
  void* p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* base = static_cast<std::byte*>(p);
  if (huge) {
    const auto at = reinterpret_cast<std::uintptr_t>(base);
    auto* aligned = reinterpret_cast<std::byte*>(roundUp(at, kHugePage));
    if (aligned > base) ::munmap(base, static_cast<std::size_t>(aligned - base));
    if (aligned + size < base + span) ::munmap(aligned + size, static_cast<std::size_t>(base + span - aligned - size));
    base = aligned;
    (void)::madvise(base, size, MADV_HUGEPAGE);  // advice: small pages without THP
  }
  // Write to every page (the memory is already zero): each is faulted in now.
  for (std::size_t i = 0; i < size; i += kPage) static_cast<volatile std::byte*>(base)[i] = std::byte{0};
  mapped = size;
  return base;
}

std::size_t arenaBytesFor(std::uint64_t planned) {
  constexpr std::uint64_t kLine = model::kArenaAlignment;
  const std::uint64_t lines = (planned + kLine - 1) / kLine;
  return static_cast<std::size_t>((lines == 0 ? 1 : lines) * kLine);
}

}  // namespace edgert::detail
