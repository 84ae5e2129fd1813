#pragma once
/// Starting the midilib binary from tests, as a user would.

#include <sys/types.h>

#include <string>
#include <vector>

namespace midilib::testing {

/// A started child process.
struct child
{
    pid_t pid = -1;
    std::string stdout_file; ///< where its standard output goes
};

/// Starts @p args (args[0] is the program, looked up in PATH) with stdout to a temp file and stderr inherited.
child spawn(std::vector<std::string> const &args);

/// Waits for @p c; returns its exit code, or 128+signal.
int wait_for(child const &c);

/// Runs @p args to completion; returns {exit code, stdout}.
std::pair<int, std::string> run(std::vector<std::string> const &args);

} // namespace midilib::testing
