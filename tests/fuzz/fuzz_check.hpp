#pragma once
// FUZZ_CHECK(cond): an invariant of a fuzz target. When it does not hold, the target names the
// file, line and condition on stderr and aborts, which libFuzzer records as a crash (the input
// is kept; see tools/fuzz.sh).

#include <cstdio>
#include <cstdlib>

namespace midilib::fuzz {

[[noreturn]] inline void invariant_violated(char const *file, int line, char const *what)
{
    std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
    std::abort();
}

} // namespace midilib::fuzz

#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            ::midilib::fuzz::invariant_violated(__FILE__, __LINE__, #cond); \
        }                                                                   \
    } while (false)
