// Hostile input to the CLI, the search and the connection pool: SQL metacharacters in the query
// and in every option, NUL bytes, long and invalid UTF-8 queries, strange file names, paths that
// are not files, more requests than connections. Every case is answered (a result, or a clear
// one-line error), nothing runs SQL it was not meant to, nothing hangs, and the library and the
// user's files are unchanged. docs/hostile-input.md lists the cases and the answers.

#include "db/connection_pool.hpp"
#include "db/library_search.hpp"
#include "pipeline/stages.hpp"
#include "smf/text.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string read_bytes(fs::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Name -> bytes (or "<fifo>", "<symlink>") of everything below @p dir, symlinks not followed.
std::map<std::string, std::string> snapshot(fs::path const &dir)
{
    std::map<std::string, std::string> files;
    for (auto const &e : fs::recursive_directory_iterator{dir}) {
        auto const st = e.symlink_status();
        files[e.path().string()] = fs::is_symlink(st)        ? "<symlink " + fs::read_symlink(e.path()).string() + ">"
                                   : fs::is_fifo(st)         ? std::string{"<fifo>"}
                                   : fs::is_regular_file(st) ? read_bytes(e.path())
                                                             : std::string{"<other>"};
    }
    return files;
}

bool valid_utf8(std::string const &s)
{
    return s.find('\0') == std::string::npos &&
           is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

std::string describe(std::vector<std::string> const &args)
{
    std::string d;
    for (auto const &a : args) {
        d += (d.empty() ? "" : " ") + ("[" + a.substr(0, 60) + (a.size() > 60 ? "…" : "") + "]");
    }
    return d;
}

/// midilib's own errors: exit @p code and one line "error: ..." naming @p topic.
void expect_error_line(finished const &a, int code, std::string const &topic, std::string const &context)
{
    EXPECT_EQ(a.code, code) << context << "\nstderr: " << a.err;
    EXPECT_TRUE(a.err.starts_with("error: ")) << context << "\nstderr: " << a.err;
    EXPECT_EQ(std::count(a.err.begin(), a.err.end(), '\n'), 1) << context << "\nstderr: " << a.err;
    EXPECT_NE(a.err.find(topic), std::string::npos) << context << "\nstderr: " << a.err;
    EXPECT_EQ(a.err.find("ERROR:"), std::string::npos) << "a server error leaked: " << context << "\n" << a.err;
    EXPECT_TRUE(a.out.empty()) << context << "\nstdout: " << a.out;
}

/// A command that failed: exit 1 and one line naming @p topic.
void expect_clear_error(finished const &a, std::string const &topic, std::string const &context)
{
    expect_error_line(a, 1, topic, context);
}

/// A value the command refuses (a wrong command line): exit 2 and one line naming @p topic.
void expect_usage_error(finished const &a, std::string const &topic, std::string const &context)
{
    expect_error_line(a, 2, topic, context);
}

/// A search's exit code: 0 when it found a file, 1 (and a line on stderr) when none.
void expect_search_code(finished const &a, long hits, std::string const &context)
{
    EXPECT_EQ(a.code, hits > 0 ? 0 : 1) << context << "\nstderr: " << a.err;
    EXPECT_EQ(a.err, hits > 0 ? "" : "no file matches\n") << context;
}

/// The metacharacters of SQL, of LIKE, of libpq parameters and of tsquery.
std::vector<std::string> const METACHARACTERS{"'",
                                              "''",
                                              "\\",
                                              ";",
                                              "--",
                                              "/* */",
                                              "%",
                                              "_",
                                              "$1",
                                              "$$",
                                              "E'\\\\x00'",
                                              "& | ! <-> :*",
                                              "(((",
                                              ")",
                                              "\"",
                                              "\"unclosed",
                                              "a'b",
                                              "!!!",
                                              "-",
                                              "- -x",
                                              "'; DROP TABLE midi_files; --",
                                              "1; DELETE FROM midi_files"};

class hostile_input : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        auto const source = corpus_dir() / "nottingham" / "MIDI";
        if (!fs::is_directory(source)) {
            return;
        }
        s_dir = new temp_dir;
        s_db = new temp_database;
        auto const files = s_dir->path() / "files";
        fs::create_directories(files / "deep" / std::string(100, 'd') / std::string(100, 'e') / "f");
        std::vector<std::string> const names{"bad\xFF\xFE name.mid",                  // invalid UTF-8
                                             "quote'; DROP TABLE midi_files; --.mid", // SQL in a name
                                             "new\nline\ttab\\back\"slash.mid", // control characters, backslash, quote
                                             "-leading-dash.mid",               // looks like an option
                                             "not an archive.zip!member.mid",   // the archive member separator
                                             std::string(251, 'n') + ".mid",    // 255 bytes, the longest name
                                             "deep/" + std::string(100, 'd') + "/" + std::string(100, 'e') +
                                                 "/f/nested.mid"};
        auto it = fs::directory_iterator{source};
        for (auto const &name : names) {
            while (it->path().extension() != ".mid") {
                ++it;
            }
            copy_writable(it->path(), files / name);
            ++it;
        }
        ::mkfifo((files / "fifo.mid").c_str(), 0600);        // must not block the walk
        fs::create_directory_symlink(files, files / "loop"); // a symlink loop
        s_before = snapshot(files);
        s_import_code = run(with_timeout(120, midilib_command(s_db->conninfo(), {"import", files.string()}))).first;
    }
    static void TearDownTestSuite()
    {
        delete s_db;
        delete s_dir;
        s_db = nullptr;
        s_dir = nullptr;
    }
    void SetUp() override
    {
        if (s_db == nullptr) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }

    static finished cli(std::vector<std::string> args)
    {
        return run_captured(with_timeout(60, midilib_command(s_db->conninfo(), args)));
    }

    /// The library as imported: every table still there with its rows.
    static void expect_library_intact()
    {
        EXPECT_EQ(s_db->count_rows("midi_files"), 7);
        EXPECT_EQ(s_db->count_rows("midi_file_paths"), 7);
        EXPECT_EQ(s_db->count_rows("file_search"), 7);
        EXPECT_EQ(s_db->count_rows("file_analysis"), 7);
        EXPECT_EQ(s_db->count_rows("import_errors"), 0);
        EXPECT_EQ(s_db->count_rows("archives"), 0);
    }

    static inline temp_dir *s_dir = nullptr;
    static inline temp_database *s_db = nullptr;
    static inline std::map<std::string, std::string> s_before;
    static inline int s_import_code = -1;
};

