package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// sqlSource reads the rows of INSERT statements and COPY blocks of one
// table from an SQL dump.
type sqlSource struct {
	br    *bufio.Reader
	lr    *lineReader
	table *string // Info.Table: the table whose rows are read
	ln    int64   // line of the next byte
	col   int     // column of the last byte read
	start int64   // line where the last row started

	cols       []string            // header of the target table
	fixed      bool                // the target table is met
	targetName string              // the target table, as first met
	join       map[string]bool     // tables read with the target, lower-cased (Options.sqlJoin)
	read       []string            // the tables read, in the order met
	created    map[string][]string // CREATE TABLE columns by table
	ignored    map[string]bool
	backslash  bool // backslash escapes in '' strings (MySQL); off for PostgreSQL
	inInsert   bool // between tuples of an INSERT of the target table
	inCopy     bool // inside a COPY block
	copyOurs   bool // the COPY block is the target table's

	buf    []byte
	ends   []int
	row    []string
	tooBig bool
}

func newSQLSource(lr *lineReader, r *Reader) *sqlSource {
	return &sqlSource{br: lr.br, lr: lr, table: &r.info.Table, join: r.opt.sqlJoin, ln: 1, backslash: true, created: map[string][]string{}, ignored: map[string]bool{}}
}

func (s *sqlSource) header() []string { return s.cols }
func (s *sqlSource) line() int64      { return s.start }

func (s *sqlSource) readByte() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		if err != io.EOF {
			return 0, s.lr.streamError(err)
		}
		return 0, err
	}
	if c == '\n' {
		s.ln++
		s.col = 0
	} else {
		s.col++
	}
	return c, nil
}

func (s *sqlSource) peek() byte {
	b, err := s.br.Peek(1)
	if err != nil {
		return 0
	}
	return b[0]
}

// peekIn is peek inside a value or a tuple, where the input may not end:
// at the end it returns s.truncated's error.
func (s *sqlSource) peekIn() (byte, error) {
	b, err := s.br.Peek(1)
	if err != nil {
		return 0, s.truncated(err)
	}
	return b[0], nil
}

func (s *sqlSource) errorf(format string, a ...any) error {
	return &ParseError{File: s.lr.file, Line: s.ln, Column: s.col, Err: fmt.Errorf(format, a...)}
}

// skipSpace skips white space and comments; it returns io.EOF at the end.
func (s *sqlSource) skipSpace() error {
	for {
		c := s.peek()
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			s.readByte()
		case c == '-':
			b, _ := s.br.Peek(2)
			if len(b) < 2 || b[1] != '-' {
				return nil
			}
			s.comment()
		case c == '#':
			s.comment()
		case c == '/':
			b, _ := s.br.Peek(2)
			if len(b) < 2 || b[1] != '*' {
				return nil
			}
			s.readByte()
			s.readByte()
			var prev byte
			for {
				c, err := s.readByte()
				if err != nil {
					return err
				}
				if prev == '*' && c == '/' {
					break
				}
				prev = c
			}
		case c == 0:
			if _, err := s.br.Peek(1); err != nil {
				if err == io.EOF {
					return io.EOF
				}
				return s.lr.streamError(err)
			}
			return nil
		default:
			return nil
		}
	}
}

// comment skips a line comment, noticing a PostgreSQL dump's banner.
func (s *sqlSource) comment() {
	var head []byte
	for {
		c, err := s.readByte()
		if err != nil || c == '\n' {
			break
		}
		if len(head) < 80 {
			head = append(head, c)
		}
	}
	if bytes.Contains(head, []byte("PostgreSQL")) || bytes.Contains(head, []byte("pg_dump")) {
		s.backslash = false
	}
}

// word reads letters, digits, '_' and '.'.
func (s *sqlSource) word() string {
	var b []byte
	for {
		c := s.peek()
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' {
			s.readByte()
			if len(b) < 256 {
				b = append(b, c)
			}
			continue
		}
		return string(b)
	}
}

