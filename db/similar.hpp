#pragma once
/// "Files like this one": the nearest live contents to a content by feature vector
/// (file_analysis.features, analyzers/features.hpp), filtered by search's facets. See docs/works.md.

#include "db/library_search.hpp"
#include "db/search_request.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <vector>

namespace midilib {

/// What `midilib similar` asks for.
struct similar_request
{
    std::int64_t id = 0;   ///< the content whose neighbours are wanted
    search_request facets; ///< facets and limit; its text and cursor are not used
    bool versions = false; ///< include the other contents of the work of id (its copies)
};

/// One neighbour.
struct similar_hit
{
    search_hit file;       ///< its search columns (rank and cursor empty)
    double distance = 0.0; ///< Euclidean distance of the feature vectors (cube's <->)
};

/// Whether the neighbours could be looked for.
enum class similar_outcome {
    found,      ///< hits holds them (possibly none)
    no_file,    ///< no content has this id
    no_features ///< the content has no feature vector: not analyzed yet, or by an older analyzer
};

/// The neighbours of a content, nearest first.
struct similar_result
{
    similar_outcome outcome = similar_outcome::found;
    std::vector<similar_hit> hits;
    bool exact = false; ///< the facets' rows were ranked one by one rather than read from the GiST index
};

/**
 * The live contents nearest to @p request.id, by ascending distance then id, passing its facets.
 * \throws std::invalid_argument for a limit outside 1..10000 or a malformed facet.
 */
similar_result find_similar(pqxx::connection &cx, similar_request const &request);

} // namespace midilib