/// Hits printed by `search --json`: one JSON object a line.
long hit_lines(std::string const &out) { return std::count(out.begin(), out.end(), '\n'); }

TEST_F(hostile_input, strange_file_names_are_imported_and_the_files_left_alone)
{
    EXPECT_EQ(s_import_code, 0); // 124 would be the timeout: the FIFO or the loop blocked the walk
    expect_library_intact();     // the FIFO is not a file; the loop is not followed twice
    // Stored paths are valid UTF-8 (an invalid name is decoded as Windows-1252) and keep the rest.
    auto const paths = s_db->scalar<std::string>(
        "SELECT string_agg(path, E'\\x1f' ORDER BY path) FROM midi_file_paths");
    EXPECT_TRUE(valid_utf8(paths));
    for (auto const *part :
         {"bad\u00FF\u00FE name.mid", "quote'; DROP TABLE midi_files; --.mid", "new\nline\ttab\\back\"slash.mid",
          "/-leading-dash.mid", "zip!member.mid", "/nested.mid"}) {
        EXPECT_NE(paths.find(part), std::string::npos) << part;
    }
    EXPECT_NE(paths.find("/" + std::string(251, 'n') + ".mid"), std::string::npos);
    // Nothing written, renamed or removed; the FIFO and the link are still what they were.
    EXPECT_EQ(snapshot(s_dir->path() / "files"), s_before);
    // `show` prints a stored path whatever is in it, and search finds the files by their words.
    for (auto const &[like, words] :
         std::vector<std::pair<std::string, std::string>>{{"%DROP TABLE%", "drop table"},
                                                          {"%bad%", "bad name"},
                                                          {"%new_line%", "new line tab"},
                                                          {"%leading-dash%", "leading dash"},
                                                          {"%zip!member%", "archive member"},
                                                          {"%nested%", "nested"}}) {
        auto const id = s_db->scalar<std::string>("SELECT file_id::text FROM midi_file_paths WHERE path LIKE '" + like +
                                                  "'");
        auto const shown = cli({"show", id});
        EXPECT_EQ(shown.code, 0) << like << shown.err;
        EXPECT_TRUE(valid_utf8(shown.out)) << like;
        auto const found = cli({"search", "--json", words});
        EXPECT_EQ(found.code, 0) << words << found.err;
        EXPECT_NE(found.out.find("\"id\":" + id + ","), std::string::npos) << words << "\n" << found.out;
    }
    EXPECT_NE(cli({"show", s_db->scalar<std::string>("SELECT file_id::text FROM midi_file_paths WHERE path LIKE "
                                                     "'%DROP TABLE%'")})
                  .out.find("DROP TABLE midi_files"),
              std::string::npos);
}

