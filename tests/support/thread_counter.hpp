// Counts the threads a test's code starts (every pthread_create, std::thread's included),
// by defining pthread_create in the test binary in front of the C library's. Link
// thread_counter.cpp into the test executable.
#pragma once

namespace edgert::test {

void startCountingThreads();
long stopCountingThreads();  // threads started since startCountingThreads()

}  // namespace edgert::test
