#pragma once
/// Everything the library stores about one file, for `midilib show`.

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace midilib {

/// Everything stored about one content: its columns by name, and every path it was seen at.
struct file_details
{
    std::vector<std::pair<std::string, std::string>> fields; ///< column name, value as text ("" for NULL)
    struct place
    {
        std::string path; ///< a file, or "archive!/member" for a member of an archive
        std::int64_t size_bytes = 0;
        std::string mtime;
        std::string archive; ///< the archive holding it, when inside one
    };
    std::vector<place> paths;
};

/// The details of midi_files row @p id, or nothing when there is no such row.
std::optional<file_details> show_file(pqxx::connection &cx, std::int64_t id);

} // namespace midilib