TEST_F(hostile_input, search_text_is_a_value_never_sql)
{
    std::vector<std::string> queries = METACHARACTERS;
    for (auto const *q :
         {"a & b",    "!piano",       "pi:*",         "a <-> b",       "(a | b", "a:A", "'a' 'b'", "a\"b\"c\"",
          "or",       "OR OR",        "the and of a", "a an the",      "",       "   ", "\t",      "\xFF\xFE",
          "\xC0\xAF", "\xED\xA0\x80", "caf\xE9",      "&|!<->:*()[]{}"}) {
        queries.emplace_back(q);
    }
    queries.push_back(std::string(1000, 'x'));
    for (auto const &q : queries) {
        // "--" first: the text is the query even when it starts with a dash or is "--".
        auto const a = cli({"search", "--json", "--", q});
        expect_search_code(a, hit_lines(a.out), "query [" + q + "]");
        EXPECT_TRUE(valid_utf8(a.out)) << "query [" << q << "]";
        EXPECT_LT(a.seconds, 10) << "query [" << q << "]";
        if (q.find_first_not_of(" \t") == std::string::npos) {
            EXPECT_EQ(hit_lines(a.out), 7) << "blank text lists the library"; // no text: every file
        }
    }
    // SQL in the text is words like any others: these find the file named with them, and only it.
    auto const drop = cli({"search", "--json", "--", "'; DROP TABLE midi_files; --"});
    EXPECT_EQ(hit_lines(drop.out), 1) << drop.out;
    EXPECT_NE(drop.out.find("DROP TABLE midi_files"), std::string::npos) << drop.out;
    // No file has all these words; only the typo fallback offers the name like them.
    auto const del = cli({"search", "--json", "--", "1; DELETE FROM midi_files"});
    EXPECT_EQ(del.out.find("\"fuzzy\":false"), std::string::npos) << del.out;
    expect_library_intact();
}

TEST_F(hostile_input, metacharacters_in_every_option_are_values_or_clear_errors)
{
    auto const folder = (s_dir->path() / "files").string();
    for (auto const &m : METACHARACTERS) {
        // Options whose values are checked: a sentence naming the option.
        expect_usage_error(cli({"search", "--key=" + m, "x"}), "--key: expected a key", "--key " + m);
        expect_usage_error(cli({"search", "--ts=" + m, "x"}), "--ts: expected a time signature", "--ts " + m);
        expect_usage_error(cli({"search", "--bpm=" + m, "x"}), "--bpm: expected a number", "--bpm " + m);
        expect_usage_error(cli({"search", "--duration=" + m, "x"}), "--duration: expected a number", "--duration " + m);
        expect_usage_error(cli({"search", "--tracks=" + m, "x"}), "--tracks: expected", "--tracks " + m);
        expect_usage_error(cli({"search", "--after=" + m, "x"}), "--after: not a cursor", "--after " + m);
        expect_usage_error(cli({"show", "--", m}), "show: expected a file id", "show " + m);
        auto const limit = cli({"search", "--limit=" + m, "x"}); // CLI11's own check: a usage error
        EXPECT_EQ(limit.code, 2) << "--limit " << m << ": " << limit.err;
        EXPECT_TRUE(limit.err.starts_with("error: ")) << limit.err;
        EXPECT_NE(limit.err.find("--limit"), std::string::npos) << limit.err;
        // Free text: the words in it are looked for, or none is there.
        auto const instrument = cli({"search", "--json", "--instrument=" + m});
        if (instrument.code == 2) {
            expect_usage_error(instrument, "--instrument needs a word", "--instrument " + m);
        } else {
            expect_search_code(instrument, hit_lines(instrument.out), "--instrument " + m);
            EXPECT_EQ(hit_lines(instrument.out), 0) << "--instrument " << m;
        }
        // A folder is a path: no file lies under these, below the files' folder or at the root.
        for (auto const &f : {m, folder + "/" + m, "/" + m}) {
            auto const a = cli({"search", "--json", "--folder=" + f});
            expect_search_code(a, 0, "--folder " + f);
            EXPECT_EQ(hit_lines(a.out), 0) << "--folder " << f << "\n" << a.out;
        }
    }
    // The options still find what they should.
    EXPECT_EQ(hit_lines(cli({"search", "--json", "--folder=" + folder}).out), 7);
    EXPECT_EQ(hit_lines(cli({"search", "--json", "--folder=" + folder + "/deep"}).out), 1);
    EXPECT_EQ(hit_lines(cli({"search", "--json", "--bpm=0-inf"}).out), 7);
    EXPECT_EQ(hit_lines(cli({"search", "--json", "--bpm=0-1e300"}).out), 7); // beyond a real: no upper end
    EXPECT_EQ(hit_lines(cli({"search", "--json", "--bpm=1e300"}).out), 0);
    expect_library_intact();
}

