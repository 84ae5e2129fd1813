// midilib: the command-line tool. main() parses the command line and dispatches;
// each command is a short list of named phases.

#include "db/connection_pool.hpp"
#include "db/database_config.hpp"
#include "db/embedded_cluster.hpp"
#include "db/library_search.hpp"
#include "db/migrator.hpp"
#include "db/sql_text.hpp"
#include "db/job_queue.hpp"
#include "pipeline/import_run.hpp"
#include "pipeline/worker_run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <string_view>

namespace {

using namespace midilib;

/// Options every command shares.
struct global_options
{
    std::optional<std::string> db;
    std::optional<std::filesystem::path> data_dir;
    int verbose = 0;
    bool quiet = false;
    std::optional<std::string> log_file;
    bool log_sql = false;
};

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int sig)
{
    if (g_stop.exchange(true)) {
        std::signal(sig, SIG_DFL); // second Ctrl-C: stop now
        std::raise(sig);
    }
}

void install_stop_handlers()
{
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void setup_logging(global_options const &g)
{
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    sinks.back()->set_level(g.quiet ? spdlog::level::err
                                    : g.verbose > 1 ? spdlog::level::trace
                                    : g.verbose > 0 ? spdlog::level::debug : spdlog::level::warn);
    if (g.log_file) {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(*g.log_file));
        sinks.back()->set_level(spdlog::level::debug);
    }
    auto logger = std::make_shared<spdlog::logger>("midilib", sinks.begin(), sinks.end());
    logger->set_level(g.verbose > 1 ? spdlog::level::trace : spdlog::level::debug);
    // -vv (trace) is for timing the phases: each line gets its time and thread.
    logger->set_pattern(g.verbose > 1 ? "%H:%M:%S.%f %t %^%l%$: %v" : "%^%l%$: %v");
    spdlog::set_default_logger(logger);
    set_log_sql(g.log_sql);
}

/// Resolves the database, starts the embedded one if needed, applies pending migrations.
std::string open_database(global_options const &g)
{
    auto const choice = choose_database(g.db, g.data_dir);
    auto conninfo = connect_string(choice);
    auto cx = open_connection(conninfo, "midilib.migrate");
    migrate_up(*cx, load_migrations(migrations_dir()));
    return conninfo;
}

void print_summary(import_summary const &s, bool json)
{
    if (json) {
        nlohmann::json j{{"scanned", s.scanned},       {"skipped", s.skipped},     {"imported", s.imported},
                         {"duplicates", s.duplicates}, {"failed", s.failed},       {"stopped", s.stopped},
                         {"bytes", s.bytes},
                         {"batches", s.batches},       {"seconds", s.seconds},     {"files_per_sec", s.files_per_sec},
                         {"mb_per_sec", s.mb_per_sec}, {"peak_rss_mb", s.peak_rss_mb},
                         {"interrupted", s.interrupted}};
        std::cout << j.dump() << '\n';
        return;
    }
    fmt::print("{} files seen: {} imported, {} duplicates, {} failed, {} unchanged since last import\n"
               "{:.2f} s, {:.0f} files/s, {:.1f} MB/s, peak memory {:.0f} MiB\n",
               s.scanned, s.imported, s.duplicates, s.failed, s.skipped, s.seconds, s.files_per_sec, s.mb_per_sec,
               s.peak_rss_mb);
    if (s.failed > 0) {
        fmt::print("failed files are listed in the import_errors table (path, stage, reason)\n");
    }
    if (s.interrupted) {
        fmt::print("interrupted: the batches in flight were committed, {} files were left unread; run the same "
                   "command again to resume\n",
                   s.stopped);
    }
}

int cmd_import(global_options const &g, import_options opts, bool json, bool no_progress)
{
    opts.conninfo = open_database(g);
    opts.progress = !json && !no_progress && !g.quiet && ::isatty(STDERR_FILENO) != 0;
    install_stop_handlers();
    auto const summary = run_import(opts, g_stop);
    print_summary(summary, json);
    return summary.interrupted ? 130 : 0;
}

