// Shared libraries opened with dlopen when first needed instead of linked. Every library
// linked is mapped and relocated at every start of every edgert command: on the VMs here,
// where a page fault costs ~10 us, libsystemd with its six dependencies cost 1.7 ms, libv4l2
// with libv4lconvert 0.9 ms and libpng with zlib 0.65 ms of a 10 ms cold start, though only
// the service under systemd, a V4L2 camera and a PNG file use them. Their users open them
// at start-up (opening a camera, loading an image, configuring the journal), never inside
// a loop; only the headers are needed to build. The handles stay open for the process.
#pragma once

#include <string>

namespace edgert::dl {

// dlopen(soname, RTLD_NOW | RTLD_LOCAL): the handle, or nullptr with `error` set to
// "cannot open SONAME: why".
void* open(const char* soname, std::string& error);

// The address of `name` in `handle`, or nullptr.
void* symbol(void* handle, const char* name);

void close(void* handle);

// Looks `name` up in `handle` into `fn`. False when it is absent, with `error` set to
// "SONAME has no NAME" (unless it already names an earlier failure).
template <typename Fn>
bool bind(void* handle, const char* soname, const char* name, Fn& fn, std::string& error) {
  fn = reinterpret_cast<Fn>(symbol(handle, name));
  if (fn == nullptr && error.empty()) error = std::string(soname) + " has no " + name;
  return fn != nullptr;
}

}  // namespace edgert::dl
