// midilib: the command-line tool. main() builds the app, lets each subcommand (tools/cli/) add
// itself, parses the command line and runs the subcommand named.

#include "tools/cli/commands.hpp"
#include "tools/cli/common.hpp"
#include "tools/cli/tune_malloc.hpp"
#include "tools/cli/usage_error.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <stdexcept>
#include <vector>

int main(int argc, char **argv)
{
    using namespace midilib;
    tune_malloc();
    CLI::App app{"midilib: imports folders of MIDI files into PostgreSQL, analyzed and searchable"};
    app.require_subcommand(1);
    app.fallthrough(); // global options work before or after the subcommand: `midilib import --db ...`
    app.set_version_flag("--version", "midilib " MIDILIB_VERSION_LINE);
    global_options g;
    add_global_options(app, g);
    // In the order `midilib --help` lists them; each subcommand inherits fallthrough from the app.
    std::vector<command> const commands{add_import_command(app),  add_search_command(app), add_worker_command(app),
                                        add_analyze_command(app), add_status_command(app), add_show_command(app),
                                        add_similar_command(app), add_dupes_command(app),  add_remove_command(app),
                                        add_prune_command(app),   add_db_command(app),     add_migrate_command(app)};
    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const &e) {
        return report_usage_error(app, e, argc, argv);
    }
    try {
        setup_logging(g);
        for (auto const &c : commands) {
            if (app.got_subcommand(c.app)) {
                return c.run(g);
            }
        }
    } catch (std::invalid_argument const &e) {
        report_failure(e); // a value the command refuses (--bpm junk, a cursor it never printed): usage
        return USAGE_ERROR;
    } catch (std::exception const &e) {
        return report_failure(e);
    }
    return 0;
}
