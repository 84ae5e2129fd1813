// Replays the inputs that made a fuzz target (tests/fuzz) fail, saved in tests/data/fuzz-regressions
// as <target>-<sha1>, through the code that target calls; plus the bugs they revealed, by name.

#include "analyzers/analysis.hpp"
#include "analyzers/file_facts.hpp"
#include "analyzers/tempo_map.hpp"
#include "db/library_search.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"
#include "tests/fuzz/search_input.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace midilib {
namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

fs::path regressions_dir() { return fs::path{MIDILIB_SOURCE_DIR} / "tests" / "data" / "fuzz-regressions"; }

bytes load(fs::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    return bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

bool valid_text(std::string const &s)
{
    return s.find('\0') == std::string::npos &&
           is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

/// fuzz_smf_reader and fuzz_analyze: the import's parse stage.
void replay_smf(bytes const &b)
{
    auto const r = read_smf(b);
    if (!r.file) {
        return;
    }
    for (auto const &w : r.file->warnings) {
        EXPECT_TRUE(valid_text(w));
    }
    tempo_map const map{*r.file};
    auto const facts = extract_facts(*r.file, map);
    for (auto const *list :
         {&facts.track_names, &facts.texts, &facts.lyrics, &facts.copyrights, &facts.markers, &facts.warnings}) {
        for (auto const &s : *list) {
            EXPECT_TRUE(valid_text(s));
        }
    }
    EXPECT_TRUE(std::isfinite(facts.duration_seconds));
    auto const a = analyze(*r.file, map);
    EXPECT_TRUE(std::isfinite(a.notes.mean_polyphony) && std::isfinite(a.key.confidence) &&
                std::isfinite(a.tempo.estimate.bpm) && std::isfinite(a.chords.changes_per_minute) &&
                std::isfinite(a.drums.hits_per_bar));
}

/// fuzz_text: the first byte(s) give the cap, as in tests/fuzz/fuzz_text.cpp.
void replay_text(bytes const &b)
{
    if (b.empty()) {
        return;
    }
    std::size_t cap = SIZE_MAX;
    std::size_t skip = 1;
    if (b[0] < 0x80) {
        cap = b[0];
    } else if (b[0] < 0xFF) {
        cap = b.size() >= 2 ? ((std::size_t{b[0] & 0x7FU} << 8U) | b[1]) : 0;
        skip = b.size() >= 2 ? 2 : 1;
    }
    auto const out = to_utf8(std::span{b}.subspan(skip), cap);
    EXPECT_TRUE(valid_text(out));
    EXPECT_LE(out.size(), cap);
}

/// fuzz_search: a rejection (std::invalid_argument) or a statement whose SQL holds no user bytes.
void replay_search(bytes const &b)
{
    auto const in = fuzz::decode_search_input(b.data(), b.size());
    try {
        auto const [sql, params] = search_statement(in.request);
        for (char const c : sql) {
            EXPECT_TRUE(c >= 0x20 && c < 0x7F) << "SQL byte " << static_cast<int>(static_cast<unsigned char>(c));
        }
    } catch (std::invalid_argument const &) {
    }
}

TEST(fuzz_regressions, saved_inputs_replay_cleanly)
{
    std::size_t replayed = 0;
    for (auto const &e : fs::directory_iterator{regressions_dir()}) {
        auto const name = e.path().filename().string();
        auto const target = name.substr(0, name.rfind('-'));
        SCOPED_TRACE(name);
        auto const b = load(e.path());
        if (target == "smf_reader" || target == "analyze") {
            replay_smf(b);
        } else if (target == "text") {
            replay_text(b);
        } else if (target == "search") {
            replay_search(b);
        } else {
            ADD_FAILURE() << "no fuzz target named " << target;
            continue;
        }
        ++replayed;
    }
    EXPECT_GT(replayed, 0U);
}

search_request with_cursor(search_request r, char const *after)
{
    r.after = after;
    return r;
}

// search-37ce969bb4262f16ef312af688d4a2f32805625c: the cursor "i::<id>", which a search without text
// and without a range facet prints for its hits, was always rejected (its empty value went through
// std::stod), so the second page of such a search could not be asked for; and cursors that midilib
// never prints ("\xF9:1", "i::42junk") were taken as "id after 1" / "id after 42".
TEST(fuzz_regressions, search_cursors_round_trip)
{
    search_request listing; // no text, no facet: file_id order, "i::<id>" cursors
    EXPECT_NO_THROW(search_statement(with_cursor(listing, "i::42")));
    search_request by_key;
    by_key.key = std::pair{9, true};
    EXPECT_NO_THROW(search_statement(with_cursor(by_key, "i::42")));
    search_request by_bpm;
    by_bpm.bpm = std::pair{100.0, 120.0};
    EXPECT_NO_THROW(search_statement(with_cursor(by_bpm, "v:110:42")));
    search_request text;
    text.text = "funk";
    EXPECT_NO_THROW(search_statement(with_cursor(text, "r:0.5:42")));

    for (char const *bad : {"\xF9:1", "i::42junk", "x:1:1", "r:5", "i:5:7", "r::42", "i::", ":1:1", "i:42"}) {
        EXPECT_THROW(search_statement(with_cursor(listing, bad)), std::invalid_argument) << bad;
        EXPECT_THROW(search_statement(with_cursor(text, bad)), std::invalid_argument) << bad;
    }
}

// search-05fe405753166f125559e7c9ac558654f107c7e9: a query of NUL bytes only. The search drops NUL
// bytes (libpq would cut the parameter there), so it is a search without text: its hits carry "i::<id>"
// cursors and a rank cursor is refused. The harness judged "has text" on the raw bytes; it now asks the
// question on the text as sent.
TEST(fuzz_regressions, nul_only_query_is_a_search_without_text)
{
    search_request nul;
    nul.text = std::string(8, '\0');
    EXPECT_NO_THROW(search_statement(with_cursor(nul, "i::42")));
    EXPECT_THROW(search_statement(with_cursor(nul, "r:0.5:42")), std::invalid_argument);
    auto const [sql, params] = search_statement(nul);
    auto const [plain_sql, plain_params] = search_statement(search_request{});
    EXPECT_EQ(sql, plain_sql);
    EXPECT_EQ(params, plain_params);
}

} // namespace
} // namespace midilib
