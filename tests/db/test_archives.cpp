// Importing from archives: zip, 7z, tar.gz and a zip inside a zip give the rows of the loose
// files; damaged, encrypted and oversized members are error rows; unchanged archives are skipped.
// The archives are built here with the Debian tools (zip, bsdtar from libarchive-tools, tar).

#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// A corpus folder with good files and a few the parser refuses.
constexpr char const *SOURCE_FOLDER = "jazz-soft-test-midi-files";

nlohmann::json import_json(temp_database const &db, std::vector<std::string> const &paths,
                           std::vector<std::string> const &extra = {})
{
    std::vector<std::string> args{"import", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), paths.begin(), paths.end());
    auto const [code, out] = run_midilib(db.conninfo(), args);
    EXPECT_EQ(code, 0) << out;
    return nlohmann::json::parse(out);
}

/// Relative paths of the stored paths under @p prefix (loose folder, or "archive!/").
std::string paths_under(temp_database const &db, std::string const &prefix)
{
    return db.scalar<std::string>("SELECT coalesce(string_agg(substr(path, " + std::to_string(prefix.size() + 1) +
                                  "), ',' ORDER BY substr(path, " + std::to_string(prefix.size() + 1) +
                                  ") COLLATE \"C\"), '') FROM midi_file_paths WHERE starts_with(path, '" + prefix +
                                  "')");
}

class archive_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
        copy_writable(corpus_dir() / SOURCE_FOLDER, m_dir.path() / "loose");
    }

    /// Runs @p command in the temp folder (a shell line: these are the user's tools).
    void sh(std::string const &command) const
    {
        auto const [code, out] = run({"sh", "-c", "cd '" + m_dir.path().string() + "' && " + command});
        ASSERT_EQ(code, 0) << command << "\n" << out;
    }

    temp_dir m_dir;
};

TEST_F(archive_test, every_format_gives_the_rows_of_the_loose_files)
{
    temp_database loose;
    auto const loose_summary = import_json(loose, {(m_dir.path() / "loose").string()});
    auto const expected_contents = contents_fingerprint(loose);
    auto const expected_paths = paths_under(loose, (m_dir.path() / "loose").string() + "/");
    ASSERT_GT(loose.count_rows("midi_files"), 10);

    sh("cd loose && zip -qr ../pack.zip . && bsdtar -a -cf ../pack.7z . && tar czf ../pack.tar.gz . && cd .. && "
       "mkdir outer && cp pack.zip outer/inner.zip && cd outer && zip -q ../nested.zip inner.zip");
    for (auto const *archive : {"pack.zip", "pack.7z", "pack.tar.gz", "nested.zip"}) {
        SCOPED_TRACE(archive);
        temp_database db;
        auto const path = (m_dir.path() / archive).string();
        auto const summary = import_json(db, {path});
        EXPECT_EQ(summary["scanned"], loose_summary["scanned"]);
        EXPECT_EQ(summary["imported"], loose_summary["imported"]);
        EXPECT_EQ(summary["failed"], loose_summary["failed"]);
        EXPECT_EQ(contents_fingerprint(db), expected_contents);
        std::string const prefix = std::string{archive} == "nested.zip" ? path + "!/inner.zip!/" : path + "!/";
        EXPECT_EQ(paths_under(db, prefix), expected_paths) << prefix;
        EXPECT_EQ(db.count_rows("archives", "path = '" + path + "'"), 1);

        // `midilib show` names the archive a member was found in.
        auto const id = db.scalar<long>("SELECT min(file_id) FROM midi_file_paths");
        auto const [code, out] = run_midilib(db.conninfo(), {"show", "--json", std::to_string(id)});
        ASSERT_EQ(code, 0) << out;
        auto const shown = nlohmann::json::parse(out);
        EXPECT_EQ(shown["id"], id); // a number, as search --json gives it
        ASSERT_FALSE(shown["paths"].empty());
        EXPECT_EQ(shown["paths"][0]["archive"], path); // the file on disk; the path names any inner archive

        // Unchanged: skipped whole, without opening it; the counts say how many members that was.
        auto const again = import_json(db, {path});
        EXPECT_EQ(again["skipped"], summary["scanned"]);
        EXPECT_EQ(again["imported"], 0);
        EXPECT_EQ(again["bytes"], 0);
    }
}

TEST_F(archive_test, damaged_encrypted_and_oversized_archives_are_error_rows)
{
    sh("cd loose && zip -qr ../good.zip . && cp ../good.zip ../truncated.zip && "
       "truncate -s $(( $(stat -c %s ../truncated.zip) / 2 )) ../truncated.zip && "
       "zip -qr -P secret ../encrypted.zip . && cd .. && mkdir bomb && "
       "(printf 'MThd'; head -c 100M /dev/zero) > bomb/huge.mid && "
       "cd bomb && zip -q ../bomb.zip huge.mid && cd .. && rm -rf bomb");
    temp_database db;
    auto const dir = m_dir.path().string();
    auto const summary = import_json(
        db, {dir + "/good.zip", dir + "/truncated.zip", dir + "/encrypted.zip", dir + "/bomb.zip"},
        {"--max-member-mb", "8"});
    // One clear row each; the good archive is imported whole beside them.
    EXPECT_EQ(db.count_rows("import_errors", "path = '" + dir + "/encrypted.zip' AND reason LIKE 'encrypted archive%'"),
              1);
    EXPECT_EQ(db.count_rows("import_errors", "path = '" + dir + "/truncated.zip' AND stage = 'archive'"), 1);
    EXPECT_EQ(db.count_rows("import_errors", "path = '" + dir + "/bomb.zip!/huge.mid' AND reason LIKE '%8 MiB limit%'"),
              1);
    EXPECT_EQ(db.count_rows("archives", "path = '" + dir + "/good.zip'"), 1);
    EXPECT_EQ(db.count_rows("archives", "path IN ('" + dir + "/truncated.zip', '" + dir + "/encrypted.zip')"), 0);
    temp_database loose;
    import_json(loose, {(m_dir.path() / "loose").string()});
    EXPECT_EQ(db.count_rows("midi_files"), loose.count_rows("midi_files"));
    // The 100 MiB member was never held in memory. (ASan's shadow memory and quarantine make the
    // peak RSS of a sanitizer build meaningless here.)
#ifndef MIDILIB_SANITIZED
    EXPECT_LT(summary["peak_rss_mb"].get<double>(), 80.0) << summary.dump();
#endif
    std::cout << "errors: "
              << db.scalar<std::string>(
                     "SELECT string_agg(path || ': ' || reason, E'\\n' ORDER BY path) FROM import_errors"
                     " WHERE path NOT LIKE '%good.zip%'")
              << "\n";
}

} // namespace
} // namespace midilib::testing
