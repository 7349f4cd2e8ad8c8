// Counting heap allocations, for tests that prove a steady-state loop allocates nothing.
// Linking alloc_counter.cpp into a test binary replaces the global operator new/delete
// (every form) and, outside AddressSanitizer and ThreadSanitizer builds (which own malloc),
// malloc, calloc, realloc and aligned_alloc. Keep such a test in its own binary: the replacement switches
// off ASan's new/delete mismatch checks for everything linked with it.
#pragma once

namespace edgert::test {

// True where malloc and friends are counted too (not under ASan or TSan).
bool countsMalloc();

// Counting is off until started; the count restarts at zero.
void startCountingAllocations();
// Stops counting; returns the allocations seen since the start.
long stopCountingAllocations();

// Allocates once with new and once with malloc while counting, and checks the counter
// saw them: without this a zero proves nothing.
bool allocationCounterWorks();

}  // namespace edgert::test
