// `midilib status`: the library's files and the analysis queue, counted.

#include "tools/cli/commands.hpp"

#include "analyzers/analysis.hpp"
#include "db/session.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace midilib {

namespace {

int run(global_options const &g, bool json)
{
    auto const s = session{open_database(g), "midilib.status"}.read_queue_status();
    if (json) {
        nlohmann::json j{{"files", s.files},
                         {"analyzed", s.analyzed},
                         {"queued", s.queued},
                         {"running", s.running},
                         {"dead", s.dead},
                         {"done", s.done},
                         {"done_last_minute", s.done_last_minute}};
        j["oldest_queued_seconds"] = s.oldest_queued_seconds ? nlohmann::json(*s.oldest_queued_seconds) : nullptr;
        std::cout << j.dump() << '\n';
        return 0;
    }
    fmt::print("files:     {}\nanalyzed:  {} (analyzer version {})\nqueued:    {}{}\nrunning:   {}\n"
               "dead:      {}\ndone:      {} ({} in the last minute, {:.0f} files/s)\n",
               s.files, s.analyzed, ANALYZER_VERSION, s.queued,
               s.oldest_queued_seconds ? fmt::format(" (oldest waiting {:.0f} s)", *s.oldest_queued_seconds) : "",
               s.running, s.dead, s.done, s.done_last_minute, static_cast<double>(s.done_last_minute) / 60.0);
    return 0;
}

} // namespace

command add_status_command(CLI::App &app)
{
    auto json = std::make_shared<bool>(false);
    auto *status = app.add_subcommand("status", "the library and the analysis queue");
    status->add_flag("--json", *json, "one JSON object");
    return {status, [json](global_options const &g) { return run(g, *json); }};
}

} // namespace midilib