TEST_F(hostile_input, bad_numbers_ids_and_cursors_are_clear_errors)
{
    struct bad
    {
        std::vector<std::string> args;
        std::string topic;
    };
    std::vector<bad> const cases{
        {{"search", "--bpm=1-2; DROP TABLE midi_files", "x"}, "--bpm: expected a number"},
        {{"search", "--bpm=nan-inf", "x"}, "--bpm: expected a number"},
        {{"search", "--bpm=-5-3", "x"}, "--bpm: expected a number"}, // no negative tempo
        {{"search", "--bpm=200-100", "x"}, "--bpm: expected a number"},
        {{"search", "--bpm=1e999", "x"}, "--bpm: expected a number"},
        {{"search", "--bpm=120-", "x"}, "--bpm: expected a number"},
        {{"search", "--duration=-1", "x"}, "--duration: expected a number"},
        {{"search", "--tracks=1e300", "x"}, "--tracks: expected a range"},
        {{"search", "--tracks=-3", "x"}, "--tracks: expected"},
        {{"search", "--key=H minor'; --", "x"}, "--key: expected a key"},
        {{"search", "--key=A minor; DROP TABLE midi_files", "x"}, "--key: expected a key"},
        {{"search", "--ts=3/4'--", "x"}, "--ts: expected a time signature"},
        {{"search", "--ts=3/4; DROP TABLE midi_files", "x"}, "--ts: expected a time signature"},
        {{"search", "--ts=1234/4", "x"}, "--ts: expected a time signature"},
        {{"search", "--instrument=';--", "x"}, "--instrument needs a word"},
        {{"search", "--after=i::1junk"}, "--after: not a cursor"},
        {{"search", "--after=i::99999999999999999999"}, "--after: not a cursor"},
        {{"search", "--after=r:1e300:1", "x"}, "--after: not a cursor"}, // was: ERROR: out of range for type real
        {{"search", "--after=r:nan:1", "x"}, "--after: not a cursor"},
        {{"search", "--after=r:0x1p3:1", "x"}, "--after: not a cursor"},
        {{"search", "--after=r: 1:1", "x"}, "--after: not a cursor"},
        {{"search", "--after=v:1e300:1", "--bpm=1-400"}, "--after: not a cursor"},
        {{"search", "--after=v:1.5:1", "--tracks=1-4"}, "--after: this cursor belongs to another search"},
        {{"search", "--after=i::1", "x"}, "--after: this cursor belongs to a search without text"},
        {{"search", "--after=r:0.5:1"}, "--after: this cursor belongs to another search"},
        {{"show", "abc"}, "show: expected a file id"},
        {{"show", "1; DROP TABLE midi_files"}, "show: expected a file id"},
        {{"show", "99999999999999999999"}, "show: expected a file id"}, // was: taken as 9223372036854775807
        {{"show", " 5"}, "show: expected a file id"},
        {{"show", ""}, "show: expected a file id"},
        {{"show", "0"}, "no file with id 0 in the library"},
        {{"show", "-1"}, "no file with id -1 in the library"},
        {{"show", "9223372036854775807"}, "no file with id 9223372036854775807 in the library"},
    };
    for (auto const &c : cases) {
        if (c.topic.starts_with("no file with id")) {
            expect_clear_error(cli(c.args), c.topic, describe(c.args));
        } else {
            expect_usage_error(cli(c.args), c.topic, describe(c.args));
        }
    }
    // --limit is checked by CLI11 (a usage error naming the option and the range).
    for (auto const *limit : {"0", "-1", "10001", "99999999999", "ten", "1e3", ""}) {
        auto const a = cli({"search", std::string{"--limit="} + limit, "x"});
        EXPECT_EQ(a.code, 2) << "--limit " << limit << ": " << a.err;
        EXPECT_TRUE(a.err.starts_with("error: ")) << a.err;
        EXPECT_NE(a.err.find("--limit"), std::string::npos) << a.err;
    }
    // Empty facet values are no filter (scripts pass "$VAR"): the whole library. Written
    // "--key=", CLI11 asks for the value (a usage error, "--key: 1 required TEXT missing").
    for (auto const *option :
         {"--key", "--ts", "--instrument", "--folder", "--bpm", "--duration", "--tracks", "--after"}) {
        auto const a = cli({"search", "--json", option, ""});
        EXPECT_EQ(a.code, 0) << option << a.err;
        EXPECT_EQ(hit_lines(a.out), 7) << option;
        auto const b = cli({"search", "--json", std::string{option} + "="});
        EXPECT_EQ(b.code, 2) << option << b.err;
        EXPECT_NE(b.err.find(std::string{option} + ": 1 required"), std::string::npos) << b.err;
    }
    expect_library_intact();
}

