// Hostile input to the CLI, the search and the connection pool: SQL metacharacters, NUL bytes,
// huge and invalid UTF-8 queries, strange file names, files that are not files, more requests
// than connections. Every case is answered (a result or a clear error), nothing runs SQL it was
// not meant to, and the library and the user's files are unchanged. docs/hostile-input.md lists
// the cases and the answers.

#include "db/connection_pool.hpp"
#include "db/library_search.hpp"
#include "smf/text.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(fs::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Name -> bytes of every regular file below @p dir.
std::map<std::string, std::string> snapshot(fs::path const &dir)
{
    std::map<std::string, std::string> files;
    for (auto const &e : fs::recursive_directory_iterator{dir}) {
        if (e.is_regular_file()) {
            files[e.path().string()] = read_bytes(e.path());
        }
    }
    return files;
}

bool valid_utf8(std::string const &s)
{
    return s.find('\0') == std::string::npos &&
           is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

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
        std::vector<std::string> const names{
            "bad\xFF\xFE name.mid",                       // invalid UTF-8
            "quote'; DROP TABLE midi_files; --.mid",      // SQL in a name
            "new\nline\ttab\\back\"slash.mid",            // control characters, backslash, quote
            "-leading-dash.mid",                          // looks like an option
            "not an archive.zip!member.mid",              // the archive member separator
            std::string(251, 'n') + ".mid",               // 255 bytes, the longest name
            "deep/" + std::string(100, 'd') + "/" + std::string(100, 'e') + "/f/nested.mid"};
        auto it = fs::directory_iterator{source};
        for (auto const &name : names) {
            while (it->path().extension() != ".mid") {
                ++it;
            }
            fs::copy_file(it->path(), files / name);
            ++it;
        }
        ::mkfifo((files / "fifo.mid").c_str(), 0600);         // must not block the walk
        fs::create_directory_symlink(files, files / "loop");  // a symlink loop
        s_before = snapshot(files);
        s_import_code = run({"timeout", "120", midilib_binary().string(), "-q", "--db", s_db->conninfo(), "import",
                             files.string()})
                            .first;
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

    static std::pair<int, std::string> cli(std::vector<std::string> args)
    {
        args.insert(args.begin(), {"timeout", "60", midilib_binary().string(), "-q", "--db", s_db->conninfo()});
        return run(args);
    }

    /// The library as imported: every table still there with its rows.
    static void expect_library_intact()
    {
        EXPECT_EQ(s_db->count_rows("midi_files"), 7);
        EXPECT_EQ(s_db->count_rows("midi_file_paths"), 7);
        EXPECT_EQ(s_db->count_rows("file_search"), 7);
        EXPECT_EQ(s_db->count_rows("import_errors"), 0);
    }

    static inline temp_dir *s_dir = nullptr;
    static inline temp_database *s_db = nullptr;
    static inline std::map<std::string, std::string> s_before;
    static inline int s_import_code = -1;
};

TEST_F(hostile_input, strange_file_names_are_imported_and_the_files_left_alone)
{
    EXPECT_EQ(s_import_code, 0); // 124 would be the timeout: the FIFO or the loop blocked the walk
    expect_library_intact();     // the FIFO is not a file; the loop is not followed twice
    // Stored paths are valid UTF-8 (an invalid name is decoded as Windows-1252) and keep the rest.
    auto const paths = s_db->scalar<std::string>("SELECT string_agg(path, E'\\x1f' ORDER BY path) FROM midi_file_paths");
    EXPECT_TRUE(is_valid_utf8({reinterpret_cast<std::uint8_t const *>(paths.data()), paths.size()}));
    for (auto const *part : {"bad\u00FF\u00FE name.mid", "quote'; DROP TABLE midi_files; --.mid",
                             "new\nline\ttab\\back\"slash.mid", "/-leading-dash.mid", "zip!member.mid", "/nested.mid"}) {
        EXPECT_NE(paths.find(part), std::string::npos) << part;
    }
    // Nothing written, renamed or removed.
    EXPECT_EQ(snapshot(s_dir->path() / "files"), s_before);
    // `show` prints a stored path whatever is in it.
    auto const id = s_db->scalar<std::string>(
        "SELECT file_id::text FROM midi_file_paths WHERE path LIKE '%DROP TABLE%'");
    auto const [code, out] = cli({"show", id});
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("DROP TABLE midi_files"), std::string::npos) << out;
}

TEST_F(hostile_input, search_text_is_a_value_never_sql)
{
    std::vector<std::string> const queries{
        "'", "''", "\\", ";", "--", "/* */", "%", "_", "$1", "$$", "E'\\\\x00'", "& | ! <-> :*", "(((", ")",
        "\"unbalanced", "a\"b\"c\"", "!!!", "-", "- -x", "or", "OR OR", "", "   ", "\xFF\xFE", "\xC0\xAF",
        "\xED\xA0\x80", "caf\xE9", std::string(4000, 'x'), "'; DROP TABLE midi_files; --"};
    for (auto const &q : queries) {
        auto const [code, out] = cli({"search", "--json", q});
        EXPECT_EQ(code, 0) << "query: " << q;
        EXPECT_TRUE(valid_utf8(out)) << "query: " << q;
    }
    // The SQL in a file name is found as words, like any other name.
    auto const [code, out] = cli({"search", "--json", "drop table"});
    EXPECT_EQ(code, 0);
    EXPECT_NE(out.find("DROP TABLE"), std::string::npos) << out;
    expect_library_intact();
}

