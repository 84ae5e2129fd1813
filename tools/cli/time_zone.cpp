#include "tools/cli/time_zone.hpp"

#include <cstdlib>

namespace midilib {

// libarchive converts the DOS time of every zip entry with mktime(), and glibc, with TZ unset,
// stats /etc/localtime on each call to see whether it changed: a system call per entry, a quarter
// of a worker's CPU when it skips through a large zip. With TZ naming that same file, glibc
// reads it once. Called before any thread starts (setenv is not thread-safe), and after any
// child process that must not inherit it (initdb takes the cluster's zone from TZ).
void pin_time_zone()
{
    if (std::getenv("TZ") == nullptr) {
        ::setenv("TZ", ":/etc/localtime", 0);
    }
}

} // namespace midilib