/// "120-130" or "120" as an inclusive range of numbers >= 0 (tempo, length, tracks); anything
/// else in the text is an error.
std::pair<double, double> parse_range(std::string const &text, char const *option)
{
    auto const number = [](std::string const &part) {
        std::size_t used = 0;
        double const v = std::stod(part, &used);
        if (used != part.size() || std::isnan(v) || v < 0) {
            throw std::invalid_argument{"junk"};
        }
        return v;
    };
    try {
        auto const dash = text.find('-', 1);
        double const lo = number(text.substr(0, dash));
        double const hi = dash == std::string::npos ? lo : number(text.substr(dash + 1));
        if (hi < lo) {
            throw std::invalid_argument{"order"};
        }
        return {lo, hi};
    } catch (std::exception const &) {
        throw std::invalid_argument{fmt::format("{}: expected a number or a range like 120-130, got \"{}\"", option,
                                                text.substr(0, 64))};
    }
}

struct search_cli
{
    std::string text;
    std::string bpm, key, ts, duration, tracks, instrument, folder, after;
    bool drums = false;
    bool no_drums = false;
    bool json = false;
    int limit = 20;
};

int cmd_search(global_options const &g, search_cli const &o)
{
    search_request r;
    r.text = o.text;
    if (!o.bpm.empty()) {
        r.bpm = parse_range(o.bpm, "--bpm");
    }
    if (!o.duration.empty()) {
        r.duration = parse_range(o.duration, "--duration");
    }
    if (!o.tracks.empty()) {
        auto const t = parse_range(o.tracks, "--tracks");
        if (t.first < 0 || t.second > std::numeric_limits<int>::max()) {
            throw std::invalid_argument{fmt::format("--tracks: expected a range like 1-4, got \"{}\"", o.tracks)};
        }
        r.tracks = std::pair{static_cast<int>(t.first), static_cast<int>(t.second)};
    }
    if (!o.key.empty()) {
        r.key = parse_key(o.key);
        if (!r.key) {
            throw std::invalid_argument{fmt::format("--key: expected a key such as \"A minor\" or F#, got \"{}\"",
                                                    o.key.substr(0, 64))};
        }
    }
    if (!o.ts.empty()) {
        auto const slash = o.ts.find('/');
        auto const digits = [](std::string_view d) {
            return !d.empty() && d.size() <= 3 && d.find_first_not_of("0123456789") == std::string_view::npos;
        };
        if (slash == std::string::npos || !digits(std::string_view{o.ts}.substr(0, slash)) ||
            !digits(std::string_view{o.ts}.substr(slash + 1))) {
            throw std::invalid_argument{fmt::format("--ts: expected a time signature such as 3/4 or 6/8, got \"{}\"",
                                                    o.ts.substr(0, 64))};
        }
        r.time_signature = o.ts;
    }
    if (!o.instrument.empty()) {
        r.instrument = o.instrument;
    }
    if (!o.folder.empty()) {
        r.folder = std::filesystem::absolute(o.folder).lexically_normal().string();
    }
    if (o.drums || o.no_drums) {
        r.drums = o.drums;
    }
    r.limit = o.limit;
    r.after = o.after;
    auto cx = open_connection(open_database(g), "midilib.search");
    auto const page = search_library(*cx, r);
    bool const table = !o.json && ::isatty(STDOUT_FILENO) != 0;
    if (!table) {
        for (auto const &h : page.hits) {
            std::cout << nlohmann::json{{"id", h.id},           {"path", h.path},
                                        {"tempo_bpm", h.tempo_bpm}, {"key", h.key_name},
                                        {"time_signature", h.time_signature}, {"duration_seconds", h.duration_seconds},
                                        {"tracks", h.tracks},   {"drums", h.drums},
                                        {"rank", h.rank},       {"fuzzy", page.fuzzy},
                                        {"cursor", h.cursor}}
                             .dump()
                      << '\n';
        }
        return 0;
    }
    if (page.fuzzy) {
        fmt::print("nothing matches \"{}\"; file names like it:\n", r.text);
    }
    fmt::print("{:>7}  {:>6}  {:<9}  {:>5}  {:>7}  {}\n", "id", "bpm", "key", "meter", "length", "path");
    for (auto const &h : page.hits) {
        fmt::print("{:>7}  {:>6.1f}  {:<9}  {:>5}  {:>5.0f} s  {}\n", h.id, h.tempo_bpm, h.key_name, h.time_signature,
                   h.duration_seconds, h.path);
    }
    if (static_cast<int>(page.hits.size()) == r.limit && !page.hits.back().cursor.empty()) {
        fmt::print("more: add --after '{}'\n", page.hits.back().cursor);
    } else if (page.hits.empty()) {
        fmt::print("no file matches\n");
    }
    return 0;
}

