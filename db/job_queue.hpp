#pragma once
/// The analysis queue in PostgreSQL (table analysis_jobs): enqueue, claim, ack, retry, status.

#include "db/queue_types.hpp"
#include "db/stored_file.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace midilib {

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

/// The queue's counts for `midilib status`.
queue_status read_queue_status(pqxx::connection &cx);

} // namespace midilib
