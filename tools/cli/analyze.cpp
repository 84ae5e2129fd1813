// `midilib analyze --requeue`: queue the files whose analysis is missing or outdated.

#include "tools/cli/commands.hpp"

#include "analyzers/analysis.hpp"
#include "db/session.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace midilib {

namespace {

struct analyze_cli
{
    bool requeue = false;
    int older_than = ANALYZER_VERSION;
    bool all = false;
};

int run(global_options const &g, analyze_cli const &o)
{
    auto const n = session{open_database(g), "midilib.analyze"}.requeue_analysis(o.older_than, o.all);
    fmt::print("{} analysis job(s) queued\n", n);
    return 0;
}

} // namespace

command add_analyze_command(CLI::App &app)
{
    auto o = std::make_shared<analyze_cli>();
    auto *analyze = app.add_subcommand("analyze", "queue files for analysis by the workers");
    analyze->add_flag("--requeue", o->requeue, "queue the files whose analysis is missing or outdated")->required();
    analyze->add_option("--older-than-version", o->older_than, "analyzer version below which to redo")
        ->capture_default_str();
    analyze->add_flag("--all", o->all, "redo every file");
    return {analyze, [o](global_options const &g) { return run(g, *o); }};
}

} // namespace midilib