TEST_F(hostile_input, bad_options_are_clear_errors)
{
    std::vector<std::vector<std::string>> const cases{
        {"search", "--bpm", "1-2; DROP TABLE midi_files", "x"},
        {"search", "--bpm", "nan-inf", "x"},
        {"search", "--limit", "-1", "x"},
        {"search", "--limit", "99999999999", "x"},
        {"search", "--limit", "ten", "x"},
        {"search", "--after", "'; DROP TABLE midi_files; --", "x"},
        {"search", "--after", "i::1junk"},
        {"search", "--key", "H minor'; --", "x"},
        {"search", "--instrument", "';--", "x"},
        {"search", "--tracks", "1e300", "x"},
        {"search", std::string(5000, 'y')},
        {"show", "abc"},
        {"show", "1; DROP TABLE midi_files"},
    };
    for (auto const &args : cases) {
        auto const [code, out] = cli(args);
        EXPECT_NE(code, 0) << args[1] << " " << args[2];
        EXPECT_LT(code, 124) << "not a clean exit: " << args[1] << " " << args[2]; // timeout, signals
    }
    // Facets that are only strange values answer with no hits, not an error.
    for (auto const &args : std::vector<std::vector<std::string>>{{"search", "--ts", "3/4'--", "x"},
                                                                 {"search", "--folder", "/'; --", "x"},
                                                                 {"show", "-1"},
                                                                 {"show", "0"}}) {
        auto const [code, out] = cli(args);
        EXPECT_LE(code, 1) << args[1];
        EXPECT_EQ(out.find("\"id\""), std::string::npos) << out;
    }
    expect_library_intact();
}

TEST_F(hostile_input, api_text_with_nul_invalid_utf8_or_a_megabyte)
{
    // NUL bytes are dropped (libpq would cut the parameter at the first one), not a shorter query.
    search_request r;
    r.text = std::string{"pi\0ano", 6};
    r.instrument = std::string{"str\0ings", 8};
    auto const [sql, params] = search_statement(r);
    bool piano = false;
    for (auto const &p : params) {
        EXPECT_TRUE(valid_utf8(p)) << p;
        piano = piano || p.find("piano") != std::string::npos;
    }
    EXPECT_TRUE(piano);
    // Invalid UTF-8 anywhere: decoded, never sent as is.
    search_request bad;
    bad.text = "\xFF\xFE\xC0\xAF";
    bad.time_signature = "3/4\xFF";
    bad.folder = "/music/\xE9t\xE9";
    for (auto const &p : search_statement(bad).second) {
        EXPECT_TRUE(valid_utf8(p)) << p;
    }
    pqxx::connection cx{s_db->conninfo()};
    EXPECT_NO_THROW(search_library(cx, bad));
    // 1 MB of text: refused with a sentence, before any SQL.
    search_request huge;
    huge.text = std::string(1 << 20, 'a');
    try {
        (void)search_statement(huge);
        ADD_FAILURE() << "a 1 MB query was accepted";
    } catch (std::invalid_argument const &e) {
        EXPECT_NE(std::string{e.what()}.find("takes up to"), std::string::npos) << e.what();
    }
    search_request nan;
    nan.bpm = std::pair{std::nan(""), 120.0};
    EXPECT_THROW((void)search_statement(nan), std::invalid_argument);
}

TEST(connection_pool_limits, more_requests_than_connections_wait_then_time_out_clearly)
{
    temp_database db;
    connection_pool pool{db.conninfo(), 2, "test"};
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        auto const start = std::chrono::steady_clock::now();
        try {
            (void)pool.acquire(std::chrono::milliseconds{300});
            ADD_FAILURE() << "a third lease from a pool of 2";
        } catch (std::runtime_error const &e) {
            std::string const what = e.what();
            EXPECT_NE(what.find("pool of 2"), std::string::npos) << what;
            EXPECT_NE(what.find("--connections"), std::string::npos) << what;
        }
        EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds{300});
        // A waiting request gets the connection as soon as one comes back.
        std::atomic<bool> got{false};
        std::thread waiter{[&] {
            auto c = pool.acquire(std::chrono::seconds{30});
            got = true;
        }};
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        EXPECT_FALSE(got);
        { auto released = std::move(a); }
        waiter.join();
        EXPECT_TRUE(got);
    }
    // 16 threads x 50 leases through 2 connections: no deadlock, every statement answered.
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto cx = pool.acquire(std::chrono::seconds{60});
                pqxx::nontransaction tx{*cx};
                answered += tx.exec1("SELECT 1")[0].as<int>();
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(answered, 16 * 50);
}

} // namespace
} // namespace midilib::testing
