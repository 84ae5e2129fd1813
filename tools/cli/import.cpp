// `midilib import`: resolve the database, run the import, print its summary.

#include "tools/cli/commands.hpp"

#include "pipeline/import_run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <memory>

namespace midilib {

namespace {

struct import_cli
{
    import_options opts;
    bool json = false;
    bool no_progress = false;
    std::uint64_t max_member_mb = 0;
};

void print_summary(import_summary const &s, bool json)
{
    if (json) {
        nlohmann::json j{{"scanned", s.scanned},
                         {"skipped", s.skipped},
                         {"imported", s.imported},
                         {"duplicates", s.duplicates},
                         {"failed", s.failed},
                         {"stopped", s.stopped},
                         {"removed", s.removed},
                         {"bytes", s.bytes},
                         {"batches", s.batches},
                         {"seconds", s.seconds},
                         {"files_per_sec", s.files_per_sec},
                         {"mb_per_sec", s.mb_per_sec},
                         {"peak_rss_mb", s.peak_rss_mb},
                         {"interrupted", s.interrupted}};
        std::cout << j.dump() << '\n';
        return;
    }
    fmt::print("{} files seen: {} imported, {} duplicates, {} failed, {} unchanged since last import\n"
               "{:.2f} s, {:.0f} files/s, {:.1f} MB/s, peak memory {:.0f} MiB\n",
               s.scanned, s.imported, s.duplicates, s.failed, s.skipped, s.seconds, s.files_per_sec, s.mb_per_sec,
               s.peak_rss_mb);
    if (s.removed > 0) {
        fmt::print("{} paths gone from the disk were removed from the library\n", s.removed);
    }
    if (s.failed > 0) {
        fmt::print("failed files are listed in the import_errors table (path, stage, reason)\n");
    }
    if (s.interrupted) {
        fmt::print("interrupted: the batches in flight were committed, {} files were left unread; run the same "
                   "command again to resume\n",
                   s.stopped);
    }
}

int run(global_options const &g, import_cli const &o)
{
    auto opts = o.opts;
    opts.archives.max_member_bytes = o.max_member_mb << 20U;
    opts.conninfo = open_database(g);
    opts.progress = !o.json && !o.no_progress && !g.quiet && ::isatty(STDERR_FILENO) != 0;
    auto &stop = install_stop_handlers();
    auto const summary = run_import(opts, stop);
    print_summary(summary, o.json);
    return summary.interrupted ? 130 : 0;
}

} // namespace

command add_import_command(CLI::App &app)
{
    auto o = std::make_shared<import_cli>();
    o->max_member_mb = o->opts.archives.max_member_bytes >> 20U;
    auto *import = app.add_subcommand("import", "import folders and files of MIDI into the library");
    import->add_option("paths", o->opts.paths, "folders and files")->required();
    import->add_flag("--json", o->json, "print one JSON object at the end (for scripts)");
    import->add_flag("--no-progress", o->no_progress, "no progress line");
    import->add_flag("!--no-analyze", o->opts.analyze, "skip the musical analysis (key, tempo, chords, drums)");
    import
        ->add_option("--max-member-mb", o->max_member_mb,
                     "archive members larger than this are refused with an error row (zip bombs)")
        ->capture_default_str();
    import->add_option("--connections", o->opts.connections, "database connections = concurrent writers")
        ->check(CLI::Range(1, 64));
    return {import, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
