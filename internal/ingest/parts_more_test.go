package ingest

import (
	"reflect"
	"testing"
)

// TestSQLWordBeforeString: a bare word before a string in a tuple is
// malformed: the tuple is skipped and recorded, the statement's other
// tuples read; literals that put a word before a string still read, a
// typed literal or an introduced string (mysqldump's _binary 'x') as its
// string.
func TestSQLWordBeforeString(t *testing.T) {
	for _, tc := range []struct {
		name, dump string
		rows       [][]string
		skipped    string
	}{
		{"a statement a tuple", "INSERT INTO t (a,b) VALUES ('1','2');\nINSERT INTO t (a,b) VALUES (garbage 'A','B');\nINSERT INTO t (a,b) VALUES ('5','6');\n",
			[][]string{{"1", "2"}, {"5", "6"}}, `malformed SQL at column 37: unquoted word before a string: "garbage"`},
		{"extended insert", "INSERT INTO t (a,b) VALUES ('1','2'),('3', 12 'x(' ),('5','6');\n",
			[][]string{{"1", "2"}, {"5", "6"}}, `malformed SQL at column 47: unquoted word before a string: "12"`},
		{"literals", "INSERT INTO t (a,b) VALUES (NULL, 12),(TRUE, -1.5e3),(_utf8mb4'x', N'y'),(_binary 'z', E'a\\tb'::text),(CONCAT('p', 'q'), X'1F');\n",
			[][]string{{"", "12"}, {"TRUE", "-1.5e3"}, {"x", "y"}, {"z", "a\tb"}, {"CONCAT(p, q)", "X1F"}}, ""},
		{"typed literals", "INSERT INTO t (a,b) VALUES (DATE '2018-01-01', TIMESTAMP WITH TIME ZONE '2018-01-01 00:00:00+00');\n",
			[][]string{{"2018-01-01", "2018-01-01 00:00:00+00"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, "d.sql", []byte(tc.dump)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if !reflect.DeepEqual(res.rows, tc.rows) {
				t.Errorf("rows %q, want %q", res.rows, tc.rows)
			}
			switch {
			case tc.skipped == "" && len(res.info.Skipped) > 0:
				t.Errorf("skips %v", res.info.Skipped)
			case tc.skipped != "" && (len(res.info.Skipped) != 1 || res.info.Skipped[0].Reason != tc.skipped):
				t.Errorf("skips %v, want one: %s", res.info.Skipped, tc.skipped)
			}
		})
	}
}
