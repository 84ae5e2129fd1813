#include "pipeline/progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace midilib {

namespace {

/// Redraw interval: fast enough to look live, slow enough to cost nothing.
constexpr auto REDRAW_INTERVAL = std::chrono::milliseconds{250};

std::string clock_text(double seconds)
{
    auto const s = static_cast<long>(seconds + 0.5);
    return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
                     : fmt::format("{}:{:02}", s / 60, s % 60);
}

} // namespace

std::string progress_text(import_stats const &stats, double seconds)
{
    auto const done = stats.done();
    double const rate = seconds > 0 ? static_cast<double>(done - stats.skipped) / seconds : 0.0;
    double const mb_rate = seconds > 0 ? static_cast<double>(stats.bytes_read) / 1e6 / seconds : 0.0;
    std::string eta = "ETA --:--";
    double const total_rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    if (stats.expected_final && total_rate > 0 && stats.expected >= done) {
        eta = "ETA " + clock_text(static_cast<double>(stats.expected - done) / total_rate);
    }
    return fmt::format(
        "seen {} · imported {} · duplicates {} · failed {} · unchanged {} | {:.0f} files/s {:.1f} MB/s | {}",
        stats.scanned.load(), stats.imported.load(), stats.duplicates.load(), stats.failed.load(), stats.skipped.load(),
        rate, mb_rate, eta);
}

progress_line::progress_line(import_stats const &stats)
: m_stats(stats), m_start(std::chrono::steady_clock::now()), m_thread([this] { loop(); })
{}

progress_line::~progress_line()
{
    {
        std::lock_guard lock{m_mutex};
        m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void progress_line::loop()
{
    std::unique_lock lock{m_mutex};
    for (;;) {
        bool const last = m_wake.wait_for(lock, REDRAW_INTERVAL, [this] { return m_done; });
        double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        std::fprintf(stderr, "\r\033[K%s%s", progress_text(m_stats, seconds).c_str(), last ? "\n" : "");
        std::fflush(stderr);
        if (last) {
            return;
        }
    }
}

} // namespace midilib
