#include "db/library_search.hpp"

#include "db/sql_text.hpp"
#include "smf/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

namespace midilib {

namespace {

/// A text with facets is read through the facets' rows when the planner expects more than this
/// many times as many rows for the text as for the facets (text_access). Measured at 1,000,000
/// generated files, EXPLAIN ANALYZE, both ways, 3 words x 4 facets: at a ratio of 1.7 and 3.4 the
/// text index was faster (2.2 against 2.8 ms, 2.4 against 2.8); at 2.3 and 2.7 the facets'
/// rows (4.2 against 3.3, 2.0 against 1.5); from 4.5 up the facets' rows, 1.3-6x (11 against 1.9 ms).
constexpr double TEXT_TO_FACET_ROWS = 2.0;

/// Trigram similarity below which a word of the file names is not offered as a typo fix
/// (pg_trgm's own default: "housse" finds "house" at 0.62, "amazinggrase" "amazinggrace" at 0.6).
constexpr char const *FUZZY_THRESHOLD = "0.3";

/// Words of the file names tried for each word of the text, the most similar first.
constexpr int FUZZY_ALTERNATIVES = 5;

/// Words of the text the typo fallback looks at: a guess for a sentence is no typo fix.
constexpr std::size_t MAX_FUZZY_WORDS = 8;

constexpr char const *HIT_COLUMNS =
    "s.file_id, s.path, s.duration_seconds, s.tempo_bpm, coalesce(s.key_name, '') AS key_name,"
    " coalesce(s.time_signature, '') AS time_signature, s.track_count, coalesce(s.has_drums, false) AS has_drums";


/// Builds a statement with numbered parameters.
class statement
{
public:
    std::string param(std::string value)
    {
        m_params.push_back(std::move(value));
        return fmt::format("${}", m_params.size()); // not "$" + to_string(): GCC 12 warns (-Wrestrict) at -O2
    }
    /// "ARRAY[$n, ...]::text[]" with one parameter per value.
    std::string text_array(std::vector<std::string> const &values)
    {
        std::string list;
        for (auto const &v : values) {
            list += (list.empty() ? "" : ", ") + param(v);
        }
        return "ARRAY[" + list + "]::text[]";
    }
    /**
     * A value the conditions compare with (a typed parameter, such as "$3::real"): written as is,
     * or, once values_in_q() is set, as a column of the one-row CTE q ("q.v1"), where the
     * planner does not see it (see values_in_q()).
     */
    std::string value(std::string expression)
    {
        if (!m_values_in_q) {
            return expression;
        }
        m_q_columns += fmt::format(", {} AS v{}", expression, ++m_q_values);
        return fmt::format("q.v{}", m_q_values);
    }
    /**
     * From now on value() puts the values in q. A statement prepared once gets PostgreSQL's
     * generic plan only when that plan costs no more than those it made for the first values:
     * where the planner cannot see the values, every plan is the generic one.
     */
    void values_in_q() { m_values_in_q = true; }
    /// value() of a new parameter cast to @p type: "$3::real", or "q.v1".
    std::string typed(std::string v, char const *type) { return value(param(std::move(v)) + "::" + type); }
    /// ", <expression> AS v1, ..." for q's select list.
    std::string const &q_columns() const { return m_q_columns; }
    std::vector<std::string> &params() { return m_params; }

private:
    std::vector<std::string> m_params;
    bool m_values_in_q = false;
    int m_q_values = 0;
    std::string m_q_columns;
};

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

/// True when @p text is a decimal number within the range of a real, as PostgreSQL prints one
/// ("120.5", "0.1", "1e-05"): no blanks, hex, inf or nan, which the server would read
/// differently or refuse.
bool is_real(std::string const &text)
{
    if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
        return false;
    }
    float v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size();
}

/// True when @p text is a whole number within the range of an int.
bool is_int(std::string const &text)
{
    int v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

/// The facet conditions on file_search s, ANDed ("true" when none).
std::string facet_conditions(search_request const &r, statement &st)
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
        c.push_back("s.duration_seconds BETWEEN " + st.typed(number(r.duration->first), "real") +
                    " AND " + st.typed(number(r.duration->second), "real"));
    }
    if (r.tracks) {
        c.push_back("s.track_count BETWEEN " + st.typed(std::to_string(r.tracks->first), "int") +
                    " AND " + st.typed(std::to_string(r.tracks->second), "int"));
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
        c.push_back("s.file_id IN (SELECT file_id FROM midi_file_paths WHERE path >= " +
                    st.typed(prefix, "text") + " AND path < " + st.typed(upper, "text") + ")");
    }
    std::string out;
    for (auto const &x : c) {
        out += (out.empty() ? "" : " AND ") + x;
    }
    return out.empty() ? "true" : out;
}

