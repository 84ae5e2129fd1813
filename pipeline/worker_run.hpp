#pragma once
/// `midilib worker`: takes analysis jobs from the queue in PostgreSQL, analyzes, writes, acks.

#include "db/queue_types.hpp"

#include <atomic>
#include <cstddef>
#include <string>

namespace midilib {

struct worker_options
{
    std::string conninfo;
    std::size_t jobs = 0;    ///< files analyzed at once (0: one per core)
    std::size_t batch = 200; ///< jobs claimed (and acked) together
    bool once = false;       ///< exit when the queue has no available job
    queue_settings queue;    ///< owner, lease, attempts, backoff
};

struct worker_summary
{
    std::size_t done = 0;
    std::size_t retried = 0;
    std::size_t dead = 0;
    std::size_t batches = 0;
    std::size_t reconnects = 0;
    std::size_t archive_opens = 0; ///< archive files opened to read members (once per archive and batch)
    double seconds = 0.0;
};

/**
 * Runs the worker's flow graph until @p stop (or, with once, until the queue is empty):
 * claim a batch → read, verify and analyze its files in parallel → write the analysis and
 * ack in one transaction. Two batches are in flight, so the next claim overlaps the
 * analysis. A lost connection (server restart) is retried until it comes back; the batch
 * in hand is acked then, or its jobs return to the queue when their lease expires.
 */
worker_summary run_worker(worker_options const &options, std::atomic<bool> &stop);

} // namespace midilib
