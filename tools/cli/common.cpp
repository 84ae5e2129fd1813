#include "tools/cli/common.hpp"

#include "db/database_config.hpp"
#include "db/errors.hpp"
#include "db/migrator.hpp"
#include "db/session.hpp"
#include "db/sql_text.hpp"
#include "smf/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <csignal>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <vector>

namespace midilib {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int sig)
{
    if (g_stop.exchange(true)) {
        std::signal(sig, SIG_DFL); // second Ctrl-C: stop now
        std::raise(sig);
    }
}

/// The `%*` pattern flag: the message through terminal_safe(). Log lines quote paths, member names
/// and errors that hold them, and a name from a file must not drive the terminal that shows it.
class safe_message_flag : public spdlog::custom_flag_formatter
{
public:
    void format(spdlog::details::log_msg const &msg, std::tm const & /*time*/, spdlog::memory_buf_t &dest) override
    {
        auto const text = terminal_safe({msg.payload.data(), msg.payload.size()});
        dest.append(text.data(), text.data() + text.size());
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<safe_message_flag>();
    }
};

} // namespace

void add_global_options(CLI::App &app, global_options &g)
{
    app.add_option("--db", g.db,
                   "PostgreSQL conninfo or URI (else MIDILIB_DB, DATABASE_URL, PG* variables, "
                   "else the embedded database)");
    app.add_option("--data-dir", g.data_dir, "folder of the embedded database");
    app.add_flag("-v,--verbose", g.verbose, "more log output (-v debug, -vv trace)");
    app.add_flag("-q,--quiet", g.quiet, "only errors");
    app.add_option("--log-file", g.log_file, "also write the log (debug level) to this file");
    app.add_flag("--log-sql", g.log_sql, "log every SQL statement (with -v or --log-file)");
}

void setup_logging(global_options const &g)
{
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    sinks.back()->set_level(g.quiet         ? spdlog::level::err
                            : g.verbose > 1 ? spdlog::level::trace
                            : g.verbose > 0 ? spdlog::level::debug
                                            : spdlog::level::warn);
    if (g.log_file) {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(*g.log_file));
        sinks.back()->set_level(spdlog::level::debug);
    }
    auto logger = std::make_shared<spdlog::logger>("midilib", sinks.begin(), sinks.end());
    logger->set_level(g.verbose > 1 ? spdlog::level::trace : spdlog::level::debug);
    // -vv (trace) is for timing the phases: each line gets its time and thread.
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<safe_message_flag>('*').set_pattern(g.verbose > 1 ? "%H:%M:%S.%f %t %^%l%$: %*" : "%^%l%$: %*");
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(logger);
    set_log_sql(g.log_sql);
}

std::string open_database(global_options const &g)
{
    auto const choice = choose_database(g.db, g.data_dir);
    auto conninfo = connect_string(choice);
    session{conninfo, "midilib.migrate"}.migrate_up(load_migrations(migrations_dir()));
    return conninfo;
}

std::atomic<bool> &install_stop_handlers()
{
    struct sigaction sa
    {
    };
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return g_stop;
}

std::int64_t parse_file_id(char const *command, std::string const &text)
{
    std::int64_t id = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw std::invalid_argument{fmt::format(
            "{}: expected a file id (a whole number, as printed by search), got \"{}\"", command, text.substr(0, 64))};
    }
    return id;
}

int report_failure(std::exception const &e)
{
    auto const line = error_line(e);
    spdlog::error("{}", line);
    if (line != e.what()) {
        spdlog::debug("the full error: {}", e.what());
    }
    return 1;
}

} // namespace midilib