/// True when a (normalized) search text holds more than blanks: a text search, not a facet list.
bool has_text(std::string const &text) { return text.find_first_not_of(" \t") != std::string::npos; }

/// Words of a text for the typo fallback: those to guess, and those excluded ("-drums").
struct fallback_text
{
    std::vector<std::string> words;    ///< each matched against the vocabulary of file names
    std::vector<std::string> excluded; ///< kept out of the results as written, not guessed
};

/**
 * The words the typo fallback looks for, as search_words holds them: runs of ASCII letters and
 * digits (and any non-ASCII bytes), lower case, at most 64 bytes, the first MAX_FUZZY_WORDS of
 * each kind. The operator "or" is no word to guess.
 */
fallback_text fallback_words(std::string const &text)
{
    fallback_text out;
    std::string w;
    bool excluded = false;
    auto const flush = [&] {
        auto &to = excluded ? out.excluded : out.words;
        if (!w.empty() && w != "or" && w.size() <= 64 && to.size() < MAX_FUZZY_WORDS) {
            to.push_back(w);
        }
        w.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (std::isalnum(c) != 0 || c >= 0x80) {
            if (w.empty()) {
                excluded = i > 0 && text[i - 1] == '-' && (i == 1 || text[i - 2] == ' ' || text[i - 2] == '\t');
            }
            w += static_cast<char>(std::tolower(c));
        } else {
            flush();
        }
    }
    flush();
    return out;
}

/// The text query as SQL: websearch syntax, the last word as a prefix while it is being typed.
std::string tsquery_expression(std::string const &text, statement &st)
{
    if (!has_text(text)) {
        return {};
    }
    auto const end = text.find_last_not_of(" \t");
    auto const start = text.find_last_of(" \t", end) == std::string::npos ? 0 : text.find_last_of(" \t", end) + 1;
    std::string const last = text.substr(start, end - start + 1);
    bool const in_quotes = std::count(text.begin(), text.end(), '"') % 2 == 1 || last.find('"') != std::string::npos;
    bool const typing = std::isalnum(static_cast<unsigned char>(text[end])) != 0 ||
                        static_cast<unsigned char>(text[end]) >= 0x80;
    bool const operator_word = last[0] == '-' || last == "or" || last == "OR";
    if (!typing || in_quotes || operator_word) {
        return "websearch_to_tsquery('midilib_names', " + st.param(text) + ")";
    }
    std::string head = text.substr(0, start);
    std::string const prefix = "to_tsquery('midilib_names', quote_literal(" + st.param(last) + ") || ':*')";
    // "a or b": the last word is an alternative, not one more word to match.
    char const *join = " && ";
    auto const head_end = head.find_last_not_of(" \t");
    if (head_end != std::string::npos && head_end >= 1) {
        auto const word_start = head.find_last_of(" \t", head_end);
        auto const word = head.substr(word_start == std::string::npos ? 0 : word_start + 1,
                                      head_end - (word_start == std::string::npos ? 0 : word_start + 1) + 1);
        if (word == "or" || word == "OR") {
            head.erase(word_start == std::string::npos ? 0 : word_start);
            join = " || ";
        }
    }
    if (head.find_first_not_of(" \t") == std::string::npos) {
        return prefix;
    }
    return "(websearch_to_tsquery('midilib_names', " + st.param(head) + ")" + join + prefix + ")";
}

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

/// A cursor "kind:value:id" split and checked: kind r (rank), v (value), i (id only).
struct cursor
{
    char kind = 'i';
    std::string value;
    std::int64_t id = 0;
};

cursor parse_cursor(std::string const &text)
{
    cursor c;
    auto const first = text.find(':');
    auto const last = text.rfind(':');
    try {
        if (first != 1 || last == first || (text[0] != 'r' && text[0] != 'v' && text[0] != 'i')) {
            throw std::invalid_argument{"format"};
        }
        c.kind = text[0];
        auto const id = text.substr(last + 1);
        std::size_t used = 0;
        c.id = std::stoll(id, &used);
        if (used != id.size()) {
            throw std::invalid_argument{"id"};
        }
        c.value = text.substr(first + 1, last - first - 1);
        if (c.kind == 'i') { // "i::<id>": no value
            if (!c.value.empty()) {
                throw std::invalid_argument{"value"};
            }
        } else if (!is_real(c.value)) { // the server would refuse it, or read it otherwise
            throw std::invalid_argument{"value"};
        }
    } catch (std::exception const &) {
        throw std::invalid_argument{"--after: not a cursor printed by midilib search: " + text.substr(0, 64)};
    }
    return c;
}

