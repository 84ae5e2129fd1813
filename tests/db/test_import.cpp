// Import tests against a real PostgreSQL: the corpus, resume, bad input.

#include "pipeline/file_source.hpp"
#include "pipeline/import_run.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace midilib::testing {
namespace {

import_summary import_paths(temp_database const &db, std::vector<std::filesystem::path> paths,
                            std::size_t connections = 2, bool analyze = true)
{
    std::atomic<bool> stop{false};
    import_options opts;
    opts.paths = std::move(paths);
    opts.conninfo = db.conninfo();
    opts.connections = connections;
    opts.analyze = analyze;
    return run_import(opts, stop);
}

void write_file(std::filesystem::path const &p, std::string const &bytes)
{
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out{p, std::ios::binary};
    out << bytes;
}

/// A format-0 file with one track: the given meta events at tick 0, then one note.
std::string midi_with_meta(std::vector<std::pair<int, std::string>> const &metas)
{
    std::string track;
    for (auto const &[type, text] : metas) {
        track += '\0';
        track += '\xFF';
        track += static_cast<char>(type);
        track += static_cast<char>(text.size()); // < 128 in these tests
        track += text;
    }
    track += std::string{"\x00\x90\x3C\x40\x60\x80\x3C\x00\x00\xFF\x2F\x00", 12};
    std::string file{"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xE0MTrk", 18};
    auto const n = track.size();
    file += static_cast<char>(n >> 24U);
    file += static_cast<char>((n >> 16U) & 0xFFU);
    file += static_cast<char>((n >> 8U) & 0xFFU);
    file += static_cast<char>(n & 0xFFU);
    return file + track;
}

class import_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }
    temp_database m_db;
};

// Every corpus file is accounted for exactly once, and each content is stored once.
TEST_F(import_test, corpus_counts_add_up)
{
    std::atomic<bool> no{false};
    auto const expected = count_files({corpus_dir()}, no);
    auto const s = import_paths(m_db, {corpus_dir()});
    EXPECT_EQ(s.scanned, expected);
    EXPECT_EQ(s.skipped, 0U);
    EXPECT_EQ(s.imported + s.duplicates + s.failed, s.scanned);
    EXPECT_EQ(m_db.count_rows("midi_files"), static_cast<long>(s.imported));
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), static_cast<long>(s.imported + s.duplicates));
    EXPECT_EQ(m_db.count_rows("import_errors"), static_cast<long>(s.failed));
    EXPECT_EQ(m_db.scalar<long>("SELECT count(DISTINCT hash) FROM midi_files"), static_cast<long>(s.imported));
    // The corpus holds 24 duplicate groups in nottingham/ and one pair in groove-midi/.
    EXPECT_GE(s.duplicates, 25U);
    // Each failure has a one-line reason.
    EXPECT_EQ(m_db.count_rows("import_errors", "reason = '' OR reason LIKE '%' || chr(10) || '%'"), 0);
    EXPECT_LT(s.failed, 30U);
}

// The analysis of each new content is written in the batch of its file: one row per midi_files
// row, of the current analyzer version; melodies have no drums, drum grooves do.
TEST_F(import_test, analysis_rows_are_written_with_their_files)
{
    import_paths(m_db, {corpus_dir() / "nottingham", corpus_dir() / "groove-midi"});
    EXPECT_EQ(m_db.count_rows("file_analysis"), m_db.count_rows("midi_files"));
    EXPECT_EQ(m_db.count_rows("file_analysis", "analyzer_version = " + std::to_string(ANALYZER_VERSION)),
              m_db.count_rows("midi_files"));
    auto const with_drums = [this](char const *folder) {
        return m_db.scalar<long>(std::string{"SELECT count(*) FILTER (WHERE a.has_drums) FROM file_analysis a"
                                             " JOIN midi_file_paths p USING (file_id) WHERE p.path LIKE '%/"} +
                                 folder + "/%'");
    };
    EXPECT_EQ(with_drums("nottingham"), 0);
    EXPECT_EQ(with_drums("groove-midi"), m_db.count_rows("midi_file_paths", "path LIKE '%/groove-midi/%'"));
    // Keys are named, tempi filled, instruments named for the melodies.
    EXPECT_EQ(m_db.scalar<long>("SELECT count(*) FROM file_analysis a JOIN midi_file_paths p USING (file_id)"
                                " WHERE p.path LIKE '%/nottingham/%' AND (a.key_name IS NULL OR a.tempo_bpm IS NULL"
                                " OR cardinality(a.instruments) = 0)"),
              0);
}

// --no-analyze stores the files without analysis rows.
TEST_F(import_test, no_analyze_stores_no_analysis)
{
    import_paths(m_db, {corpus_dir() / "music21-testPrimitive"}, 2, false);
    EXPECT_GT(m_db.count_rows("midi_files"), 0);
    EXPECT_EQ(m_db.count_rows("file_analysis"), 0);
}

// Files with illegal messages or running status after meta/SysEx import with warnings, not failures.
TEST_F(import_test, defective_files_import_with_warnings)
{
    import_paths(m_db, {corpus_dir() / "jazz-soft-test-midi-files"});
    EXPECT_EQ(m_db.count_rows("midi_file_paths p JOIN midi_files f ON f.id = p.file_id",
                              "p.path LIKE '%test-illegal-message-%' AND cardinality(f.warnings) > 0"),
              14); // the 13 single-message files (F1-F6, F8-FE) and test-illegal-message-all
    EXPECT_EQ(m_db.count_rows("midi_file_paths p JOIN midi_files f ON f.id = p.file_id",
                              "p.path LIKE '%test-running-status-%' AND cardinality(f.warnings) > 0"),
              2);
    EXPECT_EQ(m_db.count_rows("import_errors", "path LIKE '%illegal-message%' OR path LIKE '%running-status%'"), 0);
    EXPECT_EQ(m_db.count_rows("import_errors", "path LIKE '%test-empty-file.mid' AND stage = 'parse'"), 1);
    EXPECT_EQ(m_db.count_rows("import_errors", "path LIKE '%test-not-a-midi-file.mid' AND stage = 'parse'"), 1);
}

