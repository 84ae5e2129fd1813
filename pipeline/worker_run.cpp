#include "pipeline/worker_run.hpp"

#include "analyzers/analysis.hpp"
#include "db/connection_pool.hpp"
#include "pipeline/archive_reader.hpp"
#include "pipeline/row_encoder.hpp"
#include "pipeline/stages.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

namespace midilib {

namespace {

namespace flow = tbb::flow;
using clock_type = std::chrono::steady_clock;

/// Batches between claim and ack: one being analyzed while the previous is written and
/// the next is claimed.
constexpr std::size_t BATCHES_IN_FLIGHT = 2;

/// How often a worker looks for jobs whose worker died (expired leases).
constexpr auto REAP_EVERY = std::chrono::seconds{1};

/// Longest wait for a NOTIFY before looking at the queue again.
constexpr int IDLE_WAIT_SECONDS = 1;

struct job_batch
{
    std::vector<claimed_job> jobs;
    std::vector<std::unique_ptr<file_item>> items; ///< one per job: the analysis when it worked
    std::vector<std::string> errors;               ///< one per job: empty when it worked
};

/// True for errors after which the connection is gone (server stopped or restarted).
bool connection_lost(std::exception const &e)
{
    if (dynamic_cast<pqxx::broken_connection const *>(&e) != nullptr ||
        dynamic_cast<pqxx::in_doubt_error const *>(&e) != nullptr) {
        return true;
    }
    if (auto const *sql = dynamic_cast<pqxx::sql_error const *>(&e)) {
        auto const state = sql->sqlstate();
        return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
    }
    return false;
}

std::string first_line(std::string const &s)
{
    return s.substr(0, s.find('\n'));
}

/// A connection reopened after it is lost, retrying (with a growing pause) until stop.
class resilient_connection
{
public:
    resilient_connection(std::string conninfo, std::string label, std::atomic<bool> const &stop)
    : m_conninfo(std::move(conninfo)), m_label(std::move(label)), m_stop(stop)
    {}

    /// Times the connection was lost and reopened.
    [[nodiscard]] std::size_t reconnects() const noexcept { return m_reconnects; }

    template <typename F>
    auto run(F &&f) -> decltype(f(std::declval<pqxx::connection &>()))
    {
        auto pause = std::chrono::milliseconds{100};
        while (true) {
            bool lost = false;
            try {
                return attempt(f, lost);
            } catch (std::exception const &e) {
                if (!lost || m_stop) {
                    throw;
                }
                spdlog::warn("{}: database connection lost ({}); retrying in {} ms", m_label, first_line(e.what()),
                             pause.count());
                ++m_reconnects;
                std::this_thread::sleep_for(pause);
                pause = std::min(pause * 2, std::chrono::milliseconds{2000});
            }
        }
    }

    /// Runs @p f once, opening the connection if needed; after a lost connection, rethrows and
    /// opens a new one on the next call.
    template <typename F>
    auto run_once(F &&f) -> decltype(f(std::declval<pqxx::connection &>()))
    {
        bool lost = false;
        return attempt(f, lost);
    }

    /// Waits up to @p seconds for a NOTIFY on midilib_jobs (a hint that jobs were added).
    void wait_for_jobs(int seconds)
    {
        run([&](pqxx::connection &cx) {
            if (!m_listener) {
                m_listener = std::make_unique<listener>(cx);
            }
            cx.await_notification(seconds, 0);
            return 0;
        });
    }

private:
    struct listener : pqxx::notification_receiver
    {
        explicit listener(pqxx::connection &cx) : pqxx::notification_receiver{cx, "midilib_jobs"} {}
        void operator()(std::string const &, int) override {}
    };

    template <typename F>
    auto attempt(F &f, bool &lost) -> decltype(f(std::declval<pqxx::connection &>()))
    {
        try {
            if (!m_cx) {
                m_cx = open_connection(m_conninfo, m_label);
            }
            return f(*m_cx);
        } catch (std::exception const &e) {
            // Whatever the error says, a connection that is no longer open was lost.
            lost = connection_lost(e) || (m_cx && !m_cx->is_open());
            if (lost) {
                reset();
            }
            throw;
        }
    }

    void reset()
    {
        m_listener.reset(); // before its connection
        m_cx.reset();
    }

    std::string m_conninfo;
    std::string m_label;
    std::atomic<bool> const &m_stop;
    std::size_t m_reconnects = 0; // its own count: the claimer and the writer run on different threads
    std::unique_ptr<pqxx::connection> m_cx;
    std::unique_ptr<listener> m_listener;
};

/**
 * While the worker holds claimed jobs, extends their lease every lease/3 on a connection of
 * its own (midilib.worker/lease), so that a batch that takes longer than the lease (huge
 * files, a slow disk) is not handed to another worker. A failed renewal is logged once and
 * tried again the next period. Stops (and joins) when destroyed.
 */
class lease_heartbeat
{
public:
    lease_heartbeat(std::string const &conninfo, queue_settings const &queue, std::atomic<std::size_t> const &held,
                    std::atomic<bool> const &stop)
    : m_cx{conninfo, "midilib.worker/lease", stop}, m_queue(queue), m_held(held),
      m_thread{[this](std::stop_token const &st) { beat(st); }}
    {}