/// Facet-only order: the leading facet's index gives the rows in order.
struct facet_order
{
    std::string column; ///< "" for file_id order
};

facet_order choose_order(search_request const &r)
{
    if (r.key || r.time_signature || r.drums) {
        return {}; // equality on the index's leading columns: file_id order comes with it
    }
    if (r.bpm) {
        return {"s.tempo_bpm"};
    }
    if (r.duration) {
        return {"s.duration_seconds"};
    }
    if (r.tracks) {
        return {"s.track_count"};
    }
    return {};
}

std::vector<search_hit> read_hits(pqxx::result const &rows, char kind, std::string const &order_column)
{
    std::vector<search_hit> hits;
    for (auto const &row : rows) {
        search_hit h;
        h.id = row[0].as<std::int64_t>();
        h.path = row[1].as<std::string>();
        h.duration_seconds = row[2].as<double>();
        h.tempo_bpm = row[3].as<double>();
        h.key_name = row[4].as<std::string>();
        h.time_signature = row[5].as<std::string>();
        h.tracks = row[6].as<std::int64_t>();
        h.drums = row[7].as<bool>();
        h.rank = row.size() > 8 ? row[8].as<double>() : 0.0;
        if (kind == 'r') {
            h.cursor = "r:" + row[8].as<std::string>() + ":" + std::to_string(h.id);
        } else if (!order_column.empty()) {
            h.cursor = "v:" + row[9].as<std::string>() + ":" + std::to_string(h.id);
        } else {
            h.cursor = "i::" + std::to_string(h.id);
        }
        hits.push_back(std::move(h));
    }
    return hits;
}

} // namespace

namespace {

/// Longest query text taken, in bytes: a hundred words or more. Longer text is refused with a
/// sentence rather than handed to PostgreSQL as a tsquery of hundreds of terms. Measured on a
/// library of 54,517 files (docs/hostile-input.md): at 1,000 bytes the slowest text (words
/// joined by "or") takes 0.15 s; at 4,096 bytes 5.4 s; 16 KiB of it took 18 s on 4,517 files;
/// 1 MiB fails in the server ("stack depth limit exceeded") after seconds.
constexpr std::size_t MAX_QUERY_BYTES = 1000;

/// Longest facet text (folder, instrument words, time signature, cursor): a path's length
/// (PATH_MAX). Each instrument word is a parameter: a megabyte of them would pass libpq's limit.
constexpr std::size_t MAX_FACET_BYTES = 4096;

/// Longest text offered the typo fallback: a few words. pg_trgm's word similarity of a long text
/// reads most of the trigram index (5.7 s for 1,000 bytes of unknown words on 54,517 files, 8 ms
/// at 256 and 4 ms at 128), and a text that long is not one mistyped name.
constexpr std::size_t MAX_FUZZY_BYTES = 128;

/**
 * The request as PostgreSQL may receive it. Text from the command line is bytes: like text
 * inside files, what is not UTF-8 is decoded as Windows-1252 and NUL bytes are dropped (libpq
 * would otherwise cut a parameter at the NUL, and the server rejects invalid UTF-8). Text longer
 * than the caps, and a range with a NaN end, are refused with a sentence.
 */
search_request normalized(search_request r)
{
    // Decoded first, so that the caps count what is sent and a normalized request stays valid.
    r.text = to_utf8(r.text);
    r.after = to_utf8(r.after);
    for (auto *o : {&r.time_signature, &r.instrument, &r.folder}) {
        if (*o) {
            **o = to_utf8(**o);
        }
    }
    if (r.text.size() > MAX_QUERY_BYTES) {
        throw std::invalid_argument{fmt::format("the query is {} bytes long; midilib search takes up to {}",
                                                r.text.size(), MAX_QUERY_BYTES)};
    }
    for (auto const &[value, name] :
         {std::pair{std::optional{r.after}, "--after"}, std::pair{r.time_signature, "--ts"},
          std::pair{r.instrument, "--instrument"}, std::pair{r.folder, "--folder"}}) {
        if (value && value->size() > MAX_FACET_BYTES) {
            throw std::invalid_argument{fmt::format("{} is {} bytes long; midilib search takes up to {}", name,
                                                    value->size(), MAX_FACET_BYTES)};
        }
    }
    for (auto const &[range, name] : {std::pair{&r.bpm, "--bpm"}, std::pair{&r.duration, "--duration"}}) {
        if (*range && (std::isnan((*range)->first) || std::isnan((*range)->second))) {
            throw std::invalid_argument{fmt::format("{}: a range of two numbers, such as 120-130", name)};
        }
    }
    return r;
}

} // namespace