int cmd_db(global_options const &g, std::string const &action)
{
    auto const choice = choose_database(g.db, g.data_dir);
    if (!choice.embedded) {
        if (action == "url") {
            fmt::print("{}\n", choice.conninfo);
            return 0;
        }
        throw std::runtime_error{fmt::format(
            "`midilib db {}` manages the embedded database, but a database is configured by {}", action, choice.source)};
    }
    embedded_cluster cluster{choice.data_dir};
    if (action == "start") {
        cluster.ensure_running();
        fmt::print("running: {}\n", cluster.conninfo());
    } else if (action == "stop") {
        cluster.stop();
        fmt::print("stopped: {}\n", choice.data_dir.string());
    } else if (action == "status") {
        auto const st = cluster.status();
        fmt::print("data dir: {}\ninitialized: {}\nrunning: {}{}\nconninfo: {}\n", st.data_dir.string(),
                   st.initialized ? "yes" : "no", st.running ? "yes" : "no",
                   st.running ? fmt::format(" (pid {})", st.pid) : "", st.conninfo);
        return st.running ? 0 : 3;
    } else {
        fmt::print("{}\n", cluster.conninfo());
    }
    return 0;
}

int cmd_worker(global_options const &g, worker_options opts, bool json)
{
    opts.conninfo = open_database(g);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    opts.queue.owner = fmt::format("{}:{}", host, ::getpid());
    install_stop_handlers();
    auto const s = run_worker(opts, g_stop);
    if (json) {
        std::cout << nlohmann::json{{"done", s.done},         {"retried", s.retried}, {"dead", s.dead},
                                    {"batches", s.batches},   {"reconnects", s.reconnects},
                                    {"seconds", s.seconds},
                                    {"files_per_sec", s.seconds > 0 ? static_cast<double>(s.done) / s.seconds : 0.0}}
                         .dump()
                  << '\n';
    } else {
        fmt::print("worker {}: {} analyzed, {} to retry, {} dead, in {:.1f} s\n", opts.queue.owner, s.done, s.retried,
                   s.dead, s.seconds);
    }
    return g_stop ? 130 : 0;
}

int cmd_requeue(global_options const &g, int older_than, bool all)
{
    auto cx = open_connection(open_database(g), "midilib.analyze");
    auto const n = requeue_analysis(*cx, older_than, all);
    fmt::print("{} analysis job(s) queued\n", n);
    return 0;
}