// A second run over the same folder reads only the files that failed (they are tried on every
// run) and imports nothing.
TEST_F(import_test, rerun_skips_unchanged_files_unread)
{
    auto const first = import_paths(m_db, {corpus_dir()});
    auto const files = m_db.count_rows("midi_files");
    auto const failed_bytes = m_db.scalar<long>("SELECT coalesce(sum(size_bytes), 0) FROM import_errors");
    auto const second = import_paths(m_db, {corpus_dir()});
    EXPECT_EQ(second.scanned, first.scanned);
    EXPECT_EQ(second.skipped, second.scanned - first.failed);
    EXPECT_EQ(second.failed, first.failed);
    EXPECT_EQ(second.imported + second.duplicates, 0U);
    EXPECT_EQ(second.bytes, static_cast<std::uint64_t>(failed_bytes)); // not a single other file was read
    EXPECT_EQ(m_db.count_rows("midi_files"), files);
    std::cout << "first run " << first.seconds << " s, second run " << second.seconds << " s\n";
}

// Text that is not UTF-8 is decoded as CP1252, NUL bytes are dropped; odd file names are stored.
TEST_F(import_test, non_utf8_and_nul_text_is_converted)
{
    temp_dir dir;
    write_file(dir.path() / "latin1.mid", midi_with_meta({{3, "Caf\xE9 \x80"}, {1, std::string{"a\0b", 3}}}));
    write_file(dir.path() / "tab\tand\\back.mid", midi_with_meta({{3, "quote\" {brace} back\\slash\ttab"}}));
    write_file(dir.path() / "bad\xFFname.mid", midi_with_meta({{2, "(c) 1999"}}));
    auto const s = import_paths(m_db, {dir.path()});
    EXPECT_EQ(s.imported, 3U);
    EXPECT_EQ(s.failed, 0U);
    EXPECT_EQ(m_db.count_rows("midi_files", "track_names = ARRAY['Café €'] AND texts = ARRAY['ab']"), 1);
    EXPECT_EQ(m_db.count_rows("midi_files", "track_names = ARRAY[E'quote\" {brace} back\\\\slash\\ttab']"), 1);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path LIKE '%/tab' || chr(9) || 'and\\\\back.mid'"), 1);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path LIKE '%/badÿname.mid'"), 1);
}

// Damaged and non-MIDI files become error rows without stopping their batch.
TEST_F(import_test, bad_files_are_rows_not_crashes)
{
    temp_dir dir;
    write_file(dir.path() / "good.mid", midi_with_meta({{3, "good"}}));
    write_file(dir.path() / "empty.mid", "");
    write_file(dir.path() / "text.mid", "this is not a MIDI file\n");
    write_file(dir.path() / "truncated.mid", midi_with_meta({{3, "cut"}}).substr(0, 16));
    auto const s = import_paths(m_db, {dir.path()});
    EXPECT_EQ(s.scanned, 4U);
    EXPECT_EQ(s.imported, 1U);
    EXPECT_EQ(s.failed, 3U);
    EXPECT_EQ(m_db.count_rows("import_errors", "stage = 'parse'"), 3);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path LIKE '%/good.mid'"), 1);
    // A failed file is tried again on every run and keeps one error row; a fixed one is imported
    // and loses its error.
    auto const again = import_paths(m_db, {dir.path()});
    EXPECT_EQ(again.skipped, 1U);
    EXPECT_EQ(again.failed, 3U);
    EXPECT_EQ(m_db.count_rows("import_errors", "failures = 2"), 3);
    write_file(dir.path() / "empty.mid", midi_with_meta({{3, "fixed"}}));
    auto const fixed = import_paths(m_db, {dir.path()});
    EXPECT_EQ(fixed.imported, 1U);
    EXPECT_EQ(fixed.skipped, 1U);
    EXPECT_EQ(fixed.failed, 2U);
    EXPECT_EQ(m_db.count_rows("import_errors"), 2);
}

// `midilib import --json` prints one JSON object whose counts add up.
TEST_F(import_test, cli_json_summary)
{
    auto const [code, out] = run_midilib(
        m_db.conninfo(), {"import", "--json", (corpus_dir() / "music21-testPrimitive").string()}, verbosity::normal);
    ASSERT_EQ(code, 0) << out;
    auto const j = nlohmann::json::parse(out);
    EXPECT_EQ(j["scanned"].get<int>(), 19);
    EXPECT_EQ(j["imported"].get<int>() + j["duplicates"].get<int>() + j["failed"].get<int>(), 19);
    for (auto const *key : {"seconds", "files_per_sec", "skipped", "bytes", "peak_rss_mb"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
}

// A database that cannot be reached ends the command with one clear line and a non-zero code.
TEST(import_cli, unreachable_database_fails_clearly)
{
    temp_dir dir;
    auto const [code, out] = run_midilib("host=/nonexistent-socket-dir dbname=x", {"import", dir.path().string()},
                                         verbosity::normal);
    EXPECT_EQ(code, 1);
}

} // namespace
} // namespace midilib::testing
