#pragma once
/// Starting the midilib binary from tests, as a user would.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
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

/// What @p c has written to its standard output so far.
std::string stdout_of(child const &c);

/// @p command run under timeout(1), which ends it after @p seconds.
std::vector<std::string> with_timeout(int seconds, std::vector<std::string> const &command);

/// What a command with both output streams captured left.
struct finished
{
    int code = -1;      ///< exit code, or 128+signal
    bool hung = false;  ///< killed after the caller's limit
    std::string out;    ///< its standard output
    std::string err;    ///< its standard error
    double seconds = 0; ///< from the start to the exit
};

/// Longer than ctest's 300 s per test, so that only a limit the caller chooses ends a command.
constexpr std::chrono::seconds NO_LIMIT{600};

/// A started command with stdout and stderr in temp files; killed (and reaped) if destroyed before finish().
class captured_child
{
public:
    /** Starts @p args (args[0] looked up in PATH). \throws std::system_error when it cannot be started. */
    explicit captured_child(std::vector<std::string> const &args);
    captured_child(captured_child &&other) noexcept;
    captured_child(captured_child const &) = delete;
    captured_child &operator=(captured_child const &) = delete;
    captured_child &operator=(captured_child &&) = delete;
    ~captured_child();

    /// Waits for the exit (at most @p limit, then kills it and reports it hung).
    finished finish(std::chrono::seconds limit = NO_LIMIT);

private:
    pid_t m_pid = -1;
    std::string m_out;
    std::string m_err;
    std::chrono::steady_clock::time_point m_start;
};

/// Runs @p args to completion (at most @p limit) with both output streams captured.
finished run_captured(std::vector<std::string> const &args, std::chrono::seconds limit = NO_LIMIT);

/**
 * Runs @p args to completion (at most @p limit) on a pseudo-terminal in raw mode: isatty() holds for
 * its standard streams, and what it writes arrives as written (no newline translation), in out.
 * \throws std::system_error when no terminal can be opened or the command cannot be started.
 */
finished run_on_terminal(std::vector<std::string> const &args, std::chrono::seconds limit = NO_LIMIT);

} // namespace midilib::testing
