//go:build !amd64 || purego

package ingest

func scanLine(b []byte, delim byte, base int, ends []int) ([]int, bool, bool) {
	return scanLineSWAR(b, delim, base, ends)
}
