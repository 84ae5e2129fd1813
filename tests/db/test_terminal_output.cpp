// What midilib prints for a terminal when names and texts in the files hold escape sequences (a
// window-title OSC, a screen clear, a C1 CSI, DEL, bells, carriage returns): `show`, the `search`
// table on a pseudo-terminal and the import's error lines show them as visible escapes and send
// no control character but the newline, while `--json` gives the exact text.

#include "smf/text.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// A loose file's name: an OSC that sets the window title, a screen clear, a C1 CSI, DEL and CR.
std::string const NAME = "hostile \x1B]0;pwned\x07 title \x1B[2J wipe \xC2\x9B"
                         "31m red\x7F del\r.mid";
std::string const NAME_SHOWN = "hostile \\e]0;pwned\\x07 title \\e[2J wipe \\u009b31m red\\x7f del\\r.mid";
std::string const TRACK = "Lead \x1B]0;track title\x07 \x1B[2J";
std::string const TRACK_SHOWN = "Lead \\e]0;track title\\x07 \\e[2J";
std::string const LYRIC = "la \x1B]2;lyric\x07 \xC2\x9D"
                          "0;osc\x07 la";
std::string const LYRIC_SHOWN = "la \\e]2;lyric\\x07 \\u009d0;osc\\x07 la";
std::string const TEXT = "tab\there cr\rthere bell\x07";
std::string const TEXT_SHOWN = "tab\\there cr\\rthere bell\\x07";
/// A file the parser refuses: its name is quoted by the import's error line.
std::string const BROKEN = "broken \x1B]0;err\x07 \x1B[2J.mid";
std::string const BROKEN_SHOWN = "broken \\e]0;err\\x07 \\e[2J.mid";
/// An archive and a member in a folder of it.
std::string const ZIP = "archive \x1B[31m red.zip";
std::string const ZIP_SHOWN = "archive \\e[31m red.zip";
std::string const MEMBER = "pack \x1B]0;zip\x07/member \x1B[2J.mid";
std::string const MEMBER_SHOWN = "pack \\e]0;zip\\x07/member \\e[2J.mid";

/// A meta event at delta 0 (texts here are shorter than 128 bytes: a one-byte length).
std::string meta(char type, std::string const &text)
{
    return std::string{"\x00\xFF", 2} + type + static_cast<char>(text.size()) + text;
}

/// A format-0 file at 480 ticks a quarter: the texts, then one quarter note of @p pitch.
void write_smf(fs::path const &p, char pitch)
{
    std::string const track = meta('\x03', TRACK) + meta('\x05', LYRIC) + meta('\x01', TEXT) +
                              std::string{"\x00\x90", 2} + pitch + "\x40\x83\x60\x80" + pitch + "\x40" +
                              std::string{"\x00\xFF\x2F\x00", 4};
    std::string file{"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xE0MTrk", 18};
    for (unsigned shift : {24U, 16U, 8U, 0U}) {
        file += static_cast<char>((track.size() >> shift) & 0xFFU);
    }
    std::ofstream{p, std::ios::binary} << file << track;
}

/// What a terminal may be sent: valid UTF-8 without a control character (C0, DEL, C1) but the newline.
::testing::AssertionResult terminal_clean(std::string const &out)
{
    if (!is_valid_utf8({reinterpret_cast<std::uint8_t const *>(out.data()), out.size()})) {
        return ::testing::AssertionFailure() << "not UTF-8:\n" << out;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto const b = static_cast<unsigned char>(out[i]);
        bool const c1 = b == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) < 0xA0;
        if ((b < 0x20 && b != '\n') || b == 0x7F || c1) {
            return ::testing::AssertionFailure()
                   << fmt::format("control byte 0x{:02x} at {} in:\n", b, i) << terminal_safe(out);
        }
    }
    return ::testing::AssertionSuccess();
}

class terminal_output : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        s_db = new temp_database;
        s_dir = new temp_dir;
        auto const lib = s_dir->path() / "lib";
        auto const stage = s_dir->path() / "stage";
        fs::create_directories(lib);
        fs::create_directories(stage / fs::path{MEMBER}.parent_path());
        write_smf(lib / NAME, '\x3C');
        write_smf(stage / MEMBER, '\x40'); // another content: a file of its own
        std::ofstream{lib / BROKEN} << "this is not a MIDI file\n";
        auto const zipped = run(
            {"sh", "-c", "cd \"$1\" && zip -q \"$2\" \"$3\"", "sh", stage.string(), (lib / ZIP).string(), MEMBER});
        ASSERT_EQ(zipped.first, 0) << zipped.second;
        s_import = new finished{
            run_captured(midilib_command(s_db->conninfo(), {"import", lib.string()}, verbosity::normal))};
    }
    static void TearDownTestSuite()
    {
        delete s_import;
        delete s_dir;
        delete s_db;
    }

    static fs::path lib() { return s_dir->path() / "lib"; }
    static std::string id_of(std::string const &like)
    {
        return s_db->scalar<std::string>("SELECT file_id::text FROM midi_file_paths WHERE path LIKE '" + like + "'");
    }
    static finished cli(std::vector<std::string> const &args)
    {
        return run_captured(with_timeout(60, midilib_command(s_db->conninfo(), args)));
    }

    static inline temp_database *s_db = nullptr;
    static inline temp_dir *s_dir = nullptr;
    static inline finished *s_import = nullptr;
};