// name reads a possibly qualified, possibly quoted name and returns its
// last part.
func (s *sqlSource) name() (string, error) {
	var last string
	for {
		if err := s.skipSpace(); err != nil {
			return "", err
		}
		c := s.peek()
		switch c {
		case '`', '"', '[':
			if c == '`' {
				s.backslash = true
			} else if c == '"' {
				s.backslash = false
			}
			end := c
			if c == '[' {
				end = ']'
			}
			s.readByte()
			var b []byte
			for {
				d, err := s.readByte()
				if err != nil {
					return "", s.truncated(err)
				}
				if d == end {
					if s.peek() == end {
						s.readByte()
					} else {
						break
					}
				}
				if len(b) < 256 {
					b = append(b, d)
				}
			}
			last = string(b)
		default:
			last = s.word()
			if last == "" {
				return "", s.errorf("expected a name, found %q", c)
			}
		}
		if s.peek() != '.' {
			return last, nil
		}
		s.readByte()
	}
}

// nameList reads "(a, b, c)"; the '(' is next.
func (s *sqlSource) nameList() ([]string, error) {
	s.readByte()
	var names []string
	for {
		n, err := s.name()
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if err := s.skipSpace(); err != nil {
			return nil, s.truncated(err)
		}
		c, err := s.readByte()
		if err != nil {
			return nil, s.truncated(err)
		}
		if c == ')' {
			return names, nil
		}
		if c != ',' {
			return nil, s.errorf("expected ',' or ')' in a column list, found %q", c)
		}
		if len(names) > 10000 {
			return nil, s.errorf("column list longer than 10000 names")
		}
	}
}

func (s *sqlSource) truncated(err error) error {
	if err == io.EOF {
		*s.lr.truncated = true
		s.lr.skips.add(s.ln, "input ends inside an SQL statement (truncated)")
		return io.EOF
	}
	return err
}

