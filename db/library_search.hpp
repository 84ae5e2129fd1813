#pragma once
/// A first, simple search over the library: substring match on paths and track names.
/// (Full-text search with ranking and facets replaces it; see issue 5.)

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <utility>
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
    std::int64_t tracks = 0;
    std::int64_t notes = 0;
};

/// Files whose path or a track name contains @p text (case-insensitive), at most @p limit.
std::vector<search_hit> search_library(pqxx::connection &cx, std::string const &text, int limit);

/// Everything stored about one content: its columns by name, and every path it was seen at.
struct file_details
{
    std::vector<std::pair<std::string, std::string>> fields; ///< column name, value as text ("" for NULL)
    struct place
    {
        std::string path;    ///< a file, or "archive!/member" for a member of an archive
        std::int64_t size_bytes = 0;
        std::string mtime;
        std::string archive; ///< the archive holding it, when inside one
    };
    std::vector<place> paths;
};

/// The details of midi_files row @p id, or nothing when there is no such row.
std::optional<file_details> show_file(pqxx::connection &cx, std::int64_t id);

/// Library totals, for the import summary.
struct library_totals
{
    std::int64_t files = 0;
    std::int64_t paths = 0;
    std::int64_t errors = 0;
};

/// Counts the rows of the library tables.
library_totals count_library(pqxx::connection &cx);

} // namespace midilib
