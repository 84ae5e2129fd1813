// Queue throughput without analysis: T workers (threads, one connection each) claim batches
// of jobs with SKIP LOCKED and ack them, until the queue is empty. Jobs are created by
// re-queueing every file of the library ROUNDS times (not timed).
// Usage: queue_bench CONNINFO [WORKERS] [BATCH] [ROUNDS]. Prints one JSON line.

#include "analyzers/analysis.hpp"
#include "db/connection_pool.hpp"
#include "db/job_queue.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

int main(int argc, char **argv)
{
    using namespace midilib;
    if (argc < 2) {
        fmt::print(stderr, "usage: queue_bench CONNINFO [WORKERS] [BATCH] [ROUNDS]\n");
        return 2;
    }
    std::string const conninfo = argv[1];
    std::size_t const workers = argc > 2 ? std::stoul(argv[2]) : 4;
    std::size_t const batch = argc > 3 ? std::stoul(argv[3]) : 200;
    int const rounds = argc > 4 ? std::stoi(argv[4]) : 5;
    auto admin = open_connection(conninfo, "midilib.bench");
    std::size_t jobs = 0;
    double seconds = 0.0;
    for (int r = 0; r < rounds; ++r) {
        requeue_analysis(*admin, ANALYZER_VERSION, true); // adds to the jobs already queued, if any
        auto const queued = pqxx::nontransaction{*admin}
                                .exec1("SELECT count(*) FROM analysis_jobs WHERE state = 'queued'")[0]
                                .as<std::size_t>();
        if (queued == 0) {
            fmt::print(stderr, "queue_bench: the library is empty; import something first\n");
            return 1;
        }
        std::atomic<std::size_t> acked{0};
        auto const start = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (std::size_t w = 0; w < workers; ++w) {
            threads.emplace_back([&, w] {
                auto cx = open_connection(conninfo, fmt::format("midilib.bench/W{}", w + 1));
                queue_settings q;
                q.owner = fmt::format("bench:{}", w);
                std::vector<stored_file const *> none;
                while (true) {
                    auto const claimed = claim_jobs(*cx, q, batch);
                    if (claimed.empty()) {
                        return;
                    }
                    std::vector<std::int64_t> ids;
                    for (auto const &j : claimed) {
                        ids.push_back(j.id);
                    }
                    acked += ack_jobs(*cx, q, none, ids, {}).done;
                }
            });
        }
        for (auto &t : threads) {
            t.join();
        }
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        jobs += acked;
        if (acked != queued) {
            fmt::print(stderr, "queue_bench: {} jobs queued but {} acked\n", queued, acked.load());
            return 1;
        }
    }
    fmt::print("{{\"bench\":\"queue_claim_ack\",\"jobs\":{},\"workers\":{},\"batch\":{},\"seconds\":{:.3f},"
               "\"jobs_per_sec\":{:.0f}}}\n",
               jobs, workers, batch, seconds, static_cast<double>(jobs) / seconds);
    return 0;
}