// skipStatement skips to the ';' that ends the statement, minding quotes.
func (s *sqlSource) skipStatement() error {
	var quote byte
	var dollar []byte // a $tag$ being matched
	for {
		c, err := s.readByte()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		switch {
		case quote != 0:
			if c == '\\' && quote == '\'' && s.backslash {
				s.readByte()
			} else if c == quote {
				quote = 0
			}
		case dollar != nil:
			if c == '$' {
				b, _ := s.br.Peek(len(dollar))
				if bytes.Equal(b, dollar) {
					s.br.Discard(len(dollar))
					s.col += len(dollar)
					dollar = nil
				}
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '$':
			// $$ or $tag$ opens a dollar-quoted string.
			b, _ := s.br.Peek(64)
			if i := bytes.IndexByte(b, '$'); i >= 0 && isTag(b[:i]) {
				dollar = append([]byte(nil), b[:i+1]...)
				s.br.Discard(i + 1)
				s.col += i + 1
			}
		case c == '-' && s.peek() == '-':
			s.comment()
		case c == ';':
			return nil
		}
	}
}

func isTag(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (s *sqlSource) next() ([]string, error) {
	for {
		row, err := s.next1()
		if err == nil || err == io.EOF {
			return row, err
		}
		var pe *ParseError
		if !errors.As(err, &pe) || errors.Is(err, ErrTooLarge) || pe.Line == 0 {
			return nil, err
		}
		// A malformed statement: record it and go on at the next line
		// (dumps put a statement, or a row of one, on each line; the rest of
		// a broken multi-line statement is skipped to its ';').
		s.lr.skips.add(pe.Line, "malformed SQL at column %d: %v", pe.Column, pe.Err)
		s.inInsert, s.inCopy = false, false
		for {
			c, err := s.readByte()
			if err != nil || c == '\n' {
				break
			}
		}
	}
}

func (s *sqlSource) next1() ([]string, error) {
	for {
		if s.inCopy {
			row, done, err := s.copyRow()
			if err != nil || done {
				if err != nil {
					return nil, err
				}
				s.inCopy = false
				continue
			}
			if row != nil {
				return row, nil
			}
			continue
		}
		if s.inInsert {
			if err := s.skipSpace(); err != nil {
				return nil, s.truncated(err)
			}
			c, _ := s.readByte()
			switch c {
			case ',':
				continue
			case ';':
				s.inInsert = false
				continue
			case '(':
				s.start = s.ln
				row, err := s.tuple()
				if err != nil {
					return nil, err
				}
				if row != nil {
					return row, nil
				}
				continue
			}
			return nil, s.errorf("expected '(', ',' or ';' between rows of VALUES, found %q", c)
		}
		if err := s.skipSpace(); err != nil {
			return nil, err
		}
		if s.peek() == '\\' { // psql meta-command: to the end of the line
			for {
				c, err := s.readByte()
				if err != nil || c == '\n' {
					break
				}
			}
			continue
		}
		w := strings.ToUpper(s.word())
		switch w {
		case "INSERT", "REPLACE":
			if err := s.insert(); err != nil {
				return nil, err
			}
		case "COPY":
			if err := s.copyStart(); err != nil {
				return nil, err
			}
		case "CREATE":
			if err := s.create(); err != nil {
				return nil, err
			}
		case "":
			c, err := s.readByte()
			if err != nil {
				return nil, err
			}
			if c != ';' {
				if err := s.skipStatement(); err != nil {
					return nil, err
				}
			}
		default:
			if w == "SET" {
				s.set()
			}
			if err := s.skipStatement(); err != nil {
				return nil, err
			}
		}
	}
}

// set notices PostgreSQL's standard_conforming_strings.
func (s *sqlSource) set() {
	b, _ := s.br.Peek(80)
	if i := bytes.IndexByte(b, ';'); i >= 0 {
		b = b[:i]
	}
	l := strings.ToLower(string(b))
	if strings.Contains(l, "standard_conforming_strings") {
		s.backslash = strings.Contains(l, "off")
	}
}

// target decides whether rows of table t are read, fixing the target
// table at the first table with rows, or at the first rows of the table
// named already (by the survey, its spelling compared without case) or of
// a table joined with it. The rows of joined tables are read as they come;
// Info.Table lists the tables read.
func (s *sqlSource) target(t string, cols []string) bool {
	joined := s.join[strings.ToLower(t)]
	if !s.fixed && (*s.table == "" || strings.EqualFold(t, *s.table) || joined) {
		s.fixed, s.targetName = true, t
		if cols == nil {
			cols = s.created[strings.ToLower(t)]
		}
		s.cols = cols
	}
	if s.fixed && (t == s.targetName || joined) {
		if !slices.Contains(s.read, t) && len(s.read) < 1000 {
			s.read = append(s.read, t)
			*s.table = strings.Join(s.read, ", ")
		}
		return true
	}
	if !s.ignored[t] && len(s.ignored) < 1000 {
		s.ignored[t] = true
		reading := s.targetName
		if reading == "" {
			reading = *s.table // the survey's, not met yet
		}
		s.lr.skips.add(s.ln, "rows of table %q are not read (reading %q, the largest)", t, reading)
	}
	return false
}

// skipKeywords skips the run of the given keywords that may stand before a
// table name (INSERT's INTO and IGNORE, CREATE TABLE's IF NOT EXISTS, ...).
func (s *sqlSource) skipKeywords(words ...string) error {
	for {
		if err := s.skipSpace(); err != nil {
			return err
		}
		if c := s.peek(); c == '`' || c == '"' || c == '[' {
			return nil
		}
		b, _ := s.br.Peek(16)
		if !slices.Contains(words, firstWord(strings.ToUpper(string(b)))) {
			return nil
		}
		s.word()
	}
}

func (s *sqlSource) insert() error {
	// INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] name
	if err := s.skipKeywords("INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"); err != nil {
		return s.truncated(err)
	}
	t, err := s.name()
	if err != nil {
		return err
	}
	if err := s.skipSpace(); err != nil {
		return s.truncated(err)
	}
	var cols []string
	if s.peek() == '(' {
		if cols, err = s.nameList(); err != nil {
			return err
		}
		if err := s.skipSpace(); err != nil {
			return s.truncated(err)
		}
	}
	kw := strings.ToUpper(s.word())
	if kw != "VALUES" && kw != "VALUE" {
		return s.errorf("expected VALUES after INSERT INTO %s, found %q", t, kw)
	}
	if !s.target(t, cols) {
		return s.skipStatement()
	}
	s.inInsert = true
	return nil
}

func firstWord(u string) string {
	for i, c := range u {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return u[:i]
		}
	}
	return u
}

func (s *sqlSource) create() error {
	if err := s.skipSpace(); err != nil {
		return err
	}
	for {
		w := strings.ToUpper(s.word())
		if w == "TABLE" {
			break
		}
		if w == "" {
			return s.skipStatement()
		}
		s.skipSpace() // CREATE [UNLOGGED|TEMPORARY|...] TABLE
		if w != "UNLOGGED" && w != "TEMPORARY" && w != "TEMP" && w != "GLOBAL" && w != "LOCAL" {
			return s.skipStatement()
		}
	}
	if err := s.skipKeywords("IF", "NOT", "EXISTS", "ONLY"); err != nil {
		return s.truncated(err)
	}
	t, err := s.name()
	if err != nil {
		return err
	}
	if err := s.skipSpace(); err != nil {
		return s.truncated(err)
	}
	if s.peek() != '(' {
		return s.skipStatement()
	}
	s.readByte()
	// Each definition at depth 1 starts with a column name unless it is a
	// constraint.
	var cols []string
	for {
		if err := s.skipSpace(); err != nil {
			return s.truncated(err)
		}
		var n string
		c := s.peek()
		if c == '`' || c == '"' || c == '[' {
			n, err = s.name()
			if err != nil {
				return err
			}
		} else {
			n = s.word()
			switch strings.ToUpper(n) {
			case "PRIMARY", "KEY", "UNIQUE", "CONSTRAINT", "INDEX", "FOREIGN", "CHECK", "FULLTEXT", "SPATIAL", "EXCLUDE", "LIKE", "PERIOD":
				n = ""
			}
		}
		if n != "" && len(cols) < 10000 {
			cols = append(cols, n)
		}
		// Skip the rest of the definition.
		depth := 0
		var quote byte
		for {
			c, err := s.readByte()
			if err != nil {
				return s.truncated(err)
			}
			if quote != 0 {
				if c == quote {
					quote = 0
				}
				continue
			}
			switch c {
			case '\'', '"', '`':
				quote = c
			case '(':
				depth++
			case ')':
				if depth == 0 {
					s.created[strings.ToLower(t)] = cols
					return s.skipStatement()
				}
				depth--
			case ',':
				if depth == 0 {
					goto nextDef
				}
			}
		}
	nextDef:
	}
}

func (s *sqlSource) copyStart() error {
	t, err := s.name()
	if err != nil {
		return err
	}
	s.backslash = false
	if err := s.skipSpace(); err != nil {
		return s.truncated(err)
	}
	var cols []string
	if s.peek() == '(' {
		if cols, err = s.nameList(); err != nil {
			return err
		}
	}
	// FROM stdin [WITH ...]; then the data from the next line.
	var stmt []byte
	for {
		c, err := s.readByte()
		if err != nil {
			return s.truncated(err)
		}
		if c == ';' {
			break
		}
		if len(stmt) < 200 {
			stmt = append(stmt, c)
		}
	}
	for {
		c, err := s.readByte()
		if err != nil || c == '\n' {
			break
		}
	}
	if !strings.Contains(strings.ToLower(string(stmt)), "stdin") {
		return nil // COPY to or from a file: no data here
	}
	s.inCopy = true
	s.copyOurs = s.target(t, cols)
	return nil
}

// copyRow reads one line of a COPY block; done at the "\." line.
func (s *sqlSource) copyRow() (row []string, done bool, err error) {
	s.lr.line = s.ln - 1
	b, err := s.lr.readLine()
	s.ln = s.lr.line + 1
	s.col = 0
	if err != nil {
		if err == io.EOF {
			*s.lr.truncated = true
			s.lr.skips.add(s.ln, "input ends inside a COPY block (no \\. line)")
		}
		return nil, false, err
	}
	if len(b) == 2 && b[0] == '\\' && b[1] == '.' {
		return nil, true, nil
	}
	if !s.copyOurs {
		return nil, false, nil
	}
	s.start = s.lr.line
	str := s.lr.text(b)
	f := s.row[:0]
	for {
		i := strings.IndexByte(str, '\t')
		v := str
		if i >= 0 {
			v = str[:i]
		}
		f = append(f, copyUnescape(v))
		if i < 0 {
			break
		}
		str = str[i+1:]
	}
	s.row = f
	return f, false, nil
}

func copyUnescape(v string) string {
	if v == `\N` {
		return ""
	}
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 == len(v) {
			b.WriteByte(c)
			continue
		}
		i++
		switch c = v[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x':
			n, k := 0, 0
			for k < 2 && i+1 < len(v) && isHex(v[i+1]) {
				n = n*16 + hexVal(v[i+1])
				i++
				k++
			}
			b.WriteByte(byte(n))
		default:
			if c >= '0' && c <= '7' {
				n, k := int(c-'0'), 1
				for k < 3 && i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '7' {
					n = n*8 + int(v[i+1]-'0')
					i++
					k++
				}
				b.WriteByte(byte(n))
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// tuple reads the values of one row; the '(' was consumed.
func (s *sqlSource) tuple() ([]string, error) {
	s.buf = s.buf[:0]
	s.ends = s.ends[:0]
	s.tooBig = false
	for {
		if err := s.skipSpace(); err != nil {
			return nil, s.truncated(err)
		}
		c := s.peek()
		switch {
		case c == '\'':
			if err := s.str(s.backslash); err != nil {
				return nil, err
			}
			if err := s.cast(); err != nil {
				return nil, err
			}
		case (c == 'E' || c == 'e' || c == 'N' || c == 'n' || c == '_') && s.prefixedString():
			for s.peek() != '\'' {
				s.readByte()
			}
			if err := s.str(s.backslash || c == 'E' || c == 'e'); err != nil {
				return nil, err
			}
			if err := s.cast(); err != nil {
				return nil, err
			}
		case c == ')' && len(s.ends) == 0:
			// An empty tuple.
		default:
			err := s.rawValue(false)
			if errors.Is(err, errWordBeforeString) {
				// Not a value: the tuple is skipped, the statement goes on.
				var pe *ParseError
				errors.As(err, &pe)
				s.lr.skips.add(pe.Line, "malformed SQL at column %d: %v", pe.Column, pe.Err)
				return nil, s.skipTuple()
			}
			if err != nil {
				return nil, err
			}
		}
		s.ends = append(s.ends, len(s.buf))
		if err := s.skipSpace(); err != nil {
			return nil, s.truncated(err)
		}
		c, err := s.readByte()
		if err != nil {
			return nil, s.truncated(err)
		}
		if c == ')' {
			break
		}
		if c != ',' {
			return nil, s.errorf("expected ',' or ')' after a value, found %q", c)
		}
	}
	if s.tooBig {
		s.lr.skips.add(s.start, "row longer than %d bytes", s.lr.max)
		return nil, nil
	}
	str := s.lr.text(s.buf)
	if len(str) != len(s.buf) { // redecoded: field ends moved
		return s.splitRedecoded(), nil
	}
	f := s.row[:0]
	prev := 0
	for _, e := range s.ends {
		f = append(f, str[prev:e])
		prev = e
	}
	s.row = f
	return f, nil
}

func (s *sqlSource) splitRedecoded() []string {
	f := s.row[:0]
	prev := 0
	for _, e := range s.ends {
		f = append(f, decode1252(s.buf[prev:e]))
		prev = e
	}
	s.row = f
	return f
}

// prefixedString tells whether the next bytes are a prefix (E, N, or a
// charset introducer like _utf8mb4) followed by a quote.
func (s *sqlSource) prefixedString() bool {
	b, _ := s.br.Peek(16)
	for i, c := range b {
		if c == '\'' {
			return i > 0
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
		if i == 0 && c != '_' && len(b) > 1 && b[1] != '\'' {
			return false
		}
	}
	return false
}

func (s *sqlSource) keep(c byte) {
	if len(s.buf) < s.lr.max {
		s.buf = append(s.buf, c)
	} else {
		s.tooBig = true
	}
}

func (s *sqlSource) keepBytes(b []byte) {
	if len(s.buf)+len(b) <= s.lr.max {
		s.buf = append(s.buf, b...)
	} else {
		s.tooBig = true
	}
}

// plainRun copies the bytes before the next quote, backslash or newline
// straight from the read buffer.
func (s *sqlSource) plainRun(backslash bool) {
	for {
		n := s.br.Buffered()
		if n == 0 {
			return
		}
		b, _ := s.br.Peek(n)
		k := 0
		for k < len(b) {
			c := b[k]
			if c == '\'' || c == '\n' || c == '\\' && backslash {
				break
			}
			k++
		}
		s.keepBytes(b[:k])
		s.col += k
		s.br.Discard(k)
		if k < len(b) {
			return
		}
	}
}

// str reads a quoted string into buf.
func (s *sqlSource) str(backslash bool) error {
	s.readByte() // '
	for {
		s.plainRun(backslash)
		c, err := s.readByte()
		if err != nil {
			return s.truncated(err)
		}
		switch {
		case c == '\'':
			if s.peek() == '\'' {
				s.readByte()
				s.keep('\'')
				continue
			}
			return nil
		case c == '\\' && backslash:
			d, err := s.readByte()
			if err != nil {
				return s.truncated(err)
			}
			switch d {
			case 'n':
				s.keep('\n')
			case 't':
				s.keep('\t')
			case 'r':
				s.keep('\r')
			case 'b':
				s.keep('\b')
			case '0':
				s.keep(0)
			case 'Z':
				s.keep(0x1a)
			case '%', '_':
				s.keep('\\')
				s.keep(d)
			default:
				s.keep(d)
			}
		default:
			s.keep(c)
		}
	}
}

// cast skips a PostgreSQL cast after a string, such as ::text or
// ::character varying(20).
func (s *sqlSource) cast() error {
	if err := s.skipSpace(); err != nil {
		return s.truncated(err)
	}
	if b, _ := s.br.Peek(2); string(b) != "::" {
		return nil
	}
	depth := 0
	for {
		c, err := s.peekIn()
		if err != nil {
			return err
		}
		if depth == 0 && (c == ',' || c == ')') {
			return nil
		}
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', ';':
			return nil
		}
		s.readByte()
	}
}

// errWordBeforeString is a bare word before a string in a tuple
// (`(garbage 'A', 'B')`): no value of a dump is written so.
var errWordBeforeString = errors.New("unquoted word before a string")

// literalWords may stand before a string in a value: the types of typed
// literals (DATE '2018-01-01', TIMESTAMP WITH TIME ZONE '...'), true, which
// read as the string; and hexadecimal and bit strings (X'1F', B'01'),
// PostgreSQL's U&'...' and MySQL's BINARY, false, which are kept. Charset
// introducers (mysqldump's _binary 'x') start with '_' and read as the
// string too.
var literalWords = map[string]bool{"DATE": true, "TIME": true, "TIMESTAMP": true, "TIMESTAMPTZ": true, "INTERVAL": true,
	"WITH": true, "WITHOUT": true, "ZONE": true, "X": false, "B": false, "U&": false, "BINARY": false}

// rawValue reads an unquoted value (a number, NULL, a function call) up to
// ',' or ')' at depth 0; after a string (ignore) it only skips a cast. A
// string at depth 0 may follow only literalWords or an operator: after any
// other word it is errWordBeforeString.
func (s *sqlSource) rawValue(ignore bool) error {
	start := len(s.buf)
	depth := 0
	words := start // where the words before the next string start in buf
	for {
		c, err := s.peekIn()
		if err != nil {
			return err
		}
		if depth == 0 && (c == ',' || c == ')') {
			break
		}
		if c == '\'' {
			if depth == 0 && !ignore {
				known, drop := literalPrefix(s.buf[words:])
				if !known {
					return &ParseError{File: s.lr.file, Line: s.ln, Column: s.col + 1,
						// its length, not its text: a leak's value (a CURP, a
						// name) would reach logs and reports
						Err: fmt.Errorf("%w (%d characters)", errWordBeforeString, utf8.RuneCount(bytes.TrimSpace(s.buf[words:])))}
				}
				if drop {
					s.buf = s.buf[:words]
				}
			}
			// A string inside an expression: keep its text.
			if err := s.str(s.backslash); err != nil {
				return err
			}
			words = len(s.buf)
			continue
		}
		s.readByte()
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		}
		if !ignore {
			s.keep(c)
			if depth == 0 && !isWordByte(c) && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				words = len(s.buf) // an operator or a bracket: what follows starts anew
			}
		}
	}
	if ignore {
		return nil
	}
	v := bytes.TrimSpace(s.buf[start:])
	if len(v) == 4 && strings.EqualFold(string(v), "NULL") {
		v = v[:0]
	}
	n := copy(s.buf[start:], v)
	s.buf = s.buf[:start+n]
	return nil
}

// literalPrefix tells whether the words before a string (w) are nothing,
// literalWords or charset introducers (known), and whether they are to be
// dropped, the value being the string.
func literalPrefix(w []byte) (known, drop bool) {
	drop = true
	for _, f := range bytes.Fields(w) {
		readAs, ok := literalWords[strings.ToUpper(string(f))]
		if f[0] == '_' {
			readAs, ok = true, true
		}
		if !ok {
			return false, false
		}
		drop = drop && readAs
	}
	return true, drop
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '&' || c == '.'
}

// skipTuple skips the rest of a tuple, to its ')' (minding strings and
// brackets), or to the ';' that ends a statement whose tuple has none.
func (s *sqlSource) skipTuple() error {
	depth := 0
	for {
		c, err := s.peekIn()
		if err != nil {
			return err
		}
		if c == '\'' {
			if err := s.str(s.backslash); err != nil {
				return err
			}
			continue
		}
		s.readByte()
		switch c {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return nil
			}
			depth--
		case ';':
			s.inInsert = false
			return nil
		}
	}
}

// sqlSurvey is what surveySQL finds in an SQL dump.
type sqlSurvey struct {
	bytes map[string]int64  // by table: the bytes of its INSERT statements and COPY blocks
	cols  map[string]string // by table, lower-cased: its columns, lower-cased and comma-joined
}

// maxCreate is the longest CREATE TABLE statement the survey reads for a
// table's columns.
const maxCreate = 1 << 20

// surveySQL sums, by table, the bytes of an SQL dump's INSERT statements
// and COPY blocks, line by line, taking a statement to start a line as
// dump tools write them (an INSERT runs on to the line that ends with
// ";"): a pass at the speed of finding newlines, made before the real read
// to pick the table with the most rows. Table names are the last part of
// a qualified name, unquoted. It also notes each table's columns: the list
// of its first INSERT or COPY that names them, else its CREATE TABLE's
// (read by the parser the real read uses), so that a register split into
// tables of the same columns (one a state, say) can be read as one.
func surveySQL(br *bufio.Reader) sqlSurvey {
	sv := sqlSurvey{bytes: map[string]int64{}, cols: map[string]string{}}
	listed := map[string]bool{} // tables whose columns an INSERT or COPY listed
	cur := ""                   // the table the current line's bytes count for
	inCopy := false             // inside a COPY block
	open := false               // the INSERT of cur goes on past this line
	lineStart := true           // b starts a line
	last := byte(0)             // the line's last byte other than white space
	var create []byte           // the CREATE TABLE statement being read
	inCreate := false           // create goes on past this line
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 {
			if lineStart {
				last = 0
				l := bytes.TrimLeft(b, " \t")
				if inCreate && (hasPrefixFold(l, "INSERT ") || hasPrefixFold(l, "COPY ") || hasPrefixFold(l, "CREATE ")) {
					// a CREATE TABLE whose end was missed (a comment after
					// its ";"): what was read of it is noted, and this line
					// starts a statement of its own
					inCreate = false
					sv.createCols(create)
				}
				switch {
				case inCopy:
					if bytes.HasPrefix(l, []byte("\\.")) {
						inCopy, cur = false, ""
					}
				case open, inCreate:
				case hasPrefixFold(l, "INSERT "), hasPrefixFold(l, "REPLACE "):
					var rest []byte
					cur, rest = surveyName(l[bytes.IndexByte(l, ' ')+1:], "IGNORE ", "INTO ")
					sv.listCols(cur, rest, listed)
				case hasPrefixFold(l, "COPY "):
					var rest []byte
					cur, rest = surveyName(l[len("COPY "):])
					inCopy = cur != "" && bytes.Contains(bytes.ToLower(l), []byte("stdin"))
					if !inCopy {
						cur = ""
					}
					sv.listCols(cur, rest, listed)
				case hasPrefixFold(l, "CREATE "):
					cur, inCreate, create = "", true, create[:0]
				default:
					cur = ""
				}
			}
			seg := b
			if !inCopy && !inCreate {
				// statements that start in mid-line, after a ";"
				for i := midStatement(seg); i >= 0; i = midStatement(seg) {
					if cur != "" {
						sv.bytes[cur] += int64(i)
					}
					l := seg[i:]
					var rest []byte
					cur, rest = surveyName(l[bytes.IndexByte(l, ' ')+1:], "IGNORE ", "INTO ")
					sv.listCols(cur, rest, listed)
					seg = l
				}
			}
			if cur != "" {
				sv.bytes[cur] += int64(len(seg))
			}
			if inCreate && len(create)+len(b) <= maxCreate {
				create = append(create, b...)
			}
			if t := bytes.TrimRight(b, " \t\r\n"); len(t) > 0 {
				last = t[len(t)-1]
			}
			lineStart = b[len(b)-1] == '\n'
			if lineStart && !inCopy {
				open = cur != "" && last != ';'
			}
			if lineStart && inCreate && last == ';' {
				inCreate = false
				sv.createCols(create)
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return sv
		}
	}
}

// midStatement is where an INSERT or REPLACE starts after a ";" in b (two
// statements on one line), -1 when none does. A ";" inside a string value
// followed by such a word would count too: the survey only weighs tables.
func midStatement(b []byte) int {
	for from := 0; ; {
		j := bytes.IndexByte(b[from:], ';')
		if j < 0 {
			return -1
		}
		k := from + j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\t') {
			k++
		}
		if hasPrefixFold(b[k:], "INSERT ") || hasPrefixFold(b[k:], "REPLACE ") {
			return k
		}
		from = k
	}
}