TEST_F(hostile_input, long_queries_are_answered_quickly_or_refused_clearly)
{
    // Up to the cap, even the costliest shape (words joined by "or") answers at once.
    std::string ors;
    while (ors.size() < 990) {
        ors += "piano or drums or jig or reel or ";
    }
    ors += "x";
    ASSERT_LE(ors.size(), 1000U);
    for (auto const &q : {ors, std::string(1000, 'x'), std::string(1000, '&'), std::string(999, ' ') + "x"}) {
        auto const a = cli({"search", "--json", "--", q});
        expect_search_code(a, hit_lines(a.out), q.substr(0, 40));
        EXPECT_LT(a.seconds, 10);
    }
    // Past it: one sentence, before any SQL.
    for (std::size_t const n : {1001UL, 100UL * 1024}) {
        auto const a = cli({"search", std::string(n, 'y')});
        expect_usage_error(a, fmt::format("the query is {} bytes long; midilib search takes up to 1000", n),
                           std::to_string(n) + " bytes");
        EXPECT_LT(a.seconds, 10);
    }
    // Facets are capped too: each instrument word is a parameter, 65,535 is libpq's limit.
    std::string words;
    while (words.size() < 120 * 1024) {
        words += "a ";
    }
    expect_usage_error(cli({"search", "--instrument", words}), "--instrument is 122880 bytes long", "instrument");
    expect_usage_error(cli({"search", "--folder", "/" + std::string(5000, 'f')}), "--folder is 5001 bytes long",
                       "folder");
    // A megabyte cannot reach the CLI: Linux refuses one argument over 128 KiB (MAX_ARG_STRLEN)
    // at exec, before midilib runs. The library refuses it: see api_text_with_nul_invalid_utf8_or_a_megabyte.
    EXPECT_THROW((void)cli({"search", std::string(1 << 20, 'z')}), std::system_error);
    expect_library_intact();
}

TEST_F(hostile_input, api_text_with_nul_invalid_utf8_or_a_megabyte)
{
    // NUL bytes are dropped (libpq would cut the parameter at the first one), not a shorter query.
    search_request r;
    r.text = std::string{"pi\0ano", 6};
    r.instrument = std::string{"str\0ings", 8};
    r.time_signature = std::string{"3/4\0; --", 8};
    r.folder = std::string{"/music\0/x", 9};
    auto const [sql, params] = search_statement(r);
    bool piano = false;
    bool whole_ts = false;
    for (auto const &p : params) {
        EXPECT_TRUE(valid_utf8(p)) << p;
        piano = piano || p.find("piano") != std::string::npos;
        whole_ts = whole_ts || p == "3/4; --";
    }
    EXPECT_TRUE(piano);
    EXPECT_TRUE(whole_ts); // the text after the NUL is kept, not cut
    EXPECT_EQ(sql.find("piano"), std::string::npos);
    search_request cursor_nul;
    cursor_nul.after = std::string{"i::1\0junk", 9};
    EXPECT_THROW((void)search_statement(cursor_nul), std::invalid_argument); // not "i::1"
    // Invalid UTF-8 anywhere: decoded, never sent as is, and the server answers.
    search_request bad;
    bad.text = "\xFF\xFE\xC0\xAF \xED\xA0\x80";
    bad.time_signature = "3/4\xFF";
    bad.instrument = "pi\xE9no";
    bad.folder = "/music/\xE9t\xE9";
    for (auto const &p : search_statement(bad).second) {
        EXPECT_TRUE(valid_utf8(p)) << p;
    }
    pqxx::connection cx{s_db->conninfo()};
    EXPECT_NO_THROW((void)search_library(cx, bad));
    search_request latin;
    latin.text = "caf\xE9";
    EXPECT_NO_THROW((void)search_library(cx, latin));
    // A megabyte of text, or of a facet: refused with a sentence, before any SQL, at once.
    auto const start = steady_clock::now();
    search_request huge;
    huge.text = std::string(1 << 20, 'a');
    try {
        (void)search_library(cx, huge);
        ADD_FAILURE() << "a 1 MB query was accepted";
    } catch (std::invalid_argument const &e) {
        EXPECT_STREQ(e.what(), "the query is 1048576 bytes long; midilib search takes up to 1000");
    }
    search_request latin_long; // the cap counts the UTF-8 sent: each Latin-1 byte becomes two
    latin_long.text = std::string(600, '\xE9');
    try {
        (void)search_library(cx, latin_long);
        ADD_FAILURE() << "1,200 bytes of text were accepted";
    } catch (std::invalid_argument const &e) {
        EXPECT_STREQ(e.what(), "the query is 1200 bytes long; midilib search takes up to 1000");
    }
    search_request huge_words;
    huge_words.instrument = std::string(1 << 20, ' ');
    for (std::size_t i = 0; i < huge_words.instrument->size(); i += 2) {
        (*huge_words.instrument)[i] = 'a';
    }
    EXPECT_THROW((void)search_library(cx, huge_words), std::invalid_argument);
    EXPECT_LT(steady_clock::now() - start, seconds{1});
    // Ranges: NaN refused; beyond a real (the server would say "out of range") an open end.
    search_request nan;
    nan.bpm = std::pair{std::nan(""), 120.0};
    EXPECT_THROW((void)search_statement(nan), std::invalid_argument);
    search_request wide;
    wide.bpm = std::pair{-1e300, 1e300};
    wide.duration = std::pair{1e-300, 1e300};
    EXPECT_EQ(search_library(cx, wide).hits.size(), 7U);
    search_request limit;
    limit.limit = 0;
    EXPECT_THROW((void)search_statement(limit), std::invalid_argument);
    limit.limit = 1'000'000;
    EXPECT_THROW((void)search_statement(limit), std::invalid_argument);
    expect_library_intact();
}

