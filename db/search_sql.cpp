#include "db/search_sql.hpp"

#include "db/search_params.hpp"
#include "db/search_text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace midilib {

namespace {

/// Words of the file names tried for each word of the text, the most similar first.
constexpr int FUZZY_ALTERNATIVES = 5;

/// Longest text offered the typo fallback: a few words. pg_trgm's word similarity of a long text
/// reads most of the trigram index (5.7 s for 1,000 bytes of unknown words on 54,517 files, 8 ms
/// at 256 and 4 ms at 128), and a text that long is not one mistyped name.
constexpr std::size_t MAX_FUZZY_BYTES = 128;

/// @p v as a real PostgreSQL accepts: beyond the largest real is an open end (infinity), below
/// the smallest is 0 (the server refuses both with "out of range for type real").
std::string number(double v)
{
    if (std::abs(v) > std::numeric_limits<float>::max()) {
        return v > 0 ? "Infinity" : "-Infinity";
    }
    if (std::abs(v) < std::numeric_limits<float>::min()) {
        return "0";
    }
    return fmt::format("{}", v);
}

/// True when @p text is a whole number within the range of an int.
bool is_int(std::string const &text)
{
    int v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

/// The facets of @p r, the folder aside.
int facet_count(search_request const &r)
{
    return r.bpm.has_value() + r.key.has_value() + r.time_signature.has_value() + r.duration.has_value() +
           r.tracks.has_value() + r.drums.has_value() + r.instrument.has_value();
}

} // namespace

std::string facet_conditions(search_request const &r, search_params &st)
{
    std::vector<std::string> c;
    if (r.bpm) {
        c.push_back("s.tempo_bpm BETWEEN " + st.typed(number(r.bpm->first), "real") + " AND " +
                    st.typed(number(r.bpm->second), "real"));
    }
    if (r.key) {
        c.push_back("s.key_tonic = " + st.typed(std::to_string(r.key->first), "smallint") +
                    " AND s.key_mode = " + st.typed(r.key->second ? "minor" : "major", "text"));
    }
    if (r.time_signature) {
        c.push_back("s.time_signature = " + st.typed(*r.time_signature, "text"));
    }
    if (r.duration) {
        c.push_back("s.duration_seconds BETWEEN " + st.typed(number(r.duration->first), "real") + " AND " +
                    st.typed(number(r.duration->second), "real"));
    }
    if (r.tracks) {
        c.push_back("s.track_count BETWEEN " + st.typed(std::to_string(r.tracks->first), "int") + " AND " +
                    st.typed(std::to_string(r.tracks->second), "int"));
    }
    if (r.drums) {
        c.push_back("s.has_drums = " + st.typed(*r.drums ? "true" : "false", "boolean"));
    }
    if (r.instrument) {
        std::vector<std::string> words;
        std::string w;
        for (char const ch : *r.instrument + " ") {
            if (std::isalnum(static_cast<unsigned char>(ch)) != 0) {
                w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            } else if (!w.empty()) {
                words.push_back(w);
                w.clear();
            }
        }
        if (words.empty()) {
            throw std::invalid_argument{"--instrument needs a word, such as piano or strings"};
        }
        c.push_back("s.instrument_words @> " + st.value(st.text_array(words)));
    }
    if (r.folder) {
        std::string prefix = *r.folder;
        if (prefix.empty()) {
            throw std::invalid_argument{"--folder needs a folder"};
        }
        if (prefix.back() != '/') {
            prefix += '/';
        }
        std::string upper = prefix;
        upper.back() = static_cast<char>(upper.back() + 1); // "/" -> "0": every path below, in byte order
        c.push_back("s.file_id IN (SELECT file_id FROM midi_file_paths WHERE path >= " + st.typed(prefix, "text") +
                    " AND path < " + st.typed(upper, "text") + ")");
    }
    std::string out;
    for (auto const &x : c) {
        out += (out.empty() ? "" : " AND ") + x;
    }
    return out.empty() ? "true" : out;
}

namespace {

/**
 * The ranked text search: the first SEARCH_CANDIDATES files whose document matches @p query and that
 * pass @p facets, ranked by ts_rank_cd, from @p page on, @p limit of them. @p with is empty or a
 * WITH clause that defines q (then @p query is "q.query"). How the candidates are found:
 * - text_access::facet_rows (with facets): the match is written as the function behind @@, which
 *   no index serves, so the facets' indexes find the rows and the word is checked on each;
 * - text_access::word_index with @p facets_on_word_rows: the word's index finds the rows, and the
 *   facets are checked on each, above a fence (OFFSET 0) that keeps them out of the scan: a plan
 *   made once for any value cannot weigh a facet's index against the word's, so it reads one;
 * - text_access::word_index otherwise: as the planner likes (both indexes, or either).
 */
std::string ranked_hits(std::string const &with, std::string const &query, std::string const &facets,
                        std::string const &page, int limit, text_access access = text_access::word_index,
                        bool facets_on_word_rows = false)
{
    std::string const q = with.empty() ? "" : ", q";
    std::string from = "file_search s" + q;
    std::string where;
    if (access == text_access::facet_rows && facets != "true") {
        where = "ts_match_vq(s.document, " + query + ") AND " + facets;
    } else if (facets_on_word_rows && facets != "true") {
        from = "(SELECT s.* FROM file_search s" + q + " WHERE s.document @@ " + query + " OFFSET 0) s" + q;
        where = facets;
    } else {
        where = "s.document @@ " + query + " AND " + facets;
    }
    return fmt::format("{0} SELECT * FROM (SELECT {1}, ts_rank_cd(s.document, {2}) AS rank"
                       " FROM {3} WHERE {4} LIMIT {5}) r"
                       " WHERE {6} ORDER BY r.rank DESC, r.file_id LIMIT {7}",
                       with, HIT_COLUMNS, query, from, where, SEARCH_CANDIDATES, page, limit);
}

/// The column that orders a search without text: the leading facet's index gives the rows in its
/// order. "" for file_id order.
std::string order_column(search_request const &r)
{
    if (r.key || r.time_signature || r.drums) {
        return {}; // equality on the index's leading columns: file_id order comes with it
    }
    if (r.bpm) {
        return "s.tempo_bpm";
    }
    if (r.duration) {
        return "s.duration_seconds";
    }
    if (r.tracks) {
        return "s.track_count";
    }
    return {};
}

/// The search without text: facets alone, in the order of order_column(), from @p after on.
std::string facet_hits(search_request const &r, std::string const &facets, std::optional<cursor> const &after,
                       search_params &st)
{
    auto const column = order_column(r);
    std::string page = "true";
    if (after) {
        if (after->kind != page_order(r) || (column == "s.track_count" && !is_int(after->value))) {
            throw std::invalid_argument{"--after: this cursor belongs to another search"};
        }
        auto const id = st.param(std::to_string(after->id)) + "::bigint";
        page = column.empty() ? "s.file_id > " + id
                              : "(" + column + ", s.file_id) > (" + st.param(after->value) +
                                    "::" + (column == "s.track_count" ? "int" : "real") + ", " + id + ")";
    }
    std::string const order_by = column.empty() ? "s.file_id" : column + ", s.file_id";
    std::string const extra = column.empty() ? "" : ", 0::real, " + column;
    // The page's ids first, then their rows: every covering index holds every facet column, so
    // the ids come from an index-only scan that filters inside the index, and only the page's
    // rows are read. Read whole, a rare pair of facets that no index orders walked the file_id
    // index through the table ("6/8 with drums", 1,105 of 1,000,000 files: 9.8 ms, now 0.65 ms).
    return fmt::format("SELECT {0}{1} FROM file_search s WHERE s.file_id IN"
                       " (SELECT s.file_id FROM file_search s WHERE {2} AND {3} ORDER BY {4} LIMIT {5})"
                       " ORDER BY {4} LIMIT {5}",
                       HIT_COLUMNS, extra, facets, page, order_by, r.limit);
}

} // namespace

sql_statement search_statement(search_request const &request, text_access access)
{
    search_request const r = normalized(request);
    if (r.limit < 1 || r.limit > 10000) {
        throw std::invalid_argument{"--limit must be between 1 and 10000"};
    }
    search_params st;
    bool const prepared_text = has_text(r.text) && !planned_per_call(r);
    if (prepared_text) {
        st.values_in_q(); // one generic plan for every value: text_access says which index it reads
    }
    std::string const facets = facet_conditions(r, st);
    std::optional<cursor> after;
    if (!r.after.empty()) {
        after = parse_cursor(r.after);
    }
    std::string const query = tsquery_expression(r.text, st);
    if (query.empty()) {
        auto sql = facet_hits(r, facets, after, st);
        return {std::move(sql), st.params()};
    }
    std::string page = "true";
    if (after) {
        if (after->kind != cursor_kind::rank) {
            throw std::invalid_argument{"--after: this cursor belongs to a search without text"};
        }
        auto const rank = st.param(after->value);
        page = "(r.rank < " + rank + "::real OR (r.rank = " + rank + "::real AND r.file_id > " +
               st.param(std::to_string(after->id)) + "::bigint))";
    }
    // Prepared once, the query is built once per call in a CTE, not once per ranked row, and
    // the facets' values are there too. Planned with the values, the query is written out
    // where it is used: a constant whose words the planner weighs against the facets'.
    auto sql = prepared_text
                   ? ranked_hits("WITH q AS MATERIALIZED (SELECT " + query + " AS query" + st.q_columns() + ")",
                                 "q.query", facets, page, r.limit, access, true)
                   : ranked_hits("", query, facets, page, r.limit, access);
    return {std::move(sql), st.params()};
}

bool planned_per_call(search_request const &r) { return r.folder || facet_count(r) > 1; }

bool chooses_text_access(search_request const &r) { return has_text(r.text) && (r.folder || facet_count(r) > 0); }

cursor_kind page_order(search_request const &r)
{
    if (has_text(r.text)) {
        return cursor_kind::rank;
    }
    return order_column(r).empty() ? cursor_kind::id : cursor_kind::value;
}

sql_statement text_access_estimate(search_request const &request, std::string const &table)
{
    search_request const r = normalized(request);
    search_params st;
    std::string const facets = facet_conditions(r, st);
    std::string const query = tsquery_expression(r.text, st);
    auto sql = fmt::format("EXPLAIN (FORMAT JSON) SELECT 1 FROM {0} s WHERE {1}"
                           " UNION ALL SELECT 1 FROM {0} s WHERE s.document @@ {2}",
                           table, facets, query);
    return {std::move(sql), st.params()};
}

std::optional<sql_statement> fuzzy_statement(search_request const &request)
{
    search_request const r = normalized(request);
    if (!has_text(r.text) || r.text.size() > MAX_FUZZY_BYTES || !r.after.empty()) {
        return std::nullopt;
    }
    // Each word is matched against the vocabulary of file names (search_words, trigram index),
    // and the library is searched for the similar words: the cost follows the vocabulary, not the
    // library. A text without a word to guess (punctuation, only exclusions) gets no guess.
    auto const words = fallback_words(r.text);
    if (words.words.empty()) {
        return std::nullopt;
    }
    search_params st;
    std::string const facets = facet_conditions(r, st);
    std::string const list = st.text_array(words.words);
    std::string const excluded = st.text_array(words.excluded);
    auto sql = ranked_hits(
        fmt::format(
            "WITH alternatives AS ("
            "  SELECT q.n, string_agg(quote_literal(v.word), ' | ') AS alt"
            "  FROM unnest({0}) WITH ORDINALITY AS q(w, n)"
            "  CROSS JOIN LATERAL (SELECT word FROM search_words WHERE word % q.w"
            "                      ORDER BY similarity(word, q.w) DESC, word LIMIT {1}) AS v"
            "  GROUP BY q.n),"
            " q AS MATERIALIZED (SELECT to_tsquery('midilib_names', string_agg('(' || alt || ')', ' & ' ORDER BY n)"
            "                    || coalesce((SELECT string_agg(' & !' || quote_literal(x), '') FROM unnest({2}) AS x), ''))"
            "                    AS query FROM alternatives)",
            list, FUZZY_ALTERNATIVES, excluded),
        "q.query", facets, "true", r.limit);
    return sql_statement{std::move(sql), st.params()};
}

} // namespace midilib
