#pragma once
/// The works with several versions, biggest first, for `midilib dupes`.

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/// Which works to list.
struct dupes_request
{
    std::optional<std::string> folder; ///< only versions under this absolute folder (or archive) path
    int min_versions = 2;              ///< works with at least this many versions (live contents)
    int limit = 20;                    ///< works per page
};

/// One version of a work: a live content, as search shows it.
struct work_version
{
    std::int64_t id = 0;
    std::string path; ///< its first path
    std::int64_t paths = 0;
    std::optional<std::string> key;
    double tempo_bpm = 0;
    double duration_seconds = 0;
    int format = 0;
    int tracks = 0;
    std::optional<int> ppq;
    std::optional<std::string> print_kind; ///< "pitched" or "drums"
};

/// A work and its versions, in content id order.
struct work_group
{
    std::int64_t work_id = 0;
    std::vector<work_version> versions;
};

/** The works @p r asks for, most versions first, then by work id. \throws std::invalid_argument on a bad request. */
std::vector<work_group> list_dupes(pqxx::connection &cx, dupes_request const &r);

/// The other live versions of the work of content @p id, in content id order (none when it is alone).
std::vector<work_version> other_versions(pqxx::transaction_base &tx, std::int64_t id);

/// What tells @p v apart from @p first (key, tempo, format, resolution, tracks, length), as a short
/// text ("C major, 132 bpm, format 0"); empty when nothing shown differs.
std::string version_difference(work_version const &first, work_version const &v);

} // namespace midilib
