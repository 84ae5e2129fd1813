#pragma once
/// Everything the library stores about one file, for `midilib show`.

#include "db/work_list.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/// Everything stored about one content: its row, its analysis, and every path it was seen at.
struct file_details
{
    /// The midi_files row, typed as to_jsonb() gives it (numbers, booleans, arrays, null), the hash
    /// in hex, and what `search --json` calls tempo_bpm, key, time_signature, tracks and drums.
    nlohmann::json file;
    nlohmann::json analysis; ///< the file_analysis row, typed; null when not analyzed yet
    struct place
    {
        std::string path; ///< a file, or "archive!/member" for a member of an archive
        std::int64_t size_bytes = 0;
        std::string mtime;
        std::optional<std::string> archive; ///< the archive holding it, when inside one
    };
    std::vector<place> paths;
    std::vector<work_version> versions; ///< the other versions of its work (file["work_id"])
};

/// The details of midi_files row @p id, or nothing when there is no such row.
std::optional<file_details> show_file(pqxx::connection &cx, std::int64_t id);

} // namespace midilib
