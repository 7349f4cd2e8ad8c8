#include "thread_counter.hpp"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>

namespace {
std::atomic<bool> gCounting{false};
std::atomic<long> gThreads{0};
}  // namespace

// The executable's definition comes first in symbol lookup; the next one (the C library's,
// or a sanitizer's interceptor in front of it) does the work.
extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const Create next = reinterpret_cast<Create>(::dlsym(RTLD_NEXT, "pthread_create"));
  if (gCounting.load()) gThreads.fetch_add(1);
  return next(thread, attr, start, arg);
}

namespace edgert::test {

void startCountingThreads() {
  gThreads.store(0);
  gCounting.store(true);
}

long stopCountingThreads() {
  gCounting.store(false);
  return gThreads.load();
}

}  // namespace edgert::test