/// What to put before a command to run it as user nobody when the tests run as root (nothing
/// otherwise), so that permissions count; no value when they cannot: root, and nobody cannot
/// reach the database.
std::optional<std::vector<std::string>> unprivileged(std::string const &conninfo)
{
    if (::geteuid() != 0) {
        return std::vector<std::string>{};
    }
    std::vector<std::string> const drop{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    auto probe = drop;
    auto const status = with_timeout(30, midilib_command(conninfo, {"status"}));
    probe.insert(probe.end(), status.begin(), status.end());
    try {
        if (run_captured(probe).code == 0) {
            return drop;
        }
    } catch (std::system_error const &) {
    }
    return std::nullopt;
}

TEST(hostile_import, paths_that_are_not_files_neither_hang_nor_stop_the_import)
{
    auto const source = corpus_dir() / "nottingham" / "MIDI";
    if (!fs::is_directory(source)) {
        GTEST_SKIP() << "../shared/corpus not found";
    }
    temp_database db;
    temp_dir dir;
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec); // the user below can enter
    auto const root = dir.path() / "import";
    fs::create_directories(root / "locked");
    auto it = fs::directory_iterator{source};
    auto next_midi = [&] {
        while (it->path().extension() != ".mid") {
            ++it;
        }
        auto const p = it->path();
        ++it;
        return p;
    };
    copy_writable(next_midi(), root / "good.mid");
    copy_writable(next_midi(), root / "locked" / "hidden.mid");
    copy_writable(next_midi(), root / "unreadable.mid");
    ::mkfifo((dir.path() / "fifo.mid").c_str(), 0644);
    fs::create_symlink(dir.path() / "fifo.mid", root / "to-fifo.mid"); // a link to a FIFO, named like MIDI
    fs::create_symlink(dir.path() / "fifo.mid", root / "to-fifo.zip"); // ... and like an archive
    fs::create_symlink("/dev/zero", root / "zero.mid");                // a device that never ends
    fs::create_symlink(root / "loop-b.mid", root / "loop-a.mid");      // a symlink loop
    fs::create_symlink(root / "loop-a.mid", root / "loop-b.mid");
    auto const before = snapshot(root);
    fs::permissions(root / "locked", fs::perms::none);
    fs::permissions(root / "unreadable.mid", fs::perms::none);
    auto const user = unprivileged(db.conninfo());
    bool const permissions_count = user.has_value();
    if (!permissions_count) {
        std::cout << "[ NOTE     ] root, and user nobody cannot reach the database: permissions not checked\n";
    }
    auto const import = [&](std::vector<std::string> const &paths) {
        auto args = user.value_or(std::vector<std::string>{});
        std::vector<std::string> command{"import"};
        command.insert(command.end(), paths.begin(), paths.end());
        auto const timed = with_timeout(60, midilib_command(db.conninfo(), command));
        args.insert(args.end(), timed.begin(), timed.end());
        return run_captured(args);
    };
    auto const errors_for = [&](std::string const &path) {
        return db.scalar<std::string>("SELECT coalesce(string_agg(stage || ': ' || reason, '; '), '') FROM "
                                      "import_errors WHERE path = " +
                                      pqxx::connection{db.conninfo()}.quote(path));
    };

    // Arguments that name nothing importable: one sentence, exit 1, nothing written.
    expect_clear_error(import({(dir.path() / "missing").string()}), "missing: no such file or folder", "missing");
    expect_clear_error(import({""}), "an empty path was given", "empty path");
    expect_clear_error(import({(root / "loop-a.mid").string()}), "loop-a.mid: Too many levels of symbolic links",
                       "symlink loop");
    if (permissions_count) {
        expect_clear_error(import({(root / "locked" / "hidden.mid").string()}), "hidden.mid: Permission denied",
                           "below a folder without permission");
    }
    EXPECT_EQ(db.count_rows("midi_files"), 0);
    EXPECT_EQ(db.count_rows("import_errors"), 0);

    // Things that are not files, named one by one: each an error row, not a wait.
    for (auto const &[path, reason] : std::vector<std::pair<std::string, std::string>>{
             {(dir.path() / "fifo.mid").string(), "not a regular file"},
             {"/dev/zero", "not a regular file"},
             {"/dev/null", "not a regular file"},
             {(root / "unreadable.mid").string(), permissions_count ? "Permission denied" : ""}}) {
        auto const a = import({path});
        EXPECT_EQ(a.code, 0) << path << ": " << a.err; // 124: it hung
        EXPECT_LT(a.seconds, 30) << path;
        EXPECT_NE(errors_for(path).find(reason), std::string::npos) << path << ": " << errors_for(path);
    }
    // The folder: the readable file is imported; the rest are error rows; nothing hangs.
    auto const a = import({root.string()});
    EXPECT_EQ(a.code, 0) << a.err;
    EXPECT_LT(a.seconds, 30);
    EXPECT_EQ(db.count_rows("midi_file_paths", "path LIKE '%/good.mid'"), 1);
    // Links to a FIFO or a device inside a folder are not files: skipped, like the FIFO itself.
    for (auto const *skipped : {"to-fifo.mid", "to-fifo.zip", "zero.mid"}) {
        EXPECT_EQ(db.count_rows("midi_file_paths", "path LIKE '%/" + std::string{skipped} + "'"), 0) << skipped;
        EXPECT_EQ(db.count_rows("import_errors", "path LIKE '%/" + std::string{skipped} + "'"), 0) << skipped;
    }
    EXPECT_NE(errors_for((root / "loop-a.mid").string()).find("Too many levels of symbolic links"), std::string::npos);
    if (permissions_count) {
        EXPECT_EQ(db.count_rows("midi_files"), 1);
        EXPECT_NE(errors_for((root / "locked").string()).find("cannot open folder: Permission denied"),
                  std::string::npos);
        EXPECT_NE(errors_for((root / "unreadable.mid").string()).find("Permission denied"), std::string::npos);
    }

    // The user's files, links and FIFOs: all still there, unchanged.
    fs::permissions(root / "locked", fs::perms::owner_all);
    fs::permissions(root / "unreadable.mid", fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(snapshot(root), before);
    EXPECT_TRUE(fs::is_fifo(dir.path() / "fifo.mid"));
}

TEST(hostile_import, reading_a_fifo_in_place_of_a_file_does_not_block)
{
    // The walk skips FIFOs, but one may take a file's place before it is read (or before a
    // worker reopens it): the read must not wait for a writer.
    temp_dir dir;
    auto const fifo = (dir.path() / "was-a-file.mid").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto reading = std::async(std::launch::async, [&] {
        std::vector<std::uint8_t> bytes;
        std::string error;
        bool const ok = read_file(fifo, bytes, error);
        return std::pair{ok, error};
    });
    if (reading.wait_for(seconds{10}) != std::future_status::ready) {
        ADD_FAILURE() << "read_file blocked on a FIFO";
        int const unblock = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK); // lets the open return
        reading.wait();
        ::close(unblock);
    }
    auto const [ok, error] = reading.get();
    EXPECT_FALSE(ok);
    EXPECT_EQ(error, "not a regular file");
}

