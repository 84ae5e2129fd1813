// `midilib worker`: analyze the queued files until stopped (or, with --once, until none is left).

#include "tools/cli/commands.hpp"

#include "pipeline/worker_run.hpp"
#include "smf/text.hpp"
#include "tools/cli/time_zone.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

namespace midilib {

namespace {

struct worker_cli
{
    worker_options opts;
    bool json = false;
    int lease_seconds = 60;
    int retry_base_ms = 2000;
};

int run(global_options const &g, worker_cli const &o)
{
    auto opts = o.opts;
    opts.queue.lease = std::chrono::seconds{o.lease_seconds};
    opts.queue.retry_base = std::chrono::milliseconds{o.retry_base_ms};
    opts.conninfo = open_database(g);
    pin_time_zone(); // after open_database(): a server it starts keeps the environment it had
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    opts.queue.owner = fmt::format("{}:{}", host, ::getpid());
    auto &stop = install_stop_handlers();
    auto const s = run_worker(opts, stop);
    if (o.json) {
        std::cout << nlohmann::json{{"done", s.done},
                                    {"retried", s.retried},
                                    {"dead", s.dead},
                                    {"batches", s.batches},
                                    {"reconnects", s.reconnects},
                                    {"archive_opens", s.archive_opens},
                                    {"seconds", s.seconds},
                                    {"files_per_sec", s.seconds > 0 ? static_cast<double>(s.done) / s.seconds : 0.0}}
                         .dump()
                  << '\n';
    } else {
        fmt::print("worker {}: {} analyzed, {} to retry, {} dead, in {:.1f} s\n", terminal_safe(opts.queue.owner),
                   s.done, s.retried, s.dead, s.seconds);
    }
    return stop ? 130 : 0;
}

} // namespace

command add_worker_command(CLI::App &app)
{
    auto o = std::make_shared<worker_cli>();
    auto *worker = app.add_subcommand("worker", "analyze files from the queue (run many, on many machines)");
    worker->add_option("--jobs", o->opts.jobs, "files analyzed at once (default: one per core)");
    worker->add_option("--batch", o->opts.batch, "jobs claimed and acknowledged together")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    worker->add_flag("--once", o->opts.once, "exit when no job is queued or running");
    worker
        ->add_option("--lease-seconds", o->lease_seconds,
                     "a claimed job returns to the queue after this if its worker stops renewing it")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    worker->add_option("--max-attempts", o->opts.queue.max_attempts, "after this many failures a job is dead")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    worker->add_option("--retry-base-ms", o->retry_base_ms, "backoff before a retry: this, doubled per attempt")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600000));
    worker->add_flag("--json", o->json, "one JSON object at the end");
    return {worker, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
