#pragma once
/// The analysis of a claimed batch of jobs: each archive read once, in member order; files as they are.

#include "db/queue_types.hpp"
#include "pipeline/file_item.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace midilib {

/// A claimed batch of jobs on its way through the worker's graph.
struct job_batch
{
    std::vector<claimed_job> jobs;
    std::vector<std::unique_ptr<file_item>> items; ///< one per job: the analysis when it worked
    std::vector<std::string> errors;               ///< one per job: empty when it worked
    std::size_t archive_opens = 0;                 ///< archive files opened to read the batch
};

/**
 * Reads, verifies (content hash) and analyzes the batch's jobs, @p in_flight at most at once.
 * The jobs whose first stored path is an archive member are read archive by archive, each
 * archive opened once and read in member order up to the last member the batch wants, skipping
 * the others; each member goes to the analysis as soon as it is read, while the next is read.
 * A job whose first path fails tries its other paths, each read on its own. Fills items and
 * errors, and counts the archives opened.
 */
void analyze_batch(job_batch &batch, std::size_t in_flight);

} // namespace midilib
