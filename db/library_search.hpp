#pragma once
/// Runs searches over the library: the statements of search_sql.hpp, prepared once where one plan
/// serves every value, the text_access chosen from the planner's estimates, keyset pages, and the
/// typo fallback when a text finds nothing. See docs/search.md.

#include "db/search_sql.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace midilib {

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
    double rank = 0.0;  ///< text relevance (ts_rank_cd, or trigram similarity for fuzzy hits)
    std::string cursor; ///< pass as `after` for the hits that follow this one
};

/// The hit in the first columns of @p row (HIT_COLUMNS), without rank or cursor.
search_hit hit_of_row(pqxx::row const &row);

/// One page of hits.
struct search_page
{
    std::vector<search_hit> hits;
    bool fuzzy = false; ///< the text matched nothing; these are file names similar to it (typos)
};

/**
 * Searches on one connection, keeping each statement shape prepared (parsed once), for
 * clients that run many searches.
 */
class library_searcher
{
public:
    explicit library_searcher(pqxx::connection &cx);

    /**
     * Runs @p request: full text over a capped candidate set ranked by ts_rank_cd, or facets
     * alone in index order; keyset pagination; a trigram fallback when the text finds nothing.
     * \throws std::invalid_argument for a malformed cursor or filter.
     */
    search_page find(search_request const &request);

private:
    /// How to read a text with facets (see text_access), from the planner's estimates.
    text_access choose_text_access(search_request const &request);

    /// Runs @p statement, prepared once per connection unless @p per_call.
    pqxx::result run(sql_statement const &statement, bool per_call);

    pqxx::connection &m_cx;
    std::map<std::string, std::string> m_prepared; ///< statement text -> prepared name
    std::string m_sample_table; ///< one partition of file_search, for row estimates ("" until needed)
};

/// One search on @p cx (a library_searcher for one request).
search_page search_library(pqxx::connection &cx, search_request const &request);

} // namespace midilib