std::pair<std::string, std::vector<std::string>> search_statement(search_request const &request, text_access access)
{
    search_request const r = normalized(request);
    if (r.limit < 1 || r.limit > 10000) {
        throw std::invalid_argument{"--limit must be between 1 and 10000"};
    }
    statement st;
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
    std::string sql;
    if (!query.empty()) {
        std::string page = "true";
        if (after) {
            if (after->kind != 'r') {
                throw std::invalid_argument{"--after: this cursor belongs to a search without text"};
            }
            auto const rank = st.param(after->value);
            page = "(r.rank < " + rank + "::real OR (r.rank = " + rank + "::real AND r.file_id > " +
                   st.param(std::to_string(after->id)) + "::bigint))";
        }
        // Prepared once, the query is built once per call in a CTE, not once per ranked row, and
        // the facets' values are there too. Planned with the values, the query is written out
        // where it is used: a constant whose words the planner weighs against the facets'.
        sql = prepared_text ? ranked_hits("WITH q AS MATERIALIZED (SELECT " + query + " AS query" + st.q_columns() + ")",
                                          "q.query", facets, page, r.limit, access, true)
                            : ranked_hits("", query, facets, page, r.limit, access);
        return {sql, st.params()};
    }
    auto const order = choose_order(r);
    std::string page = "true";
    if (after) {
        if (after->kind == 'r' || (after->kind == 'v') != !order.column.empty() ||
            (order.column == "s.track_count" && !is_int(after->value))) {
            throw std::invalid_argument{"--after: this cursor belongs to another search"};
        }
        auto const id = st.param(std::to_string(after->id)) + "::bigint";
        page = order.column.empty() ? "s.file_id > " + id
                                    : "(" + order.column + ", s.file_id) > (" + st.param(after->value) + "::" +
                                          (order.column == "s.track_count" ? "int" : "real") + ", " + id + ")";
    }
    std::string const order_by = order.column.empty() ? "s.file_id" : order.column + ", s.file_id";
    std::string const extra = order.column.empty() ? "" : ", 0::real, " + order.column;
    // The page's ids first, then their rows: every covering index holds every facet column, so
    // the ids come from an index-only scan that filters inside the index, and only the page's
    // rows are read. Read whole, a rare pair of facets that no index orders walked the file_id
    // index through the table ("6/8 with drums", 1,105 of 1,000,000 files: 9.8 ms, now 0.65 ms).
    sql = fmt::format("SELECT {0}{1} FROM file_search s WHERE s.file_id IN"
                      " (SELECT s.file_id FROM file_search s WHERE {2} AND {3} ORDER BY {4} LIMIT {5})"
                      " ORDER BY {4} LIMIT {5}",
                      HIT_COLUMNS, extra, facets, page, order_by, r.limit);
    return {sql, st.params()};
}

namespace {

/// The facets of @p r, the folder aside.
int facet_count(search_request const &r)
{
    return r.bpm.has_value() + r.key.has_value() + r.time_signature.has_value() + r.duration.has_value() +
           r.tracks.has_value() + r.drums.has_value() + r.instrument.has_value();
}

} // namespace

bool planned_per_call(search_request const &r) { return r.folder || facet_count(r) > 1; }

library_searcher::library_searcher(pqxx::connection &cx) : m_cx(cx) {}

search_page search_library(pqxx::connection &cx, search_request const &r)
{
    return library_searcher{cx}.find(r);
}

