// Package ingest reads a leaked file as it comes and hands it out as rows of
// strings, streamed, with bounded memory, whatever its shape.
//
// # What it reads
//
// The layers are peeled off in this order, each detected from content (magic
// bytes, byte statistics), never from the file name alone:
//
//  1. Container: gzip (1f 8b, multi-member), bzip2 ("BZh"), zip (PK 03 04:
//     the largest data entry, skipping directories, __MACOSX/ and dot
//     files, with every other entry of its kind read after it in archive
//     order when the kind joins end to end (JSON Lines, SQL, delimited text
//     with the same delimiter and as many fields on its first line, a first
//     line that repeats the first entry's dropped as a header): a register
//     split a state a file, or cut by lines with its header in the first
//     piece only, reads as one; the other entries are recorded as
//     skipped; a gzipped entry is decompressed too), tar inside
//     gzip/bzip2 ("ustar" at offset 257: first regular file). XLSX is a
//     zip holding xl/workbook.xml; it is read with excelize's streaming Rows
//     iterator: the sheet declaring the most rows (else the first with
//     rows), with every sheet that continues its table in the workbook's
//     order: the same first row (a register split a state a sheet; the
//     repeated header dropped), or a first row of data as wide (split past
//     a sheet's row limit, the header on the first sheet only); the other
//     sheets with rows are recorded as skipped.
//  2. Encoding, from the first 64 KiB: a UTF-8 BOM is dropped; a UTF-16 BOM
//     (or every other byte NUL) decodes UTF-16; valid UTF-8 stays UTF-8;
//     invalid UTF-8 whose high bytes look like Latin-1 letters decodes as
//     Windows-1252 (a superset of Latin-1 for text). In a UTF-8 file a
//     later line that is not valid UTF-8 is decoded as Windows-1252 on its
//     own and counted in Info.Redecoded. Delimited UTF-8 encoded twice
//     ("PEÃ‘A" for "PEÑA", from a spreadsheet that read UTF-8 as
//     Windows-1252 and saved it again), when the first 64 KiB show it, is
//     read line by line as first written and counted in Info.Repaired.
//  3. Format, from the first 64 KiB of text: '[' or '{' opens JSON (an
//     array of objects or of arrays, or an object holding such an array;
//     one object per line is JSON Lines); SQL keywords or comments open an
//     SQL dump; anything else is delimited text whose delimiter (',' '\t'
//     '|' ';') is the one whose count per line is most consistent.
//
// Delimited text follows RFC 4180 leniently: a field that starts with '"'
// is quoted, "" inside it is one quote, it may span lines (at most 200); a
// quote elsewhere is an ordinary character; CRLF or LF ends a record.
// Every row from Next costs one string allocation: its fields are slices
// of it (keeping one field keeps the row's bytes; nothing in them is ever
// overwritten). Rows past the sample are parsed ahead on a goroutine, in
// order, in batches of 512 rows or 256 KiB, so that parsing and the
// caller's work use two cores; the batches hold rows as bytes and field
// offsets (no pointers: nothing for the garbage collector to scan). A line
// without quotes is checked (quotes, NUL, bytes ≥ 0x80) and split in one
// pass, sixteen bytes at a time on amd64 (SSE2), eight elsewhere. Rows of
// another width than the header (or, without one, than most sample rows)
// are skipped, except that a trailing empty field is dropped; leading rows
// narrower than the table (a title, a date line) are skipped as a
// preamble. Whether the first row is a header is decided from content over
// the first 100 rows: a header cell is text over a column of numbers,
// dates or codes, or a known column word, or lower case over upper-case
// data, and never a value that recurs below it.
//
// SQL dumps: INSERT/REPLACE INTO t [(cols)] VALUES (...),(...); in MySQL
// style (backquoted names, backslash escapes such as \' and \n) and
// PostgreSQL style (double-quoted names, a doubled quote for a quote, E'x'
// strings), and
// PostgreSQL COPY t (cols) FROM stdin; blocks of tab-separated lines ending
// with \. (with \N for NULL and backslash escapes). The rows of one table
// are read: the one whose INSERT statements and COPY blocks take the most
// bytes, found by a survey of the dump's lines before the read (dump tools
// write tables in name order, and a small catalogue may come before the
// register), with every table of the same columns (a register split a
// state a table: their bytes count together, and they are read in the
// dump's order); the other tables' rows are recorded as skipped. The header
// is the INSERT or COPY column list, else the table's CREATE TABLE columns.
// NULL reads as "".
//
// JSON Lines objects take a fast path that FuzzJSON checks against
// encoding/json. JSON values read as text: strings as they are, numbers as
// written, true/false, null as "", arrays (and objects nested deeper than
// 16) as compact JSON; a nested object's members are columns of their own,
// named with dots ("domicilio.calle"). For objects the header is the union
// of the sample's keys in first-seen order (at most 10,000). A file sniffed
// as JSON whose first object is alone on its line, with an object opening
// the next, is read as JSON Lines (a first line too long to sniff).
//
// # Bad input
//
// Nothing read from the file can make memory grow without bound: a line,
// record, JSON value or SQL tuple longer than Options.MaxLineBytes is
// skipped (the parse-ahead queue holds at most 10 batches, each at most
// 256 KiB plus one record) (or, for a JSON array, which cannot resynchronise, ends the read
// with an error); decompressed bytes are capped by Options.MaxDecompressed
// (default: 100 × the compressed size, at least 1 GiB, at most 64 GiB);
// at most 100 skips are listed (Info.SkippedCount counts all).
// What can be skipped is skipped and recorded (Info.Skipped: line and
// reason); a truncated input ends the read normally with Info.Truncated set
// and a skip saying where; binary data, an unsupported encoding, a
// malformed JSON array or an exceeded cap is an error. Errors about the
// content are *ParseError, "file:line:column: what was expected".
//
// # Rows not kept
//
// A caller that looks at rows without keeping most of them (a second pass
// over a file for a few rows) uses NextView or Skip, which allocate
// nothing per row past the sample:
//
//   - NextView returns the row as [][]byte valid only until the next call
//     of a Reader method (the bytes are then overwritten); Strings copies
//     one such row into strings that may be kept, with one allocation.
//   - Skip(n) passes over n rows as n calls of Next would: the same rows
//     count (rows of another width are skipped and recorded the same way),
//     Info.Rows grows by n, Options.MaxRows holds.
//
// Next, NextView and Skip can be mixed; each hands out the next row. Row i
// (from 0) is the same row whichever was used: to take rows 10 and 500,
// Skip(10), Next(), Skip(489), Next(). Options.NoHash leaves Info.SHA256
// empty and spares a second pass the hashing (≈ 0.13 µs a row).
//
// # Example
//
//	r, err := ingest.Open("leak.csv.gz", ingest.Options{})
//	if err != nil { ... }
//	defer r.Close()
//	fmt.Println(r.Info().Format, r.Header()) // csv [CURP NOMBRE ...]
//	for {
//		row, err := r.Next() // the slice is reused by the next call, its strings are not
//		if err == io.EOF { break }
//		if err != nil { ... }
//		...
//	}
//	info := r.Info() // Rows, Skipped, SHA256 of the raw file
package ingest