// The import's error line quotes the refused file's name as escapes; the summary stays plain.
TEST_F(terminal_output, import_error_lines_quote_names_as_escapes)
{
    ASSERT_EQ(s_import->code, 0) << s_import->err;
    EXPECT_EQ(s_db->count_rows("midi_files"), 2);
    EXPECT_EQ(s_db->count_rows("import_errors"), 1);
    EXPECT_TRUE(terminal_clean(s_import->err));
    EXPECT_NE(s_import->err.find(BROKEN_SHOWN + ": parse: "), std::string::npos) << s_import->err;
    EXPECT_TRUE(terminal_clean(s_import->out));
}

// `show` prints the path, the track name, the lyric and the text of a file as visible escapes.
TEST_F(terminal_output, show_prints_names_and_texts_as_escapes)
{
    auto const shown = cli({"show", id_of("%hostile%")});
    ASSERT_EQ(shown.code, 0) << shown.err;
    EXPECT_TRUE(terminal_clean(shown.out));
    for (auto const &part : {NAME_SHOWN, TRACK_SHOWN, LYRIC_SHOWN, TEXT_SHOWN}) {
        EXPECT_NE(shown.out.find(part), std::string::npos) << part << "\nin:\n" << shown.out;
    }
    // A member of an archive: its path and the archive's, both escaped.
    auto const member = cli({"show", id_of("%!/pack%")});
    ASSERT_EQ(member.code, 0) << member.err;
    EXPECT_TRUE(terminal_clean(member.out));
    EXPECT_NE(member.out.find(ZIP_SHOWN + "!/" + MEMBER_SHOWN), std::string::npos) << member.out;
    EXPECT_NE(member.out.find("inside archive " + (lib() / ZIP_SHOWN).string() + "\n"), std::string::npos)
        << member.out;
}

// The search table, written to a terminal, shows the file's name as escapes.
TEST_F(terminal_output, search_table_on_a_terminal_shows_names_as_escapes)
{
    auto const table = run_on_terminal(with_timeout(60, midilib_command(s_db->conninfo(), {"search", "hostile"})));
    ASSERT_EQ(table.code, 0) << terminal_safe(table.out);
    EXPECT_TRUE(terminal_clean(table.out));
    EXPECT_NE(table.out.find("path\n"), std::string::npos) << table.out; // the table's header, not JSON
    EXPECT_NE(table.out.find((lib() / NAME_SHOWN).string() + "\n"), std::string::npos) << table.out;
}

// `--json` gives the exact text: the names and texts as the files hold them.
TEST_F(terminal_output, json_output_keeps_the_exact_text)
{
    auto const found = cli({"search", "--json", "hostile"});
    ASSERT_EQ(found.code, 0) << found.err;
    EXPECT_EQ(nlohmann::json::parse(found.out)["path"], (lib() / NAME).string());

    auto const shown = cli({"show", "--json", id_of("%hostile%")});
    ASSERT_EQ(shown.code, 0) << shown.err;
    auto const j = nlohmann::json::parse(shown.out);
    EXPECT_EQ(j["paths"][0]["path"], (lib() / NAME).string());
    // Arrays are JSON arrays: each text is an element, as the file holds it.
    EXPECT_EQ(j["track_names"], nlohmann::json::array({TRACK})) << j["track_names"];
    EXPECT_EQ(j["lyrics"], nlohmann::json::array({LYRIC})) << j["lyrics"];
    EXPECT_EQ(j["texts"], nlohmann::json::array({TEXT})) << j["texts"];

    auto const member = nlohmann::json::parse(cli({"show", "--json", id_of("%!/pack%")}).out);
    EXPECT_EQ(member["paths"][0]["path"], (lib() / ZIP).string() + "!/" + MEMBER);
    EXPECT_EQ(member["paths"][0]["archive"], (lib() / ZIP).string());
}

} // namespace
} // namespace midilib::testing