// ---- the connection pool ---------------------------------------------------------------------

TEST(connection_pool_limits, an_extra_acquire_times_out_with_a_clear_message)
{
    temp_database db;
    connection_pool pool{db.conninfo(), 2, "test"};
    auto a = pool.acquire();
    auto b = pool.acquire();
    for (auto const timeout : {milliseconds{0}, milliseconds{300}}) {
        auto const start = steady_clock::now();
        try {
            (void)pool.acquire(timeout);
            ADD_FAILURE() << "a third lease from a pool of 2";
        } catch (std::runtime_error const &e) {
            std::string const what = e.what();
            EXPECT_EQ(what, fmt::format("no database connection became free within {:g} s (pool of 2); raise "
                                        "--connections or check for stuck statements in pg_stat_activity",
                                        static_cast<double>(timeout.count()) / 1000.0));
        }
        auto const waited = steady_clock::now() - start;
        EXPECT_GE(waited, timeout);
        EXPECT_LT(waited, timeout + milliseconds{1000}); // about the timeout, not much longer
    }
    // The two leases still work, and the pool still hands out connections afterwards.
    pqxx::nontransaction tx{*a};
    EXPECT_EQ(tx.exec1("SELECT 1")[0].as<int>(), 1);
}

TEST(connection_pool_limits, a_waiting_acquire_gets_the_connection_as_soon_as_one_is_released)
{
    temp_database db;
    connection_pool pool{db.conninfo(), 2, "test"};
    std::optional<connection_pool::lease> a{pool.acquire()};
    auto b = pool.acquire();
    std::atomic<bool> got{false};
    std::atomic<std::int64_t> got_at{0};
    std::thread waiter{[&] {
        auto c = pool.acquire(seconds{30});
        got_at = steady_clock::now().time_since_epoch().count();
        got = true;
        pqxx::nontransaction tx{*c};
        (void)tx.exec1("SELECT 1");
    }};
    std::this_thread::sleep_for(milliseconds{200});
    EXPECT_FALSE(got) << "a lease was handed out while both were held";
    auto const released = steady_clock::now();
    a.reset();
    waiter.join();
    ASSERT_TRUE(got);
    auto const latency = steady_clock::time_point{steady_clock::duration{got_at.load()}} - released;
    EXPECT_LT(latency, milliseconds{200}) << "the waiter was not woken by the release";
}

