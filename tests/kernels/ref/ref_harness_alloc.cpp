// The heap allocation counter behind ref_harness.hpp's runWithoutAllocating, and the proof
// that it works. The only file of kernels_test that defines allocation functions.
//
// An AddressSanitizer build counts through ASan's allocation hook, which sees every
// allocation (operator new and malloc alike): replacing operator new there would switch off
// ASan's new/delete mismatch checks for every test of this binary. Other builds (UBSan, plain,
// aarch64 under qemu) replace every form of the global operator new and delete, on top of
// malloc and free, and count the news.
#include "ref_harness.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>

#if defined(__SANITIZE_ADDRESS__)
#define EDGERT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDGERT_TEST_ASAN 1
#endif
#endif

namespace {
std::atomic<std::uint64_t> gAllocations{0};
void noteAllocation() { gAllocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

#if defined(EDGERT_TEST_ASAN)

// <sanitizer/allocator_interface.h>, which GCC does not install. The hooks run inside ASan's
// allocator for every allocation and free; they must not allocate.
extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*mallocHook)(const volatile void*, std::size_t), void (*freeHook)(const volatile void*));

namespace {
void onMalloc(const volatile void*, std::size_t) { noteAllocation(); }
void onFree(const volatile void*) {}
const bool gHooksInstalled = __sanitizer_install_malloc_and_free_hooks(&onMalloc, &onFree) != 0;
}  // namespace

#else

// This file defines the allocation functions themselves, on top of malloc and free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
constexpr bool gHooksInstalled = true;  // nothing to install: operator new counts

void* allocate(std::size_t n) {
  noteAllocation();
  return std::malloc(n == 0 ? 1 : n);
}

void* allocateAligned(std::size_t n, std::align_val_t alignment) {
  noteAllocation();
  const auto a = static_cast<std::size_t>(alignment);
  return std::aligned_alloc(a, (n + a - 1) / a * a);  // a size that is a multiple of a
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = allocateAligned(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocateAligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocateAligned(n, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

#endif

namespace edgert::kernels::test {

std::uint64_t heapAllocations() { return gAllocations.load(std::memory_order_relaxed); }

bool allocationCounterSeesAProbe() {
  if (!gHooksInstalled) return false;
  const std::uint64_t before = heapAllocations();
  void* volatile probe = ::operator new(1);  // volatile: the pair must not be optimized away
  ::operator delete(probe);
  return heapAllocations() - before == 1;
}

namespace {

TEST(RefHarness, AllocationCounterSeesAProbe) {
  EXPECT_TRUE(allocationCounterSeesAProbe());
  const std::uint64_t before = heapAllocations();
  int* volatile counted = new int(1);  // a new-expression counts like a call of operator new
  delete counted;
  EXPECT_EQ(heapAllocations() - before, 1u);
}

// A kernel breaking the rule, to show that the harness notices.
void allocatingKernel(const KernelArgs&) {
  void* volatile scratch = ::operator new(64);
  ::operator delete(scratch);
}

void quietKernel(const KernelArgs&) {}

KernelVariant testVariant(std::string_view name, KernelFn run) {
  KernelVariant v{};
  v.code = OpCode::kActivation;
  v.name = name;
  v.run = run;
  return v;
}

TEST(RefHarness, RunWithoutAllocatingFailsAKernelThatAllocates) {
  EXPECT_NONFATAL_FAILURE(
      runWithoutAllocating(testVariant("allocating", &allocatingKernel), KernelArgs{}),
      "Activation kernel allocating allocated on the heap");
  runWithoutAllocating(testVariant("quiet", &quietKernel), KernelArgs{});
}

}  // namespace
}  // namespace edgert::kernels::test