    lease_heartbeat(lease_heartbeat const &) = delete;
    lease_heartbeat &operator=(lease_heartbeat const &) = delete;
    lease_heartbeat(lease_heartbeat &&) = delete;
    lease_heartbeat &operator=(lease_heartbeat &&) = delete;
    ~lease_heartbeat() = default; // m_thread, destroyed first, requests stop and joins

private:
    void beat(std::stop_token const &st)
    {
        // A third of the lease: two renewals can fail (or come late) before a lease runs out.
        auto const period = std::chrono::duration_cast<std::chrono::milliseconds>(m_queue.lease) / 3;
        std::mutex m;
        std::condition_variable_any wake; // only by the stop request
        std::unique_lock lock{m};
        bool failing = false;
        while (!wake.wait_for(lock, st, period, [&st] { return st.stop_requested(); })) {
            if (m_held == 0) {
                continue;
            }
            try {
                m_cx.run_once([this](pqxx::connection &cx) { return renew_leases(cx, m_queue); });
                if (failing) {
                    spdlog::info("worker: leases renewed again");
                }
                failing = false;
            } catch (std::exception const &e) {
                if (!failing) {
                    spdlog::warn("worker: could not renew the leases of its jobs ({}); trying again every {} ms",
                                 first_line(e.what()), period.count());
                }
                failing = true;
            }
        }
    }

    resilient_connection m_cx;
    queue_settings const &m_queue;
    std::atomic<std::size_t> const &m_held;
    std::jthread m_thread; // last: started when everything it uses exists
};

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
    struct stat st{};
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

worker_summary run_worker(worker_options const &options, std::atomic<bool> &stop)
{
    auto const start = clock_type::now();
    worker_summary summary;
    std::size_t const threads = options.jobs > 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
    resilient_connection claimer{options.conninfo, "midilib.worker/claim", stop};
    resilient_connection writer{options.conninfo, "midilib.worker/ack", stop};
    auto const &q = options.queue;
    auto last_reap = clock_type::now() - REAP_EVERY;
    std::atomic<std::size_t> held{0}; // batches claimed and not acked yet
    lease_heartbeat heartbeat{options.conninfo, q, held, stop};

    // The next batch: reap expired leases now and then, claim, or wait for a NOTIFY.
    auto const claim = [&](tbb::flow_control &fc) -> job_batch * {
        while (!stop) {
            if (clock_type::now() - last_reap >= REAP_EVERY) {
                last_reap = clock_type::now();
                if (auto const n = claimer.run([&](pqxx::connection &cx) { return release_expired(cx, q); }); n > 0) {
                    spdlog::info("worker: {} job(s) of stopped workers back in the queue", n);
                }
            }
            auto jobs = claimer.run([&](pqxx::connection &cx) { return claim_jobs(cx, q, options.batch); });
            if (!jobs.empty()) {
                auto batch = std::make_unique<job_batch>();
                batch->items.resize(jobs.size());
                for (auto &item : batch->items) {
                    item = std::make_unique<file_item>();
                }
                batch->errors.resize(jobs.size());
                batch->jobs = std::move(jobs);
                ++held;
                return batch.release();
            }
            if (options.once) {
                auto const s = claimer.run([&](pqxx::connection &cx) { return read_queue_status(cx); });
                if (s.queued == 0 && s.running == 0) {
                    break; // nothing left to wait for (jobs in backoff count as queued)
                }
                std::this_thread::sleep_for(std::chrono::milliseconds{20});
                continue;
            }
            claimer.wait_for_jobs(IDLE_WAIT_SECONDS);
        }
        fc.stop();
        return nullptr;
    };

    tbb::global_control parallelism{tbb::global_control::max_allowed_parallelism, threads + 2};
    tbb::task_arena arena{static_cast<int>(threads + 2)};
    arena.execute([&] {
        flow::graph g;
        flow::input_node<job_batch *> source{g, claim};
        flow::limiter_node<job_batch *> limiter{g, BATCHES_IN_FLIGHT};
        flow::function_node<job_batch *, job_batch *> analyze_node{g, flow::serial, [](job_batch *b) {
            // Isolated: while it waits for the batch's jobs, this thread must not take up the
            // source's claim loop, which with --once waits for this batch's ack (a deadlock).
            tbb::this_task_arena::isolate([b] {
                tbb::parallel_for(std::size_t{0}, b->jobs.size(),
                                  [b](std::size_t i) { b->errors[i] = do_job(b->jobs[i], *b->items[i]); });
            });
            return b;
        }};
        flow::function_node<job_batch *, flow::continue_msg> ack_node{g, flow::serial, [&](job_batch *raw) {
            std::unique_ptr<job_batch> b{raw};
            std::vector<stored_file const *> analyzed;
            std::vector<std::int64_t> done_ids;
            std::vector<job_failure> failures;
            for (std::size_t i = 0; i < b->jobs.size(); ++i) {
                if (b->errors[i].empty()) {
                    analyzed.push_back(&b->items[i]->stored);
                    done_ids.push_back(b->jobs[i].id);
                } else {
                    failures.push_back({b->jobs[i].id, b->errors[i]});
                    spdlog::warn("job {} (file {}), attempt {}: {}", b->jobs[i].id, b->jobs[i].file_id,
                                 b->jobs[i].attempts, b->errors[i]);
                }
            }
            auto const r = writer.run(
                [&](pqxx::connection &cx) { return ack_jobs(cx, q, analyzed, done_ids, failures); });
            --held;
            summary.done += r.done;
            summary.retried += r.retried;
            summary.dead += r.dead;
            ++summary.batches;
            return flow::continue_msg{};
        }};
        flow::make_edge(source, limiter);
        flow::make_edge(limiter, analyze_node);
        flow::make_edge(analyze_node, ack_node);
        flow::make_edge(ack_node, limiter.decrementer());
        source.activate();
        g.wait_for_all();
    });
    summary.reconnects = claimer.reconnects() + writer.reconnects();
    summary.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return summary;
}

} // namespace midilib