TEST(connection_pool_limits, many_threads_through_two_connections_finish_without_deadlock)
{
    temp_database db;
    connection_pool pool{db.conninfo(), 2, "test"};
    constexpr int THREADS = 16;
    constexpr int ROUNDS = 50;
    std::atomic<int> answered{0};
    std::atomic<int> finished{0};
    std::atomic<int> timeouts{0};
    std::vector<std::thread> threads;
    auto const start = steady_clock::now();
    for (int t = 0; t < THREADS; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < ROUNDS; ++i) {
                try {
                    auto cx = pool.acquire(seconds{30});
                    pqxx::nontransaction tx{*cx};
                    answered += tx.exec1("SELECT 1")[0].as<int>();
                } catch (std::runtime_error const &) {
                    ++timeouts;
                }
            }
            ++finished;
        });
    }
    // A deadlock would hang join() forever: fail (and stop) after a bound instead.
    if (!wait_until([&] { return finished == THREADS; }, seconds{60})) {
        ADD_FAILURE() << "deadlock: " << finished << " of " << THREADS << " threads finished in 60 s";
        std::fflush(nullptr);
        std::abort();
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(answered, THREADS * ROUNDS);
    EXPECT_EQ(timeouts, 0);
    EXPECT_LT(steady_clock::now() - start, seconds{30});
    // Both connections were used, and no more were opened than the pool holds.
    EXPECT_EQ(db.scalar<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'midilib.test/C%' "
                              "AND datname = current_database()"),
              2);
}

TEST(connection_pool_limits, a_failed_open_gives_the_slot_back)
{
    temp_database db;
    connection_pool pool{"dbname=" + db.name() + "_does_not_exist", 1, "test"};
    // Each attempt reports the server's answer; the slot is free again for the next one (else the
    // second would wait for the timeout and report an exhausted pool instead).
    for (int i = 0; i < 2; ++i) {
        try {
            (void)pool.acquire(milliseconds{500});
            ADD_FAILURE() << "connected to a database that does not exist";
        } catch (pqxx::broken_connection const &e) {
            EXPECT_NE(std::string{e.what()}.find("does not exist"), std::string::npos) << e.what();
        }
    }
}

} // namespace
} // namespace midilib::testing
