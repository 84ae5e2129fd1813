#pragma once
/// Starting the midilib binary from tests, as a user would.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace midilib::testing {

/// A started child process. It owns the temp file that holds its standard output, and removes it when
/// destroyed, so that a test's children leave nothing behind in /tmp.
struct child
{
    pid_t pid = -1;
    std::string stdout_file; ///< where its standard output goes

    child() = default;
    child(child const &) = delete;
    child &operator=(child const &) = delete;
    child(child &&other) noexcept;
    child &operator=(child &&other) noexcept;
    ~child();
};

/// Starts @p args (args[0] is the program, looked up in PATH) with stdout to a temp file and stderr inherited.
child spawn(std::vector<std::string> const &args);

/// Waits for @p c; returns its exit code, or 128+signal.
int wait_for(child const &c);

/// Polls @p pred every 5 ms until it holds (true) or @p limit passes (false): for catching a
/// child process half-way through its work.
template <typename Pred>
bool wait_until(Pred const &pred, std::chrono::seconds limit = std::chrono::seconds{60})
{
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    return false;
}

/// Runs @p args to completion; returns {exit code, stdout}.
std::pair<int, std::string> run(std::vector<std::string> const &args);

} // namespace midilib::testing
