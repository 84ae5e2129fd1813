// libFuzzer target: search_statement() and parse_key(), the pure half of `midilib search`.
//
// Input: see search_input.hpp (fields split by 0x1F: text, after, folder, instrument,
// time_signature, key, binary options). A plain query ("piano sonata") is a valid input.
//
// std::invalid_argument is an allowed answer (bad cursor, limit or filter). Any other exception,
// a crash or a sanitizer report is a bug. On success:
//   - the SQL is printable ASCII and every parameter $1..$n is used, no other $k;
//   - no user string of 8 bytes or more appears in the SQL (all user input is a parameter), unless
//     the same SQL template built for harmless values contains it too (a word like "file_id");
//   - when all user strings are valid UTF-8, so is every parameter. (Invalid UTF-8 is passed on
//     unchanged: PostgreSQL then rejects the statement with an encoding error. NUL bytes are passed
//     on too; libpq would cut a text parameter at the NUL.)
//   - when the request has no cursor, the cursor its hits would carry is accepted (the next page);
//   - parse_key() gives a tonic in 0..11, and the canonical name of its answer parses back to it.

#include "db/search_sql.hpp"
#include "search_input.hpp"
#include "smf/text.hpp"

#include "fuzz_check.hpp"

#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

/// User strings shorter than this may well occur in the SQL template ("s.path", "AND").
constexpr std::size_t MIN_CHECKED_LENGTH = 8;

bool valid_utf8(std::string_view s)
{
    return midilib::is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

/// True when @p field occurs in the SQL built for @p r with harmless strings in place of the user's:
/// same facets and limit, each text and cursor shape.
bool in_sql_template(midilib::search_request r, std::string const &field)
{
    if (r.folder) {
        r.folder = "/f";
    }
    if (r.instrument) { // as many words as the user's, as sent (NUL dropped): parameters numbered alike
        std::string words;
        bool in_word = false;
        for (char const c : midilib::to_utf8(*r.instrument)) {
            bool const alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
            if (alnum && !in_word) {
                words += words.empty() ? "w" : " w";
            }
            in_word = alnum;
        }
        r.instrument = words;
    }
    if (r.time_signature) {
        r.time_signature = "3/4";
    }
    for (char const *text : {"", "w", "a w", "a or w", "a OR w", "w ", "\"w\"", "-w", "a -w"}) {
        for (char const *after : {"", "r:1:1", "v:1:1", "i::1"}) {
            r.text = text;
            r.after = after;
            try {
                if (midilib::search_statement(r).first.find(field) != std::string::npos) {
                    return true;
                }
            } catch (std::invalid_argument const &) {
            }
        }
    }
    return false;
}

void check_statement(midilib::search_request const &r, std::string const &sql, std::vector<std::string> const &params)
{
    // Printable ASCII only: user bytes (controls, UTF-8) cannot have slipped in.
    for (char const c : sql) {
        FUZZ_CHECK(c >= 0x20 && c < 0x7F);
    }
    // $1..$n, each used, and nothing beyond n.
    std::vector<bool> used(params.size() + 1, false);
    for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] != '$') {
            continue;
        }
        std::size_t k = 0;
        std::size_t j = i + 1;
        for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9' && k <= params.size(); ++j) {
            k = k * 10 + static_cast<std::size_t>(sql[j] - '0');
        }
        FUZZ_CHECK(j > i + 1 && k >= 1 && k <= params.size());
        used[k] = true;
    }
    for (std::size_t k = 1; k < used.size(); ++k) {
        FUZZ_CHECK(used[k]);
    }
    // User strings are parameters, never SQL text.
    std::vector<std::string> user{r.text, r.after};
    for (auto const *o : {&r.folder, &r.instrument, &r.time_signature}) {
        if (*o) {
            user.push_back(**o);
        }
    }
    bool all_valid = true;
    for (auto const &u : user) {
        all_valid = all_valid && valid_utf8(u);
        if (u.size() >= MIN_CHECKED_LENGTH && sql.find(u) != std::string::npos) {
            FUZZ_CHECK(in_sql_template(r, u));
        }
    }
    if (all_valid) {
        for (auto const &p : params) {
            FUZZ_CHECK(valid_utf8(p));
        }
    }
    // The next page can be asked for: a cursor of the form read_hits prints for this search
    // ("r:<rank>:<id>" with text; "v:<value>:<id>" or "i::<id>" without) is accepted.
    if (r.after.empty()) {
        // Judged on the text as sent (NUL bytes dropped, Windows-1252 decoded), as search_statement does.
        bool const text = midilib::to_utf8(r.text).find_first_not_of(" \t") != std::string::npos;
        int accepted = 0;
        for (char const *cursor : {"r:0.5:1", "v:1:1", "i::1"}) {
            if (text != (cursor[0] == 'r')) {
                continue;
            }
            auto next = r;
            next.after = cursor;
            try {
                (void)midilib::search_statement(next);
                ++accepted;
            } catch (std::invalid_argument const &) {
            }
        }
        FUZZ_CHECK(accepted == 1);
    }
}

void check_key(std::string const &text)
{
    static constexpr std::array<char const *, 12> NAMES{"C",  "C#", "D",  "D#", "E",  "F",
                                                        "F#", "G",  "G#", "A",  "A#", "B"};
    auto const key = midilib::parse_key(text);
    if (!key) {
        return;
    }
    FUZZ_CHECK(key->first >= 0 && key->first < 12);
    auto const again = midilib::parse_key(std::string{NAMES[static_cast<std::size_t>(key->first)]} +
                                          (key->second ? " minor" : " major"));
    FUZZ_CHECK(again && *again == *key);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    auto const in = midilib::fuzz::decode_search_input(data, size);
    auto const &r = in.request;
    check_key(r.text);
    if (in.key_text) {
        check_key(*in.key_text);
    }
    try {
        auto const [sql, params] = midilib::search_statement(r);
        check_statement(r, sql, params);
    } catch (std::invalid_argument const &) {
        // A rejected cursor, limit or filter: the answer the CLI prints.
    }
    return 0;
}
