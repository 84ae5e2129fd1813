#pragma once
/// The analysis queue in PostgreSQL (table analysis_jobs): enqueue, claim, ack, retry, status.

#include "db/stored_file.hpp"

#include <pqxx/pqxx>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace midilib {

/// How a worker uses the queue.
struct queue_settings
{
    std::string owner;                               ///< "host:pid", written into the leases
    std::chrono::seconds lease{60};                  ///< a claimed job returns to the queue after this unless renewed
    int max_attempts = 5;                            ///< then the job is dead, with its last error
    std::chrono::milliseconds retry_base{2000};      ///< backoff: retry_base * 2^(attempts-1), at most 5 min
};

/// A job taken from the queue, with what the worker needs to do it.
struct claimed_job
{
    std::int64_t id = 0;
    std::int64_t file_id = 0;
    int attempts = 0;                    ///< including this one
    std::array<std::uint8_t, 16> hash{}; ///< of the content: the file read must still have it
    std::vector<std::string> paths;      ///< every stored path of the content (UTF-8, for messages)
    std::vector<std::string> fs_paths;   ///< the same paths as the file system spells them (to open)
};

/// A job that could not be done this time.
struct job_failure
{
    std::int64_t id = 0;
    std::string reason;
};

/**
 * Claims up to @p n available jobs (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED
 * LIMIT n) RETURNING), leasing them to settings.owner. Concurrent workers never get the same job.
 */
std::vector<claimed_job> claim_jobs(pqxx::connection &cx, queue_settings const &settings, std::size_t n);

/// Returns jobs whose lease expired (their worker died) to the queue, or kills them after
/// max_attempts. \returns the number of jobs released.
std::size_t release_expired(pqxx::connection &cx, queue_settings const &settings);

/// Extends by settings.lease, from now, the lease of every job still leased to settings.owner
/// (the worker's heartbeat while it works on them). Jobs another worker took over are not
/// touched, and jobs locked right now (being acked) are skipped. \returns the number extended.
std::size_t renew_leases(pqxx::connection &cx, queue_settings const &settings);

/// What one ack did.
struct ack_result
{
    std::size_t done = 0;    ///< analysis rows written, jobs done
    std::size_t retried = 0; ///< failed, back in the queue after a backoff
    std::size_t dead = 0;    ///< failed for the last time
};

/**
 * In one transaction: writes the analysis of @p analyzed (by COPY) for the jobs @p done_ids
 * still leased to this worker, marks them done, and sends @p failures back to the queue
 * (or to dead). Jobs whose lease was taken over meanwhile are left alone.
 */
ack_result ack_jobs(pqxx::connection &cx, queue_settings const &settings, std::span<stored_file const *const> analyzed,
                    std::span<std::int64_t const> done_ids, std::span<job_failure const> failures);

/// Enqueues analysis of the files whose analysis is missing or older than @p version
/// (all files when @p all). \returns the number of jobs added.
std::size_t requeue_analysis(pqxx::connection &cx, int version, bool all);

/// Counts for `midilib status`.
struct queue_status
{
    std::int64_t files = 0;
    std::int64_t analyzed = 0;  ///< files with an analysis of the current version
    std::int64_t queued = 0;
    std::int64_t running = 0;
    std::int64_t dead = 0;
    std::int64_t done = 0;
    std::int64_t done_last_minute = 0;
    std::optional<double> oldest_queued_seconds;
};

queue_status read_queue_status(pqxx::connection &cx);

} // namespace midilib
