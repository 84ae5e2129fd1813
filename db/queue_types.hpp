#pragma once
/// What the analysis queue hands out and reports: jobs, their settings, the outcome of an ack.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/// How a worker uses the queue.
struct queue_settings
{
    std::string owner;                          ///< "host:pid", written into the leases
    std::chrono::seconds lease{60};             ///< a claimed job returns to the queue after this unless renewed
    int max_attempts = 5;                       ///< then the job is dead, with its last error
    std::chrono::milliseconds retry_base{2000}; ///< backoff: retry_base * 2^(attempts-1), at most 5 min
};

/// A job taken from the queue, with what the worker needs to do it.
struct claimed_job
{
    std::int64_t id = 0;
    std::int64_t file_id = 0;
    int attempts = 0;                    ///< including this one
    std::array<std::uint8_t, 16> hash{}; ///< of the content: the file read must still have it
    std::vector<std::string> paths;      ///< every stored path of the content (UTF-8, for messages)
    std::vector<std::string> keys;       ///< the same paths' keys (stored_file::key: to open them)
};

/// A job that could not be done this time.
struct job_failure
{
    std::int64_t id = 0;
    std::string reason;
};

/// What one ack did.
struct ack_result
{
    std::size_t done = 0;    ///< analysis rows written, jobs done
    std::size_t retried = 0; ///< failed, back in the queue after a backoff
    std::size_t dead = 0;    ///< failed for the last time
};

/// Counts for `midilib status`.
struct queue_status
{
    std::int64_t files = 0;
    std::int64_t analyzed = 0; ///< files with an analysis of the current version
    std::int64_t queued = 0;
    std::int64_t running = 0;
    std::int64_t dead = 0;
    std::int64_t done = 0;
    std::int64_t done_last_minute = 0;
    std::optional<double> oldest_queued_seconds;
};

} // namespace midilib