// listCols notes the column list that starts rest, if any, as table t's.
func (sv sqlSurvey) listCols(t string, rest []byte, listed map[string]bool) {
	if t == "" || listed[t] { // by the name as written: once a line, no lower-casing
		return
	}
	listed[t] = true
	lt := strings.ToLower(t)
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != '(' {
		return
	}
	if i := bytes.IndexByte(rest, ')'); i >= 0 {
		if cols, err := miniSQL(rest[:i+1]).nameList(); err == nil {
			sv.cols[lt] = colsKey(cols)
		}
	}
}

// createCols notes the columns of a CREATE TABLE statement, for a table
// no INSERT or COPY listed them for.
func (sv sqlSurvey) createCols(stmt []byte) {
	s := miniSQL(stmt)
	s.next() // io.EOF or an error: what was created is noted either way
	for t, cols := range s.created {
		if _, ok := sv.cols[t]; !ok && len(cols) > 0 {
			sv.cols[t] = colsKey(cols)
		}
	}
}

func colsKey(cols []string) string {
	return strings.ToLower(strings.Join(cols, ","))
}

// miniSQL is a sqlSource over one statement, for the survey.
func miniSQL(stmt []byte) *sqlSource {
	br := bufio.NewReader(bytes.NewReader(stmt))
	lr := &lineReader{br: br, max: len(stmt) + 1, skips: &skipper{}, truncated: new(bool)}
	return &sqlSource{br: br, lr: lr, table: new(string), ln: 1, backslash: true, created: map[string][]string{}, ignored: map[string]bool{}}
}

// surveyName reads the table name at the start of b, after any of the
// keywords given: the last part of a qualified name, without its quotes;
// rest is what follows it.
func surveyName(b []byte, keywords ...string) (name string, rest []byte) {
	b = bytes.TrimLeft(b, " \t")
	for _, k := range keywords {
		if hasPrefixFold(b, k) {
			b = bytes.TrimLeft(b[len(k):], " \t")
		}
	}
	for len(b) > 0 {
		var part []byte
		switch q := b[0]; q {
		case '`', '"', '[':
			end := q
			if q == '[' {
				end = ']'
			}
			i := bytes.IndexByte(b[1:], end)
			if i < 0 {
				return "", nil
			}
			part, b = b[1:1+i], b[2+i:]
		default:
			i := bytes.IndexAny(b, " \t\r\n(;.")
			if i < 0 {
				i = len(b)
			}
			part, b = b[:i], b[i:]
		}
		name = string(part)
		if len(b) == 0 || b[0] != '.' {
			break
		}
		b = b[1:]
	}
	return name, b
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}