int cmd_status(global_options const &g, bool json)
{
    auto cx = open_connection(open_database(g), "midilib.status");
    auto const s = read_queue_status(*cx);
    if (json) {
        nlohmann::json j{{"files", s.files},   {"analyzed", s.analyzed}, {"queued", s.queued},
                         {"running", s.running}, {"dead", s.dead},       {"done", s.done},
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

/// A file id as printed by search: a whole number that fits a bigint.
std::int64_t parse_id(std::string const &text)
{
    std::int64_t id = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw std::invalid_argument{fmt::format("show: expected a file id (a whole number, as printed by search), "
                                                "got \"{}\"",
                                                text.substr(0, 64))};
    }
    return id;
}

int cmd_show(global_options const &g, std::string const &id_text, bool json)
{
    auto const id = parse_id(id_text);
    auto const conninfo = open_database(g);
    auto cx = open_connection(conninfo, "midilib.show");
    auto const details = show_file(*cx, id);
    if (!details) {
        fmt::print(stderr, "error: no file with id {} in the library\n", id);
        return 1;
    }
    if (json) {
        nlohmann::json j;
        for (auto const &[name, value] : details->fields) {
            j[name] = value;
        }
        for (auto const &p : details->paths) {
            j["paths"].push_back({{"path", p.path}, {"size_bytes", p.size_bytes}, {"mtime", p.mtime},
                                  {"archive", p.archive}});
        }
        std::cout << j.dump() << '\n';
        return 0;
    }
    for (auto const &[name, value] : details->fields) {
        fmt::print("{:>18}: {}\n", name, value);
    }
    fmt::print("{:>18}: {}\n", "seen at", details->paths.size() == 1 ? "1 path" : fmt::format("{} paths", details->paths.size()));
    for (auto const &p : details->paths) {
        fmt::print("{:>18}  {} ({} bytes, modified {}){}\n", "", p.path, p.size_bytes, p.mtime,
                   p.archive.empty() ? "" : "\n" + std::string(20, ' ') + "inside archive " + p.archive);
    }
    return 0;
}

int cmd_migrate(global_options const &g, std::string const &action)
{
    auto const choice = choose_database(g.db, g.data_dir);
    auto cx = open_connection(connect_string(choice), "midilib.migrate");
    auto const known = load_migrations(migrations_dir());
    if (action == "up") {
        int const n = migrate_up(*cx, known);
        fmt::print("{} migration(s) applied; schema at version {:04}\n", n,
                   applied_migrations(*cx).empty() ? 0 : applied_migrations(*cx).back().version);
        return 0;
    }
    auto const applied = applied_migrations(*cx);
    if (action == "print") {
        std::cout << pending_sql(known, applied);
        return 0;
    }
    auto const drift = verify_migrations(known, applied);
    if (action == "status") {
        for (auto const &m : known) {
            auto const a = std::find_if(applied.begin(), applied.end(), [&](auto const &x) { return x.version == m.version; });
            if (a == applied.end()) {
                fmt::print("{:04}  {:<32} pending{}\n", m.version, m.name, m.transactional ? "" : " (no transaction)");
                continue;
            }
            std::string const check = !a->checksum ? "no checksum (applied with psql)"
                                      : *a->checksum == m.checksum ? "checksum ok"
                                                                   : "CHANGED SINCE APPLIED";
            fmt::print("{:04}  {:<32} applied {} by {}{}, {}\n", m.version, m.name, a->applied_at, a->applied_by,
                       a->duration_ms ? fmt::format(" in {:.0f} ms", *a->duration_ms) : "", check);
        }
        for (auto const &a : applied) {
            if (std::none_of(known.begin(), known.end(), [&](auto const &m) { return m.version == a.version; })) {
                fmt::print("{:04}  {:<32} applied {} by {}, NO FILE for it here\n", a.version, a.name, a.applied_at,
                           a.applied_by);
            }
        }
        return drift.empty() ? 0 : 1;
    }
    // verify
    for (auto const &d : drift) {
        fmt::print("drift: {}\n", d.what);
    }
    if (drift.empty()) {
        fmt::print("{} applied migration(s) match their files\n", applied.size());
        return 0;
    }
    return 1;
}

/**
 * What is printed when a command fails. Errors from the database come in several lines (HINT,
 * CONTEXT, the data sent) of which the first and the hint ("Check free disk space.") are what
 * the user needs: one line. libpqxx 6.4 reports a connection that broke during a statement
 * (server stopped or crashed, session terminated) as "Could not obtain client encoding: not
 * connected.", which says neither what happened nor what to do. midilib's own messages are
 * printed as written (some end with the tail of a log).
 */
std::string error_line(std::exception const &e)
{
    std::string_view const what = e.what();
    if (dynamic_cast<pqxx::failure const *>(&e) == nullptr) {
        return std::string{what};
    }
    if (dynamic_cast<pqxx::broken_connection const *>(&e) != nullptr &&
        what.starts_with("Could not obtain client encoding")) {
        return "the connection to the database server was lost (the server stopped or crashed, or ended this "
               "session); work committed before is kept: run the same command again to resume";
    }
    std::string line{what.substr(0, what.find('\n'))};
    if (auto const hint = what.find("\nHINT:"); hint != std::string_view::npos) {
        auto const text = what.substr(hint + 6);
        auto const start = std::min(text.find_first_not_of(' '), text.size());
        line += fmt::format(" ({})", text.substr(start, text.find('\n') - start));
    }
    return line;
}

} // namespace

/**
 * glibc malloc settings for a long import whose threads free what other threads allocated (a file
 * read on one thread, its rows written by another). By default glibc keeps up to 8 arenas a core
 * and raises its mmap threshold after the first large free, so freed file buffers stay in the
 * arenas as fragments and peak RSS creeps up with the number of files. Measured on generated
 * libraries (peak RSS of `midilib import`, 10,000 / 125,000 files): default 44.7 / 56.4 MB,
 * with these three 35.7 / 41.8 MB, at the same speed.
 */
static void tune_malloc()
{
    constexpr int ARENAS = 2;
    constexpr int MMAP_THRESHOLD = 64 * 1024; // fixed: buffers above it are their own mapping
    constexpr int TRIM_THRESHOLD = 64 * 1024; // free memory at the top of the heap goes back
    mallopt(M_ARENA_MAX, ARENAS);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

int main(int argc, char **argv)
{
    tune_malloc();
    CLI::App app{"midilib: imports folders of MIDI files into PostgreSQL, analyzed and searchable"};
    app.require_subcommand(1);
    app.fallthrough(); // global options work before or after the subcommand: `midilib import --db ...`
    global_options g;
    app.add_option("--db", g.db, "PostgreSQL conninfo or URI (else MIDILIB_DB, DATABASE_URL, PG* variables, "
                                 "else the embedded database)");
    app.add_option("--data-dir", g.data_dir, "folder of the embedded database");
    app.add_flag("-v,--verbose", g.verbose, "more log output (-v debug, -vv trace)");
    app.add_flag("-q,--quiet", g.quiet, "only errors");
    app.add_option("--log-file", g.log_file, "also write the log (debug level) to this file");
    app.add_flag("--log-sql", g.log_sql, "log every SQL statement (with -v or --log-file)");

    import_options import_opts;
    bool json = false;
    bool no_progress = false;
    auto *import = app.add_subcommand("import", "import folders and files of MIDI into the library");
    import->add_option("paths", import_opts.paths, "folders and files")->required();
    import->add_flag("--json", json, "print one JSON object at the end (for scripts)");
    import->add_flag("--no-progress", no_progress, "no progress line");
    import->add_flag("!--no-analyze", import_opts.analyze, "skip the musical analysis (key, tempo, chords, drums)");
    std::uint64_t max_member_mb = import_opts.archives.max_member_bytes >> 20U;
    import->add_option("--max-member-mb", max_member_mb,
                       "archive members larger than this are refused with an error row (zip bombs)")
        ->capture_default_str();
    import->add_option("--connections", import_opts.connections, "database connections = concurrent writers")
        ->check(CLI::Range(1, 64));

    search_cli so;
    auto *search = app.add_subcommand("search", "find files: words of names, tracks, instruments and texts, and facets");
    search->add_option("query", so.text, "words, \"a phrase\", -exclude, or; the last word also matches as a prefix");
    search->add_option("--bpm", so.bpm, "tempo or range, e.g. 120-130");
    search->add_option("--key", so.key, "key, e.g. \"A minor\", F#, Bbm");
    search->add_option("--ts", so.ts, "time signature, e.g. 3/4");
    search->add_option("--duration", so.duration, "length in seconds or range, e.g. 30-120");
    search->add_option("--tracks", so.tracks, "track count or range");
    search->add_option("--instrument", so.instrument, "GM instrument or family word, e.g. piano, strings");
    search->add_option("--folder", so.folder, "only files under this folder (or archive)");
    search->add_flag("--drums", so.drums, "only files with drums");
    search->add_flag("--no-drums", so.no_drums, "only files without drums");
    search->add_option("--limit", so.limit, "results per page")->capture_default_str()->check(CLI::Range(1, 10000));
    search->add_option("--after", so.after, "continue after this cursor (from the previous page)");
    search->add_flag("--json", so.json, "JSON lines (the default when the output is not a terminal)");

    worker_options worker_opts;
    bool worker_json = false;
    int lease_seconds = 60;
    int retry_base_ms = 2000;
    auto *worker = app.add_subcommand("worker", "analyze files from the queue (run many, on many machines)");
    worker->add_option("--jobs", worker_opts.jobs, "files analyzed at once (default: one per core)");
    worker->add_option("--batch", worker_opts.batch, "jobs claimed and acknowledged together")
        ->capture_default_str()->check(CLI::Range(1, 100000));
    worker->add_flag("--once", worker_opts.once, "exit when no job is queued or running");
    worker->add_option("--lease-seconds", lease_seconds, "a claimed job returns to the queue after this if its worker stops renewing it")
        ->capture_default_str()->check(CLI::Range(1, 86400));
    worker->add_option("--max-attempts", worker_opts.queue.max_attempts, "after this many failures a job is dead")
        ->capture_default_str()->check(CLI::Range(1, 1000));
    worker->add_option("--retry-base-ms", retry_base_ms, "backoff before a retry: this, doubled per attempt")
        ->capture_default_str()->check(CLI::Range(0, 3600000));
    worker->add_flag("--json", worker_json, "one JSON object at the end");

    bool requeue = false;
    int older_than = ANALYZER_VERSION;
    bool requeue_all = false;
    auto *analyze_cmd = app.add_subcommand("analyze", "queue files for analysis by the workers");
    analyze_cmd->add_flag("--requeue", requeue, "queue the files whose analysis is missing or outdated")->required();
    analyze_cmd->add_option("--older-than-version", older_than, "analyzer version below which to redo")
        ->capture_default_str();
    analyze_cmd->add_flag("--all", requeue_all, "redo every file");

    bool status_json = false;
    auto *status = app.add_subcommand("status", "the library and the analysis queue");
    status->add_flag("--json", status_json, "one JSON object");

    std::string show_id; // parsed by cmd_show: "abc" and ids beyond a bigint get one clear line
    bool show_json = false;
    auto *show = app.add_subcommand("show", "everything stored about one file (ID from search)");
    show->add_option("id", show_id, "the file's id")->required();
    show->add_flag("--json", show_json, "one JSON object");

    std::string action;
    auto *db = app.add_subcommand("db", "manage the embedded database");
    db->add_option("action", action, "start | stop | status | url")
        ->required()
        ->check(CLI::IsMember({"start", "stop", "status", "url"}));

    auto *migrate = app.add_subcommand("migrate", "schema migrations: status, up (default), verify, print");
    std::string migrate_action = "up";
    migrate->add_option("action", migrate_action, "status | up | verify | print")
        ->check(CLI::IsMember({"status", "up", "verify", "print"}));

    CLI11_PARSE(app, argc, argv);
    try {
        setup_logging(g);
        if (app.got_subcommand(import)) {
            import_opts.archives.max_member_bytes = max_member_mb << 20U;
            return cmd_import(g, import_opts, json, no_progress);
        }
        if (app.got_subcommand(search)) {
            return cmd_search(g, so);
        }
        if (app.got_subcommand(worker)) {
            worker_opts.queue.lease = std::chrono::seconds{lease_seconds};
            worker_opts.queue.retry_base = std::chrono::milliseconds{retry_base_ms};
            return cmd_worker(g, worker_opts, worker_json);
        }
        if (app.got_subcommand(analyze_cmd)) {
            return cmd_requeue(g, older_than, requeue_all);
        }
        if (app.got_subcommand(status)) {
            return cmd_status(g, status_json);
        }
        if (app.got_subcommand(show)) {
            return cmd_show(g, show_id, show_json);
        }
        if (app.got_subcommand(db)) {
            return cmd_db(g, action);
        }
        if (app.got_subcommand(migrate)) {
            return cmd_migrate(g, migrate_action);
        }
    } catch (std::exception const &e) {
        auto const line = error_line(e);
        spdlog::error("{}", line);
        if (line != e.what()) {
            spdlog::debug("the full error: {}", e.what());
        }
        return 1;
    }
    return 0;
}
