#pragma once
/// The SQL of a search, built from a search_request: statement text and parameters, no server
/// needed. library_searcher runs it; docs/search.md explains the plans it aims for.

#include "db/search_cursor.hpp"
#include "db/search_params.hpp"
#include "db/search_request.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace midilib {

/// Text matches ranked per search: the first 150 in index order, so that a common word does not
/// rank a hundred thousand rows. Fewer cost less per search and rank a little worse (docs/search.md).
constexpr int SEARCH_CANDIDATES = 150;

/**
 * How a search with text and facets finds its candidates.
 * - word_index: the text's GIN index (with the facets' indexes, as the planner likes).
 * - facet_rows: the facets' indexes only; the text is checked on each of their rows.
 * The planner underrates reading a common word's postings against a narrow facet, so
 * library_searcher picks from its row estimates (text_access_estimate()).
 */
enum class text_access { word_index, facet_rows };

/// The columns of a hit from file_search s, in the order of search_hit (hit_of_row() reads them).
constexpr char const *HIT_COLUMNS =
    "s.file_id, s.path, s.duration_seconds, s.tempo_bpm, coalesce(s.key_name, '') AS key_name,"
    " coalesce(s.time_signature, '') AS time_signature, s.track_count, coalesce(s.has_drums, false) AS has_drums";

/**
 * The facet conditions of @p r (the folder too, not the text) on file_search s, ANDed, their
 * values added to @p st; "true" when none. Search and similar filter with it.
 * \throws std::invalid_argument for an instrument without a word or an empty folder.
 */
std::string facet_conditions(search_request const &r, search_params &st);

/**
 * A statement and the values of its parameters $1, $2, ... A search statement returns file_id,
 * path, duration_seconds, tempo_bpm, key_name, time_signature, track_count, has_drums; then the
 * rank (cursor_kind::rank, or 0 for cursor_kind::value) and the ordering value (cursor_kind::value).
 */
using sql_statement = std::pair<std::string, std::vector<std::string>>;

/**
 * The statement @p request runs (the text query, not the typo fallback), also for EXPLAIN;
 * @p access matters only for a text with facets.
 * \throws std::invalid_argument for a request normalized() refuses, a malformed cursor or
 * filter, or a limit outside 1..10000.
 */
sql_statement search_statement(search_request const &request, text_access access = text_access::word_index);

/// True when @p request is planned with its values on every call instead of prepared once: with a
/// folder, or two facets or more, how many files each holds decides which index to read first.
bool planned_per_call(search_request const &request);

/// True when @p request has text and facets (or a folder): its candidates can be found either
/// way (text_access).
bool chooses_text_access(search_request const &request);

/// What orders the hits of @p request, and so what their cursors hold.
cursor_kind page_order(search_request const &request);

/**
 * EXPLAIN (FORMAT JSON) of two branches over @p table: the rows of @p request's facets, then
 * those of its text. Their row estimates choose the text_access.
 * \throws std::invalid_argument as search_statement() does for a filter.
 */
sql_statement text_access_estimate(search_request const &request, std::string const &table);

/**
 * The typo fallback: files whose names hold words similar to those of @p request's text, ranked,
 * one page. Nothing when the text has no word to guess, is more than a few words, or asks for a
 * later page. Runs with pg_trgm.similarity_threshold set.
 * \throws std::invalid_argument as search_statement() does for a filter.
 */
std::optional<sql_statement> fuzzy_statement(search_request const &request);

} // namespace midilib
