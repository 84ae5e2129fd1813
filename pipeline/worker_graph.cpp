#include "pipeline/worker_graph.hpp"

#include "analyzers/analysis.hpp"
#include "pipeline/archive_reader.hpp"
#include "pipeline/row_encoder.hpp"
#include "pipeline/stages.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace midilib {

namespace {

namespace flow = tbb::flow;

/// How often a worker looks for jobs whose worker died (expired leases).
constexpr auto REAP_EVERY = std::chrono::seconds{1};

/// Longest wait for a NOTIFY before looking at the queue again.
constexpr auto IDLE_WAIT = std::chrono::seconds{1};

/// Reads a stored path: a file, or a member of an archive ("pack.zip!/a/b.mid").
bool read_stored_path(std::string const &path, std::vector<std::uint8_t> &bytes, std::string &error)
{
    if (read_file(path, bytes, error)) {
        return true;
    }
    auto const bang = path.find("!/");
    if (bang == std::string::npos) {
        return false;
    }
    std::string const archive = path.substr(0, bang);
    struct stat st
    {
    };
    if (::stat(archive.c_str(), &st) != 0) {
        error = fmt::format("archive {}: {}", archive, std::strerror(errno));
        return false;
    }
    archive_reader reader{archive, archive, static_cast<std::uint64_t>(st.st_size), 0, archive_limits{}};
    archive_member member;
    while (reader.next(member)) {
        if (member.path == path && member.error.empty()) {
            bytes = std::move(member.bytes);
            return true;
        }
    }
    error = "member not found in its archive any more";
    return false;
}

/// Reads, verifies and analyzes one job's content; returns the reason when it cannot.
std::string do_job(claimed_job const &job, file_item &item)
{
    if (job.paths.empty()) {
        return "no stored path holds this content";
    }
    std::string reasons;
    for (std::size_t i = 0; i < job.paths.size(); ++i) {
        auto const &path = job.paths[i]; // as stored (UTF-8): for messages
        std::string error;
        if (!read_stored_path(job.fs_paths[i], item.bytes, error)) {
            reasons += (reasons.empty() ? "" : "; ") + path + ": " + to_utf8(error); // it may quote the bytes
            continue;
        }
        if (content_hash(item.bytes) != job.hash) {
            reasons += (reasons.empty() ? "" : "; ") + path + ": changed since it was imported";
            continue;
        }
        auto const parsed = read_smf(item.bytes);
        if (!parsed.file) {
            return path + ": " + parsed.error;
        }
        item.stored.hash = job.hash;
        item.analysis = analyze(*parsed.file);
        item.analyzed = true;
        encode_rows(item);
        item.bytes = {};
        return {};
    }
    item.bytes = {};
    return reasons;
}

} // namespace

worker_graph::worker_graph(worker_context ctx)
: m_ctx(ctx), m_last_reap(clock_type::now() - REAP_EVERY),
  m_source(m_graph, [this](tbb::flow_control &fc) { return claim(fc); }), m_limiter(m_graph, BATCHES_IN_FLIGHT),
  m_analyze(m_graph, flow::serial, [](job_batch *batch) { return analyze(batch); }),
  m_ack(m_graph, flow::serial, [this](job_batch *batch) { return ack(batch); })
{
    flow::make_edge(m_source, m_limiter);
    flow::make_edge(m_limiter, m_analyze);
    flow::make_edge(m_analyze, m_ack);
    flow::make_edge(m_ack, m_limiter.decrementer());
}

void worker_graph::run()
{
    m_source.activate();
    m_graph.wait_for_all();
}

/// The next batch: reaps expired leases now and then, claims, or waits for a NOTIFY.
job_batch *worker_graph::claim(tbb::flow_control &fc)
{
    auto &queue = m_ctx.claimer;
    while (!m_ctx.stop) {
        if (clock_type::now() - m_last_reap >= REAP_EVERY) {
            m_last_reap = clock_type::now();
            if (auto const n = queue.release_expired(); n > 0) {
                spdlog::info("worker: {} job(s) of stopped workers back in the queue", n);
            }
        }
        auto jobs = queue.claim(m_ctx.options.batch);
        if (!jobs.empty()) {
            auto batch = std::make_unique<job_batch>();
            batch->items.resize(jobs.size());
            for (auto &item : batch->items) {
                item = std::make_unique<file_item>();
            }
            batch->errors.resize(jobs.size());
            batch->jobs = std::move(jobs);
            ++m_ctx.held;
            return batch.release();
        }
        if (m_ctx.options.once) {
            auto const s = queue.status();
            if (s.queued == 0 && s.running == 0) {
                break; // nothing left to wait for (jobs in backoff count as queued)
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
            continue;
        }
        queue.wait_for_jobs(IDLE_WAIT);
    }
    fc.stop();
    return nullptr;
}

/// Reads, verifies and analyzes the batch's files in parallel.
job_batch *worker_graph::analyze(job_batch *batch)
{
    // Isolated: while it waits for the batch's jobs, this thread must not take up the source's
    // claim loop, which with --once waits for this batch's ack (a deadlock).
    tbb::this_task_arena::isolate([batch] {
        tbb::parallel_for(std::size_t{0}, batch->jobs.size(),
                          [batch](std::size_t i) { batch->errors[i] = do_job(batch->jobs[i], *batch->items[i]); });
    });
    return batch;
}

/// Writes the batch's analyses and acks its jobs in one transaction; failed jobs go back to the queue.
flow::continue_msg worker_graph::ack(job_batch *raw)
{
    std::unique_ptr<job_batch> const b{raw};
    std::vector<stored_file const *> analyzed;
    std::vector<std::int64_t> done_ids;
    std::vector<job_failure> failures;
    for (std::size_t i = 0; i < b->jobs.size(); ++i) {
        if (b->errors[i].empty()) {
            analyzed.push_back(&b->items[i]->stored);
            done_ids.push_back(b->jobs[i].id);
        } else {
            failures.push_back({b->jobs[i].id, b->errors[i]});
            spdlog::warn("job {} (file {}), attempt {}: {}", b->jobs[i].id, b->jobs[i].file_id, b->jobs[i].attempts,
                         b->errors[i]);
        }
    }
    auto const r = m_ctx.writer.ack(analyzed, done_ids, failures);
    --m_ctx.held;
    m_ctx.summary.done += r.done;
    m_ctx.summary.retried += r.retried;
    m_ctx.summary.dead += r.dead;
    ++m_ctx.summary.batches;
    return flow::continue_msg{};
}

} // namespace midilib
