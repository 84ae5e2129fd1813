#pragma once
/// Search over the library: full text on the weighted tsvector of file_search, facet filters
/// on covering indexes, ranking of a capped candidate set, keyset pages, and a trigram fallback
/// on file names. search_statement() builds the SQL and its parameters; search_library() runs it.
/// See docs/search.md.

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace midilib {

/// What `midilib search` asks for. Every field is optional; an empty request lists the library.
struct search_request
{
    std::string text;  ///< websearch syntax: words, "quoted phrases", -exclusion, or; the last word is a prefix
    std::optional<std::pair<double, double>> bpm;      ///< tempo range, inclusive
    std::optional<std::pair<double, double>> duration; ///< seconds, inclusive
    std::optional<std::pair<int, int>> tracks;         ///< track count range
    std::optional<std::pair<int, bool>> key;           ///< tonic 0..11 (C = 0), minor
    std::optional<std::string> time_signature;         ///< "3/4"
    std::optional<std::string> instrument;             ///< words of a GM program or family name ("piano")
    std::optional<std::string> folder;                 ///< absolute folder prefix (or archive path)
    std::optional<bool> drums;                         ///< has drums / has none
    int limit = 20;
    std::string after;                                 ///< a hit's cursor: the page after it
};

/// One file found.
struct search_hit
{
    std::int64_t id = 0;
    std::string path;
    double duration_seconds = 0.0;
    double tempo_bpm = 0.0;
    std::string key_name;       ///< "" when none
    std::string time_signature; ///< "" when none
    std::int64_t tracks = 0;
    bool drums = false;
    double rank = 0.0;          ///< text relevance (ts_rank_cd, or trigram similarity for fuzzy hits)
    std::string cursor;         ///< pass as `after` for the hits that follow this one
};

struct search_page
{
    std::vector<search_hit> hits;
    bool fuzzy = false; ///< the text matched nothing; these are file names similar to it (typos)
};

/// Candidates ranked per text query: the first 150 matches in index order are ranked, so a
/// common word does not rank a hundred thousand rows. What a search costs follows this number
/// (each candidate is a document fetched, checked and ranked, and a narrow facet checks many rows
/// per candidate): at 1,000,000 files, 8 clients, 300 candidates gave 1,475-1,478 queries/s and
/// p95 15.0-15.1 ms, 150 gave 2,422-2,491 and 7.7-8.4 ms. What it costs in ranking, against
/// ranking every match (25 searches: words, prefixes, pairs, phrases, words with a facet): the
/// top 20 hold as many of the best-ranked files as with 300 (0.34 of them against 0.35; most
/// searches match far more files than any cap) and 96 % of their rank (0.77 against 0.79).
/// docs/search.md has the table.
constexpr int SEARCH_CANDIDATES = 150;

/**
 * How a search with text and facets finds its candidates.
 * - word_index: the text's GIN index (with the facets' indexes, as the planner likes).
 * - facet_rows: the facets' indexes only; the text is checked on each of their rows.
 * The planner costs the first too low when the word is common and the facet narrow: it does not
 * count decoding the word's posting list, which it does in every partition that it reads until it
 * has its candidates ("rock" in B-flat minor: 7 partitions, 11 ms; the key's rows checked for the
 * word: 1.9 ms). library_searcher picks by the planner's row estimates (docs/search.md).
 */
enum class text_access { word_index, facet_rows };

/**
 * Searches on one connection, keeping each statement shape prepared (parsed once), for
 * clients that run many searches.
 */
class library_searcher
{
public:
    explicit library_searcher(pqxx::connection &cx);

    /// Runs @p request: full text over a capped candidate set ranked by ts_rank_cd, or facets
    /// alone in index order; keyset pagination; a trigram fallback when the text finds nothing.
    /// \throws std::invalid_argument for a malformed cursor or filter.
    search_page find(search_request const &request);

private:
    /// How to read a text with facets (see text_access), from the planner's estimates.
    text_access choose_text_access(search_request const &request);

    pqxx::connection &m_cx;
    std::map<std::string, std::string> m_prepared; ///< statement text -> prepared name
    std::string m_sample_table; ///< one partition of file_search, for row estimates ("" until needed)
};

/// One search on @p cx (a library_searcher for one request).
search_page search_library(pqxx::connection &cx, search_request const &request);

/// The statement and parameters @p request runs (the text query, not the fallback), for EXPLAIN;
/// @p access matters only for a text with facets.
std::pair<std::string, std::vector<std::string>> search_statement(search_request const &request,
                                                                  text_access access = text_access::word_index);

/// True when the best plan for @p request depends on its values, so that it is planned with them
/// on every call instead of prepared once: a folder (paths, in another table), or two facets or
/// more. How many files each facet holds ("2/4 with drums": 220 of 1,000,000; "4/4": 650,000)
/// decides which index to read first, and a plan made once for any value read 16,000 rows of the
/// wrong one for 20 hits. One facet has one index to read, whatever its value, and a text with
/// one facet reads the index that text_access names: planning them on every call cost more
/// than their execution (one facet alone: 0.5 against 0.25 ms at 1,000,000 files).
bool planned_per_call(search_request const &request);

/// Parses "A minor", "F# major", "Bb", "c#m" into (tonic, minor); nothing when it is not a key.
std::optional<std::pair<int, bool>> parse_key(std::string const &text);

} // namespace midilib
