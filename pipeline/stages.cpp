#include "pipeline/stages.hpp"

#include "analyzers/file_facts.hpp"
#include "pipeline/row_encoder.hpp"
#include "smf/reader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace midilib {

namespace {

std::size_t slot_of(known_hashes::hash const &h)
{
    std::uint64_t v = 0;
    std::memcpy(&v, h.data(), sizeof v);
    return static_cast<std::size_t>(v);
}

void log_failure(file_item const &item)
{
    spdlog::warn("{}: {}: {}", item.stored.path, item.stored.error_stage, item.stored.error_reason);
}

} // namespace

bool read_file(std::string const &path, std::vector<std::uint8_t> &bytes, std::string &error)
{
    // O_NONBLOCK: a FIFO or device that took the place of the file since the walk must not block
    // the open; it is then refused as not a regular file.
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        error = "not a regular file";
    } else if (static_cast<std::uint64_t>(st.st_size) > MAX_FILE_BYTES) {
        error = fmt::format("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20U);
    }
    if (!error.empty()) {
        ::close(fd);
        return false;
    }
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
        auto const n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(got); // the file may have shrunk since the fstat: what was read is what counts
    return true;
}

std::array<std::uint8_t, 16> content_hash(std::span<std::uint8_t const> bytes)
{
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
    std::array<std::uint8_t, 16> out{};
    std::memcpy(out.data(), canonical.digest, out.size());
    return out;
}

void read_stage(file_item &item)
{
    if (item.stored.state != file_state::pending || item.preloaded) {
        return;
    }
    std::string error;
    if (!read_file(item.stored.key, item.bytes, error)) {
        item.stored.fail("read", std::move(error));
        log_failure(item);
        return;
    }
    item.stored.size = item.bytes.size(); // hash and store what was read
}

void hash_stage(file_item &item, known_hashes const &known)
{
    if (item.stored.state != file_state::pending) {
        return;
    }
    item.stored.hash = content_hash(item.bytes);
    if (known.contains(item.stored.hash)) {
        item.stored.state = file_state::duplicate;
        std::vector<std::uint8_t>{}.swap(item.bytes); // freed, not kept: see parse_stage
    }
}

void parse_stage(file_item &item, bool analyze_too)
{
    if (item.stored.state != file_state::pending) {
        return;
    }
    auto result = read_smf(item.bytes);
    if (!result.file) {
        item.stored.fail("parse", result.error);
        log_failure(item);
    } else {
        tempo_map const map{*result.file}; // one pass over the events, shared by facts and analysis
        item.facts = extract_facts(*result.file, map);
        if (analyze_too) {
            item.analysis = analyze(*result.file, map, item.facts.note_count); // the count sizes the note array
            item.analyzed = true;
        }
        item.stored.state = file_state::parsed;
        encode_rows(item);
    }
    // Freed, not kept for the item's next file: thousands of items wait in batches, and each
    // keeping the capacity of the largest file it ever held grew an import of a million files
    // to 890 MB. Only the files between read and parse hold bytes now.
    std::vector<std::uint8_t>{}.swap(item.bytes);
}

known_hashes::known_hashes() : m_slots(SLOTS) {}

bool known_hashes::contains(hash const &h) const
{
    std::shared_lock lock{m_mutex};
    return m_slots[slot_of(h) % SLOTS] == h;
}

void known_hashes::add_committed(std::span<file_item *const> items)
{
    std::unique_lock lock{m_mutex};
    for (auto const *item : items) {
        if (item->stored.state == file_state::parsed) {
            m_slots[slot_of(item->stored.hash) % SLOTS] = item->stored.hash;
        }
    }
}

} // namespace midilib