search_page library_searcher::find(search_request const &request)
{
    search_request const r = normalized(request); // the typo fallback below uses it too
    auto &cx = m_cx;
    bool const text = has_text(r.text);
    auto const access = text && (r.folder || facet_count(r) > 0) ? choose_text_access(r) : text_access::word_index;
    auto const [sql, params] = search_statement(r, access);
    search_page page;
    pqxx::result rows;
    if (planned_per_call(r)) {
        pqxx::nontransaction one{cx};
        log_sql("search", sql);
        rows = one.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    } else {
        // A text, or one facet, or a text with one facet: one plan serves every value (the
        // text index; the facet's; the one text_access names), so the statement is prepared once
        // per connection, and PostgreSQL keeps its generic plan: planning the partitions of
        // file_search (migrations 0011, 0013) on each call cost more than it chose better
        // (docs/search.md).
        // Named by the statement, not by a count: another searcher on this connection (each
        // search_library() call is one) may have prepared other statements under the same count.
        auto [it, added] =
            m_prepared.try_emplace(sql, fmt::format("midilib_search_{:016x}", std::hash<std::string>{}(sql)));
        if (added) {
            cx.prepare(it->second, sql);
        }
        pqxx::nontransaction one{cx}; // a single statement: no BEGIN/COMMIT round trips
        log_sql("search", sql);
        rows = one.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(params));
    }
    page.hits = read_hits(rows, text ? 'r' : 'v', text ? "" : choose_order(r).column);
    if (page.hits.empty() && text && r.text.size() <= MAX_FUZZY_BYTES && r.after.empty()) {
        // Nothing: perhaps a typo. Each word is matched against the vocabulary of file names
        // (search_words, trigram index), and the library is searched for the similar words:
        // the cost follows the vocabulary, not the library. A text without a word to guess
        // (punctuation, only exclusions) gets no guess.
        auto const words = fallback_words(r.text);
        if (!words.words.empty()) {
            pqxx::read_transaction tx{cx};
            statement st;
            std::string const facets = facet_conditions(r, st);
            std::string const list = st.text_array(words.words);
            std::string const excluded = st.text_array(words.excluded);
            std::string const fuzzy = ranked_hits(
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
            tx.exec(std::string{"SET LOCAL pg_trgm.similarity_threshold = "} + FUZZY_THRESHOLD);
            log_sql("search", fuzzy);
            page.hits = read_hits(tx.exec_params(fuzzy, pqxx::prepare::make_dynamic_params(st.params())), 'r', "");
            for (auto &h : page.hits) {
                h.cursor.clear(); // a typo list has one page
            }
            page.fuzzy = !page.hits.empty();
        }
    }
    return page;
}

text_access library_searcher::choose_text_access(search_request const &r)
{
    pqxx::nontransaction one{m_cx};
    if (m_sample_table.empty()) {
        // One partition is enough: each holds a random share of the library (a hash of
        // file_id), and planning one costs a fraction of planning them all. The largest (the
        // one nearest the root: half the library, migration 0013) gives the finest estimates.
        // Not partitioned: the table.
        m_sample_table = one.exec("SELECT relid::regclass::text FROM pg_partition_tree('file_search'::regclass)"
                                  " WHERE isleaf ORDER BY level, relid LIMIT 1")[0][0].as<std::string>();
    }
    statement st;
    std::string const facets = facet_conditions(r, st);
    std::string const query = tsquery_expression(r.text, st);
    std::string const sql = fmt::format("EXPLAIN (FORMAT JSON) SELECT 1 FROM {0} s WHERE {1}"
                                        " UNION ALL SELECT 1 FROM {0} s WHERE s.document @@ {2}",
                                        m_sample_table, facets, query);
    log_sql("search", sql);
    auto const row = one.exec_params(sql, pqxx::prepare::make_dynamic_params(st.params()));
    try {
        auto const plan = nlohmann::json::parse(row[0][0].c_str());
        auto const &branches = plan.at(0).at("Plan").at("Plans");
        auto const facet_rows = branches.at(0).at("Plan Rows").get<double>();
        auto const text_rows = branches.at(1).at("Plan Rows").get<double>();
        return text_rows > TEXT_TO_FACET_ROWS * facet_rows ? text_access::facet_rows : text_access::word_index;
    } catch (nlohmann::json::exception const &) {
        // Another shape (a branch proven empty is left out of the plan): the planner chooses.
        return text_access::word_index;
    }
}

std::optional<std::pair<int, bool>> parse_key(std::string const &text)
{
    static constexpr std::array<std::pair<char, int>, 7> LETTERS{
        {{'c', 0}, {'d', 2}, {'e', 4}, {'f', 5}, {'g', 7}, {'a', 9}, {'b', 11}}};
    std::string t;
    for (char const c : text) {
        if (c != ' ') {
            t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (t.empty()) {
        return std::nullopt;
    }
    auto const letter = std::find_if(LETTERS.begin(), LETTERS.end(), [&](auto const &l) { return l.first == t[0]; });
    if (letter == LETTERS.end()) {
        return std::nullopt;
    }
    int tonic = letter->second;
    std::size_t i = 1;
    if (i < t.size() && (t[i] == '#' || t[i] == 'b')) { // no mode word starts with b: "bb" is B flat
        tonic = (tonic + (t[i] == '#' ? 1 : 11)) % 12;
        ++i;
    }
    auto const rest = t.substr(i);
    if (rest.empty() || rest == "major" || rest == "maj") {
        return std::pair{tonic, false};
    }
    if (rest == "minor" || rest == "min" || rest == "m") {
        return std::pair{tonic, true};
    }
    return std::nullopt;
}

} // namespace midilib
