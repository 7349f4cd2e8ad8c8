#include "edgert/base/shared_library.hpp"

#include <dlfcn.h>

namespace edgert::dl {

void* open(const char* soname, std::string& error) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = std::string("cannot open ") + soname + ": " + (why != nullptr ? why : "unknown error");
  }
  return handle;
}

void* symbol(void* handle, const char* name) { return ::dlsym(handle, name); }

void close(void* handle) { ::dlclose(handle); }

}  // namespace edgert::dl
