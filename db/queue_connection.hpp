#pragma once
/// A worker's connection to the analysis queue: reopened when lost, listening for new jobs.

#include "db/queue_types.hpp"
#include "db/stored_file.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace midilib {

/**
 * One connection of a worker to the queue (db/job_queue.hpp), opened on first use. When it is
 * lost (the server stopped or restarted: a broken connection, SQLSTATE class 08 or 57P), every
 * call but renew_leases() reopens it and tries again, pausing 100 ms to 2 s between attempts,
 * until it succeeds or @p stop is set; other errors are thrown as they are. Used by one thread
 * at a time.
 */
class queue_connection
{
public:
    /// A connection labelled @p label (application_name), for the worker of @p settings.
    queue_connection(std::string conninfo, std::string label, queue_settings settings, std::atomic<bool> const &stop);
    queue_connection(queue_connection const &) = delete;
    queue_connection &operator=(queue_connection const &) = delete;
    queue_connection(queue_connection &&) = delete;
    queue_connection &operator=(queue_connection &&) = delete;
    ~queue_connection();

    /// Claims up to @p n available jobs (claim_jobs()).
    std::vector<claimed_job> claim(std::size_t n);

    /// Returns the jobs of stopped workers to the queue (release_expired()). \returns how many.
    std::size_t release_expired();

    /// Writes the analyses of @p analyzed, acks @p done_ids and fails @p failures (ack_jobs()).
    ack_result ack(std::span<stored_file const *const> analyzed, std::span<std::int64_t const> done_ids,
                   std::span<job_failure const> failures);

    /// The queue's counts (read_queue_status()).
    queue_status status();

    /// Waits up to @p timeout for a NOTIFY on midilib_jobs (a hint that jobs were added).
    void wait_for_jobs(std::chrono::seconds timeout);

    /**
     * Extends the leases of this worker's jobs (renew_leases()), in one attempt: a lost
     * connection is thrown, and reopened by the next call. \returns the number extended.
     */
    std::size_t renew_leases();

    /// Times the connection was lost and reopened.
    [[nodiscard]] std::size_t reconnects() const noexcept;

private:
    struct state;
    std::unique_ptr<state> m_state;
};

} // namespace midilib
