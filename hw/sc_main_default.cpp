// A weak sc_main for programs that link SystemC but have their own main(): libsystemc.so refers to
// sc_main, which only its own main() would call. A program that defines sc_main overrides this one.
#include <cstdio>

// SystemC declares it extern "C" (sysc/kernel/sc_externs.h).
extern "C" __attribute__((weak)) int sc_main(int, char*[]) {
  std::fprintf(stderr, "this program has its own main(); SystemC's sc_main entry is not used\n");
  return 1;
}
