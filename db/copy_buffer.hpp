#pragma once
/// Rows encoded in PostgreSQL's COPY text format, sent to the server in large chunks.

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace midilib {

/**
 * A buffer of COPY text rows. Fields are appended left to right and end_row()
 * closes a row. Escaping follows the COPY text rules: backslash, tab, newline
 * and carriage return are escaped; NULL is \N.
 */
class copy_buffer
{
public:
    /// A text field.
    void text(std::string_view value);
    /// An integer field.
    void integer(std::int64_t value);
    /// A double field (non-finite values are written as NULL).
    void real(double value);
    /// A NULL field.
    void null();
    /// A bytea field in hex form.
    void bytea(std::span<std::uint8_t const> value);
    /// A text[] field.
    void text_array(std::span<std::string const> values);
    /// A real[]/double precision[] field (non-finite values become NULL elements).
    void real_array(std::span<double const> values);
    /// A smallint[]/int[] field; negative values in @p values become NULL when @p negative_is_null.
    void int_array(std::span<std::int16_t const> values, bool negative_is_null);
    /// An integer[] field.
    void int32_array(std::span<std::int32_t const> values);
    /// A bigint[] field.
    void bigint_array(std::span<std::int64_t const> values);
    /// A cube field: a point with one coordinate per value.
    void cube_point(std::span<float const> values);
    /// Ends the current row.
    void end_row();
    /// Appends @p count complete rows encoded by another copy_buffer (their newlines included).
    void append_rows(std::string_view encoded, std::size_t count)
    {
        m_buf += encoded;
        m_rows += count;
    }

    /// Bytes encoded so far.
    [[nodiscard]] std::size_t size() const noexcept { return m_buf.size(); }
    /// Rows completed so far.
    [[nodiscard]] std::size_t rows() const noexcept { return m_rows; }
    /// The encoded rows.
    [[nodiscard]] std::string_view data() const noexcept { return m_buf; }
    /// Empties the buffer, keeping its capacity.
    void clear() noexcept
    {
        m_buf.clear();
        m_rows = 0;
        m_row_open = false;
    }

private:
    void separator();
    void escaped(std::string_view value);

    /// An array field of numbers; elements for which @p is_null holds are written as NULL.
    template <typename T, typename IsNull>
    void number_array(std::span<T const> values, IsNull is_null)
    {
        separator();
        m_buf += '{';
        bool first = true;
        for (T const v : values) {
            if (!first) {
                m_buf += ',';
            }
            first = false;
            if (is_null(v)) {
                m_buf += "NULL";
            } else {
                fmt::format_to(std::back_inserter(m_buf), "{}", v);
            }
        }
        m_buf += '}';
    }

    std::string m_buf;
    std::size_t m_rows = 0;
    bool m_row_open = false;
};

/**
 * A COPY in progress over raw libpq: rows are encoded into a buffer that is sent
 * each time it holds a chunk (64 KiB), so the server parses one chunk while the
 * next is encoded. Faster than libpqxx 6.4's stream_to, which sends one row per
 * call (bench/copy_bench). An unfinished COPY is aborted by the destructor.
 */
class copy_stream
{
public:
    /// Runs "COPY <target> FROM STDIN" inside @p tx.
    copy_stream(pqxx::dbtransaction &tx, std::string target);
    ~copy_stream();
    copy_stream(copy_stream const &) = delete;
    copy_stream &operator=(copy_stream const &) = delete;

    /// Where the fields of the current row are encoded.
    copy_buffer &row() noexcept { return m_buf; }
    /// Ends the current row; sends the buffer once it holds a chunk.
    void end_row();
    /// Sends rows already encoded elsewhere.
    void send(copy_buffer const &rows);
    /// Adds one row encoded elsewhere (a copy_buffer's data(): fields, then its newline).
    void add_row(std::string_view encoded);
    /**
     * Sends the rest and ends the COPY. \returns the number of rows sent.
     * \throws pqxx::sql_error when the server rejects the data (the message names
     *         the target and quotes the last data sent).
     */
    std::size_t complete();

private:
    void put(std::string_view data);
    /// Counts the row just completed in the buffer; sends the buffer once it holds a chunk.
    void row_done();

    pqxx::dbtransaction &m_tx;
    std::string m_target;
    copy_buffer m_buf;
    std::size_t m_rows = 0;
    std::string m_last_sent; ///< the start of the last chunk, for the error message
    bool m_open = true;
};

/**
 * Runs "COPY <target> FROM STDIN" inside @p tx and sends @p rows in chunks.
 * \throws pqxx::sql_error when the server rejects the data (the message names
 *         @p target and quotes the start of the rejected data).
 */
void copy_rows(pqxx::dbtransaction &tx, std::string const &target, copy_buffer const &rows);

} // namespace midilib
