#pragma once
/// The progress line that updates in place on a terminal.

#include "pipeline/import_stats.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace midilib {

/// One line of progress text: counts, rates and (once the look-ahead count is known) the ETA.
std::string progress_text(import_stats const &stats, double seconds);

/// Redraws progress_text() on stderr a few times a second until destroyed.
class progress_line
{
public:
    explicit progress_line(import_stats const &stats);
    progress_line(progress_line const &) = delete;
    progress_line &operator=(progress_line const &) = delete;
    progress_line(progress_line &&) = delete;
    progress_line &operator=(progress_line &&) = delete;
    /// Draws the final state and ends the line.
    ~progress_line();

private:
    void loop();

    import_stats const &m_stats;
    std::chrono::steady_clock::time_point m_start;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};

} // namespace midilib
