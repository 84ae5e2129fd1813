#pragma once
/// The subcommands of `midilib`. Each adds itself to the app (its options, their defaults and
/// help) and returns what runs when the command line names it.

#include "tools/cli/common.hpp"

#include <functional>

namespace CLI {
class App;
}

namespace midilib {

/// A subcommand as added to the app, and its run function (its exit code).
struct command
{
    CLI::App *app = nullptr;
    std::function<int(global_options const &)> run;
};

/// `import PATHS...`: folders, files and archives into the library.
command add_import_command(CLI::App &app);
/// `search [QUERY]`: words and facets; a table on a terminal, else JSON lines.
command add_search_command(CLI::App &app);
/// `worker`: analyze the files of the queue.
command add_worker_command(CLI::App &app);
/// `analyze --requeue`: queue files whose analysis is missing or outdated.
command add_analyze_command(CLI::App &app);
/// `status`: the library and the analysis queue.
command add_status_command(CLI::App &app);
/// `show ID`: everything stored about one file.
command add_show_command(CLI::App &app);
/// `similar ID`: the files nearest to one by musical content, with search's facets.
command add_similar_command(CLI::App &app);
/// `dupes`: works held in several versions, biggest first.
command add_dupes_command(CLI::App &app);
/// `remove PATH...`: forget folders, files or archives.
command add_remove_command(CLI::App &app);
/// `prune [--older-than 30d]`: delete contents missing that long.
command add_prune_command(CLI::App &app);
/// `db start|stop|status|url`: the embedded database.
command add_db_command(CLI::App &app);
/// `migrate [status|up|verify|print]`: schema migrations.
command add_migrate_command(CLI::App &app);

} // namespace midilib
